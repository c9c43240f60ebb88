//! Applying a completed run to the catalogue: one transaction that upserts changed
//! listings and their runs, reactivates returning ones, withdraws unseen ones, appends
//! the change log and closes the ledger row. Unchanged listings (same content hash) are
//! not rewritten and log nothing.

use std::collections::HashMap;

use chrono::Utc;
use serde::Serialize;
use sqlx::Row;
use sqlx::types::Json;

use super::backend::WriteTx;
use super::ledger::{finish_run_row, insert_rejects};
use super::{RunStats, Store, StoreError, dispatch};
use crate::domain::{
    Access, ListingDraft, ListingStatus, Pacing, Rejection, RunOutcome, listing_id,
};

/// Appends change-log entries `(entity, id, kind)` (inside the caller's transaction).
macro_rules! append_changes {
    ($db:ty, $conn:expr, $changes:expr, $run_id:expr, $now:expr) => {
        for chunk in $changes.chunks(1000) {
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "INSERT INTO changes (entity, entity_id, kind, run_id, at) ",
            );
            qb.push_values(chunk, |mut b, (entity, id, kind)| {
                b.push_bind(*entity)
                    .push_bind(id.as_str())
                    .push_bind(*kind)
                    .push_bind($run_id)
                    .push_bind($now);
            });
            qb.build().execute(&mut *$conn).await?;
        }
    };
}

/// Listings per batch: 32 columns × 500 rows stays under SQLite's bind limit.
const BATCH: usize = 500;

/// What [`Store::apply_run_report`] did: the run's counts, the listings it created,
/// updated or reactivated (by listing id), and the re-matching of those.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub stats: RunStats,
    pub changed: Vec<String>,
    pub dedup: crate::dedup::RematchStats,
}

/// What applying a run changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApplyStats {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub withdrawn: u64,
}

pub(super) fn access_str(a: Access) -> &'static str {
    match a {
        Access::Free => "free",
        Access::Paid => "paid",
        Access::FreePaidCertificate => "free_paid_certificate",
    }
}

pub(super) fn pacing_str(p: Pacing) -> &'static str {
    match p {
        Pacing::SelfPaced => "self",
        Pacing::Instructor => "instructor",
    }
}

/// The institutions table key of a name as given: case- and space-folded.
fn institution_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A batch's listing classified against what is stored.
enum Plan {
    Create { course_id: String },
    Update { course_id: String },
    Reactivate { course_id: String },
    Unchanged,
}

impl Store {
    /// Applies a complete, successful run: every draft (one per external id) is stored,
    /// and — when `withdraw_unseen` — active listings of the source that the run did not
    /// see are withdrawn. All in one transaction together with the ledger row (outcome
    /// `succeeded`) and the run's rejects; on any error nothing is changed.
    pub async fn apply_run<I>(
        &self,
        run_id: i64,
        source_id: &str,
        drafts: I,
        withdraw_unseen: bool,
        stats: RunStats,
        rejects: &[Rejection],
    ) -> Result<RunStats, StoreError>
    where
        I: Iterator<Item = Result<ListingDraft, String>> + Send,
    {
        self.apply_run_report(run_id, source_id, drafts, withdraw_unseen, stats, rejects)
            .await
            .map(|r| r.stats)
    }

    /// [`Store::apply_run`], also reporting the listings the run created, updated or
    /// reactivated, and what re-matching them did (in the same transaction).
    pub async fn apply_run_report<I>(
        &self,
        run_id: i64,
        source_id: &str,
        drafts: I,
        withdraw_unseen: bool,
        stats: RunStats,
        rejects: &[Rejection],
    ) -> Result<ApplyReport, StoreError>
    where
        I: Iterator<Item = Result<ListingDraft, String>> + Send,
    {
        self.apply_run_report_as(
            run_id,
            source_id,
            drafts,
            withdraw_unseen,
            stats,
            rejects,
            RunOutcome::Succeeded,
            None,
        )
        .await
    }

