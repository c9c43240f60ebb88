//! Deduplication in the store, on both backends: the recorded catalogues of all three
//! platform styles (edX course API and RSS feed, XuetangX, Thai MOOC) served on loopback
//! by the demo's mock platforms from a temporary copy of `fixtures/` (so a test can change
//! what a platform answers between syncs), plus `fixtures/dedup/xuetangx_shared.json`:
//! a Tsinghua course that edX lists too.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::cli::coursefed;
use common::db::TestDb;
use coursefed::config::SourceConfig;
use coursefed::dedup::{OverrideNote, RematchStats};
use coursefed::domain::RunOutcome;
use coursefed::fetch::HttpClient;
use coursefed::store::{ListingFilter, Store};
use coursefed::sync::{SyncReport, sync_source};
use serde_json::Value;

/// The recorded platforms, served from a copy of the fixtures that tests may edit.
struct Platforms {
    dir: tempfile::TempDir,
    sources: Vec<SourceConfig>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

impl Platforms {
    async fn start() -> Self {
        coursefed::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        for sub in [
            "openedx/demo",
            "openedx_rss/demo",
            "xuetangx/demo",
            "thaimooc",
        ] {
            copy_dir(&fixtures().join(sub), &dir.path().join(sub));
        }
        // The shared course joins the last XuetangX page.
        let extra: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join("dedup/xuetangx_shared.json")).unwrap(),
        )
        .unwrap();
        let platforms = Self {
            dir,
            sources: Vec::new(),
        };
        platforms.edit_json("xuetangx/demo/page_3.json", |page| {
            let list = page["data"]["product_list"].as_array_mut().unwrap();
            list.extend(extra);
            let count = page["data"]["count"].as_u64().unwrap();
            page["data"]["count"] = (count + 1).into();
        });
        let sources = coursefed::demo::start_platforms(platforms.dir.path())
            .await
            .unwrap();
        Self {
            sources,
            ..platforms
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Rewrites a served JSON file.
    fn edit_json(&self, rel: &str, edit: impl FnOnce(&mut Value)) {
        let path = self.path(rel);
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut v);
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }

    /// Edits the shared XuetangX product.
    fn edit_shared(&self, edit: impl FnOnce(&mut Value)) {
        self.edit_json("xuetangx/demo/page_3.json", |page| {
            let list = page["data"]["product_list"].as_array_mut().unwrap();
            let item = list
                .iter_mut()
                .find(|p| p["course_sign"] == "THU08091000901")
                .unwrap();
            edit(item);
        });
    }

    /// Syncs every source once, in order (edX, edX RSS, XuetangX, Thai MOOC).
    async fn sync_all(&self, store: &Store) -> Vec<SyncReport> {
        let client = HttpClient::new().unwrap();
        let mut reports = Vec::new();
        for s in &self.sources {
            let r = sync_source(store, &client, s, None).await.unwrap();
            assert_eq!(
                r.outcome,
                RunOutcome::Succeeded,
                "{}: {:?}",
                r.source,
                r.error
            );
            reports.push(r);
        }
        reports
    }
}

async fn course_of(store: &Store, listing: &str) -> String {
    store
        .get_listing(listing)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no listing {listing}"))
        .course_id
}

/// listing id → course id, for every listing.
async fn assignment(store: &Store) -> BTreeMap<String, String> {
    store
        .listings_page(&ListingFilter::default(), None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.course_id))
        .collect()
}

/// `(kind, entity_id, related_id)` of course changes after `seq`.
async fn course_changes(db: &TestDb, after: i64) -> Vec<(String, String, Option<String>)> {
    let _ = after;
    let url = db.url.clone();
    // The read API has no related_id yet: read it with SQL on the test's database.
    let rows: Vec<(String, String, Option<String>)> = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let rows = sqlx::query_as(
            "SELECT kind, entity_id, related_id FROM changes WHERE entity = 'course' AND seq > $1 ORDER BY seq",
        )
        .bind(after)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let rows = sqlx::query_as(
            "SELECT kind, entity_id, related_id FROM changes WHERE entity = 'course' AND seq > $1 ORDER BY seq",
        )
        .bind(after)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    };
    rows
}

/// Courses that hold no listing and were not merged away (there must be none).
async fn orphan_courses(db: &TestDb) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM courses c WHERE merged_into IS NULL
        AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.course_id = c.id)";
    if db.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let n: (i64,) = sqlx::query_as(SQL).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n.0
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let n: (i64,) = sqlx::query_as(SQL).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n.0
    }
}

