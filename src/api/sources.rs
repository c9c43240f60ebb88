//! `GET /v1/sources` and `GET /v1/sources/{id}/runs`: the health data of
//! `coursefed sources` — each source, its listing counts and its latest runs.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::ApiState;
use super::error::{ApiError, Problem};
use super::params::Params;
use super::respond::{JSON, cached};
use crate::store::{SourceOverview, SyncRunRow};

/// A source and how it is doing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceView {
    pub id: String,
    pub name: String,
    pub style: String,
    pub base_url: String,
    /// Whether a connector file configures it (this server can sync it).
    pub configured: bool,
    /// Whether its connector file enables scheduled runs (null if not configured).
    pub enabled: Option<bool>,
    pub active_listings: u64,
    pub withdrawn_listings: u64,
    /// The newest run in the ledger.
    pub last_run: Option<SyncRunRow>,
    /// For a configured source, what `coursefed sources --json` shows: last success, next
    /// scheduled run, rejects in the last run, freshness lag against the schedule, lease.
    pub health: Option<crate::store::SourceHealth>,
}

/// Every source.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SourceList {
    pub sources: Vec<SourceView>,
}

/// A source's newest runs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunList {
    pub source: String,
    /// Newest first: outcome, counts (pages, seen, created, updated, unchanged, withdrawn,
    /// rejected) and the first error.
    pub runs: Vec<SyncRunRow>,
}

/// The health of every known source: those a sync recorded, and those configured but not
/// yet synced. Six queries whatever the number of sources: the source table and
/// [`Store::source_overview`](crate::store::Store::source_overview).
pub async fn source_health(st: &ApiState) -> Result<Vec<SourceView>, ApiError> {
    let now = chrono::Utc::now();
    let recorded = st.store.list_sources().await?;
    let mut overview = st.store.source_overview().await?;
    let view = |id: &str, name: String, style: String, base_url: String, o: &mut SourceOverview| {
        let config = st.sources.iter().find(|c| c.id.as_str() == id);
        let (active, withdrawn) = o.listing_counts(id);
        // Health first: it reads the newest run that `last_run` then takes out.
        let health = config.map(|c| o.health(c, now));
        SourceView {
            id: id.to_owned(),
            name,
            style,
            base_url,
            configured: config.is_some(),
            enabled: config.map(|c| c.enabled),
            active_listings: active,
            withdrawn_listings: withdrawn,
            health,
            last_run: o.latest_run.remove(id),
        }
    };
    let mut out: Vec<SourceView> = recorded
        .into_iter()
        .map(|s| view(&s.id, s.name, s.style, s.base_url, &mut overview))
        .collect();
    for c in st.sources.iter() {
        if !out.iter().any(|s| s.id == c.id.as_str()) {
            out.push(view(
                c.id.as_str(),
                c.name.clone(),
                c.style.name().to_owned(),
                c.base_url.to_string(),
                &mut overview,
            ));
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Every source with its listing counts and last run.
#[utoipa::path(
    get,
    path = "/v1/sources",
    tag = "sources",
    responses(
        (status = 200, description = "Sources by id", body = SourceList),
        (status = 304, description = "Not modified"),
    )
)]
pub async fn list_sources(
    State(st): State<Arc<ApiState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let sources = source_health(&st).await?;
    cached(&headers, JSON, &SourceList { sources })
}

/// A source's newest runs from the sync ledger.
#[utoipa::path(
    get,
    path = "/v1/sources/{id}/runs",
    tag = "sources",
    params(
        ("id" = String, Path, description = "The source id"),
        ("limit" = Option<u32>, Query, description = "Runs, 1–100 (default 20)"),
    ),
    responses(
        (status = 200, description = "Runs, newest first", body = RunList),
        (status = 304, description = "Not modified"),
        (status = 400, description = "A bad parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such source", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_runs(
    State(st): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(raw.as_deref(), &["limit"])?;
    let limit = p.int("limit", 1, 100, 20)?;
    let runs = st
        .store
        .list_runs(Some(&id), u32::try_from(limit).unwrap_or(20))
        .await?;
    let known = !runs.is_empty()
        || st.sources.iter().any(|c| c.id.as_str() == id)
        || st.store.list_sources().await?.iter().any(|s| s.id == id);
    if !known {
        return Err(ApiError::NotFound(format!("no source {id:?}")));
    }
    cached(&headers, JSON, &RunList { source: id, runs })
}
