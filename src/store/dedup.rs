//! Incremental deduplication in the store: blocking keys per listing, the neighbourhood
//! of changed listings, operator overrides and course evidence links. [`rematch!`] runs
//! inside the caller's write transaction (the sync's apply, or an operator override), so
//! the catalogue never shows a half-matched state.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use sqlx::types::Json;

use super::backend::WriteTx;
use super::{Store, StoreError, dispatch};
use crate::dedup::RematchStats;
use crate::domain::ListingDraft;

/// Values per `IN (…)` list.
pub(super) const IN_CHUNK: usize = 500;

/// Seeds re-matched together (more when one group is larger): bounds the records
/// clustered at once, and so the memory of a first sync of a large catalogue.
pub const REMATCH_BATCH: usize = 5_000;

/// Packs seeds `(group, index into seeds)` into batches of at least `limit` seeds (the last
/// may be smaller) without splitting a group across two batches.
pub(super) fn pack_batches(
    mut groups: Vec<(u64, u32)>,
    seeds: &[String],
    limit: usize,
) -> Vec<Vec<String>> {
    groups.sort_unstable();
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut last_group = None;
    for (group, at) in groups {
        if current.len() >= limit && last_group != Some(group) {
            batches.push(std::mem::take(&mut current));
        }
        last_group = Some(group);
        if let Some(seed) = seeds.get(at as usize) {
            current.push(seed.clone());
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// A stable 64-bit hash of a seed's group key (for sorting seeds into batches).
pub(super) fn group_hash(key: &str) -> u64 {
    let h = blake3::hash(key.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h.as_bytes()[..8]);
    u64::from_le_bytes(b)
}

/// What matching reads of a stored listing.
#[derive(Debug, Clone)]
pub(super) struct MatchRow {
    pub id: String,
    pub source_id: String,
    pub course_id: String,
    pub first_seen_at: DateTime<Utc>,
    pub draft: ListingDraft,
}

pub(super) const MATCH_COLUMNS: &str = "id, source_id, external_id, course_id, title, titles,
    institutions, instructors, languages, subjects, same_as, first_seen_at";

pub(super) fn match_row<R: Row>(r: &R) -> Result<MatchRow, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> DateTime<Utc>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<Vec<String>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Json<BTreeMap<String, String>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let list = |col: &str| -> Result<Vec<String>, sqlx::Error> {
        Ok(r.try_get::<Json<Vec<String>>, _>(col)?.0)
    };
    Ok(MatchRow {
        id: r.try_get("id")?,
        source_id: r.try_get("source_id")?,
        course_id: r.try_get("course_id")?,
        first_seen_at: r.try_get("first_seen_at")?,
        draft: ListingDraft {
            external_id: r.try_get("external_id")?,
            title: r.try_get("title")?,
            titles: r.try_get::<Json<BTreeMap<String, String>>, _>("titles")?.0,
            institutions: list("institutions")?,
            instructors: list("instructors")?,
            languages: list("languages")?,
            subjects: list("subjects")?,
            same_as: list("same_as")?,
            ..ListingDraft::default()
        },
    })
}

/// `SELECT <one text column> … IN (values)` in chunks; `$prefix` ends with `IN (`.
macro_rules! strings_in {
    ($db:ty, $conn:expr, $prefix:expr, $values:expr) => {{
        let mut out: Vec<String> = Vec::new();
        let values: Vec<&str> = $values.iter().map(|v| v.as_str()).collect();
        for chunk in values.chunks($crate::store::dedup::IN_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<$db>::new($prefix);
            let mut sep = qb.separated(", ");
            for v in chunk {
                sep.push_bind(*v);
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut *$conn).await? {
                out.push(row.try_get::<String, _>(0)?);
            }
        }
        out
    }};
}

/// Executes `$prefix (values)` in chunks; `$prefix` ends with `IN (`.
macro_rules! exec_in {
    ($db:ty, $conn:expr, $prefix:expr, $values:expr) => {{
        let values: Vec<&str> = $values.iter().map(|v| v.as_str()).collect();
        for chunk in values.chunks($crate::store::dedup::IN_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<$db>::new($prefix);
            let mut sep = qb.separated(", ");
            for v in chunk {
                sep.push_bind(*v);
            }
            qb.push(")");
            qb.build().execute(&mut *$conn).await?;
        }
    }};
}

/// The [`MatchRow`]s whose `$col` is in `$values`, with their runs (keys and start dates).
macro_rules! match_rows_in {
    ($db:ty, $conn:expr, $col:expr, $values:expr) => {{
        let mut rows: Vec<$crate::store::dedup::MatchRow> = Vec::new();
        let values: Vec<&str> = $values.iter().map(|v| v.as_str()).collect();
        for chunk in values.chunks($crate::store::dedup::IN_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT ");
            qb.push($crate::store::dedup::MATCH_COLUMNS)
                .push(" FROM listings WHERE ")
                .push($col)
                .push(" IN (");
            let mut sep = qb.separated(", ");
            for v in chunk {
                sep.push_bind(*v);
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut *$conn).await? {
                rows.push($crate::store::dedup::match_row(&row)?);
            }
        }
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut runs: std::collections::HashMap<String, Vec<$crate::domain::RunDraft>> =
            std::collections::HashMap::new();
        for chunk in ids.chunks($crate::store::dedup::IN_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "SELECT listing_id, external_run_id, start_at FROM runs WHERE listing_id IN (",
            );
            let mut sep = qb.separated(", ");
            for v in chunk {
                sep.push_bind(*v);
            }
            qb.push(") ORDER BY listing_id, external_run_id");
            for row in qb.build().fetch_all(&mut *$conn).await? {
                let lid: String = row.try_get("listing_id")?;
                runs.entry(lid).or_default().push($crate::domain::RunDraft {
                    external_run_id: row.try_get("external_run_id")?,
                    start: row.try_get("start_at")?,
                    ..Default::default()
                });
            }
        }
        for r in rows.iter_mut() {
            r.draft.runs = runs.remove(&r.id).unwrap_or_default();
        }
        rows
    }};
}

/// Operator overrides `(a, b, link?)` touching any of `$listings`.
macro_rules! overrides_touching {
    ($db:ty, $conn:expr, $listings:expr) => {{
        let mut out: Vec<(String, String, bool)> = Vec::new();
        let values: Vec<&str> = $listings.iter().map(|v| v.as_str()).collect();
        for chunk in values.chunks($crate::store::dedup::IN_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "SELECT listing_a, listing_b, action FROM dedup_overrides WHERE listing_a IN (",
            );
            let mut sep = qb.separated(", ");
            for v in chunk {
                sep.push_bind(*v);
            }
            qb.push(") OR listing_b IN (");
            let mut sep = qb.separated(", ");
            for v in chunk {
                sep.push_bind(*v);
            }
            qb.push(")");
            for row in qb.build().fetch_all(&mut *$conn).await? {
                let action: String = row.try_get("action")?;
                out.push((
                    row.try_get("listing_a")?,
                    row.try_get("listing_b")?,
                    action == "link",
                ));
            }
        }
        out.sort();
        out.dedup();
        out
    }};
}

