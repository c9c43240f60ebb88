//! The XuetangX-style connector: golden pages from `fixtures/xuetangx/` (set
//! `UPDATE_GOLDEN=1` to rewrite the expected files, then review them by eye) and whole runs
//! against a local mock platform that insists on the session and the CSRF header.

#[path = "common/fixtures.rs"]
mod fixtures;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use coursefed::config::{SourceConfig, StyleConfig};
use coursefed::connector::xuetangx::page::parse_page;
use coursefed::connector::{Connector, ConnectorError, RunContext};
use coursefed::domain::{ListingDraft, SourceId};
use coursefed::fetch::{FetchPolicy, HttpClient, SourceFetcher};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API: &str = "/api/v1/lms/get_product_list/";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/xuetangx")
}

fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

// ---------------------------------------------------------------- golden pages

/// The normalised output of one recorded page: the page, or the error it is.
fn normalised(case: &str) -> Value {
    let body = fixture(&format!("{case}.json"));
    let base = url::Url::parse("https://www.xuetangx.com/").unwrap();
    match parse_page(&body, &base, chrono_tz::Asia::Shanghai) {
        Ok(page) => serde_json::to_value(page).unwrap(),
        Err(e) => json!({ "error": format!("{e:?}") }),
    }
}

fn check_golden(case: &str) {
    fixtures::assert_golden(&format!("xuetangx/{case}"), &normalised(case));
}

#[test]
fn golden_page_1() {
    check_golden("page_1");
}

#[test]
fn golden_page_2() {
    check_golden("page_2");
}

#[test]
fn golden_page_last_short() {
    check_golden("page_last_short");
}

#[test]
fn golden_success_false() {
    check_golden("success_false");
}

#[test]
fn recorded_page_1_holds_the_cases_it_is_meant_to() {
    // Guards the fixture itself: if someone edits it, the cases must stay covered.
    let v = normalised("page_1");
    let listings = v["listings"].as_array().unwrap();
    let by_id = |id: &str| listings.iter().find(|l| l["external_id"] == id).unwrap();
    assert_eq!(by_id("THU08091000247")["runs"].as_array().unwrap().len(), 2);
    assert_eq!(
        by_id("THU08091000314")["runs"][0]["raw_dates"]["start"],
        "2024-09-02 00:00:00"
    );
    assert_eq!(by_id("THU07011000131")["title"], "电路原理");
    assert_eq!(by_id("THU07011000131")["languages"], json!(["zh"]));
    assert_eq!(by_id("PKU02011000012")["runs"][0]["status_raw"], "42");
    assert_eq!(v["rejections"][0]["field"], "course_sign");
}

#[test]
fn naive_beijing_times_are_read_in_the_source_zone() {
    let v = normalised("page_1");
    let listings = v["listings"].as_array().unwrap();
    let os = listings
        .iter()
        .find(|l| l["external_id"] == "THU08091000314")
        .unwrap();
    assert_eq!(os["runs"][0]["start"], "2024-09-01T16:00:00Z");
    assert_eq!(os["runs"][0]["end"], "2025-01-12T15:59:59Z");
}

// ---------------------------------------------------------------- runs against a mock platform

use fixtures::VecSink;

impl VecSink {
    /// The drafts folded by external id, as the sync merges them.
    fn folded(&self) -> BTreeMap<String, ListingDraft> {
        let mut out: BTreeMap<String, ListingDraft> = BTreeMap::new();
        for d in &self.listings {
            match out.get_mut(&d.external_id) {
                Some(existing) => existing.absorb(d.clone()),
                None => {
                    out.insert(d.external_id.clone(), d.clone());
                }
            }
        }
        out
    }
}

fn source(base: &str) -> SourceConfig {
    let text = format!(
        "style = \"xuetangx\"\nbase_url = \"{base}\"\ntimezone = \"Asia/Shanghai\"\n\
         requests_per_minute = 60000\nmax_attempts = 1\ntimeout_seconds = 5\n"
    );
    SourceConfig::from_toml(
        SourceId::parse("xuetangx").unwrap(),
        Path::new("connectors/xuetangx.toml"),
        &text,
    )
    .unwrap()
}

async fn run(server: &MockServer) -> (Result<(), ConnectorError>, VecSink) {
    coursefed::install_crypto_provider();
    let cfg = source(&server.uri());
    let client = HttpClient::new().unwrap();
    let fetcher = SourceFetcher::new(&client, FetchPolicy::of(&cfg));
    let mut sink = VecSink::default();
    let result = {
        let mut cx = RunContext::new(&cfg, &fetcher, &mut sink);
        Connector::for_source(&cfg).run(&mut cx).await
    };
    (result, sink)
}

