//! Fuzzes the XuetangX `get_product_list` page parser (envelope, items, folding by course).
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Ok(base) = Url::parse("https://courses.example.org/") else {
        return;
    };
    let _ = coursefed::connector::xuetangx::page::parse_page(data, &base, chrono_tz::Asia::Bangkok);
});
