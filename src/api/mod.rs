//! The HTTP server: health and metrics endpoints and the read API for downstream services
//! (courses, listings, search, the change feed, sources, admin). [`router`] builds the
//! routes over an [`ApiState`]; [`serve`] runs them on a bound listener until a shutdown
//! signal. The OpenAPI document is generated from the handlers (`GET /openapi.json`).
//!
//! - [`courses`]: course list (filters, sort, cursors), course by id, listing by id.
//! - [`changes`]: the change feed. [`sources`]: sources and their runs.
//! - [`admin`]: bearer-token endpoints (sync now; dedup overrides).
//! - [`error`]: problem+json. [`respond`]: ETags and 304. [`params`], [`cursor`], [`jsonld`].
//! - [`cache`]: rendered course bodies and pages, validated by the change log's version.
//! - [`search_index`]: the in-process search index (titles, institutions, instructors).
//! - [`bench`]: `coursefed bench api`.

pub mod admin;
pub mod bench;
pub mod cache;
pub mod changes;
pub mod courses;
pub mod cursor;
pub mod error;
pub mod jsonld;
pub mod params;
pub mod respond;
pub mod search_index;
pub mod sources;

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::{ApiConfig, AppConfig, SourceConfig};
use crate::fetch::HttpClient;
use crate::store::Store;
use cache::{CacheOptions, ResponseCache};
use error::{ApiError, PROBLEM_JSON, Problem, problem};
use search_index::SearchIndex;

/// Limits and cross-origin settings of the server (`[api]` in `coursefed.toml`).
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Origins allowed by CORS; empty: no CORS headers; `*`: any origin.
    pub cors_origins: Vec<String>,
    /// A request taking longer is answered 503.
    pub request_timeout: Duration,
    /// A larger request body is refused (413).
    pub max_body_bytes: usize,
    /// The response cache of the course endpoints (see [`cache`]).
    pub cache: CacheOptions,
    /// Searches rank their first tier in memory (see [`search_index`]); off: every search
    /// runs in the database.
    pub search_index: bool,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            request_timeout: Duration::from_secs(crate::config::DEFAULT_API_TIMEOUT_SECONDS),
            max_body_bytes: crate::config::DEFAULT_API_MAX_BODY_BYTES,
            cache: CacheOptions::default(),
            search_index: true,
        }
    }
}

impl From<&ApiConfig> for ApiOptions {
    fn from(c: &ApiConfig) -> Self {
        Self {
            cors_origins: c.cors_origins.clone(),
            request_timeout: c.request_timeout,
            max_body_bytes: c.max_body_bytes,
            cache: CacheOptions {
                max_bytes: c.cache_max_bytes,
                poll: c.cache_poll,
                ..CacheOptions::default()
            },
            search_index: c.search_index,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    /// The admin bearer token (`COURSEFED_ADMIN_TOKEN`); admin endpoints are off without one.
    pub admin_token: Option<String>,
    /// The configured sources (admin sync; `configured` in `/v1/sources`).
    pub sources: Arc<Vec<SourceConfig>>,
    /// The client admin syncs fetch with.
    pub http: Option<HttpClient>,
    pub options: ApiOptions,
    /// Sources whose admin sync is running in this process.
    syncing: Arc<Mutex<HashSet<String>>>,
    /// The OpenAPI document, rendered once when the router is built.
    openapi: Arc<OnceLock<String>>,
    /// Rendered course bodies and pages (see [`cache`]); follows `options.cache`.
    cache: Arc<ResponseCache>,
    /// The in-process search index (see [`search_index`]); None when turned off.
    search: Option<Arc<SearchIndex>>,
}

impl ApiState {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            admin_token: None,
            sources: Arc::new(Vec::new()),
            http: None,
            options: ApiOptions::default(),
            syncing: Arc::default(),
            openapi: Arc::default(),
            cache: Arc::new(ResponseCache::new(CacheOptions::default())),
            search: Some(Arc::new(SearchIndex::new(CacheOptions::default().poll))),
        }
    }

