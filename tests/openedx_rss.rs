//! The edX RSS feed connector (`style = "openedx_rss"`): golden files of the parsed
//! fixtures, and whole runs against a wiremock platform on loopback.
//!
//! `UPDATE_GOLDEN=1 cargo test --test openedx_rss` rewrites the `*.expected.json` files;
//! review the diff by eye before committing.

#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use coursefed::config::SourceConfig;
use coursefed::connector::openedx_rss::{ParsedFeed, parse_feed};
use coursefed::connector::{Connector, ConnectorError, RunContext};
use coursefed::domain::{ListingDraft, Pacing, SourceId};
use coursefed::fetch::{FetchPolicy, HttpClient, SourceFetcher};
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Where the real feed lives; the golden files are parsed as if fetched from here.
const EDX: &str = "https://www.edx.org";
const FEED_PATH: &str = "/api/v2/report/course-feed/rss";

// ---------------------------------------------------------------- helpers

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openedx_rss")
}

/// A fixture's text with `{{base_url}}` replaced.
fn fixture(name: &str, base_url: &str) -> String {
    let p = fixture_dir().join(name);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .replace("{{base_url}}", base_url.trim_end_matches('/'))
}

fn new_york() -> Tz {
    "America/New_York".parse().unwrap()
}

fn page_url(base: &str, page: Option<u32>) -> Url {
    let mut u = Url::parse(&format!("{base}{FEED_PATH}")).unwrap();
    if let Some(n) = page {
        u.set_query(Some(&format!("page={n}")));
    }
    u
}

/// Parses a fixture as the page at `url`, read in New York time (as `connectors/edx-rss.toml`
/// configures).
fn parse_fixture(name: &str, url: &Url) -> ParsedFeed {
    parse_feed(fixture(name, EDX).as_bytes(), url, new_york())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The golden form of a parsed page: the next link and each item as a listing or a rejection.
fn golden_json(feed: &ParsedFeed) -> Value {
    json!({
        "next": feed.next.as_ref().map(Url::as_str),
        "items": feed.items.iter().map(|item| match item {
            Ok(listing) => json!({ "listing": listing }),
            Err(rejection) => json!({ "rejected": rejection }),
        }).collect::<Vec<_>>(),
    })
}

/// Compares with `<case>.expected.json`, or rewrites it when `UPDATE_GOLDEN=1`.
fn check_golden(case: &str, url: &Url) {
    let actual = golden_json(&parse_fixture(&format!("{case}.xml"), url));
    fixtures::assert_golden(&format!("openedx_rss/{case}"), &actual);
}

use fixtures::VecSink;

/// A connector file for the mock platform, with `extra` keys appended.
fn source(base_url: &str, extra: &str) -> SourceConfig {
    let text = format!(
        "style = \"openedx_rss\"\nbase_url = \"{base_url}\"\nmax_attempts = 1\nrequests_per_minute = 60000\n{extra}\n"
    );
    SourceConfig::from_toml(
        SourceId::parse("edx-rss").unwrap(),
        Path::new("connectors/edx-rss.toml"),
        &text,
    )
    .unwrap()
}

/// Runs the connector of `cfg` to the end.
async fn run(cfg: &SourceConfig) -> (Result<(), ConnectorError>, VecSink) {
    coursefed::install_crypto_provider();
    let client = HttpClient::new().unwrap();
    let fetcher = SourceFetcher::new(&client, FetchPolicy::of(cfg));
    let mut sink = VecSink::default();
    let result = {
        let mut cx = RunContext::new(cfg, &fetcher, &mut sink);
        Connector::for_source(cfg).run(&mut cx).await
    };
    (result, sink)
}

fn xml(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/rss+xml; charset=utf-8")
        .set_body_string(body)
}

/// Serves `first` at the feed's first page and `second` at `?page=2`, each exactly once.
async fn serve_two_pages(server: &MockServer, first: String, second: String) {
    Mock::given(method("GET"))
        .and(path(FEED_PATH))
        .and(query_param_is_missing("page"))
        .respond_with(xml(first))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(FEED_PATH))
        .and(query_param("page", "2"))
        .respond_with(xml(second))
        .expect(1)
        .mount(server)
        .await;
}

fn ids(listings: &[ListingDraft]) -> Vec<(&str, &str)> {
    listings
        .iter()
        .map(|l| (l.external_id.as_str(), l.runs[0].external_run_id.as_str()))
        .collect()
}

