//! One run of one source: fetch → parse → normalise (the connector) → spool → store, with
//! its ledger row. A run that fails or is cut short changes nothing in the catalogue.

pub mod archive;
mod spool;

pub use archive::{ReplayError, replay_source};
pub use spool::{MAX_STORED_REJECTS, Spool};

use std::time::{Duration, Instant};

use serde::Serialize;
use url::Url;

use crate::config::SourceConfig;
use crate::connector::{Connector, RunContext};
use crate::domain::RunOutcome;
use crate::fetch::{FetchPolicy, HttpClient, SourceFetcher};
use crate::store::{RunStats, Store, StoreError};
use archive::{ArchiveWriter, PageSource};

/// How one run ended.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub source: String,
    pub run_id: i64,
    pub outcome: RunOutcome,
    #[serde(flatten)]
    pub stats: RunStats,
    #[serde(serialize_with = "as_secs")]
    pub duration: Duration,
    /// Why the run failed.
    pub error: Option<String>,
    /// What re-matching the run's changed listings did (all zero when nothing changed).
    pub dedup: crate::dedup::RematchStats,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Called after each fetched page: `(pages so far, page url)`.
pub type PageObserver = Box<dyn FnMut(u64, &Url) + Send>;

/// Runs `source` once against `store`. Errors of the run itself (fetch, parse, store)
/// end up in the report and the ledger; `Err` means the ledger itself could not be
/// written.
#[tracing::instrument(skip_all, fields(source = %source.id))]
pub async fn sync_source(
    store: &Store,
    client: &HttpClient,
    source: &SourceConfig,
    on_page: Option<PageObserver>,
) -> Result<SyncReport, StoreError> {
    let started = Instant::now();
    store.upsert_source(source).await?;
    let run_id = store.begin_run(source.id.as_str()).await?;
    tracing::info!(source = %source.id, run = run_id, "Run started.");
    let fetcher = SourceFetcher::new(client, FetchPolicy::of(source));
    let from = PageSource::Live {
        fetcher: &fetcher,
        archive: Some(ArchiveWriter::new(store, source.id.as_str(), run_id)),
    };
    let report = run_pages(store, source, run_id, started, from, on_page).await;
    // After the run whatever its outcome: a failed run's pages count as one of the kept.
    match store
        .prune_raw_pages(source.id.as_str(), source.archive_runs)
        .await
    {
        Ok(0) => {}
        Ok(pruned) => tracing::debug!(source = %source.id, pruned, "Old archived pages pruned."),
        Err(e) => {
            tracing::warn!(source = %source.id, error = %e, "Pruning the page archive failed.")
        }
    }
    report
}

/// Walks the connector over the pages `from` gives for ledger row `run_id` and applies the result (a
/// sync and a replay alike).
async fn run_pages(
    store: &Store,
    source: &SourceConfig,
    run_id: i64,
    started: Instant,
    from: PageSource<'_>,
    mut on_page: Option<PageObserver>,
) -> Result<SyncReport, StoreError> {
    let mut report = SyncReport {
        source: source.id.to_string(),
        run_id,
        outcome: RunOutcome::Failed,
        stats: RunStats::default(),
        duration: Duration::ZERO,
        error: None,
        dedup: Default::default(),
    };
    let mut spool = match Spool::new() {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("cannot create the run's spool file: {e}");
            return fail(store, report, msg, &[], started).await;
        }
    };
    let mut pages = 0u64;
    spool.on_page(move |url| {
        pages += 1;
        tracing::debug!(url = %url, pages, "Page fetched.");
        if let Some(f) = on_page.as_mut() {
            f(pages, url);
        }
    });

    let connector = Connector::for_source(source);
    let walked = {
        let mut cx = RunContext::with_pages(source, from, &mut spool);
        let result = connector.run(&mut cx).await;
        report.stats.pages = u64::from(cx.pages());
        report.stats.seen = cx.records();
        result
    };
    let (rejects, rejected) = spool.rejects();
    report.stats.rejected = rejected;
    let rejects = rejects.to_vec();

    if let Err(e) = walked {
        return fail(store, report, e.to_string(), &rejects, started).await;
    }
    let grouped = match spool.into_grouped() {
        Ok(g) => g,
        Err(e) => {
            let msg = format!("cannot read back the run's spool file: {e}");
            return fail(store, report, msg, &rejects, started).await;
        }
    };
    match store
        .apply_run_report(
            run_id,
            source.id.as_str(),
            grouped,
            true,
            report.stats,
            &rejects,
        )
        .await
    {
        Ok(applied) => {
            let stats = applied.stats;
            report.stats = stats;
            report.dedup = applied.dedup;
            report.outcome = RunOutcome::Succeeded;
            report.duration = started.elapsed();
            tracing::info!(
                source = %source.id, run = run_id, pages = stats.pages, seen = stats.seen,
                created = stats.created, updated = stats.updated, unchanged = stats.unchanged,
                withdrawn = stats.withdrawn, rejected = stats.rejected,
                "Run succeeded."
            );
            Ok(report)
        }
        Err(e) => {
            fail(
                store,
                report,
                format!("storing the run failed: {e}"),
                &rejects,
                started,
            )
            .await
        }
    }
}

async fn fail(
    store: &Store,
    mut report: SyncReport,
    error: String,
    rejects: &[crate::domain::Rejection],
    started: Instant,
) -> Result<SyncReport, StoreError> {
    tracing::error!(source = %report.source, run = report.run_id, error = %error, "Run failed; the catalogue was not changed.");
    report.outcome = RunOutcome::Failed;
    report.duration = started.elapsed();
    store
        .finish_run_unapplied(
            report.run_id,
            &report.source,
            RunOutcome::Failed,
            &report.stats,
            Some(&error),
            rejects,
        )
        .await?;
    report.error = Some(error);
    Ok(report)
}
