//! Golden tests of the edX-style page parser: each `fixtures/openedx/<case>.json` against
//! its `<case>.expected.json` (`UPDATE_GOLDEN=1` rewrites them; review before committing).

#[path = "common/fixtures.rs"]
mod fixtures;

use chrono_tz::Tz;
use coursefed::connector::openedx::{parse_detail, parse_page};
use url::Url;

use fixtures::{assert_golden, fixture, fixture_text};

const BASE: &str = "https://courses.example.org";
const PAGE: &str = "https://courses.example.org/api/courses/v1/courses/?page=2&page_size=12";

fn golden_page(case: &str) {
    let base = Url::parse(BASE).unwrap();
    let page = Url::parse(PAGE).unwrap();
    let parsed = parse_page(
        &fixture(&format!("openedx/{case}.json")),
        &page,
        &base,
        Tz::UTC,
    )
    .unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_golden(
        &format!("openedx/{case}"),
        &serde_json::to_value(&parsed).unwrap(),
    );
}

#[test]
fn paginated_page_matches_golden() {
    golden_page("page_paginated");
}

#[test]
fn bare_array_page_matches_golden() {
    golden_page("page_bare_array");
}

#[test]
fn quirks_page_matches_golden() {
    golden_page("page_quirks");
}

#[test]
fn detail_overview_matches_golden() {
    let d = parse_detail(&fixture("openedx/detail.json")).unwrap();
    assert_golden("openedx/detail", &serde_json::to_value(&d).unwrap());
}

#[test]
fn truncated_page_is_an_error() {
    let base = Url::parse(BASE).unwrap();
    let e = parse_page(
        &fixture("openedx/page_truncated.json"),
        &base,
        &base,
        Tz::UTC,
    )
    .unwrap_err();
    assert!(e.contains("not JSON"), "{e}");
}

/// The offline demo's recorded catalogue must be a consistent walk: `next` links chain the
/// three pages, the last has none, and `count` is the number of items served.
#[test]
fn demo_catalogue_is_a_consistent_three_page_walk() {
    let base = Url::parse("http://127.0.0.1:9999").unwrap();
    let mut page_url =
        Url::parse("http://127.0.0.1:9999/api/courses/v1/courses/?page=1&page_size=10").unwrap();
    let mut records = 0;
    let mut counts = Vec::new();
    let mut courses_per_page = Vec::new();
    for n in 1..=3 {
        let text = fixture_text(&format!("openedx/demo/page-{n}.json"))
            .replace("{{base_url}}", base.as_str().trim_end_matches('/'));
        let parsed = parse_page(text.as_bytes(), &page_url, &base, Tz::UTC)
            .unwrap_or_else(|e| panic!("page {n}: {e}"));
        records += parsed.records;
        counts.push(parsed.count);
        courses_per_page.push(
            parsed
                .items
                .iter()
                .filter_map(|i| i.as_ref().ok().map(|d| d.external_id.clone()))
                .collect::<Vec<_>>(),
        );
        match (n, parsed.next) {
            (3, None) => {}
            (3, Some(next)) => panic!("the last page links to {next}"),
            (_, Some(next)) => {
                assert_eq!(
                    next.query(),
                    Some(format!("page={}&page_size=10", n + 1).as_str())
                );
                page_url = next;
            }
            (_, None) => panic!("page {n} has no next"),
        }
    }
    assert!(
        counts.iter().all(|c| *c == Some(records)),
        "{counts:?} vs {records} items"
    );
    // One course's runs are split across a page boundary.
    let split = courses_per_page[0]
        .iter()
        .any(|c| courses_per_page[1].contains(c))
        || courses_per_page[1]
            .iter()
            .any(|c| courses_per_page[2].contains(c));
    assert!(split, "no course spans two pages: {courses_per_page:?}");
}
