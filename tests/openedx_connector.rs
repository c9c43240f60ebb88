//! The edX-style connector against a mock Open edX site on loopback: pagination, the loop
//! guard, envelope errors, rejections, detail pages and the short-page rule.

#[path = "common/fixtures.rs"]
mod fixtures;

use std::path::Path;

use coursefed::config::SourceConfig;
use coursefed::connector::{Connector, ConnectorError, RunContext};
use coursefed::domain::SourceId;
use coursefed::fetch::{FetchPolicy, HttpClient, SourceFetcher};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use fixtures::{VecSink, fixture, fixture_text};

const LIST: &str = "/api/courses/v1/courses/";

/// Runs the connector for a source at `base_url` with extra TOML `options`.
async fn run(base_url: &str, options: &str) -> (Result<(), ConnectorError>, VecSink) {
    coursefed::install_crypto_provider();
    let text = format!(
        "style = \"openedx\"\nbase_url = \"{base_url}\"\nmax_attempts = 1\nrequests_per_minute = 60000\n{options}\n"
    );
    let cfg = SourceConfig::from_toml(
        SourceId::parse("edx").unwrap(),
        Path::new("connectors/edx.toml"),
        &text,
    )
    .unwrap();
    let client = HttpClient::new().unwrap();
    let fetcher = SourceFetcher::new(&client, FetchPolicy::of(&cfg));
    let mut sink = VecSink::default();
    let result = {
        let mut cx = RunContext::new(&cfg, &fetcher, &mut sink);
        Connector::for_source(&cfg).run(&mut cx).await
    };
    (result, sink)
}

fn json_body(body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into(), "application/json")
}

async fn mount_page(server: &MockServer, page: &str, body: impl Into<Vec<u8>>) {
    Mock::given(method("GET"))
        .and(path(LIST))
        .and(query_param("page", page))
        .respond_with(json_body(body))
        .mount(server)
        .await;
}

fn envelope(results: Value, next: Option<String>, count: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({"results": results, "pagination": {"next": next, "count": count}}))
        .unwrap()
}

fn course(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "start": "2026-01-01T00:00:00Z", "pacing": "self"})
}

#[tokio::test]
async fn three_pages_are_walked_via_next() {
    let server = MockServer::start().await;
    for n in 1..=3 {
        let body = fixture_text(&format!("openedx/demo/page-{n}.json"))
            .replace("{{base_url}}", &server.uri());
        mount_page(&server, &n.to_string(), body).await;
    }
    let (result, sink) = run(&server.uri(), "page_size = 10").await;
    result.unwrap();
    assert_eq!(sink.pages.len(), 3);
    assert_eq!(sink.rejections.len(), 3, "{:?}", sink.rejections);
    let merged = sink.merged();
    // A course whose runs straddle pages 1 and 2 is one listing with both runs.
    let intro = merged
        .iter()
        .find(|d| d.external_id == "MITx+6.00.1x")
        .unwrap();
    let runs: Vec<_> = intro
        .runs
        .iter()
        .map(|r| r.external_run_id.as_str())
        .collect();
    assert_eq!(
        runs,
        [
            "course-v1:MITx+6.00.1x+1T2027",
            "course-v1:MITx+6.00.1x+3T2027"
        ]
    );
    // Legacy and course-v1 keys of one course are one listing, across pages.
    let demo = merged
        .iter()
        .find(|d| d.external_id == "edX+DemoX")
        .unwrap();
    assert_eq!(demo.runs.len(), 2);
    let kyoto = merged
        .iter()
        .find(|d| d.external_id == "KyotoUx+000x")
        .unwrap();
    assert_eq!(kyoto.runs.len(), 3);
    assert!(merged.iter().all(|d| {
        d.runs
            .iter()
            .all(|r| r.start.is_none_or(|s| s.timestamp() > 0))
    }));
    let items: usize = merged.iter().map(|d| d.runs.len()).sum();
    assert_eq!(items + sink.rejections.len(), 25);
}

#[tokio::test]
async fn bare_array_is_one_complete_page() {
    let server = MockServer::start().await;
    mount_page(&server, "1", fixture("openedx/page_bare_array.json")).await;
    let (result, sink) = run(&server.uri(), "").await;
    result.unwrap();
    let ids: Vec<_> = sink
        .listings
        .iter()
        .map(|d| d.external_id.as_str())
        .collect();
    assert_eq!(ids, ["edX+DemoX", "edX+toy"]);
    assert_eq!(sink.pages.len(), 1);
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/lms{LIST}")))
        .and(query_param("page", "1"))
        .and(query_param("page_size", "100"))
        .respond_with(json_body(envelope(json!([course("a/b/c", "N")]), None, 1)))
        .mount(&server)
        .await;
    let (result, sink) = run(&format!("{}/lms", server.uri()), "").await;
    result.unwrap();
    assert_eq!(
        sink.listings[0].url.as_deref(),
        Some(format!("{}/lms/courses/a/b/c/about", server.uri()).as_str())
    );
}

