//! `GET /v1/courses` (filters, sort, cursor pages), `GET /v1/courses/{id}` (JSON or
//! JSON-LD; 308 for an id merged away) and `GET /v1/listings/{source}/{external_id}`.
//! Bodies are export's documents: the course shape is the export shape.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;

use super::ApiState;
use super::cache::{Lookup, course_key, course_ld_key, page_key, run_span};
use super::cursor::{Cursor, fingerprint};
use super::error::{ApiError, Problem};
use super::params::Params;
use super::respond::{JSON, JSON_LD, cached, etag_of, render, wants_json_ld};
use crate::domain::{Availability, listing_id};
use crate::export::{CourseDoc, ListingDoc};
use crate::store::{
    CourseLookup, CourseQuery, CourseSort, SearchQuery, StatusFilter, StoredListing,
};

/// The largest page.
pub const MAX_LIMIT: i64 = 100;
/// The page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 20;

const LIST_PARAMS: &[&str] = &[
    "q",
    "language",
    "source",
    "institution",
    "subject",
    "availability",
    "starts_after",
    "starts_before",
    "free",
    "certificate",
    "status",
    "sort",
    "limit",
    "cursor",
];

/// The query parameters of `GET /v1/courses` (documentation; parsed by hand).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CourseListParams {
    /// Full-text query over titles (every language), descriptions, institutions and
    /// instructors; every whitespace-separated term must match. Thai and Chinese need no
    /// spaces. Terms under 3 characters are matched by a slower scan.
    q: Option<String>,
    /// BCP 47 language tags, comma-separated; `en` also matches `en-US`.
    language: Option<String>,
    /// Source ids, comma-separated.
    source: Option<String>,
    /// An institution name as the source gives it (case-insensitive).
    institution: Option<String>,
    /// A subject label as the source gives it (case-insensitive).
    subject: Option<String>,
    /// Run availability, comma-separated: `upcoming`, `current`, `archived`, `self_paced`, `unknown`.
    availability: Option<String>,
    /// A run starts at or after this instant (RFC 3339 or `YYYY-MM-DD`).
    starts_after: Option<String>,
    /// A run starts before this instant (RFC 3339 or `YYYY-MM-DD`).
    starts_before: Option<String>,
    /// `true`: free (or free with a paid certificate); `false`: paid.
    free: Option<bool>,
    /// A certificate is available.
    certificate: Option<bool>,
    /// `active` (default: an active listing matches), `withdrawn` (no active listing left) or `any`.
    status: Option<String>,
    /// `relevance` (default with `q`), `start` (default without: next start, soonest first,
    /// then courses with none), `updated` (newest first).
    sort: Option<String>,
    /// Courses per page, 1–100 (default 20).
    limit: Option<u32>,
    /// The `cursor` of the previous page's `next` link (opaque).
    cursor: Option<String>,
}

/// A page of courses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CourseList {
    /// Courses in the export shape (`coursefed export`), each with its listings and runs.
    pub courses: Vec<CourseDoc>,
    /// The next page (path and query), or null on the last page.
    pub next: Option<String>,
}

/// A listing with the course it belongs to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListingView {
    pub course_id: String,
    /// The listing in the export shape.
    #[serde(flatten)]
    pub listing: ListingDoc,
}

fn parse_availability(s: &str) -> Result<Availability, ApiError> {
    Ok(match s {
        "upcoming" => Availability::Upcoming,
        "current" => Availability::Current,
        "archived" => Availability::Archived,
        "self_paced" => Availability::SelfPaced,
        "unknown" => Availability::Unknown,
        other => {
            return Err(ApiError::bad(
                "availability",
                format!("{other:?} is not one of upcoming, current, archived, self_paced, unknown"),
            ));
        }
    })
}

/// The bodies of a page's courses, and the first instant after its `now` at which one of
/// their runs starts or ends (None: none does).
struct PageCourses {
    bodies: Vec<Bytes>,
    until: Option<DateTime<Utc>>,
}

