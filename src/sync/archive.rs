//! The raw archive seen from a run: the writer a live run records each response with,
//! the reader a replay answers requests from, and [`replay_source`], which re-parses and
//! re-normalises an archived run and applies it like a sync — how a mapping fix reaches
//! the catalogue without fetching again.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{Read, Write};
use std::time::Instant;

use bytes::Bytes;
use chrono::Utc;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use reqwest::header::{
    CONTENT_TYPE, DATE, ETAG, HeaderMap, HeaderName, HeaderValue, LAST_MODIFIED,
};
use url::Url;

use super::{SyncReport, run_pages};
use crate::config::SourceConfig;
use crate::connector::ConnectorError;
use crate::fetch::{FetchError, FetchedPage, SourceFetcher};
use crate::store::{NewRawPage, RawPage, Store, StoreError};

/// The response headers the archive keeps: enough to read the body again and to make a
/// conditional request, nothing that identifies a session.
const KEPT_HEADERS: [HeaderName; 4] = [CONTENT_TYPE, ETAG, LAST_MODIFIED, DATE];

/// Why a replay could not start. A replay that starts and fails is a failed run in its
/// report instead, like a sync.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No succeeded run of the source has pages in the archive.
    #[error("source {source_id}: no succeeded run with archived pages to replay")]
    NothingToReplay { source_id: String },
    /// The run asked for is not a run of this source.
    #[error("run {run_id} is not a run of source {source_id}")]
    UnknownRun { source_id: String, run_id: i64 },
    /// The run's pages are not (or no longer) in the archive.
    #[error("run {run_id} has no pages in the archive (pruned, or it fetched none)")]
    NotArchived { run_id: i64 },
    /// The request builder a replay needs (to key `send` requests) could not be made.
    #[error("cannot build an HTTP request builder: {0}")]
    Client(String),
}

/// Re-runs `source`'s connector over the archived pages of run `run_id` (default: its
/// newest succeeded run with archived pages) without fetching anything, and applies the
/// result exactly like a sync: a new ledger row, all-or-nothing apply, withdrawals.
///
/// A request the archive does not have for that run fails the replay (the report names
/// it) and changes nothing in the catalogue. A replay archives no pages of its own.
#[tracing::instrument(skip_all, fields(source = %source.id))]
pub async fn replay_source(
    store: &Store,
    source: &SourceConfig,
    run_id: Option<i64>,
) -> Result<SyncReport, ReplayError> {
    replay_source_with(
        store,
        source,
        run_id,
        super::SyncOptions::default().lease_ttl,
    )
    .await
}

/// [`replay_source`] holding the source's lease for `lease_ttl` at a time (`[daemon]
/// lease_ttl_seconds`, as a sync would).
pub async fn replay_source_with(
    store: &Store,
    source: &SourceConfig,
    run_id: Option<i64>,
    lease_ttl: std::time::Duration,
) -> Result<SyncReport, ReplayError> {
    let source_id = source.id.as_str();
    let replayed = match run_id {
        Some(id) => {
            if store.run_source(id).await?.as_deref() != Some(source_id) {
                return Err(ReplayError::UnknownRun {
                    source_id: source_id.to_owned(),
                    run_id: id,
                });
            }
            id
        }
        None => store
            .latest_replayable_run(source_id)
            .await?
            .ok_or_else(|| ReplayError::NothingToReplay {
                source_id: source_id.to_owned(),
            })?,
    };
    let keys = store.run_raw_page_keys(replayed).await?;
    if keys.is_empty() {
        return Err(ReplayError::NotArchived { run_id: replayed });
    }
    let reader = ArchiveReader::new(store, replayed, keys)?;

    let started = Instant::now();
    store.upsert_source(source).await?;
    // A replay applies like a sync, so it takes the source's lease like one.
    let options = super::SyncOptions::default();
    let leased = super::Leased {
        store,
        source,
        holder: &options.holder,
        ttl: lease_ttl,
        cancel: &options.cancel,
    };
    let report = leased
        .run(|run_id| {
            tracing::info!(source = %source.id, run = run_id, replayed, "Replay started.");
            run_pages(
                store,
                source,
                run_id,
                started,
                PageSource::Replay(reader),
                None,
                false,
            )
        })
        .await?;
    crate::metrics::record_run(source_id, report.outcome, &report.stats, report.duration, 0);
    Ok(report)
}

