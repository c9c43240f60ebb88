//! Fuzzes the Thai MOOC portal JSON: the `{success, data}` envelope, then every record read
//! as a course and as a directory entry, and mapped to a listing (no course page).
#![no_main]

use coursefed::connector::thaimooc::{map, portal};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(base_url) = Url::parse("https://courses.example.org/") else {
        return;
    };
    let Ok(items) = portal::parse_envelope(data) else {
        return;
    };
    // The same records serve as both directories, so ids in courses can find names.
    let index = portal::name_index(&items);
    let cx = map::MapContext {
        base_url: &base_url,
        timezone: chrono_tz::Asia::Bangkok,
        institutions: &index,
        instructors: &index,
    };
    for item in &items {
        let course = portal::read_course(item);
        let _ = map::to_listing(&course, None, &cx);
    }
});
