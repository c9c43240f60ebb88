//! `coursefed connectors list` and `coursefed connectors validate`.

use clap::Subcommand;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use super::{CliError, EXIT_OK, EXIT_USAGE};
use crate::config::{AppConfig, load_sources};

#[derive(Debug, Subcommand)]
pub enum ConnectorsCommand {
    /// List the connector files: id, style, enabled, base URL, schedule.
    List,
    /// Check every connector file and report every error (exit 2 if any).
    Validate,
}

pub fn run(config: &AppConfig, cmd: ConnectorsCommand) -> Result<u8, CliError> {
    let loaded = load_sources(&config.connectors_dir)?;
    match cmd {
        ConnectorsCommand::List => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header([
                "source", "style", "enabled", "base_url", "schedule", "timezone", "req/min",
            ]);
            let mut bad = 0;
            for r in &loaded {
                match r {
                    Ok(s) => {
                        table.add_row([
                            s.id.to_string(),
                            s.style.name().to_owned(),
                            s.enabled.to_string(),
                            s.base_url.to_string(),
                            s.schedule.clone(),
                            s.timezone.name().to_owned(),
                            s.requests_per_minute.to_string(),
                        ]);
                    }
                    Err(e) => {
                        bad += 1;
                        eprintln!("invalid: {e}");
                    }
                }
            }
            println!("{table}");
            Ok(if bad == 0 { EXIT_OK } else { EXIT_USAGE })
        }
        ConnectorsCommand::Validate => {
            let mut bad = 0;
            for r in &loaded {
                match r {
                    Ok(s) => println!("ok       {} ({})", s.file.display(), s.style.name()),
                    Err(e) => {
                        bad += 1;
                        println!("invalid  {e}");
                    }
                }
            }
            println!("{} file(s), {} invalid", loaded.len(), bad);
            Ok(if bad == 0 { EXIT_OK } else { EXIT_USAGE })
        }
    }
}