/// True when the request carries what the real site demands: `xtbz: xt`, the CSRF
/// header equal to `token`, and the `csrftoken` cookie.
fn has_session(token: &'static str) -> impl Fn(&Request) -> bool + Send + Sync {
    move |r: &Request| {
        let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok());
        h("xtbz") == Some("xt")
            && h("x-csrftoken") == Some(token)
            && h("cookie").is_some_and(|c| {
                c.split(';')
                    .any(|kv| kv.trim() == format!("csrftoken={token}"))
            })
    }
}

async fn mount_warm_up(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", format!("csrftoken={token}; Path=/").as_str())
                .set_body_string("<!doctype html><title>学堂在线</title>"),
        )
        .mount(server)
        .await;
}

/// Serves `body` for page `n` to a request with the session; anything else is a 403.
async fn mount_page(server: &MockServer, token: &'static str, n: u32, body: Vec<u8>) {
    Mock::given(method("POST"))
        .and(path(API))
        .and(query_param("page", n.to_string().as_str()))
        .and(body_partial_json(json!({"appid": 10000, "query": ""})))
        .and(has_session(token))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(server)
        .await;
}

async fn mount_forbidden_fallback(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_string("CSRF verification failed."))
        .with_priority(10)
        .mount(server)
        .await;
}

async fn requests(server: &MockServer, verb: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == verb)
        .count()
}

/// A fixture page's items.
fn items_of(name: &str) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&fixture(name)).unwrap();
    v["data"]["product_list"].as_array().unwrap().clone()
}

fn page_body(items: &[Value], count: Option<u64>) -> Vec<u8> {
    let mut data = json!({ "product_list": items });
    if let Some(c) = count {
        data["count"] = json!(c);
    }
    serde_json::to_vec(&json!({"success": true, "data": data})).unwrap()
}

/// The three recorded pages, with the session the mock demands.
async fn recorded_platform() -> MockServer {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    mount_page(&server, "tok-1", 1, fixture("page_1.json")).await;
    mount_page(&server, "tok-1", 2, fixture("page_2.json")).await;
    mount_page(&server, "tok-1", 3, fixture("page_last_short.json")).await;
    mount_forbidden_fallback(&server).await;
    server
}

#[tokio::test]
async fn the_mock_refuses_a_post_without_the_session() {
    // Without this, the tests below could pass against a mock that lets anything through.
    let server = recorded_platform().await;
    coursefed::install_crypto_provider();
    let status = reqwest::Client::new()
        .post(format!("{}{API}?page=1", server.uri()))
        .json(&json!({"appid": 10000, "query": ""}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);
}

#[tokio::test]
async fn walk_sends_the_session_and_reads_every_recorded_page() {
    let server = recorded_platform().await;
    let (result, sink) = run(&server).await;
    result.unwrap();
    assert_eq!(requests(&server, "GET").await, 1, "one warm-up");
    assert_eq!(requests(&server, "POST").await, 3, "three pages, no fourth");
    assert_eq!(sink.rejections.len(), 2, "{:?}", sink.rejections);
    let folded = sink.folded();
    assert_eq!(folded.len(), 20, "{:?}", folded.keys());
    let runs: usize = folded.values().map(|l| l.runs.len()).sum();
    assert_eq!(runs, 23);
}

#[tokio::test]
async fn runs_sharing_a_course_sign_end_up_in_one_listing() {
    let server = recorded_platform().await;
    let (result, sink) = run(&server).await;
    result.unwrap();
    let folded = sink.folded();
    let run_ids = |id: &str| -> Vec<String> {
        let mut ids: Vec<String> = folded[id]
            .runs
            .iter()
            .map(|r| r.external_run_id.clone())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        run_ids("THU08091000247"),
        vec!["1075234", "1180001", "968608"]
    );
    assert_eq!(run_ids("THU08091000248"), vec!["1075235", "968609"]);
    // Within one page, the connector itself emits one draft per course_sign.
    let drafts_of_247 = sink
        .listings
        .iter()
        .filter(|d| d.external_id == "THU08091000247")
        .count();
    assert_eq!(
        drafts_of_247, 2,
        "one draft for page 1 (two runs), one for the last page"
    );
}

#[tokio::test]
async fn short_page_ends_the_walk() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    let items = items_of("page_1.json");
    mount_page(&server, "tok-1", 1, page_body(&items, None)).await;
    mount_page(&server, "tok-1", 2, page_body(&items[..3], None)).await;
    // A third page exists but must not be asked for: page 2 was short.
    mount_page(
        &server,
        "tok-1",
        3,
        page_body(&items_of("page_2.json"), None),
    )
    .await;
    mount_forbidden_fallback(&server).await;
    let (result, _) = run(&server).await;
    result.unwrap();
    assert_eq!(requests(&server, "POST").await, 2);
}

