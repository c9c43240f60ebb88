//! The catalogue as documents: one JSON object per course (the shape downstream services
//! read), built from stored listings. Until cross-platform dedup exists each listing is
//! its own course, but the shape is final.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::domain::{Access, Availability, ListingStatus, Pacing};
use crate::store::{ListingFilter, Store, StoreError, StoredListing};

/// A canonical course with all its listings.
#[derive(Debug, Clone, Serialize)]
pub struct CourseDoc {
    pub id: String,
    pub title: String,
    pub titles: BTreeMap<String, String>,
    pub languages: Vec<String>,
    pub listings: Vec<ListingDoc>,
}

/// A listing in the export shape. Absent values are `null` or `[]`, never `""`.
#[derive(Debug, Clone, Serialize)]
pub struct ListingDoc {
    pub id: String,
    pub source: String,
    pub external_id: String,
    pub status: ListingStatus,
    pub url: Option<String>,
    pub title: String,
    pub titles: BTreeMap<String, String>,
    pub short_description: Option<String>,
    pub description_html: Option<String>,
    pub description_text: Option<String>,
    pub institutions: Vec<String>,
    pub instructors: Vec<String>,
    pub languages: Vec<String>,
    pub subjects: Vec<String>,
    pub level: Option<String>,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    pub effort: Option<EffortDoc>,
    pub duration_weeks: Option<f64>,
    pub access: Option<Access>,
    pub certificate: Option<bool>,
    pub enrollment_count: Option<i64>,
    pub same_as: Vec<String>,
    pub first_seen: String,
    pub updated_at: String,
    pub runs: Vec<RunDoc>,
}

/// Effort as stated, with what was parsed from it.
#[derive(Debug, Clone, Serialize)]
pub struct EffortDoc {
    pub text: Option<String>,
    pub hours_per_week_min: Option<f64>,
    pub hours_per_week_max: Option<f64>,
    pub total_hours: Option<f64>,
}

/// A run in the export shape; dates are RFC 3339 UTC or null.
#[derive(Debug, Clone, Serialize)]
pub struct RunDoc {
    pub id: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub enrollment_start: Option<String>,
    pub enrollment_end: Option<String>,
    pub pacing: Option<Pacing>,
    pub availability: Availability,
    pub hidden: bool,
    pub invitation_only: bool,
}

fn rfc3339(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl ListingDoc {
    /// The export shape of a stored listing, availability derived at `now`.
    pub fn from_stored(l: StoredListing, now: DateTime<Utc>) -> Self {
        let d = l.draft;
        Self {
            id: l.id,
            source: l.source_id,
            external_id: d.external_id,
            status: l.status,
            url: d.url,
            title: d.title,
            titles: d.titles,
            short_description: d.short_description,
            description_html: d.description_html,
            description_text: d.description_text,
            institutions: d.institutions,
            instructors: d.instructors,
            languages: d.languages,
            subjects: d.subjects,
            level: d.level,
            image_url: d.image_url,
            video_url: d.video_url,
            effort: d.effort.map(|e| EffortDoc {
                text: e.text,
                hours_per_week_min: e.hours_per_week_min,
                hours_per_week_max: e.hours_per_week_max,
                total_hours: e.total_hours,
            }),
            duration_weeks: d.duration_weeks,
            access: d.access,
            certificate: d.certificate,
            enrollment_count: d.enrollment_count,
            same_as: d.same_as,
            first_seen: rfc3339(l.first_seen_at),
            updated_at: rfc3339(l.updated_at),
            runs: d
                .runs
                .into_iter()
                .map(|r| RunDoc {
                    availability: r.availability(now),
                    id: r.external_run_id,
                    start: r.start.map(rfc3339),
                    end: r.end.map(rfc3339),
                    enrollment_start: r.enrollment_start.map(rfc3339),
                    enrollment_end: r.enrollment_end.map(rfc3339),
                    pacing: r.pacing,
                    hidden: r.hidden,
                    invitation_only: r.invitation_only,
                })
                .collect(),
        }
    }
}

impl CourseDoc {
    /// A course from its listings (all of one course id). The title comes from the first
    /// active listing (by listing id), else the first listing; titles and languages are the
    /// union over listings, first listing winning per language.
    pub fn from_listings(course_id: String, listings: Vec<ListingDoc>) -> Self {
        let lead = listings
            .iter()
            .find(|l| l.status == ListingStatus::Active)
            .or(listings.first());
        let title = lead.map(|l| l.title.clone()).unwrap_or_default();
        let mut titles = BTreeMap::new();
        let mut languages: Vec<String> = Vec::new();
        for l in &listings {
            for (lang, t) in &l.titles {
                titles.entry(lang.clone()).or_insert_with(|| t.clone());
            }
            for lang in &l.languages {
                if !languages.contains(lang) {
                    languages.push(lang.clone());
                }
            }
        }
        Self {
            id: course_id,
            title,
            titles,
            languages,
            listings,
        }
    }
}

/// Walks every course (optionally of one source), in course-id order, calling `emit` for
/// each. Reads in pages, so memory stays flat however large the catalogue.
pub async fn for_each_course<F>(
    store: &Store,
    filter: &ListingFilter,
    mut emit: F,
) -> Result<u64, ExportError>
where
    F: FnMut(CourseDoc) -> Result<(), ExportError>,
{
    const PAGE: u32 = 1000;
    let now = Utc::now();
    let mut cursor: Option<(String, String)> = None;
    let mut current: Option<(String, Vec<ListingDoc>)> = None;
    let mut courses = 0u64;
    loop {
        let page = store
            .listings_page(
                filter,
                cursor.as_ref().map(|(c, i)| (c.as_str(), i.as_str())),
                PAGE,
            )
            .await?;
        let done = page.len() < PAGE as usize;
        if let Some(last) = page.last() {
            cursor = Some((last.course_id.clone(), last.id.clone()));
        }
        for l in page {
            let course_id = l.course_id.clone();
            let doc = ListingDoc::from_stored(l, now);
            match current.as_mut() {
                Some((id, docs)) if *id == course_id => docs.push(doc),
                _ => {
                    if let Some((id, docs)) = current.replace((course_id, vec![doc])) {
                        emit(CourseDoc::from_listings(id, docs))?;
                        courses += 1;
                    }
                }
            }
        }
        if done {
            break;
        }
    }
    if let Some((id, docs)) = current {
        emit(CourseDoc::from_listings(id, docs))?;
        courses += 1;
    }
    Ok(courses)
}

/// Writes every course as one JSON line; returns how many.
pub async fn export_jsonl<W: Write>(
    store: &Store,
    filter: &ListingFilter,
    out: &mut W,
) -> Result<u64, ExportError> {
    for_each_course(store, filter, |c| {
        serde_json::to_writer(&mut *out, &c).map_err(|e| ExportError::Write(e.to_string()))?;
        out.write_all(b"\n")
            .map_err(|e| ExportError::Write(e.to_string()))
    })
    .await
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The output could not be written.
    #[error("cannot write the export: {0}")]
    Write(String),
}