/// Where a run's pages come from.
pub enum PageSource<'a> {
    /// The platform, through the source's fetcher; with a writer, every response is
    /// archived as it arrives.
    Live {
        fetcher: &'a SourceFetcher,
        archive: Option<ArchiveWriter<'a>>,
    },
    /// The archive of an earlier run: each request gets the response archived for it, in
    /// order; nothing is fetched.
    Replay(ArchiveReader<'a>),
}

/// Records a live run's responses in the archive as they arrive.
pub struct ArchiveWriter<'a> {
    store: &'a Store,
    source_id: &'a str,
    run_id: i64,
}

/// An archived page a conditional request can revalidate.
pub struct CachedPage {
    row: RawPage,
    body: Bytes,
    headers: HeaderMap,
}

impl CachedPage {
    /// The validators to send: (`ETag`, `Last-Modified`); at least one is present.
    pub fn validators(&self) -> (Option<&str>, Option<&str>) {
        let get = |name| self.headers.get(name).and_then(|v| v.to_str().ok());
        (get(ETAG), get(LAST_MODIFIED))
    }
}

impl<'a> ArchiveWriter<'a> {
    pub fn new(store: &'a Store, source_id: &'a str, run_id: i64) -> Self {
        Self {
            store,
            source_id,
            run_id,
        }
    }

    /// Archives how a request ended: a page, or the final HTTP status of a refused one
    /// (so a replay meets the same 404 the run met). Other failures reached no response.
    pub async fn record(
        &self,
        request_key: &str,
        result: &Result<FetchedPage, FetchError>,
    ) -> Result<(), ConnectorError> {
        match result {
            Ok(page) => {
                let headers = headers_json(&page.headers);
                self.insert(
                    request_key,
                    page.url.as_str(),
                    page.status,
                    &headers,
                    &page.body,
                )
                .await
            }
            Err(FetchError::Status { url, status, .. }) => {
                self.insert(request_key, url, *status, "{}", &[]).await
            }
            Err(_) => Ok(()),
        }
    }

    /// The newest archived page of this source for `request_key` that carries an `ETag`
    /// or `Last-Modified`, read back; `None` if there is none or it does not read back
    /// intact (then the caller fetches unconditionally).
    pub async fn cached(&self, request_key: &str) -> Result<Option<CachedPage>, ConnectorError> {
        let Some(row) = self
            .store
            .latest_raw_page(self.source_id, request_key)
            .await
            .map_err(archive_error)?
        else {
            return Ok(None);
        };
        let headers = headers_from_json(&row.headers);
        if !headers.contains_key(ETAG) && !headers.contains_key(LAST_MODIFIED) {
            return Ok(None);
        }
        match read_body(&row) {
            Ok(body) => Ok(Some(CachedPage { row, body, headers })),
            Err(message) => {
                tracing::warn!(source = self.source_id, page = row.id, error = %message, "Archived page unreadable; fetching it unconditionally.");
                Ok(None)
            }
        }
    }

    /// Archives a 304 answer with a copy of the revalidated body (so pruning the run that
    /// first fetched it loses nothing) and returns the page as the connector sees it:
    /// status 200, the archived body, the stored headers updated by the 304's.
    pub async fn record_revalidated(
        &self,
        request_key: &str,
        answer: FetchedPage,
        cached: CachedPage,
    ) -> Result<FetchedPage, ConnectorError> {
        let mut headers = cached.headers;
        for name in &KEPT_HEADERS {
            if let Some(v) = answer.headers.get(name) {
                headers.insert(name.clone(), v.clone());
            }
        }
        let row = cached.row;
        let page = FetchedPage {
            url: answer.url,
            status: 200,
            headers,
            body: cached.body,
            attempts: answer.attempts,
        };
        let fetched_at = Utc::now();
        let headers = headers_json(&page.headers);
        self.store
            .insert_raw_page(&NewRawPage {
                run_id: self.run_id,
                source_id: self.source_id,
                request_key,
                url: page.url.as_str(),
                status: 304,
                headers: &headers,
                body: &row.body,
                body_size: row.body_size,
                content_hash: &row.content_hash,
                reused_from: Some(row.id),
                fetched_at,
            })
            .await
            .map_err(archive_error)?;
        Ok(page)
    }

