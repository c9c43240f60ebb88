//! `GET /v1/changes?after=SEQ&limit=N`: the change log as a feed. Sequence numbers are
//! monotonic and assigned in commit order, so a consumer that stores the last `seq` it
//! processed and asks for `after=` it never misses or double-reads a change.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::ApiState;
use super::error::{ApiError, Problem};
use super::params::Params;
use super::respond::{JSON, cached};

/// The largest page of changes.
pub const MAX_LIMIT: i64 = 1000;

/// The query parameters of `GET /v1/changes` (documentation; parsed by hand).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ChangeParams {
    /// Changes with a sequence number greater than this (default 0: from the start).
    after: Option<i64>,
    /// Changes per page, 1–1000 (default 100).
    limit: Option<u32>,
}

/// One change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    /// Monotonic sequence number.
    pub seq: i64,
    /// `course` or `listing`.
    pub entity: String,
    /// The course id, or the listing id `source:external_id`.
    pub id: String,
    /// `upsert`, `withdraw`, `merge` or `split`.
    pub kind: String,
    /// When it was committed (RFC 3339 UTC).
    pub at: String,
    /// Where the entity is read now.
    pub href: Option<String>,
}

/// A page of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeFeed {
    pub changes: Vec<ChangeView>,
    /// The next page: `after` the last change here (or the same `after` when there was
    /// none yet). Always present: poll it.
    pub next: String,
}

fn href(entity: &str, id: &str) -> Option<String> {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    match entity {
        "course" => Some(format!("/v1/courses/{}", enc(id))),
        "listing" => id
            .split_once(':')
            .map(|(s, e)| format!("/v1/listings/{}/{}", enc(s), enc(e))),
        _ => None,
    }
}

/// The change log after a sequence number.
#[utoipa::path(
    get,
    path = "/v1/changes",
    tag = "changes",
    params(ChangeParams),
    responses(
        (status = 200, description = "Changes in sequence order", body = ChangeFeed),
        (status = 304, description = "Not modified"),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn changes(
    State(st): State<Arc<ApiState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["after", "limit"])?;
    let after = p.int("after", 0, i64::MAX, 0)?;
    let limit = p.int("limit", 1, MAX_LIMIT, 100)?;
    let rows = st
        .store
        .change_feed(after, u32::try_from(limit).unwrap_or(100))
        .await?;
    let last = rows.last().map_or(after, |r| r.seq);
    let changes = rows
        .into_iter()
        .map(|r| ChangeView {
            href: href(&r.entity, &r.entity_id),
            seq: r.seq,
            entity: r.entity,
            id: r.entity_id,
            kind: r.kind,
            at: r.at,
        })
        .collect();
    cached(
        &headers,
        JSON,
        &ChangeFeed {
            changes,
            next: format!("/v1/changes?after={last}&limit={limit}"),
        },
    )
}
