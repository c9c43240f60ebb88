//! `coursefed serve [--listen ADDR]`: the read API alone (no scheduler), until Ctrl-C or
//! SIGTERM. Configured sources (connectors/) can be synced through the admin endpoint.

use std::net::SocketAddr;

use clap::Args;

use super::{CliError, EXIT_OK, open_store};
use crate::api::{ApiState, router, serve};
use crate::config::{AppConfig, SourceConfig, load_sources};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default: `[api] listen`, 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

/// The valid connector files of `config` (none if the directory is missing; invalid files
/// are skipped with a warning: `coursefed connectors check` names their errors).
pub(crate) fn configured_sources(config: &AppConfig) -> Vec<SourceConfig> {
    match load_sources(&config.connectors_dir) {
        Ok(all) => all
            .into_iter()
            .filter_map(|r| {
                r.map_err(|e| tracing::warn!(error = %e, "Connector file skipped."))
                    .ok()
            })
            .collect(),
        Err(e) => {
            tracing::debug!(error = %e, "No connectors directory; no source can be synced through the API.");
            Vec::new()
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Serves the API over `store` on `addr` until a shutdown signal.
pub(crate) async fn serve_until_signal(
    store: &Store,
    state: ApiState,
    addr: SocketAddr,
) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Failed(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    println!(
        "Serving the read API on http://{local} over {} (Ctrl-C stops): try http://{local}/v1/courses?q=data and http://{local}/openapi.json",
        store.backend_name()
    );
    state.warm_up();
    serve(listener, router(state), shutdown_signal())
        .await
        .map_err(|e| CliError::Failed(format!("the server on {local} failed: {e}")))
}

pub async fn run(config: &AppConfig, args: ServeArgs) -> Result<u8, CliError> {
    let store = open_store(config).await?;
    let state = ApiState::from_config(store.clone(), config, configured_sources(config));
    let addr = args.listen.unwrap_or(config.api.listen);
    let result = serve_until_signal(&store, state, addr).await;
    store.close().await;
    result.map(|()| EXIT_OK)
}
