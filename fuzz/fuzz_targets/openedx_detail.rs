//! Fuzzes the Open edX course detail parser (the `overview` HTML, sanitised).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = coursefed::connector::openedx::parse_detail(data);
});
