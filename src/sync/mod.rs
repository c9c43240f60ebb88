//! One run of one source: fetch → parse → normalise (the connector) → spool → store, with
//! its ledger row. A run that fails or is cut short changes nothing in the catalogue.

pub mod archive;
mod spool;

pub use archive::{ReplayError, replay_source, replay_source_with};
pub use spool::{MAX_STORED_REJECTS, Spool};
/// Cancels a run (see [`SyncOptions::cancel`]).
pub use tokio_util::sync::CancellationToken;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Serialize;
use url::Url;

use crate::config::SourceConfig;
use crate::connector::{Connector, RunContext};
use crate::domain::RunOutcome;
use crate::fetch::{FetchPolicy, HttpClient, SourceFetcher};
use crate::store::{Lease, RunStats, Store, StoreError, default_holder};
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

/// How a sync runs, beyond its source's own settings. `SyncOptions::default()` is a plain
/// run under this process's lease holder name.
pub struct SyncOptions {
    /// Called after each fetched page (progress display).
    pub on_page: Option<PageObserver>,
    /// Apply a run the volume-drop guard finds suspect, withdrawals included
    /// (`coursefed sync --accept-drop`).
    pub accept_drop: bool,
    /// The name the source's lease is taken under (default: [`process_holder`]).
    pub holder: String,
    /// How long the lease lasts without a heartbeat; renewed every third of it.
    pub lease_ttl: Duration,
    /// Cancelling it stops the run at once: nothing is applied (the apply is one
    /// transaction, rolled back if cut), the ledger row says `abandoned`, the lease is
    /// released.
    pub cancel: CancellationToken,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            on_page: None,
            accept_drop: false,
            holder: process_holder().to_owned(),
            lease_ttl: Duration::from_secs(crate::config::DEFAULT_LEASE_TTL_SECONDS),
            cancel: CancellationToken::new(),
        }
    }
}

/// This process's lease holder name (`host:pid:random`), the same for all its runs.
pub fn process_holder() -> &'static str {
    static HOLDER: OnceLock<String> = OnceLock::new();
    HOLDER.get_or_init(default_holder)
}

/// Runs `source` once against `store`. Errors of the run itself (fetch, parse, store)
/// end up in the report and the ledger; `Err` means the ledger itself could not be
/// written, or [`StoreError::LeaseHeld`]: another holder is syncing the source.
pub async fn sync_source(
    store: &Store,
    client: &HttpClient,
    source: &SourceConfig,
    on_page: Option<PageObserver>,
) -> Result<SyncReport, StoreError> {
    let options = SyncOptions {
        on_page,
        ..SyncOptions::default()
    };
    sync_source_with(store, client, source, options).await
}

/// [`sync_source`] with options: the source's lease is taken first (a source held by
/// another holder fails at once with [`StoreError::LeaseHeld`]), renewed while the run
/// lasts and released after it; every request waits on the source's host's shared rate
/// limiter ([`crate::fetch::hosts`]).
#[tracing::instrument(skip_all, fields(source = %source.id))]
pub async fn sync_source_with(
    store: &Store,
    client: &HttpClient,
    source: &SourceConfig,
    options: SyncOptions,
) -> Result<SyncReport, StoreError> {
    let SyncOptions {
        on_page,
        accept_drop,
        holder,
        lease_ttl,
        cancel,
    } = options;
    let started = Instant::now();
    store.upsert_source(source).await?;
    let fetcher = SourceFetcher::new(client, FetchPolicy::of(source))
        .with_limiter(crate::fetch::hosts::global().limiter_for(source));
    let leased = Leased {
        store,
        source,
        holder: &holder,
        ttl: lease_ttl,
        cancel: &cancel,
    };
    let report = leased
        .run(|run_id| {
            let from = PageSource::Live {
                fetcher: &fetcher,
                archive: Some(ArchiveWriter::new(store, source.id.as_str(), run_id)),
            };
            run_pages(store, source, run_id, started, from, on_page, accept_drop)
        })
        .await?;
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
    crate::metrics::record_run(
        source.id.as_str(),
        report.outcome,
        &report.stats,
        report.duration,
        fetcher.retries(),
    );
    Ok(report)
}

/// A run under the source's lease: take it, open the ledger row, heartbeat while `work`
/// runs, abandon on cancel or lease loss, release.
struct Leased<'a> {
    store: &'a Store,
    source: &'a SourceConfig,
    holder: &'a str,
    ttl: Duration,
    cancel: &'a CancellationToken,
}

impl Leased<'_> {
    async fn run<F, Fut>(self, work: F) -> Result<SyncReport, StoreError>
    where
        F: FnOnce(i64) -> Fut,
        Fut: std::future::Future<Output = Result<SyncReport, StoreError>>,
    {
        let started = Instant::now();
        let source_id = self.source.id.as_str();
        let lease = match self
            .store
            .take_lease(source_id, self.holder, self.ttl)
            .await?
        {
            Ok(lease) => lease,
            Err(held) => {
                crate::metrics::record_lease_busy(source_id);
                tracing::info!(source = source_id, holder = %held.holder, until = %held.expires_at, "Source is being synced elsewhere; not starting.");
                return Err(StoreError::LeaseHeld {
                    source_id: source_id.to_owned(),
                    holder: held.holder,
                    until: held.expires_at,
                });
            }
        };
        let lost = CancellationToken::new();
        let beat = tokio::spawn(heartbeat(
            self.store.clone(),
            lease.clone(),
            self.ttl,
            lost.clone(),
        ));
        let result = match self.store.begin_run(source_id).await {
            Err(e) => Err(e),
            Ok(run_id) => {
                tracing::info!(
                    source = source_id,
                    run = run_id,
                    holder = self.holder,
                    "Run started."
                );
                tokio::select! {
                    biased;
                    () = self.cancel.cancelled() => {
                        abandon(self.store, source_id, run_id, started, "abandoned: the process is shutting down").await
                    }
                    () = lost.cancelled() => {
                        abandon(self.store, source_id, run_id, started, "abandoned: the source's lease was lost to another holder").await
                    }
                    report = work(run_id) => match report {
                        Err(StoreError::RunClosed { run_id }) => {
                            tracing::error!(source = source_id, run = run_id, "The run's lease was reclaimed by another holder; nothing applied.");
                            Ok(abandoned_report(source_id, run_id, started, "abandoned: the source's lease was lost to another holder"))
                        }
                        other => other,
                    },
                }
            }
        };
        beat.abort();
        if let Err(e) = self.store.release_lease(&lease).await {
            tracing::warn!(source = source_id, error = %e, "Releasing the source's lease failed; it expires by itself.");
        }
        result
    }
}

