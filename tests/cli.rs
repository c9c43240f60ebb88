//! The `coursefed` binary end to end: the demo, the export shape, exit codes.

mod common;

use std::process::Command;

use common::cli::coursefed;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every string in the document is non-empty (absent values are null or []).
fn assert_no_empty_strings(v: &Value, at: &str) {
    match v {
        Value::String(s) => assert!(!s.is_empty(), "empty string at {at}"),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| assert_no_empty_strings(x, &format!("{at}[{i}]"))),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| assert_no_empty_strings(x, &format!("{at}.{k}"))),
        _ => {}
    }
}

const LISTING_KEYS: &[&str] = &[
    "id",
    "source",
    "external_id",
    "status",
    "url",
    "title",
    "titles",
    "short_description",
    "description_html",
    "description_text",
    "institutions",
    "instructors",
    "languages",
    "subjects",
    "image_url",
    "effort",
    "duration_weeks",
    "access",
    "certificate",
    "same_as",
    "runs",
];
const RUN_KEYS: &[&str] = &[
    "id",
    "start",
    "end",
    "enrollment_start",
    "enrollment_end",
    "pacing",
    "availability",
    "hidden",
];

#[test]
fn demo_syncs_every_style_and_export_has_the_final_shape() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = coursefed(dir.path(), &db, &["demo"]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for source in ["demo-edx", "demo-edx-rss", "demo-xuetangx", "demo-thaimooc"] {
        let row = stdout
            .lines()
            .find(|l| l.contains(&format!(" {source} ")))
            .unwrap_or_else(|| panic!("{source} missing:\n{stdout}"));
        assert!(row.contains("succeeded"), "{row}");
    }

    let out = coursefed(dir.path(), &db, &["export"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(lines.len() >= 40, "{} courses", lines.len());
    let mut sources = std::collections::BTreeSet::new();
    for course in &lines {
        assert_no_empty_strings(course, "course");
        for key in ["id", "title", "titles", "languages", "listings"] {
            assert!(course.get(key).is_some(), "course without {key}: {course}");
        }
        for listing in course["listings"].as_array().unwrap() {
            for key in LISTING_KEYS {
                assert!(
                    listing.get(*key).is_some(),
                    "listing without {key}: {listing}"
                );
            }
            sources.insert(listing["source"].as_str().unwrap().to_owned());
            for run in listing["runs"].as_array().unwrap() {
                for key in RUN_KEYS {
                    assert!(run.get(*key).is_some(), "run without {key}: {run}");
                }
                if let Some(start) = run["start"].as_str() {
                    assert!(!start.starts_with("1970"), "invented start {start}");
                    assert!(
                        chrono::DateTime::parse_from_rfc3339(start).is_ok(),
                        "{start}"
                    );
                }
            }
        }
    }
    assert_eq!(sources.len(), 4, "{sources:?}");

    // A Thai course: Buddhist-era dates became Common Era, titles are language-tagged.
    let thai = lines
        .iter()
        .flat_map(|c| c["listings"].as_array().unwrap())
        .find(|l| l["id"] == "demo-thaimooc:NU00420")
        .expect("NU00420 exported");
    assert_eq!(thai["titles"]["en"], "Personal Finance");
    let start = thai["runs"][0]["start"].as_str().unwrap();
    assert!(
        start.starts_with("2025-06-1"),
        "2568 BE is 2025 CE: {start}"
    );

    let out = coursefed(
        dir.path(),
        &db,
        &["courses", "show", "demo-thaimooc:NU00420"],
    );
    assert_eq!(out.status.code(), Some(0));
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["listings"][0]["id"], "demo-thaimooc:NU00420");
    let out = coursefed(dir.path(), &db, &["courses", "show", "demo-edx:Nope+1"]);
    assert_eq!(out.status.code(), Some(1));

    // A second demo run finds every listing unchanged.
    let out = coursefed(dir.path(), &db, &["demo"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let rows: Vec<Vec<String>> = stdout
        .lines()
        .filter(|l| l.starts_with('│') && l.contains(" demo-"))
        .map(|l| {
            l.split('┆')
                .map(|c| {
                    c.trim_matches(|ch: char| ch == '│' || ch.is_whitespace())
                        .to_owned()
                })
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 4, "{stdout}");
    for r in rows {
        assert_eq!(
            (r[4].as_str(), r[5].as_str()),
            ("0", "0"),
            "created/updated on a re-run: {r:?}"
        );
        assert_ne!(r[6], "0", "unchanged listings counted: {r:?}");
    }

    let out = coursefed(dir.path(), &db, &["sync"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "no connectors directory here: a configuration error"
    );
}

#[test]
fn connectors_validate_reports_every_bad_file_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("connectors");
    std::fs::create_dir(&conn).unwrap();
    std::fs::write(
        conn.join("good.toml"),
        "style = \"openedx\"\nbase_url = \"https://lms.example.edu\"\n",
    )
    .unwrap();
    std::fs::write(
        conn.join("typo.toml"),
        "style = \"openedx\"\nbase_url = \"https://x.org\"\npagesize = 5\n",
    )
    .unwrap();
    std::fs::write(
        conn.join("badcron.toml"),
        "style = \"openedx\"\nbase_url = \"https://x.org\"\nschedule = \"* * *\"\n",
    )
    .unwrap();
    let db = dir.path().join("x.db");
    let out = coursefed(dir.path(), &db, &["connectors", "validate"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("typo.toml") && stdout.contains("pagesize"),
        "{stdout}"
    );
    assert!(
        stdout.contains("badcron.toml") && stdout.contains("schedule"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ok") && stdout.contains("good.toml"),
        "{stdout}"
    );

    let out = coursefed(dir.path(), &db, &["sync", "good"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad file anywhere is a configuration error"
    );
}

#[test]
fn unknown_source_and_bad_database_url_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("connectors");
    std::fs::create_dir(&conn).unwrap();
    std::fs::write(
        conn.join("edx.toml"),
        "style = \"openedx\"\nbase_url = \"https://lms.example.edu\"\n",
    )
    .unwrap();
    let db = dir.path().join("x.db");
    let out = coursefed(dir.path(), &db, &["sync", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown source \"nope\""),
        "{}",
        text(&out.stderr)
    );
    let out = coursefed(
        dir.path(),
        &db,
        &["--database-url", "mysql://x", "courses", "list"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = coursefed(dir.path(), &db, &["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn failed_run_exits_1_and_succeeded_run_exits_0() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/good/api/courses/v1/courses/"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/broken/api/courses/v1/courses/"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"results\": [{"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("connectors");
    std::fs::create_dir(&conn).unwrap();
    for name in ["good", "broken"] {
        std::fs::write(
            conn.join(format!("{name}.toml")),
            format!(
                "style = \"openedx\"\nbase_url = \"{}/{name}/\"\nrequests_per_minute = 6000\n",
                server.uri()
            ),
        )
        .unwrap();
    }
    let db = dir.path().join("x.db");
    let dir_path = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || coursefed(&dir_path, &db, &["sync", "good"]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let db = dir.path().join("x.db");
    let dir_path = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || coursefed(&dir_path, &db, &["sync"]))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("failed") && stdout.contains("succeeded"),
        "{stdout}"
    );
    assert!(
        text(&out.stderr).contains("broken"),
        "the failure names the source: {}",
        text(&out.stderr)
    );
}

#[test]
fn bench_dedup_writes_one_cluster_per_course() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("records.csv");
    std::fs::write(
        &input,
        "record_id,platform,source_id,title,institution,instructors,language,run_label,start_date,subject\n\
         1,edx,course-v1:MITx+6.00.1x+2T2024,Introduction to Computer Science,MIT,Ana Bell,English,2T2024,2024-06-01,Computer Science\n\
         2,edx,course-v1:MITx+6.00.1x+1T2025,Introduction to Computer Science,MIT,Ana Bell,English,1T2025,2025-01-15,Computer Science\n\
         3,edx,course-v1:MITx+6.00.2x+1T2025,Introduction to Computational Thinking and Data Science,MIT,Eric Grimson,English,1T2025,2025-02-01,Computer Science\n",
    )
    .unwrap();
    let output = dir.path().join("pred.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_coursefed"))
        .args(["bench", "dedup", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let pred = std::fs::read_to_string(&output).unwrap();
    let cluster = |id: &str| {
        pred.lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .and_then(|l| l.split(',').nth(1))
            .unwrap_or_else(|| panic!("{id} missing from {pred}"))
            .to_owned()
    };
    assert_eq!(cluster("1"), cluster("2"), "two runs of one course: {pred}");
    assert_ne!(cluster("1"), cluster("3"), "a different course: {pred}");
}
