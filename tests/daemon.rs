//! `coursefed run` as a child process: three daemons against one PostgreSQL database and
//! one mock platform never overlap a source's runs; SIGTERM lets a short run finish,
//! abandons one past the grace period, leaves no `running` ledger row and exits 0; the
//! daemon serves /healthz and the sync metrics.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coursefed::domain::RunOutcome;
use coursefed::store::Store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Serves every source's catalogue (two pages) and logs, in arrival order, which source
/// asked for which page.
#[derive(Clone)]
struct Platform {
    uri: String,
    delay: Duration,
    log: Arc<Mutex<Vec<(String, u32)>>>,
}

impl Respond for Platform {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let source = r
            .url
            .path()
            .split('/')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let page: u32 = r
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        self.log.lock().unwrap().push((source.clone(), page));
        let items: Vec<Value> = (0..2)
            .map(|i| {
                let n = (page - 1) * 2 + i;
                json!({"id": format!("course-v1:{source}+{n}x+2T2025"), "name": format!("{source} {n}"),
                       "start": "2025-09-01T12:00:00Z", "pacing": "self"})
            })
            .collect();
        let next = (page < 2).then(|| {
            format!(
                "{}/{source}/api/courses/v1/courses/?page=2&page_size=2",
                self.uri
            )
        });
        ResponseTemplate::new(200)
            .set_body_json(json!({"results": items, "pagination": {"next": next, "count": 4}}))
            .set_delay(self.delay)
    }
}

async fn platform(delay: Duration) -> (MockServer, Platform) {
    let server = MockServer::start().await;
    let p = Platform {
        uri: server.uri(),
        delay,
        log: Arc::new(Mutex::new(Vec::new())),
    };
    Mock::given(method("GET"))
        .and(path_regex(r"^/[a-z]+/api/courses/v1/courses/$"))
        .and(query_param("page_size", "2"))
        .respond_with(p.clone())
        .mount(&server)
        .await;
    (server, p)
}

/// A config dir: `sources` on the platform, polled every second.
fn workspace(uri: &str, db_url: &str, sources: &[&str], daemon: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("connectors")).unwrap();
    for s in sources {
        std::fs::write(
            dir.path().join(format!("connectors/{s}.toml")),
            format!(
                "style = \"openedx\"\nbase_url = \"{uri}/{s}\"\nrequests_per_minute = 60000\npage_size = 2\nschedule = \"* * * * * *\"\n"
            ),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("coursefed.toml"),
        format!(
            "database_url = \"{db_url}\"\nconnectors_dir = \"connectors\"\n[daemon]\n{daemon}\n"
        ),
    )
    .unwrap();
    dir
}

