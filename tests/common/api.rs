//! Helpers of the API tests: the real server on port 0 over a test database, catalogues
//! synced through the real HTTP path (the demo's recorded platforms, a wiremock Thai
//! MOOC-style portal), and direct SQL for states only dedup would write.
//! Include with `#[path = "common/api.rs"] mod api;`.
#![allow(dead_code)]

use std::path::Path;

use coursefed::api::{ApiState, router, serve};
use coursefed::config::SourceConfig;
use coursefed::domain::{RunOutcome, SourceId};
use coursefed::fetch::HttpClient;
use coursefed::store::Store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A running server.
pub struct App {
    pub base: String,
    /// Follows no redirects; decompresses gzip.
    pub http: reqwest::Client,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`, asserting 200, as JSON.
    pub async fn json(&self, path: &str) -> Value {
        let res = self.http.get(self.url(path)).send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {text}"))
    }

    /// GET `path`, asserting 200, as text.
    pub async fn text(&self, path: &str) -> String {
        let res = self.http.get(self.url(path)).send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        assert_eq!(status, 200, "GET {path}: {text}");
        text
    }

    /// Every course id of a list query, following `next` to the end.
    pub async fn all_ids(&self, path: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut next = Some(path.to_owned());
        let mut pages = 0;
        while let Some(p) = next {
            pages += 1;
            assert!(pages < 1000, "pagination does not end: {p}");
            let v = self.json(&p).await;
            for c in v["courses"].as_array().expect("courses") {
                ids.push(c["id"].as_str().expect("id").to_owned());
            }
            next = v["next"].as_str().map(str::to_owned);
        }
        ids
    }
}

/// Spawns the API over `state` on a loopback port. Its response cache reads the catalogue
/// version on every request, so a test's write shows at once (the default bound is a
/// second); what is unchanged is still served from the cache.
pub async fn spawn(state: ApiState) -> App {
    let mut options = state.options.clone();
    options.cache.poll = std::time::Duration::ZERO;
    let state = state.with_options(options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, router(state), async {
        let _ = rx.await;
    }));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    App {
        base,
        http,
        _stop: tx,
    }
}

/// Syncs `sources` into `store`, asserting each run succeeded.
pub async fn sync(store: &Store, sources: &[SourceConfig]) {
    let client = HttpClient::new().expect("client");
    for s in sources {
        let r = coursefed::sync::sync_source(store, &client, s, None)
            .await
            .expect("ledger");
        assert_eq!(r.outcome, RunOutcome::Succeeded, "{}: {:?}", s.id, r.error);
    }
}

/// The demo's four recorded platforms (English, Chinese, Thai), synced into `store`.
pub async fn demo_catalogue(store: &Store) -> Vec<SourceConfig> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let sources = coursefed::demo::start_platforms(&fixtures)
        .await
        .expect("demo platforms");
    sync(store, &sources).await;
    sources
}

/// Thai MOOC-style portal records: the recorded `fixtures/thaimooc/courses.json`
/// records with these course codes, plus made-up ones `(code, Thai title, English title)`
/// cloned from the first record.
pub fn thai_courses(codes: &[&str], extra: &[(&str, &str, &str)]) -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/thaimooc/courses.json"),
    )
    .expect("fixture");
    let all: Value = serde_json::from_str(&text).expect("json");
    let records = all["data"].as_array().expect("data");
    let mut out: Vec<Value> = records
        .iter()
        .filter(|r| codes.contains(&r["courseCode"].as_str().unwrap_or("")))
        .cloned()
        .collect();
    for (code, th, en) in extra {
        let mut r = records[0].clone();
        r["id"] = json!(format!("course-{}", code.to_lowercase()));
        r["courseCode"] = json!(code);
        r["title"] = json!(th);
        r["titleEn"] = json!(en);
        r["description"] = json!(format!("<p>{th}</p>"));
        out.push(r);
    }
    json!({ "success": true, "data": out })
}

/// A wiremock Thai MOOC-style portal (no course pages) serving `courses`.
pub struct ThaiPortal {
    pub server: MockServer,
    pub source: SourceConfig,
}

impl ThaiPortal {
    pub async fn start(id: &str) -> Self {
        let server = MockServer::start().await;
        let toml = format!(
            "style = \"thaimooc\"\nname = \"Thai portal (mock)\"\nbase_url = \"{}\"\ntimezone = \"Asia/Bangkok\"\nrequests_per_minute = 60000\nfetch_pages = false\n",
            server.uri()
        );
        let source = SourceConfig::from_toml(
            SourceId::parse(id).expect("id"),
            Path::new(&format!("{id}.toml")),
            &toml,
        )
        .expect("source config");
        Self { server, source }
    }

    /// Serves `courses` (and the recorded directories) from now on.
    pub async fn serve(&self, courses: &Value) {
        self.server.reset().await;
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/thaimooc");
        for (what, body) in [
            ("courses", courses.to_string()),
            (
                "institutions",
                std::fs::read_to_string(dir.join("institutions.json")).expect("fixture"),
            ),
            (
                "instructors",
                std::fs::read_to_string(dir.join("instructors.json")).expect("fixture"),
            ),
        ] {
            Mock::given(method("GET"))
                .and(path(format!("/api/{what}")))
                .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
                .mount(&self.server)
                .await;
        }
    }
}

/// Runs SQL on the test database directly (for states only dedup writes).
pub async fn execute(url: &str, sql: &str, binds: &[&str]) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.expect("connect");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.execute(&pool).await.expect("execute");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("connect");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for b in binds {
            q = q.bind(b.to_string());
        }
        q.execute(&pool).await.expect("execute");
        pool.close().await;
    }
}