/// Re-matches the neighbourhood of `$seeds` (listing ids whose content changed) inside
/// the caller's transaction and writes the result: keys, course assignments, merges,
/// splits, course links and change-log entries. `$created` are the seeds this sync
/// created (their fresh courses may be dropped instead of merged); `$run_id` is the
/// sync run (`Option<i64>`). Evaluates to [`RematchStats`]; nothing is read or
/// clustered when `$seeds` is empty.
macro_rules! rematch {
    ($db:ty, $conn:expr, $seeds:expr, $created:expr, $run_id:expr, $now:expr) => {
        $crate::store::dedup::rematch!($db, $conn, $seeds, $created, $run_id, $now, $crate::store::dedup::REMATCH_BATCH)
    };
    ($db:ty, $conn:expr, $seeds:expr, $created:expr, $run_id:expr, $now:expr, $batch:expr) => {{
        use $crate::dedup::incremental::{KeyMaker, Member, default_aliases, evidence, reconcile};
        let seeds: &[String] = $seeds;
        let created: &[String] = $created;
        let run_id: Option<i64> = $run_id;
        let now: chrono::DateTime<chrono::Utc> = $now;
        let mut stats = $crate::dedup::RematchStats::default();
        if !seeds.is_empty() {
            stats.seeds = seeds.len() as u64;
            let aliases = default_aliases().map_err($crate::store::StoreError::Dedup)?;

            // 1. The seeds' blocking keys, recomputed a chunk at a time (memory stays flat
            // however many listings a run changed).
            let mut keymaker = KeyMaker::new(aliases);
            // (group, seed index): seeds that probably meet (same institution) share a group,
            // so a batch of groups keeps most neighbourhoods whole.
            let mut groups: Vec<(u64, u32)> = Vec::with_capacity(seeds.len());
            let position: std::collections::HashMap<&str, u32> = seeds
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i as u32))
                .collect();
            for seed_chunk in seeds.chunks($crate::store::dedup::IN_CHUNK) {
                let seed_rows = $crate::store::dedup::match_rows_in!($db, $conn, "id", seed_chunk);
                let mut seed_keys: Vec<(&str, String)> = Vec::new();
                for r in &seed_rows {
                    let rec = $crate::dedup::MatchRecord::from_draft(0, &r.source_id, &r.draft);
                    let keys = keymaker.keys(&rec);
                    let group = keys
                        .iter()
                        .find(|k| k.starts_with("i:"))
                        .or(keys.first())
                        .map_or(r.id.as_str(), String::as_str);
                    if let Some(&at) = position.get(r.id.as_str()) {
                        groups.push(($crate::store::dedup::group_hash(group), at));
                    }
                    for k in keys {
                        seed_keys.push((r.id.as_str(), k));
                    }
                }
                $crate::store::dedup::exec_in!($db, $conn, "DELETE FROM match_keys WHERE listing_id IN (", seed_chunk);
                for chunk in seed_keys.chunks(1000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO match_keys (listing_id, key) ");
                    qb.push_values(chunk, |mut b, (l, k)| {
                        b.push_bind(*l).push_bind(k.as_str());
                    });
                    qb.push(" ON CONFLICT (listing_id, key) DO NOTHING");
                    qb.build().execute(&mut *$conn).await?;
                }
            }
            drop(position);

            // Seeds are matched a batch of groups at a time, so memory follows the batch, not
            // the run: a first sync of a whole catalogue clusters it institution by
            // institution. A listing that neighbours seeds of two batches is clustered with
            // each in turn, seeing the first batch's result (same transaction).
            let batch_size: usize = $batch;
            let batches = $crate::store::dedup::pack_batches(groups, seeds, batch_size.max(1));
            for batch in &batches {
                let seeds: &[String] = batch;
                stats.batches += 1;

                // 2. The neighbourhood: listings sharing a key or an override with a seed, and
                // every listing of their courses.
                let mut keys = $crate::store::dedup::strings_in!(
                    $db, $conn,
                    "SELECT DISTINCT key FROM match_keys WHERE listing_id IN (",
                    seeds
                );
                keys.sort();
                keys.dedup();
                let mut near: std::collections::BTreeSet<String> = seeds.iter().cloned().collect();
                near.extend($crate::store::dedup::strings_in!(
                    $db, $conn,
                    "SELECT DISTINCT listing_id FROM match_keys WHERE key IN (",
                    keys
                ));
                drop(keys);
                let near_list: Vec<String> = near.iter().cloned().collect();
                for (a, b, _) in $crate::store::dedup::overrides_touching!($db, $conn, near_list) {
                    near.insert(a);
                    near.insert(b);
                }
                let near_list: Vec<String> = near.into_iter().collect();
                let mut courses = $crate::store::dedup::strings_in!(
                    $db, $conn,
                    "SELECT DISTINCT course_id FROM listings WHERE id IN (",
                    near_list
                );
                courses.sort();
                courses.dedup();
                let rows = $crate::store::dedup::match_rows_in!($db, $conn, "course_id", courses);

                // 3. Cluster the neighbourhood with the operators' overrides.
                let index: std::collections::HashMap<&str, u64> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.id.as_str(), i as u64))
                    .collect();
                let member_ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                let mut overrides = $crate::dedup::Overrides::default();
                for (a, b, link) in $crate::store::dedup::overrides_touching!($db, $conn, member_ids) {
                    if let (Some(&x), Some(&y)) = (index.get(a.as_str()), index.get(b.as_str())) {
                        if link {
                            overrides.links.push((x, y));
                        } else {
                            overrides.unlinks.push((x, y));
                        }
                    }
                }
                let records: Vec<$crate::dedup::MatchRecord> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| $crate::dedup::MatchRecord::from_draft(i as u64, &r.source_id, &r.draft))
                    .collect();
                let clustering = $crate::dedup::cluster(&records, aliases, &overrides);
                stats.clustered += records.len() as u64;
                let label: std::collections::HashMap<u64, u64> =
                    clustering.assignments.iter().copied().collect();
                let cluster_of: Vec<u64> = (0..rows.len() as u64)
                    .map(|i| label.get(&i).copied().unwrap_or(i))
                    .collect();

                // 4. Reconcile with the stored courses.
                let created_set: std::collections::HashSet<&str> =
                    created.iter().map(String::as_str).collect();
                let fresh: std::collections::HashSet<String> = rows
                    .iter()
                    .filter(|r| created_set.contains(r.id.as_str()))
                    .map(|r| r.course_id.clone())
                    .collect();
                let members: Vec<Member> = rows
                    .iter()
                    .map(|r| Member {
                        listing: r.id.clone(),
                        course: r.course_id.clone(),
                        first_seen: r.first_seen_at,
                    })
                    .collect();
                let plan = reconcile(&members, &cluster_of, &fresh, || ulid::Ulid::new().to_string());
                stats.merged += plan.merges.len() as u64;
                stats.split += plan.splits.len() as u64;
                stats.new_courses += plan.new_courses.len() as u64;
                stats.moved += plan.moves.len() as u64;

                // 5. Write it.
                if !plan.new_courses.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("INSERT INTO courses (id, created_at, updated_at) ");
                    qb.push_values(&plan.new_courses, |mut b, id| {
                        b.push_bind(id.as_str()).push_bind(now).push_bind(now);
                    });
                    qb.build().execute(&mut *$conn).await?;
                }
                let mut involved: Vec<String> = courses.clone();
                involved.extend(plan.new_courses.iter().cloned());
                $crate::store::dedup::exec_in!($db, $conn, "DELETE FROM course_links WHERE course_id IN (", involved);
                let mut by_target: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
                for (listing, course) in &plan.moves {
                    by_target.entry(course.as_str()).or_default().push(listing.clone());
                }
                for (course, listings) in &by_target {
                    for chunk in listings.chunks($crate::store::dedup::IN_CHUNK) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE listings SET course_id = ");
                        qb.push_bind(*course).push(" WHERE id IN (");
                        let mut sep = qb.separated(", ");
                        for l in chunk {
                            sep.push_bind(l.as_str());
                        }
                        qb.push(")");
                        qb.build().execute(&mut *$conn).await?;
                    }
                }
                for (loser, survivor) in &plan.merges {
                    sqlx::query("UPDATE courses SET merged_into = $1, updated_at = $2 WHERE id = $3")
                        .bind(survivor.as_str())
                        .bind(now)
                        .bind(loser.as_str())
                        .execute(&mut *$conn)
                        .await?;
                    // Keep redirects one hop long.
                    sqlx::query("UPDATE courses SET merged_into = $1 WHERE merged_into = $2")
                        .bind(survivor.as_str())
                        .bind(loser.as_str())
                        .execute(&mut *$conn)
                        .await?;
                }
                for (fresh_id, _) in &plan.dropped {
                    if let Some(run) = run_id {
                        sqlx::query("DELETE FROM changes WHERE run_id = $1 AND entity = 'course' AND entity_id = $2")
                            .bind(run)
                            .bind(fresh_id.as_str())
                            .execute(&mut *$conn)
                            .await?;
                    }
                    sqlx::query("DELETE FROM courses WHERE id = $1")
                        .bind(fresh_id.as_str())
                        .execute(&mut *$conn)
                        .await?;
                }
                if !plan.touched.is_empty() {
                    let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE courses SET updated_at = ");
                    qb.push_bind(now).push(" WHERE id IN (");
                    let mut sep = qb.separated(", ");
                    for c in &plan.touched {
                        sep.push_bind(c.as_str());
                    }
                    qb.push(")");
                    qb.build().execute(&mut *$conn).await?;
                }
                let mut link_rows: Vec<(&str, &str, &str, $crate::dedup::incremental::Evidence)> = Vec::new();
                let course_of: std::collections::HashMap<usize, &str> = plan
                    .clusters
                    .iter()
                    .flat_map(|(c, idx)| idx.iter().map(move |&i| (i, c.as_str())))
                    .collect();
                for link in &clustering.links {
                    let (a, b) = (link.a as usize, link.b as usize);
                    let (Some(ra), Some(rb)) = (rows.get(a), rows.get(b)) else { continue };
                    let Some(course) = course_of.get(&a) else { continue };
                    let (x, y) = if ra.id <= rb.id { (&ra.id, &rb.id) } else { (&rb.id, &ra.id) };
                    link_rows.push((*course, x.as_str(), y.as_str(), evidence(link)));
                }
                link_rows.sort_by(|p, q| (p.0, p.1, p.2).cmp(&(q.0, q.1, q.2)));
                link_rows.dedup_by(|p, q| (p.0, p.1, p.2) == (q.0, q.1, q.2));
                for chunk in link_rows.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO course_links (course_id, listing_a, listing_b, signal, lang, score, threshold) ",
                    );
                    qb.push_values(chunk, |mut b, (c, x, y, e)| {
                        b.push_bind(*c)
                            .push_bind(*x)
                            .push_bind(*y)
                            .push_bind(e.signal)
                            .push_bind(e.lang)
                            .push_bind(f64::from(e.score))
                            .push_bind(e.threshold.map(f64::from));
                    });
                    qb.build().execute(&mut *$conn).await?;
                }
                let mut changes: Vec<(&str, &str, Option<&str>)> = Vec::new();
                for (loser, survivor) in &plan.merges {
                    changes.push((loser, "merge", Some(survivor)));
                }
                for (course, other) in &plan.splits {
                    changes.push((course, "split", Some(other)));
                }
                for course in &plan.touched {
                    changes.push((course, "upsert", None));
                }
                for chunk in changes.chunks(1000) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO changes (entity, entity_id, kind, run_id, at, related_id) ",
                    );
                    qb.push_values(chunk, |mut b, (id, kind, related)| {
                        b.push_bind("course")
                            .push_bind(*id)
                            .push_bind(*kind)
                            .push_bind(run_id)
                            .push_bind(now)
                            .push_bind(*related);
                    });
                    qb.build().execute(&mut *$conn).await?;
                }
            }
            if stats.merged + stats.split + stats.moved > 0 {
                tracing::info!(
                    seeds = stats.seeds, clustered = stats.clustered, batches = stats.batches,
                    merged = stats.merged,
                    split = stats.split, moved = stats.moved, "Courses re-matched."
                );
            }
        }
        stats
    }};
}
pub(super) use {exec_in, match_rows_in, overrides_touching, rematch, strings_in};