async fn last_seq(store: &Store) -> i64 {
    store
        .changes_after(0, 1_000_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |c| c.0)
}

fn note(reason: &str) -> OverrideNote {
    OverrideNote {
        reason: Some(reason.into()),
        by: "test".into(),
    }
}

const EDX_DSA: &str = "demo-edx:TsinghuaX+30240184X";
const XT_DSA: &str = "demo-xuetangx:THU08091000901";
const EDX_CIRCUITS: &str = "demo-edx:MITx+6.002x";
const RSS_CIRCUITS: &str = "demo-edx-rss:MITx+6.002x";

async fn same_course_across_platforms_ends_up_together(db: &TestDb) {
    let store = &db.store;
    let p = Platforms::start().await;
    p.sync_all(store).await;

    assert_eq!(
        course_of(store, EDX_DSA).await,
        course_of(store, XT_DSA).await,
        "Tsinghua's Data Structures and Algorithms on edX and XuetangX is one course"
    );
    assert_eq!(
        course_of(store, EDX_CIRCUITS).await,
        course_of(store, RSS_CIRCUITS).await,
        "MITx 6.002x in the course API and the RSS feed is one course"
    );
    // The courses the apply made for the joining listings are gone, not left empty.
    assert_eq!(orphan_courses(db).await, 0);
    assert!(
        !course_changes(db, 0)
            .await
            .iter()
            .any(|(kind, _, _)| kind == "merge"),
        "a new listing joining a course is not a merge"
    );

    // The explanation names the evidence and the thresholds.
    let e = coursefed::dedup::explain(store, &course_of(store, XT_DSA).await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.listings.len(), 2);
    assert_eq!(e.links.len(), 1, "{:?}", e.links);
    assert_eq!(e.links[0].signal, "title_similarity");
    assert!(e.listings.iter().all(|l| l.evidence.len() == 1));
    assert!(e.thresholds.title_similarity > 0.0);
    // A listing id explains its course.
    let by_listing = coursefed::dedup::explain(store, EDX_DSA)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_listing.course_id, e.course_id);

    // The export shows the canonical course with both listings and field provenance.
    let mut docs = Vec::new();
    coursefed::export::for_each_course(store, &ListingFilter::default(), |c| {
        docs.push(c);
        Ok(())
    })
    .await
    .unwrap();
    let doc = docs.iter().find(|c| c.id == e.course_id).unwrap();
    let ids: Vec<&str> = doc.listings.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, [EDX_DSA, XT_DSA]);
    let from = |field: &str| doc.provenance.get(field).map(String::as_str);
    // Both are active; the XuetangX listing is the more complete (instructors,
    // description, subjects), so its fields lead; edX adds nothing it lacks but effort.
    assert_eq!(from("title"), Some(XT_DSA));
    assert_eq!(from("short_description"), Some(XT_DSA));
    assert_eq!(doc.title, "数据结构与算法");
    assert!(doc.languages.contains(&"zh".to_string()));
    // Every course appears once; every listing once.
    let listed: usize = docs.iter().map(|c| c.listings.len()).sum();
    assert_eq!(listed, assignment(store).await.len());
    // `--source` keeps whole courses: the edX course shows its XuetangX listing too.
    let mut only_edx = Vec::new();
    let filter = ListingFilter {
        source: Some("demo-edx".into()),
        ..Default::default()
    };
    coursefed::export::for_each_course(store, &filter, |c| {
        only_edx.push(c);
        Ok(())
    })
    .await
    .unwrap();
    let dsa = only_edx.iter().find(|c| c.id == e.course_id).unwrap();
    assert_eq!(dsa.listings.len(), 2);
    assert!(
        only_edx
            .iter()
            .all(|c| c.listings.iter().any(|l| l.source == "demo-edx"))
    );
}

