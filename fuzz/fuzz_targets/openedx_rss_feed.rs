//! Fuzzes the Open edX course-feed RSS parser: any body must give a feed or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(page_url) =
        Url::parse("https://courses.example.org/api/v2/report/course-feed/rss?page=2")
    else {
        return;
    };
    let _ =
        coursefed::connector::openedx_rss::parse_feed(data, &page_url, chrono_tz::Asia::Bangkok);
});
