//! What operators (the CLI, later the read API's admin endpoints) do with deduplication:
//! force or forbid a pair of listings in one course, and explain why a course holds the
//! listings it holds.

use serde::Serialize;

use super::{RematchStats, THRESHOLDS};
use crate::domain::ListingStatus;
use crate::store::{CourseLinkRow, ListingFilter, OverrideRow, Store, StoreError};

/// Who made an override decision and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideNote {
    pub reason: Option<String>,
    /// The operator (e.g. `cli:alice`, `api:token`).
    pub by: String,
}

/// Forces listings `a` and `b` (ids `source:external_id`) into one course, now and in
/// every later matching; re-matches their neighbourhood at once.
pub async fn link(
    store: &Store,
    a: &str,
    b: &str,
    note: &OverrideNote,
) -> Result<RematchStats, StoreError> {
    store
        .set_dedup_override(a, b, true, note.reason.as_deref(), &note.by)
        .await
}

/// Keeps listings `a` and `b` in different courses, now and in every later matching;
/// re-matches their neighbourhood at once.
pub async fn unlink(
    store: &Store,
    a: &str,
    b: &str,
    note: &OverrideNote,
) -> Result<RematchStats, StoreError> {
    store
        .set_dedup_override(a, b, false, note.reason.as_deref(), &note.by)
        .await
}

/// Why a course holds its listings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    pub course_id: String,
    /// The id that was asked for, when it was merged into `course_id`.
    pub redirected_from: Option<String>,
    /// Course ids merged into this one (they resolve to it).
    pub merged_from: Vec<String>,
    pub listings: Vec<ExplainedListing>,
    /// The accepted links: a spanning forest of the listings.
    pub links: Vec<CourseLinkRow>,
    /// The matcher's thresholds now (each link also stores the one it passed).
    pub thresholds: ThresholdsDoc,
    /// Operator decisions touching any listing of the course.
    pub overrides: Vec<OverrideRow>,
}

/// One listing of an explained course with the evidence that links it to the others.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainedListing {
    pub id: String,
    pub source: String,
    pub title: String,
    pub status: ListingStatus,
    pub institutions: Vec<String>,
    pub evidence: Vec<ListingEvidence>,
}

/// A link seen from one of its listings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListingEvidence {
    /// The other listing.
    pub with: String,
    pub signal: String,
    pub lang: Option<String>,
    pub score: f64,
    pub threshold: Option<f64>,
}

/// [`super::Thresholds`] as data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdsDoc {
    pub title_similarity: f32,
    pub title_with_instructor: f32,
    pub max_cluster_size: usize,
}

/// Explains the course `id` names (a course id, merged-away ids resolve to the
/// survivor; or a listing id `source:external_id`, meaning its course). `None` when the id
/// names nothing.
pub async fn explain(store: &Store, id: &str) -> Result<Option<Explanation>, StoreError> {
    let (course_id, redirected_from) = match store.resolve_course(id).await? {
        Some((c, merged)) => (c, merged.then(|| id.to_owned())),
        None => match store.get_listing(id).await? {
            Some(l) => (l.course_id, None),
            None => return Ok(None),
        },
    };
    let filter = ListingFilter {
        course_id: Some(course_id.clone()),
        ..Default::default()
    };
    let mut stored = Vec::new();
    let mut after: Option<(String, String)> = None;
    loop {
        let page = store
            .listings_page(
                &filter,
                after.as_ref().map(|(c, l)| (c.as_str(), l.as_str())),
                500,
            )
            .await?;
        let done = page.len() < 500;
        after = page.last().map(|l| (l.course_id.clone(), l.id.clone()));
        stored.extend(page);
        if done {
            break;
        }
    }
    let links = store.course_links(&course_id).await?;
    let ids: Vec<String> = stored.iter().map(|l| l.id.clone()).collect();
    let overrides = store.dedup_overrides(&ids).await?;
    let listings = stored
        .into_iter()
        .map(|l| {
            let evidence = links
                .iter()
                .filter_map(|k| {
                    let with = if k.listing_a == l.id {
                        &k.listing_b
                    } else if k.listing_b == l.id {
                        &k.listing_a
                    } else {
                        return None;
                    };
                    Some(ListingEvidence {
                        with: with.clone(),
                        signal: k.signal.clone(),
                        lang: k.lang.clone(),
                        score: k.score,
                        threshold: k.threshold,
                    })
                })
                .collect();
            ExplainedListing {
                id: l.id,
                source: l.source_id,
                title: l.draft.title,
                status: l.status,
                institutions: l.draft.institutions,
                evidence,
            }
        })
        .collect();
    Ok(Some(Explanation {
        merged_from: store.merged_into(&course_id).await?,
        course_id,
        redirected_from,
        listings,
        links,
        thresholds: ThresholdsDoc {
            title_similarity: THRESHOLDS.title_similarity,
            title_with_instructor: THRESHOLDS.title_with_instructor,
            max_cluster_size: THRESHOLDS.max_cluster_size,
        },
        overrides,
    }))
}