#[tokio::test]
async fn short_page_below_the_announced_count_fails_as_incomplete() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    let items = items_of("page_1.json");
    mount_page(&server, "tok-1", 1, page_body(&items[..4], Some(3127))).await;
    mount_forbidden_fallback(&server).await;
    let (result, _) = run(&server).await;
    match result {
        Err(ConnectorError::Incomplete { expected, seen }) => {
            assert_eq!((expected, seen), (3127, 4));
        }
        other => panic!("expected Incomplete, got {other:?}"),
    }
}

#[tokio::test]
async fn repeated_page_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    let same = page_body(&items_of("page_1.json"), Some(3127));
    for n in 1..=3 {
        mount_page(&server, "tok-1", n, same.clone()).await;
    }
    mount_forbidden_fallback(&server).await;
    let (result, _) = run(&server).await;
    assert!(
        matches!(result, Err(ConnectorError::PaginationLoop { .. })),
        "{result:?}"
    );
    assert_eq!(requests(&server, "POST").await, 2);
}

#[tokio::test]
async fn success_false_fails_the_run_as_a_platform_error() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    mount_page(&server, "tok-1", 1, fixture("success_false.json")).await;
    mount_forbidden_fallback(&server).await;
    let (result, sink) = run(&server).await;
    match result {
        Err(ConnectorError::Platform { message, .. }) => {
            assert!(message.contains("请求失败"), "{message}");
        }
        other => panic!("expected Platform, got {other:?}"),
    }
    assert!(sink.listings.is_empty());
}

#[tokio::test]
async fn success_false_on_a_later_page_still_fails_the_run() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    mount_page(&server, "tok-1", 1, fixture("page_1.json")).await;
    mount_page(&server, "tok-1", 2, fixture("success_false.json")).await;
    mount_forbidden_fallback(&server).await;
    let (result, _) = run(&server).await;
    assert!(
        matches!(result, Err(ConnectorError::Platform { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn unparseable_page_is_a_parse_error() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    mount_page(&server, "tok-1", 1, b"<html>busy</html>".to_vec()).await;
    mount_forbidden_fallback(&server).await;
    let (result, _) = run(&server).await;
    assert!(
        matches!(result, Err(ConnectorError::Parse { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn forbidden_post_warms_the_session_up_again_once_then_succeeds() {
    let server = MockServer::start().await;
    // The first warm-up hands out a token the API no longer accepts; the second a good one.
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("set-cookie", "csrftoken=stale; Path=/"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_warm_up(&server, "fresh").await;
    let items = items_of("page_last_short.json");
    mount_page(
        &server,
        "fresh",
        1,
        page_body(&items, Some(items.len() as u64)),
    )
    .await;
    mount_forbidden_fallback(&server).await;
    let (result, sink) = run(&server).await;
    result.unwrap();
    assert_eq!(requests(&server, "GET").await, 2);
    assert_eq!(requests(&server, "POST").await, 2);
    assert_eq!(sink.listings.len(), 5);
}

#[tokio::test]
async fn persistent_403_fails_after_one_fresh_warm_up() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "tok-1").await;
    mount_forbidden_fallback(&server).await;
    let (result, _) = run(&server).await;
    match result {
        Err(ConnectorError::Fetch(e)) => assert_eq!(e.status(), Some(403)),
        other => panic!("expected a 403 fetch error, got {other:?}"),
    }
    assert_eq!(requests(&server, "GET").await, 2);
    assert_eq!(requests(&server, "POST").await, 2);
}

#[tokio::test]
async fn demo_pages_walk_completely() {
    let server = MockServer::start().await;
    mount_warm_up(&server, "demo-token").await;
    for n in 1..=3 {
        mount_page(
            &server,
            "demo-token",
            n,
            fixture(&format!("demo/page_{n}.json")),
        )
        .await;
    }
    mount_forbidden_fallback(&server).await;
    let (result, sink) = run(&server).await;
    result.unwrap();
    assert!(sink.rejections.is_empty(), "{:?}", sink.rejections);
    let folded = sink.folded();
    assert_eq!(folded.len(), 20);
    assert_eq!(folded.values().map(|l| l.runs.len()).sum::<usize>(), 24);
}

#[test]
fn shipped_connector_file_is_valid_and_disabled() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors/xuetangx.toml");
    let cfg = SourceConfig::load(&p).unwrap();
    assert!(matches!(cfg.style, StyleConfig::Xuetangx(_)));
    assert_eq!(cfg.timezone, chrono_tz::Asia::Shanghai);
    assert_eq!(cfg.base_url.as_str(), "https://www.xuetangx.com/");
    assert!(
        !cfg.enabled,
        "enabled only once the live API has been checked"
    );
}