    /// The state for `config`: its `[api]` options and admin token, the given configured
    /// sources and an HTTP client for admin syncs.
    pub fn from_config(store: Store, config: &AppConfig, sources: Vec<SourceConfig>) -> Self {
        let http = match HttpClient::new() {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "No HTTP client; admin syncs are unavailable.");
                None
            }
        };
        Self {
            admin_token: config.api.admin_token.clone(),
            sources: Arc::new(sources),
            http,
            ..Self::new(store).with_options(ApiOptions::from(&config.api))
        }
    }

    /// Sets the server options (a fresh course cache follows them).
    pub fn with_options(mut self, options: ApiOptions) -> Self {
        self.cache = Arc::new(ResponseCache::new(options.cache.clone()));
        self.search = options
            .search_index
            .then(|| Arc::new(SearchIndex::new(options.cache.poll)));
        self.options = options;
        self
    }

    /// Starts building the in-process search index in the background (when it is on), so
    /// the first searches after a start need not wait for it (or time out over a large
    /// catalogue). Call it once, where the server starts.
    pub fn warm_up(&self) {
        if let Some(index) = self.search.clone() {
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = index.current(&store).await {
                    tracing::warn!(error = %e, "The search index could not be built at start; the first search will retry.");
                }
            });
        }
    }

    /// Sets the admin token (`None`: admin endpoints off).
    pub fn with_admin_token(mut self, token: Option<String>) -> Self {
        self.admin_token = token.filter(|t| !t.is_empty());
        self
    }

    /// Sets the configured sources and the client admin syncs use.
    pub fn with_sources(mut self, sources: Vec<SourceConfig>, http: HttpClient) -> Self {
        self.sources = Arc::new(sources);
        self.http = Some(http);
        self
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "coursefed read API",
        version = "1",
        description = "The unified course catalogue: courses (deduplicated across platforms), listings, multilingual search, a change feed and source health. Errors are RFC 9457 problem+json."
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "courses", description = "Courses, listings and search"),
        (name = "changes", description = "The change feed"),
        (name = "sources", description = "Sources and their sync runs"),
        (name = "admin", description = "Operator endpoints (bearer token)"),
        (name = "service", description = "Health, readiness, metrics, this document"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
    }
}

/// Every route, documented.
fn routes() -> OpenApiRouter<Arc<ApiState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(courses::list_courses))
        .routes(routes!(courses::get_course))
        .routes(routes!(courses::get_listing))
        .routes(routes!(changes::changes))
        .routes(routes!(sources::list_sources))
        .routes(routes!(sources::list_runs))
        .routes(routes!(admin::sync_source))
        .routes(routes!(admin::dedup_link))
        .routes(routes!(admin::dedup_unlink))
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// All routes over `state`, with compression, limits, CORS and problem+json errors.
pub fn router(state: ApiState) -> Router {
    // Make sure the recorder exists so /metrics renders what is recorded from now on.
    let _ = crate::metrics::handle();
    let options = state.options.clone();
    let doc_slot = state.openapi.clone();
    let (router, doc) = routes()
        .fallback(no_such_endpoint)
        .with_state(Arc::new(state))
        .split_for_parts();
    let _ = doc_slot.set(doc.to_json().unwrap_or_else(|_| "{}".into()));
    let timeout = options.request_timeout;
    let router = router
        .layer(middleware::from_fn_with_state(timeout, time_limit))
        .layer(DefaultBodyLimit::max(options.max_body_bytes))
        .layer(middleware::from_fn(record_metrics))
        .layer(middleware::from_fn(problem_errors))
        .layer(CompressionLayer::new());
    match cors(&options.cors_origins) {
        Some(c) => router.layer(c),
        None => router,
    }
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                header::ACCEPT,
            ])
            .expose_headers([header::ETAG, header::LINK, header::LOCATION]),
    )
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight
/// requests and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Answers 503 problem+json when a request outlives the limit.
async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::Timeout(format!(
            "the request took longer than {} s",
            limit.as_secs_f64()
        ))
        .into_response(),
    }
}

/// Counts requests and their durations per route and status.
async fn record_metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    ::metrics::counter!("coursefed_api_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    ::metrics::histogram!("coursefed_api_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Turns error responses that are not problem+json (axum's own rejections, 405, 413)
/// into problem+json, keeping their text as the detail.
async fn problem_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    let mut out = problem(status, detail, None);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn no_such_endpoint(uri: axum::http::Uri) -> Response {
    ApiError::NotFound(format!(
        "no such endpoint {}; see /openapi.json",
        uri.path()
    ))
    .into_response()
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "Alive", body = Object)))]
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers and every migration this binary embeds is applied.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses(
        (status = 200, description = "Ready", body = Object),
        (status = 503, description = "Not ready; `detail` says why", body = Problem, content_type = "application/problem+json"),
    ))]
async fn readyz(State(st): State<Arc<ApiState>>) -> Response {
    match st.store.pending_migrations().await {
        Ok(pending) if pending.is_empty() => axum::Json(serde_json::json!({
            "status": "ready",
            "backend": st.store.backend_name(),
        }))
        .into_response(),
        Ok(pending) => ApiError::Unavailable(format!("migrations not applied yet: {pending:?}"))
            .into_response(),
        Err(e) => {
            ApiError::Unavailable(format!("the database does not answer: {e}")).into_response()
        }
    }
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
async fn metrics(State(st): State<Arc<ApiState>>) -> Response {
    st.cache.record_gauges();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
        .into_response()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
async fn openapi_json(State(st): State<Arc<ApiState>>) -> Response {
    let doc = st.openapi.get().cloned().unwrap_or_else(|| "{}".into());
    ([(header::CONTENT_TYPE, "application/json")], doc).into_response()
}
