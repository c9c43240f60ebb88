//! The read API end to end: the real server on port 0 over a fresh database per test (both
//! backends), catalogues synced through the real HTTP path, HTTP with reqwest.

#[path = "common/api.rs"]
mod api;
mod common;

use std::collections::{BTreeSet, HashSet};

use api::{App, ThaiPortal, demo_catalogue, execute, spawn, sync, thai_courses};
use common::db::TestDb;
use coursefed::api::ApiState;
use coursefed::fetch::HttpClient;
use serde_json::Value;

fn problem_parameter(v: &Value) -> &str {
    v["parameter"].as_str().unwrap_or("")
}

/// GET `path`, asserting a problem+json with `status`; returns the problem.
async fn problem(app: &App, path: &str, status: u16) -> Value {
    let res = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), status, "GET {path}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "application/problem+json", "GET {path}");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["status"], status);
    assert!(!v["detail"].as_str().unwrap_or("").is_empty(), "{v}");
    v
}

async fn every_endpoint_answers(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let app = spawn(ApiState::new(db.store.clone())).await;

    assert_eq!(app.json("/healthz").await["status"], "ok");
    let ready = app.json("/readyz").await;
    assert_eq!(ready["status"], "ready");
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("coursefed_api_requests_total"), "{text}");

    let page = app.json("/v1/courses?limit=5").await;
    let courses = page["courses"].as_array().unwrap();
    assert_eq!(courses.len(), 5);
    assert!(page["next"].as_str().unwrap().starts_with("/v1/courses?"));
    let id = courses[0]["id"].as_str().unwrap();
    let course = app.json(&format!("/v1/courses/{id}")).await;
    assert_eq!(course["id"], id);
    assert!(!course["listings"].as_array().unwrap().is_empty());
    assert!(course["listings"][0]["runs"].is_array());
    // The second read is a cache hit, and /metrics shows the cache at work.
    assert_eq!(app.json(&format!("/v1/courses/{id}")).await["id"], id);
    let text = app.text("/metrics").await;
    let value = |line: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(line))
            .unwrap_or_else(|| panic!("no {line} in:\n{text}"))
            .trim()
            .parse()
            .unwrap()
    };
    assert!(value("coursefed_api_cache_lookups_total{kind=\"course\",result=\"hit\"}") >= 1.0);
    assert!(value("coursefed_api_cache_lookups_total{kind=\"course\",result=\"miss\"}") >= 1.0);
    assert!(
        value("coursefed_api_cache_entries{tier=\"stored\"}") >= 2.0,
        "the page and the course"
    );
    assert!(value("coursefed_api_cache_bytes{tier=\"stored\"}") > 0.0);
    assert!(value("coursefed_api_cache_capacity_bytes{tier=\"stored\"}") > 0.0);

    let listing = app.json("/v1/listings/demo-thaimooc/NU00420").await;
    assert_eq!(listing["id"], "demo-thaimooc:NU00420");
    assert_eq!(listing["title"], "การเงินส่วนบุคคล");
    let owner = app
        .json(&format!(
            "/v1/courses/{}",
            listing["course_id"].as_str().unwrap()
        ))
        .await;
    assert!(
        owner["listings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == "demo-thaimooc:NU00420")
    );
    // An external id with `+` and one with `/` (percent-encoded).
    let edx = app.json("/v1/listings/demo-edx/TsinghuaX+30240184X").await;
    assert_eq!(edx["source"], "demo-edx");

    let changes = app.json("/v1/changes?limit=3").await;
    assert_eq!(changes["changes"].as_array().unwrap().len(), 3);
    assert_eq!(changes["changes"][0]["seq"], 1);

    let sources = app.json("/v1/sources").await;
    let ids: Vec<&str> = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["demo-edx", "demo-edx-rss", "demo-thaimooc", "demo-xuetangx"]
    );
    for s in sources["sources"].as_array().unwrap() {
        assert_eq!(s["last_run"]["outcome"], "succeeded", "{s}");
        assert!(s["active_listings"].as_u64().unwrap() > 0, "{s}");
    }
    let runs = app.json("/v1/sources/demo-edx/runs?limit=5").await;
    assert_eq!(runs["source"], "demo-edx");
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1);
    assert_eq!(runs["runs"][0]["outcome"], "succeeded");

    problem(&app, "/v1/courses/NOPE", 404).await;
    problem(&app, "/v1/listings/demo-edx/Nope+1", 404).await;
    problem(&app, "/v1/sources/nope/runs", 404).await;
    let p = problem(&app, "/v2/anything", 404).await;
    assert!(p["detail"].as_str().unwrap().contains("no such endpoint"));
    let res = app.http.post(app.url("/v1/courses")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

async fn pagination_reaches_the_end_without_duplicates_or_gaps(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    for (query, all) in [
        ("sort=start", "/v1/courses?sort=start&limit=100"),
        ("sort=updated", "/v1/courses?sort=updated&limit=100"),
        ("q=data", "/v1/courses?q=data&limit=100"),
        (
            "status=any&language=zh",
            "/v1/courses?status=any&language=zh&limit=100",
        ),
    ] {
        let whole = app.all_ids(all).await;
        assert!(whole.len() > 3, "{query}: {whole:?}");
        for limit in [1, 3, 7] {
            let paged = app
                .all_ids(&format!("/v1/courses?{query}&limit={limit}"))
                .await;
            let unique: HashSet<&String> = paged.iter().collect();
            assert_eq!(
                unique.len(),
                paged.len(),
                "{query} limit {limit}: duplicates"
            );
            assert_eq!(paged, whole, "{query} limit {limit}: another order or gaps");
        }
    }
    // The default order without q is the next start; every id appears once.
    let all = app.all_ids("/v1/courses?limit=4").await;
    let by_start = app.all_ids("/v1/courses?sort=start&limit=100").await;
    assert_eq!(all, by_start);
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len());
}

