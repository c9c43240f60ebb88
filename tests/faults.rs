//! The fault suite of a sync against a local mock platform, on both backends: what
//! `tests/sync_openedx.rs` does not already cover — 429 storms under the rate limit,
//! `success:false`, the volume-drop guard (empty and half-size catalogues), slow
//! responses, invalid UTF-8, oversized bodies, unknown fields — and a catalogue that stays
//! readable while a sync writes.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::db::TestDb;
use common::openedx_mock::{listings, sync};
use coursefed::config::SourceConfig;
use coursefed::domain::{ListingStatus, RunOutcome, SourceId};
use coursefed::fetch::HttpClient;
use coursefed::store::ListingFilter;
use coursefed::sync::{SyncOptions, SyncReport, sync_source_with};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PATH: &str = "/api/courses/v1/courses/";

fn item(n: usize) -> Value {
    json!({
        "id": format!("course-v1:MITx+{n}x+2T2025"),
        "name": format!("Course {n}"),
        "org": "MITx", "number": format!("{n}x"),
        "start": "2025-09-01T12:00:00Z", "start_type": "timestamp",
        "pacing": "instructor", "hidden": false
    })
}

fn source(server: &MockServer, extra: &str) -> SourceConfig {
    common::openedx_mock::source(server, 100, extra)
}

fn catalogue(range: std::ops::Range<usize>) -> Vec<Value> {
    range.map(item).collect()
}

fn envelope(server: &MockServer, items: &[Value], next: Option<usize>, count: usize) -> Value {
    json!({
        "results": items,
        "pagination": {
            "next": next.map(|p| format!("{}{PATH}?page={p}&page_size=100", server.uri())),
            "previous": null, "count": count
        }
    })
}

/// Serves `items` in pages of `per_page`, each answer delayed by `delay`.
async fn serve(server: &MockServer, items: &[Value], per_page: usize, delay: Duration) {
    let pages: Vec<&[Value]> = items.chunks(per_page).collect();
    if pages.is_empty() {
        Mock::given(method("GET"))
            .and(path(PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(envelope(server, &[], None, 0)))
            .mount(server)
            .await;
    }
    for (i, chunk) in pages.iter().enumerate() {
        let next = (i + 1 < pages.len()).then_some(i + 2);
        Mock::given(method("GET"))
            .and(path(PATH))
            .and(query_param("page", (i + 1).to_string()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(envelope(server, chunk, next, items.len()))
                    .set_delay(delay),
            )
            .mount(server)
            .await;
    }
}

/// Syncs a good catalogue of 4, then runs `second` against a platform broken by
/// `break_it`; returns the second report after checking nothing was withdrawn.
async fn after_a_good_run<F, Fut>(db: &TestDb, extra: &str, break_it: F) -> SyncReport
where
    F: FnOnce(MockServer) -> Fut,
    Fut: std::future::Future<Output = MockServer>,
{
    let server = MockServer::start().await;
    serve(&server, &catalogue(0..4), 100, Duration::ZERO).await;
    let src = source(&server, extra);
    assert_eq!(sync(&db.store, &src).await.outcome, RunOutcome::Succeeded);
    let before = listings(&db.store).await;
    server.reset().await;
    let server = break_it(server).await;
    let r = sync(&db.store, &src).await;
    assert_eq!(listings(&db.store).await, before, "catalogue untouched");
    assert_eq!(r.stats.withdrawn, 0);
    drop(server);
    r
}

/// Answers with `inner` and logs when each request arrived.
#[derive(Clone)]
struct Logged {
    log: Arc<Mutex<Vec<Instant>>>,
    inner: ResponseTemplate,
}

impl Respond for Logged {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.log.lock().unwrap().push(Instant::now());
        self.inner.clone()
    }
}

async fn storm_of_429s_slows_down_and_never_exceeds_the_rate(db: &TestDb) {
    let server = MockServer::start().await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let logged = |inner| Logged {
        log: Arc::clone(&log),
        inner,
    };
    Mock::given(method("GET"))
        .respond_with(logged(
            ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        ))
        .up_to_n_times(3)
        .with_priority(1)
        .mount(&server)
        .await;
    let items = catalogue(0..4);
    for (page, next) in [(1, Some(2)), (2, None)] {
        let chunk = &items[(page - 1) * 2..page * 2];
        Mock::given(method("GET"))
            .and(query_param("page", page.to_string()))
            .respond_with(logged(
                ResponseTemplate::new(200).set_body_json(envelope(&server, chunk, next, 4)),
            ))
            .mount(&server)
            .await;
    }
    // 300 requests a minute: one every 200 ms at most, retries included.
    let src = source(&server, "requests_per_minute = 300\nmax_attempts = 5\n");
    let r = sync(&db.store, &src).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.stats.created, 4);
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 5, "3 refused tries + 2 pages");
    for (i, pair) in log.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(190),
            "requests {i}/{} {gap:?} apart: rate exceeded",
            i + 1
        );
        if i < 3 {
            assert!(
                gap >= Duration::from_millis(990),
                "Retry-After: 1 honoured ({gap:?})"
            );
        }
    }
}

