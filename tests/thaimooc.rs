//! The Thai MOOC-style connector against a mock portal (wiremock on loopback) serving the
//! recorded fixtures in `fixtures/thaimooc/`: the golden catalogue, the directory join,
//! missing pages, platform failures and selectors configured in TOML.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use coursefed::config::{SourceConfig, StyleConfig, ThaimoocOptions};
use coursefed::connector::{Connector, ConnectorError, RecordSink, RunContext};
use coursefed::domain::{ListingDraft, Pacing, Rejection, SourceId};
use coursefed::fetch::{FetchPolicy, HttpClient, SourceFetcher};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

// ---- helpers ---------------------------------------------------------------------------

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/thaimooc")
}

fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// What a run emitted.
#[derive(Default)]
struct Collected {
    listings: Vec<ListingDraft>,
    rejections: Vec<Rejection>,
}

impl RecordSink for Collected {
    fn listing(&mut self, draft: ListingDraft) -> Result<(), String> {
        self.listings.push(draft);
        Ok(())
    }
    fn reject(&mut self, rejection: Rejection) {
        self.rejections.push(rejection);
    }
}

impl Collected {
    fn listing(&self, code: &str) -> &ListingDraft {
        self.listings
            .iter()
            .find(|l| l.external_id == code)
            .unwrap_or_else(|| panic!("no listing {code}"))
    }
}

/// A connector file for the mock server; `extra` is appended (options).
fn config(uri: &str, extra: &str) -> Result<SourceConfig, coursefed::config::ConfigError> {
    let text = format!(
        "style = \"thaimooc\"\nbase_url = \"{uri}\"\ntimezone = \"Asia/Bangkok\"\n\
         requests_per_minute = 60000\nmax_attempts = 1\ntimeout_seconds = 5\n{extra}"
    );
    SourceConfig::from_toml(
        SourceId::parse("thaimooc").unwrap(),
        Path::new("connectors/thaimooc.toml"),
        &text,
    )
}

async fn run(cfg: &SourceConfig) -> (Result<(), ConnectorError>, Collected) {
    coursefed::install_crypto_provider();
    let client = HttpClient::new().unwrap();
    let fetcher = SourceFetcher::new(&client, FetchPolicy::of(cfg));
    let mut sink = Collected::default();
    let result = {
        let mut cx = RunContext::new(cfg, &fetcher, &mut sink);
        Connector::for_source(cfg).run(&mut cx).await
    };
    (result, sink)
}

fn json(body: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json; charset=utf-8")
}

fn html(body: impl Into<Vec<u8>>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into(), "text/html; charset=utf-8")
}

async fn mount_api(server: &MockServer, what: &str, body: Vec<u8>) {
    Mock::given(method("GET"))
        .and(path(format!("/api/{what}")))
        .respond_with(json(body))
        .mount(server)
        .await;
}

