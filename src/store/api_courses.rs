//! The read API's course queries: one page of course ids matching the filters, in the
//! requested order, after a keyset cursor; the listings of several courses at once; and
//! the resolution of an id merged away to the course that survived.
//!
//! Filters apply to listings (a course matches when one of its listings matches every
//! listing filter and, when run filters are given, has a run matching every run filter).
//! Orders, each ending on the course id so it is total and stable:
//! - `relevance`: best-matching listing's score, descending;
//! - `start`: the next start (earliest run starting at or after `now`), soonest first,
//!   then the courses with no such run by id;
//! - `updated`: the course's `updated_at`, newest first.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::api_sql::{Sql, bind_params};
use super::search::{Dialect, HitScore, SearchQuery, push_hits};

use super::interrupt::Interruptible;
use super::{Store, StoreError, StoredListing, dispatch};
use crate::domain::Availability;

/// Which listings a course must have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// An active listing matches (the default).
    #[default]
    Active,
    /// No listing of the course is active any more.
    Withdrawn,
    /// Any listing.
    Any,
}

/// The order of a course page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CourseSort {
    Relevance,
    Start,
    Updated,
}

/// Where a page ends: the sort key of its last course. Opaque to clients (the API
/// encodes it into its cursor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum CourseKey {
    Relevance {
        score: f64,
        id: String,
    },
    /// `start: None` is past the courses with a next start (ordered by id only).
    Start {
        start: Option<DateTime<Utc>>,
        id: String,
    },
    Updated {
        at: DateTime<Utc>,
        id: String,
    },
}

/// A course-list request, already validated.
#[derive(Debug, Clone)]
pub struct CourseQuery {
    pub search: Option<SearchQuery>,
    /// BCP 47 tags, lower-cased; `en` also matches `en-US`.
    pub languages: Vec<String>,
    pub sources: Vec<String>,
    /// Lower-cased; matches an institution name as given, ignoring case.
    pub institution: Option<String>,
    /// Lower-cased; matches a subject label, ignoring case.
    pub subject: Option<String>,
    pub availability: Vec<Availability>,
    pub starts_after: Option<DateTime<Utc>>,
    pub starts_before: Option<DateTime<Utc>>,
    pub free: Option<bool>,
    pub certificate: Option<bool>,
    pub status: StatusFilter,
    pub sort: CourseSort,
    pub after: Option<CourseKey>,
    pub limit: u32,
    /// The instant availability and next start are judged at (kept across pages).
    pub now: DateTime<Utc>,
}

/// What a course id names, read for `GET /v1/courses/{id}`.
#[derive(Debug, Clone, PartialEq)]
pub enum CourseLookup {
    /// No such course.
    Missing,
    /// Merged away into this course (redirects are kept one hop long).
    MergedInto(String),
    /// The course: every listing (any status) with runs, in listing id order.
    Found(Vec<StoredListing>),
}

/// One page of course ids, and the key to continue after when there are more.
#[derive(Debug, Clone, PartialEq)]
pub struct CoursePage {
    pub ids: Vec<String>,
    pub next: Option<CourseKey>,
}

impl CoursePage {
    /// The page of the first `limit` of `keys` (in order); when there are more, `next` is
    /// the last key of the page.
    pub fn from_keys(mut keys: Vec<CourseKey>, limit: usize) -> Self {
        let next = if keys.len() > limit {
            keys.truncate(limit);
            keys.last().cloned()
        } else {
            None
        };
        let ids = keys
            .into_iter()
            .map(|k| match k {
                CourseKey::Relevance { id, .. }
                | CourseKey::Start { id, .. }
                | CourseKey::Updated { id, .. } => id,
            })
            .collect();
        CoursePage { ids, next }
    }
}

impl CourseQuery {
    /// No filter but `status` (which the search index answers by itself).
    pub fn only_status_filter(&self) -> bool {
        self.languages.is_empty()
            && self.sources.is_empty()
            && self.institution.is_none()
            && self.subject.is_none()
            && self.free.is_none()
            && self.certificate.is_none()
            && !self.has_run_filters()
    }

