//! `coursefed run`: the long-running service. Schedules every enabled source by its cron
//! (tokio-cron-scheduler, in the source's time zone, with a random jitter per tick), runs
//! due syncs with bounded concurrency, serves the HTTP routes beside them, and on shutdown
//! stops scheduling, lets running syncs finish within a grace period and abandons the rest.
//!
//! Whether a source may run at all is the lease's business (taken inside
//! [`sync_source_with`]): several daemons may schedule the same source; one runs it.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_cron_scheduler::{Job, JobScheduler};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{ApiState, router, serve};
use crate::config::{DaemonConfig, SourceConfig};
use crate::domain::RunOutcome;
use crate::fetch::{HttpClient, hosts};
use crate::store::{Store, StoreError};
use crate::sync::{SyncOptions, process_holder, sync_source_with};

/// Why the daemon could not start (once started, it only stops on a signal).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// The scheduler refused a source's schedule or failed to start.
    #[error("scheduler: {0}")]
    Scheduler(String),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
    /// The HTTP server failed.
    #[error("HTTP server: {0}")]
    Server(#[from] std::io::Error),
}

/// What a daemon did, for its last log line and for tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DaemonSummary {
    /// Ticks the scheduler fired.
    pub ticks: u64,
    /// Ticks skipped because the source was still running in this process.
    pub skipped: u64,
    /// Ticks that found the source's lease held by another holder.
    pub busy: u64,
    /// Runs that finished, by outcome: succeeded, failed, suspect, abandoned.
    pub succeeded: u64,
    pub failed: u64,
    pub suspect: u64,
    pub abandoned: u64,
}

/// State every tick shares.
struct Shared {
    store: Store,
    client: HttpClient,
    config: DaemonConfig,
    /// Sources with a tick in progress in this process (waiting or running).
    running: Mutex<HashSet<String>>,
    permits: Semaphore,
    /// Cancelled on shutdown: no new run starts.
    stopping: CancellationToken,
    /// Cancelled when the grace period is over: running syncs are abandoned.
    abandon: CancellationToken,
    tracker: TaskTracker,
    summary: Mutex<DaemonSummary>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes a source from the running set when its tick ends, however it ends.
struct RunningGuard {
    shared: Arc<Shared>,
    source: String,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        lock(&self.shared.running).remove(&self.source);
    }
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut DaemonSummary)) {
        f(&mut lock(&self.summary));
    }

    /// A scheduled tick of `source`: start a run unless one is still going here.
    fn tick(self: &Arc<Self>, source: Arc<SourceConfig>) {
        if self.stopping.is_cancelled() {
            return;
        }
        self.count(|s| s.ticks += 1);
        let id = source.id.to_string();
        let skipped = !lock(&self.running).insert(id.clone());
        crate::metrics::record_tick(&id, skipped);
        if skipped {
            self.count(|s| s.skipped += 1);
            tracing::info!(source = %id, "Tick skipped: the previous run of this source is still going.");
            return;
        }
        let guard = RunningGuard {
            shared: Arc::clone(self),
            source: id,
        };
        let me = Arc::clone(self);
        self.tracker.spawn(async move {
            let _guard = guard;
            me.run_one(&source).await;
        });
    }

    async fn run_one(&self, source: &SourceConfig) {
        let max = u64::try_from(self.config.max_jitter.as_millis()).unwrap_or(u64::MAX);
        let jitter = Duration::from_millis(if max == 0 {
            0
        } else {
            rand::rng().random_range(0..=max)
        });
        tokio::select! {
            () = self.stopping.cancelled() => return,
            () = tokio::time::sleep(jitter) => {}
        }
        let _permit = tokio::select! {
            () = self.stopping.cancelled() => return,
            permit = self.permits.acquire() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        if self.stopping.is_cancelled() {
            return;
        }
        let options = SyncOptions {
            lease_ttl: self.config.lease_ttl,
            cancel: self.abandon.child_token(),
            ..SyncOptions::default()
        };
        match sync_source_with(&self.store, &self.client, source, options).await {
            Ok(report) => {
                self.count(|s| match report.outcome {
                    RunOutcome::Succeeded => s.succeeded += 1,
                    RunOutcome::Suspect => s.suspect += 1,
                    RunOutcome::Abandoned => s.abandoned += 1,
                    RunOutcome::Failed | RunOutcome::Running => s.failed += 1,
                });
                tracing::info!(
                    source = %source.id, run = report.run_id, outcome = report.outcome.as_str(),
                    pages = report.stats.pages, created = report.stats.created,
                    updated = report.stats.updated, withdrawn = report.stats.withdrawn,
                    duration_s = report.duration.as_secs_f64(), "Scheduled run finished."
                );
            }
            Err(StoreError::LeaseHeld { holder, until, .. }) => {
                self.count(|s| s.busy += 1);
                tracing::info!(source = %source.id, holder = %holder, until = %until, "Tick skipped: another holder is syncing this source.");
            }
            Err(e) => {
                self.count(|s| s.failed += 1);
                tracing::error!(source = %source.id, error = %e, "Scheduled run could not be recorded.");
            }
        }
    }
}

