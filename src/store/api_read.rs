//! The read API's other reads: the change feed, the sources table and readiness.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, dispatch};

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRow {
    pub seq: i64,
    /// `listing` or `course`.
    pub entity: String,
    pub entity_id: String,
    /// `upsert`, `withdraw`, `merge`, `split`, … as written.
    pub kind: String,
    /// When the change was committed (RFC 3339 UTC where the stored text parses).
    pub at: String,
}

/// A source as recorded by its syncs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRow {
    pub id: String,
    pub name: String,
    pub style: String,
    pub base_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The change log's `at` as RFC 3339: SQLite keeps sqlx's RFC 3339 text, PostgreSQL the
/// text cast of a timestamptz (`2026-01-02 03:04:05.678+00`).
fn normalise_at(raw: String) -> String {
    let parsed = DateTime::parse_from_rfc3339(&raw)
        .or_else(|_| DateTime::parse_from_str(&raw, "%Y-%m-%d %H:%M:%S%.f%#z"));
    match parsed {
        Ok(t) => t
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        Err(_) => raw,
    }
}

impl Store {
    /// Up to `limit` change-log entries with `seq > after`, in sequence order.
    pub async fn change_feed(&self, after: i64, limit: u32) -> Result<Vec<ChangeRow>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT seq, entity, entity_id, kind, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok(ChangeRow {
                    seq: r.try_get("seq")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    kind: r.try_get("kind")?,
                    at: normalise_at(r.try_get("at")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// The highest sequence number in the change log (0 when empty).
    pub async fn last_change_seq(&self) -> Result<i64, StoreError> {
        let seq = dispatch!(self, DB, pool => {
            sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes")
                .fetch_one(pool)
                .await?
                .try_get::<i64, _>("seq")?
        });
        Ok(seq)
    }

    /// The courses whose `GET /v1/courses/{id}` answer changes with the change-log entries
    /// `after < seq <= upto`: every course entry (upserted, withdrawn, merged away, split)
    /// with the other course of a merge or split, and the current course of every listing
    /// entry. Unordered, without repeats.
    pub async fn changed_courses(&self, after: i64, upto: i64) -> Result<Vec<String>, StoreError> {
        let ids = dispatch!(self, DB, pool => {
            sqlx::query_scalar::<_, String>(
                "SELECT entity_id AS id FROM changes
                 WHERE seq > $1 AND seq <= $2 AND entity = 'course'
                 UNION SELECT related_id FROM changes
                 WHERE seq > $1 AND seq <= $2 AND entity = 'course' AND related_id IS NOT NULL
                 UNION SELECT l.course_id FROM changes c JOIN listings l ON l.id = c.entity_id
                 WHERE c.seq > $1 AND c.seq <= $2 AND c.entity = 'listing'",
            )
            .bind(after)
            .bind(upto)
            .fetch_all(pool)
            .await?
        });
        Ok(ids)
    }

    /// The id of every course not merged away, in id order (the API benchmark's by-id
    /// load over the whole catalogue).
    pub async fn course_ids(&self) -> Result<Vec<String>, StoreError> {
        let ids = dispatch!(self, DB, pool => {
            sqlx::query_scalar::<_, String>("SELECT id FROM courses WHERE merged_into IS NULL ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(ids)
    }

    /// Every source a sync has recorded, by id.
    pub async fn list_sources(&self) -> Result<Vec<SourceRow>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query("SELECT id, name, style, base_url, created_at, updated_at FROM sources ORDER BY id")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(SourceRow {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        style: r.try_get("style")?,
                        base_url: r.try_get("base_url")?,
                        created_at: r.try_get("created_at")?,
                        updated_at: r.try_get("updated_at")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    /// Refreshes the query planner's statistics (`ANALYZE`). PostgreSQL's autovacuum does
    /// this on its own after large writes; the benchmark calls it after its bulk load.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        dispatch!(write self, DB, pool => {
            sqlx::query("ANALYZE").execute(pool).await?;
        });
        Ok(())
    }

    /// The versions of the migrations embedded in this binary that the database has not
    /// applied (successfully). Also proves the database answers.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let migrator = match self {
            Store::Sqlite(_) => sqlx::migrate!("migrations/sqlite"),
            Store::Postgres(_) => sqlx::migrate!("migrations/postgres"),
        };
        let applied: HashSet<i64> = dispatch!(self, DB, pool => {
            sqlx::query("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>("version"))
                .collect::<Result<_, sqlx::Error>>()?
        });
        Ok(migrator
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_times_from_either_backend_read_as_rfc3339() {
        assert_eq!(
            normalise_at("2026-01-02T03:04:05.678+00:00".into()),
            "2026-01-02T03:04:05.678000Z"
        );
        assert_eq!(
            normalise_at("2026-01-02 03:04:05.678+00".into()),
            "2026-01-02T03:04:05.678000Z"
        );
        assert_eq!(normalise_at("garbage".into()), "garbage");
    }
}
