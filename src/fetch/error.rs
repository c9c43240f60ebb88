//! Errors of the fetch layer.

/// Why a request did not produce a usable response, after every allowed try.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with a status that is not retried (4xx other than 429), or a
    /// retried status on the last try.
    #[error("GET {url}: HTTP {status} after {attempts} attempt(s)")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
    },
    /// No response within the configured timeout on the last try.
    #[error("{url}: timed out after {attempts} attempt(s)")]
    Timeout { url: String, attempts: u32 },
    /// The body is larger than `max_body_bytes`.
    #[error("{url}: response body exceeds the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    /// Connection, TLS or protocol failure on the last try.
    #[error("{url}: {message} (after {attempts} attempt(s))")]
    Transport {
        url: String,
        message: String,
        attempts: u32,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