    async fn insert(
        &self,
        request_key: &str,
        url: &str,
        status: u16,
        headers: &str,
        body: &[u8],
    ) -> Result<(), ConnectorError> {
        let compressed = compress(body).map_err(|e| ConnectorError::Archive(e.to_string()))?;
        let hash = blake3::hash(body).to_hex();
        self.store
            .insert_raw_page(&NewRawPage {
                run_id: self.run_id,
                source_id: self.source_id,
                request_key,
                url,
                status,
                headers,
                body: &compressed,
                body_size: u64::try_from(body.len()).unwrap_or(u64::MAX),
                content_hash: hash.as_str(),
                reused_from: None,
                fetched_at: Utc::now(),
            })
            .await
            .map_err(archive_error)?;
        Ok(())
    }
}

/// Answers a replay's requests from one archived run: each request key gets the pages
/// archived for it, in the order the run fetched them.
pub struct ArchiveReader<'a> {
    store: &'a Store,
    run_id: i64,
    pending: HashMap<String, VecDeque<i64>>,
    /// Builds (never sends) the requests of `send` to learn their keys.
    client: reqwest::Client,
}

impl<'a> ArchiveReader<'a> {
    /// A reader over `keys` (page id, request key) of run `run_id`, in fetch order.
    pub fn new(
        store: &'a Store,
        run_id: i64,
        keys: Vec<(i64, String)>,
    ) -> Result<Self, ReplayError> {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .build()
            .map_err(|e| ReplayError::Client(e.to_string()))?;
        let mut pending: HashMap<String, VecDeque<i64>> = HashMap::new();
        for (id, key) in keys {
            pending.entry(key).or_default().push_back(id);
        }
        Ok(Self {
            store,
            run_id,
            pending,
            client,
        })
    }

    /// The run whose archive this reads.
    pub fn run_id(&self) -> i64 {
        self.run_id
    }

    /// The client `send` builders are called with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The next archived answer to `request_key`: the page (a revalidated page comes back
    /// as the 200 the live run handed its connector), or the HTTP error the run met.
    pub async fn next(&mut self, request_key: &str) -> Result<FetchedPage, ConnectorError> {
        let missing = || ConnectorError::NotArchived {
            run_id: self.run_id,
            request: request_key.to_owned(),
        };
        let id = self
            .pending
            .get_mut(request_key)
            .and_then(VecDeque::pop_front)
            .ok_or_else(missing)?;
        let row = self
            .store
            .raw_page(id)
            .await
            .map_err(archive_error)?
            .ok_or_else(missing)?;
        if !(200..300).contains(&row.status) && row.status != 304 {
            let method = request_key.split(' ').next().unwrap_or("GET").to_owned();
            return Err(ConnectorError::Fetch(FetchError::Status {
                method,
                url: row.url,
                status: row.status,
                attempts: 1,
            }));
        }
        let body = read_body(&row).map_err(ConnectorError::Archive)?;
        let url = Url::parse(&row.url)
            .map_err(|e| ConnectorError::Archive(format!("page {}: bad URL: {e}", row.id)))?;
        Ok(FetchedPage {
            url,
            status: if row.status == 304 { 200 } else { row.status },
            headers: headers_from_json(&row.headers),
            body,
            attempts: 1,
        })
    }
}

/// The archive's key of a request: `METHOD URL`, and for a request with a body
/// ` body:` and the first 16 hex digits of its BLAKE3 (POST pages differ by body only).
pub fn request_key(method: &str, url: &Url, body: Option<&[u8]>) -> String {
    match body.filter(|b| !b.is_empty()) {
        Some(b) => {
            let hash = blake3::hash(b).to_hex();
            let short = hash.as_str().get(..16).unwrap_or(hash.as_str());
            format!("{method} {url} body:{short}")
        }
        None => format!("{method} {url}"),
    }
}

/// The key of the request a `send` builder makes, if it can be built and its body is in
/// memory (a streaming body cannot be keyed).
pub fn builder_key(builder: &reqwest::RequestBuilder) -> Option<String> {
    let request = builder.try_clone()?.build().ok()?;
    let body = request.body().map(|b| b.as_bytes());
    if body.is_some_and(|b| b.is_none()) {
        return None;
    }
    Some(request_key(
        request.method().as_str(),
        request.url(),
        body.flatten(),
    ))
}

