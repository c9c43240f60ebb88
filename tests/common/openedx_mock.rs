//! An Open edX–style source pointed at a wiremock platform, and the calls the sync tests
//! make against it: configure, sync once, read the whole catalogue back.

use coursefed::config::SourceConfig;
use coursefed::domain::SourceId;
use coursefed::fetch::HttpClient;
use coursefed::store::{ListingFilter, Store, StoredListing};
use coursefed::sync::{SyncReport, sync_source};
use wiremock::MockServer;

/// Source `mock` (style `openedx`) at `server`, `page_size` items a page, followed by the
/// TOML lines in `extra`. Rate-limited to 60 000 requests a minute unless `extra` sets
/// `requests_per_minute` itself.
pub fn source(server: &MockServer, page_size: usize, extra: &str) -> SourceConfig {
    let rate = if extra.contains("requests_per_minute") {
        ""
    } else {
        "requests_per_minute = 60000\n"
    };
    SourceConfig::from_toml(
        SourceId::parse("mock").unwrap(),
        std::path::Path::new("mock.toml"),
        &format!(
            "style = \"openedx\"\nbase_url = \"{}\"\npage_size = {page_size}\n{rate}{extra}",
            server.uri()
        ),
    )
    .unwrap()
}

/// One sync of `source` with a fresh HTTP client; panics only if the sync could not record
/// a run at all (a failed run is a report, not an error).
pub async fn sync(store: &Store, source: &SourceConfig) -> SyncReport {
    let client = HttpClient::new().unwrap();
    sync_source(store, &client, source, None).await.unwrap()
}

/// Every stored listing (active and withdrawn), in the store's listing order.
pub async fn listings(store: &Store) -> Vec<StoredListing> {
    store
        .listings_page(&ListingFilter::default(), None, 10_000)
        .await
        .unwrap()
}
