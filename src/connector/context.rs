//! What a connector style gets during a run: fetching with the loop guard, and the sink.
//! Pages come live from the platform (and are archived) or, in a replay, from the archive
//! of an earlier run; a connector cannot tell the two apart.

use std::collections::HashSet;
use std::sync::Mutex;

use url::Url;

use crate::config::SourceConfig;
use crate::domain::{ListingDraft, Rejection};
use crate::fetch::{FetchError, FetchedPage, SourceFetcher};
use crate::sync::archive::{PageSource, builder_key, request_key};

/// Why a run could not walk the whole catalogue. Any of these fails the run, and a failed
/// run changes nothing in the catalogue.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorError {
    /// A request failed after every allowed try.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A page (its envelope, not one record) could not be parsed.
    #[error("{url}: unparseable page: {message}")]
    Parse { url: String, message: String },
    /// Pagination pointed back at a page already fetched in this run.
    #[error("{url}: pagination loop: this page was already fetched in this run")]
    PaginationLoop { url: String },
    /// The platform said the request failed (e.g. `success: false`).
    #[error("{url}: the platform reported an error: {message}")]
    Platform { url: String, message: String },
    /// Pagination ended before the total the platform announced.
    #[error("pagination ended after {seen} records but the platform announced {expected}")]
    Incomplete { expected: u64, seen: u64 },
    /// The sink could not record a listing (spool I/O).
    #[error("cannot record listing: {0}")]
    Sink(String),
    /// The raw page archive could not be written or read back.
    #[error("page archive: {0}")]
    Archive(String),
    /// A replay asked for a request the archived run never made (or made fewer times):
    /// the connector's requests changed since, so the archive cannot answer them.
    #[error("replay of run {run_id}: the archive has no response for {request}")]
    NotArchived { run_id: i64, request: String },
}

/// Where a run's records go. The sync spools listings to disk until the run completes.
pub trait RecordSink: Send {
    /// Records one normalised listing (several drafts of one external id are merged later).
    fn listing(&mut self, draft: ListingDraft) -> Result<(), String>;
    /// Records one rejected record.
    fn reject(&mut self, rejection: Rejection);
    /// Told after each page is fetched (progress display).
    fn page_fetched(&mut self, _url: &Url) {}
}

/// The machinery a connector style runs with.
pub struct RunContext<'a> {
    pub source: &'a SourceConfig,
    from: PageSource<'a>,
    sink: &'a mut dyn RecordSink,
    visited: HashSet<String>,
    pages: u32,
    revalidated: u32,
    listings: u64,
    rejected: u64,
    items: Option<u64>,
}

impl<'a> RunContext<'a> {
    /// A live context that archives nothing (connector tests, dry runs).
    pub fn new(
        source: &'a SourceConfig,
        fetcher: &'a SourceFetcher,
        sink: &'a mut dyn RecordSink,
    ) -> Self {
        let from = PageSource::Live {
            fetcher,
            archive: None,
        };
        Self::with_pages(source, from, sink)
    }

    /// A context whose pages come from `from`: live and archived, or replayed.
    pub fn with_pages(
        source: &'a SourceConfig,
        from: PageSource<'a>,
        sink: &'a mut dyn RecordSink,
    ) -> Self {
        Self {
            source,
            from,
            sink,
            visited: HashSet::new(),
            pages: 0,
            revalidated: 0,
            listings: 0,
            rejected: 0,
            items: None,
        }
    }

    /// Fetches a catalogue page, refusing one already fetched in this run (loop guard).
    pub async fn fetch_page(&mut self, url: &Url) -> Result<FetchedPage, ConnectorError> {
        self.guard(url.as_str())?;
        self.fetch(url).await
    }

    /// Marks a page key (a URL, or a page number with a request body) as visited; an error
    /// if it was already.
    pub fn guard(&mut self, key: &str) -> Result<(), ConnectorError> {
        if self.visited.insert(key.to_owned()) {
            Ok(())
        } else {
            Err(ConnectorError::PaginationLoop {
                url: key.to_owned(),
            })
        }
    }

    /// Fetches any page (detail pages: no loop guard).
    pub async fn fetch(&mut self, url: &Url) -> Result<FetchedPage, ConnectorError> {
        let key = request_key("GET", url, None);
        let page = match &mut self.from {
            PageSource::Live { fetcher, archive } => {
                let result = fetcher.get(url).await;
                if let Some(archive) = archive {
                    archive.record(&key, &result).await?;
                }
                result?
            }
            PageSource::Replay(reader) => reader.next(&key).await?,
        };
        Ok(self.counted(page, url))
    }

