//! The one HTTP client every connector fetches through: rustls, gzip/brotli, a
//! descriptive User-Agent, timeouts, a response size limit, a per-source rate limit and
//! retries with exponential back-off and jitter that honour `Retry-After`.

mod client;
mod error;

pub use client::{FetchPolicy, FetchedPage, HttpClient, SourceFetcher, USER_AGENT};
pub use error::FetchError;