/// An operator decision on a pair of listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OverrideRow {
    pub listing_a: String,
    pub listing_b: String,
    /// `link` or `unlink`.
    pub action: String,
    pub reason: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// One stored evidence link of a course.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CourseLinkRow {
    pub listing_a: String,
    pub listing_b: String,
    pub signal: String,
    pub lang: Option<String>,
    pub score: f64,
    pub threshold: Option<f64>,
}

impl Store {
    /// Stores an operator decision on two listings (`link` forces them into one course,
    /// `unlink` keeps them apart; it replaces any earlier decision on the pair) and
    /// re-matches their neighbourhood, in one transaction.
    pub async fn set_dedup_override(
        &self,
        a: &str,
        b: &str,
        link: bool,
        reason: Option<&str>,
        by: &str,
    ) -> Result<RematchStats, StoreError> {
        if a == b {
            return Err(StoreError::Dedup(format!(
                "cannot link or unlink listing {a:?} with itself"
            )));
        }
        let (x, y) = if a < b { (a, b) } else { (b, a) };
        let now = Utc::now();
        let action = if link { "link" } else { "unlink" };
        let stats = dispatch!(write self, DB, pool => {
            let mut tx = pool.begin_write().await?;
            let pair = [x.to_owned(), y.to_owned()];
            let found = strings_in!(DB, &mut *tx, "SELECT id FROM listings WHERE id IN (", pair);
            for id in &pair {
                if !found.contains(id) {
                    return Err(StoreError::Dedup(format!("no listing {id:?}")));
                }
            }
            sqlx::query(
                "INSERT INTO dedup_overrides (listing_a, listing_b, action, reason, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (listing_a, listing_b) DO UPDATE SET action = excluded.action,
                    reason = excluded.reason, created_by = excluded.created_by,
                    created_at = excluded.created_at",
            )
            .bind(x)
            .bind(y)
            .bind(action)
            .bind(reason)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let stats = rematch!(DB, &mut *tx, &pair, &[], None, now);
            tx.commit().await?;
            stats
        });
        Ok(stats)
    }

