//! Source health, from the ledger and the catalogue: per configured source its last run
//! and outcome, last success, next scheduled run, listing counts, the last run's rejects,
//! freshness against its schedule and who holds its lease. `coursefed sources` prints it;
//! the read API's `GET /v1/sources` serves the same structs.

use chrono::{DateTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sqlx::Row;

use super::{LeaseInfo, RunStats, Store, StoreError, SyncRunRow, dispatch};
use crate::config::SourceConfig;
use crate::domain::RunOutcome;

/// One configured source's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunBrief {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: RunOutcome,
    pub first_error: Option<String>,
}

/// Whether a source's catalogue is as recent as its schedule promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    /// The health of each of `sources`, in the order given, as of `now`.
    pub async fn source_health(
        &self,
        sources: &[SourceConfig],
        now: DateTime<Utc>,
    ) -> Result<Vec<SourceHealth>, StoreError> {
        let mut out = Vec::with_capacity(sources.len());
        for s in sources {
            let id = s.id.as_str();
            let last = self.list_runs(Some(id), 1).await?.into_iter().next();
            let last_success_at = self.last_success(id).await?;
            let (active, withdrawn) = self.count_listings(id).await?;
            let (lag, fresh) = freshness(&s.schedule, s.timezone, last_success_at, now);
            out.push(SourceHealth {
                id: id.to_owned(),
                name: s.name.clone(),
                style: s.style.name(),
                enabled: s.enabled,
                schedule: s.schedule.clone(),
                timezone: s.timezone.name().to_owned(),
                last_run_rejects: last.as_ref().map_or(0, |r| r.stats.rejected),
                last_run: last.map(|r| RunBrief {
                    id: r.id,
                    started_at: r.started_at,
                    finished_at: r.finished_at,
                    outcome: r.outcome,
                    first_error: r.first_error,
                }),
                last_success_at,
                next_run_at: next_tick(&s.schedule, s.timezone, now),
                active_listings: active,
                withdrawn_listings: withdrawn,
                freshness_lag_seconds: lag,
                freshness: fresh,
                lease: self.lease_of(id).await?,
            });
        }
        Ok(out)
    }

    /// When `source_id`'s newest succeeded run finished.
    pub async fn last_success(&self, source_id: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at = dispatch!(self, DB, pool => {
            sqlx::query(
                "SELECT finished_at FROM sync_runs WHERE source_id = $1 AND outcome = $2
                 ORDER BY id DESC LIMIT 1",
            )
            .bind(source_id)
            .bind(RunOutcome::Succeeded.as_str())
            .fetch_optional(pool)
            .await?
            .map(|r| r.try_get::<Option<DateTime<Utc>>, _>("finished_at"))
            .transpose()?
            .flatten()
        });
        Ok(at)
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
            .map(|r| -> Result<SyncRunRow, StoreError> {
                let outcome: String = r.try_get("outcome")?;
                let n = |c: &str| -> Result<u64, sqlx::Error> {
                    Ok(u64::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0))
                };
                Ok(SyncRunRow {
                    id: r.try_get("id")?,
                    source_id: r.try_get("source_id")?,
                    started_at: r.try_get("started_at")?,
                    finished_at: r.try_get("finished_at")?,
                    outcome: RunOutcome::parse(&outcome).ok_or_else(|| StoreError::Corrupt {
                        table: "sync_runs",
                        id: run_id.to_string(),
                        message: format!("unknown outcome {outcome:?}"),
                    })?,
                    stats: RunStats {
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
            })
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