/// The JSON bodies of courses `ids` (each as `GET /v1/courses/{id}` answers it), in that
/// order, judged at `now`: the ones cached for `now` from the response cache (a course
/// asked for by id), the others read from the database in one go.
async fn course_bodies(
    st: &ApiState,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<PageCourses, ApiError> {
    let mut until: Option<DateTime<Utc>> = None;
    let mut sooner = |t: Option<DateTime<Utc>>| {
        if let Some(t) = t {
            until = Some(until.map_or(t, |u| u.min(t)));
        }
    };
    let mut bodies: Vec<Option<Bytes>> = ids
        .iter()
        .map(|id| {
            st.cache.course_body(id, now).map(|(body, u)| {
                sooner(u);
                body
            })
        })
        .collect();
    let missing: Vec<String> = ids
        .iter()
        .zip(&bodies)
        .filter(|(_, b)| b.is_none())
        .map(|(id, _)| id.clone())
        .collect();
    let mut by_course: HashMap<String, Vec<StoredListing>> = HashMap::new();
    for l in st.store.listings_of_courses(&missing).await? {
        by_course.entry(l.course_id.clone()).or_default().push(l);
    }
    for (id, body) in ids.iter().zip(&mut bodies) {
        if body.is_none() {
            let listings = by_course.remove(id).unwrap_or_default();
            sooner(run_span(&listings, now).1);
            *body = Some(render(&course_doc(id, listings, now))?.0);
        }
    }
    Ok(PageCourses {
        bodies: bodies.into_iter().flatten().collect(),
        until,
    })
}

/// Course `id`'s document from its stored listings, judged at `now`.
fn course_doc(id: &str, listings: Vec<StoredListing>, now: DateTime<Utc>) -> CourseDoc {
    CourseDoc::from_listings(
        id.to_owned(),
        listings
            .into_iter()
            .map(|l| ListingDoc::from_stored(l, now))
            .collect(),
    )
}

/// A page's JSON (a [`CourseList`]) from its courses' bodies, with its entity tag: the
/// bytes serde_json writes for the same [`CourseList`].
fn page_body(courses: &[Bytes], next: Option<&str>) -> Result<(Bytes, HeaderValue), ApiError> {
    let mut out = Vec::with_capacity(courses.iter().map(|b| b.len() + 1).sum::<usize>() + 64);
    out.extend_from_slice(b"{\"courses\":[");
    for (i, b) in courses.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b);
    }
    out.extend_from_slice(b"],\"next\":");
    serde_json::to_writer(&mut out, &next)
        .map_err(|e| ApiError::Unavailable(format!("cannot serialise the response: {e}")))?;
    out.push(b'}');
    let etag = HeaderValue::from_str(&etag_of(&out)).unwrap_or(HeaderValue::from_static("\"\""));
    Ok((Bytes::from(out), etag))
}

/// Until when a page of `q` holds, `courses_until` being the first start or end of a run
/// of its courses after `q.now`. A page is judged at `q.now`: a later page's `now` comes
/// from its cursor, so its answer holds; a first page's `now` is this minute's start. When
/// the instant decides which courses match and their order (an availability filter, the
/// start order), a first page holds until the next minute. Otherwise it holds until one of
/// its courses' runs starts or ends (their availability changes): the same courses in the
/// same order with the same availability is the answer of every minute until then (only
/// the cursor's `now` in `next` is older), so first pages do not all expire at once at
/// each minute.
fn page_valid_until(
    first_page: bool,
    q: &CourseQuery,
    courses_until: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if !first_page {
        None
    } else if q.sort == CourseSort::Start || !q.availability.is_empty() {
        Some(q.now + TimeDelta::minutes(1))
    } else {
        courses_until
    }
}

/// `path?query` with the request's parameters, `cursor` replaced.
fn next_link(path: &str, params: &Params, cursor: &str) -> String {
    let mut qs = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(k, _)| *k != "cursor") {
        qs.append_pair(k, v);
    }
    qs.append_pair("cursor", cursor);
    format!("{path}?{}", qs.finish())
}

