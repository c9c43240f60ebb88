//! Reading the catalogue back: listings with their runs, in course order, for the export
//! and the CLI.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::types::Json;

use super::{Store, StoreError, dispatch};
use crate::domain::{Access, Effort, ListingDraft, ListingStatus, Pacing, RawDates, RunDraft};

/// A stored listing: the draft as last stored, plus its catalogue bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredListing {
    pub id: String,
    pub source_id: String,
    pub course_id: String,
    pub status: ListingStatus,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub draft: ListingDraft,
}

/// Which listings to read.
#[derive(Debug, Clone, Default)]
pub struct ListingFilter {
    pub source: Option<String>,
    pub status: Option<ListingStatus>,
    /// Only the listings of this course.
    pub course_id: Option<String>,
}

pub(super) const LISTING_COLUMNS: &str =
    "id, source_id, external_id, course_id, status, url, title, titles,
    short_description, description_html, description_text, institutions, instructors,
    languages, subjects, level, image_url, video_url, effort_text, hours_per_week_min,
    hours_per_week_max, total_hours, duration_weeks, access, certificate, enrollment_count,
    same_as, first_seen_at, last_seen_at, updated_at, withdrawn_at";

fn corrupt(id: &str, message: String) -> StoreError {
    StoreError::Corrupt {
        table: "listings",
        id: id.to_owned(),
        message,
    }
}

pub(super) fn listing_from_row<R: Row>(r: &R) -> Result<StoredListing, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<f64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<bool>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<Vec<String>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<BTreeMap<String, String>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let status: String = r.try_get("status")?;
    let access: Option<String> = r.try_get("access")?;
    let access = match access.as_deref() {
        None => None,
        Some("free") => Some(Access::Free),
        Some("paid") => Some(Access::Paid),
        Some("free_paid_certificate") => Some(Access::FreePaidCertificate),
        Some(other) => return Err(corrupt(&id, format!("unknown access {other:?}"))),
    };
    let effort_text: Option<String> = r.try_get("effort_text")?;
    let hpw_min: Option<f64> = r.try_get("hours_per_week_min")?;
    let hpw_max: Option<f64> = r.try_get("hours_per_week_max")?;
    let total: Option<f64> = r.try_get("total_hours")?;
    let any = effort_text.is_some() || hpw_min.is_some() || hpw_max.is_some() || total.is_some();
    let effort = any.then_some(Effort {
        text: effort_text,
        hours_per_week_min: hpw_min,
        hours_per_week_max: hpw_max,
        total_hours: total,
    });
    let list = |col: &str| -> Result<Vec<String>, sqlx::Error> {
        Ok(r.try_get::<Json<Vec<String>>, _>(col)?.0)
    };
    Ok(StoredListing {
        status: ListingStatus::parse(&status)
            .ok_or_else(|| corrupt(&id, format!("unknown status {status:?}")))?,
        source_id: r.try_get("source_id")?,
        course_id: r.try_get("course_id")?,
        first_seen_at: r.try_get("first_seen_at")?,
        last_seen_at: r.try_get("last_seen_at")?,
        updated_at: r.try_get("updated_at")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
        draft: ListingDraft {
            external_id: r.try_get("external_id")?,
            url: r.try_get("url")?,
            title: r.try_get("title")?,
            titles: r.try_get::<Json<BTreeMap<String, String>>, _>("titles")?.0,
            short_description: r.try_get("short_description")?,
            description_html: r.try_get("description_html")?,
            description_text: r.try_get("description_text")?,
            institutions: list("institutions")?,
            instructors: list("instructors")?,
            languages: list("languages")?,
            subjects: list("subjects")?,
            level: r.try_get("level")?,
            image_url: r.try_get("image_url")?,
            video_url: r.try_get("video_url")?,
            effort,
            duration_weeks: r.try_get("duration_weeks")?,
            access,
            certificate: r.try_get("certificate")?,
            enrollment_count: r.try_get("enrollment_count")?,
            same_as: list("same_as")?,
            runs: Vec::new(),
        },
        id,
    })
}

/// The run in the columns named `{prefix}external_run_id`, `{prefix}start_at`, … of `r`;
/// None when its external run id is NULL (a LEFT JOIN without a run).
pub(super) fn run_from_row<R: Row>(r: &R, prefix: &str) -> Result<Option<RunDraft>, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<bool>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Json<RawDates>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let col = |name: &str| format!("{prefix}{name}");
    let Some(external_run_id) = r.try_get::<Option<String>, _>(col("external_run_id").as_str())?
    else {
        return Ok(None);
    };
    let pacing: Option<String> = r.try_get(col("pacing").as_str())?;
    let flag = |name: &str| -> Result<bool, StoreError> {
        r.try_get::<Option<bool>, _>(col(name).as_str())?
            .ok_or_else(|| StoreError::Corrupt {
                table: "runs",
                id: external_run_id.clone(),
                message: format!("{name} is NULL"),
            })
    };
    Ok(Some(RunDraft {
        start: r.try_get(col("start_at").as_str())?,
        end: r.try_get(col("end_at").as_str())?,
        enrollment_start: r.try_get(col("enrollment_start_at").as_str())?,
        enrollment_end: r.try_get(col("enrollment_end_at").as_str())?,
        raw_dates: r
            .try_get::<Option<Json<RawDates>>, _>(col("raw_dates").as_str())?
            .map(|j| j.0)
            .unwrap_or_default(),
        pacing: match pacing.as_deref() {
            Some("self") => Some(Pacing::SelfPaced),
            Some("instructor") => Some(Pacing::Instructor),
            _ => None,
        },
        hidden: flag("hidden")?,
        invitation_only: flag("invitation_only")?,
        status_raw: r.try_get(col("status_raw").as_str())?,
        external_run_id,
    }))
}