/// Renews `lease` every third of `ttl`; cancels `lost` when it is no longer ours. A
/// renewal that cannot get the database within a beat (the SQLite writer busy with this
/// very run's apply) is skipped, never queued behind it.
async fn heartbeat(store: Store, lease: Lease, ttl: Duration, lost: CancellationToken) {
    let every = (ttl / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        match tokio::time::timeout(every, store.renew_lease(&lease, ttl)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                tracing::error!(source = %lease.source_id, holder = %lease.holder, "Source lease lost to another holder; stopping the run.");
                lost.cancel();
                return;
            }
            Ok(Err(e)) => {
                tracing::warn!(source = %lease.source_id, error = %e, "Renewing the source's lease failed; retrying next beat.")
            }
            Err(_) => {
                tracing::debug!(source = %lease.source_id, "Lease renewal waited a whole beat for the database; skipped.")
            }
        }
    }
}

fn abandoned_report(source_id: &str, run_id: i64, started: Instant, why: &str) -> SyncReport {
    SyncReport {
        source: source_id.to_owned(),
        run_id,
        outcome: RunOutcome::Abandoned,
        stats: RunStats::default(),
        duration: started.elapsed(),
        error: Some(why.to_owned()),
        dedup: Default::default(),
    }
}

/// Closes a run that was cut short: nothing applied, the ledger says `abandoned`.
async fn abandon(
    store: &Store,
    source_id: &str,
    run_id: i64,
    started: Instant,
    why: &str,
) -> Result<SyncReport, StoreError> {
    tracing::warn!(
        source = source_id,
        run = run_id,
        reason = why,
        "Run abandoned; the catalogue was not changed."
    );
    match store
        .finish_run_unapplied(
            run_id,
            source_id,
            RunOutcome::Abandoned,
            &RunStats::default(),
            Some(why),
            &[],
        )
        .await
    {
        Ok(()) | Err(StoreError::RunClosed { .. }) => {}
        Err(e) => return Err(e),
    }
    Ok(abandoned_report(source_id, run_id, started, why))
}

/// Why a complete run that saw `seen` listings, where `active` were active before it,
/// must not withdraw (the volume-drop guard), or `None` when it may.
pub fn volume_drop(seen: u64, active: u64, min_ratio: f64) -> Option<String> {
    if active == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let too_few = seen == 0 || (seen as f64) < min_ratio * active as f64;
    too_few.then(|| {
        format!(
            "volume drop: the run saw {seen} listings where {active} were active (min_ratio {min_ratio}); \
             upserts applied, nothing withdrawn — accept with `coursefed sync SOURCE --accept-drop`"
        )
    })
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
    accept_drop: bool,
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
    // The volume-drop guard: the lease keeps other runs of this source out, so what is
    // active now is what was active before this run.
    let active_before = match store.count_listings(source.id.as_str()).await {
        Ok((active, _)) => active,
        Err(e) => {
            let msg = format!("counting the active listings failed: {e}");
            return fail(store, report, msg, &rejects, started).await;
        }
    };
    let (withdraw, outcome, note) = match volume_drop(
        grouped.listings(),
        active_before,
        source.min_ratio,
    ) {
        None => (true, RunOutcome::Succeeded, None),
        Some(why) if accept_drop => {
            tracing::warn!(source = %source.id, run = run_id, reason = %why, "Volume drop accepted by the operator; withdrawing.");
            (true, RunOutcome::Succeeded, None)
        }
        Some(why) => (false, RunOutcome::Suspect, Some(why)),
    };
    match store
        .apply_run_report_as(
            run_id,
            source.id.as_str(),
            grouped,
            withdraw,
            report.stats,
            &rejects,
            outcome,
            note.as_deref(),
        )
        .await
    {
        Ok(applied) => {
            let stats = applied.stats;
            report.stats = stats;
            report.dedup = applied.dedup;
            report.outcome = outcome;
            report.duration = started.elapsed();
            if let Some(why) = note {
                tracing::warn!(
                    source = %source.id, run = run_id, seen = stats.seen, active_before,
                    reason = %why, "Run suspect: nothing withdrawn."
                );
                report.error = Some(why);
            } else {
                tracing::info!(
                    source = %source.id, run = run_id, pages = stats.pages, seen = stats.seen,
                    created = stats.created, updated = stats.updated, unchanged = stats.unchanged,
                    withdrawn = stats.withdrawn, rejected = stats.rejected,
                    "Run succeeded."
                );
            }
            Ok(report)
        }
        Err(e @ StoreError::RunClosed { .. }) => Err(e),
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