/// Parses the list request into a store query; returns it with the query fingerprint.
fn course_query(p: &Params) -> Result<(CourseQuery, String), ApiError> {
    let search = p
        .str("q")?
        .map(|q| SearchQuery::parse(q).map_err(|e| ApiError::bad("q", e.to_string())))
        .transpose()?;
    let status = match p.str("status")? {
        None | Some("active") => StatusFilter::Active,
        Some("withdrawn") => StatusFilter::Withdrawn,
        Some("any") => StatusFilter::Any,
        Some(other) => {
            return Err(ApiError::bad(
                "status",
                format!("{other:?} is not one of active, withdrawn, any"),
            ));
        }
    };
    let sort = match (p.str("sort")?, &search) {
        (None, Some(_)) | (Some("relevance"), Some(_)) => CourseSort::Relevance,
        (Some("relevance"), None) => {
            return Err(ApiError::bad("sort", "relevance needs a query `q`"));
        }
        (None, None) | (Some("start"), _) => CourseSort::Start,
        (Some("updated"), _) => CourseSort::Updated,
        (Some(other), _) => {
            return Err(ApiError::bad(
                "sort",
                format!("{other:?} is not one of relevance, start, updated"),
            ));
        }
    };
    let starts_after = p.instant("starts_after")?;
    let starts_before = p.instant("starts_before")?;
    if let (Some(a), Some(b)) = (starts_after, starts_before)
        && a >= b
    {
        return Err(ApiError::bad(
            "starts_before",
            "must be later than starts_after",
        ));
    }
    let limit = p.int("limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?;
    let fp = fingerprint(p.iter().filter(|(k, _)| *k != "cursor" && *k != "limit"));
    let cursor = p
        .str("cursor")?
        .map(|c| Cursor::decode(c, &fp).map_err(|e| ApiError::bad("cursor", e.to_string())))
        .transpose()?;
    // Judged at a whole minute so that first pages (and their ETags) repeat for a while.
    let now = match &cursor {
        Some(c) => c.now,
        None => Utc::now()
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or_else(|_| Utc::now()),
    };
    let query = CourseQuery {
        search,
        languages: p
            .list("language")?
            .into_iter()
            .map(|l| l.to_lowercase())
            .collect(),
        sources: p.list("source")?,
        institution: p.str("institution")?.map(str::to_lowercase),
        subject: p.str("subject")?.map(str::to_lowercase),
        availability: p
            .list("availability")?
            .iter()
            .map(|a| parse_availability(a))
            .collect::<Result<_, _>>()?,
        starts_after,
        starts_before,
        free: p.bool("free")?,
        certificate: p.bool("certificate")?,
        status,
        sort,
        after: cursor.map(|c| c.key),
        limit: u32::try_from(limit).unwrap_or(20),
        now,
    };
    Ok((query, fp))
}

/// Courses matching the filters, a page at a time.
#[utoipa::path(
    get,
    path = "/v1/courses",
    tag = "courses",
    params(CourseListParams),
    responses(
        (status = 200, description = "A page of courses; follow `next` (also a `Link: rel=\"next\"` header) until it is null", body = CourseList),
        (status = 304, description = "Not modified (`If-None-Match` matched the `ETag`)"),
        (status = 400, description = "A bad parameter, named in `parameter`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_courses(
    State(st): State<Arc<ApiState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), LIST_PARAMS)?;
    let (query, fp) = course_query(&p)?;
    let key = page_key(raw.as_deref().unwrap_or_default());
    let generation = st.cache.current(&st.store).await?;
    let fill = match st.cache.lookup(&key).await {
        Lookup::Hit(hit) => return Ok(st.cache.respond(&key, &hit, &headers)),
        Lookup::Miss(fill) => fill,
    };
    let indexed = match &st.search {
        Some(index) => index.page(&st.store, &query).await?,
        None => None,
    };
    let page = match indexed {
        Some(page) => page,
        None => st.store.course_page(&query).await?,
    };
    let courses = course_bodies(&st, &page.ids, query.now).await?;
    let next = page.next.map(|key| {
        let c = Cursor {
            v: 1,
            f: fp.clone(),
            now: query.now,
            key,
        };
        next_link("/v1/courses", &p, &c.encode())
    });
    let link = next
        .as_ref()
        .and_then(|n| HeaderValue::from_str(&format!("<{n}>; rel=\"next\"")).ok());
    let tagged = page_body(&courses.bodies, next.as_deref())?;
    let valid_until = page_valid_until(p.str("cursor")?.is_none(), &query, courses.until);
    let body = st.cache.body(tagged, JSON, link, valid_until);
    Ok(st.cache.put(generation, fill, body).respond(&headers))
}

