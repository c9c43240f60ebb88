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
    /// Serve the read API over a synthetic N-course catalogue on loopback and drive it with
    /// wrk: by id, a filtered list and a search, per backend, beside a bare axum handler.
    Api(ApiBenchArgs),
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
        BenchCommand::Api(args) => return run_api(args).await,
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

#[derive(Debug, Args)]
pub struct ApiBenchArgs {
    /// Courses in the synthetic catalogue.
    #[arg(long, default_value_t = 100_000)]
    pub n: usize,
    /// Seconds of load per endpoint.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Concurrent connections wrk keeps open.
    #[arg(long, default_value_t = 32)]
    pub connections: u32,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Backends to measure: sqlite, postgres or both (comma-separated).
    #[arg(long, default_value = "sqlite,postgres")]
    pub backends: String,
    /// A PostgreSQL server URL; the benchmark creates and drops its own database there.
    #[arg(long, env = "COURSEFED_BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// Keep the SQLite catalogue in this directory (default: a temporary directory), and
    /// keep the PostgreSQL database (its URL is printed).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// With `--dir`: measure the catalogue a previous run kept there (SQLite file, and the
    /// PostgreSQL database whose URL it recorded) instead of building a new one.
    #[arg(long, requires = "dir")]
    pub reuse: bool,
}

/// Where a kept PostgreSQL catalogue's URL is recorded in `--dir`.
const KEPT_PG_URL_FILE: &str = "bench-api-postgres.url";

fn print_load(r: &crate::api::bench::LoadResult, bare: Option<f64>) {
    let ratio = bare.map_or(String::new(), |b| {
        format!("  ({:.2}x bare)", r.requests_per_sec / b)
    });
    let errors = if r.non_2xx > 0 {
        format!("  non-2xx: {}", r.non_2xx)
    } else {
        String::new()
    };
    println!(
        "{:<36} {:>10.0} req/s   p50 {:>8.2} ms   p99 {:>8.2} ms{ratio}{errors}{}",
        r.name,
        r.requests_per_sec,
        r.p50_ms,
        r.p99_ms,
        load_average().map_or(String::new(), |l| format!("  (load {l})"))
    );
}

/// The 1-minute load average (Linux), to judge how loaded the machine was.
fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next().map(str::to_owned)
}

