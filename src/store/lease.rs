//! Source leases: at most one run of a source at a time, across processes and hosts
//! sharing the database. A lease row per source names its holder and expires unless the
//! holder heartbeats; an expired lease is taken over and the crashed holder's `running`
//! ledger rows become `abandoned`.
//!
//! Taking is one conditional upsert (`INSERT … ON CONFLICT DO UPDATE … WHERE expired`),
//! atomic on SQLite and PostgreSQL alike; every statement here is a single short
//! autocommit write, so a heartbeat never holds the SQLite writer for long.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, dispatch};
use crate::domain::RunOutcome;

/// A lease this process holds (from [`Store::take_lease`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub source_id: String,
    pub holder: String,
    /// Unique per take: renewals and the release match on it, so a holder whose lease
    /// was reclaimed can never renew or release the new holder's.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Ledger rows of an earlier holder that this take found `running` and abandoned.
    pub abandoned_runs: u64,
}

/// A lease as stored (who holds a source now).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LeaseInfo {
    pub source_id: String,
    pub holder: String,
    pub acquired_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn ttl_millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A holder name for this process: `host:pid:random`, unique across restarts.
pub fn default_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    let suffix = ulid::Ulid::new().to_string();
    let short = suffix.get(suffix.len() - 6..).unwrap_or(&suffix);
    format!("{host}:{}:{short}", std::process::id())
}

impl Store {
    /// Takes `source_id`'s lease for `ttl` if nobody holds it or its holder let it
    /// expire. `Ok(Err(info))` says who holds it. On a take, any `running` ledger row of
    /// the source belongs to a holder that died (the lease guarantees nobody else runs
    /// it) and is closed as `abandoned`.
    pub async fn take_lease(
        &self,
        source_id: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<Result<Lease, LeaseInfo>, StoreError> {
        let now = Utc::now();
        let token = ulid::Ulid::new().to_string();
        let expires = millis(now).saturating_add(ttl_millis(ttl));
        let taken = dispatch!(write self, DB, pool => {
            sqlx::query(
                "INSERT INTO source_leases (source_id, holder, token, acquired_at, heartbeat_at, expires_at)
                 VALUES ($1, $2, $3, $4, $4, $5)
                 ON CONFLICT (source_id) DO UPDATE SET holder = excluded.holder,
                     token = excluded.token, acquired_at = excluded.acquired_at,
                     heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at
                 WHERE source_leases.expires_at <= excluded.acquired_at
                 RETURNING token",
            )
            .bind(source_id)
            .bind(holder)
            .bind(&token)
            .bind(millis(now))
            .bind(expires)
            .fetch_optional(pool)
            .await?
            .is_some()
        });
        if !taken {
            return match self.lease_of(source_id).await? {
                Some(info) => Ok(Err(info)),
                // Released between the two statements: try once more.
                None => Box::pin(self.take_lease(source_id, holder, ttl)).await,
            };
        }
        let abandoned = dispatch!(write self, DB, pool => {
            sqlx::query(
                "UPDATE sync_runs SET outcome = $2, finished_at = $3, first_error = $4
                 WHERE source_id = $1 AND outcome = $5",
            )
            .bind(source_id)
            .bind(RunOutcome::Abandoned.as_str())
            .bind(now)
            .bind("abandoned: its holder stopped renewing the source's lease (crashed or cut off); nothing was applied")
            .bind(RunOutcome::Running.as_str())
            .execute(pool)
            .await?
            .rows_affected()
        });
        if abandoned > 0 {
            tracing::warn!(
                source = source_id,
                holder,
                abandoned,
                "Expired lease reclaimed; the previous holder's running runs are now abandoned."
            );
        }
        Ok(Ok(Lease {
            source_id: source_id.to_owned(),
            holder: holder.to_owned(),
            token,
            expires_at: from_millis(expires),
            abandoned_runs: abandoned,
        }))
    }

    /// Extends a held lease to `ttl` from now. `false`: the lease is no longer this
    /// holder's (it expired and was reclaimed) — the run must stop.
    pub async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool, StoreError> {
        let now = millis(Utc::now());
        let n = dispatch!(write self, DB, pool => {
            sqlx::query(
                "UPDATE source_leases SET heartbeat_at = $3, expires_at = $4
                 WHERE source_id = $1 AND token = $2",
            )
            .bind(&lease.source_id)
            .bind(&lease.token)
            .bind(now)
            .bind(now.saturating_add(ttl_millis(ttl)))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Gives a lease back (a no-op if it was reclaimed meanwhile).
    pub async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        dispatch!(write self, DB, pool => {
            sqlx::query("DELETE FROM source_leases WHERE source_id = $1 AND token = $2")
                .bind(&lease.source_id)
                .bind(&lease.token)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Every stored lease (expired ones included, until they are reclaimed).
    pub async fn leases(&self) -> Result<Vec<LeaseInfo>, StoreError> {
        self.leases_of(None).await
    }

    /// Who holds `source_id`'s lease, expired or not.
    pub async fn lease_of(&self, source_id: &str) -> Result<Option<LeaseInfo>, StoreError> {
        Ok(self.leases_of(Some(source_id)).await?.pop())
    }

    /// The leases of `source_id`, or of every source.
    async fn leases_of(&self, source_id: Option<&str>) -> Result<Vec<LeaseInfo>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT source_id, holder, acquired_at, heartbeat_at, expires_at
                 FROM source_leases WHERE ($1 IS NULL OR source_id = $1) ORDER BY source_id",
            )
            .bind(source_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| -> Result<LeaseInfo, sqlx::Error> {
                Ok(LeaseInfo {
                    source_id: r.try_get("source_id")?,
                    holder: r.try_get("holder")?,
                    acquired_at: from_millis(r.try_get("acquired_at")?),
                    heartbeat_at: from_millis(r.try_get("heartbeat_at")?),
                    expires_at: from_millis(r.try_get("expires_at")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }
}