/// Every course (any status), as documents.
async fn all_courses(app: &App) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some("/v1/courses?status=any&sort=updated&limit=100".to_owned());
    while let Some(p) = next {
        let v = app.json(&p).await;
        out.extend(v["courses"].as_array().unwrap().iter().cloned());
        next = v["next"].as_str().map(str::to_owned);
    }
    out
}

async fn ids_of(app: &App, query: &str) -> BTreeSet<String> {
    app.all_ids(&format!("/v1/courses?{query}&limit=100"))
        .await
        .into_iter()
        .collect()
}

fn expected(courses: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    courses
        .iter()
        .filter(|c| {
            c["listings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["status"] == "active" && keep(l))
        })
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn has(list: &Value, value: &str) -> bool {
    list.as_array().unwrap().iter().any(|v| {
        v.as_str()
            .is_some_and(|s| s.to_lowercase() == value.to_lowercase())
    })
}

fn any_run(l: &Value, keep: impl Fn(&Value) -> bool) -> bool {
    l["runs"].as_array().unwrap().iter().any(keep)
}

/// Whether a listing passes a filter (the oracle).
type Keep = Box<dyn Fn(&Value) -> bool>;

async fn every_filter_selects_what_it_says(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let courses = all_courses(&app).await;
    assert!(courses.len() > 40, "{}", courses.len());

    let cases: Vec<(&str, Keep)> = vec![
        (
            "language=zh",
            Box::new(|l| {
                l["languages"].as_array().unwrap().iter().any(|x| {
                    let x = x.as_str().unwrap().to_lowercase();
                    x == "zh" || x.starts_with("zh-")
                })
            }),
        ),
        ("language=th", Box::new(|l| has(&l["languages"], "th"))),
        (
            "source=demo-thaimooc",
            Box::new(|l| l["source"] == "demo-thaimooc"),
        ),
        (
            "source=demo-edx,demo-xuetangx",
            Box::new(|l| l["source"] == "demo-edx" || l["source"] == "demo-xuetangx"),
        ),
        (
            "institution=%E6%B8%85%E5%8D%8E%E5%A4%A7%E5%AD%A6",
            Box::new(|l| has(&l["institutions"], "清华大学")),
        ),
        (
            "institution=mitx",
            Box::new(|l| has(&l["institutions"], "MITx")),
        ),
        (
            "free=true",
            Box::new(|l| l["access"] == "free" || l["access"] == "free_paid_certificate"),
        ),
        ("free=false", Box::new(|l| l["access"] == "paid")),
        ("certificate=true", Box::new(|l| l["certificate"] == true)),
        ("certificate=false", Box::new(|l| l["certificate"] == false)),
        (
            "availability=upcoming",
            Box::new(|l| any_run(l, |r| r["availability"] == "upcoming")),
        ),
        (
            "availability=archived,self_paced",
            Box::new(|l| {
                any_run(l, |r| {
                    r["availability"] == "archived" || r["availability"] == "self_paced"
                })
            }),
        ),
        (
            "availability=current",
            Box::new(|l| any_run(l, |r| r["availability"] == "current")),
        ),
        (
            "availability=unknown",
            Box::new(|l| any_run(l, |r| r["availability"] == "unknown")),
        ),
        (
            "starts_after=2027-01-01",
            Box::new(|l| {
                any_run(l, |r| {
                    r["start"].as_str().is_some_and(|s| s >= "2027-01-01")
                })
            }),
        ),
        (
            "starts_before=2020-01-01T00:00:00Z",
            Box::new(|l| any_run(l, |r| r["start"].as_str().is_some_and(|s| s < "2020-01-01"))),
        ),
        (
            "starts_after=2025-01-01&starts_before=2026-01-01",
            Box::new(|l| {
                any_run(l, |r| {
                    r["start"]
                        .as_str()
                        .is_some_and(|s| ("2025-01-01".."2026-01-01").contains(&s))
                })
            }),
        ),
        (
            "language=en&free=true",
            Box::new(|l| {
                has(&l["languages"], "en")
                    && (l["access"] == "free" || l["access"] == "free_paid_certificate")
            }),
        ),
    ];
    let subject = courses
        .iter()
        .flat_map(|c| c["listings"].as_array().unwrap().iter())
        .find_map(|l| l["subjects"].as_array().unwrap().first().cloned())
        .expect("a subject in the demo");
    let subject = subject.as_str().unwrap().to_owned();
    let mut nonempty = 0;
    for (query, keep) in &cases {
        let want = expected(&courses, keep);
        let got = ids_of(&app, query).await;
        assert_eq!(got, want, "filter {query}");
        nonempty += usize::from(!got.is_empty());
    }
    assert!(
        nonempty >= cases.len() - 3,
        "most filters select something in the demo"
    );
    let q = format!(
        "subject={}",
        url::form_urlencoded::byte_serialize(subject.as_bytes()).collect::<String>()
    );
    let want = expected(&courses, |l| has(&l["subjects"], &subject));
    assert!(!want.is_empty());
    assert_eq!(ids_of(&app, &q).await, want, "{q}");
}

async fn merged_ids_redirect_to_the_survivor(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let ids = app.all_ids("/v1/courses?sort=updated&limit=3").await;
    let (a, b, c) = (&ids[0], &ids[1], &ids[2]);
    // What dedup does on a merge: the loser points at the survivor (here a chain a→b→c).
    execute(
        &db.url,
        "UPDATE courses SET merged_into = $1 WHERE id = $2",
        &[c, b],
    )
    .await;
    execute(
        &db.url,
        "UPDATE courses SET merged_into = $1 WHERE id = $2",
        &[b, a],
    )
    .await;
    for loser in [a, b] {
        let res = app
            .http
            .get(app.url(&format!("/v1/courses/{loser}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 308, "{loser}");
        assert_eq!(
            res.headers()["location"],
            format!("/v1/courses/{c}").as_str()
        );
    }
    assert_eq!(
        app.json(&format!("/v1/courses/{c}")).await["id"],
        c.as_str()
    );
    let listed = app.all_ids("/v1/courses?status=any&limit=100").await;
    assert!(!listed.contains(a) && !listed.contains(b) && listed.contains(c));
}

async fn change_feed_follows_creates_updates_and_withdrawals(db: &TestDb) {
    let portal = ThaiPortal::start("th-feed").await;
    portal
        .serve(&thai_courses(&["NU00420", "NU00436", "NU00437"], &[]))
        .await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let first = app.json("/v1/changes?after=0&limit=1000").await;
    let created: Vec<&Value> = first["changes"].as_array().unwrap().iter().collect();
    assert_eq!(created.len(), 6, "a listing and a course entry per listing");
    assert!(created.iter().all(|c| c["kind"] == "upsert"));
    let last = created.last().unwrap()["seq"].as_i64().unwrap();
    assert_eq!(
        first["next"],
        format!("/v1/changes?after={last}&limit=1000")
    );
    // Nothing new yet: an empty page whose `next` stays put.
    let idle = app.json(&format!("/v1/changes?after={last}")).await;
    assert!(idle["changes"].as_array().unwrap().is_empty());
    assert_eq!(idle["next"], format!("/v1/changes?after={last}&limit=100"));

    // Second run: NU00420 retitled (update), NU00436 as before, NU00437 gone (withdraw),
    // a new course (create).
    let mut second = thai_courses(
        &["NU00420", "NU00436"],
        &[(
            "DS00001",
            "วิทยาการข้อมูลเบื้องต้น",
            "Introduction to Data Science",
        )],
    );
    second["data"][0]["title"] = Value::from("การเงินส่วนบุคคล ฉบับปรับปรุง");
    portal.serve(&second).await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;

    // Read the rest one change at a time: every seq once, in order.
    let mut seen: Vec<Value> = Vec::new();
    let mut next = format!("/v1/changes?after={last}&limit=1");
    loop {
        let page = app.json(&next).await;
        let items = page["changes"].as_array().unwrap();
        if items.is_empty() {
            break;
        }
        seen.extend(items.iter().cloned());
        next = page["next"].as_str().unwrap().to_owned();
        assert!(seen.len() < 100);
    }
    let seqs: Vec<i64> = seen.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(seqs[0] > last);
    let listing = |id: &str| -> Vec<String> {
        seen.iter()
            .filter(|c| c["entity"] == "listing" && c["id"] == id)
            .map(|c| c["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(listing("th-feed:NU00420"), ["upsert"]);
    assert_eq!(listing("th-feed:DS00001"), ["upsert"]);
    assert_eq!(listing("th-feed:NU00437"), ["withdraw"]);
    assert!(
        listing("th-feed:NU00436").is_empty(),
        "unchanged listings log nothing"
    );
    let withdrawn = seen
        .iter()
        .find(|c| c["entity"] == "listing" && c["kind"] == "withdraw")
        .unwrap();
    assert_eq!(withdrawn["href"], "/v1/listings/th%2Dfeed/NU00437");
    assert!(withdrawn["at"].as_str().unwrap().ends_with('Z'));
    let course_withdraw = seen
        .iter()
        .find(|c| c["entity"] == "course" && c["kind"] == "withdraw")
        .expect("the withdrawn listing's course is withdrawn");
    let gone = course_withdraw["id"].as_str().unwrap();
    assert_eq!(
        app.all_ids("/v1/courses?status=withdrawn&limit=100").await,
        [gone]
    );
    assert!(
        !app.all_ids("/v1/courses?limit=100")
            .await
            .contains(&gone.to_owned())
    );
    let doc = app.json(course_withdraw["href"].as_str().unwrap()).await;
    assert_eq!(doc["listings"][0]["status"], "withdrawn");
    // The feed's links resolve.
    let updated = seen
        .iter()
        .find(|c| c["entity"] == "listing" && c["id"] == "th-feed:NU00420")
        .unwrap();
    let l = app.json(updated["href"].as_str().unwrap()).await;
    assert_eq!(l["title"], "การเงินส่วนบุคคล ฉบับปรับปรุง");
}

/// The course id of a listing.
async fn course_of(app: &App, listing: &str) -> String {
    let (source, external_id) = listing.split_once(':').unwrap();
    app.json(&format!("/v1/listings/{source}/{external_id}"))
        .await["course_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_withdrawal_counts_as_an_update_for_sort_updated(db: &TestDb) {
    let a = ThaiPortal::start("th-a").await;
    let b = ThaiPortal::start("th-b").await;
    a.serve(&thai_courses(&["NU00420", "NU00436"], &[])).await;
    sync(&db.store, std::slice::from_ref(&a.source)).await;
    b.serve(&thai_courses(&["NU00437"], &[])).await;
    sync(&db.store, std::slice::from_ref(&b.source)).await;
    // Source a drops NU00436: its course is withdrawn after b's course was created.
    a.serve(&thai_courses(&["NU00420"], &[])).await;
    sync(&db.store, std::slice::from_ref(&a.source)).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let gone = course_of(&app, "th-a:NU00436").await;
    let newest = app
        .all_ids("/v1/courses?sort=updated&status=any&limit=100")
        .await;
    assert_eq!(newest.first(), Some(&gone), "{newest:?}");
    assert_eq!(
        app.all_ids("/v1/courses?sort=updated&status=withdrawn&limit=100")
            .await,
        [gone]
    );
}

async fn a_cached_course_follows_changes_by_other_writers(db: &TestDb) {
    let portal = ThaiPortal::start("th-cache").await;
    portal.serve(&thai_courses(&["NU00420"], &[])).await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    // `spawn` has the cache read the catalogue version on every request.
    let app = spawn(ApiState::new(db.store.clone())).await;
    let course = course_of(&app, "th-cache:NU00420").await;
    let path = format!("/v1/courses/{course}");
    let get = |etag: Option<String>| {
        let mut req = app.http.get(app.url(&path));
        if let Some(e) = etag {
            req = req.header("If-None-Match", e);
        }
        req.send()
    };
    let first = get(None).await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let before: Value = first.json().await.unwrap();
    // Served from the cache: the same tag, and 304 for it.
    let again = get(Some(etag.clone())).await.unwrap();
    assert_eq!(again.status(), 304);
    // Another writer (here the store directly, as a daemon in another process would)
    // retitles the course.
    let mut changed = thai_courses(&["NU00420"], &[]);
    changed["data"][0]["title"] = Value::from("การเงินส่วนบุคคล ฉบับปรับปรุง");
    portal.serve(&changed).await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let after = get(Some(etag.clone())).await.unwrap();
    assert_eq!(after.status(), 200, "the old tag no longer matches");
    assert_ne!(after.headers()["etag"].to_str().unwrap(), etag);
    let after: Value = after.json().await.unwrap();
    assert_ne!(after["title"], before["title"]);
    assert_eq!(after["title"], "การเงินส่วนบุคคล ฉบับปรับปรุง");
}

/// GET `path` (optionally as JSON-LD) as JSON.
async fn get_json(app: &App, path: &str, json_ld: bool) -> Value {
    let mut req = app.http.get(app.url(path));
    if json_ld {
        req = req.header("Accept", "application/ld+json");
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// Retitles listing `id` in the database behind the change log's back (as hand-run SQL
/// would): a course whose body is still cached keeps answering the old title.
async fn retitle_unlogged(db: &TestDb, id: &str, title: &str) {
    execute(
        &db.url,
        "UPDATE listings SET title = $1 WHERE id = $2",
        &[title, id],
    )
    .await;
}

async fn a_sync_evicts_only_the_courses_it_changed(db: &TestDb) {
    let portal = ThaiPortal::start("th-evict").await;
    portal
        .serve(&thai_courses(&["NU00420", "NU00436"], &[]))
        .await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let changed = course_of(&app, "th-evict:NU00420").await;
    let kept = course_of(&app, "th-evict:NU00436").await;
    assert_ne!(changed, kept);
    let (changed_path, kept_path) = (
        format!("/v1/courses/{changed}"),
        format!("/v1/courses/{kept}"),
    );
    let page_path = "/v1/courses?source=th-evict&sort=updated&limit=10";
    let kept_before = get_json(&app, &kept_path, false).await;
    get_json(&app, &changed_path, false).await;
    let ld_before = get_json(&app, &changed_path, true).await;
    get_json(&app, page_path, false).await;
    retitle_unlogged(db, "th-evict:NU00436", "not through the change log").await;
    // A sync that retitles the other course only.
    let mut records = thai_courses(&["NU00420", "NU00436"], &[]);
    for r in records["data"].as_array_mut().unwrap() {
        if r["courseCode"] == "NU00420" {
            r["title"] = Value::from("การเงินส่วนบุคคล ฉบับปรับปรุง");
        }
    }
    portal.serve(&records).await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let after = get_json(&app, &changed_path, false).await;
    assert_eq!(after["title"], "การเงินส่วนบุคคล ฉบับปรับปรุง");
    let ld_after = get_json(&app, &changed_path, true).await;
    assert_ne!(ld_after, ld_before, "the JSON-LD body is evicted too");
    assert_eq!(
        get_json(&app, &kept_path, false).await,
        kept_before,
        "the unchanged course stays cached"
    );
    // Every page goes: it is read again (with the unlogged title too).
    let page = get_json(&app, page_path, false).await;
    let titles: Vec<&str> = page["courses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["listings"].as_array().unwrap())
        .filter_map(|l| l["title"].as_str())
        .collect();
    assert!(titles.contains(&"การเงินส่วนบุคคล ฉบับปรับปรุง"), "{titles:?}");
}

async fn a_merge_evicts_the_merged_away_course_and_the_survivor(db: &TestDb) {
    let portal = ThaiPortal::start("th-merge").await;
    portal
        .serve(&thai_courses(&["NU00420", "NU00436", "NU00437"], &[]))
        .await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let app = spawn(ApiState::new(db.store.clone()).with_admin_token(Some("s3cret".into()))).await;
    let a = course_of(&app, "th-merge:NU00420").await;
    let b = course_of(&app, "th-merge:NU00436").await;
    let other = course_of(&app, "th-merge:NU00437").await;
    assert!(a != b && b != other && a != other);
    for id in [&a, &b] {
        let c = get_json(&app, &format!("/v1/courses/{id}"), false).await;
        assert_eq!(c["listings"].as_array().unwrap().len(), 1, "{c}");
    }
    let other_before = get_json(&app, &format!("/v1/courses/{other}"), false).await;
    retitle_unlogged(db, "th-merge:NU00437", "not through the change log").await;
    let body = serde_json::json!({
        "listings": ["th-merge:NU00420", "th-merge:NU00436"],
        "reason": "same course",
    })
    .to_string();
    let res = admin_post(&app, "/v1/dedup/link", body).await;
    assert_eq!(res.status(), 200);
    let survivor = course_of(&app, "th-merge:NU00420").await;
    assert!(survivor == a || survivor == b, "{survivor}");
    let loser = if survivor == a { &b } else { &a };
    let res = app
        .http
        .get(app.url(&format!("/v1/courses/{loser}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308, "the merged-away id is evicted");
    assert_eq!(
        res.headers()["location"],
        format!("/v1/courses/{survivor}").as_str()
    );
    let merged = get_json(&app, &format!("/v1/courses/{survivor}"), false).await;
    assert_eq!(merged["listings"].as_array().unwrap().len(), 2, "{merged}");
    assert_eq!(
        get_json(&app, &format!("/v1/courses/{other}"), false).await,
        other_before,
        "a course the merge left alone stays cached"
    );
}

/// A course by id, a miss and then a hit, to a client that does not decompress by itself:
/// gzip-encoded once (the stored bytes; not compressed again by the compression layer)
/// when it accepts gzip, identity when it does not, the same JSON and the same weak tag
/// either way (so a 304 answers both), and `Vary: Accept-Encoding`.
async fn a_cached_body_is_served_gzip_once_or_identity_under_one_tag(db: &TestDb) {
    let portal = ThaiPortal::start("th-gzip").await;
    portal.serve(&thai_courses(&["NU00420"], &[])).await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let course = course_of(&app, "th-gzip:NU00420").await;
    let url = app.url(&format!("/v1/courses/{course}"));
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let get = |gzip: bool, etag: Option<&str>| {
        let mut req = raw.get(&url);
        if gzip {
            req = req.header("Accept-Encoding", "gzip");
        }
        if let Some(e) = etag {
            req = req.header("If-None-Match", e);
        }
        req.send()
    };
    let mut seen: Vec<(Value, String)> = Vec::new();
    for gzip in [true, true, false, true, false] {
        let res = get(gzip, None).await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["vary"]
                .to_str()
                .unwrap()
                .contains("Accept-Encoding")
        );
        let encoding = res
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with("W/"), "{etag}");
        let bytes = res.bytes().await.unwrap();
        let text = if gzip {
            assert_eq!(encoding.as_deref(), Some("gzip"));
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
                .unwrap();
            text
        } else {
            assert_eq!(encoding, None);
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        seen.push((serde_json::from_str(&text).unwrap(), etag));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    let etag = seen[0].1.clone();
    for gzip in [true, false] {
        let res = get(gzip, Some(&etag)).await.unwrap();
        assert_eq!(res.status(), 304, "gzip {gzip}");
    }
}

/// A page is assembled from the cached bodies of its courses: the course in a page is the
/// document its own URL answers, before and after another writer changes it.
async fn a_listed_course_is_the_course_by_id_and_follows_changes(db: &TestDb) {
    let portal = ThaiPortal::start("th-frag").await;
    portal
        .serve(&thai_courses(&["NU00420", "NU00436"], &[]))
        .await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let course = course_of(&app, "th-frag:NU00420").await;
    let listed = |page: &Value| -> Value {
        page["courses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == course.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{course} is not in {page}"))
    };
    // A page read from the database, then the course by id (cached), then a second list
    // (built from the cached body).
    let page = app.json("/v1/courses?source=th-frag&limit=10").await;
    let by_id = app.json(&format!("/v1/courses/{course}")).await;
    assert_eq!(listed(&page), by_id);
    let other = app
        .json("/v1/courses?source=th-frag&sort=updated&limit=10")
        .await;
    assert_eq!(listed(&other), by_id);
    let mut changed = thai_courses(&["NU00420", "NU00436"], &[]);
    for r in changed["data"].as_array_mut().unwrap() {
        if r["courseCode"] == "NU00420" {
            r["title"] = Value::from("การเงินส่วนบุคคล ฉบับปรับปรุง");
        }
    }
    portal.serve(&changed).await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let by_id = app.json(&format!("/v1/courses/{course}")).await;
    let page = app.json("/v1/courses?source=th-frag&limit=10").await;
    assert_eq!(by_id["title"], "การเงินส่วนบุคคล ฉบับปรับปรุง");
    assert_eq!(listed(&page), by_id);
    let other = app
        .json("/v1/courses?source=th-frag&sort=updated&limit=10")
        .await;
    assert_eq!(listed(&other), by_id);
}

async fn matching_etag_answers_304(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let id = app.all_ids("/v1/courses?limit=1&sort=updated").await[0].clone();
    for path in [
        format!("/v1/courses/{id}"),
        "/v1/courses?sort=updated&limit=10".to_owned(),
        "/v1/changes?after=0".to_owned(),
        "/v1/listings/demo-thaimooc/NU00420".to_owned(),
        "/v1/sources".to_owned(),
    ] {
        let res = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with("W/\""), "{etag}");
        let res = app
            .http
            .get(app.url(&path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 304, "{path}");
        assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
        assert!(res.bytes().await.unwrap().is_empty());
        let res = app
            .http
            .get(app.url(&path))
            .header("If-None-Match", "W/\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}

async fn bad_input_is_problem_json_naming_the_parameter(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let other = app.json("/v1/courses?sort=updated&limit=1").await;
    let foreign = other["next"]
        .as_str()
        .unwrap()
        .split("cursor=")
        .nth(1)
        .unwrap()
        .to_owned();
    for (path, parameter) in [
        ("/v1/courses?limit=0", "limit"),
        ("/v1/courses?limit=101", "limit"),
        ("/v1/courses?limit=ten", "limit"),
        ("/v1/courses?sort=popular", "sort"),
        ("/v1/courses?sort=relevance", "sort"),
        ("/v1/courses?availability=soon", "availability"),
        ("/v1/courses?availability=upcoming,", "availability"),
        ("/v1/courses?free=maybe", "free"),
        ("/v1/courses?certificate=yes", "certificate"),
        ("/v1/courses?status=gone", "status"),
        ("/v1/courses?starts_after=yesterday", "starts_after"),
        (
            "/v1/courses?starts_after=2026-01-02&starts_before=2026-01-01",
            "starts_before",
        ),
        ("/v1/courses?q=", "q"),
        ("/v1/courses?q=%20%20", "q"),
        ("/v1/courses?langauge=en", "langauge"),
        ("/v1/courses?language=en&language=th", "language"),
        ("/v1/courses?cursor=not-a-cursor", "cursor"),
        (
            &format!("/v1/courses?sort=start&cursor={foreign}"),
            "cursor",
        ),
        ("/v1/changes?after=-1", "after"),
        ("/v1/changes?limit=5000", "limit"),
        ("/v1/changes?since=3", "since"),
        ("/v1/sources/demo-edx/runs?limit=0", "limit"),
        ("/v1/sources?verbose=1", "verbose"),
    ] {
        let p = problem(&app, path, 400).await;
        assert_eq!(problem_parameter(&p), parameter, "{path}: {p}");
        assert!(p["detail"].as_str().unwrap().contains(parameter), "{p}");
    }
}

/// POSTs `body` to `path` with the admin token the admin test configures.
async fn admin_post(app: &App, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth("s3cret")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn admin_endpoints_refuse_requests_without_the_token(db: &TestDb) {
    let portal = ThaiPortal::start("th-admin").await;
    portal.serve(&thai_courses(&["NU00420"], &[])).await;
    // Off: no token configured.
    let off = spawn(ApiState::new(db.store.clone())).await;
    let res = off
        .http
        .post(off.url("/v1/sources/th-admin/sync"))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    let state = ApiState::new(db.store.clone())
        .with_admin_token(Some("s3cret".into()))
        .with_sources(vec![portal.source.clone()], HttpClient::new().unwrap());
    let app = spawn(state).await;
    for path in [
        "/v1/sources/th-admin/sync",
        "/v1/dedup/link",
        "/v1/dedup/unlink",
    ] {
        let res = app.http.post(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
        assert!(
            res.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let res = app
            .http
            .post(app.url(path))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
    let res = admin_post(&app, "/v1/sources/nope/sync", "").await;
    assert_eq!(res.status(), 404);
    let res = admin_post(&app, "/v1/sources/th-admin/sync", "").await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.headers()["location"], "/v1/sources/th-admin/runs");
    // The run lands in the ledger; wait for it to finish (bounded).
    let mut outcome = Value::Null;
    for _ in 0..200 {
        let runs = app
            .http
            .get(app.url("/v1/sources/th-admin/runs"))
            .send()
            .await
            .unwrap();
        if runs.status() == 200 {
            let v: Value = runs.json().await.unwrap();
            if let Some(o) = v["runs"].get(0).map(|r| r["outcome"].clone())
                && o != "running"
            {
                outcome = o;
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(outcome, "succeeded");
    // The configured source's health and its ledger row describe the same run.
    let sources = app.json("/v1/sources").await;
    let th = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "th-admin")
        .unwrap_or_else(|| panic!("{sources}"));
    assert_eq!(th["configured"], true);
    assert_eq!(th["active_listings"], 1);
    assert_eq!(th["last_run"]["outcome"], "succeeded");
    assert_eq!(th["health"]["last_run"]["id"], th["last_run"]["id"], "{th}");
    assert_eq!(th["health"]["active_listings"], 1);
    assert!(th["health"]["last_success_at"].is_string(), "{th}");
    assert_eq!(
        app.json("/v1/listings/th-admin/NU00420").await["source"],
        "th-admin"
    );
    // A sync held elsewhere (another process's live lease) is refused with 409 naming the
    // holder, not answered 202 for a run that cannot start.
    // (The admin run releases its own lease just after its ledger row closes.)
    let mut lease = None;
    for _ in 0..200 {
        let taken = db
            .store
            .take_lease(
                "th-admin",
                "other-host:42",
                std::time::Duration::from_secs(60),
            )
            .await
            .unwrap();
        if let Ok(l) = taken {
            lease = Some(l);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let lease = lease.expect("the admin run released its lease");
    let res = admin_post(&app, "/v1/sources/th-admin/sync", "").await;
    assert_eq!(res.status(), 409);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["detail"].as_str().unwrap().contains("other-host:42"),
        "{v}"
    );
    db.store.release_lease(&lease).await.unwrap();

    // Dedup overrides: the body is checked, unknown listings are 404.
    let res = admin_post(&app, "/v1/dedup/link", "{\"listings\": [\"a:1\"]}").await;
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["parameter"], "listings");
    let res = admin_post(&app, "/v1/dedup/link", "{\"listings\": [\"a:1\", \"b:2\"]}").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // Two listings of two different courses: link puts them in one course, unlink splits
    // them again; both answer each listing's course.
    demo_catalogue(&db.store).await;
    let page = app.json("/v1/courses?limit=2").await;
    let ids: Vec<String> = page["courses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["listings"][0]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{page}");
    let body = serde_json::json!({ "listings": ids, "reason": "same course" }).to_string();
    let res = admin_post(&app, "/v1/dedup/link", body.clone()).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["action"], "link");
    assert!(v["merged"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["courses"][&ids[0]], v["courses"][&ids[1]], "{v}");
    let res = admin_post(&app, "/v1/dedup/unlink", body).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["action"], "unlink");
    assert_ne!(v["courses"][&ids[0]], v["courses"][&ids[1]], "{v}");
    // An oversized body is refused.
    let res = admin_post(&app, "/v1/dedup/link", vec![b' '; 1024 * 1024]).await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

async fn openapi_document_matches_the_routes(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    let doc = app.json("/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let routes: BTreeSet<String> = [
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /openapi.json",
        "GET /v1/courses",
        "GET /v1/courses/{id}",
        "GET /v1/listings/{source}/{external_id}",
        "GET /v1/changes",
        "GET /v1/sources",
        "GET /v1/sources/{id}/runs",
        "POST /v1/sources/{id}/sync",
        "POST /v1/dedup/link",
        "POST /v1/dedup/unlink",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(documented, routes);
    // Every documented operation is served (not the router's 404 or a 405).
    let course = app.all_ids("/v1/courses?limit=1").await[0].clone();
    for op in &documented {
        let (method, path) = op.split_once(' ').unwrap();
        let path = path
            .replace("{id}/runs", "demo-edx/runs")
            .replace("{id}/sync", "demo-edx/sync")
            .replace("{id}", &course)
            .replace("{source}", "demo-thaimooc")
            .replace("{external_id}", "NU00420");
        let res = match method {
            "GET" => app.http.get(app.url(&path)).send().await.unwrap(),
            _ => app.http.post(app.url(&path)).send().await.unwrap(),
        };
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_ne!(status, 405, "{op}");
        assert!(!text.contains("no such endpoint"), "{op}: {text}");
        if method == "GET" {
            assert_eq!(status, 200, "{op}: {text}");
        } else {
            assert_eq!(status, 403, "{op}: admin is off without a token");
        }
        // Each documented response status set includes what was answered.
        let documented_statuses =
            &doc["paths"][op.split_once(' ').unwrap().1][method.to_lowercase()]["responses"];
        assert!(
            documented_statuses.get(status.to_string()).is_some(),
            "{op} answered {status}, undocumented"
        );
    }
    // The documented bodies are the real shapes: every field a course, a listing and a
    // run carry is a documented property, and the other way round.
    let schemas = &doc["components"]["schemas"];
    let body_ref = |path: &str| {
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    };
    assert_eq!(
        body_ref("/v1/courses/{id}")["$ref"],
        "#/components/schemas/CourseDoc"
    );
    let properties = |name: &str| -> BTreeSet<String> {
        schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} has no properties: {}", schemas[name]))
            .keys()
            .cloned()
            .collect()
    };
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    let body = app.json(&format!("/v1/courses/{course}")).await;
    assert_eq!(properties("CourseDoc"), keys(&body));
    let listing = &body["listings"][0];
    assert_eq!(properties("ListingDoc"), keys(listing));
    let with_runs = app.json("/v1/courses?limit=100").await["courses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["listings"].as_array().unwrap().clone())
        .flat_map(|l| l["runs"].as_array().unwrap().clone())
        .next()
        .expect("a run in the demo catalogue");
    assert_eq!(properties("RunDoc"), keys(&with_runs));
    let list = app.json("/v1/courses?limit=1").await;
    assert_eq!(properties("CourseList"), keys(&list));
    // The ledger's runs too (a run's counts are flattened into it: `allOf` of parts).
    fn all_properties(schemas: &Value, schema: &Value) -> BTreeSet<String> {
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.rsplit('/').next().unwrap();
            return all_properties(schemas, &schemas[name]);
        }
        let mut out: BTreeSet<String> = schema["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        for part in schema["allOf"].as_array().into_iter().flatten() {
            out.extend(all_properties(schemas, part));
        }
        out
    }
    let runs = app.json("/v1/sources/demo-edx/runs").await;
    assert_eq!(properties("RunList"), keys(&runs));
    let run = &runs["runs"][0];
    assert_eq!(
        all_properties(schemas, &schemas["SyncRunRow"]),
        keys(run),
        "{run}"
    );
}

async fn json_ld_gzip_and_cors(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let mut state = ApiState::new(db.store.clone());
    state.options.cors_origins = vec!["https://catalogue.example".into()];
    let app = spawn(state).await;
    let listing = app.json("/v1/listings/demo-edx/TsinghuaX+30240184X").await;
    let course = listing["course_id"].as_str().unwrap();
    let res = app
        .http
        .get(app.url(&format!("/v1/courses/{course}")))
        .header("Accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/ld+json");
    let ld: Value = res.json().await.unwrap();
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "Course");
    assert_eq!(ld["name"], "Data Structures and Algorithms");
    assert_eq!(ld["sameAs"][0], listing["url"]);
    assert_eq!(ld["provider"][0]["@type"], "Organization");
    let inst = &ld["hasCourseInstance"][0];
    assert_eq!(inst["@type"], "CourseInstance");
    assert_eq!(inst["courseMode"][0], "online");
    assert_eq!(inst["startDate"], listing["runs"][0]["start"]);
    let thai = app.json("/v1/listings/demo-thaimooc/NU00420").await;
    let ld: Value = app
        .http
        .get(app.url(&format!(
            "/v1/courses/{}",
            thai["course_id"].as_str().unwrap()
        )))
        .header("Accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ld["inLanguage"][0], "th");
    assert_eq!(ld["hasCourseInstance"][0]["inLanguage"], "th");
    let free = app.all_ids("/v1/courses?free=true&limit=1").await[0].clone();
    let ld: Value = app
        .http
        .get(app.url(&format!("/v1/courses/{free}")))
        .header("Accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ld["offers"][0]["@type"], "Offer");
    assert_eq!(ld["offers"][0]["price"], 0);

    // gzip when asked (a client that does not decompress by itself).
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let res = raw
        .get(app.url("/v1/courses?limit=20"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let bytes = res.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["courses"].as_array().unwrap().len(), 20);

    // CORS for the configured origin only.
    let res = app
        .http
        .get(app.url("/v1/sources"))
        .header("Origin", "https://catalogue.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://catalogue.example"
    );
    let res = app
        .http
        .get(app.url("/v1/sources"))
        .header("Origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

on_both_backends!(
    every_endpoint_answers,
    pagination_reaches_the_end_without_duplicates_or_gaps,
    every_filter_selects_what_it_says,
    merged_ids_redirect_to_the_survivor,
    change_feed_follows_creates_updates_and_withdrawals,
    a_withdrawal_counts_as_an_update_for_sort_updated,
    a_cached_course_follows_changes_by_other_writers,
    a_listed_course_is_the_course_by_id_and_follows_changes,
    a_sync_evicts_only_the_courses_it_changed,
    a_merge_evicts_the_merged_away_course_and_the_survivor,
    a_cached_body_is_served_gzip_once_or_identity_under_one_tag,
    matching_etag_answers_304,
    bad_input_is_problem_json_naming_the_parameter,
    admin_endpoints_refuse_requests_without_the_token,
    openapi_document_matches_the_routes,
    json_ld_gzip_and_cors,
);
