//! Fuzzes the normalisers that every connector feeds outside text into: dates and date
//! ranges, effort, language tags and HTML sanitising.
#![no_main]

use coursefed::normalise::{dates, effort, html, language};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let tz = chrono_tz::Asia::Bangkok;
    let _ = dates::parse_instant(&raw, tz);
    let _ = dates::parse_range(&raw, tz);
    let _ = effort::parse_effort(&raw);
    let _ = language::to_bcp47(&raw);
    let _ = html::sanitise(&raw);
});