    fn has_run_filters(&self) -> bool {
        !self.availability.is_empty() || self.starts_after.is_some() || self.starts_before.is_some()
    }
}

fn json_values(d: Dialect, column: &str) -> String {
    match d {
        Dialect::Sqlite => format!("json_each({column}) j"),
        Dialect::Postgres => format!("jsonb_array_elements_text({column}) j(value)"),
    }
}

/// ` AND …` conditions on runs aliased `r` (the run filters).
fn push_run_conds(sql: &mut Sql, q: &CourseQuery, r: &str) {
    if !q.availability.is_empty() {
        sql.push(" AND (");
        for (i, a) in q.availability.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            // As `RunDraft::availability`: ended → archived; else self-paced; else by start.
            match a {
                Availability::Archived => {
                    sql.push(format!("({r}.end_at IS NOT NULL AND {r}.end_at <= ").as_str())
                        .bind(q.now)
                        .push(")");
                }
                other => {
                    sql.push(format!("(({r}.end_at IS NULL OR {r}.end_at > ").as_str())
                        .bind(q.now)
                        .push(") AND ");
                    match other {
                        Availability::SelfPaced => {
                            sql.push(format!("{r}.pacing = 'self'").as_str())
                        }
                        _ => sql.push(
                            format!("({r}.pacing IS NULL OR {r}.pacing <> 'self') AND ").as_str(),
                        ),
                    };
                    match other {
                        Availability::Upcoming => {
                            sql.push(format!("{r}.start_at > ").as_str()).bind(q.now);
                        }
                        Availability::Current => {
                            sql.push(format!("{r}.start_at <= ").as_str()).bind(q.now);
                        }
                        Availability::Unknown => {
                            sql.push(format!("{r}.start_at IS NULL").as_str());
                        }
                        _ => {}
                    }
                    sql.push(")");
                }
            }
        }
        sql.push(")");
    }
    if let Some(t) = q.starts_after {
        sql.push(format!(" AND {r}.start_at >= ").as_str()).bind(t);
    }
    if let Some(t) = q.starts_before {
        sql.push(format!(" AND {r}.start_at < ").as_str()).bind(t);
    }
}

/// ` AND …` conditions on listings aliased `l`: every listing filter; the search as `l.id IN
/// (hits)` when `search_in`; the run filters as an EXISTS when `runs_exist`.
fn push_listing_conds(
    sql: &mut Sql,
    q: &CourseQuery,
    d: Dialect,
    l: &str,
    search_in: bool,
    runs_exist: bool,
) {
    // SQLite: `+` keeps its planner from driving a query from the (source, status) index
    // when the listing is already reached by id or course (a scan per row otherwise).
    let plus = if d == Dialect::Sqlite { "+" } else { "" };
    match q.status {
        StatusFilter::Active => {
            sql.push(format!(" AND {plus}{l}.status = 'active'").as_str());
        }
        StatusFilter::Withdrawn => {
            sql.push(format!(" AND {plus}{l}.status = 'withdrawn'").as_str());
        }
        StatusFilter::Any => {}
    }
    if !q.sources.is_empty() {
        sql.push(format!(" AND {plus}{l}.source_id IN ").as_str())
            .bind_list(q.sources.iter().map(String::as_str));
    }
    if !q.languages.is_empty() {
        sql.push(" AND EXISTS (SELECT 1 FROM ")
            .push(&json_values(d, &format!("{l}.languages")))
            .push(" WHERE ");
        for (i, lang) in q.languages.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("lower(j.value) = ")
                .bind(lang.as_str())
                .push(" OR lower(j.value) LIKE ")
                .bind(format!("{}-%", lang.replace(['%', '_'], "")));
        }
        sql.push(")");
    }
    for (column, value) in [
        (format!("{l}.institutions"), &q.institution),
        (format!("{l}.subjects"), &q.subject),
    ] {
        if let Some(v) = value {
            sql.push(" AND EXISTS (SELECT 1 FROM ")
                .push(&json_values(d, &column))
                .push(" WHERE lower(j.value) = ")
                .bind(v.as_str())
                .push(")");
        }
    }
    match q.free {
        Some(true) => {
            sql.push(format!(" AND {l}.access IN ('free', 'free_paid_certificate')").as_str());
        }
        Some(false) => {
            sql.push(format!(" AND {l}.access = 'paid'").as_str());
        }
        None => {}
    }
    if let Some(c) = q.certificate {
        sql.push(format!(" AND {l}.certificate = ").as_str())
            .bind(c);
    }
    if search_in && q.search.is_some() {
        sql.push(format!(" AND {l}.id IN (SELECT h.listing_id FROM h)").as_str());
    }
    if runs_exist && q.has_run_filters() {
        sql.push(format!(" AND EXISTS (SELECT 1 FROM runs r WHERE r.listing_id = {l}.id").as_str());
        push_run_conds(sql, q, "r");
        sql.push(")");
    }
}

