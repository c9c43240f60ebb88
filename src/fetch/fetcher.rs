//! Fetching for one source: its rate limit, retries, timeouts, size limit and cookie jar
//! over the shared client settings. Connectors reach it through `RunContext`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use governor::DefaultDirectRateLimiter;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, IF_MODIFIED_SINCE, IF_NONE_MATCH, RETRY_AFTER};
use tracing::{error, warn};
use url::Url;

use super::retry::{self, Backoff};
use super::{FetchError, FetchPolicy, HttpClient};

/// A usable response, read whole (within the size limit): a 2xx, or a 304 answering a
/// conditional request (then `body` is empty).
#[derive(Debug, Clone)]
pub struct FetchedPage {
    /// The final URL (after redirects).
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    /// Decompressed.
    pub body: Bytes,
    /// Tries it took (1 = no retry).
    pub attempts: u32,
}

impl FetchedPage {
    /// True for a 304: the page has not changed since the `ETag` / `Last-Modified` sent.
    pub fn not_modified(&self) -> bool {
        self.status == StatusCode::NOT_MODIFIED.as_u16()
    }
}

/// Fetches for one source: its rate limit, retry policy and cookie jar.
///
/// Clones share everything (client, jar, limiter, retry counter): they are the same
/// source. Two fetchers made with [`SourceFetcher::new`] share nothing but the settings.
#[derive(Clone)]
pub struct SourceFetcher {
    client: reqwest::Client,
    cookies: Arc<Jar>,
    policy: Arc<FetchPolicy>,
    limiter: Arc<DefaultDirectRateLimiter>,
    retries: Arc<AtomicU64>,
}

impl SourceFetcher {
    /// A fetcher with its own cookie jar and its own rate limiter from `policy`.
    pub fn new(client: &HttpClient, policy: FetchPolicy) -> Self {
        match Self::try_new(client, policy.clone()) {
            Ok(fetcher) => fetcher,
            Err(e) => {
                // Unreachable in practice: the shared client was built from the same
                // settings. Falling back keeps the run alive at the cost of sharing that
                // client's cookie jar, which an operator should know about.
                error!(error = %e, "Cannot build a per-source HTTP client; using the shared one.");
                let limiter = policy.rate_limiter();
                Self {
                    client: client.reqwest().clone(),
                    cookies: Arc::new(Jar::default()),
                    policy: Arc::new(policy),
                    limiter,
                    retries: Arc::new(AtomicU64::new(0)),
                }
            }
        }
    }

