//! The response cache of the course endpoints: rendered bodies of `GET /v1/courses/{id}`
//! and of `GET /v1/courses` pages (lists and searches) with their ETags, so a repeated
//! request costs no database round trip.
//!
//! Writers may be other processes (a daemon beside this server), so the cache cannot rely
//! on being told about writes. It is validated by the catalogue version instead: the change
//! log's highest sequence number, read at most once per `poll` interval by one request
//! while the others go on. When the version moves, the entries since the last version
//! name the courses that changed ([`Store::changed_courses`]): their bodies are evicted,
//! the other courses' stay, and every page goes (a change may move any course into or out
//! of any list). A step too large to read course by course ([`MAX_EVICTED_CHANGES`]), a
//! version that went back, or a failed read of the entries empties the cache. So a
//! committed change shows after at most `poll` plus one version read. Every write the
//! store makes appends to the change log, in commit order (PostgreSQL writers hold an
//! advisory lock, SQLite has one writer); a write that bypasses it (hand-run SQL) shows
//! once its entries expire, after `ttl`. A course also expires at the next start or end of
//! any of its runs, where a run's `availability` changes. A first page whose courses or
//! order depend on the instant (an `availability` filter, `sort=start`) expires at the end
//! of the minute it was judged at, any other first page when a run of one of its courses
//! starts or ends (see `courses::page_valid_until`).
//!
//! Bodies are stored gzip-compressed (about a third of their size: a 100k-course
//! catalogue's bodies fit the default size) and served as stored to clients that accept
//! gzip; see [`CachedBody`].
//!
//! A course's body (`course:{id}`) is also the fragment a page that lists the course is
//! assembled from: a page miss reads from the database only the courses not cached. (It
//! does not store the ones it read: in a cache sized for the pages clients repeat, they
//! pushed pages out.) A body records the span of instants its runs'
//! availability holds for (from the last run start or end up to the next), so a page
//! judged at an earlier instant (a cursor's) only reuses a body that holds for it.

use std::io::{Read as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::error::ApiError;
use super::respond::{accepts_gzip, matches_etag, respond};

use crate::store::{Store, StoreError, StoredListing};

/// How the cache behaves (`ApiOptions::cache`).
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// Largest total size of cached bodies, in bytes; 0 turns the cache off.
    pub max_bytes: u64,
    /// How often the catalogue version is read: the staleness bound for changes that go
    /// through the change log.
    pub poll: Duration,
    /// The longest an entry is served: the staleness bound for writes that bypass the
    /// change log.
    pub ttl: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            max_bytes: crate::config::DEFAULT_API_CACHE_MAX_BYTES,
            poll: Duration::from_millis(crate::config::DEFAULT_API_CACHE_POLL_MS),
            ttl: Duration::from_secs(60),
        }
    }
}

/// A rendered response body. A stored one is gzip-compressed once, when it is stored:
/// clients that accept gzip (most) get those bytes as they are, with no compression per
/// request. A stored course body keeps only them (the others get a copy decompressed for
/// them, about 10 µs for a course), so the cache holds four times as many courses; a
/// stored page (20–100 courses, a tenth of a millisecond to decompress, and far fewer
/// entries) keeps its identity bytes too.
#[derive(Debug)]
pub struct CachedBody {
    /// The identity bytes (None: only the compressed ones are kept).
    identity: Option<Bytes>,
    /// The gzip-compressed bytes (None: not compressed, e.g. not stored).
    gzip: Option<Bytes>,
    /// Whether the identity bytes are kept beside the compressed ones when stored.
    keep_identity: bool,
    pub etag: HeaderValue,
    pub content_type: &'static str,
    /// The `Link` header (a page's `next`).
    pub link: Option<HeaderValue>,
    expires: Instant,
    /// The span of instants the body holds for (a course's body: from the last start or
    /// end of one of its runs to the next); None: unbounded.
    valid_from: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
}

