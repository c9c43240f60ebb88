//! coursefed: a federated course-metadata aggregator.
//!
//! # Layout
//!
//! The pipeline runs left to right; I/O happens only at `fetch` and `store`.
//!
//! ```text
//! connectors/*.toml ─► config ─► connector (style) ─► fetch ─► parse ─► normalise
//!     ─► domain::ListingDraft ─► sync (spool, ledger) ─► store (+ dedup re-match) ─► export / CLI
//! ```
//!
//! - [`config`]: `coursefed.toml`, `connectors/*.toml` and `COURSEFED_*` overrides.
//! - [`domain`]: the shared schema — listing and run drafts, enums, identifiers.
//! - [`connector`]: the `Connector` registry (one enum variant per style) and the styles.
//! - [`fetch`]: the one HTTP client — politeness, retries, limits.
//! - [`normalise`]: pure functions for text, HTML, dates, languages and effort.
//! - [`store`]: sqlx persistence behind one interface, SQLite and PostgreSQL.
//! - [`sync`]: one run of one source, with its ledger; a failed run changes nothing.
//! - [`daemon`]: `coursefed run` — cron scheduling, bounded concurrency, clean shutdown.
//! - [`dedup`]: cross-platform deduplication — listings clustered into courses; the
//!   store re-matches the listings a sync changed (`dedup::incremental`,
//!   `store/dedup.rs`) and keeps course ids stable; operator link/unlink and explain.
//! - [`export`]: the catalogue as JSON lines, in the final course shape.
//! - [`demo`]: a loopback platform serving the recorded fixtures.
//! - [`bench`]: the ingest benchmark.
//! - [`api`]: the axum read API (courses, search, change feed, sources, admin), its
//!   response cache (validated by the change log) and its bench.
//! - [`metrics`]: the process-wide Prometheus recorder.
//! - [`cli`]: the `coursefed` commands (one file each); `main.rs` only parses and exits.
//! - [`telemetry`]: tracing set-up.

pub mod api;
pub mod bench;
pub mod cli;
pub mod config;
pub mod connector;
pub mod daemon;
pub mod dedup;
pub mod demo;
pub mod domain;
pub mod export;
pub mod fetch;
pub mod metrics;
pub mod normalise;
pub mod store;
pub mod sync;
pub mod telemetry;

/// Installs the process-wide rustls crypto provider (ring). reqwest is built without a
/// provider so that only one (ring, shared with sqlx) is compiled in; without this call
/// building an HTTP client panics. Safe to call more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