async fn success_false_fails_and_withdraws_nothing(db: &TestDb) {
    const API: &str = "/api/v1/lms/get_product_list/";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "csrftoken=tok; Path=/")
                .set_body_string("<!doctype html>"),
        )
        .mount(&server)
        .await;
    let page: Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/xuetangx/page_1.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let items = page["data"]["product_list"].as_array().unwrap().clone();
    let body = json!({"success": true, "data": {"product_list": items, "count": items.len()}});
    let good = Mock::given(method("POST"))
        .and(path(API))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount_as_scoped(&server)
        .await;
    let src = SourceConfig::from_toml(
        SourceId::parse("xuetangx").unwrap(),
        std::path::Path::new("xuetangx.toml"),
        &format!(
            "style = \"xuetangx\"\nbase_url = \"{}\"\ntimezone = \"Asia/Shanghai\"\nrequests_per_minute = 60000\nmax_attempts = 1\n",
            server.uri()
        ),
    )
    .unwrap();
    let first = sync(&db.store, &src).await;
    assert_eq!(first.outcome, RunOutcome::Succeeded, "{:?}", first.error);
    assert!(first.stats.created > 0);
    let before = listings(&db.store).await;
    drop(good);
    Mock::given(method("POST"))
        .and(path(API))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"success": false, "msg": "请求失败，请刷新页面后重试", "data": null}),
        ))
        .mount(&server)
        .await;
    let r = sync(&db.store, &src).await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    let e = r.error.unwrap();
    assert!(
        e.contains("the platform reported an error") && e.contains("请求失败"),
        "the error says what the platform said: {e}"
    );
    assert_eq!(r.stats.withdrawn, 0);
    assert_eq!(
        listings(&db.store).await,
        before,
        "nothing withdrawn or changed"
    );
}

async fn empty_catalogue_is_suspect_and_withdraws_nothing(db: &TestDb) {
    let r = after_a_good_run(db, "", |server| async move {
        serve(&server, &[], 100, Duration::ZERO).await;
        server
    })
    .await;
    assert_eq!(r.outcome, RunOutcome::Suspect, "{:?}", r.error);
    let ledger = db.store.list_runs(Some("mock"), 1).await.unwrap();
    assert_eq!(ledger[0].outcome, RunOutcome::Suspect);
    let why = ledger[0].first_error.clone().unwrap();
    assert!(why.contains("saw 0 listings where 4 were active"), "{why}");
}

async fn empty_catalogue_is_suspect_even_with_min_ratio_zero(db: &TestDb) {
    let r = after_a_good_run(db, "min_ratio = 0.0\n", |server| async move {
        serve(&server, &[], 100, Duration::ZERO).await;
        server
    })
    .await;
    assert_eq!(r.outcome, RunOutcome::Suspect);
}

async fn half_size_catalogue_is_suspect_and_accept_drop_withdraws(db: &TestDb) {
    let server = MockServer::start().await;
    serve(&server, &catalogue(0..10), 100, Duration::ZERO).await;
    let src = source(&server, "");
    assert_eq!(sync(&db.store, &src).await.stats.created, 10);
    server.reset().await;
    // 4 of 10 seen, one of them changed: below 0.5.
    let mut fewer = catalogue(0..4);
    fewer[0]["name"] = json!("Course 0, renamed");
    serve(&server, &fewer, 100, Duration::ZERO).await;
    let r = sync(&db.store, &src).await;
    assert_eq!(r.outcome, RunOutcome::Suspect, "{:?}", r.error);
    assert_eq!(
        (r.stats.withdrawn, r.stats.updated),
        (0, 1),
        "upserts applied, nothing withdrawn"
    );
    let l = db.store.get_listing("mock:MITx+9x").await.unwrap().unwrap();
    assert_eq!(l.status, ListingStatus::Active);
    let renamed = db.store.get_listing("mock:MITx+0x").await.unwrap().unwrap();
    assert_eq!(renamed.draft.title, "Course 0, renamed");

    let client = HttpClient::new().unwrap();
    let accepted = sync_source_with(
        &db.store,
        &client,
        &src,
        SyncOptions {
            accept_drop: true,
            ..SyncOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(accepted.outcome, RunOutcome::Succeeded);
    assert_eq!(accepted.stats.withdrawn, 6);
    let l = db.store.get_listing("mock:MITx+9x").await.unwrap().unwrap();
    assert_eq!(l.status, ListingStatus::Withdrawn);
}

async fn slow_response_beyond_the_timeout_is_retried_then_succeeds(db: &TestDb) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve(&server, &catalogue(0..3), 100, Duration::ZERO).await;
    let src = source(&server, "timeout_seconds = 1\nmax_attempts = 2\n");
    let r = sync(&db.store, &src).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.stats.created, 3);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "one timed out, one retried"
    );
}

