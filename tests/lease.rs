//! Source leases on both backends: exclusive until expiry, reclaimed from a crashed
//! holder (whose running ledger rows become `abandoned`), one winner among concurrent
//! takers, kept alive by the heartbeat, released on cancel — and a real `coursefed sync`
//! killed with SIGKILL mid-run that leaves the catalogue intact and is taken over once its
//! lease expires.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::db::TestDb;
use coursefed::config::SourceConfig;
use coursefed::domain::{RunOutcome, SourceId};
use coursefed::fetch::HttpClient;
use coursefed::store::{ListingFilter, RunStats, Store, StoreError};
use coursefed::sync::{CancellationToken, SyncOptions, sync_source_with};
use serde_json::{Value, json};
use wiremock::matchers::{method, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PATH: &str = "/api/courses/v1/courses/";

fn item(n: usize) -> Value {
    json!({
        "id": format!("course-v1:MITx+{n}x+2T2025"), "name": format!("Course {n}"),
        "start": "2025-09-01T12:00:00Z", "pacing": "self"
    })
}

/// Serves `n` items, two a page, each page delayed by `delay`.
async fn serve(server: &MockServer, n: usize, delay: Duration) {
    let items: Vec<Value> = (0..n).map(item).collect();
    let pages: Vec<&[Value]> = items.chunks(2).collect();
    for (i, chunk) in pages.iter().enumerate() {
        let next = (i + 1 < pages.len())
            .then(|| format!("{}{PATH}?page={}&page_size=2", server.uri(), i + 2));
        Mock::given(method("GET"))
            .and(query_param("page", (i + 1).to_string()))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(
                        json!({"results": chunk, "pagination": {"next": next, "count": n}}),
                    )
                    .set_delay(delay),
            )
            .mount(server)
            .await;
    }
}

fn source(server: &MockServer) -> SourceConfig {
    SourceConfig::from_toml(
        SourceId::parse("mock").unwrap(),
        Path::new("mock.toml"),
        &format!(
            "style = \"openedx\"\nbase_url = \"{}\"\nrequests_per_minute = 60000\npage_size = 2\n",
            server.uri()
        ),
    )
    .unwrap()
}

async fn register(store: &Store) {
    let server_less = SourceConfig::from_toml(
        SourceId::parse("mock").unwrap(),
        Path::new("mock.toml"),
        "style = \"openedx\"\nbase_url = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    store.upsert_source(&server_less).await.unwrap();
}

const LONG: Duration = Duration::from_secs(60);

async fn lease_is_exclusive_until_it_expires(db: &TestDb) {
    let s = &db.store;
    let a = s
        .take_lease("mock", "host-a:1", Duration::from_millis(300))
        .await
        .unwrap()
        .unwrap();
    let held = s
        .take_lease("mock", "host-b:2", LONG)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(held.holder, "host-a:1");
    assert_eq!(held.expires_at, a.expires_at);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let b = s
        .take_lease("mock", "host-b:2", LONG)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(a.token, b.token);
    assert!(
        !s.renew_lease(&a, LONG).await.unwrap(),
        "the old holder cannot renew"
    );
    s.release_lease(&a).await.unwrap();
    assert_eq!(
        s.lease_of("mock").await.unwrap().unwrap().holder,
        "host-b:2",
        "nor release the new holder's"
    );
    assert!(s.renew_lease(&b, LONG).await.unwrap());
    s.release_lease(&b).await.unwrap();
    assert!(s.lease_of("mock").await.unwrap().is_none());
}

async fn reclaim_abandons_the_crashed_holders_running_run(db: &TestDb) {
    let s = &db.store;
    register(s).await;
    let crashed = s
        .take_lease("mock", "host-a:1", Duration::from_millis(50))
        .await
        .unwrap()
        .unwrap();
    let run = s.begin_run("mock").await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    let next = s
        .take_lease("mock", "host-b:2", LONG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.abandoned_runs, 1);
    let ledger = s.list_runs(Some("mock"), 10).await.unwrap();
    assert_eq!(
        (ledger[0].id, ledger[0].outcome),
        (run, RunOutcome::Abandoned)
    );
    assert!(ledger[0].finished_at.is_some());
    // The crashed holder, back from the dead, cannot land its run.
    let late = s
        .finish_run_unapplied(
            run,
            "mock",
            RunOutcome::Failed,
            &RunStats::default(),
            Some("late"),
            &[],
        )
        .await;
    assert!(
        matches!(late, Err(StoreError::RunClosed { .. })),
        "{late:?}"
    );
    assert!(!s.renew_lease(&crashed, LONG).await.unwrap());
}

async fn concurrent_takers_have_exactly_one_winner(db: &TestDb) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .take_lease("mock", &format!("host:{i}"), LONG)
                .await
                .unwrap()
                .is_ok()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1);
}

async fn sync_of_a_source_held_elsewhere_ends_at_once_naming_the_holder(db: &TestDb) {
    let server = MockServer::start().await;
    serve(&server, 2, Duration::ZERO).await;
    let src = source(&server);
    db.store
        .take_lease("mock", "other-host:42", LONG)
        .await
        .unwrap()
        .unwrap();
    let client = HttpClient::new().unwrap();
    let err = sync_source_with(&db.store, &client, &src, SyncOptions::default())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("source mock is being synced by other-host:42 until "),
        "{msg}"
    );
    assert!(
        db.store
            .list_runs(Some("mock"), 10)
            .await
            .unwrap()
            .is_empty(),
        "no run recorded"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing fetched"
    );
}