/// `listings {alias}` looked up by course. On SQLite the index is named: its planner
/// otherwise drives such per-course subqueries from a filter's index (say, all listings of
/// a source) and a page costs a scan per course.
fn listings_of_course(d: Dialect, alias: &str) -> String {
    match d {
        Dialect::Sqlite => format!("listings {alias} INDEXED BY listings_course"),
        Dialect::Postgres => format!("listings {alias}"),
    }
}

/// Starts a statement: the search hits as the CTE `h` when there is a search. (Computed
/// once; on SQLite bm25() also needs the FTS query kept apart from the joins.)
fn start_statement(q: &CourseQuery, d: Dialect, score: HitScore) -> Sql {
    let mut sql = Sql::default();
    if let Some(s) = &q.search {
        sql.push("WITH h AS MATERIALIZED (");
        push_hits(&mut sql, d, s, score);
        sql.push(") ");
    }
    sql
}

/// ` AND …` conditions on course `c` itself.
fn push_course_conds(sql: &mut Sql, q: &CourseQuery) {
    sql.push(" AND c.merged_into IS NULL");
    if q.status == StatusFilter::Withdrawn {
        sql.push(
            " AND NOT EXISTS (SELECT 1 FROM listings la WHERE la.course_id = c.id AND la.status = 'active')",
        );
    }
}

/// `squash`: the in-process index asks for the rest of a page (see `api::search_index`),
/// ranked by title hits, then the shorter title, on both backends (no bm25: see
/// [`HitScore::TitleHits`]), with scores mapped into [0, 1) (`s / (1 + s)`, same order),
/// below every score of the index's first tier.
fn relevance_sql(q: &CourseQuery, d: Dialect, limit: i64, squash: bool) -> Sql {
    let mut sql = start_statement(
        q,
        d,
        if squash {
            HitScore::TitleHits
        } else {
            HitScore::Rank
        },
    );
    let score = if squash {
        "MAX(h.score) / (1.0 + MAX(h.score))"
    } else {
        "MAX(h.score)"
    };
    if q.only_status_filter() {
        // The index carries course and status: group the hits without the listings.
        sql.push("SELECT m.id AS id, m.score AS score FROM (SELECT h.course_id AS id, ")
            .push(score)
            .push(" AS score FROM h WHERE 1 = 1");
        match q.status {
            StatusFilter::Active => sql.push(" AND h.status = 'active'"),
            StatusFilter::Withdrawn => sql.push(" AND h.status = 'withdrawn'"),
            StatusFilter::Any => &mut sql,
        };
        sql.push(" GROUP BY h.course_id) m");
    } else {
        sql.push("SELECT m.id AS id, m.score AS score FROM (SELECT l.course_id AS id, ")
            .push(score)
            .push(" AS score FROM h JOIN listings l ON l.id = h.listing_id WHERE 1 = 1");
        push_listing_conds(&mut sql, q, d, "l", false, true);
        sql.push(" GROUP BY l.course_id) m");
    }
    sql.push(" JOIN courses c ON c.id = m.id WHERE 1 = 1");
    push_course_conds(&mut sql, q);
    if let Some(CourseKey::Relevance { score, id }) = &q.after {
        sql.push(" AND (m.score < ")
            .bind(*score)
            .push(" OR (m.score = ")
            .bind(*score)
            .push(" AND m.id > ")
            .bind(id.as_str())
            .push("))");
    }
    sql.push(" ORDER BY m.score DESC, m.id LIMIT ").bind(limit);
    sql
}

