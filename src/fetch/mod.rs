//! The one HTTP client every connector fetches through: rustls, gzip/brotli, a
//! descriptive User-Agent, timeouts, a response size limit, a per-source rate limit and
//! retries with exponential back-off and jitter that honour `Retry-After`.

mod client;
mod error;
mod fetcher;
pub mod hosts;
mod retry;

pub use client::{FetchPolicy, HttpClient, USER_AGENT};
pub use error::FetchError;
pub use fetcher::{FetchedPage, SourceFetcher};
/// The rate limiter type a [`SourceFetcher`] waits on (shareable between sources).
pub use governor::DefaultDirectRateLimiter;
