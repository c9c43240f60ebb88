//! `coursefed bench ingest --n N`: ingest throughput against the bare-upsert ceiling.

use std::time::Instant;

use clap::{Args, Subcommand};

use super::{CliError, EXIT_FAILED, EXIT_OK};
use crate::bench::{Phase, bare_upsert, ingest, peak_rss_bytes, serve_synthetic};
use crate::domain::RunOutcome;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Sync N synthetic edX-style items from a loopback platform into a fresh SQLite
    /// database; compare with a bare batched upsert of the same rows.
    Ingest(IngestArgs),
    /// Cluster the dedup benchmark's records.csv (see shared/bench) with the matching code
    /// the sync uses; write record_id,cluster_id.
    Dedup(DedupArgs),
}

#[derive(Debug, Args)]
pub struct DedupArgs {
    /// The benchmark's records.csv.
    #[arg(long)]
    pub input: std::path::PathBuf,
    /// Where to write record_id,cluster_id.
    #[arg(long)]
    pub output: std::path::PathBuf,
}

fn run_dedup(args: DedupArgs) -> Result<u8, CliError> {
    let stats = crate::dedup::bench_dedup(&args.input, &args.output)
        .map_err(|e| CliError::Failed(format!("{}: {e}", args.input.display())))?;
    println!(
        "coursefed bench dedup: {} records -> {} clusters (largest {})",
        stats.records, stats.clusters, stats.largest_cluster
    );
    println!(
        "read {:.2} s, cluster {:.2} s, write {:.2} s",
        stats.read.as_secs_f64(),
        stats.cluster.as_secs_f64(),
        stats.write.as_secs_f64()
    );
    for (signal, n) in &stats.links {
        println!("  links by {signal}: {n}");
    }
    if let Some(rss) = peak_rss_bytes() {
        println!("peak RSS: {:.0} MiB", rss as f64 / 1048576.0);
    }
    Ok(EXIT_OK)
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Items (each a course with one run).
    #[arg(long, default_value_t = 100_000)]
    pub n: usize,
    /// Directory for the benchmark databases (default: a temporary directory).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// Skip the bare-upsert ceiling.
    #[arg(long)]
    pub no_ceiling: bool,
}

fn print(p: &Phase) {
    println!(
        "{:<34} {:>9} listings {:>10} rows {:>8.2} s {:>10.0} listings/s {:>10.0} rows/s",
        p.name,
        p.listings,
        p.rows,
        p.elapsed.as_secs_f64(),
        p.listings_per_sec(),
        p.rows_per_sec()
    );
}

pub async fn run(cmd: BenchCommand) -> Result<u8, CliError> {
    let args = match cmd {
        BenchCommand::Ingest(args) => args,
        BenchCommand::Dedup(args) => return run_dedup(args),
    };
    let failed = |e: &dyn std::fmt::Display| CliError::Failed(e.to_string());
    let tmp = tempfile::tempdir().map_err(|e| failed(&e))?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    let db = dir.join("bench-ingest.db");
    let _ = std::fs::remove_file(&db);
    let base = serve_synthetic(args.n).await.map_err(|e| failed(&e))?;
    let store = Store::connect(&format!("sqlite://{}", db.display())).await?;

    println!(
        "coursefed bench ingest: n = {}, SQLite at {}",
        args.n,
        db.display()
    );
    let started = Instant::now();
    let first = ingest(&store, &base).await?;
    let elapsed = started.elapsed();
    if first.outcome != RunOutcome::Succeeded {
        eprintln!("ingest failed: {}", first.error.unwrap_or_default());
        return Ok(EXIT_FAILED);
    }
    // courses + listings + runs (one per item) + two change entries per listing.
    let sync_phase = Phase {
        name: "sync (fetch+parse+normalise+store)",
        listings: first.stats.created,
        rows: first.stats.created * 5,
        elapsed,
    };
    print(&sync_phase);
    let rss_after_sync = peak_rss_bytes();

    let started = Instant::now();
    let second = ingest(&store, &base).await?;
    let resync = Phase {
        name: "re-sync, nothing changed",
        listings: second.stats.unchanged,
        rows: 0,
        elapsed: started.elapsed(),
    };
    print(&resync);
    store.close().await;

    if !args.no_ceiling {
        let bare_db = dir.join("bench-ceiling.db");
        let _ = std::fs::remove_file(&bare_db);
        let ceiling = bare_upsert(&bare_db, args.n).await?;
        print(&ceiling);
        println!(
            "ratio to ceiling (rows/s): {:.2}",
            sync_phase.rows_per_sec() / ceiling.rows_per_sec()
        );
    }
    if let Some(rss) = rss_after_sync {
        println!(
            "peak RSS after the first sync: {:.0} MiB",
            rss as f64 / 1048576.0
        );
    }
    if let Some(rss) = peak_rss_bytes() {
        println!("peak RSS overall: {:.0} MiB", rss as f64 / 1048576.0);
    }
    Ok(EXIT_OK)
}
