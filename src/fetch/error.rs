//! Errors of the fetch layer: one variant per way a request can end without a usable
//! response, each naming the request (method and URL) and how many tries were made.

use std::time::Duration;

/// Why a request did not produce a usable response, after every allowed try.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The server answered with a status that is not retried (4xx other than 408 and 429),
    /// or with a retried status (408, 429, 500, 502, 503, 504) on the last allowed try.
    #[error("{method} {url}: HTTP {status} after {attempts} attempt(s)")]
    Status {
        method: String,
        url: String,
        status: u16,
        attempts: u32,
    },
    /// The server answered 429 or 503 with a `Retry-After` longer than the policy lets a
    /// run wait, so the request was given up at once instead of stalling the run.
    #[error(
        "{method} {url}: HTTP {status}, and the server asked to wait {wait_secs} s before \
         retrying (more than the {max_wait_secs} s allowed); gave up after {attempts} attempt(s)"
    )]
    RetryAfterTooLong {
        method: String,
        url: String,
        status: u16,
        /// What the server asked for, in whole seconds (rounded up).
        wait_secs: u64,
        /// `FetchPolicy::max_retry_wait`, in whole seconds.
        max_wait_secs: u64,
        attempts: u32,
    },
    /// No complete response (headers and body) within the per-request timeout on the last
    /// allowed try.
    #[error("{method} {url}: no complete response within {timeout:?}, after {attempts} attempt(s)")]
    Timeout {
        method: String,
        url: String,
        timeout: Duration,
        attempts: u32,
    },
    /// The body (after decompression) is larger than `max_body_bytes`. Never retried: the
    /// same URL would send the same body again.
    #[error("{method} {url}: response body exceeds the limit of {limit} bytes")]
    TooLarge {
        method: String,
        url: String,
        limit: u64,
    },
    /// Connection, TLS, protocol or body-read failure on the last allowed try, or a failure
    /// that is never retried (too many redirects).
    #[error("{method} {url}: {message} (after {attempts} attempt(s))")]
    Transport {
        method: String,
        url: String,
        message: String,
        attempts: u32,
    },
    /// The request the connector built is invalid (bad URL or header value); nothing was
    /// sent.
    #[error("cannot build the request for {url}: {message}")]
    Request { url: String, message: String },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } | Self::RetryAfterTooLong { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The tries made before giving up (0 when nothing could be sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Status { attempts, .. }
            | Self::RetryAfterTooLong { attempts, .. }
            | Self::Timeout { attempts, .. }
            | Self::Transport { attempts, .. } => *attempts,
            // A body is only refused once a response arrived, so at least one try was made;
            // the exact number is not kept because the refusal ends the request at once.
            Self::TooLarge { .. } => 1,
            Self::Request { .. } | Self::Client(_) => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_reported_for_answers_and_not_for_timeouts() {
        let answered = FetchError::Status {
            method: "GET".into(),
            url: "http://x/".into(),
            status: 404,
            attempts: 1,
        };
        let timed_out = FetchError::Timeout {
            method: "GET".into(),
            url: "http://x/".into(),
            timeout: Duration::from_secs(1),
            attempts: 3,
        };
        assert_eq!(answered.status(), Some(404));
        assert_eq!(timed_out.status(), None);
        assert_eq!(timed_out.attempts(), 3);
    }

    #[test]
    fn retry_after_error_names_the_requested_wait_and_the_url() {
        let e = FetchError::RetryAfterTooLong {
            method: "GET".into(),
            url: "http://x/catalogue".into(),
            status: 429,
            wait_secs: 3600,
            max_wait_secs: 120,
            attempts: 1,
        };
        let text = e.to_string();
        assert!(text.contains("GET http://x/catalogue"), "{text}");
        assert!(text.contains("wait 3600 s"), "{text}");
        assert!(text.contains("120 s allowed"), "{text}");
    }
}