impl CachedBody {
    /// The response to a request with `headers` (a 304 when it has the tag): the gzip
    /// bytes with `Content-Encoding: gzip` when there are some and the client accepts
    /// gzip (the compression layer leaves an encoded response alone), else the identity
    /// bytes. Both representations carry the same weak tag (see [`respond`]).
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        let gzip = self.gzip.as_ref().filter(|_| accepts_gzip(headers));
        let body = match (gzip, &self.identity) {
            (Some(gz), _) => gz.clone(),
            (None, Some(identity)) => identity.clone(),
            // A 304 has no body: nothing to decompress.
            (None, None) if matches_etag(headers, self.etag.to_str().unwrap_or_default()) => {
                Bytes::new()
            }
            (None, None) => match self.identity() {
                Ok(b) => b,
                Err(e) => {
                    return ApiError::Unavailable(format!(
                        "a cached response body does not decompress: {e}"
                    ))
                    .into_response();
                }
            },
        };
        self.respond_with(headers, body, gzip.is_some())
    }

    /// The response with `body` (gzip-coded when `encoded`), or a 304.
    fn respond_with(&self, headers: &HeaderMap, body: Bytes, encoded: bool) -> Response {
        let mut res = respond(headers, self.content_type, body, &self.etag);
        if encoded && res.status() == StatusCode::OK {
            res.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        if let Some(link) = &self.link {
            res.headers_mut().insert(header::LINK, link.clone());
        }
        res
    }

    /// Stored compressed only: a client without gzip needs it decompressed.
    fn compressed_only(&self) -> bool {
        self.identity.is_none() && self.gzip.is_some()
    }

    /// The identity bytes of the body.
    fn identity(&self) -> std::io::Result<Bytes> {
        match (&self.identity, &self.gzip) {
            (Some(b), _) => Ok(b.clone()),
            (None, Some(gz)) => gunzip(gz),
            (None, None) => Ok(Bytes::new()),
        }
    }

    /// This body as stored: gzip-compressed, with the identity bytes when kept.
    /// A course body is compressed at the default level (once, then served many times);
    /// a page, which keeps its identity bytes and is compressed at each miss (a search's
    /// first read), at the fastest: a fifth of a page miss's time went to deflating a
    /// 50 KB page at the default level, and the fast level's output is about a third
    /// larger (5.3 KB against 4.1 KB for 24 courses).
    fn compressed(&self) -> std::io::Result<Self> {
        let level = if self.keep_identity {
            flate2::Compression::fast()
        } else {
            flate2::Compression::default()
        };
        let gzip = match (&self.gzip, &self.identity) {
            (Some(gz), _) => gz.clone(),
            (None, Some(identity)) => {
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::with_capacity(identity.len() / 3 + 32),
                    level,
                );
                gz.write_all(identity)?;
                Bytes::from(gz.finish()?)
            }
            (None, None) => return Err(std::io::Error::other("an empty cached body")),
        };
        Ok(Self {
            identity: self.identity.clone().filter(|_| self.keep_identity),
            gzip: Some(gzip),
            keep_identity: self.keep_identity,
            etag: self.etag.clone(),
            content_type: self.content_type,
            link: self.link.clone(),
            expires: self.expires,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
        })
    }

    /// The bytes it holds.
    fn len(&self) -> usize {
        self.identity.as_ref().map_or(0, Bytes::len) + self.gzip.as_ref().map_or(0, Bytes::len)
    }
}

/// `gz` decompressed.
fn gunzip(gz: &[u8]) -> std::io::Result<Bytes> {
    let mut out = Vec::with_capacity(gz.len() * 4);
    flate2::read::GzDecoder::new(gz).read_to_end(&mut out)?;
    Ok(Bytes::from(out))
}

/// The key: what the response depends on (`course:{id}`, `course-ld:{id}`,
/// `courses?{query}`).
type Key = String;

#[derive(Clone)]
struct BodyWeighter;

impl quick_cache::Weighter<Key, Arc<CachedBody>> for BodyWeighter {
    fn weight(&self, key: &Key, val: &Arc<CachedBody>) -> u64 {
        (key.len() + val.len() + 128) as u64
    }
}

/// The most change-log entries a version step evicts course by course; a larger step (a
/// full sync of a large source) empties the cache instead of evicting most of it one key
/// at a time.
pub const MAX_EVICTED_CHANGES: i64 = 20_000;

