//! The `coursefed` command line: one file per command, each with the same shape
//! (arguments struct + `run`). `main.rs` parses, sets up telemetry and maps the result
//! to an exit code.

mod bench;
mod connectors;
mod courses;
mod dedup;
mod export;
mod replay;
mod run;
mod runs;
mod serve;
mod sources;
mod sync;

pub(crate) use serve::serve_until_signal;
pub(crate) use sync::{exit_code, print_reports, sync_all};

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{AppConfig, ConfigError, Overrides};
use crate::store::{Store, StoreError};

/// Exit code: every run succeeded / the command did what was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code: a run failed, or the command failed at run time (database, I/O).
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad configuration or usage.
pub const EXIT_USAGE: u8 = 2;

/// coursefed — a federated course-metadata aggregator.
#[derive(Debug, Parser)]
#[command(name = "coursefed", version, about)]
pub struct Cli {
    /// Configuration file (default: ./coursefed.toml if present).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://… (default sqlite://coursefed.db).
    #[arg(
        long,
        global = true,
        env = "COURSEFED_DATABASE_URL",
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// Directory of connector files (default: connectors).
    #[arg(
        long,
        global = true,
        env = "COURSEFED_CONNECTORS_DIR",
        value_name = "DIR"
    )]
    pub connectors_dir: Option<PathBuf>,
    /// Log as JSON lines.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run each selected source once (all enabled sources if none named).
    Sync(sync::SyncArgs),
    /// The daemon: sync every enabled source on its schedule and serve HTTP until
    /// SIGTERM/SIGINT.
    Run(run::RunArgs),
    /// Per source: last run, last success, next run, listings, rejects, freshness.
    Sources(sources::SourcesArgs),
    /// A source's run ledger (`runs SOURCE`), or one run with its rejects (`runs show RUN`).
    Runs(runs::RunsArgs),
    /// Re-parse an archived run's pages without fetching and apply them like a sync.
    Replay(replay::ReplayArgs),
    /// Write the catalogue, one JSON object per course per line.
    Export(export::ExportArgs),
    /// List or show stored courses.
    #[command(subcommand)]
    Courses(courses::CoursesCommand),
    /// Explain, link, unlink or re-match deduplicated courses.
    #[command(subcommand)]
    Dedup(dedup::DedupCommand),
    /// List or validate connector files.
    #[command(subcommand)]
    Connectors(connectors::ConnectorsCommand),
    /// Serve the bundled recorded catalogues on loopback and sync them (no network needed).
    Demo(crate::demo::DemoArgs),
    /// Serve the read API (courses, search, change feed, sources) until Ctrl-C.
    Serve(serve::ServeArgs),
    /// Benchmarks that print numbers.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// What went wrong, sorted by exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad configuration or usage (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Failed at run time (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => EXIT_USAGE,
            Self::Failed(_) => EXIT_FAILED,
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        Self::Usage(e.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        Self::Failed(e.to_string())
    }
}

impl Cli {
    fn app_config(&self) -> Result<AppConfig, CliError> {
        Ok(AppConfig::load(
            self.config.as_deref(),
            Overrides {
                database_url: self.database_url.clone(),
                connectors_dir: self.connectors_dir.clone(),
            },
        )?)
    }

    /// Runs the command; `Ok(code)` is the exit code of a command that ran to the end.
    pub async fn run(self) -> Result<u8, CliError> {
        let config = self.app_config()?;
        match self.command {
            Command::Sync(args) => sync::run(&config, args).await,
            Command::Replay(args) => replay::run(&config, args).await,
            Command::Run(args) => run::run(&config, args).await,
            Command::Sources(args) => sources::run(&config, args).await,
            Command::Runs(args) => runs::run(&config, args).await,
            Command::Export(args) => export::run(&config, args).await,
            Command::Courses(cmd) => courses::run(&config, cmd).await,
            Command::Dedup(cmd) => dedup::run(&config, cmd).await,
            Command::Connectors(cmd) => connectors::run(&config, cmd),
            Command::Demo(args) => crate::demo::run(&config, args).await,
            Command::Serve(args) => serve::run(&config, args).await,
            Command::Bench(cmd) => bench::run(cmd).await,
        }
    }
}

/// Opens the configured database (creating and migrating SQLite on first use).
pub(crate) async fn open_store(config: &AppConfig) -> Result<Store, CliError> {
    Store::connect(&config.database_url)
        .await
        .map_err(|e| CliError::Failed(format!("{}: {e}", redact(&config.database_url))))
}

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
