//! Source health, from the ledger and the catalogue: per configured source its last run
//! and outcome, last success, next scheduled run, listing counts, the last run's rejects,
//! freshness against its schedule and who holds its lease. `coursefed sources` prints it;
//! the read API's `GET /v1/sources` serves the same structs.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::Row;

use std::collections::HashMap;

use super::ledger::run_row;
use super::{LeaseInfo, Store, StoreError, SyncRunRow, dispatch};
use crate::config::SourceConfig;
use crate::domain::{ListingStatus, RunOutcome};

/// One configured source's health.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SourceHealth {
    pub id: String,
    pub name: String,
    pub style: &'static str,
    pub enabled: bool,
    pub schedule: String,
    pub timezone: String,
    /// The newest run, whatever its outcome (`running` while one is going).
    pub last_run: Option<RunBrief>,
    /// When the newest `succeeded` run finished.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The schedule's next tick after now (`None` if the schedule never fires again).
    pub next_run_at: Option<DateTime<Utc>>,
    pub active_listings: u64,
    pub withdrawn_listings: u64,
    /// Records the newest run rejected.
    pub last_run_rejects: u64,
    /// How long past due a refresh is: now minus the first scheduled tick after the last
    /// success, or 0 while that tick is still ahead. `None` if the source never succeeded.
    pub freshness_lag_seconds: Option<i64>,
    pub freshness: Freshness,
    /// Who is syncing the source now (an expired lease is shown until it is reclaimed).
    pub lease: Option<LeaseInfo>,
}

/// A run in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RunBrief {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: RunOutcome,
    pub first_error: Option<String>,
}

/// Whether a source's catalogue is as recent as its schedule promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Succeeded since the last tick that should have refreshed it.
    Fresh,
    /// A scheduled refresh is overdue (see `freshness_lag_seconds`).
    Late,
    /// Never succeeded.
    Never,
}

impl Freshness {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Late => "late",
            Self::Never => "never",
        }
    }
}

/// Per source id: listing counts, newest run, newest success and lease, as read by
/// [`Store::source_overview`]. Sources the ledger and the catalogue never saw are absent.
#[derive(Debug, Clone, Default)]
pub struct SourceOverview {
    /// `(active, withdrawn)` listings.
    pub counts: HashMap<String, (u64, u64)>,
    pub latest_run: HashMap<String, SyncRunRow>,
    pub last_success: HashMap<String, DateTime<Utc>>,
    pub lease: HashMap<String, LeaseInfo>,
}

impl SourceOverview {
    /// `(active, withdrawn)` listings of `id` (zero for an unknown source).
    pub fn listing_counts(&self, id: &str) -> (u64, u64) {
        self.counts.get(id).copied().unwrap_or_default()
    }

    /// The health of configured source `s` as of `now`.
    pub fn health(&self, s: &SourceConfig, now: DateTime<Utc>) -> SourceHealth {
        let id = s.id.as_str();
        let last = self.latest_run.get(id);
        let last_success_at = self.last_success.get(id).copied();
        let (active, withdrawn) = self.listing_counts(id);
        let (lag, fresh) = freshness(&s.schedule, s.timezone, last_success_at, now);
        SourceHealth {
            id: id.to_owned(),
            name: s.name.clone(),
            style: s.style.name(),
            enabled: s.enabled,
            schedule: s.schedule.clone(),
            timezone: s.timezone.name().to_owned(),
            last_run_rejects: last.map_or(0, |r| r.stats.rejected),
            last_run: last.map(|r| RunBrief {
                id: r.id,
                started_at: r.started_at,
                finished_at: r.finished_at,
                outcome: r.outcome,
                first_error: r.first_error.clone(),
            }),
            last_success_at,
            next_run_at: next_tick(&s.schedule, s.timezone, now),
            active_listings: active,
            withdrawn_listings: withdrawn,
            freshness_lag_seconds: lag,
            freshness: fresh,
            lease: self.lease.get(id).cloned(),
        }
    }
}