    /// Re-matches the neighbourhood of `listings` in its own transaction (after a change
    /// of the matcher or the alias table, or to repair).
    pub async fn rematch_listings(&self, listings: &[String]) -> Result<RematchStats, StoreError> {
        self.rematch_listings_in_batches(listings, REMATCH_BATCH)
            .await
    }

    /// [`Store::rematch_listings`], clustering about `batch` seeds at a time (whole
    /// institution groups; see `pack_batches`): smaller batches bound memory on a huge
    /// catalogue, and the courses come out the same.
    pub async fn rematch_listings_in_batches(
        &self,
        listings: &[String],
        batch: usize,
    ) -> Result<RematchStats, StoreError> {
        let now = Utc::now();
        let stats = dispatch!(write self, DB, pool => {
            let mut tx = pool.begin_write().await?;
            let stats = rematch!(DB, &mut *tx, listings, &[], None, now, batch);
            tx.commit().await?;
            stats
        });
        Ok(stats)
    }

    /// The course an id names now: itself, or the course it was merged into. `None` for
    /// an unknown id; the flag says whether it was merged away.
    pub async fn resolve_course(&self, id: &str) -> Result<Option<(String, bool)>, StoreError> {
        let mut current = id.to_owned();
        // Redirects are kept one hop long; the bound only guards against a cycle.
        for hop in 0..16 {
            let row: Option<Option<String>> = dispatch!(self, DB, pool => {
                match sqlx::query("SELECT merged_into FROM courses WHERE id = $1")
                    .bind(current.as_str())
                    .fetch_optional(pool)
                    .await?
                {
                    Some(r) => Some(r.try_get::<Option<String>, _>("merged_into")?),
                    None => None,
                }
            });
            match row {
                None if hop == 0 => return Ok(None),
                None => return Ok(Some((current, true))),
                Some(None) => return Ok(Some((current, hop > 0))),
                Some(Some(next)) => current = next,
            }
        }
        Err(StoreError::Corrupt {
            table: "courses",
            id: id.to_owned(),
            message: "merged_into forms a cycle".into(),
        })
    }