/// One course with its listings, runs and provenance.
#[utoipa::path(
    get,
    path = "/v1/courses/{id}",
    tag = "courses",
    params(("id" = String, Path, description = "The course id (opaque, stable)")),
    responses(
        (status = 200, description = "The course in the export shape; with `Accept: application/ld+json`, a schema.org `Course`", body = CourseDoc),
        (status = 304, description = "Not modified"),
        (status = 308, description = "The id was merged into another course: `Location` names the survivor"),
        (status = 404, description = "No such course", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_course(
    State(st): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let json_ld = wants_json_ld(&headers);
    let key = if json_ld {
        course_ld_key(&id)
    } else {
        course_key(&id)
    };
    let generation = st.cache.current(&st.store).await?;
    let fill = match st.cache.lookup(&key).await {
        Lookup::Hit(hit) => return Ok(st.cache.respond(&key, &hit, &headers)),
        Lookup::Miss(fill) => fill,
    };
    let listings = match st.store.course_lookup(&id).await? {
        CourseLookup::Missing => return Err(ApiError::NotFound(format!("no course {id:?}"))),
        CourseLookup::MergedInto(to) => {
            // Redirects are kept one hop long; resolving guards against a longer chain.
            let to = match st.store.resolve_course(&to).await? {
                Some((last, _)) => last,
                None => to,
            };
            let location = format!(
                "/v1/courses/{}",
                percent_encoding::utf8_percent_encode(&to, percent_encoding::NON_ALPHANUMERIC)
            );
            return Ok((
                StatusCode::PERMANENT_REDIRECT,
                [(header::LOCATION, location.clone())],
                axum::Json(serde_json::json!({ "merged_into": to, "location": location })),
            )
                .into_response());
        }
        CourseLookup::Found(listings) => listings,
    };
    let now = Utc::now();
    let span = run_span(&listings, now);
    let doc = course_doc(&id, listings, now);
    let (content_type, tagged) = if json_ld {
        (JSON_LD, render(&super::jsonld::course(&doc))?)
    } else {
        (JSON, render(&doc)?)
    };
    let body = st.cache.course_body_of(tagged, content_type, span);
    Ok(st.cache.put(generation, fill, body).respond(&headers))
}

/// One listing (a course as one source lists it).
#[utoipa::path(
    get,
    path = "/v1/listings/{source}/{external_id}",
    tag = "courses",
    params(
        ("source" = String, Path, description = "The source id"),
        ("external_id" = String, Path, description = "The platform's course identity (percent-encode `/`)"),
    ),
    responses(
        (status = 200, description = "The listing in the export shape, with its course id", body = ListingView),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such listing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_listing(
    State(st): State<Arc<ApiState>>,
    Path((source, external_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = listing_id(&source, &external_id);
    let Some(l) = st.store.get_listing(&id).await? else {
        return Err(ApiError::NotFound(format!("no listing {id:?}")));
    };
    let course_id = l.course_id.clone();
    cached(
        &headers,
        JSON,
        &ListingView {
            course_id,
            listing: ListingDoc::from_stored(l, Utc::now()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{CourseDoc, ListingDoc};
    use crate::store::StoredListing;

    fn query(raw: &str) -> CourseQuery {
        let p = Params::parse(Some(raw), LIST_PARAMS).unwrap();
        course_query(&p).unwrap().0
    }

    #[test]
    fn a_page_assembled_from_course_bodies_is_what_serde_writes() {
        let now = Utc::now();
        let listing = StoredListing {
            id: "s:1".into(),
            source_id: "s".into(),
            course_id: "c1".into(),
            status: crate::domain::ListingStatus::Active,
            first_seen_at: now,
            last_seen_at: now,
            updated_at: now,
            withdrawn_at: None,
            draft: crate::domain::ListingDraft {
                title: "Data \"quoted\" ข้อมูล".into(),
                ..Default::default()
            },
        };
        let docs = vec![
            CourseDoc::from_listings("c1".into(), vec![ListingDoc::from_stored(listing, now)]),
            CourseDoc::from_listings("c2".into(), Vec::new()),
        ];
        for next in [None, Some("/v1/courses?q=x&cursor=a%22b".to_owned())] {
            let bodies: Vec<Bytes> = docs.iter().map(|d| render(d).unwrap().0).collect();
            let (body, etag) = page_body(&bodies, next.as_deref()).unwrap();
            let (want, want_etag) = render(&CourseList {
                courses: docs.clone(),
                next: next.clone(),
            })
            .unwrap();
            assert_eq!(body, want);
            assert_eq!(etag, want_etag);
        }
        let (empty, _) = page_body(&[], None).unwrap();
        assert_eq!(&empty[..], br#"{"courses":[],"next":null}"#);
    }

    #[test]
    fn a_first_page_judged_by_availability_or_start_holds_until_the_next_minute() {
        let later = Some(Utc::now() + TimeDelta::days(3));
        for raw in [
            "availability=current",
            "sort=start",
            "q=data&sort=start",
            "limit=5",
        ] {
            let q = query(raw);
            assert_eq!(
                page_valid_until(true, &q, later),
                Some(q.now + TimeDelta::minutes(1)),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_first_page_not_judged_by_the_instant_holds_until_a_run_of_its_courses_starts_or_ends() {
        let later = Some(Utc::now() + TimeDelta::days(3));
        for raw in [
            "q=data",
            "sort=updated&language=en",
            "q=data&starts_after=2026-01-01",
        ] {
            let q = query(raw);
            assert_eq!(page_valid_until(true, &q, later), later, "{raw}");
            assert_eq!(page_valid_until(true, &q, None), None, "{raw}");
        }
    }

    #[test]
    fn a_later_page_holds_as_long_as_its_cursor() {
        let q = query("availability=current");
        assert_eq!(page_valid_until(false, &q, Some(Utc::now())), None);
    }
}
