//! The `coursefed` binary as a child process.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `coursefed ARGS` in `cwd` on the SQLite database at `db` (connectors from `cwd`,
/// warnings only in the log) and waits for it.
pub fn coursefed(cwd: &Path, db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coursefed"))
        .current_dir(cwd)
        .env(
            "COURSEFED_DATABASE_URL",
            format!("sqlite://{}", db.display()),
        )
        .env_remove("COURSEFED_CONNECTORS_DIR")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run coursefed")
}