    /// A fetcher with its own cookie jar and rate limiter, or why its client cannot be built.
    pub fn try_new(client: &HttpClient, policy: FetchPolicy) -> Result<Self, FetchError> {
        let cookies = Arc::new(Jar::default());
        Ok(Self {
            client: client.client_with_jar(Arc::clone(&cookies))?,
            cookies,
            limiter: policy.rate_limiter(),
            policy: Arc::new(policy),
            retries: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Uses `limiter` instead of this fetcher's own, e.g. one limiter for every source on
    /// the same host (make it with [`FetchPolicy::rate_limiter`]).
    #[must_use]
    pub fn with_limiter(mut self, limiter: Arc<DefaultDirectRateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The rate limiter every try waits on.
    pub fn limiter(&self) -> &Arc<DefaultDirectRateLimiter> {
        &self.limiter
    }

    /// The policy this fetcher applies.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// Retries made so far by this fetcher and its clones (for metrics).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// This source's cookie jar (session warm-up sets cookies here).
    pub fn cookie_jar(&self) -> &Arc<Jar> {
        &self.cookies
    }

    /// The value of cookie `name` that would be sent to `url`, e.g. a Django `csrftoken`
    /// that must be echoed in a header.
    pub fn cookie(&self, url: &Url, name: &str) -> Option<String> {
        let header = self.cookies.cookies(url)?;
        cookie_value(header.to_str().ok()?, name)
    }

    /// GET `url`.
    pub async fn get(&self, url: &Url) -> Result<FetchedPage, FetchError> {
        self.send(|c| c.get(url.clone())).await
    }

    /// GET `url` unless it is unchanged since the `etag` / `last_modified` of an earlier
    /// response; an unchanged page comes back with status 304 and an empty body.
    pub async fn get_conditional(
        &self,
        url: &Url,
        etag: Option<&str>,
        last_modified: Option<&str>,
    ) -> Result<FetchedPage, FetchError> {
        self.send(|c| {
            let mut request = c.get(url.clone());
            if let Some(etag) = etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(date) = last_modified {
                request = request.header(IF_MODIFIED_SINCE, date);
            }
            request
        })
        .await
    }

    /// Sends the request `build` makes (called again for each try): waits for the rate
    /// limiter before every try, retries 408, 429, 5xx (but 501), timeouts and transport
    /// failures with back-off or the server's `Retry-After`, up to `max_attempts` tries.
    pub async fn send<F>(&self, build: F) -> Result<FetchedPage, FetchError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        // A hand-written loop over backon's schedule rather than `Retryable`: a long
        // `Retry-After` must end the request with its own error, and every error carries
        // the number of tries made.
        let policy = &*self.policy;
        let max_attempts = policy.max_attempts.max(1);
        let mut backoff = Backoff::new(policy);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let request = build(&self.client)
                .timeout(policy.timeout)
                .build()
                .map_err(request_error)?;
            let method = request.method().to_string();
            let url = request.url().clone();
            self.limiter.until_ready().await;

            let failure = match self.attempt(request).await {
                Ok(mut page) => {
                    page.attempts = attempt;
                    return Ok(page);
                }
                Err(failure) => failure,
            };
            if !failure.is_retryable() || attempt >= max_attempts {
                return Err(failure.into_error(method, url, attempt, policy));
            }
            let delay = match failure.retry_after() {
                Some(wait) if wait > policy.max_retry_wait => {
                    return Err(FetchError::RetryAfterTooLong {
                        method,
                        url: url.to_string(),
                        status: failure.status().unwrap_or_default(),
                        wait_secs: retry::ceil_secs(wait),
                        max_wait_secs: retry::ceil_secs(policy.max_retry_wait),
                        attempts: attempt,
                    });
                }
                Some(wait) => wait,
                None => backoff.next_delay(),
            };
            self.retries.fetch_add(1, Ordering::Relaxed);
            let status = failure.status();
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            warn!(
                url = %url,
                attempt,
                status,
                delay_ms,
                cause = %failure,
                "Retrying request."
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// One try: the exchange and the whole body, within the per-request timeout.
    async fn attempt(&self, request: reqwest::Request) -> Result<FetchedPage, Failure> {
        let limit = self.policy.max_body_bytes;
        let exchange = async {
            let mut response = self.client.execute(request).await.map_err(Failure::from)?;
            let status = response.status();
            let url = response.url().clone();
            let headers = response.headers().clone();
            if status == StatusCode::NOT_MODIFIED {
                return Ok(FetchedPage {
                    url,
                    status: status.as_u16(),
                    headers,
                    body: Bytes::new(),
                    attempts: 0,
                });
            }
            if !status.is_success() {
                let retry_after = retry::honours_retry_after(status.as_u16())
                    .then(|| headers.get(RETRY_AFTER)?.to_str().ok())
                    .flatten()
                    .and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
                return Err(Failure::Status {
                    status: status.as_u16(),
                    retry_after,
                });
            }
            // Known only when the body is not compressed (reqwest drops the length of a
            // body it decompresses); the streaming count below covers the rest.
            let announced = response.content_length();
            if announced.is_some_and(|n| n > limit) {
                return Err(Failure::TooLarge);
            }
            let capacity = announced.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
            let mut body = BytesMut::with_capacity(capacity);
            while let Some(chunk) = response.chunk().await.map_err(Failure::from)? {
                let len = u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
                if len > limit {
                    return Err(Failure::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(FetchedPage {
                url,
                status: status.as_u16(),
                headers,
                body: body.freeze(),
                attempts: 0,
            })
        };
        // reqwest's own timeout covers the same span; this one also bounds our chunk
        // loop and makes "timed out" mean one thing whoever notices first.
        tokio::time::timeout(self.policy.timeout, exchange)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }
}

/// Why one try failed.
#[derive(Debug)]
enum Failure {
    /// The server answered with a status that is neither 2xx nor 304.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// No complete response within the timeout.
    Timeout,
    /// The exchange failed: connection, TLS, protocol, a body cut short, a redirect loop.
    Transport { message: String, retryable: bool },
    /// The body is over the size limit.
    TooLarge,
}

impl Failure {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => retry::is_retryable_status(*status),
            Self::Timeout => true,
            Self::Transport { retryable, .. } => *retryable,
            Self::TooLarge => false,
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn into_error(
        self,
        method: String,
        url: Url,
        attempts: u32,
        policy: &FetchPolicy,
    ) -> FetchError {
        let url = url.to_string();
        match self {
            Self::Status { status, .. } => FetchError::Status {
                method,
                url,
                status,
                attempts,
            },
            Self::Timeout => FetchError::Timeout {
                method,
                url,
                timeout: policy.timeout,
                attempts,
            },
            Self::Transport { message, .. } => FetchError::Transport {
                method,
                url,
                message,
                attempts,
            },
            Self::TooLarge => FetchError::TooLarge {
                method,
                url,
                limit: policy.max_body_bytes,
            },
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status { status, .. } => write!(f, "HTTP {status}"),
            Self::Timeout => f.write_str("timed out"),
            Self::Transport { message, .. } => f.write_str(message),
            Self::TooLarge => f.write_str("body over the size limit"),
        }
    }
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            return Self::Timeout;
        }
        // A redirect loop or too many hops will not go away on its own; everything else
        // (refused or reset connections, TLS, HTTP/2 resets, a body cut short or
        // undecodable mid-stream) can be a passing fault.
        let retryable = !e.is_redirect();
        Self::Transport {
            message: describe(&e.without_url()),
            retryable,
        }
    }
}

/// The request could not be built (bad URL or header value): nothing was sent.
fn request_error(e: reqwest::Error) -> FetchError {
    let url = e
        .url()
        .map_or_else(|| "(unknown URL)".to_owned(), Url::to_string);
    FetchError::Request {
        url,
        message: describe(&e.without_url()),
    }
}

/// An error and its causes, on one line: reqwest's own message is only the outermost
/// ("error sending request"), the useful part ("connection refused") is in the chain.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The value of cookie `name` in a `Cookie` header (`a=1; b=2`).
fn cookie_value(header: &str, name: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_value_is_found_among_several() {
        let header = "sessionid=abc; csrftoken=tok=en; lang=zh";
        assert_eq!(cookie_value(header, "csrftoken").as_deref(), Some("tok=en"));
        assert_eq!(cookie_value(header, "lang").as_deref(), Some("zh"));
        assert_eq!(cookie_value(header, "missing"), None);
    }

    #[test]
    fn too_large_and_client_errors_are_not_retried_but_server_errors_are() {
        assert!(!Failure::TooLarge.is_retryable());
        assert!(
            !Failure::Status {
                status: 404,
                retry_after: None
            }
            .is_retryable()
        );
        assert!(
            Failure::Status {
                status: 503,
                retry_after: None
            }
            .is_retryable()
        );
        assert!(Failure::Timeout.is_retryable());
    }

    #[test]
    fn final_error_names_method_url_attempts_and_last_status() {
        let url = Url::parse("http://example.test/api?page=2").expect("test URL");
        let error = Failure::Status {
            status: 503,
            retry_after: None,
        }
        .into_error("POST".into(), url, 4, &FetchPolicy::default());
        assert_eq!(error.status(), Some(503));
        assert_eq!(
            error.to_string(),
            "POST http://example.test/api?page=2: HTTP 503 after 4 attempt(s)"
        );
    }

    #[test]
    fn jar_cookie_is_read_back_for_its_site_only() {
        let jar = Jar::default();
        let site = Url::parse("https://www.example.test/").expect("test URL");
        let other = Url::parse("https://other.test/").expect("test URL");
        jar.add_cookie_str("csrftoken=t0k; Path=/", &site);
        let header = jar.cookies(&site);
        let text = header.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("");
        assert_eq!(cookie_value(text, "csrftoken").as_deref(), Some("t0k"));
        assert!(jar.cookies(&other).is_none());
    }
}
