//! Store conformance: every behaviour on SQLite and on PostgreSQL.

mod common;

use chrono::{TimeZone, Utc};
use common::db::TestDb;
use coursefed::config::SourceConfig;
use coursefed::domain::{
    Access, Effort, ListingDraft, ListingStatus, Pacing, RawDates, Rejection, RunDraft, RunOutcome,
    SourceId,
};
use coursefed::store::{ListingFilter, RunStats, Store};

fn source() -> SourceConfig {
    SourceConfig::from_toml(
        SourceId::parse("edx").unwrap(),
        std::path::Path::new("edx.toml"),
        "style = \"openedx\"\nbase_url = \"https://courses.example.org\"\n",
    )
    .unwrap()
}

/// A title per id that the dedup matcher cannot mistake for another id's (titles that
/// differ only in a trailing number are one course to it).
fn title_of(id: &str) -> String {
    const TOPICS: [&str; 6] = [
        "Linear Algebra",
        "Organic Chemistry",
        "Medieval History",
        "Game Theory",
        "Marine Biology",
        "Jazz Harmony",
    ];
    let n: usize = id.bytes().map(usize::from).sum();
    format!("{} {id}", TOPICS[n % TOPICS.len()])
}

fn draft(id: &str) -> ListingDraft {
    ListingDraft {
        external_id: id.into(),
        url: Some(format!(
            "https://courses.example.org/courses/course-v1:{id}+1T2025/about"
        )),
        title: title_of(id),
        titles: [("en".to_owned(), title_of(id))].into(),
        short_description: Some("Short.".into()),
        description_html: Some("<p>Long</p>".into()),
        description_text: Some("Long".into()),
        institutions: vec!["MITx".into()],
        instructors: vec!["Ada Lovelace".into()],
        languages: vec!["en".into()],
        subjects: vec!["Computer Science".into()],
        level: Some("Introductory".into()),
        image_url: Some("https://courses.example.org/img.jpg".into()),
        video_url: None,
        effort: Some(Effort {
            text: Some("4-6 hours/week".into()),
            hours_per_week_min: Some(4.0),
            hours_per_week_max: Some(6.0),
            total_hours: None,
        }),
        duration_weeks: Some(8.0),
        access: Some(Access::FreePaidCertificate),
        certificate: Some(true),
        enrollment_count: Some(1234),
        same_as: vec![format!("course-v1:{id}+1T2025")],
        runs: vec![RunDraft {
            external_run_id: format!("course-v1:{id}+1T2025"),
            start: Some(Utc.with_ymd_and_hms(2025, 1, 10, 12, 0, 0).unwrap()),
            end: Some(Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap()),
            enrollment_start: None,
            enrollment_end: None,
            raw_dates: RawDates {
                start: Some("2025-01-10T12:00:00Z".into()),
                end: Some("2025-04-01T00:00:00Z".into()),
                ..Default::default()
            },
            pacing: Some(Pacing::Instructor),
            hidden: false,
            invitation_only: true,
            status_raw: None,
        }],
    }
}

/// Runs one complete, successful run of `drafts` and returns its counts.
async fn apply(store: &Store, drafts: Vec<ListingDraft>) -> RunStats {
    let run = store.begin_run("edx").await.unwrap();
    let seen = drafts.len() as u64;
    store
        .apply_run(
            run,
            "edx",
            drafts.into_iter().map(Ok),
            true,
            RunStats {
                seen,
                pages: 1,
                ..Default::default()
            },
            &[],
        )
        .await
        .unwrap()
}

async fn all(store: &Store) -> Vec<coursefed::store::StoredListing> {
    store
        .listings_page(&ListingFilter::default(), None, 1000)
        .await
        .unwrap()
}

async fn change_count(store: &Store) -> usize {
    store.changes_after(0, 100_000).await.unwrap().len()
}

async fn unchanged_second_run_rewrites_nothing(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    let first = apply(
        store,
        vec![draft("MITx+1"), draft("MITx+2"), draft("MITx+3")],
    )
    .await;
    assert_eq!((first.created, first.updated, first.unchanged), (3, 0, 0));
    let logged = change_count(store).await;
    assert_eq!(
        logged, 6,
        "one listing and one course entry per created listing"
    );
    let before = all(store).await;

    let second = apply(
        store,
        vec![draft("MITx+3"), draft("MITx+1"), draft("MITx+2")],
    )
    .await;
    assert_eq!(
        (
            second.created,
            second.updated,
            second.unchanged,
            second.withdrawn
        ),
        (0, 0, 3, 0)
    );
    assert_eq!(
        change_count(store).await,
        logged,
        "no change-log entry for unchanged listings"
    );
    let after = all(store).await;
    assert_eq!(
        before, after,
        "unchanged listings are not rewritten (updated_at, last_seen_at equal)"
    );
}

