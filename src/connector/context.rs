//! What a connector style gets during a run: fetching with the loop guard, and the sink.

use std::collections::HashSet;

use url::Url;

use crate::config::SourceConfig;
use crate::domain::{ListingDraft, Rejection};
use crate::fetch::{FetchError, FetchedPage, SourceFetcher};

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
    fetcher: &'a SourceFetcher,
    sink: &'a mut dyn RecordSink,
    visited: HashSet<String>,
    pages: u32,
    listings: u64,
    rejected: u64,
    items: Option<u64>,
}

impl<'a> RunContext<'a> {
    pub fn new(
        source: &'a SourceConfig,
        fetcher: &'a SourceFetcher,
        sink: &'a mut dyn RecordSink,
    ) -> Self {
        Self {
            source,
            fetcher,
            sink,
            visited: HashSet::new(),
            pages: 0,
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
        let page = self.fetcher.get(url).await?;
        self.pages += 1;
        self.sink.page_fetched(url);
        Ok(page)
    }

    /// Sends a request the style builds itself (POST bodies, headers); counted as a page.
    pub async fn send<F>(&mut self, build: F) -> Result<FetchedPage, ConnectorError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let page = self.fetcher.send(build).await?;
        self.pages += 1;
        self.sink.page_fetched(&page.url);
        Ok(page)
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
    pub fn cookie(&self, url: &Url, name: &str) -> Option<String> {
        self.fetcher.cookie(url, name)
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> u32 {
        self.pages
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
