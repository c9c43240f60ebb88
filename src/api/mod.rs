//! The HTTP server: health and metrics endpoints (served by `coursefed run`) and the read
//! API for downstream services. [`router`] builds the routes over an [`ApiState`];
//! [`serve`] runs them on a bound listener until a shutdown signal.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::store::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub store: Store,
    /// The admin bearer token (`COURSEFED_ADMIN_TOKEN`); admin endpoints are off without one.
    pub admin_token: Option<String>,
}

impl ApiState {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            admin_token: None,
        }
    }
}

/// All routes over `state`.
pub fn router(state: ApiState) -> Router {
    // Make sure the recorder exists so /metrics renders what is recorded from now on.
    let _ = crate::metrics::handle();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(Arc::new(state))
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

async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

async fn metrics(State(_state): State<Arc<ApiState>>) -> Response {
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