    /// The ids merged into `course_id`, sorted.
    pub async fn merged_into(&self, course_id: &str) -> Result<Vec<String>, StoreError> {
        let ids = dispatch!(self, DB, pool => {
            sqlx::query("SELECT id FROM courses WHERE merged_into = $1 ORDER BY id")
                .bind(course_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("id"))
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(ids)
    }

    /// The stored evidence links of a course.
    pub async fn course_links(&self, course_id: &str) -> Result<Vec<CourseLinkRow>, StoreError> {
        let rows = dispatch!(self, DB, pool => {
            sqlx::query_as::<_, CourseLinkRow>(
                "SELECT listing_a, listing_b, signal, lang, score, threshold FROM course_links
                 WHERE course_id = $1 ORDER BY listing_a, listing_b",
            )
            .bind(course_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The operator decisions touching any of `listings`.
    pub async fn dedup_overrides(
        &self,
        listings: &[String],
    ) -> Result<Vec<OverrideRow>, StoreError> {
        let mut out: Vec<OverrideRow> = Vec::new();
        for chunk in listings.chunks(IN_CHUNK) {
            let rows = dispatch!(self, DB, pool => {
                let mut qb = sqlx::QueryBuilder::<DB>::new(
                    "SELECT listing_a, listing_b, action, reason, created_by, created_at
                     FROM dedup_overrides WHERE listing_a IN (",
                );
                let mut sep = qb.separated(", ");
                for v in chunk {
                    sep.push_bind(v.as_str());
                }
                qb.push(") OR listing_b IN (");
                let mut sep = qb.separated(", ");
                for v in chunk {
                    sep.push_bind(v.as_str());
                }
                qb.push(") ORDER BY listing_a, listing_b");
                qb.build_query_as::<OverrideRow>().fetch_all(pool).await?
            });
            out.extend(rows);
        }
        out.sort_by(|a, b| (&a.listing_a, &a.listing_b).cmp(&(&b.listing_a, &b.listing_b)));
        out.dedup();
        Ok(out)
    }

    /// Every listing id, sorted (for a full re-match).
    pub async fn all_listing_ids(&self) -> Result<Vec<String>, StoreError> {
        let ids = dispatch!(self, DB, pool => {
            sqlx::query("SELECT id FROM listings ORDER BY id")
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("id"))
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(ids)
    }

    /// The blocking keys stored for a listing (for tests and diagnosis).
    pub async fn match_keys(&self, listing_id: &str) -> Result<Vec<String>, StoreError> {
        let keys = dispatch!(self, DB, pool => {
            sqlx::query("SELECT key FROM match_keys WHERE listing_id = $1 ORDER BY key")
                .bind(listing_id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("key"))
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::pack_batches;

    #[test]
    fn seed_batches_never_split_a_group_and_cover_every_seed_once() {
        let seeds: Vec<String> = (0..7).map(|i| format!("s{i}")).collect();
        // Groups: 1 → s0 s3 s5, 2 → s1, 3 → s2 s4 s6.
        let groups = vec![(1, 0), (2, 1), (3, 2), (1, 3), (3, 4), (1, 5), (3, 6)];
        let batches = pack_batches(groups, &seeds, 2);
        assert_eq!(
            batches,
            vec![
                vec!["s0".to_string(), "s3".into(), "s5".into()],
                vec!["s1".to_string(), "s2".into(), "s4".into(), "s6".into()],
            ]
        );
        let one = pack_batches(vec![(9, 0), (9, 1)], &seeds, 1);
        assert_eq!(one, vec![vec!["s0".to_string(), "s1".into()]]);
    }
}
