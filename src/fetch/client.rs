//! The shared HTTP client settings (rustls, gzip/brotli, User-Agent, connect timeout,
//! redirect limit) and the per-source fetch policy read from a connector file.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::cookie::Jar;

use super::FetchError;
use crate::config::SourceConfig;

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!(
    "coursefed/",
    env!("CARGO_PKG_VERSION"),
    " (federated course catalogue; +https://github.com/coursefed/coursefed)"
);

/// Time to open a TCP (and TLS) connection; the per-request timeout bounds the rest.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Redirects followed before a request fails: catalogue APIs redirect once or twice
/// (http→https, trailing slash); more is a loop or a misconfigured base URL.
const MAX_REDIRECTS: usize = 5;

/// The client settings every connector shares, and a ready client built from them.
///
/// Each [`SourceFetcher`](super::SourceFetcher) builds its own reqwest client from these
/// settings with its own cookie jar, so a session cookie of one platform is never sent to
/// another (reqwest keeps one cookie store per client). The price is one connection pool
/// per source, which costs nothing in practice: sources live on different hosts.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    user_agent: Arc<str>,
}

impl HttpClient {
    /// A client sending [`USER_AGENT`].
    pub fn new() -> Result<Self, FetchError> {
        Self::with_user_agent(USER_AGENT)
    }

    /// A client sending `user_agent` (an operator may add a contact address).
    pub fn with_user_agent(user_agent: &str) -> Result<Self, FetchError> {
        crate::install_crypto_provider();
        let user_agent: Arc<str> = Arc::from(user_agent);
        let inner = build_client(&user_agent, Arc::new(Jar::default()))?;
        Ok(Self { inner, user_agent })
    }

    /// The shared client, with its own cookie jar that no source fetcher uses. Requests
    /// made with it get neither the rate limit nor retries: prefer a `SourceFetcher`.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }

    /// The User-Agent this client sends.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// A client with the same settings whose cookies live in `jar`.
    pub(super) fn client_with_jar(&self, jar: Arc<Jar>) -> Result<reqwest::Client, FetchError> {
        build_client(&self.user_agent, jar)
    }
}

fn build_client(user_agent: &str, jar: Arc<Jar>) -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .gzip(true)
        .brotli(true)
        .cookie_provider(jar)
        .build()
        .map_err(|e| FetchError::Client(e.to_string()))
}

/// How one source's requests are made.
///
/// Build it with [`FetchPolicy::of`] from a connector file, or in tests with
/// `FetchPolicy { max_attempts: 2, ..FetchPolicy::default() }`.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Requests a minute, evenly spaced (one every `60 s / n`, no initial burst). Retries
    /// count as requests.
    pub requests_per_minute: NonZeroU32,
    /// Time one try may take: connect, headers and the whole body.
    pub timeout: Duration,
    /// Tries of one request (1 = never retry; 0 is read as 1).
    pub max_attempts: u32,
    /// The largest body accepted, after decompression.
    pub max_body_bytes: u64,
    /// The longest `Retry-After` honoured. A server asking for more fails the request at
    /// once rather than stalling the run.
    pub max_retry_wait: Duration,
    /// The back-off before the first retry; it doubles each retry, plus up to 100 % jitter.
    pub base_backoff: Duration,
    /// The longest back-off between two tries (jitter included).
    pub max_backoff: Duration,
}

impl FetchPolicy {
    /// The default of `max_retry_wait`.
    pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(120);
    /// The default of `base_backoff`.
    pub const DEFAULT_BASE_BACKOFF: Duration = Duration::from_secs(1);
    /// The default of `max_backoff`.
    pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(60);

    /// The policy a connector file sets; the back-off settings take their defaults.
    pub fn of(source: &SourceConfig) -> Self {
        Self {
            requests_per_minute: source.requests_per_minute,
            timeout: source.timeout,
            max_attempts: source.max_attempts,
            max_body_bytes: source.max_body_bytes,
            ..Self::default()
        }
    }

    /// A fresh rate limiter for `requests_per_minute`: evenly spaced, burst of one. Share
    /// the returned limiter between several sources on one host with
    /// [`SourceFetcher::with_limiter`](super::SourceFetcher::with_limiter).
    pub fn rate_limiter(&self) -> Arc<DefaultDirectRateLimiter> {
        // `per_minute(n)` alone would allow a burst of n requests at start; a burst of one
        // spaces every request, the first included, by 60 s / n.
        let quota = Quota::per_minute(self.requests_per_minute).allow_burst(NonZeroU32::MIN);
        Arc::new(RateLimiter::direct(quota))
    }
}

impl Default for FetchPolicy {
    /// The connector-file defaults: 60 requests a minute, 30 s, 5 tries, 32 MiB.
    fn default() -> Self {
        Self {
            requests_per_minute: NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN),
            timeout: Duration::from_secs(30),
            max_attempts: 5,
            max_body_bytes: 32 * 1024 * 1024,
            max_retry_wait: Self::DEFAULT_MAX_RETRY_WAIT,
            base_backoff: Self::DEFAULT_BASE_BACKOFF,
            max_backoff: Self::DEFAULT_MAX_BACKOFF,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limiter_allows_no_initial_burst() {
        let policy = FetchPolicy {
            requests_per_minute: NonZeroU32::new(600).expect("600 is not zero"),
            ..FetchPolicy::default()
        };
        let limiter = policy.rate_limiter();
        assert!(limiter.check().is_ok(), "the first request goes at once");
        assert!(
            limiter.check().is_err(),
            "a second request right after must wait for its slot"
        );
    }

    #[test]
    fn user_agent_names_the_project_and_its_version() {
        assert!(USER_AGENT.starts_with("coursefed/"));
        assert!(USER_AGENT.contains(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn client_builds_with_a_custom_user_agent() {
        let client = HttpClient::with_user_agent("coursefed-test/1 (ops@example.org)");
        assert!(client.is_ok_and(|c| c.user_agent() == "coursefed-test/1 (ops@example.org)"));
    }

    #[test]
    fn invalid_user_agent_is_an_error_not_a_panic() {
        assert!(matches!(
            HttpClient::with_user_agent("bad\nagent"),
            Err(FetchError::Client(_))
        ));
    }
}
