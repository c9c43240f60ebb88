//! Process-wide Prometheus metrics: one recorder installed on first use, rendered by
//! `GET /metrics`. Code records through the `metrics` facade (`metrics::counter!` …);
//! the metric names the daemon and the API record are listed here.
//!
//! Sync metrics (recorded by every sync, whoever started it; label `source`):
//! - `coursefed_sync_runs_total{source,outcome}` — runs by outcome
//! - `coursefed_sync_pages_total`, `coursefed_sync_records_total` (records seen),
//!   `coursefed_sync_rejects_total`, `coursefed_fetch_retries_total`
//! - `coursefed_sync_run_duration_seconds` — histogram
//! - `coursefed_sync_last_success_timestamp_seconds` — gauge, Unix time
//! - `coursefed_sync_lease_busy_total` — runs refused because another holder had the lease
//!
//! Daemon metrics (`coursefed run`; label `source`):
//! - `coursefed_daemon_ticks_total` — scheduled ticks
//! - `coursefed_daemon_ticks_skipped_total` — ticks skipped because the source's previous
//!   run in this process was still going

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::RunOutcome;
use crate::store::RunStats;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Runs by outcome.
pub const SYNC_RUNS: &str = "coursefed_sync_runs_total";
/// Pages fetched (or replayed).
pub const SYNC_PAGES: &str = "coursefed_sync_pages_total";
/// Platform records seen.
pub const SYNC_RECORDS: &str = "coursefed_sync_records_total";
/// Records rejected.
pub const SYNC_REJECTS: &str = "coursefed_sync_rejects_total";
/// Request retries.
pub const FETCH_RETRIES: &str = "coursefed_fetch_retries_total";
/// Run duration histogram, seconds.
pub const SYNC_DURATION: &str = "coursefed_sync_run_duration_seconds";
/// Unix time of the last succeeded run.
pub const SYNC_LAST_SUCCESS: &str = "coursefed_sync_last_success_timestamp_seconds";
/// Runs that did not start because the source's lease was held elsewhere.
pub const SYNC_LEASE_BUSY: &str = "coursefed_sync_lease_busy_total";

/// Scheduled ticks of the daemon.
pub const DAEMON_TICKS: &str = "coursefed_daemon_ticks_total";
/// Ticks skipped: the source's previous run in this process was still going.
pub const DAEMON_TICKS_SKIPPED: &str = "coursefed_daemon_ticks_skipped_total";

/// Run-duration buckets: a second to a few hours.
const DURATION_BUCKETS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0,
];

/// Installs the global recorder (once per process) and returns the handle that renders
/// it. If another recorder was installed first, metrics recorded through the facade go
/// there and this handle renders an empty page rather than failing.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets_for_metric(Matcher::Full(SYNC_DURATION.to_owned()), DURATION_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if ::metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("A metrics recorder was already installed; /metrics will be empty.");
            }
            handle
        })
        .clone()
}

/// The current metrics in the Prometheus text exposition format.
pub fn render() -> String {
    handle().render()
}

/// Records one finished run of `source` (a sync or a replay).
pub fn record_run(
    source: &str,
    outcome: RunOutcome,
    stats: &RunStats,
    duration: Duration,
    retries: u64,
) {
    let source = source.to_owned();
    ::metrics::counter!(SYNC_RUNS, "source" => source.clone(), "outcome" => outcome.as_str())
        .increment(1);
    ::metrics::counter!(SYNC_PAGES, "source" => source.clone()).increment(stats.pages);
    ::metrics::counter!(SYNC_RECORDS, "source" => source.clone()).increment(stats.seen);
    ::metrics::counter!(SYNC_REJECTS, "source" => source.clone()).increment(stats.rejected);
    ::metrics::counter!(FETCH_RETRIES, "source" => source.clone()).increment(retries);
    ::metrics::histogram!(SYNC_DURATION, "source" => source.clone()).record(duration.as_secs_f64());
    if outcome == RunOutcome::Succeeded {
        let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
        ::metrics::gauge!(SYNC_LAST_SUCCESS, "source" => source).set(now);
    }
}

/// Records a run refused because `source`'s lease was held by another holder.
pub fn record_lease_busy(source: &str) {
    ::metrics::counter!(SYNC_LEASE_BUSY, "source" => source.to_owned()).increment(1);
}

/// Records a scheduled tick of `source`, and whether it was skipped because the
/// source's previous run here was still going.
pub fn record_tick(source: &str, skipped: bool) {
    ::metrics::counter!(DAEMON_TICKS, "source" => source.to_owned()).increment(1);
    if skipped {
        ::metrics::counter!(DAEMON_TICKS_SKIPPED, "source" => source.to_owned()).increment(1);
    }
}