fn archive_error(e: StoreError) -> ConnectorError {
    ConnectorError::Archive(e.to_string())
}

/// gzip at the default level: text pages shrink 4–10×, and `gunzip` reads a dumped body.
fn compress(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

/// A row's body, decompressed and checked against its hash.
fn read_body(row: &RawPage) -> Result<Bytes, String> {
    let capacity = usize::try_from(row.body_size)
        .unwrap_or(0)
        .min(64 * 1024 * 1024);
    let mut body = Vec::with_capacity(capacity);
    // Never read more than the size recorded: a corrupt row cannot balloon in memory.
    GzDecoder::new(row.body.as_slice())
        .take(row.body_size.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| format!("page {}: cannot decompress: {e}", row.id))?;
    if blake3::hash(&body).to_hex().as_str() != row.content_hash {
        return Err(format!("page {}: body does not match its hash", row.id));
    }
    Ok(Bytes::from(body))
}

/// The kept headers as a JSON object (values that are not text are left out).
fn headers_json(headers: &HeaderMap) -> String {
    let kept: BTreeMap<&str, &str> = KEPT_HEADERS
        .iter()
        .filter_map(|name| Some((name.as_str(), headers.get(name)?.to_str().ok()?)))
        .collect();
    serde_json::to_string(&kept).unwrap_or_else(|_| "{}".to_owned())
}

fn headers_from_json(json: &str) -> HeaderMap {
    let map: BTreeMap<String, String> = serde_json::from_str(json).unwrap_or_default();
    let mut headers = HeaderMap::new();
    for (name, value) in map {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(n, v);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(body: &[u8]) -> RawPage {
        RawPage {
            id: 1,
            run_id: 1,
            source_id: "s".into(),
            request_key: "GET http://x.test/".into(),
            url: "http://x.test/".into(),
            status: 200,
            headers: "{}".into(),
            body: compress(body).unwrap(),
            body_size: body.len() as u64,
            content_hash: blake3::hash(body).to_hex().to_string(),
            reused_from: None,
            fetched_at: Utc::now(),
        }
    }

    #[test]
    fn compressed_body_reads_back_whole() {
        let body = "หลักสูตร ".repeat(500);
        let r = row(body.as_bytes());
        assert!(r.body.len() < body.len() / 4);
        assert_eq!(read_body(&r).unwrap(), body.as_bytes());
    }

    #[test]
    fn body_that_does_not_match_its_hash_is_refused() {
        let mut r = row(b"original");
        r.content_hash = blake3::hash(b"other").to_hex().to_string();
        assert!(read_body(&r).unwrap_err().contains("hash"));
    }

    #[test]
    fn post_bodies_make_different_keys_and_gets_have_none() {
        let url = Url::parse("http://x.test/api?page=1").unwrap();
        let a = request_key("POST", &url, Some(b"{\"page\":1}"));
        let b = request_key("POST", &url, Some(b"{\"page\":2}"));
        assert_ne!(a, b);
        assert!(a.starts_with("POST http://x.test/api?page=1 body:"));
        assert_eq!(
            request_key("GET", &url, None),
            "GET http://x.test/api?page=1"
        );
        assert_eq!(
            request_key("GET", &url, Some(b"")),
            "GET http://x.test/api?page=1"
        );
    }

    #[test]
    fn builder_key_sees_method_url_and_body() {
        crate::install_crypto_provider();
        let client = reqwest::Client::builder().build().unwrap();
        let url = Url::parse("http://x.test/api").unwrap();
        let builder = client.post(url.clone()).body("{\"page\":3}");
        assert_eq!(
            builder_key(&builder),
            Some(request_key("POST", &url, Some(b"{\"page\":3}")))
        );
    }

    #[test]
    fn only_kept_headers_survive_the_round_trip() {
        let mut h = HeaderMap::new();
        h.insert(ETAG, HeaderValue::from_static("\"v1\""));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        h.insert(
            reqwest::header::SET_COOKIE,
            HeaderValue::from_static("sessionid=secret"),
        );
        let json = headers_json(&h);
        assert!(!json.contains("secret"));
        let back = headers_from_json(&json);
        assert_eq!(back.get(ETAG).unwrap(), "\"v1\"");
        assert_eq!(back.len(), 2);
    }
}
