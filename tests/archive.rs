//! The raw page archive against a mock Thai MOOC portal (wiremock on loopback) serving the
//! recorded fixtures, on both backends: every page archived, conditional GET from the
//! archive, retention, and replay of a run without fetching.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::db::TestDb;
use coursefed::config::SourceConfig;
use coursefed::domain::{ListingDraft, RunOutcome, SourceId};
use coursefed::fetch::HttpClient;
use coursefed::store::{ListingFilter, NewRawPage, RawPage, Store};
use coursefed::sync::{ReplayError, SyncReport, replay_source, sync_source};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---- helpers ---------------------------------------------------------------------------

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/thaimooc")
}

fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The codes that have a recorded course page (`pages/{code}.html`), sorted.
fn page_codes() -> Vec<String> {
    let mut codes: Vec<String> = std::fs::read_dir(fixtures().join("pages"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            p.file_stem().unwrap().to_str().unwrap().to_owned()
        })
        .collect();
    codes.sort();
    codes
}

fn etag(code: &str) -> String {
    format!("\"v1-{code}\"")
}

/// `/api/{courses,institutions,instructors}` and `/courses/{code}` for each recorded page
/// (with an `ETag`); anything else is 404. A request carrying a page's `If-None-Match`
/// gets 304 — `expect_304` of them, if given.
async fn serve_fixtures(expect_304: Option<u64>) -> MockServer {
    let server = MockServer::start().await;
    for what in ["courses", "institutions", "instructors"] {
        Mock::given(method("GET"))
            .and(path(format!("/api/{what}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                fixture(&format!("{what}.json")),
                "application/json; charset=utf-8",
            ))
            .mount(&server)
            .await;
    }
    for code in page_codes() {
        let mut not_modified = Mock::given(method("GET"))
            .and(path(format!("/courses/{code}")))
            .and(header("if-none-match", etag(&code).as_str()))
            .respond_with(ResponseTemplate::new(304).insert_header("etag", etag(&code)))
            .with_priority(1);
        if let Some(n) = expect_304 {
            // Each page is revalidated `n` times in all.
            not_modified = not_modified.expect(n);
        }
        not_modified.mount(&server).await;
        Mock::given(method("GET"))
            .and(path(format!("/courses/{code}")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(
                        fixture(&format!("pages/{code}.html")),
                        "text/html; charset=utf-8",
                    )
                    .insert_header("etag", etag(&code)),
            )
            .mount(&server)
            .await;
    }
    server
}

fn config(uri: &str, extra: &str) -> SourceConfig {
    let text = format!(
        "style = \"thaimooc\"\nbase_url = \"{uri}\"\ntimezone = \"Asia/Bangkok\"\n\
         requests_per_minute = 60000\nmax_attempts = 1\ntimeout_seconds = 5\n{extra}"
    );
    SourceConfig::from_toml(
        SourceId::parse("thaimooc").unwrap(),
        Path::new("connectors/thaimooc.toml"),
        &text,
    )
    .unwrap()
}

async fn sync(store: &Store, source: &SourceConfig) -> SyncReport {
    let client = HttpClient::new().unwrap();
    let report = sync_source(store, &client, source, None).await.unwrap();
    assert_eq!(report.outcome, RunOutcome::Succeeded, "{:?}", report.error);
    report
}

/// The stored listings as (public id, status, draft), in id order.
async fn catalogue(store: &Store) -> Vec<(String, String, ListingDraft)> {
    let mut rows: Vec<_> = store
        .listings_page(&ListingFilter::default(), None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.status.as_str().to_owned(), l.draft))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

fn decompress(page: &RawPage) -> Vec<u8> {
    let mut body = Vec::new();
    flate2::read::GzDecoder::new(page.body.as_slice())
        .read_to_end(&mut body)
        .unwrap();
    body
}

/// Copies `pages` into a new run of `source` in `store` (all but the request keys `skip`
/// ends with); returns the new run's id.
async fn copy_run(store: &Store, source: &SourceConfig, pages: &[RawPage], skip: &str) -> i64 {
    store.upsert_source(source).await.unwrap();
    let run_id = store.begin_run(source.id.as_str()).await.unwrap();
    for p in pages
        .iter()
        .filter(|p| skip.is_empty() || !p.request_key.ends_with(skip))
    {
        store
            .insert_raw_page(&NewRawPage {
                run_id,
                source_id: &p.source_id,
                request_key: &p.request_key,
                url: &p.url,
                status: p.status,
                headers: &p.headers,
                body: &p.body,
                body_size: p.body_size,
                content_hash: &p.content_hash,
                reused_from: p.reused_from,
                fetched_at: p.fetched_at,
            })
            .await
            .unwrap();
    }
    run_id
}

// ---- tests -----------------------------------------------------------------------------

async fn sync_archives_every_page_with_status_url_and_hash(db: &TestDb) {
    let server = serve_fixtures(None).await;
    let cfg = config(&server.uri(), "");
    let report = sync(&db.store, &cfg).await;
    let pages = db.store.run_raw_pages(report.run_id).await.unwrap();

    let ok: Vec<&RawPage> = pages.iter().filter(|p| p.status == 200).collect();
    assert_eq!(ok.len() as u64, report.stats.pages);
    assert_eq!(ok.len(), 3 + page_codes().len());
    // The catalogue's courses without a recorded page met a 404, archived too so a replay
    // meets it again.
    let missing: Vec<&str> = pages
        .iter()
        .filter(|p| p.status == 404)
        .map(|p| p.url.as_str())
        .collect();
    assert_eq!(missing.len(), 2, "{missing:?}");
    assert_eq!(pages.len(), ok.len() + missing.len());

    let courses = ok
        .iter()
        .find(|p| p.url.ends_with("/api/courses"))
        .expect("the catalogue is archived");
    assert_eq!(
        courses.request_key,
        format!("GET {}/api/courses", server.uri())
    );
    assert_eq!(
        courses.content_hash,
        blake3::hash(&fixture("courses.json")).to_hex().as_str()
    );
    assert_eq!(decompress(courses), fixture("courses.json"));
    assert!(courses.headers.contains("application/json"));

    let (mut raw, mut stored) = (0u64, 0u64);
    for code in page_codes() {
        let url = format!("{}/courses/{code}", server.uri());
        let page = ok
            .iter()
            .find(|p| p.url == url)
            .unwrap_or_else(|| panic!("{url} archived"));
        let body = fixture(&format!("pages/{code}.html"));
        assert_eq!(page.content_hash, blake3::hash(&body).to_hex().as_str());
        assert_eq!(page.body_size, body.len() as u64);
        assert!(page.headers.contains(&etag(&code).replace('"', "\\\"")));
        raw += page.body_size;
        stored += page.body.len() as u64;
    }
    eprintln!(
        "course pages: {} pages, {raw} bytes, {stored} bytes archived ({:.1}x)",
        page_codes().len(),
        raw as f64 / stored as f64
    );
    // Small recorded pages (~1.6 KB each) shrink about 1.8× at the fast gzip level the
    // archive uses; real 50 KB pages shrink more.
    assert!(
        stored * 3 < raw * 2,
        "pages are stored compressed: {stored} of {raw} bytes"
    );
    let all_raw: u64 = pages.iter().map(|p| p.body_size).sum();
    let all_stored: u64 = pages.iter().map(|p| p.body.len() as u64).sum();
    eprintln!(
        "whole run: {} rows, {all_raw} bytes, {all_stored} bytes archived",
        pages.len()
    );
}

async fn second_run_revalidates_course_pages_with_if_none_match(db: &TestDb) {
    let server = serve_fixtures(Some(1)).await;
    let cfg = config(&server.uri(), "");
    let first = sync(&db.store, &cfg).await;
    let before = catalogue(&db.store).await;

    let second = sync(&db.store, &cfg).await;
    server.verify().await;
    assert_eq!(second.stats.pages, first.stats.pages);
    assert_eq!(second.stats.created, 0);
    assert_eq!(
        second.stats.updated, 0,
        "revalidated pages carry their body"
    );
    assert_eq!(second.stats.unchanged, first.stats.created);
    assert_eq!(catalogue(&db.store).await, before);

    let pages = db.store.run_raw_pages(second.run_id).await.unwrap();
    let revalidated: Vec<&RawPage> = pages.iter().filter(|p| p.status == 304).collect();
    assert_eq!(revalidated.len(), page_codes().len());
    for p in revalidated {
        assert!(p.reused_from.is_some());
        assert_eq!(decompress(p).len() as u64, p.body_size);
    }
}

async fn retention_keeps_the_newest_runs_and_revalidation_survives_it(db: &TestDb) {
    let server = serve_fixtures(None).await;
    let cfg = config(&server.uri(), "archive_runs = 2");
    let mut reports = Vec::new();
    for _ in 0..4 {
        reports.push(sync(&db.store, &cfg).await);
    }
    let ids: Vec<i64> = reports.iter().rev().map(|r| r.run_id).collect();
    assert_eq!(db.store.archived_runs("thaimooc").await.unwrap(), ids[..2]);
    assert!(db.store.run_raw_pages(ids[3]).await.unwrap().is_empty());
    // The run that fetched the bodies first is gone; the newest run's 304 rows hold their
    // own copies, so revalidation and replay still work.
    let fifth = sync(&db.store, &cfg).await;
    assert_eq!(fifth.stats.updated, 0);
    let replayed = replay_source(&db.store, &cfg, None).await.unwrap();
    assert_eq!(
        replayed.outcome,
        RunOutcome::Succeeded,
        "{:?}",
        replayed.error
    );
    assert_eq!(replayed.stats.unchanged, reports[0].stats.created);
}

async fn replay_reproduces_the_catalogue_without_http(db: &TestDb) {
    let server = serve_fixtures(None).await;
    let cfg = config(&server.uri(), "");
    let run = sync(&db.store, &cfg).await;
    let before = catalogue(&db.store).await;
    let counts = db.store.count_listings("thaimooc").await.unwrap();

    server.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let replayed = replay_source(&db.store, &cfg, None).await.unwrap();
    server.verify().await;

    assert_eq!(
        replayed.outcome,
        RunOutcome::Succeeded,
        "{:?}",
        replayed.error
    );
    assert_ne!(replayed.run_id, run.run_id);
    assert_eq!(replayed.stats.pages, run.stats.pages);
    assert_eq!(replayed.stats.seen, run.stats.seen);
    assert_eq!(replayed.stats.rejected, run.stats.rejected);
    assert_eq!(
        (
            replayed.stats.created,
            replayed.stats.updated,
            replayed.stats.withdrawn
        ),
        (0, 0, 0)
    );
    assert_eq!(replayed.stats.unchanged, run.stats.created);
    assert_eq!(db.store.count_listings("thaimooc").await.unwrap(), counts);
    assert_eq!(catalogue(&db.store).await, before);
    // A replay archives nothing of its own, so it never pushes real runs out.
    assert_eq!(
        db.store.archived_runs("thaimooc").await.unwrap(),
        [run.run_id]
    );
}

async fn replay_into_a_fresh_database_gives_the_same_listings(db: &TestDb) {
    let server = serve_fixtures(None).await;
    let cfg = config(&server.uri(), "");
    let run = sync(&db.store, &cfg).await;
    let expected = catalogue(&db.store).await;
    let pages = db.store.run_raw_pages(run.run_id).await.unwrap();
    drop(server);

    let fresh = if db.store.backend_name() == "sqlite" {
        common::db::sqlite().await
    } else {
        common::db::postgres().await.expect("PostgreSQL configured")
    };
    let copied = copy_run(&fresh.store, &cfg, &pages, "").await;
    let replayed = replay_source(&fresh.store, &cfg, Some(copied))
        .await
        .unwrap();
    assert_eq!(
        replayed.outcome,
        RunOutcome::Succeeded,
        "{:?}",
        replayed.error
    );
    assert_eq!(replayed.stats.created, run.stats.created);
    assert_eq!(catalogue(&fresh.store).await, expected);
    fresh.cleanup().await;
}

async fn replay_of_a_run_missing_a_request_fails_naming_it_and_changes_nothing(db: &TestDb) {
    let server = serve_fixtures(None).await;
    let cfg = config(&server.uri(), "");
    let run = sync(&db.store, &cfg).await;
    let before = catalogue(&db.store).await;
    let changes = db.store.changes_after(0, 10_000).await.unwrap().len();
    let pages = db.store.run_raw_pages(run.run_id).await.unwrap();
    drop(server);

    let gap = copy_run(&db.store, &cfg, &pages, "/courses/NU00436").await;
    let replayed = replay_source(&db.store, &cfg, Some(gap)).await.unwrap();
    assert_eq!(replayed.outcome, RunOutcome::Failed);
    let error = replayed.error.unwrap_or_default();
    assert!(
        error.contains(&format!("run {gap}"))
            && error.contains("GET http://")
            && error.contains("/courses/NU00436"),
        "{error}"
    );
    assert_eq!(catalogue(&db.store).await, before);
    assert_eq!(
        db.store.changes_after(0, 10_000).await.unwrap().len(),
        changes
    );
    let ledger = db.store.list_runs(Some("thaimooc"), 1).await.unwrap();
    assert_eq!(ledger[0].id, replayed.run_id);
    assert_eq!(ledger[0].first_error.as_deref(), Some(error.as_str()));
}

async fn replay_without_an_archived_run_is_refused(db: &TestDb) {
    let cfg = config("http://127.0.0.1:9", "");
    assert!(matches!(
        replay_source(&db.store, &cfg, None).await,
        Err(ReplayError::NothingToReplay { .. })
    ));
    assert!(matches!(
        replay_source(&db.store, &cfg, Some(42)).await,
        Err(ReplayError::UnknownRun { run_id: 42, .. })
    ));
}

on_both_backends!(
    sync_archives_every_page_with_status_url_and_hash,
    second_run_revalidates_course_pages_with_if_none_match,
    retention_keeps_the_newest_runs_and_revalidation_survives_it,
    replay_reproduces_the_catalogue_without_http,
    replay_into_a_fresh_database_gives_the_same_listings,
    replay_of_a_run_missing_a_request_fails_naming_it_and_changes_nothing,
    replay_without_an_archived_run_is_refused,
);
