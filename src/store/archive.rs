//! The raw page archive: every response a run fetched, body compressed, kept for the
//! newest runs of each source. Written as a run goes, outside the catalogue transaction.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::ledger::signed;
use super::{Store, StoreError, dispatch};
use crate::domain::RunOutcome;

/// A page to archive. `body` is already compressed; `body_size` is its decompressed size.
#[derive(Debug, Clone)]
pub struct NewRawPage<'a> {
    pub run_id: i64,
    pub source_id: &'a str,
    /// `METHOD URL`, plus ` body:HASH` for a request with a body.
    pub request_key: &'a str,
    /// The final URL (after redirects).
    pub url: &'a str,
    /// The HTTP status the server answered (304 for a revalidated page).
    pub status: u16,
    /// The headers that matter, as a JSON object.
    pub headers: &'a str,
    pub body: &'a [u8],
    pub body_size: u64,
    /// BLAKE3 of the decompressed body, hex.
    pub content_hash: &'a str,
    /// For a 304: the archived page whose body this row copies.
    pub reused_from: Option<i64>,
    pub fetched_at: DateTime<Utc>,
}

/// An archived page as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPage {
    pub id: i64,
    pub run_id: i64,
    pub source_id: String,
    pub request_key: String,
    pub url: String,
    pub status: u16,
    /// JSON object of header name → value.
    pub headers: String,
    /// Compressed.
    pub body: Vec<u8>,
    pub body_size: u64,
    pub content_hash: String,
    pub reused_from: Option<i64>,
    pub fetched_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, run_id, source_id, request_key, url, status, headers, body, body_size,
    content_hash, reused_from, fetched_at";

/// Reads one `raw_pages` row (in a `dispatch!` body, so `$r` has a concrete row type).
macro_rules! raw_page_from_row {
    ($r:expr) => {{
        let r = $r;
        let status: i32 = r.try_get("status")?;
        let body_size: i64 = r.try_get("body_size")?;
        RawPage {
            id: r.try_get("id")?,
            run_id: r.try_get("run_id")?,
            source_id: r.try_get("source_id")?,
            request_key: r.try_get("request_key")?,
            url: r.try_get("url")?,
            status: u16::try_from(status).unwrap_or_default(),
            headers: r.try_get("headers")?,
            body: r.try_get("body")?,
            body_size: u64::try_from(body_size).unwrap_or_default(),
            content_hash: r.try_get("content_hash")?,
            reused_from: r.try_get("reused_from")?,
            fetched_at: r.try_get("fetched_at")?,
        }
    }};
}

impl Store {
    /// Archives one page; returns its id. Not part of any catalogue transaction: a failed
    /// run's pages are kept as evidence.
    pub async fn insert_raw_page(&self, page: &NewRawPage<'_>) -> Result<i64, StoreError> {
        let id = dispatch!(write self, DB, pool => {
            sqlx::query(
                "INSERT INTO raw_pages (run_id, source_id, request_key, url, status, headers,
                     body, body_size, content_hash, reused_from, fetched_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 RETURNING id",
            )
            .bind(page.run_id)
            .bind(page.source_id)
            .bind(page.request_key)
            .bind(page.url)
            .bind(i32::from(page.status))
            .bind(page.headers)
            .bind(page.body)
            .bind(signed(page.body_size))
            .bind(page.content_hash)
            .bind(page.reused_from)
            .bind(page.fetched_at)
            .fetch_one(pool)
            .await?
            .try_get::<i64, _>(0)?
        });
        Ok(id)
    }

    /// The newest archived page with a body (200, or a 304 holding its copy) that a
    /// source got for `request_key`, from any of its runs.
    pub async fn latest_raw_page(
        &self,
        source_id: &str,
        request_key: &str,
    ) -> Result<Option<RawPage>, StoreError> {
        let page = dispatch!(self, DB, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM raw_pages
                 WHERE source_id = $1 AND request_key = $2 AND status IN (200, 304)
                 ORDER BY id DESC LIMIT 1"
            )))
            .bind(source_id)
            .bind(request_key)
            .fetch_optional(pool)
            .await?
            {
                Some(r) => Some(raw_page_from_row!(r)),
                None => None,
            }
        });
        Ok(page)
    }

    /// One archived page by id.
    pub async fn raw_page(&self, id: i64) -> Result<Option<RawPage>, StoreError> {
        let page = dispatch!(self, DB, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM raw_pages WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?
            {
                Some(r) => Some(raw_page_from_row!(r)),
                None => None,
            }
        });
        Ok(page)
    }

    /// Every page a run archived, in the order it fetched them (bodies included).
    pub async fn run_raw_pages(&self, run_id: i64) -> Result<Vec<RawPage>, StoreError> {
        let pages = dispatch!(self, DB, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM raw_pages WHERE run_id = $1 ORDER BY id"
            )))
            .bind(run_id)
            .fetch_all(pool)
            .await?;
            let mut pages = Vec::with_capacity(rows.len());
            for r in rows {
                pages.push(raw_page_from_row!(r));
            }
            pages
        });
        Ok(pages)
    }

    /// A run's archive as `(page id, request key)` in fetch order, without the bodies.
    pub async fn run_raw_page_keys(&self, run_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        let keys = dispatch!(self, DB, pool => {
            sqlx::query("SELECT id, request_key FROM raw_pages WHERE run_id = $1 ORDER BY id")
                .bind(run_id)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("request_key")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(keys)
    }

    /// The runs of a source that have pages in the archive, newest first.
    pub async fn archived_runs(&self, source_id: &str) -> Result<Vec<i64>, StoreError> {
        let runs = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT DISTINCT run_id FROM raw_pages WHERE source_id = $1
                 ORDER BY run_id DESC",
            )
            .bind(source_id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(runs)
    }

    /// The newest succeeded run of a source that has pages in the archive: a run that
    /// fetched every page of the catalogue.
    pub async fn latest_replayable_run(&self, source_id: &str) -> Result<Option<i64>, StoreError> {
        let run = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT r.id FROM sync_runs r
                 WHERE r.source_id = $1 AND r.outcome = $2
                   AND EXISTS (SELECT 1 FROM raw_pages p WHERE p.run_id = r.id)
                 ORDER BY r.id DESC LIMIT 1",
            )
            .bind(source_id)
            .bind(RunOutcome::Succeeded.as_str())
            .fetch_optional(pool)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?
        });
        Ok(run)
    }

    /// The source a run belongs to, if the run exists.
    pub async fn run_source(&self, run_id: i64) -> Result<Option<String>, StoreError> {
        let source = dispatch!(self, DB, pool => {
            sqlx::query("SELECT source_id FROM sync_runs WHERE id = $1")
                .bind(run_id)
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get::<String, _>(0))
                .transpose()?
        });
        Ok(source)
    }

    /// Deletes the archived pages of every run of `source_id` but the newest `keep_runs`
    /// runs that have pages; returns the pages deleted. A 304 row holds its own copy of
    /// the body it revalidated, so no kept page ever depends on a deleted one.
    pub async fn prune_raw_pages(
        &self,
        source_id: &str,
        keep_runs: u32,
    ) -> Result<u64, StoreError> {
        let deleted = dispatch!(write self, DB, pool => {
            sqlx::query(
                "DELETE FROM raw_pages WHERE source_id = $1 AND run_id NOT IN (
                     SELECT DISTINCT run_id FROM raw_pages WHERE source_id = $1
                     ORDER BY run_id DESC LIMIT $2)",
            )
            .bind(source_id)
            .bind(i64::from(keep_runs))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(deleted)
    }
}