async fn look_alikes_stay_apart(db: &TestDb) {
    let store = &db.store;
    let p = Platforms::start().await;
    p.sync_all(store).await;
    // (上) and (下): parts 1 and 2 of one series.
    assert_ne!(
        course_of(store, "demo-xuetangx:THU08091000247").await,
        course_of(store, "demo-xuetangx:THU08091000248").await
    );
    // Part 1 of the series is not the whole course edX lists.
    assert_ne!(
        course_of(store, "demo-xuetangx:THU08091000247").await,
        course_of(store, EDX_DSA).await
    );
    // The same Thai title (ศาสตร์แห่งการชะลอวัย) at two institutions.
    assert_ne!(
        course_of(store, "demo-thaimooc:NU00437").await,
        course_of(store, "demo-thaimooc:STOU00660").await
    );
    // Only the two shared courses merged: 49 listings, 47 courses.
    let a = assignment(store).await;
    let courses: std::collections::BTreeSet<&String> = a.values().collect();
    assert_eq!(a.len() - courses.len(), 2, "{a:#?}");
}

async fn ids_are_stable_and_an_unchanged_sync_does_no_matching_work(db: &TestDb) {
    let store = &db.store;
    let p = Platforms::start().await;
    let first = p.sync_all(store).await;
    assert!(first.iter().all(|r| r.dedup.clustered > 0));
    let before = assignment(store).await;
    let seq = last_seq(store).await;

    let second = p.sync_all(store).await;
    for r in &second {
        assert_eq!(r.stats.created + r.stats.updated, 0, "{}", r.source);
        assert_eq!(
            r.dedup,
            RematchStats::default(),
            "{}: no matching work",
            r.source
        );
    }
    assert_eq!(assignment(store).await, before, "course ids are stable");
    assert!(course_changes(db, seq).await.is_empty());

    // A listing that changes is re-matched alone with its neighbourhood, and keeps its id.
    p.edit_shared(|item| item["count"] = 60_000.into());
    let third = p.sync_all(store).await;
    let xt = third.iter().find(|r| r.source == "demo-xuetangx").unwrap();
    assert_eq!(xt.stats.updated, 1);
    assert_eq!(xt.dedup.seeds, 1);
    assert!(
        xt.dedup.clustered < before.len() as u64,
        "only the neighbourhood is clustered ({} of {})",
        xt.dedup.clustered,
        before.len()
    );
    assert_eq!(xt.dedup.merged + xt.dedup.split + xt.dedup.moved, 0);
    assert_eq!(assignment(store).await, before);
}

async fn a_course_that_starts_matching_merges_into_the_older_one(db: &TestDb) {
    let store = &db.store;
    let p = Platforms::start().await;
    // At first XuetangX lists the course under a placeholder title ("course preview"),
    // with no English title and no teacher: no title (in any language, learned
    // translations included) and no person in common, two courses.
    let mut teachers = Value::Null;
    let mut name = Value::Null;
    p.edit_shared(|item| {
        item["name_en"] = Value::Null;
        name = std::mem::replace(&mut item["name"], "课程预告".into());
        teachers = item["teacher"].take();
        item["teacher"] = Value::Array(Vec::new());
    });
    p.sync_all(store).await;
    let edx_course = course_of(store, EDX_DSA).await;
    let xt_course = course_of(store, XT_DSA).await;
    assert_ne!(edx_course, xt_course);
    let seq = last_seq(store).await;

    // The platform fills in the title, the English title and the teacher: the younger
    // course merges into the older.
    p.edit_shared(|item| {
        item["name"] = std::mem::take(&mut name);
        item["name_en"] = "Data Structures and Algorithms".into();
        item["teacher"] = std::mem::take(&mut teachers);
    });
    let reports = p.sync_all(store).await;
    let xt = reports
        .iter()
        .find(|r| r.source == "demo-xuetangx")
        .unwrap();
    assert_eq!(xt.dedup.merged, 1);
    assert_eq!(
        course_of(store, XT_DSA).await,
        edx_course,
        "the oldest id survives"
    );
    assert_eq!(
        store.resolve_course(&xt_course).await.unwrap(),
        Some((edx_course.clone(), true)),
        "the merged id resolves to the survivor"
    );
    assert_eq!(
        store.merged_into(&edx_course).await.unwrap(),
        std::slice::from_ref(&xt_course)
    );
    let changes = course_changes(db, seq).await;
    assert!(
        changes.contains(&("merge".into(), xt_course.clone(), Some(edx_course.clone()))),
        "{changes:?}"
    );
    // Explaining the merged id explains the survivor.
    let e = coursefed::dedup::explain(store, &xt_course)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.course_id, edx_course);
    assert_eq!(e.redirected_from.as_deref(), Some(xt_course.as_str()));
}

