//! `coursefed demo`: serves the recorded platform catalogues bundled in `fixtures/` on
//! loopback ports and syncs them through the real HTTP path into the configured database,
//! so a new user without network sees the whole pipeline work.

use std::io::IsTerminal;
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
    /// After syncing, serve the read API over the demo catalogue until Ctrl-C. This is the
    /// default when stdout is a terminal (and `CI` is not set).
    #[arg(long, conflicts_with = "no_serve")]
    pub serve: bool,
    /// End after the sync. This is the default when stdout is not a terminal (scripts,
    /// pipes, CI), so an unattended demo always terminates.
    #[arg(long)]
    pub no_serve: bool,
    /// Where the read API listens (default: `[api] listen`, 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR", conflicts_with = "no_serve")]
    pub listen: Option<SocketAddr>,
}

/// Where the recorded catalogues are.
fn fixtures_dir(given: Option<PathBuf>) -> Result<PathBuf, CliError> {
    let candidates = given.into_iter().chain([
        PathBuf::from("fixtures"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
    ]);
    for c in candidates {
        if [
            "openedx/demo",
            "openedx_rss/demo",
            "xuetangx/demo",
            "thaimooc/pages",
        ]
        .iter()
        .all(|d| c.join(d).is_dir())
        {
            return Ok(c);
        }
    }
    Err(CliError::Usage(
        "cannot find the fixtures directory (with openedx/demo, openedx_rss/demo, xuetangx/demo, thaimooc/pages); pass --fixtures DIR".into(),
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

async fn rss_page(State(r): State<Recorded>, Query(q): Query<PageQuery>) -> Response {
    r.file(
        &format!("page-{}.xml", q.page.unwrap_or(1)),
        "application/rss+xml",
    )
}

/// The XuetangX-style session: `GET /` sets the CSRF cookie.
const DEMO_CSRF: &str = "demo-token";

async fn xuetangx_home() -> Response {
    (
        [(header::SET_COOKIE, format!("csrftoken={DEMO_CSRF}; Path=/"))],
        "<html><body>XuetangX-style demo</body></html>",
    )
        .into_response()
}

/// Like the real platform, refuses API calls without the session headers.
async fn xuetangx_products(
    State(r): State<Recorded>,
    Query(q): Query<PageQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let has =
        |name: &str, value: &str| headers.get(name).and_then(|v| v.to_str().ok()) == Some(value);
    if !has("xtbz", "xt") || !has("x-csrftoken", DEMO_CSRF) {
        return (StatusCode::FORBIDDEN, "CSRF verification failed").into_response();
    }
    r.file(
        &format!("page_{}.json", q.page.unwrap_or(1)),
        "application/json",
    )
}

async fn thaimooc_api(
    State(r): State<Recorded>,
    axum::extract::Path(what): axum::extract::Path<String>,
) -> Response {
    match what.as_str() {
        "courses" | "institutions" | "instructors" => {
            r.file(&format!("{what}.json"), "application/json")
        }
        _ => (StatusCode::NOT_FOUND, "no such endpoint").into_response(),
    }
}

async fn thaimooc_page(
    State(r): State<Recorded>,
    axum::extract::Path(code): axum::extract::Path<String>,
) -> Response {
    // Course codes are plain tokens; anything else cannot name a recorded page.
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return (StatusCode::NOT_FOUND, "not recorded").into_response();
    }
    r.file(&format!("pages/{code}.html"), "text/html; charset=utf-8")
}

/// Binds `preferred_port` on loopback (so URLs, and so content hashes, stay the same from
/// one demo run to the next), or any free port if it is taken; serves `router(state)` on
/// it and returns the base URL.
async fn serve<F>(dir: PathBuf, preferred_port: u16, router: F) -> Result<String, CliError>
where
    F: FnOnce(Recorded) -> axum::Router,
{
    let bind = |port| tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)));
    let listener = match bind(preferred_port).await {
        Ok(l) => l,
        Err(_) => bind(0)
            .await
            .map_err(|e| CliError::Failed(format!("cannot bind a loopback port: {e}")))?,
    };
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
    let edx = serve(fixtures.join("openedx/demo"), 18801, |r| {
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

    let rss = serve(fixtures.join("openedx_rss/demo"), 18802, |r| {
        axum::Router::new()
            .route(
                "/api/v2/report/course-feed/rss",
                axum::routing::get(rss_page),
            )
            .with_state(r)
    })
    .await?;
    sources.push(demo_source(
        "demo-edx-rss",
        &format!(
            "style = \"openedx_rss\"\nname = \"Demo edX course feed (recorded)\"\nbase_url = \"{rss}\"\ntimezone = \"America/New_York\"\nrequests_per_minute = 6000\n"
        ),
    )?);

    let xt = serve(fixtures.join("xuetangx/demo"), 18803, |r| {
        axum::Router::new()
            .route("/", axum::routing::get(xuetangx_home))
            .route(
                "/api/v1/lms/get_product_list/",
                axum::routing::post(xuetangx_products),
            )
            .with_state(r)
    })
    .await?;
    sources.push(demo_source(
        "demo-xuetangx",
        &format!(
            "style = \"xuetangx\"\nname = \"Demo XuetangX-style platform (recorded)\"\nbase_url = \"{xt}\"\ntimezone = \"Asia/Shanghai\"\nrequests_per_minute = 6000\n"
        ),
    )?);

    let th = serve(fixtures.join("thaimooc"), 18804, |r| {
        axum::Router::new()
            .route("/api/{what}", axum::routing::get(thaimooc_api))
            .route("/courses/{code}", axum::routing::get(thaimooc_page))
            .with_state(r)
    })
    .await?;
    sources.push(demo_source(
        "demo-thaimooc",
        &format!(
            "style = \"thaimooc\"\nname = \"Demo Thai MOOC-style platform (recorded)\"\nbase_url = \"{th}\"\ntimezone = \"Asia/Bangkok\"\nrequests_per_minute = 6000\n"
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
    let fixtures = fixtures_dir(args.fixtures.clone())?;
    let sources = start_platforms(&fixtures).await?;
    let store = open_store(config).await?;
    println!(
        "Serving {} recorded platform(s) on loopback; syncing into {} …",
        sources.len(),
        crate::cli::redact(&config.database_url)
    );
    let reports = crate::cli::sync_all(&store, &sources).await?;
    crate::cli::print_reports(&reports, false);
    let interactive = std::io::stdout().is_terminal() && std::env::var_os("CI").is_none();
    if should_serve(&args, interactive) {
        // The recorded platforms keep running, so the admin sync endpoint works too.
        let state = crate::api::ApiState::from_config(store.clone(), config, sources);
        let addr = args.listen.unwrap_or(config.api.listen);
        let served = crate::cli::serve_until_signal(&store, state, addr).await;
        store.close().await;
        served?;
        return Ok(crate::cli::exit_code(&reports));
    }
    store.close().await;
    println!(
        "\nNext: `coursefed courses list`, `coursefed courses show demo-edx:<Org+Number>`, `coursefed export`, or `coursefed demo --serve` to browse it over the read API."
    );
    Ok(crate::cli::exit_code(&reports))
}

/// Whether the demo ends by serving the read API: as asked (`--serve`, `--no-serve`,
/// or `--listen`, which only makes sense when serving), else when run interactively.
fn should_serve(args: &DemoArgs, interactive: bool) -> bool {
    if args.serve || args.listen.is_some() {
        true
    } else if args.no_serve {
        false
    } else {
        interactive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(serve: bool, no_serve: bool, listen: Option<&str>) -> DemoArgs {
        DemoArgs {
            fixtures: None,
            serve,
            no_serve,
            listen: listen.map(|a| a.parse().unwrap()),
        }
    }

    #[test]
    fn demo_serves_when_interactive_and_ends_when_unattended() {
        assert!(should_serve(&args(false, false, None), true));
        assert!(!should_serve(&args(false, false, None), false));
    }

    #[test]
    fn demo_flags_override_the_terminal_default() {
        assert!(should_serve(&args(true, false, None), false));
        assert!(should_serve(
            &args(false, false, Some("127.0.0.1:0")),
            false
        ));
        assert!(!should_serve(&args(false, true, None), true));
    }
}
