//! The dedup benchmark's entry point: `records.csv` in, `record_id,cluster_id` out.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{AliasTable, BenchRow, DedupError, MatchRecord, Overrides, cluster};

/// Sizes and timings of one benchmark run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchStats {
    pub records: usize,
    pub clusters: usize,
    pub largest_cluster: usize,
    /// Accepted links by signal name.
    pub links: Vec<(String, usize)>,
    pub read: Duration,
    pub cluster: Duration,
    pub write: Duration,
}

/// Reads the benchmark's `records.csv`, clusters it with the shipped alias table and no
/// overrides, and writes `record_id,cluster_id` to `output`.
pub fn bench_dedup(input: &Path, output: &Path) -> Result<BenchStats, DedupError> {
    let csv_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DedupError::Csv {
            path: path.clone(),
            source,
        }
    };
    let started = Instant::now();
    let mut reader = csv::Reader::from_path(input).map_err(csv_err(input))?;
    let mut records = Vec::new();
    for row in reader.deserialize::<BenchRow>() {
        let row = row.map_err(csv_err(input))?;
        records.push(MatchRecord::from_bench_row(&row));
    }
    let read = started.elapsed();
    super::trace_memory("read");

    let started = Instant::now();
    let aliases = AliasTable::load_default()?;
    let clustering = cluster(&records, &aliases, &Overrides::default());
    drop(records);
    let cluster_time = started.elapsed();

    let started = Instant::now();
    let mut writer = csv::Writer::from_path(output).map_err(csv_err(output))?;
    writer
        .write_record(["record_id", "cluster_id"])
        .map_err(csv_err(output))?;
    let mut sizes: rustc_hash::FxHashMap<u64, usize> = rustc_hash::FxHashMap::default();
    for (record, cluster) in &clustering.assignments {
        *sizes.entry(*cluster).or_default() += 1;
        writer
            .write_record([record.to_string(), cluster.to_string()])
            .map_err(csv_err(output))?;
    }
    writer.flush().map_err(|source| DedupError::Io {
        path: output.to_path_buf(),
        source,
    })?;
    let mut links: std::collections::BTreeMap<String, usize> = Default::default();
    for link in &clustering.links {
        let name = format!("{:?}", link.signal);
        *links.entry(name).or_default() += 1;
    }
    Ok(BenchStats {
        records: clustering.assignments.len(),
        clusters: sizes.len(),
        largest_cluster: sizes.values().copied().max().unwrap_or(0),
        links: links.into_iter().collect(),
        read,
        cluster: cluster_time,
        write: started.elapsed(),
    })
}
