//! `coursefed demo`: serves the recorded platform catalogues bundled in `fixtures/` on
//! loopback ports and syncs them through the real HTTP path into the configured database,
//! so a new user without network sees the whole pipeline work.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Args;
use serde::Deserialize;

use crate::cli::{CliError, open_store};
use crate::config::{AppConfig, SourceConfig};
use crate::domain::SourceId;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The fixtures directory (default: ./fixtures, else the one in the source tree).
    #[arg(long)]
    pub fixtures: Option<PathBuf>,
}

/// Where the recorded catalogues are.
fn fixtures_dir(given: Option<PathBuf>) -> Result<PathBuf, CliError> {
    let candidates = given.into_iter().chain([
        PathBuf::from("fixtures"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
    ]);
    for c in candidates {
        if c.join("openedx/demo").is_dir() {
            return Ok(c);
        }
    }
    Err(CliError::Usage(
        "cannot find the fixtures directory (with openedx/demo/); pass --fixtures DIR".into(),
    ))
}

#[derive(Clone)]
struct Recorded {
    dir: Arc<PathBuf>,
    base: Arc<String>,
}

impl Recorded {
    /// A recorded file with `{{base_url}}` replaced by this server's address.
    fn file(&self, name: &str, content_type: &'static str) -> Response {
        match std::fs::read_to_string(self.dir.join(name)) {
            Ok(text) => (
                [(header::CONTENT_TYPE, content_type)],
                text.replace("{{base_url}}", &self.base),
            )
                .into_response(),
            Err(_) => (StatusCode::NOT_FOUND, "not recorded").into_response(),
        }
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<u32>,
}

async fn openedx_page(State(r): State<Recorded>, Query(q): Query<PageQuery>) -> Response {
    r.file(
        &format!("page-{}.json", q.page.unwrap_or(1)),
        "application/json",
    )
}

/// Binds a loopback port and serves `router(state)` on it; returns the base URL.
async fn serve<F>(dir: PathBuf, router: F) -> Result<String, CliError>
where
    F: FnOnce(Recorded) -> axum::Router,
{
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| CliError::Failed(format!("cannot bind a loopback port: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let base = format!("http://{addr}");
    let app = router(Recorded {
        dir: Arc::new(dir),
        base: Arc::new(base.clone()),
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}

/// Starts the recorded platforms; returns their sources.
pub async fn start_platforms(fixtures: &Path) -> Result<Vec<SourceConfig>, CliError> {
    let mut sources = Vec::new();
    let edx = serve(fixtures.join("openedx/demo"), |r| {
        axum::Router::new()
            .route("/api/courses/v1/courses/", axum::routing::get(openedx_page))
            .with_state(r)
    })
    .await?;
    sources.push(demo_source(
        "demo-edx",
        &format!(
            "style = \"openedx\"\nname = \"Demo edX-style platform (recorded)\"\nbase_url = \"{edx}\"\nrequests_per_minute = 6000\npage_size = 10\n"
        ),
    )?);
    Ok(sources)
}

fn demo_source(id: &str, toml: &str) -> Result<SourceConfig, CliError> {
    let sid = SourceId::parse(id).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(SourceConfig::from_toml(
        sid,
        Path::new(&format!("(demo)/{id}.toml")),
        toml,
    )?)
}

pub async fn run(config: &AppConfig, args: DemoArgs) -> Result<u8, CliError> {
    let fixtures = fixtures_dir(args.fixtures)?;
    let sources = start_platforms(&fixtures).await?;
    let store = open_store(config).await?;
    println!(
        "Serving {} recorded platform(s) on loopback; syncing into {} …",
        sources.len(),
        crate::cli::redact(&config.database_url)
    );
    let reports = crate::cli::sync_all(&store, &sources).await?;
    crate::cli::print_reports(&reports, false);
    store.close().await;
    println!(
        "\nNext: `coursefed courses list`, `coursefed courses show demo-edx:<Org+Number>`, `coursefed export`."
    );
    Ok(crate::cli::exit_code(&reports))
}