async fn stored_listing_reads_back_as_written(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    let mut d = draft("HarvardX+CS50");
    d.runs.push(RunDraft {
        external_run_id: "HarvardX/CS50/2012".into(),
        pacing: Some(Pacing::SelfPaced),
        hidden: true,
        ..Default::default()
    });
    apply(store, vec![d.clone()]).await;
    let got = store
        .get_listing("edx:HarvardX+CS50")
        .await
        .unwrap()
        .expect("stored");
    d.canonicalise();
    assert_eq!(got.draft, d);
    assert_eq!(got.status, ListingStatus::Active);
    assert_eq!(got.source_id, "edx");
    assert!(store.get_listing("edx:nope").await.unwrap().is_none());
}

async fn changed_listing_is_updated_and_logged(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    apply(store, vec![draft("MITx+1"), draft("MITx+2")]).await;
    let course_before = store
        .get_listing("edx:MITx+1")
        .await
        .unwrap()
        .unwrap()
        .course_id;
    let mut changed = draft("MITx+1");
    changed.title = "Renamed".into();
    changed.runs[0].end = None;
    let stats = apply(store, vec![changed.clone(), draft("MITx+2")]).await;
    assert_eq!((stats.created, stats.updated, stats.unchanged), (0, 1, 1));
    let got = store.get_listing("edx:MITx+1").await.unwrap().unwrap();
    assert_eq!(got.draft.title, "Renamed");
    assert_eq!(got.draft.runs[0].end, None, "runs are replaced on update");
    assert_eq!(
        got.course_id, course_before,
        "a listing keeps its course id"
    );
    let changes = store.changes_after(4, 100).await.unwrap();
    let kinds: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.1.as_str(), c.3.as_str()))
        .collect();
    assert_eq!(kinds, [("listing", "upsert"), ("course", "upsert")]);
    assert!(
        changes.windows(2).all(|w| w[0].0 < w[1].0),
        "sequence is monotonic"
    );
}

async fn missing_listing_is_withdrawn_then_reactivated(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    apply(store, vec![draft("A+1"), draft("A+2"), draft("A+3")]).await;
    let second = apply(store, vec![draft("A+1"), draft("A+2")]).await;
    assert_eq!(second.withdrawn, 1);
    let gone = store.get_listing("edx:A+3").await.unwrap().unwrap();
    assert_eq!(
        gone.status,
        ListingStatus::Withdrawn,
        "withdrawn, never deleted"
    );
    assert!(gone.withdrawn_at.is_some());
    let feed = store.changes_after(6, 100).await.unwrap();
    let kinds: Vec<(&str, &str)> = feed.iter().map(|c| (c.1.as_str(), c.3.as_str())).collect();
    assert_eq!(kinds, [("listing", "withdraw"), ("course", "withdraw")]);
    assert_eq!(store.count_listings("edx").await.unwrap(), (2, 1));

    let third = apply(store, vec![draft("A+1"), draft("A+2"), draft("A+3")]).await;
    assert_eq!((third.updated, third.unchanged, third.withdrawn), (1, 2, 0));
    let back = store.get_listing("edx:A+3").await.unwrap().unwrap();
    assert_eq!(back.status, ListingStatus::Active);
    assert_eq!(back.withdrawn_at, None);
    assert_eq!(back.course_id, gone.course_id);
}

async fn failed_run_changes_nothing_and_is_in_the_ledger(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    apply(store, vec![draft("A+1"), draft("A+2")]).await;
    let before = all(store).await;
    let logged = change_count(store).await;

    let run = store.begin_run("edx").await.unwrap();
    let rejects = vec![Rejection {
        external_id: Some("bad key".into()),
        field: "id".into(),
        reason: "not a course key".into(),
    }];
    let stats = RunStats {
        pages: 2,
        seen: 5,
        rejected: 1,
        ..Default::default()
    };
    store
        .finish_run_unapplied(
            run,
            "edx",
            RunOutcome::Failed,
            &stats,
            Some("page 3: unparseable"),
            &rejects,
        )
        .await
        .unwrap();
    assert_eq!(all(store).await, before);
    assert_eq!(change_count(store).await, logged);
    let ledger = store.list_runs(Some("edx"), 10).await.unwrap();
    assert_eq!(ledger[0].id, run);
    assert_eq!(ledger[0].outcome, RunOutcome::Failed);
    assert_eq!(
        ledger[0].first_error.as_deref(),
        Some("page 3: unparseable")
    );
    assert_eq!(ledger[0].stats, stats);
    assert!(ledger[0].finished_at.is_some());
    assert_eq!(ledger[1].outcome, RunOutcome::Succeeded);
    assert_eq!(store.run_rejects(run).await.unwrap(), rejects);
}

async fn error_while_applying_rolls_everything_back(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    apply(store, vec![draft("A+1")]).await;
    let before = all(store).await;
    let run = store.begin_run("edx").await.unwrap();
    // 600 good drafts (more than one batch) and then a broken spool record.
    let drafts = (0..600)
        .map(|i| Ok(draft(&format!("B+{i}"))))
        .chain(std::iter::once(Err("spool record unreadable".to_owned())));
    let err = store
        .apply_run(run, "edx", drafts, true, RunStats::default(), &[])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("spool record unreadable"), "{err}");
    assert_eq!(
        all(store).await,
        before,
        "nothing of the failed apply is visible"
    );
    let ledger = store.list_runs(Some("edx"), 1).await.unwrap();
    assert_eq!(
        ledger[0].outcome,
        RunOutcome::Running,
        "the caller closes the ledger row"
    );
}

