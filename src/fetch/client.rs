//! The shared client and the per-source fetcher (rate limit + retry policy).
//! SKELETON: to be completed (governor rate limit, backon retries, Retry-After, size limit).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use url::Url;

use super::FetchError;
use crate::config::SourceConfig;

/// The User-Agent every request carries.
pub const USER_AGENT: &str = concat!(
    "coursefed/",
    env!("CARGO_PKG_VERSION"),
    " (federated course catalogue; +https://github.com/coursefed/coursefed)"
);

/// One reqwest client shared by every connector (connection pools, TLS config, cookies).
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    pub fn new() -> Result<Self, FetchError> {
        crate::install_crypto_provider();
        let inner = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Self { inner })
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.inner
    }
}

/// How one source's requests are made.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    pub requests_per_minute: std::num::NonZeroU32,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub max_body_bytes: u64,
}

impl FetchPolicy {
    pub fn of(source: &SourceConfig) -> Self {
        Self {
            requests_per_minute: source.requests_per_minute,
            timeout: source.timeout,
            max_attempts: source.max_attempts,
            max_body_bytes: source.max_body_bytes,
        }
    }
}

/// A successful response, read whole (within the size limit).
#[derive(Debug, Clone)]
pub struct FetchedPage {
    /// The final URL (after redirects).
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Tries it took (1 = no retry).
    pub attempts: u32,
}

/// Fetches for one source: its rate limit and retry policy over the shared client.
#[derive(Clone)]
pub struct SourceFetcher {
    client: HttpClient,
    policy: Arc<FetchPolicy>,
}

impl SourceFetcher {
    pub fn new(client: &HttpClient, policy: FetchPolicy) -> Self {
        Self {
            client: client.clone(),
            policy: Arc::new(policy),
        }
    }

    /// GET `url`.
    pub async fn get(&self, url: &Url) -> Result<FetchedPage, FetchError> {
        self.send(|c| c.get(url.clone())).await
    }

    /// Sends the request `build` makes (called again for each try).
    pub async fn send<F>(&self, build: F) -> Result<FetchedPage, FetchError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let req = build(self.client.reqwest())
            .timeout(self.policy.timeout)
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        let url = req.url().clone();
        let resp = self
            .client
            .reqwest()
            .execute(req)
            .await
            .map_err(|e| FetchError::Transport {
                url: url.to_string(),
                message: e.to_string(),
                attempts: 1,
            })?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
                attempts: 1,
            });
        }
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let body = resp.bytes().await.map_err(|e| FetchError::Transport {
            url: url.to_string(),
            message: e.to_string(),
            attempts: 1,
        })?;
        Ok(FetchedPage {
            url: final_url,
            status,
            headers,
            body,
            attempts: 1,
        })
    }
}
