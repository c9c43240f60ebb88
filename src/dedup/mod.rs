//! Cross-platform deduplication: every listing belongs to exactly one canonical course.
//! Pure matching over [`MatchRecord`]s (keys, institution identity, folded titles,
//! instructors); the store keeps course ids stable across syncs on top of [`cluster`].

mod alias;
pub mod bench;
mod cluster;
pub mod incremental;
mod operator;
mod prepare;
mod record;
pub mod text;

pub use alias::AliasTable;
pub use bench::{BenchStats, bench_dedup};
pub use cluster::{Clustering, Link, Overrides, Signal, THRESHOLDS, Thresholds, cluster};
pub use incremental::RematchStats;
pub use operator::{
    ExplainedListing, Explanation, ListingEvidence, OverrideNote, ThresholdsDoc, explain, link,
    unlink,
};
pub use record::{BenchRow, CourseIdentity, MatchRecord, TaggedTitle, course_identity, listing_of};

use std::path::PathBuf;

/// Logs the process's resident and peak memory after a matching stage (at DEBUG, so
/// `RUST_LOG=coursefed::dedup=debug` profiles a benchmark run stage by stage). Linux only;
/// elsewhere nothing is logged.
pub(crate) fn trace_memory(stage: &str) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return;
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    tracing::debug!(
        stage,
        rss = %field("VmRSS:"),
        peak = %field("VmHWM:"),
        "Dedup stage done."
    );
}

/// Why deduplication could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DedupError {
    /// The alias table is not valid TOML of the expected shape.
    #[error("institution alias table: {0}")]
    AliasTable(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A CSV file is malformed.
    #[error("{path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}
