//! Fuzzes the Thai MOOC course page: HTML extraction with the default selectors and
//! labels, then the page mapped onto a bare portal course (its Thai dates, effort, language).
#![no_main]

use std::sync::OnceLock;

use coursefed::connector::thaimooc::{PageRules, ThaimoocOptions, map, page, portal};
use libfuzzer_sys::fuzz_target;
use url::Url;

/// The default rules, compiled once (compiling selectors every run would dominate).
fn rules() -> Option<&'static PageRules> {
    static RULES: OnceLock<Option<PageRules>> = OnceLock::new();
    RULES
        .get_or_init(|| ThaimoocOptions::default().page_rules().ok())
        .as_ref()
}

fuzz_target!(|data: &[u8]| {
    let (Some(rules), Ok(base_url)) = (rules(), Url::parse("https://courses.example.org/")) else {
        return;
    };
    // The connector reads pages the same way: bytes as UTF-8, lossily.
    let extracted = page::extract(&String::from_utf8_lossy(data), rules);
    let index = portal::NameIndex::new();
    let cx = map::MapContext {
        base_url: &base_url,
        timezone: chrono_tz::Asia::Bangkok,
        institutions: &index,
        instructors: &index,
    };
    let course = portal::PortalCourse {
        code: Some("FUZZ00001".to_owned()),
        ..portal::PortalCourse::default()
    };
    let _ = map::to_listing(&course, Some(&extracted), &cx);
});