fn spawn_daemon(dir: &Path, listen: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_coursefed"))
        .current_dir(dir)
        .args([
            "--config",
            "coursefed.toml",
            "--log-json",
            "run",
            "--listen",
            listen,
        ])
        .env_remove("COURSEFED_DATABASE_URL")
        .env_remove("COURSEFED_CONNECTORS_DIR")
        .env("RUST_LOG", "info,sqlx=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits for the child to exit (at most `limit`) and returns its code and the fields of
/// its "Daemon stopped." log line.
fn finish(mut child: Child, limit: Duration) -> (Option<i32>, Value) {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the daemon did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["message"] == "Daemon stopped.")
        .unwrap_or_else(|| panic!("no summary line in:\n{stderr}"));
    (out.status.code(), summary["fields"].clone())
}

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

async fn wait_for(mut f: impl FnMut() -> bool, limit: Duration) {
    let started = Instant::now();
    while !f() {
        assert!(
            started.elapsed() < limit,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn three_daemons_on_one_postgres_never_overlap_a_source() {
    let Some(db) = common::db::postgres().await else {
        return;
    };
    // Three daemons × two sources × one tick a second for 18 s: about 100 ticks.
    daemons_never_overlap_a_source(&db, 3, Duration::from_secs(18), 75).await;
    db.cleanup().await;
}

/// The same on one SQLite file: two daemons, two processes writing one database.
#[tokio::test]
async fn two_daemons_on_one_sqlite_file_never_overlap_a_source() {
    let db = common::db::sqlite().await;
    daemons_never_overlap_a_source(&db, 2, Duration::from_secs(6), 12).await;
    db.cleanup().await;
}

/// Runs `n` daemons for `run_for` against one database and one platform, two sources
/// ticking every second, then checks from the ledger and the platform's request log that
/// no two runs of a source overlapped.
async fn daemons_never_overlap_a_source(
    db: &common::db::TestDb,
    n: usize,
    run_for: Duration,
    min_ticks: u64,
) {
    let (_server, platform) = platform(Duration::from_millis(120)).await;
    let sources = ["alpha", "beta"];
    let dir = workspace(
        &platform.uri,
        &db.url,
        &sources,
        "max_concurrent_runs = 2\nmax_jitter_ms = 300\nlease_ttl_seconds = 5\nshutdown_grace_seconds = 10",
    );
    let daemons: Vec<Child> = (0..n)
        .map(|_| spawn_daemon(dir.path(), "127.0.0.1:0"))
        .collect();
    tokio::time::sleep(run_for).await;
    for d in &daemons {
        sigterm(d);
    }
    let (mut ticks, mut busy) = (0, 0);
    for d in daemons {
        let (code, summary) = finish(d, Duration::from_secs(20));
        assert_eq!(code, Some(0), "{summary}");
        ticks += summary["ticks"].as_u64().unwrap();
        busy += summary["busy"].as_u64().unwrap();
    }
    assert!(
        ticks >= min_ticks,
        "at least {min_ticks} scheduled ticks expected, got {ticks}"
    );

    let store: &Store = &db.store;
    let mut total_runs = 0;
    for s in sources {
        let mut runs = store.list_runs(Some(s), 10_000).await.unwrap();
        runs.sort_by_key(|r| r.started_at);
        assert!(runs.len() >= 3, "{s}: only {} runs", runs.len());
        total_runs += runs.len();
        for r in &runs {
            assert_ne!(
                r.outcome,
                RunOutcome::Running,
                "{s}: run {} left running",
                r.id
            );
            assert_eq!(
                r.outcome,
                RunOutcome::Succeeded,
                "{s}: run {}: {:?}",
                r.id,
                r.first_error
            );
        }
        for pair in runs.windows(2) {
            let end = pair[0].finished_at.unwrap();
            assert!(
                end <= pair[1].started_at,
                "{s}: run {} ({} – {end}) overlaps run {} (from {})",
                pair[0].id,
                pair[0].started_at,
                pair[1].id,
                pair[1].started_at
            );
        }
        assert!(
            store.lease_of(s).await.unwrap().is_none(),
            "{s}: lease released"
        );
    }
    // The platform saw each source's pages strictly as page 1, page 2, page 1, page 2…:
    // a second run starting mid-way would have asked for page 1 twice in a row.
    let log = platform.log.lock().unwrap().clone();
    let mut by_source: HashMap<&str, Vec<u32>> = HashMap::new();
    for (s, p) in &log {
        by_source.entry(s.as_str()).or_default().push(*p);
    }
    for s in sources {
        let pages = &by_source[s];
        for (i, p) in pages.iter().enumerate() {
            assert_eq!(
                *p,
                (i % 2) as u32 + 1,
                "{s}: request {i} out of order: {pages:?}"
            );
        }
    }
    assert_eq!(
        log.len(),
        total_runs * 2,
        "every run fetched its two pages, no more"
    );
    assert!(busy > 0, "the daemons did contend for the leases");
    eprintln!("{ticks} ticks, {total_runs} runs, {busy} refused by a lease held elsewhere");
}

#[tokio::test]
async fn tick_is_skipped_while_the_source_still_runs_here() {
    let db = common::db::sqlite().await;
    // Two pages of 1.5 s each: a run spans several one-second ticks.
    let (_server, platform) = platform(Duration::from_millis(1500)).await;
    let dir = workspace(
        &platform.uri,
        &db.url,
        &["alpha"],
        "max_jitter_ms = 0\nshutdown_grace_seconds = 20",
    );
    let listen = free_port();
    let daemon = spawn_daemon(dir.path(), &listen);
    let log = Arc::clone(&platform.log);
    wait_for(|| log.lock().unwrap().len() >= 2, Duration::from_secs(10)).await;
    let metrics = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    sigterm(&daemon);
    let (code, summary) = finish(daemon, Duration::from_secs(20));
    assert_eq!(code, Some(0));
    assert!(summary["skipped"].as_u64().unwrap() >= 1, "{summary}");
    // The skipped ticks are exported (the second page is served 1.5 s after the first:
    // at least one one-second tick fell inside the run by then).
    let skipped = metrics
        .lines()
        .find_map(|l| l.strip_prefix("coursefed_daemon_ticks_skipped_total{source=\"alpha\"} "))
        .unwrap_or_else(|| panic!("no skipped-tick counter in:\n{metrics}"));
    assert!(skipped.trim().parse::<f64>().unwrap() >= 1.0, "{metrics}");
    assert!(metrics.contains("coursefed_daemon_ticks_total{source=\"alpha\"}"));
    assert_eq!(
        summary["busy"].as_u64(),
        Some(0),
        "skipped locally, not refused by the lease: {summary}"
    );
    let runs = db.store.list_runs(Some("alpha"), 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, RunOutcome::Succeeded);
    assert_eq!(
        platform.log.lock().unwrap().clone(),
        [("alpha".to_owned(), 1), ("alpha".to_owned(), 2)]
    );
    db.cleanup().await;
}

#[tokio::test]
async fn sigterm_lets_a_short_run_finish_and_exits_0() {
    let db = common::db::sqlite().await;
    let (_server, platform) = platform(Duration::from_millis(700)).await;
    let listen = free_port();
    let dir = workspace(
        &platform.uri,
        &db.url,
        &["alpha"],
        "max_jitter_ms = 0\nshutdown_grace_seconds = 20",
    );
    let daemon = spawn_daemon(dir.path(), &listen);
    let log = Arc::clone(&platform.log);
    wait_for(|| !log.lock().unwrap().is_empty(), Duration::from_secs(10)).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{listen}/healthz"))
        .send()
        .await
        .unwrap();
    assert!(health.status().is_success());
    sigterm(&daemon);
    let (code, summary) = finish(daemon, Duration::from_secs(20));
    assert_eq!(code, Some(0));
    assert_eq!(summary["succeeded"].as_u64(), Some(1), "{summary}");
    let runs = db.store.list_runs(Some("alpha"), 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].outcome,
        RunOutcome::Succeeded,
        "the running sync finished in the grace period"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn sigterm_abandons_a_run_past_the_grace_period_and_exits_0() {
    let db = common::db::sqlite().await;
    let (_server, platform) = platform(Duration::from_secs(30)).await;
    let dir = workspace(
        &platform.uri,
        &db.url,
        &["alpha"],
        "max_jitter_ms = 0\nshutdown_grace_seconds = 1",
    );
    let daemon = spawn_daemon(dir.path(), "127.0.0.1:0");
    let log = Arc::clone(&platform.log);
    wait_for(|| !log.lock().unwrap().is_empty(), Duration::from_secs(10)).await;
    sigterm(&daemon);
    let (code, summary) = finish(daemon, Duration::from_secs(10));
    assert_eq!(code, Some(0));
    assert_eq!(summary["abandoned"].as_u64(), Some(1), "{summary}");
    let runs = db.store.list_runs(Some("alpha"), 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, RunOutcome::Abandoned);
    assert!(
        runs[0]
            .first_error
            .as_deref()
            .unwrap_or_default()
            .contains("shutting down")
    );
    assert!(
        db.store.lease_of("alpha").await.unwrap().is_none(),
        "lease released"
    );
    assert_eq!(
        db.store.count_listings("alpha").await.unwrap(),
        (0, 0),
        "nothing half-written"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn daemon_serves_the_sync_metrics() {
    let db = common::db::sqlite().await;
    let (_server, platform) = platform(Duration::ZERO).await;
    let listen = free_port();
    let dir = workspace(&platform.uri, &db.url, &["alpha"], "max_jitter_ms = 0");
    let daemon = spawn_daemon(dir.path(), &listen);
    let store = db.store.clone();
    let started = Instant::now();
    loop {
        let runs = store.list_runs(Some("alpha"), 1).await.unwrap();
        if runs
            .first()
            .is_some_and(|r| r.outcome == RunOutcome::Succeeded)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no run finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    sigterm(&daemon);
    let (code, _) = finish(daemon, Duration::from_secs(20));
    assert_eq!(code, Some(0));
    for needle in [
        "coursefed_sync_runs_total{source=\"alpha\",outcome=\"succeeded\"}",
        "coursefed_sync_pages_total{source=\"alpha\"}",
        "coursefed_sync_records_total{source=\"alpha\"}",
        "coursefed_sync_run_duration_seconds_bucket{source=\"alpha\"",
        "coursefed_sync_last_success_timestamp_seconds{source=\"alpha\"}",
    ] {
        assert!(body.contains(needle), "{needle} missing from:\n{body}");
    }
    db.cleanup().await;
}

/// One source file `mock.toml` on `uri` (default schedule: every six hours).
fn mock_source(uri: &str) -> coursefed::config::SourceConfig {
    coursefed::config::SourceConfig::from_toml(
        coursefed::domain::SourceId::parse("mock").unwrap(),
        Path::new("mock.toml"),
        &format!("style = \"openedx\"\nbase_url = \"{uri}\"\nrequests_per_minute = 60000\npage_size = 2\n"),
    )
    .unwrap()
}

async fn serve_items(server: &MockServer, items: Vec<Value>) {
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(items)))
        .mount(server)
        .await;
}

fn course(n: usize) -> Value {
    json!({"id": format!("course-v1:MITx+{n}x+2T2025"), "name": format!("Course {n}"), "pacing": "self"})
}

async fn source_health_reports_runs_listings_and_freshness(db: &common::db::TestDb) {
    let server = MockServer::start().await;
    let src = mock_source(&server.uri());
    let never = coursefed::config::SourceConfig::from_toml(
        coursefed::domain::SourceId::parse("idle").unwrap(),
        Path::new("idle.toml"),
        "style = \"openedx\"\nbase_url = \"http://127.0.0.1:9\"\nschedule = \"0 0 3 * * *\"\n",
    )
    .unwrap();
    let client = coursefed::fetch::HttpClient::new().unwrap();
    serve_items(&server, (0..4).map(course).collect()).await;
    let first = coursefed::sync::sync_source(&db.store, &client, &src, None)
        .await
        .unwrap();
    assert_eq!(first.outcome, RunOutcome::Succeeded);
    serve_items(
        &server,
        vec![course(0), json!({"id": "no key", "name": "Broken"})],
    )
    .await;
    let second = coursefed::sync::sync_source(&db.store, &client, &src, None)
        .await
        .unwrap();
    assert_eq!(second.outcome, RunOutcome::Suspect);
    db.store
        .take_lease("mock", "elsewhere:7", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();

    let now = chrono::Utc::now();
    let health = db.store.source_health(&[src, never], now).await.unwrap();
    let h = &health[0];
    let last = h.last_run.as_ref().unwrap();
    assert_eq!(
        (last.id, last.outcome),
        (second.run_id, RunOutcome::Suspect)
    );
    assert!(last.first_error.as_deref().unwrap().contains("volume drop"));
    assert_eq!(h.last_run_rejects, 1);
    let first_row = db.store.sync_run(first.run_id).await.unwrap().unwrap();
    assert_eq!(
        h.last_success_at, first_row.finished_at,
        "a suspect run is not a success"
    );
    assert_eq!((h.active_listings, h.withdrawn_listings), (4, 0));
    assert!(h.next_run_at.unwrap() > now);
    assert_eq!(h.freshness, coursefed::store::Freshness::Fresh);
    assert_eq!(h.freshness_lag_seconds, Some(0));
    assert_eq!(h.lease.as_ref().unwrap().holder, "elsewhere:7");

    let idle = &health[1];
    assert!(idle.last_run.is_none() && idle.last_success_at.is_none());
    assert_eq!(idle.freshness, coursefed::store::Freshness::Never);
    assert_eq!(idle.freshness_lag_seconds, None);
    assert_eq!(
        idle.next_run_at
            .map(|t| t.format("%H:%M:%S").to_string())
            .as_deref(),
        Some("03:00:00")
    );
}

on_both_backends!(source_health_reports_runs_listings_and_freshness);

#[tokio::test]
async fn sources_and_runs_commands_print_the_ledger_as_json() {
    let db = common::db::sqlite().await;
    let server = MockServer::start().await;
    serve_items(
        &server,
        vec![course(1), json!({"id": "no key", "name": "Broken"})],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("connectors")).unwrap();
    std::fs::write(
        dir.path().join("connectors/mock.toml"),
        format!(
            "style = \"openedx\"\nbase_url = \"{}\"\nrequests_per_minute = 60000\n",
            server.uri()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("coursefed.toml"),
        format!(
            "database_url = \"{}\"\nconnectors_dir = \"connectors\"\n",
            db.url
        ),
    )
    .unwrap();
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_coursefed"))
            .current_dir(dir.path())
            .args(["--config", "coursefed.toml"])
            .args(args)
            .env_remove("COURSEFED_DATABASE_URL")
            .env_remove("COURSEFED_CONNECTORS_DIR")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = cli(&["sync", "mock"]);
    assert_eq!(code, Some(0), "{err}");

    let (code, out, err) = cli(&["sources", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let s = &v[0];
    assert_eq!(s["id"], "mock");
    assert_eq!(s["last_run"]["outcome"], "succeeded");
    assert_eq!(s["active_listings"], 1);
    assert_eq!(s["withdrawn_listings"], 0);
    assert_eq!(s["last_run_rejects"], 1);
    assert_eq!(s["freshness"], "fresh");
    for key in [
        "last_success_at",
        "next_run_at",
        "freshness_lag_seconds",
        "lease",
    ] {
        assert!(s.get(key).is_some(), "{key} missing: {s}");
    }

    let (code, out, _) = cli(&["runs", "mock", "--json", "--limit", "5"]);
    assert_eq!(code, Some(0));
    let runs: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    let id = runs[0]["id"].as_i64().unwrap();

    let (code, out, _) = cli(&["runs", "show", &id.to_string(), "--json"]);
    assert_eq!(code, Some(0));
    let run: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(run["outcome"], "succeeded");
    assert_eq!(run["rejects"][0]["field"], "id");
    assert!(!run["rejects"][0]["reason"].as_str().unwrap().is_empty());

    let (code, out, _) = cli(&["runs", "show", &id.to_string()]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("rejected 1") && out.contains("no key"),
        "{out}"
    );
    assert_eq!(
        cli(&["runs", "show", "99999"]).0,
        Some(2),
        "an unknown run is a usage error"
    );
    assert_eq!(
        cli(&["runs", "nosuch"]).0,
        Some(2),
        "an unknown source is a usage error"
    );
    db.cleanup().await;
}

/// `coursefed run` serves the API with the configured `[api]` options: the admin token of
/// the file turns the admin endpoints on (401 without it, accepted with it), as under
/// `coursefed serve`.
#[tokio::test]
async fn daemon_serves_the_api_with_the_configured_admin_token() {
    let db = common::db::sqlite().await;
    let (_server, platform) = platform(Duration::ZERO).await;
    let listen = free_port();
    let dir = workspace(
        &platform.uri,
        &db.url,
        &["alpha"],
        "max_jitter_ms = 0\n[api]\nadmin_token = \"s3cret-token\"",
    );
    let daemon = spawn_daemon(dir.path(), &listen);
    let client = reqwest::Client::new();
    let url = format!("http://{listen}/v1/sources/alpha/sync");
    let started = Instant::now();
    let anonymous = loop {
        match client.post(&url).send().await {
            Ok(r) => break r.status().as_u16(),
            Err(_) => {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the daemon's API never answered"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let authorised = client
        .post(&url)
        .bearer_auth("s3cret-token")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    sigterm(&daemon);
    let (code, _) = finish(daemon, Duration::from_secs(20));
    assert_eq!(code, Some(0));
    assert_eq!(
        anonymous, 401,
        "admin endpoints must be on, and refuse no token"
    );
    assert!(
        [202, 409].contains(&authorised),
        "the configured token must be accepted, got {authorised}"
    );
    db.cleanup().await;
}