fn updated_sql(q: &CourseQuery, d: Dialect, limit: i64) -> Sql {
    let mut sql = start_statement(q, d, HitScore::Unused);
    sql.push("SELECT c.id AS id, c.updated_at AS updated_at FROM courses c WHERE 1 = 1");
    push_course_conds(&mut sql, q);
    if let Some(CourseKey::Updated { at, id }) = &q.after {
        sql.push(" AND (c.updated_at < ")
            .bind(*at)
            .push(" OR (c.updated_at = ")
            .bind(*at)
            .push(" AND c.id < ")
            .bind(id.as_str())
            .push("))");
    }
    sql.push(" AND EXISTS (SELECT 1 FROM ")
        .push(&listings_of_course(d, "l"))
        .push(" WHERE l.course_id = c.id");
    push_listing_conds(&mut sql, q, d, "l", true, true);
    sql.push(") ORDER BY c.updated_at DESC, c.id DESC LIMIT ")
        .bind(limit);
    sql
}

/// Courses with a next start, soonest first: runs walked in start order (the `runs_start`
/// index), each course taken at its earliest matching run (no earlier matching run of the
/// course exists; ties broken by listing and run id), so a page stops after `limit` rows
/// instead of aggregating every upcoming run.
fn start_sql(q: &CourseQuery, d: Dialect, after: Option<(DateTime<Utc>, &str)>, limit: i64) -> Sql {
    let mut sql = start_statement(q, d, HitScore::Unused);
    // SQLite: walk runs in start order (its planner may otherwise start from a filter's
    // index and sort every upcoming run).
    sql.push(match d {
        Dialect::Sqlite => {
            "SELECT l.course_id AS id, r.start_at AS next_start FROM runs r INDEXED BY runs_start
             CROSS JOIN listings l ON l.id = r.listing_id CROSS JOIN courses c ON c.id = l.course_id"
        }
        Dialect::Postgres => {
            "SELECT l.course_id AS id, r.start_at AS next_start FROM runs r
             JOIN listings l ON l.id = r.listing_id JOIN courses c ON c.id = l.course_id"
        }
    });
    sql.push(" WHERE r.start_at >= ");
    sql.bind(q.now);
    if let Some((start, id)) = after {
        sql.push(" AND (r.start_at > ")
            .bind(start)
            .push(" OR (r.start_at = ")
            .bind(start)
            .push(" AND l.course_id > ")
            .bind(id)
            .push("))");
    }
    push_course_conds(&mut sql, q);
    push_listing_conds(&mut sql, q, d, "l", true, false);
    push_run_conds(&mut sql, q, "r");
    sql.push(" AND NOT EXISTS (SELECT 1 FROM ")
        .push(&listings_of_course(d, "l2"))
        .push(
            " JOIN runs r2 ON r2.listing_id = l2.id
          WHERE l2.course_id = l.course_id AND r2.start_at >= ",
        );
    sql.bind(q.now);
    push_listing_conds(&mut sql, q, d, "l2", true, false);
    push_run_conds(&mut sql, q, "r2");
    sql.push(
        " AND (r2.start_at < r.start_at OR (r2.start_at = r.start_at AND (r2.listing_id < r.listing_id
            OR (r2.listing_id = r.listing_id AND r2.external_run_id < r.external_run_id)))))",
    );
    sql.push(" ORDER BY r.start_at, l.course_id LIMIT ")
        .bind(limit);
    sql
}