#[tokio::test]
async fn repeated_next_is_a_pagination_loop() {
    let server = MockServer::start().await;
    let uri = server.uri();
    mount_page(
        &server,
        "1",
        envelope(
            json!([course("a/b/1", "One")]),
            Some(format!("{uri}{LIST}?page=2&page_size=100")),
            4,
        ),
    )
    .await;
    // Page 2 points back at page 1: a broken platform must not loop forever.
    mount_page(
        &server,
        "2",
        envelope(
            json!([course("a/b/2", "Two")]),
            Some(format!("{uri}{LIST}?page=1&page_size=100")),
            4,
        ),
    )
    .await;
    let (result, _) = run(&uri, "").await;
    assert!(
        matches!(result, Err(ConnectorError::PaginationLoop { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn truncated_json_fails_the_run_with_a_parse_error() {
    let server = MockServer::start().await;
    mount_page(&server, "1", fixture("openedx/page_truncated.json")).await;
    let (result, _) = run(&server.uri(), "").await;
    match result {
        Err(ConnectorError::Parse { url, message }) => {
            assert!(url.contains("page=1"), "{url}");
            assert!(message.contains("not JSON"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[tokio::test]
async fn unparseable_id_is_rejected_and_the_run_goes_on() {
    let server = MockServer::start().await;
    let items = json!([
        course("MITx 6.00.2x", "Bad"),
        course("course-v1:MITx+6.002x+1T2026", "Good")
    ]);
    mount_page(&server, "1", envelope(items, None, 2)).await;
    let (result, sink) = run(&server.uri(), "").await;
    result.unwrap();
    assert_eq!(sink.listings.len(), 1);
    assert_eq!(sink.listings[0].external_id, "MITx+6.002x");
    assert_eq!(sink.rejections.len(), 1);
    let r = &sink.rejections[0];
    assert_eq!(
        (r.field.as_str(), r.external_id.as_deref()),
        ("id", Some("MITx 6.00.2x"))
    );
    assert!(r.reason.contains("not a course key"), "{}", r.reason);
}

#[tokio::test]
async fn fetch_details_puts_the_sanitised_overview_in_the_description() {
    let server = MockServer::start().await;
    mount_page(&server, "1", fixture("openedx/page_bare_array.json")).await;
    // The legacy key travels percent-encoded as one path segment.
    Mock::given(method("GET"))
        .and(path(format!("{LIST}edX%2FDemoX%2FDemo_Course/")))
        .respond_with(json_body(fixture("openedx/detail.json")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{LIST}edX%2Ftoy%2F2012_Fall/")))
        .respond_with(json_body(
            serde_json::to_vec(&json!({"overview": "<p>Toys &amp; games.</p>"})).unwrap(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (result, sink) = run(&server.uri(), "fetch_details = true").await;
    result.unwrap();
    let demo = &sink.listings[0];
    let html = demo.description_html.as_deref().unwrap();
    for banned in [
        "<script",
        "<style",
        "onclick",
        "onmouseover",
        "onerror",
        "javascript:",
    ] {
        assert!(!html.contains(banned), "{banned} survived: {html}");
    }
    assert!(html.contains("<h2>About This Course</h2>"), "{html}");
    let text = demo.description_text.as_deref().unwrap();
    // How the plain text breaks paragraphs is normalise's business; the words are ours.
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.starts_with("About This Course Include your long course description here."),
        "{text}"
    );
    assert!(
        !text.contains('<') && !text.contains("document.cookie"),
        "{text}"
    );
    assert_eq!(
        sink.listings[1].description_text.as_deref(),
        Some("Toys & games.")
    );
}

#[tokio::test]
async fn detail_not_found_keeps_the_listing_without_description() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        "1",
        envelope(
            json!([course("course-v1:MITx+6.002x+1T2026", "Circuits")]),
            None,
            1,
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{LIST}course-v1:MITx+6.002x+1T2026/")))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let (result, sink) = run(&server.uri(), "fetch_details = true").await;
    result.unwrap();
    assert_eq!(sink.listings.len(), 1);
    assert_eq!(sink.listings[0].description_html, None);
    assert_eq!(sink.listings[0].description_text, None);
}

#[tokio::test]
async fn detail_server_error_fails_the_run() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        "1",
        envelope(
            json!([course("course-v1:MITx+6.002x+1T2026", "Circuits")]),
            None,
            1,
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{LIST}course-v1:MITx+6.002x+1T2026/")))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let (result, _) = run(&server.uri(), "fetch_details = true").await;
    assert!(
        matches!(result, Err(ConnectorError::Fetch(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn announced_count_larger_than_delivered_is_incomplete() {
    let server = MockServer::start().await;
    let items = json!([
        course("course-v1:A+1+R1", "One"),
        course("course-v1:A+1+R2", "One"),
        course("bad", "Bad")
    ]);
    mount_page(&server, "1", envelope(items, None, 5)).await;
    let (result, _) = run(&server.uri(), "").await;
    // Two runs merged into one listing still count as two of the announced items.
    assert!(
        matches!(
            result,
            Err(ConnectorError::Incomplete {
                expected: 5,
                seen: 3
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn delivered_count_equal_to_announced_is_complete() {
    let server = MockServer::start().await;
    let items = json!([
        course("course-v1:A+1+R1", "One"),
        course("course-v1:A+1+R2", "One"),
        course("bad", "Bad")
    ]);
    mount_page(&server, "1", envelope(items, None, 3)).await;
    let (result, sink) = run(&server.uri(), "").await;
    result.unwrap();
    assert_eq!(
        (
            sink.listings.len(),
            sink.listings[0].runs.len(),
            sink.rejections.len()
        ),
        (1, 2, 1)
    );
}

#[tokio::test]
async fn empty_page_that_links_onward_fails_the_run() {
    let server = MockServer::start().await;
    let uri = server.uri();
    mount_page(
        &server,
        "1",
        envelope(
            json!([]),
            Some(format!("{uri}{LIST}?page=2&page_size=100")),
            0,
        ),
    )
    .await;
    let (result, _) = run(&uri, "").await;
    assert!(
        matches!(result, Err(ConnectorError::Parse { .. })),
        "{result:?}"
    );
}
