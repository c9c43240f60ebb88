//! Sync of an edX-style platform against a local mock (wiremock), on both backends:
//! paging, retries, failures that must change nothing, withdrawals, no-op re-syncs.

mod common;

use std::time::Duration;

use common::db::TestDb;
use common::openedx_mock::{listings, sync};
use coursefed::config::SourceConfig;
use coursefed::domain::{ListingStatus, RunOutcome};
use coursefed::sync::SyncReport;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PATH: &str = "/api/courses/v1/courses/";

fn item(org: &str, number: &str, run: &str) -> Value {
    json!({
        "id": format!("course-v1:{org}+{number}+{run}"),
        "name": format!("{org} {number} &amp; friends"),
        "org": org, "number": number,
        "short_description": "",
        "start": "2025-09-01T12:00:00Z", "start_type": "timestamp",
        "end": null, "enrollment_start": null, "enrollment_end": null,
        "pacing": "instructor", "effort": "4 hours/week",
        "media": {"course_image": {"uri": format!("/asset-v1:{org}+{number}+{run}+type@asset+block@img.jpg")}},
        "hidden": false
    })
}

fn envelope(server: &MockServer, items: Vec<Value>, next_page: Option<u32>, count: usize) -> Value {
    json!({
        "results": items,
        "pagination": {
            "next": next_page.map(|p| format!("{}{PATH}?page={p}&page_size=2", server.uri())),
            "previous": null, "count": count, "num_pages": 3
        }
    })
}

async fn serve_page(server: &MockServer, page: u32, body: Value) {
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("page", page.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Serves `items` as pages of two, linked by `next`.
async fn serve_catalogue(server: &MockServer, items: &[Value]) {
    let pages: Vec<&[Value]> = items.chunks(2).collect();
    for (i, chunk) in pages.iter().enumerate() {
        let page = i as u32 + 1;
        let next = (i + 1 < pages.len()).then_some(page + 1);
        serve_page(
            server,
            page,
            envelope(server, chunk.to_vec(), next, items.len()),
        )
        .await;
    }
}

fn source(server: &MockServer, extra: &str) -> SourceConfig {
    common::openedx_mock::source(server, 2, extra)
}

fn catalogue(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| item("MITx", &format!("6.00{i}x"), "2T2025"))
        .collect()
}

async fn three_pages_are_followed_via_next(db: &TestDb) {
    let server = MockServer::start().await;
    serve_catalogue(&server, &catalogue(5)).await;
    let r = sync(&db.store, &source(&server, "")).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(
        (r.stats.pages, r.stats.created, r.stats.rejected),
        (3, 5, 0)
    );
    let stored = listings(&db.store).await;
    assert_eq!(stored.len(), 5);
    let l = db
        .store
        .get_listing("mock:MITx+6.000x")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        l.draft.title, "MITx 6.000x & friends",
        "names are HTML-unescaped"
    );
    assert_eq!(l.draft.short_description, None, "\"\" becomes absent");
    let img = l.draft.image_url.unwrap();
    assert!(
        img.starts_with(&server.uri()),
        "relative media resolved against base_url: {img}"
    );
}

async fn bare_array_form_is_accepted(db: &TestDb) {
    let server = MockServer::start().await;
    serve_page(&server, 1, Value::Array(catalogue(3))).await;
    let r = sync(&db.store, &source(&server, "")).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!((r.stats.pages, r.stats.created), (1, 3));
}

async fn runs_of_one_course_across_pages_make_one_listing(db: &TestDb) {
    let server = MockServer::start().await;
    let items = vec![
        item("KyotoUx", "000x", "2T2016"),
        item("MITx", "1x", "1T2025"),
        item("KyotoUx", "000x", "3T2016"),
    ];
    serve_catalogue(&server, &items).await;
    let r = sync(&db.store, &source(&server, "")).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.stats.created, 2);
    let l = db
        .store
        .get_listing("mock:KyotoUx+000x")
        .await
        .unwrap()
        .unwrap();
    let runs: Vec<&str> = l
        .draft
        .runs
        .iter()
        .map(|r| r.external_run_id.as_str())
        .collect();
    assert_eq!(
        runs,
        [
            "course-v1:KyotoUx+000x+2T2016",
            "course-v1:KyotoUx+000x+3T2016"
        ]
    );
}

async fn rate_limited_page_is_retried_after_retry_after(db: &TestDb) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_catalogue(&server, &catalogue(2)).await;
    let started = std::time::Instant::now();
    let r = sync(&db.store, &source(&server, "")).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.stats.created, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured"
    );
}

async fn server_error_then_success_completes_the_run(db: &TestDb) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(PATH))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    serve_catalogue(&server, &catalogue(4)).await;
    let r = sync(&db.store, &source(&server, "")).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!(r.stats.created, 4);
}

/// Syncs a good catalogue of 4, then breaks the second run with `break_it`; the second
/// run must fail and leave the catalogue exactly as it was, nothing withdrawn.
async fn assert_failed_run_changes_nothing<F, Fut>(
    db: &TestDb,
    extra: &str,
    break_it: F,
) -> SyncReport
where
    F: FnOnce(MockServer) -> Fut,
    Fut: std::future::Future<Output = MockServer>,
{
    let server = MockServer::start().await;
    serve_catalogue(&server, &catalogue(4)).await;
    let src = source(&server, extra);
    assert_eq!(sync(&db.store, &src).await.outcome, RunOutcome::Succeeded);
    let before = listings(&db.store).await;
    let feed_before = db.store.changes_after(0, 10_000).await.unwrap().len();
    server.reset().await;
    let server = break_it(server).await;
    let r = sync(&db.store, &src).await;
    assert_eq!(r.outcome, RunOutcome::Failed);
    assert!(r.error.is_some());
    assert_eq!(listings(&db.store).await, before, "catalogue untouched");
    assert_eq!(
        db.store.changes_after(0, 10_000).await.unwrap().len(),
        feed_before
    );
    let ledger = db.store.list_runs(Some("mock"), 1).await.unwrap();
    assert_eq!(ledger[0].outcome, RunOutcome::Failed);
    assert_eq!(ledger[0].first_error, r.error);
    assert_eq!(ledger[0].stats.withdrawn, 0);
    drop(server);
    r
}

