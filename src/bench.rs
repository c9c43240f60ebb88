//! `coursefed bench ingest`: syncs N synthetic edX-style items from a loopback platform
//! into a fresh SQLite database through the real sync path, then writes the same rows with
//! a bare batched upsert loop (the ceiling), and prints rates and peak RSS.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use sqlx::types::Json;

use crate::config::{SourceConfig, StyleConfig};
use crate::connector::openedx::OpenEdxOptions;
use crate::domain::SourceId;
use crate::fetch::HttpClient;
use crate::store::{Store, StoreError};
use crate::sync::{SyncReport, sync_source};

/// Items per synthetic page (the LMS API's maximum).
pub const PAGE_SIZE: usize = 100;

/// Figures of one benchmark phase.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: &'static str,
    pub listings: u64,
    pub rows: u64,
    pub elapsed: Duration,
}

impl Phase {
    pub fn listings_per_sec(&self) -> f64 {
        self.listings as f64 / self.elapsed.as_secs_f64()
    }
    pub fn rows_per_sec(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }
}

/// The peak resident set size of this process so far, in bytes (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// One synthetic LMS course item as JSON text: a unique course with one run, realistic
/// field sizes. Written with `format!` rather than built as a `serde_json::Value` so the
/// loopback platform costs little next to the sync being measured.
pub fn synthetic_item(i: usize) -> String {
    let org = format!("BenchX{}", i % 997);
    let key = format!("course-v1:{org}+C{i:07}+2T2025");
    format!(
        r#"{{"id":"{key}","course_id":"{key}","name":"Synthetic Course {i}: Data &amp; Systems","org":"{org}","number":"C{i:07}","short_description":"A synthetic course number {i} used to measure ingest throughput; it has a short description of typical length.","effort":"4-6 hours/week","start":"2025-09-01T12:00:00Z","end":"2025-12-15T12:00:00Z","enrollment_start":"2025-07-01T00:00:00Z","enrollment_end":null,"start_type":"timestamp","start_display":"Sept. 1, 2025","pacing":"instructor","mobile_available":true,"hidden":false,"invitation_only":false,"media":{{"course_image":{{"uri":"/asset-v1:{org}+C{i:07}+2T2025+type@asset+block@image.jpg"}},"course_video":{{"uri":null}},"image":{{"raw":"https://cdn.example.org/{i}/raw.jpg","small":"https://cdn.example.org/{i}/small.jpg","large":"https://cdn.example.org/{i}/large.jpg"}}}},"blocks_url":"https://courses.example.org/api/courses/v2/blocks/?course_id={key}"}}"#
    )
}

#[derive(Clone)]
struct Synthetic {
    n: usize,
    base: String,
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

async fn serve_page(State(s): State<Synthetic>, Query(q): Query<PageQuery>) -> impl IntoResponse {
    let page = q.page.unwrap_or(1).max(1);
    let pages = s.n.div_ceil(PAGE_SIZE);
    let from = (page - 1) * PAGE_SIZE;
    let items: Vec<String> = (from..(from + PAGE_SIZE).min(s.n))
        .map(synthetic_item)
        .collect();
    let next = if page < pages {
        format!(
            "\"{}/api/courses/v1/courses/?page={}&page_size={PAGE_SIZE}\"",
            s.base,
            page + 1
        )
    } else {
        "null".to_owned()
    };
    let body = format!(
        r#"{{"results":[{}],"pagination":{{"next":{next},"previous":null,"count":{},"num_pages":{pages}}}}}"#,
        items.join(","),
        s.n
    );
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
}

/// Serves `n` synthetic items on a loopback port; returns the base URL.
pub async fn serve_synthetic(n: usize) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new()
        .route("/api/courses/v1/courses/", axum::routing::get(serve_page))
        .with_state(Synthetic {
            n,
            base: base.clone(),
        });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}

/// A source for the synthetic platform, without a rate limit worth the name.
pub fn synthetic_source(base: &str) -> SourceConfig {
    SourceConfig {
        id: SourceId::parse("bench").expect("valid id"),
        file: "bench.toml".into(),
        name: "synthetic".into(),
        base_url: url::Url::parse(base).expect("loopback URL"),
        schedule: crate::config::DEFAULT_SCHEDULE.into(),
        timezone: chrono_tz::Tz::UTC,
        enabled: true,
        requests_per_minute: std::num::NonZeroU32::new(10_000_000).expect("not zero"),
        timeout: Duration::from_secs(60),
        max_attempts: 3,
        max_body_bytes: 64 * 1024 * 1024,
        archive_runs: crate::config::DEFAULT_ARCHIVE_RUNS,
        min_ratio: crate::config::DEFAULT_MIN_RATIO,
        style: StyleConfig::Openedx(OpenEdxOptions {
            page_size: PAGE_SIZE as u32,
            fetch_details: false,
        }),
    }
}

/// Runs the real sync of `n` synthetic items into `store`.
pub async fn ingest(store: &Store, base: &str) -> Result<SyncReport, StoreError> {
    let client = HttpClient::new().map_err(|e| StoreError::Spool(e.to_string()))?;
    sync_source(store, &client, &synthetic_source(base), None).await
}