/// The demo layout: `/api/{courses,institutions,instructors}` and `/courses/{code}` for
/// each `pages/{code}.html`; anything else is 404 (wiremock's default).
async fn serve_fixtures() -> MockServer {
    let server = MockServer::start().await;
    for what in ["courses", "institutions", "instructors"] {
        mount_api(&server, what, fixture(&format!("{what}.json"))).await;
    }
    let mut pages: Vec<_> = std::fs::read_dir(fixtures().join("pages"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    for p in pages {
        let code = p.file_stem().unwrap().to_str().unwrap().to_owned();
        Mock::given(method("GET"))
            .and(path(format!("/courses/{code}")))
            .respond_with(html(std::fs::read(&p).unwrap()))
            .mount(&server)
            .await;
    }
    server
}

fn one_course(extra: serde_json::Value) -> Vec<u8> {
    let mut course = serde_json::json!({"courseCode": "NU00420", "title": "การเงินส่วนบุคคล"});
    if let (Some(c), Some(e)) = (course.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    serde_json::to_vec(&serde_json::json!({"success": true, "data": [course]})).unwrap()
}

async fn serve_one_course(course: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    mount_api(&server, "courses", course).await;
    mount_api(&server, "institutions", fixture("institutions.json")).await;
    mount_api(&server, "instructors", fixture("instructors.json")).await;
    server
}

// ---- golden ----------------------------------------------------------------------------

/// The whole fixture catalogue, normalised, against `courses.expected.json`
/// (`UPDATE_GOLDEN=1` rewrites it; review the diff by eye).
#[tokio::test]
async fn fixture_catalogue_matches_the_golden_output() {
    let server = serve_fixtures().await;
    let cfg = config(&server.uri(), "").unwrap();
    let (result, got) = run(&cfg).await;
    result.unwrap();
    let actual = serde_json::to_string_pretty(&serde_json::json!({
        "listings": got.listings,
        "rejections": got.rejections,
    }))
    .unwrap()
    .replace(&server.uri(), "{base}")
        + "\n";
    let expected_path = fixtures().join("courses.expected.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path)
        .expect("courses.expected.json missing: run with UPDATE_GOLDEN=1 and review it");
    pretty_assertions::assert_eq!(expected, actual);
}

// ---- behaviour ---------------------------------------------------------------------------

#[tokio::test]
async fn institutions_and_instructors_are_joined_onto_courses() {
    let server = serve_fixtures().await;
    let (result, got) = run(&config(&server.uri(), "").unwrap()).await;
    result.unwrap();
    let nu = got.listing("NU00436");
    assert_eq!(nu.institutions, ["มหาวิทยาลัยนเรศวร", "Naresuan University"]);
    assert_eq!(nu.instructors, ["รศ. ปราณี รักสุขภาพ", "ผศ.ดร. สมชาย ใจดี"]);
    // Numeric ids join with text ids; an institution without an English name gives one entry.
    let ocsc = got.listing("OCSC00038");
    assert_eq!(
        ocsc.institutions,
        [
            "สำนักงานคณะกรรมการข้าราชการพลเรือน",
            "Office of the Civil Service Commission"
        ]
    );
    assert_eq!(ocsc.instructors, ["นายธนพล มั่นคง"]);
    assert_eq!(got.listing("ICCS00884").institutions, ["สถาบันวิทยาลัยชุมชน"]);
    assert_eq!(got.listing("ICCS00884").instructors, ["John Smith"]);
    // An instructor id missing from the directory: the page's names stand in.
    assert_eq!(
        got.listing("ICCS00894").instructors,
        ["นายสมศักดิ์ ช่างไฟ", "นางสาวอรุณี แสงทอง"]
    );
}

#[tokio::test]
async fn missing_course_page_keeps_the_json_data_and_is_not_rejected() {
    let server = serve_fixtures().await;
    let (result, got) = run(&config(&server.uri(), "").unwrap()).await;
    result.unwrap();
    let requested: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert!(
        requested.contains(&"/courses/STOU00660".to_owned()),
        "{requested:?}"
    );
    let stou = got.listing("STOU00660");
    assert_eq!(stou.title, "ศาสตร์แห่งการชะลอวัย");
    assert_eq!(
        stou.titles.get("en").map(String::as_str),
        Some("Science of active aging")
    );
    assert_eq!(
        stou.institutions,
        [
            "มหาวิทยาลัยสุโขทัยธรรมาธิราช",
            "Sukhothai Thammathirat Open University"
        ]
    );
    assert_eq!(stou.enrollment_count, Some(2310));
    assert_eq!(
        stou.same_as,
        ["course-v1:STOU+STOU660+2020", "STOU+STOU660"]
    );
    let run = stou.runs.first().unwrap();
    assert_eq!(run.external_run_id, "course-v1:STOU+STOU660+2020");
    assert_eq!((run.start, run.raw_dates.start.as_deref()), (None, None));
    assert!(
        got.rejections
            .iter()
            .all(|r| r.external_id.as_deref() != Some("STOU00660"))
    );
}

#[tokio::test]
async fn records_without_code_or_title_are_rejected_with_their_field() {
    let server = serve_fixtures().await;
    let (result, got) = run(&config(&server.uri(), "").unwrap()).await;
    result.unwrap();
    let rejected: Vec<(Option<&str>, &str)> = got
        .rejections
        .iter()
        .map(|r| (r.external_id.as_deref(), r.field.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (Some("UMOOCs00860"), "title"),
            (None, "courseCode"),
            (None, "courseCode")
        ]
    );
    assert_eq!(got.listings.len(), 9);
    // The two courses sharing a Thai title stay two listings.
    let shared = got
        .listings
        .iter()
        .filter(|l| l.title == "ศาสตร์แห่งการชะลอวัย")
        .count();
    assert_eq!(shared, 2);
}

#[tokio::test]
async fn page_fields_fill_the_listing_and_its_run() {
    let server = serve_fixtures().await;
    let (result, got) = run(&config(&server.uri(), "").unwrap()).await;
    result.unwrap();
    let nu = got.listing("NU00420");
    assert_eq!(nu.url, Some(format!("{}/courses/NU00420", server.uri())));
    assert_eq!(
        nu.image_url,
        Some(format!(
            "{}/uploads/courses/nu00420-banner.png",
            server.uri()
        ))
    );
    assert_eq!(nu.same_as, ["course-v1:NU+NU020+2018", "NU+NU020"]);
    let effort = nu.effort.as_ref().unwrap();
    assert_eq!(
        (effort.total_hours, effort.text.as_deref()),
        (Some(10.0), Some("10 ชั่วโมง"))
    );
    let html = nu.description_html.as_deref().unwrap();
    assert!(
        !html.contains("script") && !html.contains("onclick"),
        "{html}"
    );
    let run = nu.runs.first().unwrap();
    assert_eq!(
        run.raw_dates.enrollment_start.as_deref(),
        Some("1 มิ.ย. 2568 - 31 ส.ค. 2568")
    );
    assert_eq!(
        run.raw_dates.start.as_deref(),
        Some("15 มิถุนายน 2568 – 30 กันยายน 2568")
    );
    // Any time: self-paced, no dates.
    let anytime = got.listing("NU00436").runs.first().unwrap();
    assert_eq!(anytime.pacing, Some(Pacing::SelfPaced));
    assert_eq!((anytime.start, anytime.enrollment_start), (None, None));
    // The page's title stands in for a null JSON title.
    assert_eq!(got.listing("UMOOCs00862").title, "สื่อมวลชนและการรู้เท่าทันสื่อ");
}

/// Needs the Thai calendar in `normalise::dates::parse_range` (normalise branch).
#[tokio::test]
async fn buddhist_era_page_dates_become_common_era_dates() {
    let server = serve_fixtures().await;
    let (result, got) = run(&config(&server.uri(), "").unwrap()).await;
    result.unwrap();
    let bangkok = chrono_tz::Asia::Bangkok;
    let day = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map(|d| d.with_timezone(&bangkok).date_naive())
    };
    let run = got.listing("NU00420").runs.first().unwrap();
    assert_eq!(day(run.start), NaiveDate::from_ymd_opt(2025, 6, 15));
    assert_eq!(
        day(run.enrollment_start),
        NaiveDate::from_ymd_opt(2025, 6, 1)
    );
    assert_eq!(run.end.map(|d| (d.year(), d.month())), Some((2025, 9)));
    // Thai digits: ๑๕ ม.ค. ๒๕๖๘.
    let thai_digits = got.listing("NU00437").runs.first().unwrap();
    assert_eq!(day(thai_digits.start), NaiveDate::from_ymd_opt(2025, 1, 15));
    // Open-ended: ตั้งแต่ 1 ตุลาคม 2567.
    let open = got.listing("ICCS00894").runs.first().unwrap();
    assert_eq!(day(open.start), NaiveDate::from_ymd_opt(2024, 10, 1));
    assert_eq!(open.end, None);
}

#[tokio::test]
async fn success_false_from_the_portal_fails_the_run() {
    let failed =
        br#"{"success": false, "message": "Internal server error", "data": null}"#.to_vec();
    for broken in ["courses", "institutions", "instructors"] {
        let server = MockServer::start().await;
        for what in ["courses", "institutions", "instructors"] {
            let body = if what == broken {
                failed.clone()
            } else {
                fixture(&format!("{what}.json"))
            };
            mount_api(&server, what, body).await;
        }
        let (result, got) = run(&config(&server.uri(), "").unwrap()).await;
        match result {
            Err(ConnectorError::Platform { url, message }) => {
                assert!(url.ends_with(&format!("/api/{broken}")), "{url}");
                assert_eq!(message, "Internal server error");
            }
            other => panic!("{broken}: expected a platform error, got {other:?}"),
        }
        assert!(got.listings.is_empty(), "{broken}: listings emitted");
    }
}

#[tokio::test]
async fn course_page_server_error_fails_the_run() {
    let server = serve_one_course(one_course(serde_json::json!({}))).await;
    Mock::given(method("GET"))
        .and(path("/courses/NU00420"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let (result, _) = run(&config(&server.uri(), "").unwrap()).await;
    match result {
        Err(ConnectorError::Fetch(e)) => assert_eq!(e.status(), Some(500)),
        other => panic!("expected a fetch error, got {other:?}"),
    }
}

const REDESIGNED: &str = r#"<html><body>
<div class="hero"><h2 class="name">การเงินส่วนบุคคล</h2><h3 class="name-en">Personal Finance</h3></div>
<table class="facts">
  <tr><th>มหาวิทยาลัย</th><td>มหาวิทยาลัยนเรศวร</td></tr>
  <tr><th>วันเรียน</th><td>15 มิถุนายน 2568 – 30 กันยายน 2568</td></tr>
  <tr><th>ชั่วโมงเรียน</th><td>8 ชั่วโมง</td></tr>
</table></body></html>"#;

const REDESIGN_OPTIONS: &str = r#"
[selectors]
title = "h2.name"
title_en = "h3.name-en"
info = "table.facts"
info_label = "th"
info_value = "td"

[labels]
institution = "มหาวิทยาลัย"
class_dates = "วันเรียน"
effort = "ชั่วโมงเรียน"
"#;

#[tokio::test]
async fn redesigned_page_is_read_with_selectors_and_labels_from_toml() {
    // No title, no institution in the JSON: only the page can give them.
    let course = br#"{"success": true, "data": [{"courseCode": "NU00420"}]}"#.to_vec();
    let server = serve_one_course(course).await;
    Mock::given(method("GET"))
        .and(path("/courses/NU00420"))
        .respond_with(html(REDESIGNED))
        .mount(&server)
        .await;

    // With the default selectors the redesign hides everything: the title is missing.
    let (result, got) = run(&config(&server.uri(), "").unwrap()).await;
    result.unwrap();
    assert_eq!(
        got.rejections.first().map(|r| r.field.as_str()),
        Some("title")
    );

    let (result, got) = run(&config(&server.uri(), REDESIGN_OPTIONS).unwrap()).await;
    result.unwrap();
    let l = got.listing("NU00420");
    assert_eq!(l.title, "การเงินส่วนบุคคล");
    assert_eq!(
        l.titles.get("en").map(String::as_str),
        Some("Personal Finance")
    );
    assert_eq!(l.institutions, ["มหาวิทยาลัยนเรศวร"]);
    assert_eq!(
        l.effort.as_ref().and_then(|e| e.text.as_deref()),
        Some("8 ชั่วโมง")
    );
    assert_eq!(
        l.runs.first().and_then(|r| r.raw_dates.start.as_deref()),
        Some("15 มิถุนายน 2568 – 30 กันยายน 2568")
    );
}

#[test]
fn bad_selector_in_toml_is_a_config_error_naming_the_key() {
    let e = config(
        "https://thaimooc.ac.th",
        "[selectors]\ninfo = \"dl..course-info\"\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("selectors.info"), "{e}");
    assert!(e.contains("connectors/thaimooc.toml"), "{e}");
    let e = config("https://thaimooc.ac.th", "[labels]\nlanguage = \"\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("labels.language"), "{e}");
    let e = config("https://thaimooc.ac.th", "[selectors]\nheading = \"h1\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("heading"), "{e}");
}

#[tokio::test]
async fn fetch_pages_off_requests_no_course_page() {
    let server = serve_one_course(one_course(serde_json::json!({"durationHours": 10}))).await;
    Mock::given(path_regex("^/courses/"))
        .respond_with(html("<h1>never</h1>"))
        .expect(0)
        .mount(&server)
        .await;
    let (result, got) = run(&config(&server.uri(), "fetch_pages = false\n").unwrap()).await;
    result.unwrap();
    let l = got.listing("NU00420");
    assert_eq!(l.effort.as_ref().and_then(|e| e.total_hours), Some(10.0));
    assert_eq!(l.runs.len(), 1);
    server.verify().await;
}

#[test]
fn shipped_instance_file_loads_disabled_in_bangkok_time() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors/thaimooc.toml");
    let cfg = SourceConfig::load(&file).unwrap();
    assert_eq!(cfg.name, "Thai MOOC");
    assert_eq!(cfg.base_url.as_str(), "https://thaimooc.ac.th/");
    assert_eq!(cfg.timezone, chrono_tz::Asia::Bangkok);
    assert_eq!(cfg.requests_per_minute.get(), 30);
    assert!(!cfg.enabled);
    assert_eq!(cfg.style, StyleConfig::Thaimooc(ThaimoocOptions::default()));
}
