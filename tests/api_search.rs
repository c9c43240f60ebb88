//! Multilingual full-text search through the read API, on both backends: Thai and Chinese
//! (no spaces between words) and English, over catalogues synced through the real HTTP
//! path; the index follows updates; short terms fall back to a scan.

#[path = "common/api.rs"]
mod api;
mod common;

use api::{App, ThaiPortal, demo_catalogue, spawn, sync, thai_courses};
use common::db::TestDb;
use coursefed::api::ApiState;
use serde_json::Value;

/// The titles of every listing of the courses `q` finds, in result order.
async fn found(app: &App, q: &str) -> Vec<Vec<String>> {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let v = app.json(&format!("/v1/courses?q={q}&limit=100")).await;
    v["courses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["listings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l: &Value| l["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn flat(results: &[Vec<String>]) -> Vec<String> {
    results.iter().flatten().cloned().collect()
}

/// The catalogue: the demo's four recorded platforms, plus a Thai portal listing real
/// Thai MOOC data-science titles (from the shared Thai MOOC sample catalogue).
async fn catalogue(db: &TestDb) -> (App, ThaiPortal) {
    demo_catalogue(&db.store).await;
    let portal = ThaiPortal::start("th-search").await;
    portal
        .serve(&thai_courses(
            &["NU00420", "NU00436"],
            &[
                (
                    "DS00001",
                    "วิทยาการข้อมูลเบื้องต้น",
                    "Introduction to Data Science",
                ),
                (
                    "DS00002",
                    "คลังข้อมูลและการทำเหมืองข้อมูล",
                    "Data Warehousing and Data Mining",
                ),
            ],
        ))
        .await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    (spawn(ApiState::new(db.store.clone())).await, portal)
}

async fn thai_chinese_and_english_queries_find_the_right_courses(db: &TestDb) {
    let (app, _portal) = catalogue(db).await;

    let thai = flat(&found(&app, "ข้อมูล").await);
    assert_eq!(thai.len(), 2, "{thai:?}");
    assert!(thai.contains(&"th-search:DS00001".to_owned()));
    assert!(thai.contains(&"th-search:DS00002".to_owned()));

    let chinese = found(&app, "数据结构").await;
    let ids = flat(&chinese);
    assert!(ids.len() >= 2, "{ids:?}");
    // Every hit is a 数据结构 course of the XuetangX-style platform.
    assert!(
        ids.iter().all(|i| i.starts_with("demo-xuetangx:")),
        "{ids:?}"
    );

    let english = flat(&found(&app, "data structures").await);
    assert!(
        english.contains(&"demo-edx:TsinghuaX+30240184X".to_owned()),
        "{english:?}"
    );
    // Both words must match: "Data Science" courses are not "data structures".
    assert!(
        !english.contains(&"th-search:DS00001".to_owned()),
        "{english:?}"
    );
    assert!(!english.iter().any(|i| i.contains("PH125")), "{english:?}");

    // Case and word order do not matter; the title match ranks first.
    let upper = flat(&found(&app, "STRUCTURES Data").await);
    assert_eq!(upper.len(), english.len());

    // Institutions and instructors are searched too.
    let by_teacher = flat(&found(&app, "邓俊辉").await);
    assert!(!by_teacher.is_empty());
    assert!(by_teacher.iter().all(|i| i.starts_with("demo-xuetangx:")));

    // A two-character term has no trigram: it is matched by a scan.
    let short = flat(&found(&app, "数据").await);
    for id in &ids {
        assert!(short.contains(id), "{id} missing from {short:?}");
    }
    let mixed = flat(&found(&app, "数据 结构").await);
    assert_eq!(mixed.len(), ids.len(), "{mixed:?}");

    // Nothing matches: an empty page.
    assert!(found(&app, "zzqqxx").await.is_empty());
}

async fn relevance_ranks_title_matches_first(db: &TestDb) {
    let (app, _portal) = catalogue(db).await;
    // "Data Warehousing and Data Mining" names data in its title twice; a description
    // mention ranks below a title mention.
    let results = found(&app, "mining").await;
    assert_eq!(results[0], ["th-search:DS00002"]);
    // Filters combine with search.
    let thai_only = flat(&found(&app, "data").await);
    assert!(thai_only.len() > 2);
    let v = app
        .json("/v1/courses?q=data&source=th-search&limit=100")
        .await;
    let ids: Vec<&str> = v["courses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["listings"][0]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.iter().all(|i| i.starts_with("th-search:DS")));
    // Search with another order.
    let by_update = app
        .all_ids("/v1/courses?q=data&source=th-search&sort=updated&limit=1")
        .await;
    assert_eq!(by_update.len(), 2);
}

async fn the_index_follows_updates_and_withdrawals(db: &TestDb) {
    let (app, portal) = catalogue(db).await;
    assert_eq!(flat(&found(&app, "คลังข้อมูล").await), ["th-search:DS00002"]);
    // Retitle DS00001 and drop DS00002.
    portal
        .serve(&thai_courses(
            &["NU00420", "NU00436"],
            &[(
                "DS00001",
                "การวิเคราะห์ข้อมูลเบื้องต้นด้วยเวก้า",
                "Introduction to Data Analysis with Weka",
            )],
        ))
        .await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    assert!(found(&app, "วิทยาการ").await.is_empty());
    assert_eq!(flat(&found(&app, "เวก้า").await), ["th-search:DS00001"]);
    assert_eq!(flat(&found(&app, "weka").await), ["th-search:DS00001"]);
    // Withdrawn listings are found only when asked for.
    assert!(found(&app, "คลังข้อมูล").await.is_empty());
    let v = app
        .json("/v1/courses?q=%E0%B8%84%E0%B8%A5%E0%B8%B1%E0%B8%87%E0%B8%82%E0%B9%89%E0%B8%AD%E0%B8%A1%E0%B8%B9%E0%B8%A5&status=withdrawn")
        .await;
    assert_eq!(v["courses"][0]["listings"][0]["id"], "th-search:DS00002");
}

/// The course id of each course `q` finds, in result order.
async fn found_courses(app: &App, q: &str) -> Vec<String> {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let v = app.json(&format!("/v1/courses?q={q}&limit=100")).await;
    v["courses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_index_follows_listings_that_dedup_moves(db: &TestDb) {
    let (app, _portal) = catalogue(db).await;
    let before = found_courses(&app, "คลังข้อมูล").await;
    let other = found_courses(&app, "วิทยาการข้อมูล").await;
    assert_eq!(before.len(), 1);
    assert_eq!(other.len(), 1);
    assert_ne!(before, other);
    let note = coursefed::dedup::OverrideNote {
        reason: Some("test".into()),
        by: "test".into(),
    };
    coursefed::dedup::link(&db.store, "th-search:DS00001", "th-search:DS00002", &note)
        .await
        .unwrap();
    // Both titles now find the one surviving course, never the merged-away id.
    let after = found_courses(&app, "คลังข้อมูล").await;
    assert_eq!(after, found_courses(&app, "วิทยาการข้อมูล").await);
    assert_eq!(after.len(), 1);
    assert!(after == before || after == other, "{after:?}");
    let page = app.json(&format!("/v1/courses/{}", after[0])).await;
    assert_eq!(page["listings"].as_array().map(Vec::len), Some(2), "{page}");
}

async fn courses_found_only_by_their_descriptions_rank_by_the_shorter_title(db: &TestDb) {
    demo_catalogue(&db.store).await;
    let portal = ThaiPortal::start("th-desc").await;
    let mut courses = thai_courses(
        &[],
        &[
            ("DM00001", "การตลาดดิจิทัล", "Digital Marketing"),
            (
                "AH00001",
                "ประวัติศาสตร์ศิลปะตะวันตกสมัยใหม่และร่วมสมัย",
                "Modern and Contemporary Western Art History",
            ),
        ],
    );
    // The longer title's description says the word twice in a few words (what bm25
    // would put first); the shorter title's says it once, in a long text.
    courses["data"][0]["description"] = serde_json::json!(format!(
        "<p>{} zebrafish {}</p>",
        "Campaigns, channels and measurement. ".repeat(20),
        "Analytics and budgets. ".repeat(20)
    ));
    courses["data"][1]["description"] = serde_json::json!("<p>zebrafish zebrafish</p>");
    portal.serve(&courses).await;
    sync(&db.store, std::slice::from_ref(&portal.source)).await;
    let app = spawn(ApiState::new(db.store.clone())).await;
    // No title, institution or instructor has the word: the whole page comes from the
    // database's full-text index, ranked as the in-process index ranks (title hits, then
    // the shorter title), on both backends.
    assert_eq!(
        flat(&found(&app, "zebrafish").await),
        ["th-desc:DM00001", "th-desc:AH00001"]
    );
}

on_both_backends!(
    courses_found_only_by_their_descriptions_rank_by_the_shorter_title,
    the_index_follows_listings_that_dedup_moves,
    thai_chinese_and_english_queries_find_the_right_courses,
    relevance_ranks_title_matches_first,
    the_index_follows_updates_and_withdrawals,
);