/// Courses without a next start, by id.
fn no_start_sql(q: &CourseQuery, d: Dialect, after_id: Option<&str>, limit: i64) -> Sql {
    let mut sql = start_statement(q, d, HitScore::Unused);
    sql.push("SELECT c.id AS id FROM courses c WHERE 1 = 1");
    push_course_conds(&mut sql, q);
    if let Some(id) = after_id {
        sql.push(" AND c.id > ").bind(id);
    }
    sql.push(" AND EXISTS (SELECT 1 FROM ")
        .push(&listings_of_course(d, "l"))
        .push(" WHERE l.course_id = c.id");
    push_listing_conds(&mut sql, q, d, "l", true, true);
    sql.push(") AND NOT EXISTS (SELECT 1 FROM ")
        .push(&listings_of_course(d, "l"))
        .push(" JOIN runs r ON r.listing_id = l.id WHERE l.course_id = c.id AND r.start_at >= ");
    sql.bind(q.now);
    push_listing_conds(&mut sql, q, d, "l", true, false);
    push_run_conds(&mut sql, q, "r");
    sql.push(") ORDER BY c.id LIMIT ").bind(limit);
    sql
}

impl Store {
    pub(super) fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Rows of `(id, key)` for a built query. On SQLite the statement stops when the
    /// request is given up (see [`Interruptible`]); on PostgreSQL it runs to its end (sqlx
    /// sends no cancel request).
    async fn key_rows(&self, sql: &Sql, sort: CourseSort) -> Result<Vec<CourseKey>, StoreError> {
        fn key<R: Row>(r: &R, sort: CourseSort) -> Result<CourseKey, sqlx::Error>
        where
            for<'a> &'a str: sqlx::ColumnIndex<R>,
            for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
            for<'a> f64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
            for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
            for<'a> Option<DateTime<Utc>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        {
            let id: String = r.try_get("id")?;
            Ok(match sort {
                CourseSort::Relevance => CourseKey::Relevance {
                    score: r.try_get("score")?,
                    id,
                },
                CourseSort::Updated => CourseKey::Updated {
                    at: r.try_get("updated_at")?,
                    id,
                },
                CourseSort::Start => {
                    let start: Option<DateTime<Utc>> = if r.try_get_raw("next_start").is_ok() {
                        r.try_get("next_start")?
                    } else {
                        None
                    };
                    CourseKey::Start { start, id }
                }
            })
        }
        let keys = match self {
            Store::Sqlite(b) => {
                let mut conn = Interruptible::acquire(&b.read).await?;
                let rows = bind_params!(sql).fetch_all(conn.conn()).await?;
                conn.finish();
                rows.iter()
                    .map(|r| key(r, sort))
                    .collect::<Result<Vec<_>, _>>()?
            }
            Store::Postgres(b) => bind_params!(sql)
                .fetch_all(&b.pool)
                .await?
                .iter()
                .map(|r| key(r, sort))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(keys)
    }

    /// One page of the courses matching `q`.
    pub async fn course_page(&self, q: &CourseQuery) -> Result<CoursePage, StoreError> {
        let d = self.dialect();
        let want = i64::from(q.limit) + 1;
        let keys = match q.sort {
            CourseSort::Relevance => {
                if q.search.is_none() {
                    return Ok(CoursePage {
                        ids: Vec::new(),
                        next: None,
                    });
                }
                self.key_rows(&relevance_sql(q, d, want, false), q.sort)
                    .await?
            }
            CourseSort::Updated => self.key_rows(&updated_sql(q, d, want), q.sort).await?,
            CourseSort::Start => {
                let (phase_a, after_id) = match &q.after {
                    Some(CourseKey::Start { start: Some(s), id }) => {
                        (Some(Some((*s, id.as_str()))), None)
                    }
                    Some(CourseKey::Start { start: None, id }) => (None, Some(id.as_str())),
                    _ => (Some(None), None),
                };
                // Archived and unknown runs never start after now: nothing in phase A.
                let phase_a = if !q.availability.is_empty()
                    && q.availability
                        .iter()
                        .all(|a| matches!(a, Availability::Archived | Availability::Unknown))
                {
                    None
                } else {
                    phase_a
                };
                let mut keys = match phase_a {
                    Some(after) => self.key_rows(&start_sql(q, d, after, want), q.sort).await?,
                    None => Vec::new(),
                };
                let got = i64::try_from(keys.len()).unwrap_or(want);
                if got < want {
                    keys.extend(
                        self.key_rows(&no_start_sql(q, d, after_id, want - got), q.sort)
                            .await?,
                    );
                }
                keys
            }
        };
        Ok(CoursePage::from_keys(keys, q.limit as usize))
    }