async fn a_link_override_merges_and_survives_a_resync(db: &TestDb) {
    let store = &db.store;
    let p = Platforms::start().await;
    p.sync_all(store).await;
    let a = "demo-thaimooc:NU00437";
    let b = "demo-thaimooc:STOU00660";
    let (ca, cb) = (course_of(store, a).await, course_of(store, b).await);
    let seq = last_seq(store).await;

    let stats = coursefed::dedup::link(store, a, b, &note("same course, two portals"))
        .await
        .unwrap();
    assert_eq!(stats.merged, 1);
    let survivor = ca.clone().min(cb.clone());
    let loser = ca.max(cb);
    assert_eq!(course_of(store, a).await, survivor);
    assert_eq!(course_of(store, b).await, survivor);
    assert_eq!(
        store.resolve_course(&loser).await.unwrap(),
        Some((survivor.clone(), true))
    );
    let changes = course_changes(db, seq).await;
    assert!(changes.contains(&("merge".into(), loser.clone(), Some(survivor.clone()))));
    let e = coursefed::dedup::explain(store, &survivor)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.overrides.len(), 1);
    assert_eq!(e.overrides[0].action, "link");
    assert_eq!(
        e.overrides[0].reason.as_deref(),
        Some("same course, two portals")
    );
    assert!(e.links.iter().any(|l| l.signal == "operator_link"));

    // The platform changes one of them: it is re-matched, and the override holds.
    p.edit_json("thaimooc/courses.json", |v| {
        let list = v["data"].as_array_mut().unwrap();
        let c = list
            .iter_mut()
            .find(|c| c["courseCode"] == "NU00437")
            .unwrap();
        c["enrollCount"] = 99_999.into();
    });
    let reports = p.sync_all(store).await;
    let th = reports
        .iter()
        .find(|r| r.source == "demo-thaimooc")
        .unwrap();
    assert_eq!(th.stats.updated, 1);
    assert!(th.dedup.clustered >= 2);
    assert_eq!(course_of(store, a).await, survivor);
    assert_eq!(course_of(store, b).await, survivor);
}

async fn an_unlink_override_splits_and_survives_a_resync(db: &TestDb) {
    let store = &db.store;
    let p = Platforms::start().await;
    p.sync_all(store).await;
    let course = course_of(store, EDX_CIRCUITS).await;
    assert_eq!(course_of(store, RSS_CIRCUITS).await, course);
    let seq = last_seq(store).await;

    let stats = coursefed::dedup::unlink(
        store,
        EDX_CIRCUITS,
        RSS_CIRCUITS,
        &note("different editions"),
    )
    .await
    .unwrap();
    assert_eq!((stats.split, stats.new_courses), (1, 1));
    // The oldest listing (edX, synced first) keeps the id; the feed gets a new course.
    assert_eq!(course_of(store, EDX_CIRCUITS).await, course);
    let split_off = course_of(store, RSS_CIRCUITS).await;
    assert_ne!(split_off, course);
    let changes = course_changes(db, seq).await;
    assert!(
        changes.contains(&("split".into(), course.clone(), Some(split_off.clone()))),
        "{changes:?}"
    );

    // The feed's listing changes: re-matched, still apart, ids unchanged.
    let feed = p.path("openedx_rss/demo/page-2.xml");
    let xml = std::fs::read_to_string(&feed).unwrap();
    std::fs::write(&feed, xml.replace("5-7 hours/week", "6-8 hours/week")).unwrap();
    let reports = p.sync_all(store).await;
    let rss = reports.iter().find(|r| r.source == "demo-edx-rss").unwrap();
    assert_eq!(rss.stats.updated, 1);
    assert!(rss.dedup.clustered >= 2);
    assert_eq!(course_of(store, EDX_CIRCUITS).await, course);
    assert_eq!(course_of(store, RSS_CIRCUITS).await, split_off);

    // Linking again undoes it: the split-off course merges back into the older one.
    coursefed::dedup::link(store, EDX_CIRCUITS, RSS_CIRCUITS, &note("same after all"))
        .await
        .unwrap();
    assert_eq!(course_of(store, RSS_CIRCUITS).await, course);
    assert_eq!(orphan_courses(db).await, 0);
    // Unknown listings are refused and change nothing.
    assert!(
        coursefed::dedup::link(store, EDX_CIRCUITS, "demo-edx:Nope+1", &note("x"))
            .await
            .is_err()
    );
}