// ---------------------------------------------------------------- golden files

#[test]
fn golden_feed_page_1() {
    check_golden("feed_page_1", &page_url(EDX, None));
}

#[test]
fn golden_feed_page_2() {
    check_golden("feed_page_2", &page_url(EDX, Some(2)));
}

#[test]
fn golden_feed_foreign_prefix() {
    check_golden("feed_foreign_prefix", &page_url(EDX, None));
}

#[test]
fn foreign_prefixes_read_exactly_like_the_usual_ones() {
    let url = page_url(EDX, None);
    let usual = parse_fixture("feed_page_1.xml", &url);
    let foreign = parse_fixture("feed_foreign_prefix.xml", &url);
    assert_eq!(foreign, usual);
    assert_eq!(usual.items.len(), 1);
}

#[test]
fn sample_item_maps_every_documented_field() {
    let feed = parse_fixture("feed_page_1.xml", &page_url(EDX, None));
    assert_eq!(feed.next, Some(page_url(EDX, Some(2))));
    let [Ok(l)] = feed.items.as_slice() else {
        panic!("expected one listing: {:?}", feed.items);
    };
    assert_eq!(l.external_id, "MITx+21W.789.4x");
    assert_eq!(
        l.title,
        "Mobile Application Experiences Part 4: Understanding Use"
    );
    assert_eq!(
        l.subjects,
        [
            "Computer Science",
            "Business & Management",
            "Social Sciences",
            "Engineering"
        ]
    );
    assert_eq!(l.institutions, ["MITx"]);
    assert_eq!(l.instructors, ["Frank Bentley", "Ed Barrett"]);
    assert_eq!(l.languages, ["en"]);
    assert!(
        l.short_description.as_deref().is_some_and(|s| s
            .starts_with("Learn to create your own mobile app")
            && !s.contains('<')),
        "{:?}",
        l.short_description
    );
    assert!(
        l.description_html
            .as_deref()
            .is_some_and(|h| h.contains("<p>") && h.contains("five-part"))
    );
    assert_eq!(
        l.image_url.as_deref(),
        Some(
            "https://www.edx.org/sites/default/files/course/image/promoted/21w.789.4x-course_card-378x225.png"
        )
    );
    assert_eq!(l.video_url, None);
    assert_eq!(
        l.effort.as_ref().and_then(|e| e.text.as_deref()),
        Some("10-12 hours/week")
    );
    let run = &l.runs[0];
    assert_eq!(run.external_run_id, "course-v1:MITx+21W.789.4x+1T2016");
    assert_eq!(run.pacing, Some(Pacing::Instructor));
    assert_eq!(run.raw_dates.start.as_deref(), Some("2016-04-25 00:00:00"));
    assert_eq!(run.raw_dates.end.as_deref(), Some("2016-05-23 00:00:00"));
}

