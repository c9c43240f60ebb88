//! Errors of the read API, answered as RFC 9457 `application/problem+json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Why a request was not answered with what it asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A query parameter, path segment or body field is malformed or unknown (400); the
    /// body names it in `parameter`.
    #[error("parameter `{parameter}`: {detail}")]
    BadParameter { parameter: String, detail: String },
    /// No such course, listing, source or endpoint (404).
    #[error("{0}")]
    NotFound(String),
    /// An admin endpoint without a valid bearer token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Admin endpoints are off: no token is configured (403).
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with work in progress (409).
    #[error("{0}")]
    Conflict(String),
    /// The database or another dependency is not ready (503).
    #[error("{0}")]
    Unavailable(String),
    /// The request took longer than the configured limit (503).
    #[error("{0}")]
    Timeout(String),
    /// A database failure (500); the detail stays in the log.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    pub fn bad(parameter: &str, detail: impl Into<String>) -> Self {
        Self::BadParameter {
            parameter: parameter.to_owned(),
            detail: detail.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadParameter { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) | Self::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: `title` is the HTTP status phrase.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What was wrong, for a human.
    pub detail: String,
    /// The query parameter, path segment or body field at fault (400 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// A problem response with `status` and `detail`.
pub fn problem(status: StatusCode, detail: String, parameter: Option<String>) -> Response {
    let body = Problem {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").into(),
        status: status.as_u16(),
        detail,
        parameter,
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
        bytes,
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            Self::BadParameter { parameter, detail } => problem(
                status,
                format!("parameter `{parameter}`: {detail}"),
                Some(parameter),
            ),
            Self::Store(e) => {
                tracing::error!(error = %e, "Database error while answering a request.");
                problem(
                    status,
                    "the catalogue database failed; the error is in the server log".into(),
                    None,
                )
            }
            Self::Unauthorized(detail) => {
                let mut res = problem(status, detail, None);
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"coursefed-admin\""),
                );
                res
            }
            other => problem(status, other.to_string(), None),
        }
    }
}