    /// The first `q.limit + 1` courses whose listings match `q`'s search anywhere in the
    /// full-text index (descriptions too), by relevance with scores in [0, 1), after
    /// `q.after`, leaving out the courses `skip` names (the in-process index's first tier
    /// ranks them already; at most `skipped_at_most` of them).
    pub async fn course_keys_full_text(
        &self,
        q: &CourseQuery,
        skip: &(dyn Fn(&str) -> bool + Sync),
        skipped_at_most: usize,
    ) -> Result<Vec<CourseKey>, StoreError> {
        let d = self.dialect();
        let want = q.limit as usize + 1;
        let mut keys: Vec<CourseKey> = Vec::with_capacity(want);
        let mut after = q.after.clone();
        let batch = (want + skipped_at_most).min(2000);
        let batch_i64 = i64::try_from(batch).unwrap_or(2000);
        loop {
            let mut sq = q.clone();
            sq.after = after.take();
            let rows = self
                .key_rows(
                    &relevance_sql(&sq, d, batch_i64, true),
                    CourseSort::Relevance,
                )
                .await?;
            let full = rows.len() == batch;
            after = rows.last().cloned();
            for k in rows {
                if let CourseKey::Relevance { id, .. } = &k
                    && skip(id)
                {
                    continue;
                }
                keys.push(k);
                if keys.len() == want {
                    return Ok(keys);
                }
            }
            if !full {
                return Ok(keys);
            }
        }
    }