/// What moved since the version last read.
enum Changed {
    Nothing,
    /// The courses whose bodies are stale (pages all are).
    Courses(Vec<String>),
    Everything,
}

/// The catalogue version the entries were built at.
#[derive(Debug)]
struct Version {
    /// The change log's highest sequence number when last read (None: never read).
    seq: Option<i64>,
    /// Bumped whenever the version moves (and entries are evicted); an entry is only
    /// stored under the generation its read started in, so a body read before a change
    /// was seen cannot be stored after its eviction.
    generation: u64,
    checked: Option<Instant>,
}

/// The cache (cheap to share behind an `Arc`).
pub struct ResponseCache {
    entries: Option<Entries>,
    /// Decompressed copies of the course bodies that clients without gzip asked for
    /// lately (a small share of `max_bytes`), so a hot course is not decompressed at each
    /// request. A copy goes with its body's tag and is used only while the stored body
    /// has that tag: a body changed since is never answered with an old copy.
    plain: Option<Plain>,
    version: Mutex<Version>,
    /// Held by the one request reading the version.
    polling: tokio::sync::Mutex<()>,
    options: CacheOptions,
}

type Entries = quick_cache::sync::Cache<Key, Arc<CachedBody>, BodyWeighter>;
type Plain = quick_cache::sync::Cache<Key, (HeaderValue, Bytes), PlainWeighter>;

#[derive(Clone)]
struct PlainWeighter;

impl quick_cache::Weighter<Key, (HeaderValue, Bytes)> for PlainWeighter {
    fn weight(&self, key: &Key, (_, body): &(HeaderValue, Bytes)) -> u64 {
        (key.len() + body.len() + 96) as u64
    }
}

/// The share of `max_bytes` the decompressed copies take (`ResponseCache::plain`): an
/// eighth, 32 MiB by default, holds about 15 000 course bodies of 2 KiB.
const PLAIN_SHARE: u64 = 8;

/// The result of [`ResponseCache::lookup`].
pub enum Lookup<'a> {
    Hit(Arc<CachedBody>),
    Miss(Fill<'a>),
}

/// quick_cache's placeholder for a missed key.
type Guard<'a> = quick_cache::sync::PlaceholderGuard<
    'a,
    Key,
    Arc<CachedBody>,
    BodyWeighter,
    quick_cache::DefaultHashBuilder,
    quick_cache::sync::DefaultLifecycle<Key, Arc<CachedBody>>,
>;

/// The right to store the body of a missed key (others asking for it wait meanwhile).
pub struct Fill<'a>(Option<Guard<'a>>);

/// What a request learnt from [`ResponseCache::current`]: the generation to store under.
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

