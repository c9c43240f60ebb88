//! `coursefed export [--format jsonl] [--output FILE]`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{CliError, EXIT_OK, open_store};
use crate::config::AppConfig;
use crate::export::export_jsonl;
use crate::store::ListingFilter;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One JSON object per course per line.
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Write here instead of standard output (written to a temporary file, then renamed).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only listings of this source.
    #[arg(long)]
    pub source: Option<String>,
}

pub async fn run(config: &AppConfig, args: ExportArgs) -> Result<u8, CliError> {
    let store = open_store(config).await?;
    let filter = ListingFilter {
        source: args.source,
        ..Default::default()
    };
    let Format::Jsonl = args.format;
    let failed = |e: std::io::Error| CliError::Failed(format!("cannot write the export: {e}"));
    let count = match &args.output {
        Some(path) => {
            // Readers of the file never see a half-written export.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
            let mut out = BufWriter::new(tmp);
            let n = export_jsonl(&store, &filter, &mut out)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let tmp = out.into_inner().map_err(|e| failed(e.into_error()))?;
            tmp.persist(path).map_err(|e| failed(e.error))?;
            n
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let n = export_jsonl(&store, &filter, &mut out)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?;
            out.flush().map_err(failed)?;
            n
        }
    };
    tracing::info!(courses = count, "Export written.");
    store.close().await;
    Ok(EXIT_OK)
}