/// Runs the daemon until `shutdown` resolves: schedules every enabled source of `sources`,
/// serves [`crate::api::router`] over `api` (the configured `[api]` options and admin
/// token) on `listener`, then shuts down as the module says.
pub async fn run(
    store: Store,
    sources: Vec<SourceConfig>,
    config: DaemonConfig,
    api: ApiState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<DaemonSummary, DaemonError> {
    let client = HttpClient::new().map_err(|e| DaemonError::Client(e.to_string()))?;
    let sources: Vec<Arc<SourceConfig>> = sources
        .into_iter()
        .filter(|s| s.enabled)
        .map(Arc::new)
        .collect();
    hosts::global().register_all(&sources.iter().map(|s| (**s).clone()).collect::<Vec<_>>());
    let shared = Arc::new(Shared {
        store: store.clone(),
        client,
        permits: Semaphore::new(config.max_concurrent_runs as usize),
        config: config.clone(),
        running: Mutex::new(HashSet::new()),
        stopping: CancellationToken::new(),
        abandon: CancellationToken::new(),
        tracker: TaskTracker::new(),
        summary: Mutex::new(DaemonSummary::default()),
    });

    let sched_err =
        |e: tokio_cron_scheduler::JobSchedulerError| DaemonError::Scheduler(e.to_string());
    let mut scheduler = JobScheduler::new().await.map_err(sched_err)?;
    for source in &sources {
        let shared = Arc::clone(&shared);
        let for_job = Arc::clone(source);
        let job = Job::new_async_tz(source.schedule.as_str(), source.timezone, move |_, _| {
            shared.tick(Arc::clone(&for_job));
            Box::pin(async {})
        })
        .map_err(|e| {
            DaemonError::Scheduler(format!(
                "source {}: schedule {:?}: {e}",
                source.id, source.schedule
            ))
        })?;
        scheduler.add(job).await.map_err(sched_err)?;
    }
    scheduler.start().await.map_err(sched_err)?;
    let address = listener.local_addr()?;
    tracing::info!(
        sources = sources.len(), listen = %address, holder = process_holder(),
        max_concurrent_runs = config.max_concurrent_runs, "Daemon started."
    );

    let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
    api.warm_up();
    let server = tokio::spawn(serve(listener, router(api), async move {
        let _ = http_stopped.await;
    }));

    shutdown.await;
    tracing::info!(
        grace_s = config.shutdown_grace.as_secs(),
        "Shutting down: no new runs; waiting for running ones."
    );
    shared.stopping.cancel();
    if let Err(e) = scheduler.shutdown().await {
        tracing::warn!(error = %e, "Stopping the scheduler failed; no new run starts anyway.");
    }
    shared.tracker.close();
    if tokio::time::timeout(config.shutdown_grace, shared.tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("Grace period over: abandoning the runs still going.");
        shared.abandon.cancel();
        shared.tracker.wait().await;
    }
    let _ = stop_http.send(());
    match server.await {
        Ok(result) => result?,
        Err(e) => tracing::warn!(error = %e, "The HTTP server task ended abnormally."),
    }
    let summary = *lock(&shared.summary);
    tracing::info!(
        ticks = summary.ticks,
        skipped = summary.skipped,
        busy = summary.busy,
        succeeded = summary.succeeded,
        failed = summary.failed,
        suspect = summary.suspect,
        abandoned = summary.abandoned,
        "Daemon stopped."
    );
    Ok(summary)
}
