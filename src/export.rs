//! The catalogue as documents: one JSON object per course (the shape downstream services
//! read), built from stored listings. Until cross-platform dedup exists each listing is
//! its own course, but the shape is final.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::domain::{Access, Availability, ListingStatus, Pacing};
use crate::store::{ListingFilter, Store, StoreError, StoredListing};

/// A canonical course with all its listings. Each course-level field comes from one
/// listing, named in `provenance` (see [`CourseDoc::from_listings`] for the precedence).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CourseDoc {
    pub id: String,
    /// `active` while any listing is active.
    pub status: ListingStatus,
    pub title: String,
    /// Per language, from the first listing in precedence order that has it.
    pub titles: BTreeMap<String, String>,
    pub short_description: Option<String>,
    pub description_html: Option<String>,
    pub description_text: Option<String>,
    pub institutions: Vec<String>,
    pub instructors: Vec<String>,
    /// The union over listings, in precedence order.
    pub languages: Vec<String>,
    pub subjects: Vec<String>,
    pub level: Option<String>,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    pub access: Option<Access>,
    pub certificate: Option<bool>,
    /// Field → the listing id its value came from (`titles.<lang>` and
    /// `languages.<tag>` per element; `description` covers both description fields).
    pub provenance: BTreeMap<String, String>,
    pub listings: Vec<ListingDoc>,
}

/// A listing in the export shape. Absent values are `null` or `[]`, never `""`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EffortDoc {
    pub text: Option<String>,
    pub hours_per_week_min: Option<f64>,
    pub hours_per_week_max: Option<f64>,
    pub total_hours: Option<f64>,
}

/// A run in the export shape; dates are RFC 3339 UTC or null.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

impl ListingDoc {
    /// How many of the course-level fields this listing fills (the completeness used in
    /// the precedence).
    fn completeness(&self) -> usize {
        [
            !self.titles.is_empty(),
            self.short_description.is_some(),
            self.description_html.is_some() || self.description_text.is_some(),
            !self.institutions.is_empty(),
            !self.instructors.is_empty(),
            !self.languages.is_empty(),
            !self.subjects.is_empty(),
            self.level.is_some(),
            self.image_url.is_some(),
            self.video_url.is_some(),
            self.access.is_some(),
            self.certificate.is_some(),
            self.effort.is_some(),
            self.duration_weeks.is_some(),
            !self.runs.is_empty(),
        ]
        .iter()
        .filter(|x| **x)
        .count()
    }
}

impl CourseDoc {
    /// A course from its listings (all of one course id; kept in listing-id order).
    ///
    /// Precedence, per field: the first listing that has a value, listings ranked by
    /// 1. active before withdrawn,
    /// 2. more complete first (more of the course-level fields filled),
    /// 3. first seen earlier,
    /// 4. smaller listing id.
    ///
    /// `titles` takes each language from the first ranked listing that has it;
    /// `languages` is the union in rank order.
    pub fn from_listings(course_id: String, listings: Vec<ListingDoc>) -> Self {
        let mut ranked: Vec<&ListingDoc> = listings.iter().collect();
        ranked.sort_by(|a, b| {
            (a.status != ListingStatus::Active)
                .cmp(&(b.status != ListingStatus::Active))
                .then(b.completeness().cmp(&a.completeness()))
                .then(a.first_seen.cmp(&b.first_seen))
                .then(a.id.cmp(&b.id))
        });
        let mut provenance: BTreeMap<String, String> = BTreeMap::new();
        // The first ranked listing for which `get` gives a value, noted in `provenance`.
        fn pick<'a, T>(
            ranked: &[&'a ListingDoc],
            provenance: &mut BTreeMap<String, String>,
            field: &str,
            get: impl Fn(&'a ListingDoc) -> Option<T>,
        ) -> Option<T> {
            ranked.iter().find_map(|l| {
                let v = get(l)?;
                provenance.insert(field.to_owned(), l.id.clone());
                Some(v)
            })
        }
        let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        let title =
            pick(&ranked, &mut provenance, "title", |l| Some(l.title.clone())).unwrap_or_default();
        let description = pick(&ranked, &mut provenance, "description", |l| {
            (l.description_html.is_some() || l.description_text.is_some())
                .then(|| (l.description_html.clone(), l.description_text.clone()))
        });
        let (description_html, description_text) = description.unwrap_or_default();
        let mut titles = BTreeMap::new();
        let mut languages: Vec<String> = Vec::new();
        for l in &ranked {
            for (lang, t) in &l.titles {
                if !titles.contains_key(lang) {
                    titles.insert(lang.clone(), t.clone());
                    provenance.insert(format!("titles.{lang}"), l.id.clone());
                }
            }
            for lang in &l.languages {
                if !languages.contains(lang) {
                    languages.push(lang.clone());
                    provenance.insert(format!("languages.{lang}"), l.id.clone());
                }
            }
        }
        let status = if listings.iter().any(|l| l.status == ListingStatus::Active) {
            ListingStatus::Active
        } else {
            ListingStatus::Withdrawn
        };
        Self {
            short_description: pick(&ranked, &mut provenance, "short_description", |l| {
                l.short_description.clone()
            }),
            institutions: pick(&ranked, &mut provenance, "institutions", |l| {
                non_empty(&l.institutions)
            })
            .unwrap_or_default(),
            instructors: pick(&ranked, &mut provenance, "instructors", |l| {
                non_empty(&l.instructors)
            })
            .unwrap_or_default(),
            subjects: pick(&ranked, &mut provenance, "subjects", |l| {
                non_empty(&l.subjects)
            })
            .unwrap_or_default(),
            level: pick(&ranked, &mut provenance, "level", |l| l.level.clone()),
            image_url: pick(&ranked, &mut provenance, "image_url", |l| {
                l.image_url.clone()
            }),
            video_url: pick(&ranked, &mut provenance, "video_url", |l| {
                l.video_url.clone()
            }),
            access: pick(&ranked, &mut provenance, "access", |l| l.access),
            certificate: pick(&ranked, &mut provenance, "certificate", |l| l.certificate),
            id: course_id,
            status,
            title,
            titles,
            description_html,
            description_text,
            languages,
            provenance,
            listings,
        }
    }
}

/// Walks every course (optionally those with a listing from `filter.source`, each with
/// all its listings), in course-id order, calling `emit` for each. Reads in pages, so memory stays flat however large the catalogue.
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
    // A course is shown whole: the source filter picks courses, not listings.
    let source = filter.source.clone();
    let filter = &ListingFilter {
        source: None,
        ..filter.clone()
    };
    let mut emit = |c: CourseDoc| -> Result<bool, ExportError> {
        let wanted = source
            .as_deref()
            .is_none_or(|s| c.listings.iter().any(|l| l.source == s));
        if wanted {
            emit(c)?;
        }
        Ok(wanted)
    };
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
                    if let Some((id, docs)) = current.replace((course_id, vec![doc]))
                        && emit(CourseDoc::from_listings(id, docs))?
                    {
                        courses += 1;
                    }
                }
            }
        }
        if done {
            break;
        }
    }
    if let Some((id, docs)) = current
        && emit(CourseDoc::from_listings(id, docs))?
    {
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