/// The ceiling: the same catalogue rows (courses, listings, runs, two change entries per
/// listing) written by a bare loop of 500-row multi-row upserts, 10 000 listings a
/// transaction, with no parsing, hashing, classification or spooling.
pub async fn bare_upsert(db: &Path, n: usize) -> Result<Phase, StoreError> {
    let store = Store::connect(&format!("sqlite://{}", db.display())).await?;
    let Store::Sqlite(_) = &store else {
        return Err(StoreError::UnsupportedUrl(
            "bench ceiling runs on SQLite".into(),
        ));
    };
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(db)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal),
        )
        .await?;
    store.close().await;
    sqlx::query("INSERT INTO sources (id, name, style, base_url, created_at, updated_at) VALUES ('bare', 'bare', 'openedx', 'http://x', '2025-01-01', '2025-01-01')")
        .execute(&pool)
        .await?;
    let started = Instant::now();
    let now = chrono::Utc::now();
    let empty: Vec<String> = Vec::new();
    let titles = std::collections::BTreeMap::<String, String>::new();
    let mut rows = 0u64;
    for tx_start in (0..n).step_by(10_000) {
        let mut tx = pool.begin().await?;
        for start in (tx_start..(tx_start + 10_000).min(n)).step_by(500) {
            let ids: Vec<usize> = (start..(start + 500).min(n).min(tx_start + 10_000)).collect();
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO courses (id, created_at, updated_at) ",
            );
            qb.push_values(&ids, |mut b, i| {
                b.push_bind(format!("C{i:026}"))
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO listings (id, source_id, external_id, course_id, status, url, title, titles,
                 short_description, description_html, description_text, institutions, instructors, languages,
                 subjects, level, image_url, video_url, effort_text, hours_per_week_min, hours_per_week_max,
                 total_hours, duration_weeks, access, certificate, enrollment_count, same_as, content_hash,
                 first_seen_at, last_seen_at, updated_at, withdrawn_at) ",
            );
            qb.push_values(&ids, |mut b, i| {
                let ext = format!("BenchX{}+C{i:07}", i % 997);
                b.push_bind(format!("bare:{ext}"))
                    .push_bind("bare")
                    .push_bind(ext)
                    .push_bind(format!("C{i:026}"))
                    .push_bind("active")
                    .push_bind(format!("http://x/courses/course-v1:BenchX+C{i:07}+2T2025/about"))
                    .push_bind(format!("Synthetic Course {i}: Data & Systems"))
                    .push_bind(Json(&titles))
                    .push_bind(format!("A synthetic course number {i} used to measure ingest throughput; it has a short description of typical length."))
                    .push_bind(None::<String>)
                    .push_bind(None::<String>)
                    .push_bind(Json(vec![format!("BenchX{}", i % 997)]))
                    .push_bind(Json(&empty))
                    .push_bind(Json(&empty))
                    .push_bind(Json(&empty))
                    .push_bind(None::<String>)
                    .push_bind(format!("https://cdn.example.org/{i}/large.jpg"))
                    .push_bind(None::<String>)
                    .push_bind("4-6 hours/week")
                    .push_bind(Some(4.0))
                    .push_bind(Some(6.0))
                    .push_bind(None::<f64>)
                    .push_bind(None::<f64>)
                    .push_bind(None::<String>)
                    .push_bind(None::<bool>)
                    .push_bind(None::<i64>)
                    .push_bind(Json(vec![format!("course-v1:BenchX+C{i:07}+2T2025")]))
                    .push_bind(format!("{i:064}"))
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(None::<chrono::DateTime<chrono::Utc>>);
            });
            qb.push(" ON CONFLICT (source_id, external_id) DO UPDATE SET title = excluded.title, content_hash = excluded.content_hash WHERE listings.content_hash <> excluded.content_hash");
            qb.build().execute(&mut *tx).await?;
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO runs (listing_id, external_run_id, start_at, end_at, enrollment_start_at,
                 enrollment_end_at, raw_dates, pacing, hidden, invitation_only, status_raw) ",
            );
            qb.push_values(&ids, |mut b, i| {
                b.push_bind(format!("bare:BenchX{}+C{i:07}", i % 997))
                    .push_bind(format!("course-v1:BenchX{}+C{i:07}+2T2025", i % 997))
                    .push_bind(Some(now))
                    .push_bind(Some(now))
                    .push_bind(Some(now))
                    .push_bind(None::<chrono::DateTime<chrono::Utc>>)
                    .push_bind(Json(serde_json::json!({"start": "2025-09-01T12:00:00Z", "end": "2025-12-15T12:00:00Z"})))
                    .push_bind("instructor")
                    .push_bind(false)
                    .push_bind(false)
                    .push_bind(None::<String>);
            });
            qb.push(" ON CONFLICT (listing_id, external_run_id) DO NOTHING");
            qb.build().execute(&mut *tx).await?;
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO changes (entity, entity_id, kind, run_id, at) ",
            );
            qb.push_values(
                ids.iter().flat_map(|i| [("listing", *i), ("course", *i)]),
                |mut b, (e, i)| {
                    b.push_bind(e)
                        .push_bind(format!("{e}{i}"))
                        .push_bind("upsert")
                        .push_bind(0i64)
                        .push_bind(now);
                },
            );
            qb.build().execute(&mut *tx).await?;
            rows += ids.len() as u64 * 5;
        }
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    pool.close().await;
    Ok(Phase {
        name: "bare batched upsert (ceiling)",
        listings: n as u64,
        rows,
        elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_item_is_valid_json_with_a_course_key() {
        let v: serde_json::Value = serde_json::from_str(&synthetic_item(42)).unwrap();
        assert_eq!(v["id"], "course-v1:BenchX42+C0000042+2T2025");
        assert_eq!(
            v["media"]["image"]["large"],
            "https://cdn.example.org/42/large.jpg"
        );
    }
}