    /// [`Store::apply_run_report`] closing the ledger row with `outcome` and `note` as
    /// its first error: the volume-drop guard applies a `suspect` run's upserts this way,
    /// with `withdraw_unseen` false.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_run_report_as<I>(
        &self,
        run_id: i64,
        source_id: &str,
        drafts: I,
        withdraw_unseen: bool,
        mut stats: RunStats,
        rejects: &[Rejection],
        outcome: RunOutcome,
        note: Option<&str>,
    ) -> Result<ApplyReport, StoreError>
    where
        I: Iterator<Item = Result<ListingDraft, String>> + Send,
    {
        let mut changed: Vec<String> = Vec::new();
        let mut created: Vec<String> = Vec::new();
        let dedup;
        let now = Utc::now();
        let mut drafts = drafts;
        let mut applied = ApplyStats::default();
        let seen_setup: &[&'static str] = match self {
            Store::Sqlite(_) => &[
                super::backend::SEEN_TABLE_SQLITE,
                super::backend::SEEN_CLEAR_SQLITE,
            ],
            Store::Postgres(_) => &[super::backend::SEEN_TABLE_PG],
        };
        dispatch!(write self, DB, pool => {
            let mut tx = pool.begin_write().await?;
            for sql in seen_setup {
                sqlx::query(*sql).execute(&mut *tx).await?;
            }
            let mut batch: Vec<ListingDraft> = Vec::with_capacity(BATCH);
            loop {
                batch.clear();
                for next in drafts.by_ref() {
                    batch.push(next.map_err(StoreError::Spool)?);
                    if batch.len() == BATCH {
                        break;
                    }
                }
                if batch.is_empty() {
                    break;
                }
                for d in batch.iter_mut() {
                    d.canonicalise();
                }
                let hashes: Vec<String> = batch.iter().map(|d| d.content_hash()).collect();

                // What is stored for these external ids.
                let mut qb = sqlx::QueryBuilder::<DB>::new(
                    "SELECT external_id, course_id, content_hash, status FROM listings WHERE source_id = ",
                );
                qb.push_bind(source_id).push(" AND external_id IN (");
                let mut sep = qb.separated(", ");
                for d in &batch {
                    sep.push_bind(&d.external_id);
                }
                qb.push(")");
                let mut stored: HashMap<String, (String, String, String)> = HashMap::new();
                for row in qb.build().fetch_all(&mut *tx).await? {
                    stored.insert(
                        row.try_get("external_id")?,
                        (row.try_get("course_id")?, row.try_get("content_hash")?, row.try_get("status")?),
                    );
                }
                let plans: Vec<Plan> = batch
                    .iter()
                    .zip(&hashes)
                    .map(|(d, h)| match stored.remove(&d.external_id) {
                        None => Plan::Create { course_id: ulid::Ulid::new().to_string() },
                        Some((course_id, old, _)) if &old != h => Plan::Update { course_id },
                        Some((course_id, _, status)) if status != ListingStatus::Active.as_str() => {
                            Plan::Reactivate { course_id }
                        }
                        Some(_) => Plan::Unchanged,
                    })
                    .collect();

                let new_courses: Vec<&str> = plans
                    .iter()
                    .filter_map(|p| match p { Plan::Create { course_id } => Some(course_id.as_str()), _ => None })
                    .collect();
                if !new_courses.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<DB>::new("INSERT INTO courses (id, created_at, updated_at) ");
                    qb.push_values(&new_courses, |mut b, id| {
                        b.push_bind(*id).push_bind(now).push_bind(now);
                    });
                    qb.build().execute(&mut *tx).await?;
                }

                // Created and updated listings: one upsert statement.
                let writes: Vec<(&ListingDraft, &String, &str)> = batch
                    .iter()
                    .zip(&hashes)
                    .zip(&plans)
                    .filter_map(|((d, h), p)| match p {
                        Plan::Create { course_id } | Plan::Update { course_id } => Some((d, h, course_id.as_str())),
                        _ => None,
                    })
                    .collect();
                if !writes.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<DB>::new(
                        "INSERT INTO listings (id, source_id, external_id, course_id, status, url, title,
                            titles, short_description, description_html, description_text,
                            institutions, instructors, languages, subjects, level, image_url,
                            video_url, effort_text, hours_per_week_min, hours_per_week_max,
                            total_hours, duration_weeks, access, certificate, enrollment_count,
                            same_as, content_hash, first_seen_at, last_seen_at, updated_at,
                            withdrawn_at) ",
                    );
                    qb.push_values(&writes, |mut b, (d, h, course_id)| {
                        let effort = d.effort.as_ref();
                        b.push_bind(listing_id(source_id, &d.external_id))
                            .push_bind(source_id)
                            .push_bind(&d.external_id)
                            .push_bind(*course_id)
                            .push_bind(ListingStatus::Active.as_str())
                            .push_bind(d.url.as_deref())
                            .push_bind(&d.title)
                            .push_bind(Json(&d.titles))
                            .push_bind(d.short_description.as_deref())
                            .push_bind(d.description_html.as_deref())
                            .push_bind(d.description_text.as_deref())
                            .push_bind(Json(&d.institutions))
                            .push_bind(Json(&d.instructors))
                            .push_bind(Json(&d.languages))
                            .push_bind(Json(&d.subjects))
                            .push_bind(d.level.as_deref())
                            .push_bind(d.image_url.as_deref())
                            .push_bind(d.video_url.as_deref())
                            .push_bind(effort.and_then(|e| e.text.as_deref()))
                            .push_bind(effort.and_then(|e| e.hours_per_week_min))
                            .push_bind(effort.and_then(|e| e.hours_per_week_max))
                            .push_bind(effort.and_then(|e| e.total_hours))
                            .push_bind(d.duration_weeks)
                            .push_bind(d.access.map(access_str))
                            .push_bind(d.certificate)
                            .push_bind(d.enrollment_count)
                            .push_bind(Json(&d.same_as))
                            .push_bind(h.as_str())
                            .push_bind(now)
                            .push_bind(now)
                            .push_bind(now)
                            .push_bind(None::<chrono::DateTime<Utc>>);
                    });
                    qb.push(
                        " ON CONFLICT (source_id, external_id) DO UPDATE SET status = excluded.status,
                            url = excluded.url, title = excluded.title, titles = excluded.titles,
                            short_description = excluded.short_description,
                            description_html = excluded.description_html,
                            description_text = excluded.description_text,
                            institutions = excluded.institutions, instructors = excluded.instructors,
                            languages = excluded.languages, subjects = excluded.subjects,
                            level = excluded.level, image_url = excluded.image_url,
                            video_url = excluded.video_url, effort_text = excluded.effort_text,
                            hours_per_week_min = excluded.hours_per_week_min,
                            hours_per_week_max = excluded.hours_per_week_max,
                            total_hours = excluded.total_hours, duration_weeks = excluded.duration_weeks,
                            access = excluded.access, certificate = excluded.certificate,
                            enrollment_count = excluded.enrollment_count, same_as = excluded.same_as,
                            content_hash = excluded.content_hash, last_seen_at = excluded.last_seen_at,
                            updated_at = excluded.updated_at, withdrawn_at = NULL",
                    );
                    qb.build().execute(&mut *tx).await?;

                    // Runs: replace those of updated listings, insert those of new ones.
                    let updated_ids: Vec<String> = writes
                        .iter()
                        .zip(plans.iter().filter(|p| matches!(p, Plan::Create { .. } | Plan::Update { .. })))
                        .filter(|(_, p)| matches!(p, Plan::Update { .. }))
                        .map(|((d, _, _), _)| listing_id(source_id, &d.external_id))
                        .collect();
                    if !updated_ids.is_empty() {
                        let mut qb = sqlx::QueryBuilder::<DB>::new("DELETE FROM runs WHERE listing_id IN (");
                        let mut sep = qb.separated(", ");
                        for id in &updated_ids {
                            sep.push_bind(id);
                        }
                        qb.push(")");
                        qb.build().execute(&mut *tx).await?;
                    }
                    let runs: Vec<(String, &crate::domain::RunDraft)> = writes
                        .iter()
                        .flat_map(|(d, _, _)| {
                            let lid = listing_id(source_id, &d.external_id);
                            d.runs.iter().map(move |r| (lid.clone(), r))
                        })
                        .collect();
                    for chunk in runs.chunks(1000) {
                        let mut qb = sqlx::QueryBuilder::<DB>::new(
                            "INSERT INTO runs (listing_id, external_run_id, start_at, end_at,
                                enrollment_start_at, enrollment_end_at, raw_dates, pacing, hidden,
                                invitation_only, status_raw) ",
                        );
                        qb.push_values(chunk, |mut b, (lid, r)| {
                            b.push_bind(lid.as_str())
                                .push_bind(&r.external_run_id)
                                .push_bind(r.start)
                                .push_bind(r.end)
                                .push_bind(r.enrollment_start)
                                .push_bind(r.enrollment_end)
                                .push_bind(Json(&r.raw_dates))
                                .push_bind(r.pacing.map(pacing_str))
                                .push_bind(r.hidden)
                                .push_bind(r.invitation_only)
                                .push_bind(r.status_raw.as_deref());
                        });
                        qb.build().execute(&mut *tx).await?;
                    }

                    let names: Vec<(String, &str)> = writes
                        .iter()
                        .flat_map(|(d, _, _)| d.institutions.iter().map(|n| (institution_key(n), n.as_str())))
                        .collect::<HashMap<_, _>>()
                        .into_iter()
                        .collect();
                    if !names.is_empty() {
                        let mut qb = sqlx::QueryBuilder::<DB>::new("INSERT INTO institutions (id, name, first_seen_at) ");
                        qb.push_values(&names, |mut b, (key, name)| {
                            b.push_bind(key.as_str()).push_bind(*name).push_bind(now);
                        });
                        qb.push(" ON CONFLICT (id) DO NOTHING");
                        qb.build().execute(&mut *tx).await?;
                    }
                }

                let reactivated: Vec<String> = batch
                    .iter()
                    .zip(&plans)
                    .filter(|(_, p)| matches!(p, Plan::Reactivate { .. }))
                    .map(|(d, _)| listing_id(source_id, &d.external_id))
                    .collect();
                if !reactivated.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<DB>::new("UPDATE listings SET status = ");
                    qb.push_bind(ListingStatus::Active.as_str())
                        .push(", withdrawn_at = NULL, updated_at = ")
                        .push_bind(now)
                        .push(", last_seen_at = ")
                        .push_bind(now)
                        .push(" WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for id in &reactivated {
                        sep.push_bind(id);
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await?;
                }

                // The change log: the listing and its course, for every listing that changed.
                let mut changes: Vec<(&str, String, &str)> = Vec::new();
                let mut touched_courses: Vec<&str> = Vec::new();
                for (d, p) in batch.iter().zip(&plans) {
                    let course_id = match p {
                        Plan::Create { course_id } => { applied.created += 1; course_id }
                        Plan::Update { course_id } | Plan::Reactivate { course_id } => {
                            applied.updated += 1;
                            touched_courses.push(course_id);
                            course_id
                        }
                        Plan::Unchanged => { applied.unchanged += 1; continue; }
                    };
                    changes.push(("listing", listing_id(source_id, &d.external_id), "upsert"));
                    changed.push(listing_id(source_id, &d.external_id));
                    if matches!(p, Plan::Create { .. }) {
                        created.push(listing_id(source_id, &d.external_id));
                    }
                    changes.push(("course", course_id.clone(), "upsert"));
                }
                if !touched_courses.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<DB>::new("UPDATE courses SET updated_at = ");
                    qb.push_bind(now).push(" WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for id in &touched_courses {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await?;
                }
                append_changes!(DB, &mut *tx, &changes, run_id, now);

                let mut qb = sqlx::QueryBuilder::<DB>::new("INSERT INTO seen_ext (external_id) ");
                qb.push_values(&batch, |mut b, d| {
                    b.push_bind(&d.external_id);
                });
                qb.push(" ON CONFLICT (external_id) DO NOTHING");
                qb.build().execute(&mut *tx).await?;
            }

            if withdraw_unseen {
                let gone = sqlx::query(
                    "UPDATE listings SET status = $2, withdrawn_at = $3, updated_at = $3
                     WHERE source_id = $1 AND status = $4
                       AND NOT EXISTS (SELECT 1 FROM seen_ext s WHERE s.external_id = listings.external_id)
                     RETURNING id, course_id",
                )
                .bind(source_id)
                .bind(ListingStatus::Withdrawn.as_str())
                .bind(now)
                .bind(ListingStatus::Active.as_str())
                .fetch_all(&mut *tx)
                .await?;
                applied.withdrawn = gone.len() as u64;
                let gone: Vec<(String, String)> = gone
                    .iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("course_id")?)))
                    .collect::<Result<_, sqlx::Error>>()?;
                for chunk in gone.chunks(BATCH) {
                    // A course with no active listing left is withdrawn too.
                    let mut qb = sqlx::QueryBuilder::<DB>::new(
                        "SELECT DISTINCT course_id FROM listings WHERE status = ",
                    );
                    qb.push_bind(ListingStatus::Active.as_str()).push(" AND course_id IN (");
                    let mut sep = qb.separated(", ");
                    for (_, c) in chunk {
                        sep.push_bind(c);
                    }
                    qb.push(")");
                    let still: std::collections::HashSet<String> = qb
                        .build()
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(|r| r.try_get("course_id"))
                        .collect::<Result<_, _>>()?;
                    // A withdrawal is an update of its course (`sort=updated`).
                    let mut qb = sqlx::QueryBuilder::<DB>::new("UPDATE courses SET updated_at = ");
                    qb.push_bind(now).push(" WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for (_, c) in chunk {
                        sep.push_bind(c);
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await?;
                    let mut changes: Vec<(&str, String, &str)> = Vec::with_capacity(chunk.len() * 2);
                    for (lid, cid) in chunk {
                        changes.push(("listing", lid.clone(), "withdraw"));
                        let kind = if still.contains(cid) { "upsert" } else { "withdraw" };
                        changes.push(("course", cid.clone(), kind));
                    }
                    append_changes!(DB, &mut *tx, &changes, run_id, now);
                }
            }

            // Re-match what changed, before the run is recorded as applied.
            dedup = super::dedup::rematch!(DB, &mut *tx, &changed, &created, Some(run_id), now);
            stats.created = applied.created;
            stats.updated = applied.updated;
            stats.unchanged = applied.unchanged;
            stats.withdrawn = applied.withdrawn;
            insert_rejects!(DB, &mut *tx, run_id, source_id, rejects);
            finish_run_row!(&mut *tx, run_id, outcome, stats, note);
            tx.commit().await?;
        });
        if applied.created + applied.updated >= super::search::COMPACT_FULL_TEXT_AFTER
            && let Err(e) = self.compact_full_text().await
        {
            tracing::warn!(source = %source_id, run = run_id, error = %e, "Full-text index not compacted; searches stay slower until the next large apply.");
        }
        Ok(ApplyReport {
            stats,
            changed,
            dedup,
        })
    }
}
