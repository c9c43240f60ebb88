//! Admin endpoints: `POST /v1/sources/{id}/sync` and the dedup overrides
//! `POST /v1/dedup/link` / `POST /v1/dedup/unlink`. They need
//! `Authorization: Bearer <token>` with the configured token (`[api] admin_token` or env
//! `COURSEFED_ADMIN_TOKEN`); without a configured token they are off and answer 403.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::ApiState;
use super::error::{ApiError, Problem};

/// Checks the bearer token in constant time (over hashes, so the length leaks nothing).
pub fn authorize(st: &ApiState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = st.admin_token.as_deref() else {
        return Err(ApiError::Forbidden(
            "admin endpoints are off: configure a token ([api] admin_token or COURSEFED_ADMIN_TOKEN)".into(),
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(|| {
            ApiError::Unauthorized("an `Authorization: Bearer <token>` header is required".into())
        })?;
    let a = blake3::hash(given.as_bytes());
    let b = blake3::hash(expected.as_bytes());
    if bool::from(a.as_bytes().ct_eq(b.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(
            "the bearer token is not valid".into(),
        ))
    }
}

/// A sync started in the background.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncStarted {
    pub source: String,
    /// `started`.
    pub status: String,
    /// Where its run will appear.
    pub runs: String,
}

/// Runs one sync of a configured source now, in the background.
#[utoipa::path(
    post,
    path = "/v1/sources/{id}/sync",
    tag = "admin",
    params(("id" = String, Path, description = "A configured source id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Started; the run shows in `GET /v1/sources/{id}/runs`", body = SyncStarted),
        (status = 401, description = "No or wrong bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admin endpoints are off (no token configured)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No configured source with that id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A sync of this source is still running (started here, or holding the source's lease elsewhere)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sync_source(
    State(st): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&st, &headers)?;
    let Some(source) = st.sources.iter().find(|s| s.id.as_str() == id).cloned() else {
        return Err(ApiError::NotFound(format!("no configured source {id:?}")));
    };
    let Some(client) = st.http.clone() else {
        return Err(ApiError::Unavailable(
            "this server has no HTTP client to sync with".into(),
        ));
    };
    // Another process (a daemon, a CLI sync) holding the source's live lease would refuse
    // the run: say so now rather than answer 202 for a run that cannot start. (A lease
    // taken between this check and the run still refuses it; the log says so.)
    if let Some(held) = st.store.lease_of(&id).await?
        && held.expires_at > chrono::Utc::now()
    {
        return Err(ApiError::Conflict(format!(
            "source {id:?} is being synced by {} until {}",
            held.holder,
            held.expires_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    {
        let mut running = st.syncing.lock().unwrap_or_else(|e| e.into_inner());
        if !running.insert(id.clone()) {
            return Err(ApiError::Conflict(format!(
                "a sync of {id:?} started through the API is still running"
            )));
        }
    }
    let store = st.store.clone();
    let syncing = st.syncing.clone();
    let sid = id.clone();
    tokio::spawn(async move {
        match crate::sync::sync_source(&store, &client, &source, None).await {
            Ok(r) => {
                tracing::info!(source = %sid, run = r.run_id, outcome = ?r.outcome, "Admin sync finished.")
            }
            Err(e) => {
                tracing::error!(source = %sid, error = %e, "Admin sync could not write its ledger.")
            }
        }
        syncing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&sid);
    });
    let runs = format!("/v1/sources/{id}/runs");
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, runs.clone())],
        axum::Json(SyncStarted {
            source: id,
            status: "started".into(),
            runs,
        }),
    )
        .into_response())
}

/// The body of the dedup overrides.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// Listing ids (`source:external_id`), at least two.
    pub listings: Vec<String>,
    /// Why (stored with the override and shown by `coursefed dedup explain`).
    #[serde(default)]
    pub reason: Option<String>,
}

fn link_request(body: &Bytes) -> Result<LinkRequest, ApiError> {
    let req: LinkRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(
            "listings",
            format!("the body is not {{\"listings\": [ids]}}: {e}"),
        )
    })?;
    if req.listings.len() < 2 {
        return Err(ApiError::bad("listings", "name at least two listing ids"));
    }
    if let Some(bad) = req.listings.iter().find(|l| !l.contains(':')) {
        return Err(ApiError::bad(
            "listings",
            format!("{bad:?} is not a listing id (source:external_id)"),
        ));
    }
    Ok(req)
}

/// Forces listings into one course (an operator's override of dedup).
#[utoipa::path(
    post,
    path = "/v1/dedup/link",
    tag = "admin",
    request_body = LinkRequest,
    security(("bearer" = [])),
    responses(
        (status = 400, description = "A bad body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or wrong bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admin endpoints are off", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The override is stored and the listings re-matched: each listing's course now", body = OverrideResult),
        (status = 404, description = "An unknown listing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dedup_link(
    State(st): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&st, &headers)?;
    let req = link_request(&body)?;
    apply_override(&st, req, true).await
}

/// Keeps listings apart (an operator's override of dedup).
#[utoipa::path(
    post,
    path = "/v1/dedup/unlink",
    tag = "admin",
    request_body = LinkRequest,
    security(("bearer" = [])),
    responses(
        (status = 400, description = "A bad body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or wrong bearer token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admin endpoints are off", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The override is stored and the listings re-matched: each listing's course now", body = OverrideResult),
        (status = 404, description = "An unknown listing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dedup_unlink(
    State(st): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&st, &headers)?;
    let req = link_request(&body)?;
    apply_override(&st, req, false).await
}

/// What an override did.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OverrideResult {
    /// `link` or `unlink`.
    pub action: &'static str,
    /// Each listing named and the course it belongs to now.
    pub courses: std::collections::BTreeMap<String, String>,
    /// Courses merged and split by the re-match.
    pub merged: u64,
    pub split: u64,
}

/// Stores a link (every listing with the first) or an unlink (every pair) and answers
/// each listing's course afterwards.
async fn apply_override(st: &ApiState, req: LinkRequest, link: bool) -> Result<Response, ApiError> {
    for id in &req.listings {
        if st.store.get_listing(id).await?.is_none() {
            return Err(ApiError::NotFound(format!("no listing {id:?}")));
        }
    }
    let note = crate::dedup::OverrideNote {
        reason: req.reason.clone(),
        by: "api:admin-token".into(),
    };
    // A link joins every listing to the first; an unlink keeps every pair apart.
    let ids = &req.listings;
    let pairs: Vec<(&String, &String)> = if link {
        ids.iter().skip(1).map(|b| (&ids[0], b)).collect()
    } else {
        ids.iter()
            .enumerate()
            .flat_map(|(i, a)| ids[i + 1..].iter().map(move |b| (a, b)))
            .collect()
    };
    let pairs = pairs.into_iter().filter(|(a, b)| a != b);
    let (mut merged, mut split) = (0, 0);
    for (a, b) in pairs {
        let stats = if link {
            crate::dedup::link(&st.store, a, b, &note).await?
        } else {
            crate::dedup::unlink(&st.store, a, b, &note).await?
        };
        merged += stats.merged;
        split += stats.split;
    }
    let mut courses = std::collections::BTreeMap::new();
    for id in &req.listings {
        if let Some(l) = st.store.get_listing(id).await? {
            courses.insert(id.clone(), l.course_id);
        }
    }
    Ok(axum::Json(OverrideResult {
        action: if link { "link" } else { "unlink" },
        courses,
        merged,
        split,
    })
    .into_response())
}