async fn rematching_in_many_small_batches_gives_the_same_courses(db: &TestDb) {
    let store = &db.store;
    let p = Platforms::start().await;
    p.sync_all(store).await;
    let before = assignment(store).await;
    let seq = last_seq(store).await;
    let all = store.all_listing_ids().await.unwrap();

    // One batch per institution group: the neighbourhoods straddle batches, and each later
    // batch sees what the earlier ones wrote.
    let small = store.rematch_listings_in_batches(&all, 1).await.unwrap();
    assert!(small.batches > 10, "{small:?}");
    assert_eq!(small.seeds, all.len() as u64);
    assert_eq!(
        small.merged + small.split + small.moved + small.new_courses,
        0,
        "{small:?}"
    );
    assert_eq!(assignment(store).await, before, "same courses, same ids");

    // And in one batch of everything.
    let one = store
        .rematch_listings_in_batches(&all, all.len())
        .await
        .unwrap();
    assert_eq!(one.batches, 1);
    assert_eq!(assignment(store).await, before);
    assert!(course_changes(db, seq).await.is_empty());
}

on_both_backends!(
    same_course_across_platforms_ends_up_together,
    look_alikes_stay_apart,
    ids_are_stable_and_an_unchanged_sync_does_no_matching_work,
    a_course_that_starts_matching_merges_into_the_older_one,
    a_link_override_merges_and_survives_a_resync,
    an_unlink_override_splits_and_survives_a_resync,
    rematching_in_many_small_batches_gives_the_same_courses,
);

// ------------------------------------------------------------------ the CLI end to end

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn dedup_cli_explains_links_unlinks_and_resolves_merged_ids() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let fixtures = fixtures();
    let out = coursefed(
        dir.path(),
        &db,
        &["demo", "--fixtures", fixtures.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = coursefed(
        dir.path(),
        &db,
        &["dedup", "explain", EDX_CIRCUITS, "--json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let e = json_of(&out);
    let course = e["course_id"].as_str().unwrap().to_owned();
    assert_eq!(e["listings"].as_array().unwrap().len(), 2);
    assert_eq!(e["links"][0]["signal"], "shared_key");
    assert!(e["thresholds"]["title_similarity"].as_f64().unwrap() > 0.0);
    let out = coursefed(dir.path(), &db, &["dedup", "explain", &course]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("shared_key") && text.contains(RSS_CIRCUITS),
        "{text}"
    );

    // unlink: the feed's listing leaves for a new course.
    let out = coursefed(
        dir.path(),
        &db,
        &[
            "dedup",
            "unlink",
            EDX_CIRCUITS,
            RSS_CIRCUITS,
            "--reason",
            "test",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = json_of(&coursefed(
        dir.path(),
        &db,
        &["courses", "show", RSS_CIRCUITS],
    ));
    let split_off = shown["id"].as_str().unwrap().to_owned();
    assert_ne!(split_off, course);
    let e = json_of(&coursefed(
        dir.path(),
        &db,
        &["dedup", "explain", &course, "--json"],
    ));
    assert_eq!(e["overrides"][0]["action"], "unlink");
    assert_eq!(e["overrides"][0]["reason"], "test");

    // link: it merges back; the split-off id now resolves to the survivor.
    let out = coursefed(
        dir.path(),
        &db,
        &["dedup", "link", RSS_CIRCUITS, EDX_CIRCUITS],
    );
    assert_eq!(out.status.code(), Some(0));
    let out = coursefed(dir.path(), &db, &["courses", "show", &split_off]);
    assert_eq!(out.status.code(), Some(0));
    let shown = json_of(&out);
    assert_eq!(shown["id"], course.as_str());
    assert_eq!(shown["listings"].as_array().unwrap().len(), 2);
    assert!(shown["provenance"]["title"].is_string());
    assert!(String::from_utf8_lossy(&out.stderr).contains("merged into"));

    // Usage errors exit 2; an unknown course exits 1.
    let out = coursefed(
        dir.path(),
        &db,
        &["dedup", "link", EDX_CIRCUITS, EDX_CIRCUITS],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = coursefed(
        dir.path(),
        &db,
        &["dedup", "unlink", EDX_CIRCUITS, "demo-edx:Nope+1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("demo-edx:Nope+1"));
    let out = coursefed(dir.path(), &db, &["dedup", "explain", "NOPE"]);
    assert_eq!(out.status.code(), Some(1));
}