#[test]
fn second_page_has_another_run_a_legacy_key_and_two_rejections() {
    let feed = parse_fixture("feed_page_2.xml", &page_url(EDX, Some(2)));
    assert_eq!(feed.next, None);
    let listings: Vec<_> = feed.items.iter().filter_map(|i| i.as_ref().ok()).collect();
    let rejected: Vec<_> = feed.items.iter().filter_map(|i| i.as_ref().err()).collect();
    assert_eq!(
        listings
            .iter()
            .map(|l| l.external_id.as_str())
            .collect::<Vec<_>>(),
        ["MITx+21W.789.4x", "MITx+6.002x"]
    );
    let rerun = listings[0];
    assert_eq!(rerun.runs[0].pacing, Some(Pacing::SelfPaced));
    assert_eq!(rerun.runs[0].end, None);
    assert_eq!(rerun.runs[0].raw_dates.end, None);
    let legacy = listings[1];
    assert_eq!(legacy.title, "Circuits & Electronics");
    assert_eq!(legacy.runs[0].external_run_id, "MITx/6.002x/2012_Fall");
    assert_eq!(legacy.institutions, ["MITx"], "the key's org stands in");
    assert_eq!(legacy.instructors, ["Anant Agarwal", "Gerald Sussman"]);
    assert_eq!(legacy.subjects, ["Engineering"]);
    assert_eq!(
        legacy.url.as_deref(),
        Some("https://www.edx.org/course/circuits-electronics-mitx-6-002x")
    );
    assert_eq!(
        legacy.image_url.as_deref(),
        Some(
            "https://www.edx.org/sites/default/files/course/image/promoted/6.002x-course_card.png"
        )
    );
    assert_eq!(
        legacy.video_url.as_deref(),
        Some("https://www.youtube.com/watch?v=Z3ltC3zTpe8")
    );
    let html = legacy.description_html.as_deref().unwrap_or_default();
    assert!(html.contains("<b>lumped circuit</b>"), "{html}");
    assert!(
        !html.contains("script") && !html.contains("onclick"),
        "{html}"
    );
    assert_eq!(
        legacy.short_description.as_deref(),
        Some("Circuits \u{2014} from the ground up \u{2764}")
    );
    assert_eq!(
        rejected
            .iter()
            .map(|r| (r.field.as_str(), r.external_id.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("course:id", Some("xseries:mobile-application-experiences")),
            ("title", Some("MITx+21W.789.5x")),
        ]
    );
}

#[test]
fn truncated_feed_is_an_error_not_a_short_page() {
    let e = parse_feed(
        fixture("feed_truncated.xml", EDX).as_bytes(),
        &page_url(EDX, None),
        new_york(),
    )
    .unwrap_err();
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn demo_pages_link_page_one_to_page_two_and_stop() {
    let base = "http://127.0.0.1:4321";
    let one = parse_feed(
        fixture("demo/page-1.xml", base).as_bytes(),
        &page_url(base, None),
        new_york(),
    )
    .unwrap();
    assert_eq!(one.next, Some(page_url(base, Some(2))));
    let two = parse_feed(
        fixture("demo/page-2.xml", base).as_bytes(),
        &page_url(base, Some(2)),
        new_york(),
    )
    .unwrap();
    assert_eq!(two.next, None);
    assert!(two.items.iter().filter(|i| i.is_ok()).count() >= 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic_and_listings_always_have_an_identity(
        // Byte order marks and a declaration steer the decoder down its other paths.
        prefix in prop_oneof![
            Just(&b""[..]),
            Just(&b"\xEF\xBB\xBF"[..]),
            Just(&b"\xFF\xFE"[..]),
            Just(&b"\xFE\xFF"[..]),
            Just(&b"<?xml version=\"1.0\"?><rss><channel><item>"[..]),
        ],
        tail in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let body = [prefix, &tail[..]].concat();
        if let Ok(feed) = parse_feed(&body, &page_url(EDX, None), Tz::UTC) {
            for listing in feed.items.iter().flatten() {
                prop_assert!(listing.external_id.contains('+'));
                prop_assert!(!listing.title.is_empty());
            }
        }
    }

    #[test]
    fn any_cut_before_the_closing_rss_tag_is_an_error(cut in 0usize..6000) {
        let text = fixture("feed_page_1.xml", EDX);
        let end = text.find("</rss>").unwrap() + "</rss>".len();
        let cut = cut.min(end - 1);
        let body = text.as_bytes().get(..cut).unwrap();
        prop_assert!(parse_feed(body, &page_url(EDX, None), Tz::UTC).is_err(), "cut at {}", cut);
    }
}

// ---------------------------------------------------------------- runs against a mock platform

#[tokio::test]
async fn run_follows_the_next_link_across_two_pages() {
    let server = MockServer::start().await;
    let base = server.uri();
    serve_two_pages(
        &server,
        fixture("feed_page_1.xml", &base),
        fixture("feed_page_2.xml", &base),
    )
    .await;
    let (result, sink) = run(&source(&base, "")).await;
    result.unwrap();
    assert_eq!(
        sink.pages,
        [
            page_url(&base, None).to_string(),
            page_url(&base, Some(2)).to_string()
        ]
    );
    assert_eq!(
        ids(&sink.listings),
        [
            ("MITx+21W.789.4x", "course-v1:MITx+21W.789.4x+1T2016"),
            ("MITx+21W.789.4x", "course-v1:MITx+21W.789.4x+3T2016"),
            ("MITx+6.002x", "MITx/6.002x/2012_Fall"),
        ]
    );
    assert_eq!(sink.rejections.len(), 2);
}

#[tokio::test]
async fn a_page_with_other_prefixes_gives_the_same_listings() {
    // One server for both runs: relative links resolve against the same host.
    let server = MockServer::start().await;
    let base = server.uri();
    serve_two_pages(
        &server,
        fixture("feed_page_1.xml", &base),
        fixture("feed_page_2.xml", &base),
    )
    .await;
    let (r1, usual) = run(&source(&base, "")).await;
    server.verify().await;
    server.reset().await;
    serve_two_pages(
        &server,
        fixture("feed_foreign_prefix.xml", &base),
        fixture("feed_page_2.xml", &base),
    )
    .await;
    let (r2, foreign) = run(&source(&base, "")).await;
    r1.unwrap();
    r2.unwrap();
    assert_eq!(foreign.listings, usual.listings);
    assert_eq!(foreign.rejections, usual.rejections);
    assert_eq!(usual.listings.len(), 3);
}

#[tokio::test]
async fn a_next_link_back_to_a_fetched_page_is_a_pagination_loop() {
    let server = MockServer::start().await;
    let base = server.uri();
    // Page 2 points "next" back at page 1.
    let looping = fixture("feed_page_2.xml", &base).replace("rel=\"previous\"", "rel=\"next\"");
    serve_two_pages(&server, fixture("feed_page_1.xml", &base), looping).await;
    let (result, sink) = run(&source(&base, "")).await;
    match result {
        Err(ConnectorError::PaginationLoop { url }) => {
            assert_eq!(url, page_url(&base, None).to_string());
        }
        other => panic!("expected a pagination loop, got {other:?}"),
    }
    assert_eq!(sink.pages.len(), 2, "page 1 must not be fetched twice");
}

#[tokio::test]
async fn a_truncated_page_fails_the_run_with_a_parse_error() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path(FEED_PATH))
        .respond_with(xml(fixture("feed_truncated.xml", &base)))
        .expect(1)
        .mount(&server)
        .await;
    let (result, sink) = run(&source(&base, "")).await;
    match result {
        Err(ConnectorError::Parse { url, message }) => {
            assert_eq!(url, page_url(&base, None).to_string());
            assert!(message.contains("truncated"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(sink.listings.is_empty());
}

#[tokio::test]
async fn naive_start_is_read_in_the_configured_timezone() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path(FEED_PATH))
        .and(query_param_is_missing("page"))
        .respond_with(xml(fixture("feed_page_1.xml", &base)
            // One page only: drop the next link.
            .replace("rel=\"next\"", "rel=\"related\"")))
        .expect(2)
        .mount(&server)
        .await;
    let (r_ny, ny) = run(&source(&base, "timezone = \"America/New_York\"")).await;
    let (r_utc, utc) = run(&source(&base, "timezone = \"UTC\"")).await;
    r_ny.unwrap();
    r_utc.unwrap();
    // 2016-04-25 00:00:00 in New York is EDT (UTC-4).
    assert_eq!(
        ny.listings[0].runs[0].start,
        Some(Utc.with_ymd_and_hms(2016, 4, 25, 4, 0, 0).unwrap())
    );
    assert_eq!(
        utc.listings[0].runs[0].start,
        Some(Utc.with_ymd_and_hms(2016, 4, 25, 0, 0, 0).unwrap())
    );
    assert_eq!(
        ny.listings[0].runs[0].end,
        Some(Utc.with_ymd_and_hms(2016, 5, 23, 4, 0, 0).unwrap())
    );
}

#[tokio::test]
async fn feed_path_is_appended_below_a_base_path() {
    let server = MockServer::start().await;
    let body = r#"<rss version="2.0"><channel><language>en</language></channel></rss>"#;
    Mock::given(method("GET"))
        .and(path("/lms/feeds/courses.xml"))
        .respond_with(xml(body.to_owned()))
        .expect(1)
        .mount(&server)
        .await;
    let (result, sink) = run(&source(
        &format!("{}/lms/", server.uri()),
        "feed_path = \"/feeds/courses.xml\"",
    ))
    .await;
    result.unwrap();
    assert_eq!(sink.pages.len(), 1);
    assert!(sink.listings.is_empty());
}

#[test]
fn the_shipped_connector_file_loads() {
    let cfg =
        SourceConfig::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors/edx-rss.toml"))
            .unwrap();
    assert_eq!(cfg.style.name(), "openedx_rss");
    assert_eq!(cfg.timezone, new_york());
    assert!(!cfg.enabled);
    assert_eq!(cfg.requests_per_minute.get(), 20);
}