async fn invalid_utf8_fails_the_run_naming_the_page(db: &TestDb) {
    let r = after_a_good_run(db, "", |server| async move {
        let mut body = br#"{"results": [{"id": "course-v1:MITx+1x+2T2025", "name": "Caf"#.to_vec();
        body.extend_from_slice(&[0xC3, 0x28, 0xFF]);
        body.extend_from_slice(br#""}], "pagination": {"next": null, "count": 1}}"#);
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        server
    })
    .await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    let e = r.error.unwrap();
    assert!(e.contains(PATH), "the error names the page: {e}");
}

async fn oversized_body_fails_the_run_at_the_limit(db: &TestDb) {
    let r = after_a_good_run(db, "max_body_bytes = 2048\n", |server| async move {
        let big = envelope(&server, &catalogue(0..100), None, 100);
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(big))
            .mount(&server)
            .await;
        server
    })
    .await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    let e = r.error.unwrap();
    assert!(e.contains("exceeds the limit of 2048 bytes"), "{e}");
}

async fn unknown_fields_and_enum_values_are_accepted(db: &TestDb) {
    let server = MockServer::start().await;
    let mut items = catalogue(0..2);
    items[0]["brand_new_field"] = json!({"nested": [1, 2, 3]});
    items[0]["pacing"] = json!("weekly-cohort");
    items[1]["start_type"] = json!("mystery");
    items[1]["hidden"] = json!("sometimes");
    serve(&server, &items, 100, Duration::ZERO).await;
    let r = sync(&db.store, &source(&server, "")).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!((r.stats.created, r.stats.rejected), (2, 0));
    let l = db.store.get_listing("mock:MITx+0x").await.unwrap().unwrap();
    assert_eq!(
        l.draft.runs[0].pacing, None,
        "an unknown pacing is unknown, not a guess"
    );
}

async fn catalogue_stays_readable_while_a_sync_writes(db: &TestDb) {
    let server = MockServer::start().await;
    serve(&server, &catalogue(0..300), 100, Duration::ZERO).await;
    let src = source(&server, "");
    assert_eq!(sync(&db.store, &src).await.stats.created, 300);
    let export = || async {
        let mut out = Vec::new();
        let n = coursefed::export::export_jsonl(&db.store, &ListingFilter::default(), &mut out)
            .await
            .expect("export works while the sync writes");
        assert_eq!(out.iter().filter(|b| **b == b'\n').count() as u64, n);
        n
    };
    let before = export().await;
    server.reset().await;
    serve(&server, &catalogue(0..900), 100, Duration::from_millis(30)).await;

    let store = db.store.clone();
    let writer = tokio::spawn(async move { sync(&store, &src).await });
    let mut exports = 0;
    let mut counts = std::collections::BTreeSet::new();
    while !writer.is_finished() {
        counts.insert(export().await);
        exports += 1;
    }
    let r = writer.await.unwrap();
    assert_eq!((r.outcome, r.stats.created), (RunOutcome::Succeeded, 600));
    let after = export().await;
    assert!(after > before);
    assert!(exports > 1, "exports ran during the sync ({exports})");
    assert!(
        counts.iter().all(|n| *n == before || *n == after),
        "an export sees the catalogue before ({before}) or after ({after}) the run, never half of it: {counts:?}"
    );
}

on_both_backends!(
    storm_of_429s_slows_down_and_never_exceeds_the_rate,
    success_false_fails_and_withdraws_nothing,
    empty_catalogue_is_suspect_and_withdraws_nothing,
    empty_catalogue_is_suspect_even_with_min_ratio_zero,
    half_size_catalogue_is_suspect_and_accept_drop_withdraws,
    slow_response_beyond_the_timeout_is_retried_then_succeeds,
    invalid_utf8_fails_the_run_naming_the_page,
    oversized_body_fails_the_run_at_the_limit,
    unknown_fields_and_enum_values_are_accepted,
    catalogue_stays_readable_while_a_sync_writes,
);

#[test]
fn volume_drop_rule() {
    use coursefed::sync::volume_drop;
    assert!(
        volume_drop(0, 0, 0.5).is_none(),
        "a first run is never suspect"
    );
    assert!(volume_drop(0, 1, 0.0).is_some(), "empty is always suspect");
    assert!(volume_drop(4, 10, 0.5).is_some());
    assert!(volume_drop(5, 10, 0.5).is_none());
    assert!(volume_drop(1, 10, 0.0).is_none());
}