impl Store {
    /// Up to `limit` listings after the `(course_id, listing_id)` cursor, in course order,
    /// each with its runs. Pass `None` for the first page.
    pub async fn listings_page(
        &self,
        filter: &ListingFilter,
        after: Option<(&str, &str)>,
        limit: u32,
    ) -> Result<Vec<StoredListing>, StoreError> {
        let (after_course, after_id) = after.unwrap_or(("", ""));
        let status = filter.status.map(|s| s.as_str());
        let mut listings = dispatch!(self, DB, pool => {
            let mut qb = sqlx::QueryBuilder::<DB>::new("SELECT ");
            qb.push(LISTING_COLUMNS).push(" FROM listings WHERE (course_id, id) > (");
            qb.push_bind(after_course).push(", ").push_bind(after_id).push(")");
            if let Some(s) = &filter.source {
                qb.push(" AND source_id = ").push_bind(s.as_str());
            }
            if let Some(s) = status {
                qb.push(" AND status = ").push_bind(s);
            }
            if let Some(c) = &filter.course_id {
                qb.push(" AND course_id = ").push_bind(c.as_str());
            }
            qb.push(" ORDER BY course_id, id LIMIT ").push_bind(i64::from(limit));
            qb.build()
                .fetch_all(pool)
                .await?
                .iter()
                .map(listing_from_row)
                .collect::<Result<Vec<_>, _>>()?
        });
        self.attach_runs(&mut listings).await?;
        Ok(listings)
    }

    /// One listing by its public id (`source:external_id`).
    pub async fn get_listing(&self, id: &str) -> Result<Option<StoredListing>, StoreError> {
        let found = dispatch!(self, DB, pool => {
            let mut qb = sqlx::QueryBuilder::<DB>::new("SELECT ");
            qb.push(LISTING_COLUMNS).push(" FROM listings WHERE id = ").push_bind(id);
            match qb.build().fetch_optional(pool).await? {
                Some(row) => Some(listing_from_row(&row)?),
                None => None,
            }
        });
        let mut found: Vec<StoredListing> = found.into_iter().collect();
        self.attach_runs(&mut found).await?;
        Ok(found.pop())
    }

    /// Active and withdrawn listing counts of a source.
    pub async fn count_listings(&self, source_id: &str) -> Result<(u64, u64), StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query("SELECT status, COUNT(*) AS n FROM listings WHERE source_id = $1 GROUP BY status")
                .bind(source_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get::<String, _>("status")?, r.try_get::<i64, _>("n")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        let get = |s: ListingStatus| {
            rows.iter()
                .find(|(k, _)| k == s.as_str())
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0))
        };
        Ok((get(ListingStatus::Active), get(ListingStatus::Withdrawn)))
    }

    /// The change log after `seq`: `(seq, entity, entity_id, kind)`.
    pub async fn changes_after(
        &self,
        seq: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String, String, String)>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query("SELECT seq, entity, entity_id, kind FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
                .bind(seq)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("seq")?, r.try_get("entity")?, r.try_get("entity_id")?, r.try_get("kind")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        Ok(rows)
    }

    pub(super) async fn attach_runs(
        &self,
        listings: &mut [StoredListing],
    ) -> Result<(), StoreError> {
        if listings.is_empty() {
            return Ok(());
        }
        let mut by_listing: HashMap<String, Vec<RunDraft>> = HashMap::new();
        for chunk in listings.chunks(500) {
            let rows = dispatch!(self, DB, pool => {
                let mut qb = sqlx::QueryBuilder::<DB>::new(
                    "SELECT listing_id, external_run_id, start_at, end_at, enrollment_start_at,
                        enrollment_end_at, raw_dates, pacing, hidden, invitation_only, status_raw
                     FROM runs WHERE listing_id IN (",
                );
                let mut sep = qb.separated(", ");
                for l in chunk {
                    sep.push_bind(l.id.as_str());
                }
                qb.push(") ORDER BY listing_id, external_run_id");
                qb.build()
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .filter_map(|r| {
                        let lid = match r.try_get::<String, _>("listing_id") {
                            Ok(l) => l,
                            Err(e) => return Some(Err(StoreError::from(e))),
                        };
                        run_from_row(r, "").transpose().map(|run| run.map(|run| (lid, run)))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?
            });
            for (lid, run) in rows {
                by_listing.entry(lid).or_default().push(run);
            }
        }
        for l in listings.iter_mut() {
            l.draft.runs = by_listing.remove(&l.id).unwrap_or_default();
        }
        Ok(())
    }
}
