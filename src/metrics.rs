//! Process-wide Prometheus metrics: one recorder installed on first use, rendered by
//! `GET /metrics`. Code records through the `metrics` facade (`metrics::counter!` …);
//! the metric names the daemon and the API record are listed here.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder (once per process) and returns the handle that renders
/// it. If another recorder was installed first, metrics recorded through the facade go
/// there and this handle renders an empty page rather than failing.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
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
