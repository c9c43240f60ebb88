//! `coursefed replay SOURCE [--run ID]`: re-parse and re-normalise an archived run's pages
//! without fetching and apply them like a sync — how a mapping fix reaches the catalogue.

use clap::Args;

use super::sync::{load_all, select};
use super::{CliError, exit_code, open_store, print_reports};
use crate::config::AppConfig;
use crate::sync::{ReplayError, replay_source_with};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The source id (connector file stem).
    pub source: String,
    /// The run whose archived pages to replay (default: the source's newest succeeded
    /// run with archived pages).
    #[arg(long, value_name = "ID")]
    pub run: Option<i64>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 if the replay applied, 1 if it failed (the catalogue is unchanged), 2 if the
/// source or run does not exist or has nothing archived.
pub async fn run(config: &AppConfig, args: ReplayArgs) -> Result<u8, CliError> {
    let sources = select(load_all(config)?, std::slice::from_ref(&args.source))?;
    let Some(source) = sources.first() else {
        return Err(CliError::Usage(format!("unknown source {:?}", args.source)));
    };
    let store = open_store(config).await?;
    let result = replay_source_with(&store, source, args.run, config.daemon.lease_ttl).await;
    store.close().await;
    let report = result.map_err(|e| match e {
        ReplayError::NothingToReplay { .. }
        | ReplayError::UnknownRun { .. }
        | ReplayError::NotArchived { .. } => CliError::Usage(e.to_string()),
        other => CliError::Failed(other.to_string()),
    })?;
    let reports = [report];
    print_reports(&reports, args.json);
    Ok(exit_code(&reports))
}
