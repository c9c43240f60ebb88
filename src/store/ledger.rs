//! Sources and the sync ledger: runs, their counts, outcome, first error and rejects.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::backend::WriteTx;
use super::{Store, StoreError, dispatch};
use crate::config::SourceConfig;
use crate::domain::{Rejection, RunOutcome};

/// Inserts a run's rejects in batches (inside the caller's transaction).
macro_rules! insert_rejects {
    ($db:ty, $conn:expr, $run_id:expr, $source_id:expr, $rejects:expr) => {
        for chunk in $rejects.chunks(500) {
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO rejected_records (run_id, source_id, external_id, field, reason) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind($run_id)
                    .push_bind($source_id)
                    .push_bind(r.external_id.as_deref())
                    .push_bind(&r.field)
                    .push_bind(&r.reason);
            });
            qb.build().execute(&mut *$conn).await?;
        }
    };
}
pub(super) use insert_rejects;

/// A `sync_runs` row (all columns selected) as a `SyncRunRow`, on either backend.
macro_rules! run_row {
    ($r:expr) => {{
        let r = &$r;
        let outcome: String = r.try_get("outcome")?;
        let n = |c: &str| -> Result<u64, sqlx::Error> {
            Ok(u64::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0))
        };
        Ok::<_, $crate::store::StoreError>($crate::store::SyncRunRow {
            id: r.try_get("id")?,
            source_id: r.try_get("source_id")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            outcome: $crate::domain::RunOutcome::parse(&outcome).ok_or_else(|| {
                $crate::store::StoreError::Corrupt {
                    table: "sync_runs",
                    id: r
                        .try_get::<i64, _>("id")
                        .map_or_else(|_| "?".into(), |id| id.to_string()),
                    message: format!("unknown outcome {outcome:?}"),
                }
            })?,
            stats: $crate::store::RunStats {
                pages: n("pages")?,
                seen: n("seen")?,
                created: n("created")?,
                updated: n("updated")?,
                unchanged: n("unchanged")?,
                withdrawn: n("withdrawn")?,
                rejected: n("rejected")?,
            },
            first_error: r.try_get("first_error")?,
        })
    }};
}
pub(super) use run_row;

/// Writes a run's final outcome and counts (inside the caller's transaction).
macro_rules! finish_run_row {
    ($conn:expr, $run_id:expr, $outcome:expr, $stats:expr, $first_error:expr) => {
        let done = sqlx::query(
            "UPDATE sync_runs SET finished_at = $2, outcome = $3, pages = $4, seen = $5,
                 created = $6, updated = $7, unchanged = $8, withdrawn = $9, rejected = $10,
                 first_error = $11
             WHERE id = $1 AND outcome = 'running'",
        )
        .bind($run_id)
        .bind(chrono::Utc::now())
        .bind($outcome.as_str())
        .bind($crate::store::ledger::signed($stats.pages))
        .bind($crate::store::ledger::signed($stats.seen))
        .bind($crate::store::ledger::signed($stats.created))
        .bind($crate::store::ledger::signed($stats.updated))
        .bind($crate::store::ledger::signed($stats.unchanged))
        .bind($crate::store::ledger::signed($stats.withdrawn))
        .bind($crate::store::ledger::signed($stats.rejected))
        .bind($first_error)
        .execute(&mut *$conn)
        .await?;
        // The ledger row is the run's fencing token: a row no longer `running` was closed
        // by someone else (a daemon that reclaimed this source's expired lease marked it
        // `abandoned`), so this run must not land; returning here rolls the caller's
        // transaction back.
        if done.rows_affected() != 1 {
            return Err($crate::store::StoreError::RunClosed { run_id: $run_id });
        }
    };
}
pub(super) use finish_run_row;

/// The counts of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunStats {
    pub pages: u64,
    /// Records the platform sent (listings' run items and rejected items).
    pub seen: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub withdrawn: u64,
    pub rejected: u64,
}

/// One row of the ledger.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncRunRow {
    pub id: i64,
    pub source_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: RunOutcome,
    #[serde(flatten)]
    pub stats: RunStats,
    pub first_error: Option<String>,
}

pub(super) fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Records (or refreshes) a configured source.
    pub async fn upsert_source(&self, source: &SourceConfig) -> Result<(), StoreError> {
        let now = Utc::now();
        dispatch!(write self, DB, pool => {
            sqlx::query(
                "INSERT INTO sources (id, name, style, base_url, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, style = excluded.style,
                     base_url = excluded.base_url, updated_at = excluded.updated_at
                 WHERE sources.name <> excluded.name OR sources.style <> excluded.style
                     OR sources.base_url <> excluded.base_url",
            )
            .bind(source.id.as_str())
            .bind(&source.name)
            .bind(source.style.name())
            .bind(source.base_url.as_str())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Opens a ledger row for a run that starts now; returns its id.
    pub async fn begin_run(&self, source_id: &str) -> Result<i64, StoreError> {
        let now = Utc::now();
        let id = dispatch!(write self, DB, pool => {
            sqlx::query(
                "INSERT INTO sync_runs (source_id, started_at, outcome) VALUES ($1, $2, $3)
                 RETURNING id",
            )
            .bind(source_id)
            .bind(now)
            .bind(RunOutcome::Running.as_str())
            .fetch_one(pool)
            .await?
            .try_get::<i64, _>(0)?
        });
        Ok(id)
    }

    /// Closes a run that changed nothing in the catalogue (failed or abandoned), with its
    /// counts, first error and rejects.
    pub async fn finish_run_unapplied(
        &self,
        run_id: i64,
        source_id: &str,
        outcome: RunOutcome,
        stats: &RunStats,
        first_error: Option<&str>,
        rejects: &[Rejection],
    ) -> Result<(), StoreError> {
        dispatch!(write self, DB, pool => {
            let mut tx = pool.begin_write().await?;
            insert_rejects!(DB, &mut *tx, run_id, source_id, rejects);
            finish_run_row!(&mut *tx, run_id, outcome, stats, first_error);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest runs of a source (or of all sources), newest first.
    pub async fn list_runs(
        &self,
        source_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SyncRunRow>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT id, source_id, started_at, finished_at, outcome, pages, seen, created,
                        updated, unchanged, withdrawn, rejected, first_error
                 FROM sync_runs WHERE ($1 IS NULL OR source_id = $1)
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(source_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| run_row!(r))
            .collect::<Result<Vec<_>, StoreError>>()?
        });
        Ok(rows)
    }

    /// Each source's newest run (one query, whatever the number of sources).
    pub async fn latest_runs(&self) -> Result<Vec<SyncRunRow>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT id, source_id, started_at, finished_at, outcome, pages, seen, created,
                        updated, unchanged, withdrawn, rejected, first_error
                 FROM sync_runs WHERE id IN (SELECT MAX(id) FROM sync_runs GROUP BY source_id)
                 ORDER BY source_id",
            )
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| run_row!(r))
            .collect::<Result<Vec<_>, StoreError>>()?
        });
        Ok(rows)
    }

    /// The rejects recorded for a run: (external id, field, reason).
    pub async fn run_rejects(&self, run_id: i64) -> Result<Vec<Rejection>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT external_id, field, reason FROM rejected_records WHERE run_id = $1
                 ORDER BY id",
            )
            .bind(run_id)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| Ok(Rejection {
                external_id: r.try_get("external_id")?,
                field: r.try_get("field")?,
                reason: r.try_get("reason")?,
            }))
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }
}