/// The first tick of a 6-field cron `schedule` in `tz` strictly after `after`, read as
/// the daemon's scheduler reads it.
pub fn next_tick(schedule: &str, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(schedule)
        .ok()?;
    // Whole seconds: the schedule's resolution (and no stray nanoseconds in the answer).
    let after = after.with_nanosecond(0).unwrap_or(after);
    cron.find_next_occurrence(&after.with_timezone(&tz), false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `(lag seconds, freshness)` of a source whose last success was `last_success`.
pub fn freshness(
    schedule: &str,
    tz: Tz,
    last_success: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (Option<i64>, Freshness) {
    let Some(last) = last_success else {
        return (None, Freshness::Never);
    };
    match next_tick(schedule, tz, last) {
        Some(due) if due < now => (Some((now - due).num_seconds()), Freshness::Late),
        _ => (Some(0), Freshness::Fresh),
    }
}

impl Store {
    /// The health of each of `sources`, in the order given, as of `now`. A fixed number
    /// of queries (see [`Store::source_overview`]), whatever the number of sources.
    pub async fn source_health(
        &self,
        sources: &[SourceConfig],
        now: DateTime<Utc>,
    ) -> Result<Vec<SourceHealth>, StoreError> {
        let overview = self.source_overview().await?;
        Ok(sources.iter().map(|s| overview.health(s, now)).collect())
    }

    /// What the ledger, the catalogue and the leases say of every source: four grouped
    /// queries (listing counts, newest run, newest success, leases).
    pub async fn source_overview(&self) -> Result<SourceOverview, StoreError> {
        let mut o = SourceOverview::default();
        let counts = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT source_id, status, COUNT(*) AS n FROM listings GROUP BY source_id, status",
            )
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("source_id")?,
                    r.try_get::<String, _>("status")?,
                    u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0),
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        for (source, status, n) in counts {
            let c = o.counts.entry(source).or_default();
            match ListingStatus::parse(&status) {
                Some(ListingStatus::Active) => c.0 += n,
                Some(ListingStatus::Withdrawn) => c.1 += n,
                None => {}
            }
        }
        for run in self.latest_runs().await? {
            o.latest_run.insert(run.source_id.clone(), run);
        }
        let successes = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT source_id, finished_at FROM sync_runs WHERE id IN
                   (SELECT MAX(id) FROM sync_runs WHERE outcome = $1 GROUP BY source_id)",
            )
            .bind(RunOutcome::Succeeded.as_str())
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("source_id")?,
                    r.try_get::<Option<DateTime<Utc>>, _>("finished_at")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        o.last_success = successes
            .into_iter()
            .filter_map(|(s, at)| Some((s, at?)))
            .collect();
        for lease in self.leases().await? {
            o.lease.insert(lease.source_id.clone(), lease);
        }
        Ok(o)
    }

    /// One ledger row by id.
    pub async fn sync_run(&self, run_id: i64) -> Result<Option<SyncRunRow>, StoreError> {
        let row = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT id, source_id, started_at, finished_at, outcome, pages, seen, created,
                        updated, unchanged, withdrawn, rejected, first_error
                 FROM sync_runs WHERE id = $1",
            )
            .bind(run_id)
            .fetch_optional(pool)
            .await?
            .map(|r| run_row!(r))
            .transpose()?
        });
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, h, m, 0).unwrap()
    }

    #[test]
    fn next_tick_follows_the_schedule_in_its_zone() {
        // 02:15 in Bangkok is 19:15 UTC the day before.
        let next = next_tick("0 15 2 * * *", chrono_tz::Asia::Bangkok, at(12, 0)).unwrap();
        assert_eq!(next, at(19, 15));
    }

    #[test]
    fn freshness_is_the_delay_past_the_first_tick_after_the_last_success() {
        let hourly = "0 0 * * * *";
        assert_eq!(
            freshness(hourly, Tz::UTC, None, at(12, 0)),
            (None, Freshness::Never)
        );
        assert_eq!(
            freshness(hourly, Tz::UTC, Some(at(11, 5)), at(11, 50)),
            (Some(0), Freshness::Fresh)
        );
        assert_eq!(
            freshness(hourly, Tz::UTC, Some(at(11, 5)), at(12, 30)),
            (Some(1800), Freshness::Late)
        );
    }
}
