//! `coursefed run`: the daemon — scheduled syncs of every enabled source, the HTTP routes
//! on `[api] listen` (or `--listen`), a clean stop on SIGTERM/SIGINT (exit 0).

use std::net::SocketAddr;

use clap::Args;
use tokio::net::TcpListener;

use super::sync::load_all;
use super::{CliError, EXIT_OK, open_store};
use crate::config::AppConfig;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address to serve HTTP on (overrides `[api] listen`; port 0 picks a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

pub async fn run(config: &AppConfig, args: RunArgs) -> Result<u8, CliError> {
    let sources = load_all(config)?;
    if !sources.iter().any(|s| s.enabled) {
        return Err(CliError::Usage(format!(
            "no enabled sources in {}",
            config.connectors_dir.display()
        )));
    }
    let listen = args.listen.unwrap_or(config.api.listen);
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::Failed(format!("cannot listen on {listen}: {e}")))?;
    let store = open_store(config).await?;
    let stop =
        shutdown_signal().map_err(|e| CliError::Failed(format!("cannot watch signals: {e}")))?;
    let api = crate::api::ApiState::from_config(store.clone(), config, sources.clone());
    let result = crate::daemon::run(
        store.clone(),
        sources,
        config.daemon.clone(),
        api,
        listener,
        stop,
    )
    .await;
    store.close().await;
    result.map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(EXIT_OK)
}

/// Resolves on the first SIGTERM or SIGINT.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received."),
            _ = int.recv() => tracing::info!("SIGINT received."),
        }
    })
}