async fn sources_are_isolated(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    let other = SourceConfig::from_toml(
        SourceId::parse("spbu").unwrap(),
        std::path::Path::new("spbu.toml"),
        "style = \"openedx\"\nbase_url = \"https://openedu.example.org\"\n",
    )
    .unwrap();
    store.upsert_source(&other).await.unwrap();
    apply(store, vec![draft("A+1")]).await;
    let run = store.begin_run("spbu").await.unwrap();
    store
        .apply_run(
            run,
            "spbu",
            std::iter::once(Ok(draft("A+1"))),
            true,
            RunStats::default(),
            &[],
        )
        .await
        .unwrap();
    // A complete edX run without A+1 withdraws only edX's listing.
    apply(store, vec![draft("A+2")]).await;
    assert_eq!(
        store.get_listing("edx:A+1").await.unwrap().unwrap().status,
        ListingStatus::Withdrawn
    );
    assert_eq!(
        store.get_listing("spbu:A+1").await.unwrap().unwrap().status,
        ListingStatus::Active
    );
    let only_spbu = store
        .listings_page(
            &ListingFilter {
                source: Some("spbu".into()),
                ..Default::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(only_spbu.len(), 1);
}

async fn paging_walks_every_listing_once(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    apply(store, (0..25).map(|i| draft(&format!("P+{i}"))).collect()).await;
    let mut seen = Vec::new();
    let mut cursor: Option<(String, String)> = None;
    loop {
        let page = store
            .listings_page(
                &ListingFilter::default(),
                cursor.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                7,
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().map(|l| (l.course_id.clone(), l.id.clone()));
        seen.extend(page.into_iter().map(|l| l.id));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 25);
    assert_eq!(sorted.len(), 25, "no listing twice");
}

async fn reopening_the_database_keeps_the_catalogue(db: &TestDb) {
    db.store.upsert_source(&source()).await.unwrap();
    apply(&db.store, vec![draft("A+1")]).await;
    let again = Store::connect(&db.url)
        .await
        .expect("migrations are idempotent");
    assert!(again.get_listing("edx:A+1").await.unwrap().is_some());
    again.close().await;
}

/// Segments of SQLite's FTS5 index (each write transaction adds one until they merge).
async fn full_text_segments(url: &str) -> i64 {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let n = sqlx::query_scalar("SELECT count(DISTINCT segid) FROM listing_fts_idx")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    n
}

async fn a_large_apply_compacts_the_full_text_index(db: &TestDb) {
    let store = &db.store;
    store.upsert_source(&source()).await.unwrap();
    let sqlite = store.backend_name() == "sqlite";
    // Small applies add a segment each and are left as they are.
    let mut ids: Vec<String> = Vec::new();
    for i in 0..3 {
        ids.push(format!("S+{i}"));
        apply(store, ids.iter().map(|id| draft(id)).collect()).await;
    }
    if sqlite {
        assert!(full_text_segments(&db.url).await > 1);
    }
    let big = coursefed::store::search::COMPACT_FULL_TEXT_AFTER as usize;
    ids.extend((0..big).map(|i| format!("B+{i}")));
    let stats = apply(store, ids.iter().map(|id| draft(id)).collect()).await;
    assert_eq!(stats.created, big as u64);
    if sqlite {
        assert_eq!(full_text_segments(&db.url).await, 1);
    }
    // Compacted, the index still finds what it held before and what the apply added.
    for id in ["S+1", "B+999"] {
        let q = coursefed::store::CourseQuery {
            search: Some(coursefed::store::SearchQuery::parse(&title_of(id)).unwrap()),
            languages: Vec::new(),
            sources: Vec::new(),
            institution: None,
            subject: None,
            availability: Vec::new(),
            starts_after: None,
            starts_before: None,
            free: None,
            certificate: None,
            status: coursefed::store::StatusFilter::Active,
            sort: coursefed::store::CourseSort::Relevance,
            after: None,
            limit: 100,
            now: Utc::now(),
        };
        let page = store.course_page(&q).await.unwrap();
        let course = store
            .get_listing(&format!("edx:{id}"))
            .await
            .unwrap()
            .unwrap()
            .course_id;
        assert!(page.ids.contains(&course), "{id}: {:?}", page.ids);
    }
}

on_both_backends!(
    a_large_apply_compacts_the_full_text_index,
    unchanged_second_run_rewrites_nothing,
    stored_listing_reads_back_as_written,
    changed_listing_is_updated_and_logged,
    missing_listing_is_withdrawn_then_reactivated,
    failed_run_changes_nothing_and_is_in_the_ledger,
    error_while_applying_rolls_everything_back,
    sources_are_isolated,
    paging_walks_every_listing_once,
    reopening_the_database_keeps_the_catalogue,
);