impl ResponseCache {
    pub fn new(options: CacheOptions) -> Self {
        // quick_cache wants an estimate of the item count: a course's body is about a
        // KiB compressed, 3 KiB decompressed.
        let items =
            |bytes: u64, per_item: u64| usize::try_from(bytes / per_item).unwrap_or(1).max(1);
        let plain_bytes = options.max_bytes / PLAIN_SHARE;
        let stored_bytes = options.max_bytes - plain_bytes;
        let entries = (options.max_bytes > 0).then(|| {
            quick_cache::sync::Cache::with_weighter(
                items(stored_bytes, 1024),
                stored_bytes,
                BodyWeighter,
            )
        });
        let plain = (options.max_bytes > 0 && plain_bytes > 0).then(|| {
            quick_cache::sync::Cache::with_weighter(
                items(plain_bytes, 3072),
                plain_bytes,
                PlainWeighter,
            )
        });
        Self {
            entries,
            plain,
            version: Mutex::new(Version {
                seq: None,
                generation: 0,
                checked: None,
            }),
            polling: tokio::sync::Mutex::new(()),
            options,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Version> {
        // A poisoned lock only means a panic elsewhere; the version is still consistent.
        self.version.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Validates the cache against the catalogue version when the last check is older
    /// than `poll`, and returns the generation a read started now belongs to.
    pub async fn current(&self, store: &Store) -> Result<Generation, StoreError> {
        if self.entries.is_none() {
            return Ok(Generation(0));
        }
        {
            let v = self.lock();
            if v.checked.is_some_and(|t| t.elapsed() < self.options.poll) {
                return Ok(Generation(v.generation));
            }
        }
        // One request reads the version; the others keep serving what is cached, unless
        // nothing was ever read (then they wait for the first read).
        let _polling = match self.polling.try_lock() {
            Ok(g) => g,
            Err(_) => {
                let read_before = {
                    let v = self.lock();
                    v.seq.map(|_| v.generation)
                };
                if let Some(generation) = read_before {
                    return Ok(Generation(generation));
                }
                self.polling.lock().await
            }
        };
        {
            let v = self.lock();
            if v.checked.is_some_and(|t| t.elapsed() < self.options.poll) {
                return Ok(Generation(v.generation));
            }
        }
        let seq = store.last_change_seq().await?;
        // Only the holder of `polling` changes `seq`.
        let seen = self.lock().seq;
        let changed = match seen {
            Some(old) if old == seq => Changed::Nothing,
            Some(old) if old < seq && seq - old <= MAX_EVICTED_CHANGES => {
                match store.changed_courses(old, seq).await {
                    Ok(ids) => Changed::Courses(ids),
                    Err(e) => {
                        tracing::warn!(after = old, upto = seq, error = %e, "Changed courses unreadable; the response cache is emptied.");
                        Changed::Everything
                    }
                }
            }
            _ => Changed::Everything,
        };
        let mut v = self.lock();
        if !matches!(changed, Changed::Nothing) {
            v.seq = Some(seq);
            v.generation += 1;
            if let Some(e) = &self.entries {
                evict(e, self.plain.as_ref(), &changed);
            }
        }
        v.checked = Some(Instant::now());
        Ok(Generation(v.generation))
    }

    /// The cached body under `key`, unless expired; on a miss, the right to fill it:
    /// concurrent requests for the same key wait for the first one's body instead of all
    /// running the same query (a page of a popular search, when it expires).
    pub async fn lookup(&self, key: &str) -> Lookup<'_> {
        let Some(entries) = &self.entries else {
            return Lookup::Miss(Fill(None));
        };
        let counted = |result: &'static str| {
            ::metrics::counter!("coursefed_api_cache_lookups_total", "kind" => kind_of(key), "result" => result)
                .increment(1);
        };
        // An expired entry is removed and looked up again (once: a racing writer may put
        // it back, already expired, in between; then this request reads without a guard).
        for _ in 0..2 {
            match entries.get_value_or_guard_async(key).await {
                Ok(hit) if hit.expires > Instant::now() => {
                    counted("hit");
                    return Lookup::Hit(hit);
                }
                Ok(_) => {
                    entries.remove(key);
                }
                Err(guard) => {
                    counted("miss");
                    return Lookup::Miss(Fill(Some(guard)));
                }
            }
        }
        counted("miss");
        Lookup::Miss(Fill(None))
    }

    /// Sets the cache's gauges (`/metrics`): per tier (`stored`: the bodies, compressed;
    /// `plain`: decompressed copies), the entries, their bytes and the bytes allowed.
    pub fn record_gauges(&self) {
        let tiers = [
            (
                "stored",
                self.entries
                    .as_ref()
                    .map(|c| (c.len(), c.weight(), c.capacity())),
            ),
            (
                "plain",
                self.plain
                    .as_ref()
                    .map(|c| (c.len(), c.weight(), c.capacity())),
            ),
        ];
        for (tier, figures) in tiers {
            let (len, weight, capacity) = figures.unwrap_or_default();
            ::metrics::gauge!("coursefed_api_cache_entries", "tier" => tier).set(len as f64);
            ::metrics::gauge!("coursefed_api_cache_bytes", "tier" => tier).set(weight as f64);
            ::metrics::gauge!("coursefed_api_cache_capacity_bytes", "tier" => tier)
                .set(capacity as f64);
        }
    }

    /// Stores a body read in generation `generation` under the key `fill` was looked up
    /// by, gzip-compressed, valid until it expires (see [`body`](Self::body)); returns
    /// what to answer with. Not stored when the version moved since the read began.
    pub fn put(&self, generation: Generation, fill: Fill<'_>, body: CachedBody) -> Arc<CachedBody> {
        let Some(guard) = fill.0 else {
            return Arc::new(body);
        };
        if body.expires <= Instant::now() {
            return Arc::new(body);
        }
        let stored = match body.compressed() {
            Ok(gz) => Arc::new(gz),
            Err(e) => {
                tracing::warn!(error = %e, "A response body could not be compressed; not cached.");
                return Arc::new(body);
            }
        };
        let v = self.lock();
        if v.generation == generation.0 {
            // Err: the slot was filled or removed meanwhile (an emptied cache).
            let _ = guard.insert(stored.clone());
        }
        stored
    }

    /// The response to a request with `headers` for `hit`, the body cached under `key`:
    /// [`CachedBody::respond`], except that a body stored compressed only, for a client
    /// that does not take gzip, is decompressed once into the plain copies and answered
    /// from there while it is the stored body.
    pub fn respond(&self, key: &str, hit: &CachedBody, headers: &HeaderMap) -> Response {
        if !hit.compressed_only()
            || accepts_gzip(headers)
            || matches_etag(headers, hit.etag.to_str().unwrap_or_default())
        {
            return hit.respond(headers);
        }
        match self.identity_of(key, hit, true) {
            Ok(body) => hit.respond_with(headers, body, false),
            Err(e) => {
                ApiError::Unavailable(format!("a cached response body does not decompress: {e}"))
                    .into_response()
            }
        }
    }

    /// The identity bytes of `hit`, cached under `key`: kept with it, or the plain copy
    /// of its tag, or decompressed (then copied into the plain copies when `remember`).
    fn identity_of(&self, key: &str, hit: &CachedBody, remember: bool) -> std::io::Result<Bytes> {
        let Some(plain) = self.plain.as_ref().filter(|_| hit.compressed_only()) else {
            return hit.identity();
        };
        if let Some((tag, body)) = plain.get(key)
            && tag == hit.etag
        {
            return Ok(body);
        }
        let body = hit.identity()?;
        if remember {
            plain.insert(key.to_owned(), (hit.etag.clone(), body.clone()));
        }
        Ok(body)
    }

    /// The cached body of course `id` (`course:{id}`) when it holds for a page judged at
    /// `now`: not expired, and no run of the course started or ended between `now` and
    /// when the body was rendered. Does not wait for a request filling it.
    /// Also returns the end of the span the body holds for.
    pub fn course_body(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Option<(Bytes, Option<DateTime<Utc>>)> {
        let entries = self.entries.as_ref()?;
        let key = course_key(id);
        let hit = entries.get(&key)?;
        let holds = hit.expires > Instant::now()
            && hit.valid_from.is_none_or(|from| from <= now)
            && hit.valid_until.is_none_or(|until| now < until);
        // A body that does not decompress is read again, as a miss. (A page miss does not
        // fill the plain copies: they are for the courses asked for by id.)
        holds
            .then(|| self.identity_of(&key, &hit, false).ok())
            .flatten()
            .map(|body| (body, hit.valid_until))
    }

    /// A page's body to [`put`](Self::put) (stored compressed and as it is): expires
    /// after `ttl` or at `valid_until`, if sooner.
    pub fn body(
        &self,
        (body, etag): (Bytes, HeaderValue),
        content_type: &'static str,
        link: Option<HeaderValue>,
        valid_until: Option<DateTime<Utc>>,
    ) -> CachedBody {
        let now = Instant::now();
        let mut expires = now + self.options.ttl;
        if let Some(t) = valid_until {
            let left = (t - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            expires = expires.min(now + left);
        }
        CachedBody {
            identity: Some(body),
            gzip: None,
            keep_identity: true,
            etag,
            content_type,
            link,
            expires,
            valid_from: None,
            valid_until,
        }
    }

    /// A course body to [`put`](Self::put) (stored compressed only), holding for the
    /// instants of `span` (its runs' [`run_span`] around the instant it was rendered at).
    pub fn course_body_of(
        &self,
        tagged: (Bytes, HeaderValue),
        content_type: &'static str,
        (from, until): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> CachedBody {
        CachedBody {
            valid_from: from,
            keep_identity: false,
            ..self.body(tagged, content_type, None, until)
        }
    }
}

/// Removes what `changed` makes stale from `entries` and the `plain` copies. (A stale
/// plain copy would not be served anyway, its tag being the old body's: this frees it.)
fn evict(entries: &Entries, plain: Option<&Plain>, changed: &Changed) {
    match changed {
        Changed::Nothing => {}
        Changed::Courses(ids) => {
            for id in ids {
                for key in [course_key(id), course_ld_key(id)] {
                    entries.remove(&key);
                    if let Some(p) = plain {
                        p.remove(&key);
                    }
                }
            }
            entries.retain(|key, _| !is_page_key(key));
        }
        Changed::Everything => {
            entries.clear();
            if let Some(p) = plain {
                p.clear();
            }
        }
    }
}

/// The cache key of course `id`'s JSON body.
pub fn course_key(id: &str) -> String {
    format!("course:{id}")
}

/// The cache key of course `id`'s JSON-LD body.
pub fn course_ld_key(id: &str) -> String {
    format!("course-ld:{id}")
}

/// The cache key of the `GET /v1/courses` page of the raw query `query`.
pub fn page_key(query: &str) -> String {
    format!("courses?{query}")
}

fn is_page_key(key: &str) -> bool {
    key.starts_with("courses?")
}

/// What a cache key holds, as the `kind` label of the cache's metrics.
fn kind_of(key: &str) -> &'static str {
    if is_page_key(key) {
        "page"
    } else if key.starts_with("course-ld:") {
        "course_ld"
    } else if key.starts_with("course:") {
        "course"
    } else {
        "other"
    }
}

/// The span around `now` in which no run of `listings` starts or ends (so every run's
/// availability is the same throughout): from the last start or end at or before `now`
/// (None: none) to the first one after it (None: none).
pub fn run_span(
    listings: &[StoredListing],
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let boundaries = || {
        listings
            .iter()
            .flat_map(|l| &l.draft.runs)
            .flat_map(|r| [r.start, r.end])
            .flatten()
    };
    (
        boundaries().filter(|t| *t <= now).max(),
        boundaries().filter(|t| *t > now).min(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(max_bytes: u64) -> ResponseCache {
        ResponseCache::new(CacheOptions {
            max_bytes,
            poll: Duration::from_secs(3600),
            ttl: Duration::from_secs(3600),
        })
    }

    fn body(c: &ResponseCache, valid_until: Option<DateTime<Utc>>) -> CachedBody {
        let tagged = (
            Bytes::from_static(b"{}"),
            HeaderValue::from_static("W/\"x\""),
        );
        c.body(tagged, "application/json", None, valid_until)
    }

    async fn hit(c: &ResponseCache, key: &str) -> bool {
        matches!(c.lookup(key).await, Lookup::Hit(_))
    }

    async fn fill(c: &ResponseCache, generation: Generation, key: &str, b: CachedBody) {
        match c.lookup(key).await {
            Lookup::Miss(f) => {
                c.put(generation, f, b);
            }
            Lookup::Hit(_) => panic!("{key} is cached already"),
        }
    }

    #[tokio::test]
    async fn a_body_read_before_the_cache_was_emptied_is_not_stored() {
        let c = cache(1 << 20);
        let stale = Generation(c.lock().generation);
        c.lock().generation += 1;
        fill(&c, stale, "course:c1", body(&c, None)).await;
        assert!(!hit(&c, "course:c1").await);
        let fresh = Generation(c.lock().generation);
        fill(&c, fresh, "course:c1", body(&c, None)).await;
        assert!(hit(&c, "course:c1").await);
        assert!(!hit(&c, "course:c2").await);
    }

    #[tokio::test]
    async fn an_entry_lives_until_the_next_run_boundary_only() {
        let c = cache(1 << 20);
        let g = Generation(c.lock().generation);
        let passed = Utc::now() - chrono::TimeDelta::seconds(1);
        fill(&c, g, "course:c1", body(&c, Some(passed))).await;
        assert!(!hit(&c, "course:c1").await, "the boundary has passed");
        let later = Utc::now() + chrono::TimeDelta::hours(1);
        fill(&c, g, "course:c1", body(&c, Some(later))).await;
        assert!(hit(&c, "course:c1").await);
    }

    #[tokio::test]
    async fn a_course_body_is_reused_only_for_instants_its_runs_span() {
        let c = cache(1 << 20);
        let g = Generation(c.lock().generation);
        let now = Utc::now();
        let h = |n: i64| now + chrono::TimeDelta::hours(n);
        let tagged = (
            Bytes::from_static(b"{}"),
            HeaderValue::from_static("W/\"x\""),
        );
        let b = c.course_body_of(tagged, "application/json", (Some(h(-2)), Some(h(5))));
        fill(&c, g, "course:c1", b).await;
        assert_eq!(c.course_body("c1", h(-1)).map(|b| b.1), Some(Some(h(5))));
        assert!(c.course_body("c1", now).is_some());
        assert!(c.course_body("c1", h(-3)).is_none(), "a run started since");
        assert!(c.course_body("c1", h(6)).is_none(), "a run ends before");
        assert!(c.course_body("c2", now).is_none());
    }

    #[tokio::test]
    async fn a_course_change_evicts_that_course_and_every_page_only() {
        let c = cache(1 << 20);
        let g = Generation(c.lock().generation);
        let keys = [
            course_key("c1"),
            course_ld_key("c1"),
            course_key("c2"),
            course_ld_key("c2"),
            page_key("q=data"),
            page_key(""),
        ];
        for key in &keys {
            fill(&c, g, key, body(&c, None)).await;
        }
        let entries = c.entries.as_ref().unwrap();
        evict(
            entries,
            c.plain.as_ref(),
            &Changed::Courses(vec!["c1".into()]),
        );
        for (key, kept) in keys.iter().zip([false, false, true, true, false, false]) {
            assert_eq!(hit(&c, key).await, kept, "{key}");
        }
        evict(entries, c.plain.as_ref(), &Changed::Everything);
        assert!(!hit(&c, &course_key("c2")).await);
    }

    #[tokio::test]
    async fn a_zero_size_cache_stores_nothing() {
        let c = cache(0);
        fill(&c, Generation(0), "course:c1", body(&c, None)).await;
        assert!(!hit(&c, "course:c1").await);
    }

    async fn body_of(res: Response) -> Bytes {
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_plain_copy_is_served_only_while_the_stored_body_has_its_tag() {
        let c = cache(1 << 20);
        let g = Generation(c.lock().generation);
        let key = course_key("c1");
        let stored = |json: &'static [u8]| {
            let etag = HeaderValue::from_str(&super::super::respond::etag_of(json)).unwrap();
            c.course_body_of(
                (Bytes::from_static(json), etag),
                "application/json",
                (None, None),
            )
        };
        let plain_client = HeaderMap::new();
        let answer = |c: &ResponseCache| {
            let hit = c.entries.as_ref().unwrap().get(&key).expect("cached");
            assert!(hit.compressed_only());
            c.respond(&key, &hit, &plain_client)
        };
        fill(&c, g, &key, stored(b"{\"v\":1}")).await;
        assert_eq!(&body_of(answer(&c)).await[..], b"{\"v\":1}");
        assert!(c.plain.as_ref().unwrap().get(&key).is_some(), "copied once");
        // The body changes, and its old copy is left behind (as a racing eviction could).
        c.entries.as_ref().unwrap().remove(&key);
        fill(&c, g, &key, stored(b"{\"v\":2}")).await;
        let res = answer(&c);
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(&body_of(res).await[..], b"{\"v\":2}", "not the old copy");
        let (tag, copy) = c.plain.as_ref().unwrap().get(&key).unwrap();
        assert_eq!(&copy[..], b"{\"v\":2}");
        assert_eq!(tag, c.entries.as_ref().unwrap().get(&key).unwrap().etag);
    }

    #[tokio::test]
    async fn a_stored_body_is_gzip_for_clients_that_take_it_and_identity_for_the_others() {
        let c = cache(1 << 20);
        let g = Generation(c.lock().generation);
        let json: &'static [u8] = "{\"id\":\"c1\",\"title\":\"ข้อมูล ข้อมูล ข้อมูล\"}".as_bytes();
        let etag = HeaderValue::from_str(&super::super::respond::etag_of(json)).unwrap();
        let Lookup::Miss(f) = c.lookup(&course_key("c1")).await else {
            panic!("nothing is cached yet")
        };
        let tagged = (Bytes::from_static(json), etag.clone());
        let missed = c.put(
            g,
            f,
            c.course_body_of(tagged.clone(), "application/json", (None, None)),
        );
        let Lookup::Hit(hit) = c.lookup(&course_key("c1")).await else {
            panic!("the body is stored")
        };
        assert!(hit.identity.is_none(), "a course is stored compressed only");
        let Lookup::Miss(f) = c.lookup(&page_key("q=x")).await else {
            panic!("nothing is cached yet")
        };
        c.put(g, f, c.body(tagged, "application/json", None, None));
        let Lookup::Hit(page) = c.lookup(&page_key("q=x")).await else {
            panic!("the page is stored")
        };
        assert!(page.identity.is_some() && page.gzip.is_some());
        let mut gzip = HeaderMap::new();
        gzip.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        for served in [&missed, &hit, &page] {
            let res = served.respond(&gzip);
            assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
            assert_eq!(res.headers()[header::ETAG], etag);
            assert_eq!(gunzip(&body_of(res).await).unwrap(), json);
            let res = served.respond(&HeaderMap::new());
            assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
            assert_eq!(res.headers()[header::ETAG], etag);
            assert_eq!(body_of(res).await, json);
        }
        let mut revalidate = gzip.clone();
        revalidate.insert(header::IF_NONE_MATCH, etag.clone());
        assert_eq!(hit.respond(&revalidate).status(), StatusCode::NOT_MODIFIED);
        revalidate.remove(header::ACCEPT_ENCODING);
        assert_eq!(hit.respond(&revalidate).status(), StatusCode::NOT_MODIFIED);
        // A page assembled from the cached body gets its identity bytes.
        assert_eq!(c.course_body("c1", Utc::now()).unwrap().0, json);
    }

    #[tokio::test]
    async fn a_body_not_stored_is_left_to_the_compression_layer() {
        let c = cache(0);
        let Lookup::Miss(f) = c.lookup("course:c1").await else {
            panic!("a zero-size cache holds nothing")
        };
        let served = c.put(Generation(0), f, body(&c, None));
        let mut gzip = HeaderMap::new();
        gzip.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let res = served.respond(&gzip);
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body_of(res).await, &b"{}"[..]);
    }

    #[test]
    fn a_course_body_holds_between_the_run_boundaries_around_its_instant() {
        use crate::domain::{ListingDraft, ListingStatus, RunDraft};
        let now = Utc::now();
        let h = |n: i64| now + chrono::TimeDelta::hours(n);
        let run = |s: i64, e: i64| RunDraft {
            start: Some(h(s)),
            end: Some(h(e)),
            ..Default::default()
        };
        let listing = StoredListing {
            id: "s:1".into(),
            source_id: "s".into(),
            course_id: "c".into(),
            status: ListingStatus::Active,
            first_seen_at: now,
            last_seen_at: now,
            updated_at: now,
            withdrawn_at: None,
            draft: ListingDraft {
                runs: vec![run(-10, 5), run(3, 9)],
                ..Default::default()
            },
        };
        assert_eq!(
            run_span(std::slice::from_ref(&listing), now),
            (Some(h(-10)), Some(h(3)))
        );
        assert_eq!(
            run_span(std::slice::from_ref(&listing), h(4)),
            (Some(h(3)), Some(h(5)))
        );
        assert_eq!(run_span(&[listing], h(20)), (Some(h(9)), None));
    }
}