async fn heartbeat_keeps_a_long_run_leased(db: &TestDb) {
    let server = MockServer::start().await;
    serve(&server, 6, Duration::from_millis(500)).await;
    let src = source(&server);
    let store = db.store.clone();
    let run = tokio::spawn(async move {
        let client = HttpClient::new().unwrap();
        let options = SyncOptions {
            lease_ttl: Duration::from_millis(600),
            ..SyncOptions::default()
        };
        sync_source_with(&store, &client, &src, options)
            .await
            .unwrap()
    });
    // Well past the first TTL: without renewals the lease would be free.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let held = db
        .store
        .take_lease("mock", "intruder:1", LONG)
        .await
        .unwrap();
    assert!(held.is_err(), "the heartbeat kept the lease");
    let report = run.await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Succeeded, "{:?}", report.error);
    assert!(
        db.store.lease_of("mock").await.unwrap().is_none(),
        "released after the run"
    );
}

async fn cancelled_run_is_abandoned_and_releases_its_lease(db: &TestDb) {
    let server = MockServer::start().await;
    serve(&server, 2, Duration::ZERO).await;
    let src = source(&server);
    let client = HttpClient::new().unwrap();
    sync_source_with(&db.store, &client, &src, SyncOptions::default())
        .await
        .unwrap();
    let before = db
        .store
        .listings_page(&ListingFilter::default(), None, 100)
        .await
        .unwrap();
    server.reset().await;
    serve(&server, 6, Duration::from_secs(5)).await;
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
    });
    let options = SyncOptions {
        cancel,
        ..SyncOptions::default()
    };
    let r = sync_source_with(&db.store, &client, &src, options)
        .await
        .unwrap();
    assert_eq!(r.outcome, RunOutcome::Abandoned);
    let ledger = db.store.list_runs(Some("mock"), 1).await.unwrap();
    assert_eq!(ledger[0].outcome, RunOutcome::Abandoned);
    assert!(db.store.lease_of("mock").await.unwrap().is_none());
    let after = db
        .store
        .listings_page(&ListingFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(after, before);
}

/// A connectors dir and config for the real binary: one source on `server`, leases of
/// `ttl_s` seconds.
fn workspace(server: &MockServer, db_url: &str, ttl_s: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("connectors")).unwrap();
    std::fs::write(
        dir.path().join("connectors/mock.toml"),
        format!(
            "style = \"openedx\"\nbase_url = \"{}\"\nrequests_per_minute = 60000\npage_size = 2\ntimeout_seconds = 30\n",
            server.uri()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("coursefed.toml"),
        format!("database_url = \"{db_url}\"\nconnectors_dir = \"connectors\"\n[daemon]\nlease_ttl_seconds = {ttl_s}\n"),
    )
    .unwrap();
    dir
}

fn coursefed(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coursefed"));
    c.current_dir(dir)
        .arg("--config")
        .arg(dir.join("coursefed.toml"))
        .env_remove("COURSEFED_DATABASE_URL")
        .env_remove("COURSEFED_CONNECTORS_DIR")
        .stdin(Stdio::null());
    c
}

async fn sync_killed_mid_run_leaves_the_catalogue_and_is_taken_over(db: &TestDb) {
    let server = MockServer::start().await;
    serve(&server, 4, Duration::ZERO).await;
    let dir = workspace(&server, &db.url, 2);
    let first = coursefed(dir.path())
        .args(["sync", "mock"])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = db
        .store
        .listings_page(&ListingFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(before.len(), 4);

    server.reset().await;
    serve(&server, 8, Duration::from_secs(30)).await;
    let mut child = coursefed(dir.path())
        .args(["sync", "mock"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Mid-run: the first page has been asked for (and is being held back).
    for _ in 0..200 {
        if !server.received_requests().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "the run is mid-way"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let after = db
        .store
        .listings_page(&ListingFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(after, before, "the previous catalogue is intact");
    let mut out = Vec::new();
    assert_eq!(
        coursefed::export::export_jsonl(&db.store, &ListingFilter::default(), &mut out)
            .await
            .unwrap(),
        4
    );
    let ledger = db.store.list_runs(Some("mock"), 1).await.unwrap();
    assert_eq!(
        ledger[0].outcome,
        RunOutcome::Running,
        "the killed run could record nothing"
    );
    let killed = ledger[0].id;

    server.reset().await;
    serve(&server, 4, Duration::ZERO).await;
    // The dead holder's lease still stands: a manual sync is refused, quickly, by name.
    let refused = coursefed(dir.path())
        .args(["sync", "mock"])
        .output()
        .unwrap();
    if db
        .store
        .lease_of("mock")
        .await
        .unwrap()
        .is_some_and(|l| l.expires_at > chrono::Utc::now())
    {
        assert_eq!(refused.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("source mock is being synced by"),
            "{stderr}"
        );
    }
    // Once it expires, the next sync takes over.
    while db
        .store
        .lease_of("mock")
        .await
        .unwrap()
        .is_some_and(|l| l.expires_at > chrono::Utc::now())
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let next = coursefed(dir.path())
        .args(["sync", "mock", "--json"])
        .output()
        .unwrap();
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    let runs = db.store.list_runs(Some("mock"), 10).await.unwrap();
    let killed_row = runs.iter().find(|r| r.id == killed).unwrap();
    assert_eq!(killed_row.outcome, RunOutcome::Abandoned);
    assert_eq!(runs[0].outcome, RunOutcome::Succeeded);
    assert!(runs.iter().all(|r| r.outcome != RunOutcome::Running));
}

on_both_backends!(
    lease_is_exclusive_until_it_expires,
    reclaim_abandons_the_crashed_holders_running_run,
    concurrent_takers_have_exactly_one_winner,
    sync_of_a_source_held_elsewhere_ends_at_once_naming_the_holder,
    heartbeat_keeps_a_long_run_leased,
    cancelled_run_is_abandoned_and_releases_its_lease,
    sync_killed_mid_run_leaves_the_catalogue_and_is_taken_over,
);