/// A fresh PostgreSQL database on `admin`: (url, name).
async fn bench_pg_database(admin: &str) -> Result<(String, String), CliError> {
    use sqlx::Connection;
    let failed = |e: &dyn std::fmt::Display| CliError::Failed(format!("PostgreSQL: {e}"));
    let name = format!(
        "coursefed_bench_api_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .map_err(|e| failed(&e))?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .map_err(|e| failed(&e))?;
    let mut url = url::Url::parse(admin).map_err(|e| failed(&e))?;
    url.set_path(&name);
    Ok((url.to_string(), name))
}

async fn drop_pg_database(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

async fn run_api(args: ApiBenchArgs) -> Result<u8, CliError> {
    use crate::api::bench::{
        BodySizes, CacheFigures, LoadSettings, distinct_search_paths, filtered_paths,
        page_miss_paths, run_wrk, sample_catalogue, serve_api, serve_bare, shuffled, timed_build,
        warm_up, warm_up_sizes,
    };
    let failed = |e: &dyn std::fmt::Display| CliError::Failed(e.to_string());
    let settings = LoadSettings {
        duration: std::time::Duration::from_secs(args.duration),
        connections: args.connections,
        threads: args.threads,
        headers: Vec::new(),
    };
    let tmp = tempfile::tempdir().map_err(|e| failed(&e))?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    let reuse_sqlite = args.reuse && dir.join("bench-api.db").exists();
    if !reuse_sqlite && args.backends.split(',').any(|b| b.trim() == "sqlite") {
        let _ = std::fs::remove_file(dir.join("bench-api.db"));
    }
    let load = |name: String, base: String, paths: Vec<String>| {
        let settings = settings.clone();
        let dir = dir.clone();
        // wrk blocks: keep it off the runtime's workers, which serve the API.
        tokio::task::spawn_blocking(move || run_wrk(&name, &base, &paths, &settings, &dir))
    };
    println!(
        "coursefed bench api: n = {}, wrk -t{} -c{} -d{}s per endpoint",
        args.n, args.threads, args.connections, args.duration
    );
    let bare_base = serve_bare().await.map_err(|e| failed(&e))?;
    for backend in args.backends.split(',').map(str::trim) {
        let kept_pg = dir.join(KEPT_PG_URL_FILE);
        let (url, pg, reused) = match backend {
            "sqlite" => (
                format!("sqlite://{}", dir.join("bench-api.db").display()),
                None,
                reuse_sqlite,
            ),
            "postgres" => {
                let Some(admin) = args.postgres_url.clone() else {
                    println!(
                        "postgres: skipped (no --postgres-url / COURSEFED_BENCH_POSTGRES_URL)"
                    );
                    continue;
                };
                match std::fs::read_to_string(&kept_pg) {
                    Ok(url) if args.reuse && !url.trim().is_empty() => {
                        (url.trim().to_owned(), None, true)
                    }
                    _ => {
                        let (url, name) = bench_pg_database(&admin).await?;
                        (url, Some((admin, name)), false)
                    }
                }
            }
            other => {
                return Err(CliError::Usage(format!(
                    "--backends: {other:?} is not sqlite or postgres"
                )));
            }
        };
        let store = Store::connect(&url).await?;
        if reused {
            println!("\n{backend}: the kept catalogue reused ({url})");
        } else {
            let built = timed_build(&store, args.n).await?;
            println!(
                "\n{backend}: catalogue of {} courses built through the store in {:.1} s",
                args.n,
                built.as_secs_f64()
            );
        }
        let (base, stop) = serve_api(&store, true, true)
            .await
            .map_err(|e| failed(&e))?;
        let (uncached, stop_uncached) = serve_api(&store, false, true)
            .await
            .map_err(|e| failed(&e))?;
        let (db_only, stop_db_only) = serve_api(&store, false, false)
            .await
            .map_err(|e| failed(&e))?;
        let sample = sample_catalogue(&base, 2000)
            .await
            .map_err(CliError::Failed)?;
        let ids = sample.ids.clone();
        // Every course of the catalogue, in a random order: a load no hot set covers.
        let all_ids = shuffled(
            store
                .course_ids()
                .await?
                .iter()
                .map(|id| {
                    let id = percent_encoding::utf8_percent_encode(
                        id,
                        percent_encoding::NON_ALPHANUMERIC,
                    );
                    format!("/v1/courses/{id}")
                })
                .collect(),
            5,
        );
        // Distinct searches drawn from the catalogue (pieces of titles, names).
        let searches = distinct_search_paths(&sample, 1000, 11);
        println!(
            "{} course ids and {} distinct searches sampled; first searches: {}",
            ids.len(),
            searches.len(),
            searches
                .iter()
                .take(6)
                .map(|p| p.trim_start_matches("/v1/courses?"))
                .collect::<Vec<_>>()
                .join("  ")
        );
        // The cache-off server builds its search index on its first search: not measured.
        let started = std::time::Instant::now();
        warm_up(&uncached, &searches[..searches.len().min(1)])
            .await
            .map_err(CliError::Failed)?;
        println!(
            "search index built in {:.1} s (first search of the cache-off server)",
            started.elapsed().as_secs_f64()
        );
        // The ceiling, measured again per backend: the machine's load drifts.
        let bare = load(
            "bare axum handler".into(),
            bare_base.clone(),
            vec!["/bare".into()],
        )
        .await
        .map_err(|e| failed(&e))?
        .map_err(CliError::Failed)?;
        print_load(&bare, None);
        // "cache on" is warmed first: every request is a repeat the response cache
        // answers. "cache off" is a second server over the same store without the cache:
        // every request reaches the database (and, for searches, the in-process index).
        // "index off" also leaves the search index out: searches run in the database alone.
        let n_search = searches.len();
        let n_all = all_ids.len();
        let gzip = vec!["Accept-Encoding: gzip".to_owned()];
        for (name, on, paths, headers) in [
            (
                "course by id, cache on".to_owned(),
                &base,
                ids.clone(),
                Vec::new(),
            ),
            (
                "course by id, cache on, gzip".to_owned(),
                &base,
                ids.clone(),
                gzip.clone(),
            ),
            (
                "course by id, cache off".to_owned(),
                &uncached,
                ids,
                Vec::new(),
            ),
            (
                format!("course by id x{n_all}, cache on"),
                &base,
                all_ids.clone(),
                Vec::new(),
            ),
            (
                format!("course by id x{n_all}, cache on, gzip"),
                &base,
                all_ids.clone(),
                gzip.clone(),
            ),
            (
                format!("course by id x{n_all}, cache off"),
                &uncached,
                all_ids,
                Vec::new(),
            ),
            (
                "filtered list, cache on".to_owned(),
                &base,
                filtered_paths(),
                Vec::new(),
            ),
            (
                "filtered list, cache off".to_owned(),
                &uncached,
                filtered_paths(),
                Vec::new(),
            ),
            (
                format!("search x{n_search}, cache on"),
                &base,
                searches.clone(),
                Vec::new(),
            ),
            (
                format!("search x{n_search}, cache off"),
                &uncached,
                searches.clone(),
                Vec::new(),
            ),
            (
                format!("search x{n_search}, cache+index off"),
                &db_only,
                searches.clone(),
                Vec::new(),
            ),
        ] {
            if *on == base && paths.len() == n_all && headers.is_empty() {
                // One pass over the whole catalogue: what a cache of this size keeps of it.
                let started = std::time::Instant::now();
                let sizes = warm_up_sizes(on, &paths).await.map_err(CliError::Failed)?;
                let pct = |v: &[usize]| {
                    format!(
                        "mean {:.0}, p50 {}, p90 {}, p99 {}, max {}",
                        BodySizes::mean(v),
                        BodySizes::percentile(v, 50.0),
                        BodySizes::percentile(v, 90.0),
                        BodySizes::percentile(v, 99.0),
                        v.last().copied().unwrap_or(0)
                    )
                };
                println!(
                    "course bodies by id, {} read in {:.1} s: bytes {}; gzip bytes {}",
                    sizes.identity.len(),
                    started.elapsed().as_secs_f64(),
                    pct(&sizes.identity),
                    pct(&sizes.gzip)
                );
            } else if *on == base && headers.is_empty() {
                warm_up(on, &paths).await.map_err(CliError::Failed)?;
            } else if *on == uncached && paths.len() == n_all {
                // The database's page cache warmed by one pass (as misses of the cached
                // server would have left it): the row measures the miss path, not the disk.
                warm_up(on, &paths).await.map_err(CliError::Failed)?;
            }
            let load = |name: String, base: String, paths: Vec<String>| {
                let settings = LoadSettings {
                    headers: headers.clone(),
                    ..settings.clone()
                };
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || run_wrk(&name, &base, &paths, &settings, &dir))
            };
            let cached = *on == base;
            let before = if cached {
                Some(CacheFigures::of(on).await.map_err(CliError::Failed)?)
            } else {
                None
            };
            let r = load(format!("{backend} {name}"), on.clone(), paths)
                .await
                .map_err(|e| failed(&e))?
                .map_err(CliError::Failed)?;
            print_load(&r, Some(bare.requests_per_sec));
            if let Some(before) = before {
                let after = CacheFigures::of(on).await.map_err(CliError::Failed)?;
                println!("{:<36} {}", "", after.since(&before));
            }
        }
        // A search's first read on the cached server (every course body cached by now,
        // the page not): the usual path of a search nobody asked for lately.
        let misses = page_miss_paths(&searches, 13);
        let (s1, d1, b1) = (settings.clone(), dir.clone(), base.clone());
        let name = format!("{backend} search x{}, page misses", misses.len());
        let before = CacheFigures::of(&base).await.map_err(CliError::Failed)?;
        let r = tokio::task::spawn_blocking(move || run_wrk(&name, &b1, &misses, &s1, &d1))
            .await
            .map_err(|e| failed(&e))?
            .map_err(CliError::Failed)?;
        print_load(&r, Some(bare.requests_per_sec));
        let after = CacheFigures::of(&base).await.map_err(CliError::Failed)?;
        println!("{:<36} {}", "", after.since(&before));
        // Latency without queueing behind the read pool: 4 connections, no cache.
        let quiet = LoadSettings {
            connections: 4,
            ..settings.clone()
        };
        let (s2, d2, b2) = (quiet, dir.clone(), uncached.clone());
        let name = format!("{backend} search x{n_search}, cache off, 4 conns");
        let r = tokio::task::spawn_blocking(move || run_wrk(&name, &b2, &searches, &s2, &d2))
            .await
            .map_err(|e| failed(&e))?
            .map_err(CliError::Failed)?;
        print_load(&r, Some(bare.requests_per_sec));
        // The servers finish what they are answering before the store closes.
        for served in [stop_db_only, stop, stop_uncached] {
            served.stop().await;
        }
        store.close().await;
        if let Some((admin, name)) = pg {
            if args.dir.is_some() {
                println!("kept the PostgreSQL catalogue: {url}");
                std::fs::write(&kept_pg, &url).map_err(|e| failed(&e))?;
            } else {
                drop_pg_database(&admin, &name).await;
            }
        }
    }
    if let Some(rss) = peak_rss_bytes() {
        println!("\npeak RSS: {:.0} MiB", rss as f64 / 1048576.0);
    }
    Ok(EXIT_OK)
}
