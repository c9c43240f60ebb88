//! `coursefed sync [SOURCE]...`: run sources once, with progress and a summary table.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::{CliError, EXIT_FAILED, EXIT_OK, open_store};
use crate::config::{AppConfig, SourceConfig, load_sources};
use crate::domain::RunOutcome;
use crate::fetch::HttpClient;
use crate::store::{Store, StoreError};
use crate::sync::{PageObserver, SyncOptions, SyncReport, sync_source_with};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Source ids (connector file stems); all enabled sources if none.
    pub sources: Vec<String>,
    /// Print the reports as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Apply a run the volume-drop guard finds suspect (it saw fewer than `min_ratio` of
    /// the active listings): withdraw what it did not see.
    #[arg(long)]
    pub accept_drop: bool,
}

/// Loads every connector file; any invalid file is a configuration error listing all.
pub(crate) fn load_all(config: &AppConfig) -> Result<Vec<SourceConfig>, CliError> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in load_sources(&config.connectors_dir)? {
        match r {
            Ok(s) => ok.push(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(CliError::Usage(errors.join("\n")))
    }
}

/// Picks the named sources (in the order given), or every enabled one.
pub(crate) fn select(
    all: Vec<SourceConfig>,
    names: &[String],
) -> Result<Vec<SourceConfig>, CliError> {
    if names.is_empty() {
        return Ok(all.into_iter().filter(|s| s.enabled).collect());
    }
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|s| s.id.as_str() == n)
                .cloned()
                .ok_or_else(|| {
                    let known: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
                    CliError::Usage(format!(
                        "unknown source {n:?}; known sources: {}",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

pub async fn run(config: &AppConfig, args: SyncArgs) -> Result<u8, CliError> {
    let sources = select(load_all(config)?, &args.sources)?;
    if sources.is_empty() {
        return Err(CliError::Usage(format!(
            "no enabled sources in {}",
            config.connectors_dir.display()
        )));
    }
    let store = open_store(config).await?;
    let (reports, busy) =
        sync_all_with(&store, &sources, args.accept_drop, config.daemon.lease_ttl).await?;
    print_reports(&reports, args.json);
    store.close().await;
    for message in &busy {
        eprintln!("error: {message}");
    }
    Ok(if busy.is_empty() {
        exit_code(&reports)
    } else {
        EXIT_FAILED
    })
}

/// Syncs each source in turn, with a progress bar per source on a terminal.
pub(crate) async fn sync_all(
    store: &Store,
    sources: &[SourceConfig],
) -> Result<Vec<SyncReport>, CliError> {
    let (reports, busy) = sync_all_with(
        store,
        sources,
        false,
        Duration::from_secs(crate::config::DEFAULT_LEASE_TTL_SECONDS),
    )
    .await?;
    match busy.first() {
        Some(message) => Err(CliError::Failed(message.clone())),
        None => Ok(reports),
    }
}

/// [`sync_all`] with `--accept-drop` and the lease TTL; sources whose lease another
/// holder has are skipped and named in the second list ("source X is being synced by
/// HOLDER until T").
pub(crate) async fn sync_all_with(
    store: &Store,
    sources: &[SourceConfig],
    accept_drop: bool,
    lease_ttl: Duration,
) -> Result<(Vec<SyncReport>, Vec<String>), CliError> {
    let mut busy = Vec::new();
    let client = HttpClient::new().map_err(|e| CliError::Failed(e.to_string()))?;
    let bars = std::io::stderr().is_terminal().then(MultiProgress::new);
    let mut reports = Vec::new();
    for source in sources {
        let bar = bars.as_ref().map(|m| {
            let b = m.add(ProgressBar::new_spinner());
            b.set_style(
                ProgressStyle::with_template("{spinner} {prefix:>12} {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.set_prefix(source.id.to_string());
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        let observer: Option<PageObserver> = bar.clone().map(|b| -> PageObserver {
            Box::new(move |pages, url| b.set_message(format!("{pages} pages, last {url}")))
        });
        if bar.is_none() {
            tracing::info!(source = %source.id, "Syncing.");
        }
        let options = SyncOptions {
            on_page: observer,
            accept_drop,
            lease_ttl,
            ..SyncOptions::default()
        };
        let report = match sync_source_with(store, &client, source, options).await {
            Ok(r) => r,
            Err(e @ StoreError::LeaseHeld { .. }) => {
                if let Some(b) = bar {
                    b.finish_with_message("busy".to_owned());
                }
                busy.push(e.to_string());
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(b) = bar {
            b.finish_with_message(format!(
                "{} ({} pages)",
                report.outcome.as_str(),
                report.stats.pages
            ));
        }
        reports.push(report);
    }
    Ok((reports, busy))
}

pub(crate) fn exit_code(reports: &[SyncReport]) -> u8 {
    if reports.iter().all(|r| r.outcome == RunOutcome::Succeeded) {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// Prints the summary table (or JSON) on stdout, and each failure's reason on stderr.
pub(crate) fn print_reports(reports: &[SyncReport], json: bool) {
    if json {
        match serde_json::to_string_pretty(reports) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("cannot print the reports: {e}"),
        }
        return;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "source",
        "outcome",
        "pages",
        "seen",
        "created",
        "updated",
        "unchanged",
        "withdrawn",
        "rejected",
        "duration",
    ]);
    for r in reports {
        let s = &r.stats;
        table.add_row([
            r.source.clone(),
            r.outcome.as_str().to_owned(),
            s.pages.to_string(),
            s.seen.to_string(),
            s.created.to_string(),
            s.updated.to_string(),
            s.unchanged.to_string(),
            s.withdrawn.to_string(),
            s.rejected.to_string(),
            format!("{:.1}s", r.duration.as_secs_f64()),
        ]);
    }
    println!("{table}");
    for r in reports {
        if let Some(e) = &r.error {
            eprintln!("{} (run {}): {e}", r.source, r.run_id);
        }
    }
}
