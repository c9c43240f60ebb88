//! The `coursefed` binary: parses the command line, sets up telemetry, runs the command
//! and turns the result into an exit code (0 ok, 1 a run or operation failed, 2 bad
//! configuration or usage — see README).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use coursefed::cli::{Cli, Command};

/// mimalloc: the read API allocates per row and per response on many threads (sqlx's
/// SQLite workers hand every value to the runtime's workers), where glibc's allocator
/// spent a quarter of a search request's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    coursefed::install_crypto_provider();
    let cli = Cli::parse();
    // With progress bars on a terminal, keep logs to warnings so they don't tear the bars.
    let quiet = std::io::stderr().is_terminal()
        && matches!(cli.command, Command::Sync(_) | Command::Demo(_));
    coursefed::telemetry::init(if quiet { "warn" } else { "info" }, cli.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(coursefed::cli::EXIT_FAILED);
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
