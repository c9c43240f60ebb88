//! `coursefed sources [--json]`: per configured source — last run and outcome, last
//! success, next scheduled run, active/withdrawn listings, the last run's rejects,
//! freshness against its schedule and the lease holder.

use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::sync::load_all;
use super::{CliError, EXIT_OK, open_store};
use crate::config::AppConfig;
use crate::store::SourceHealth;

#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// Print JSON (an array, one object per source) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(config: &AppConfig, args: SourcesArgs) -> Result<u8, CliError> {
    let sources = load_all(config)?;
    let store = open_store(config).await?;
    let health = store.source_health(&sources, chrono::Utc::now()).await;
    store.close().await;
    let health = health?;
    if args.json {
        let text = serde_json::to_string_pretty(&health)
            .map_err(|e| CliError::Failed(format!("cannot print the health: {e}")))?;
        println!("{text}");
    } else {
        println!("{}", table(&health));
    }
    Ok(EXIT_OK)
}

fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

fn table(health: &[SourceHealth]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "source",
        "enabled",
        "last run",
        "outcome",
        "last success",
        "next run",
        "active",
        "withdrawn",
        "rejects",
        "freshness",
        "lease",
    ]);
    for h in health {
        let run = h.last_run.as_ref();
        table.add_row([
            h.id.clone(),
            if h.enabled { "yes" } else { "no" }.to_owned(),
            run.map_or_else(
                || "-".to_owned(),
                |r| format!("#{} {}", r.id, time(Some(r.started_at))),
            ),
            run.map_or("-", |r| r.outcome.as_str()).to_owned(),
            time(h.last_success_at),
            time(h.next_run_at),
            h.active_listings.to_string(),
            h.withdrawn_listings.to_string(),
            h.last_run_rejects.to_string(),
            match h.freshness_lag_seconds {
                Some(lag) if lag > 0 => format!("{} ({lag}s late)", h.freshness.as_str()),
                _ => h.freshness.as_str().to_owned(),
            },
            h.lease.as_ref().map_or_else(
                || "-".to_owned(),
                |l| format!("{} until {}", l.holder, time(Some(l.expires_at))),
            ),
        ]);
    }
    table
}