    /// Fetches a page that rarely changes (course pages) politely: when the archive holds
    /// this source's page for the URL with an `ETag` or `Last-Modified`, asks the platform
    /// whether it changed. A 304 hands back the archived body with status **200**, exactly
    /// as if the page had been fetched (see [`RunContext::revalidated`] for how many were);
    /// a 200 is the fresh page. Without an archive this is [`RunContext::fetch`].
    pub async fn fetch_cached(&mut self, url: &Url) -> Result<FetchedPage, ConnectorError> {
        let key = request_key("GET", url, None);
        let page = match &mut self.from {
            PageSource::Live {
                fetcher,
                archive: Some(archive),
            } => match archive.cached(&key).await? {
                None => {
                    let result = fetcher.get(url).await;
                    archive.record(&key, &result).await?;
                    result?
                }
                Some(cached) => {
                    let (etag, last_modified) = cached.validators();
                    let result = fetcher.get_conditional(url, etag, last_modified).await;
                    match result {
                        Ok(answer) if answer.not_modified() => {
                            self.revalidated += 1;
                            archive.record_revalidated(&key, answer, cached).await?
                        }
                        other => {
                            archive.record(&key, &other).await?;
                            other?
                        }
                    }
                }
            },
            PageSource::Live {
                fetcher,
                archive: None,
            } => fetcher.get(url).await?,
            PageSource::Replay(reader) => reader.next(&key).await?,
        };
        Ok(self.counted(page, url))
    }

    /// Sends a request the style builds itself (POST bodies, headers); counted as a page.
    pub async fn send<F>(&mut self, build: F) -> Result<FetchedPage, ConnectorError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let page = match &mut self.from {
            PageSource::Live { fetcher, archive } => {
                // The key is read off the first request built; every try builds the same.
                let key = Mutex::new(None::<String>);
                let result = fetcher
                    .send(|client| {
                        let builder = build(client);
                        if let Ok(mut k) = key.lock()
                            && k.is_none()
                        {
                            *k = builder_key(&builder);
                        }
                        builder
                    })
                    .await;
                if let Some(archive) = archive {
                    let key = key.into_inner().ok().flatten();
                    let key = key.unwrap_or_else(|| match &result {
                        Ok(page) => format!("SEND {}", page.url),
                        Err(_) => "SEND (unbuildable request)".to_owned(),
                    });
                    archive.record(&key, &result).await?;
                }
                result?
            }
            PageSource::Replay(reader) => {
                let builder = build(reader.client());
                let key = builder_key(&builder).ok_or_else(|| ConnectorError::NotArchived {
                    run_id: reader.run_id(),
                    request: "a request that cannot be built or keyed".to_owned(),
                })?;
                reader.next(&key).await?
            }
        };
        let url = page.url.clone();
        Ok(self.counted(page, &url))
    }

    /// Counts a page handed to the connector and tells the sink.
    fn counted(&mut self, page: FetchedPage, url: &Url) -> FetchedPage {
        self.pages += 1;
        self.sink.page_fetched(url);
        page
    }

    /// Records a listing.
    pub fn emit(&mut self, draft: ListingDraft) -> Result<(), ConnectorError> {
        self.listings += 1;
        self.sink.listing(draft).map_err(ConnectorError::Sink)
    }

    /// Records a rejected record; the run goes on.
    pub fn reject(&mut self, rejection: Rejection) {
        tracing::warn!(
            source = %self.source.id,
            external_id = rejection.external_id.as_deref().unwrap_or("-"),
            field = %rejection.field,
            reason = %rejection.reason,
            "Record rejected."
        );
        self.rejected += 1;
        self.sink.reject(rejection);
    }

    /// The value of cookie `name` that the platform set for `url` in this run's session.
    /// (A replay has no session: always `None`.)
    pub fn cookie(&self, url: &Url, name: &str) -> Option<String> {
        match &self.from {
            PageSource::Live { fetcher, .. } => fetcher.cookie(url, name),
            PageSource::Replay(_) => None,
        }
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Pages [`RunContext::fetch_cached`] got back as 304 Not Modified so far.
    pub fn revalidated(&self) -> u32 {
        self.revalidated
    }

    /// Tells how many platform records a page held, for styles that merge several records
    /// (run items of one course) into one draft before emitting it.
    pub fn count_items(&mut self, n: u64) {
        *self.items.get_or_insert(0) += n;
    }

    /// Platform records seen so far: as counted with [`RunContext::count_items`], else the
    /// listing drafts and rejections emitted.
    pub fn records(&self) -> u64 {
        self.items.unwrap_or(self.listings + self.rejected)
    }
}
