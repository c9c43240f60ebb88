//! `coursefed runs SOURCE [--json] [--limit N]`: a source's ledger, newest first;
//! `coursefed runs show RUN [--json]`: one run with its rejects and their reasons.

use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use super::sync::{load_all, select};
use super::{CliError, EXIT_OK, open_store};
use crate::config::AppConfig;
use crate::domain::Rejection;
use crate::store::SyncRunRow;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RunsArgs {
    #[command(subcommand)]
    pub command: Option<RunsCommand>,
    /// The source id whose runs to list.
    #[arg(required = true)]
    pub source: Option<String>,
    /// Runs to list, newest first.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// One run: its counts, first error and rejects with reasons.
    Show {
        /// The run id (as `coursefed runs SOURCE` lists it).
        run: i64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `runs show --json`: the run and its rejects.
#[derive(Serialize)]
struct RunDetail<'a> {
    #[serde(flatten)]
    run: &'a SyncRunRow,
    rejects: &'a [Rejection],
}

pub async fn run(config: &AppConfig, args: RunsArgs) -> Result<u8, CliError> {
    match args.command {
        Some(RunsCommand::Show { run, json }) => show(config, run, json).await,
        None => {
            let Some(source) = args.source else {
                return Err(CliError::Usage("name a source, or `runs show RUN`".into()));
            };
            list(config, &source, args.limit, args.json).await
        }
    }
}

async fn list(config: &AppConfig, source: &str, limit: u32, json: bool) -> Result<u8, CliError> {
    select(load_all(config)?, &[source.to_owned()])?;
    let store = open_store(config).await?;
    let runs = store.list_runs(Some(source), limit.max(1)).await;
    store.close().await;
    let runs = runs?;
    if json {
        print_json(&runs)?;
        return Ok(EXIT_OK);
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "run",
        "started",
        "finished",
        "outcome",
        "pages",
        "seen",
        "created",
        "updated",
        "unchanged",
        "withdrawn",
        "rejected",
        "first error",
    ]);
    for r in &runs {
        let s = &r.stats;
        table.add_row([
            r.id.to_string(),
            r.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            r.finished_at.map_or_else(
                || "-".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
            ),
            r.outcome.as_str().to_owned(),
            s.pages.to_string(),
            s.seen.to_string(),
            s.created.to_string(),
            s.updated.to_string(),
            s.unchanged.to_string(),
            s.withdrawn.to_string(),
            s.rejected.to_string(),
            r.first_error.clone().unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(EXIT_OK)
}

async fn show(config: &AppConfig, run_id: i64, json: bool) -> Result<u8, CliError> {
    let store = open_store(config).await?;
    let found = store.sync_run(run_id).await;
    let rejects = store.run_rejects(run_id).await;
    store.close().await;
    let Some(run) = found? else {
        return Err(CliError::Usage(format!("no run {run_id} in the ledger")));
    };
    let rejects = rejects?;
    if json {
        print_json(&RunDetail {
            run: &run,
            rejects: &rejects,
        })?;
        return Ok(EXIT_OK);
    }
    let s = &run.stats;
    println!(
        "run {} of {}: {}",
        run.id,
        run.source_id,
        run.outcome.as_str()
    );
    println!(
        "started {}, finished {}",
        run.started_at,
        run.finished_at
            .map_or_else(|| "-".to_owned(), |t| t.to_string())
    );
    println!(
        "pages {}, seen {}, created {}, updated {}, unchanged {}, withdrawn {}, rejected {}",
        s.pages, s.seen, s.created, s.updated, s.unchanged, s.withdrawn, s.rejected
    );
    if let Some(e) = &run.first_error {
        println!("first error: {e}");
    }
    if rejects.is_empty() {
        println!("no rejects");
    } else {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(["external id", "field", "reason"]);
        for r in &rejects {
            table.add_row([
                r.external_id.clone().unwrap_or_else(|| "-".to_owned()),
                r.field.clone(),
                r.reason.clone(),
            ]);
        }
        println!("{table}");
        if s.rejected > rejects.len() as u64 {
            println!("({} more not kept)", s.rejected - rejects.len() as u64);
        }
    }
    Ok(EXIT_OK)
}

fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Failed(format!("cannot print JSON: {e}")))?;
    println!("{text}");
    Ok(())
}
