//! Fuzzes the Open edX LMS Course API page parser (`/api/courses/v1/courses/`): any body
//! must give a page or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let (Ok(page_url), Ok(base_url)) = (
        Url::parse("https://courses.example.org/api/courses/v1/courses/?page=2"),
        Url::parse("https://courses.example.org/"),
    ) else {
        return;
    };
    let _ = coursefed::connector::openedx::parse_page(
        data,
        &page_url,
        &base_url,
        chrono_tz::Asia::Bangkok,
    );
});