    /// A course with its listings and their runs for the by-id endpoint, in one
    /// statement (a row per run; a listing without runs, or a course without listings,
    /// gives one row of NULLs for what is missing).
    pub async fn course_lookup(&self, id: &str) -> Result<CourseLookup, StoreError> {
        let found = dispatch!(self, DB, pool => {
            let rows = sqlx::query(
                "SELECT m.merged_into AS merged_into, l.id, l.source_id, l.external_id, l.course_id,
                    l.status, l.url, l.title, l.titles, l.short_description, l.description_html,
                    l.description_text, l.institutions, l.instructors, l.languages, l.subjects,
                    l.level, l.image_url, l.video_url, l.effort_text, l.hours_per_week_min,
                    l.hours_per_week_max, l.total_hours, l.duration_weeks, l.access, l.certificate,
                    l.enrollment_count, l.same_as, l.first_seen_at, l.last_seen_at, l.updated_at,
                    l.withdrawn_at,
                    r.external_run_id AS r_external_run_id, r.start_at AS r_start_at,
                    r.end_at AS r_end_at, r.enrollment_start_at AS r_enrollment_start_at,
                    r.enrollment_end_at AS r_enrollment_end_at, r.raw_dates AS r_raw_dates,
                    r.pacing AS r_pacing, r.hidden AS r_hidden,
                    r.invitation_only AS r_invitation_only, r.status_raw AS r_status_raw
                 FROM (SELECT id AS cid, merged_into FROM courses WHERE id = $1) m
                 LEFT JOIN listings l ON l.course_id = m.cid
                 LEFT JOIN runs r ON r.listing_id = l.id
                 ORDER BY l.id, r.external_run_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let Some(first) = rows.first() else {
                return Ok(CourseLookup::Missing);
            };
            if let Some(to) = first.try_get::<Option<String>, _>("merged_into")? {
                return Ok(CourseLookup::MergedInto(to));
            }
            let mut listings: Vec<StoredListing> = Vec::new();
            for r in &rows {
                // The LEFT JOIN's one row of NULLs for a course without listings.
                let Some(lid) = r.try_get::<Option<String>, _>("id")? else {
                    continue;
                };
                if listings.last().is_none_or(|l| l.id != lid) {
                    listings.push(super::read::listing_from_row(r)?);
                }
                if let Some(run) = super::read::run_from_row(r, "r_")?
                    && let Some(l) = listings.last_mut()
                {
                    l.draft.runs.push(run);
                }
            }
            listings
        });
        Ok(CourseLookup::Found(found))
    }

    /// Every listing (any status) of each of `course_ids`, with runs, in course then
    /// listing id order: one statement per 500 courses (a row per run). The ids go in as
    /// one parameter (a JSON array on SQLite, an array on PostgreSQL), so the statement's
    /// text is the same for every page: prepared once per connection. (SQLite would
    /// otherwise also prepare it again at each run: with `sqlite_stat4`, its plan for an
    /// `IN` list of bound values depends on the values.)
    pub async fn listings_of_courses(
        &self,
        course_ids: &[String],
    ) -> Result<Vec<StoredListing>, StoreError> {
        const COLUMNS: &str =
            "SELECT l.id, l.source_id, l.external_id, l.course_id, l.status, l.url,
                l.title, l.titles, l.short_description, l.description_html, l.description_text,
                l.institutions, l.instructors, l.languages, l.subjects, l.level, l.image_url,
                l.video_url, l.effort_text, l.hours_per_week_min, l.hours_per_week_max,
                l.total_hours, l.duration_weeks, l.access, l.certificate, l.enrollment_count,
                l.same_as, l.first_seen_at, l.last_seen_at, l.updated_at, l.withdrawn_at,
                r.external_run_id AS r_external_run_id, r.start_at AS r_start_at,
                r.end_at AS r_end_at, r.enrollment_start_at AS r_enrollment_start_at,
                r.enrollment_end_at AS r_enrollment_end_at, r.raw_dates AS r_raw_dates,
                r.pacing AS r_pacing, r.hidden AS r_hidden,
                r.invitation_only AS r_invitation_only, r.status_raw AS r_status_raw
             FROM listings l LEFT JOIN runs r ON r.listing_id = l.id WHERE l.course_id ";
        const ORDER: &str = " ORDER BY l.course_id, l.id, r.external_run_id";
        static SQLITE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!("{COLUMNS}IN (SELECT value FROM json_each($1)){ORDER}")
        });
        static POSTGRES: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| format!("{COLUMNS}= ANY($1){ORDER}"));
        let mut out: Vec<StoredListing> = Vec::new();
        for chunk in course_ids.chunks(500) {
            macro_rules! fold_rows {
                ($rows:expr) => {
                    for r in &$rows {
                        let lid: String = r.try_get("id")?;
                        if out.last().is_none_or(|l| l.id != lid) {
                            out.push(super::read::listing_from_row(r)?);
                        }
                        if let Some(run) = super::read::run_from_row(r, "r_")?
                            && let Some(l) = out.last_mut()
                        {
                            l.draft.runs.push(run);
                        }
                    }
                };
            }
            match self {
                Store::Sqlite(b) => {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(SQLITE.as_str()))
                        .bind(sqlx::types::Json(chunk))
                        .fetch_all(&b.read)
                        .await?;
                    fold_rows!(rows);
                }
                Store::Postgres(b) => {
                    let rows = sqlx::query(sqlx::AssertSqlSafe(POSTGRES.as_str()))
                        .bind(chunk)
                        .fetch_all(&b.pool)
                        .await?;
                    fold_rows!(rows);
                }
            }
        }
        Ok(out)
    }
}