async fn truncated_page_fails_the_run_and_changes_nothing(db: &TestDb) {
    let r = assert_failed_run_changes_nothing(db, "", |server| async move {
        // Page 1 has only one of the four courses; page 2 is cut off mid-way.
        serve_page(&server, 1, envelope(&server, catalogue(1), Some(2), 4)).await;
        Mock::given(method("GET"))
            .and(path(PATH))
            .and(query_param("page", "2"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string("{\"results\": [{\"id\": \"course-v1:MITx+6"),
            )
            .mount(&server)
            .await;
        server
    })
    .await;
    let e = r.error.unwrap();
    assert!(e.contains("page=2"), "the error names the page: {e}");
}

async fn repeated_next_is_a_loop_and_fails(db: &TestDb) {
    let r = assert_failed_run_changes_nothing(db, "", |server| async move {
        serve_page(&server, 1, envelope(&server, catalogue(1), Some(2), 4)).await;
        serve_page(
            &server,
            2,
            envelope(&server, catalogue(2)[1..].to_vec(), Some(1), 4),
        )
        .await;
        server
    })
    .await;
    assert!(r.error.unwrap().contains("loop"));
}

async fn timeout_fails_the_run_and_changes_nothing(db: &TestDb) {
    assert_failed_run_changes_nothing(
        db,
        "timeout_seconds = 1\nmax_attempts = 2\n",
        |server| async move {
            Mock::given(method("GET"))
                .and(path(PATH))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_delay(Duration::from_secs(3))
                        .set_body_json(json!([])),
                )
                .mount(&server)
                .await;
            server
        },
    )
    .await;
}

async fn missing_listing_is_withdrawn_and_comes_back(db: &TestDb) {
    let server = MockServer::start().await;
    let src = source(&server, "");
    let all = catalogue(4);
    serve_catalogue(&server, &all).await;
    assert_eq!(sync(&db.store, &src).await.stats.created, 4);

    server.reset().await;
    let fewer: Vec<Value> = all.iter().take(3).cloned().collect();
    serve_catalogue(&server, &fewer).await;
    let r = sync(&db.store, &src).await;
    assert_eq!(
        (r.outcome, r.stats.withdrawn, r.stats.unchanged),
        (RunOutcome::Succeeded, 1, 3)
    );
    let gone = db
        .store
        .get_listing("mock:MITx+6.003x")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.status, ListingStatus::Withdrawn);

    server.reset().await;
    serve_catalogue(&server, &all).await;
    let r = sync(&db.store, &src).await;
    assert_eq!(
        (r.stats.withdrawn, r.stats.updated, r.stats.unchanged),
        (0, 1, 3)
    );
    let back = db
        .store
        .get_listing("mock:MITx+6.003x")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.status, ListingStatus::Active);
}

async fn unchanged_second_run_writes_nothing(db: &TestDb) {
    let server = MockServer::start().await;
    serve_catalogue(&server, &catalogue(5)).await;
    let src = source(&server, "");
    sync(&db.store, &src).await;
    let before = listings(&db.store).await;
    let feed = db.store.changes_after(0, 10_000).await.unwrap().len();
    let r = sync(&db.store, &src).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded);
    assert_eq!(
        (
            r.stats.created,
            r.stats.updated,
            r.stats.unchanged,
            r.stats.withdrawn
        ),
        (0, 0, 5, 0)
    );
    assert_eq!(listings(&db.store).await, before, "zero rows rewritten");
    assert_eq!(
        db.store.changes_after(0, 10_000).await.unwrap().len(),
        feed,
        "zero change-log entries"
    );
}

async fn item_without_a_parseable_id_is_rejected_and_the_run_goes_on(db: &TestDb) {
    let server = MockServer::start().await;
    let mut items = catalogue(3);
    items.insert(1, json!({"id": "not a key", "name": "Broken"}));
    serve_catalogue(&server, &items).await;
    let r = sync(&db.store, &source(&server, "")).await;
    assert_eq!(r.outcome, RunOutcome::Succeeded, "{:?}", r.error);
    assert_eq!((r.stats.created, r.stats.rejected), (3, 1));
    let rejects = db.store.run_rejects(r.run_id).await.unwrap();
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].field, "id");
    assert!(!rejects[0].reason.is_empty());
}

on_both_backends!(
    three_pages_are_followed_via_next,
    bare_array_form_is_accepted,
    runs_of_one_course_across_pages_make_one_listing,
    rate_limited_page_is_retried_after_retry_after,
    server_error_then_success_completes_the_run,
    truncated_page_fails_the_run_and_changes_nothing,
    repeated_next_is_a_loop_and_fails,
    timeout_fails_the_run_and_changes_nothing,
    missing_listing_is_withdrawn_and_comes_back,
    unchanged_second_run_writes_nothing,
    item_without_a_parseable_id_is_rejected_and_the_run_goes_on,
);
