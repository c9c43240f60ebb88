//! Configuration: `coursefed.toml` (optional), one `connectors/*.toml` file per platform
//! instance, `COURSEFED_*` environment overrides and command-line flags, in rising order
//! of precedence.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

pub use crate::connector::openedx::OpenEdxOptions;
pub use crate::connector::openedx_rss::OpenEdxRssOptions;
pub use crate::connector::thaimooc::ThaimoocOptions;
pub use crate::connector::xuetangx::XuetangxOptions;
use crate::domain::SourceId;

/// The default database: an SQLite file in the working directory, created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://coursefed.db";
/// The default connectors directory.
pub const DEFAULT_CONNECTORS_DIR: &str = "connectors";
/// The default API listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default schedule: every six hours, on the hour.
pub const DEFAULT_SCHEDULE: &str = "0 0 */6 * * *";

/// A configuration problem, always naming the file and, where there is one, the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read.
    #[error("{file}: cannot read: {error}")]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    /// A file is not valid TOML, has an unknown key or a value of the wrong type.
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    /// A key has a value of the right type that is still not acceptable.
    #[error("{file}: key `{key}`: {message}")]
    Value {
        file: PathBuf,
        key: String,
        message: String,
    },
    /// The connectors directory is missing or unreadable.
    #[error("connectors directory {dir}: {error}")]
    ConnectorsDir { dir: PathBuf, error: std::io::Error },
}

impl ConfigError {
    fn value(file: &Path, key: &str, message: impl Into<String>) -> Self {
        Self::Value {
            file: file.to_owned(),
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// `coursefed.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    database_url: Option<String>,
    connectors_dir: Option<PathBuf>,
    #[serde(default)]
    api: ApiFile,
    #[serde(default)]
    daemon: DaemonFile,
}

/// The `[daemon]` table as written (`coursefed run`, leases).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DaemonFile {
    max_concurrent_runs: Option<u32>,
    shutdown_grace_seconds: Option<u64>,
    lease_ttl_seconds: Option<u64>,
    max_jitter_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiFile {
    listen: Option<String>,
    cors_origins: Option<Vec<String>>,
    admin_token: Option<String>,
    request_timeout_seconds: Option<u64>,
    max_body_bytes: Option<usize>,
    cache_max_bytes: Option<u64>,
    cache_poll_ms: Option<u64>,
    search_index: Option<bool>,
}

/// Values given on the command line or in the environment; `None` means "not given".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub connectors_dir: Option<PathBuf>,
}

/// The resolved application configuration.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub database_url: String,
    pub connectors_dir: PathBuf,
    pub api: ApiConfig,
    pub daemon: DaemonConfig,
}

/// The `[daemon]` table: how `coursefed run` schedules, and the source leases every sync
/// takes.
#[derive(Debug, Clone, PartialEq)]
pub struct DaemonConfig {
    /// Syncs one daemon runs at the same time (1–64; default 2).
    pub max_concurrent_runs: u32,
    /// After SIGTERM/SIGINT, how long running syncs may go on before they are abandoned
    /// (default 30 s).
    pub shutdown_grace: Duration,
    /// How long a source lease lasts without a heartbeat (5–3600 s; default 60 s). A
    /// crashed holder's lease is reclaimed this long after its last heartbeat; the
    /// holder renews it every third of this.
    pub lease_ttl: Duration,
    /// Each scheduled tick waits a random 0..this before it starts, so sources sharing a
    /// schedule don't start in lock-step (default 5000 ms).
    pub max_jitter: Duration,
}

/// The default of `[daemon] max_concurrent_runs`.
pub const DEFAULT_MAX_CONCURRENT_RUNS: u32 = 2;
/// The default of `[daemon] shutdown_grace_seconds`.
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 30;
/// The default of `[daemon] lease_ttl_seconds`.
pub const DEFAULT_LEASE_TTL_SECONDS: u64 = 60;
/// The default of `[daemon] max_jitter_ms`.
pub const DEFAULT_MAX_JITTER_MS: u64 = 5000;

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            max_concurrent_runs: DEFAULT_MAX_CONCURRENT_RUNS,
            shutdown_grace: Duration::from_secs(DEFAULT_SHUTDOWN_GRACE_SECONDS),
            lease_ttl: Duration::from_secs(DEFAULT_LEASE_TTL_SECONDS),
            max_jitter: Duration::from_millis(DEFAULT_MAX_JITTER_MS),
        }
    }
}

impl DaemonFile {
    fn resolve(&self, file: &Path) -> Result<DaemonConfig, ConfigError> {
        let bad = |key: &str, msg: String| ConfigError::value(file, key, msg);
        let max_concurrent_runs = self
            .max_concurrent_runs
            .unwrap_or(DEFAULT_MAX_CONCURRENT_RUNS);
        if !(1..=64).contains(&max_concurrent_runs) {
            return Err(bad(
                "daemon.max_concurrent_runs",
                format!("{max_concurrent_runs}: expected 1–64"),
            ));
        }
        let grace = self
            .shutdown_grace_seconds
            .unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECONDS);
        if grace > 3600 {
            return Err(bad(
                "daemon.shutdown_grace_seconds",
                format!("{grace}: expected 0–3600"),
            ));
        }
        let ttl = self.lease_ttl_seconds.unwrap_or(DEFAULT_LEASE_TTL_SECONDS);
        if !(1..=3600).contains(&ttl) {
            return Err(bad(
                "daemon.lease_ttl_seconds",
                format!("{ttl}: expected 1–3600"),
            ));
        }
        let jitter = self.max_jitter_ms.unwrap_or(DEFAULT_MAX_JITTER_MS);
        if jitter > 600_000 {
            return Err(bad(
                "daemon.max_jitter_ms",
                format!("{jitter}: expected 0–600000"),
            ));
        }
        Ok(DaemonConfig {
            max_concurrent_runs,
            shutdown_grace: Duration::from_secs(grace),
            lease_ttl: Duration::from_secs(ttl),
            max_jitter: Duration::from_millis(jitter),
        })
    }
}

/// The `[api]` table.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    /// Origins allowed by CORS (`["*"]` for any); empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// The admin bearer token (`[api] admin_token`, env `COURSEFED_ADMIN_TOKEN`, which
    /// wins); admin endpoints are off without one.
    pub admin_token: Option<String>,
    /// A request taking longer is answered 503.
    pub request_timeout: Duration,
    /// A larger request body is refused (413).
    pub max_body_bytes: usize,
    /// The response cache's size in bytes, counting bodies compressed (`[api]
    /// cache_max_bytes`; 0: off).
    pub cache_max_bytes: u64,
    /// How often the response cache reads the catalogue version (`[api] cache_poll_ms`).
    pub cache_poll: Duration,
    /// Searches rank titles, institutions and instructors in memory (`[api] search_index`,
    /// default on); off: every search runs in the database (less memory, slower).
    pub search_index: bool,
}

/// The default `[api] request_timeout_seconds`.
pub const DEFAULT_API_TIMEOUT_SECONDS: u64 = 10;
/// The default `[api] max_body_bytes`.
pub const DEFAULT_API_MAX_BODY_BYTES: usize = 64 * 1024;
/// The default `[api] cache_max_bytes`: bodies are stored gzip-compressed (every course
/// of the API benchmark's 100k-course catalogue took 85 MiB, bookkeeping included), and
/// an eighth goes to decompressed copies of hot course bodies for clients without gzip,
/// so this holds every course of such a catalogue and about 3 500 pages of 20 courses
/// beside them (a page keeps its identity bytes: 1 000 search pages took 36–38 MiB in
/// that benchmark). At 128 MiB, that catalogue left room for about 700 pages, and a
/// thousand hot searches kept missing.
pub const DEFAULT_API_CACHE_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// The default `[api] cache_poll_ms`.
pub const DEFAULT_API_CACHE_POLL_MS: u64 = 1000;

impl ApiFile {
    fn resolve(self, file: &Path, listen: SocketAddr) -> Result<ApiConfig, ConfigError> {
        let cors_origins = self.cors_origins.unwrap_or_default();
        for o in &cors_origins {
            let ok = o == "*"
                || Url::parse(o).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https")
                        && u.host().is_some()
                        && u.path() == "/"
                        && !o.ends_with('/')
                });
            if !ok {
                return Err(ConfigError::value(
                    file,
                    "api.cors_origins",
                    format!("{o:?} is not an origin like https://example.org (or \"*\")"),
                ));
            }
        }
        let timeout = self
            .request_timeout_seconds
            .unwrap_or(DEFAULT_API_TIMEOUT_SECONDS);
        if timeout == 0 {
            return Err(ConfigError::value(
                file,
                "api.request_timeout_seconds",
                "must be at least 1",
            ));
        }
        let admin_token = std::env::var("COURSEFED_ADMIN_TOKEN")
            .ok()
            .or(self.admin_token)
            .filter(|t| !t.trim().is_empty());
        Ok(ApiConfig {
            listen,
            cors_origins,
            admin_token,
            request_timeout: Duration::from_secs(timeout),
            max_body_bytes: self.max_body_bytes.unwrap_or(DEFAULT_API_MAX_BODY_BYTES),
            cache_max_bytes: self.cache_max_bytes.unwrap_or(DEFAULT_API_CACHE_MAX_BYTES),
            cache_poll: Duration::from_millis(
                self.cache_poll_ms.unwrap_or(DEFAULT_API_CACHE_POLL_MS),
            ),
            search_index: self.search_index.unwrap_or(true),
        })
    }
}

impl AppConfig {
    /// Loads `path` (an error if given and missing) or `./coursefed.toml` (optional), then
    /// applies `overrides` (flags, which clap has already merged with `COURSEFED_*`).
    pub fn load(path: Option<&Path>, overrides: Overrides) -> Result<Self, ConfigError> {
        let (file, parsed) = match path {
            Some(p) => (p.to_owned(), Some(read_toml::<AppFile>(p)?)),
            None => {
                let p = PathBuf::from("coursefed.toml");
                if p.exists() {
                    let parsed = read_toml::<AppFile>(&p)?;
                    (p, Some(parsed))
                } else {
                    (p, None)
                }
            }
        };
        let mut parsed = parsed.unwrap_or_default();
        let api_file = std::mem::take(&mut parsed.api);
        let listen_raw = api_file.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen = listen_raw.parse().map_err(|e| {
            ConfigError::value(
                &file,
                "api.listen",
                format!("{listen_raw:?} is not a socket address: {e}"),
            )
        })?;
        let daemon = parsed.daemon.resolve(&file)?;
        let database_url = overrides
            .database_url
            .or(parsed.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::value(
                &file,
                "database_url",
                format!("{database_url:?}: expected sqlite://PATH or postgres://…"),
            ));
        }
        Ok(Self {
            database_url,
            connectors_dir: overrides
                .connectors_dir
                .or(parsed.connectors_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CONNECTORS_DIR)),
            api: api_file.resolve(&file, listen)?,
            daemon,
        })
    }
}

fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
        file: path.to_owned(),
        error,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Syntax {
        file: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })
}

/// Runs whose pages the raw archive keeps per source when a file does not say.
pub const DEFAULT_ARCHIVE_RUNS: u32 = 3;

/// The volume-drop guard's share when a file does not say.
pub const DEFAULT_MIN_RATIO: f64 = 0.5;

/// The keys every connector file may have, whatever its style.
const COMMON_KEYS: &[&str] = &[
    "name",
    "base_url",
    "schedule",
    "timezone",
    "enabled",
    "requests_per_minute",
    "timeout_seconds",
    "max_attempts",
    "max_body_bytes",
    "archive_runs",
    "min_ratio",
];

/// The common keys of a connector file as written; the style's own keys are read into
/// [`StyleConfig`] from what is left.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    name: Option<String>,
    base_url: String,
    schedule: Option<String>,
    timezone: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    requests_per_minute: Option<u32>,
    timeout_seconds: Option<u64>,
    max_attempts: Option<u32>,
    max_body_bytes: Option<u64>,
    archive_runs: Option<u32>,
    min_ratio: Option<f64>,
}

fn yes() -> bool {
    true
}

/// The connector style and its options, tagged by `style = "…"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum StyleConfig {
    /// The Open edX LMS Course API (`/api/courses/v1/courses/`).
    Openedx(OpenEdxOptions),
    /// The legacy edX RSS course feed (`/api/v2/report/course-feed/rss`).
    OpenedxRss(OpenEdxRssOptions),
    /// XuetangX's private JSON API (session, CSRF, `get_product_list`).
    Xuetangx(XuetangxOptions),
    /// Thai MOOC: portal JSON plus Thai course pages.
    Thaimooc(ThaimoocOptions),
}

impl StyleConfig {
    /// Checks the style's option values; on error, the key and why.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        match self {
            Self::Openedx(o) => o.validate(),
            Self::OpenedxRss(o) => o.validate(),
            Self::Xuetangx(o) => o.validate(),
            Self::Thaimooc(o) => o.validate(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Openedx(_) => "openedx",
            Self::OpenedxRss(_) => "openedx_rss",
            Self::Xuetangx(_) => "xuetangx",
            Self::Thaimooc(_) => "thaimooc",
        }
    }
}

/// One platform instance: a file in the connectors directory.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The file stem.
    pub id: SourceId,
    /// The file it came from.
    pub file: PathBuf,
    pub name: String,
    pub base_url: Url,
    /// 6-field cron (seconds first).
    pub schedule: String,
    /// The zone naive platform times are read in.
    pub timezone: Tz,
    pub enabled: bool,
    pub requests_per_minute: NonZeroU32,
    /// Connect and read timeout of one request.
    pub timeout: Duration,
    /// Tries of one request before the run fails (≥ 1).
    pub max_attempts: u32,
    /// The largest response body accepted.
    pub max_body_bytes: u64,
    /// Runs whose fetched pages stay in the raw archive (for replay and conditional GET).
    pub archive_runs: u32,
    /// The volume-drop guard: a complete run that sees fewer than this share of the
    /// listings active before it withdraws nothing and ends `suspect` (0–1; default 0.5).
    pub min_ratio: f64,
    pub style: StyleConfig,
}

impl SourceConfig {
    /// Reads and validates one connector file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let id = SourceId::parse(stem).map_err(|e| ConfigError::Value {
            file: path.to_owned(),
            key: "(file name)".into(),
            message: e.to_string(),
        })?;
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            file: path.to_owned(),
            error,
        })?;
        Self::from_toml(id, path, &text)
    }

    /// Parses connector TOML text as if read from `path` (for tests and tools).
    pub fn from_toml(id: SourceId, path: &Path, text: &str) -> Result<Self, ConfigError> {
        let syntax = |e: toml::de::Error| ConfigError::Syntax {
            file: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        };
        let mut style_table: toml::Table = toml::from_str(text).map_err(syntax)?;
        let mut common = toml::Table::new();
        for key in COMMON_KEYS {
            if let Some(v) = style_table.remove(*key) {
                common.insert((*key).to_owned(), v);
            }
        }
        if !style_table.contains_key("style") {
            return Err(ConfigError::value(
                path,
                "style",
                "missing: say which connector style this platform uses (e.g. style = \"openedx\")",
            ));
        }
        let raw: SourceFile = common.try_into().map_err(syntax)?;
        let style: StyleConfig =
            style_table
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    file: path.to_owned(),
                    message: format!(
                        "{} (common keys: {})",
                        e.to_string().trim_end(),
                        COMMON_KEYS.join(", ")
                    ),
                })?;
        let bad = |key: &str, msg: String| ConfigError::value(path, key, msg);
        let base_url = Url::parse(raw.base_url.trim())
            .map_err(|e| bad("base_url", format!("{:?} is not a URL: {e}", raw.base_url)))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.host().is_none() {
            return Err(bad(
                "base_url",
                format!("{base_url} must be an http(s) URL with a host"),
            ));
        }
        let schedule = raw.schedule.unwrap_or_else(|| DEFAULT_SCHEDULE.to_owned());
        validate_schedule(&schedule).map_err(|m| bad("schedule", m))?;
        let timezone = match raw.timezone.as_deref() {
            None => Tz::UTC,
            Some(tz) => tz
                .parse::<Tz>()
                .map_err(|_| bad("timezone", format!("{tz:?} is not an IANA time zone name")))?,
        };
        let requests_per_minute = match raw.requests_per_minute {
            None => NonZeroU32::new(60).expect("60 is not zero"),
            Some(n) => NonZeroU32::new(n)
                .filter(|n| n.get() <= 60_000)
                .ok_or_else(|| bad("requests_per_minute", format!("{n}: expected 1–60000")))?,
        };
        let timeout_secs = raw.timeout_seconds.unwrap_or(30);
        if !(1..=600).contains(&timeout_secs) {
            return Err(bad(
                "timeout_seconds",
                format!("{timeout_secs}: expected 1–600"),
            ));
        }
        let max_attempts = raw.max_attempts.unwrap_or(5);
        if !(1..=20).contains(&max_attempts) {
            return Err(bad(
                "max_attempts",
                format!("{max_attempts}: expected 1–20"),
            ));
        }
        let max_body_bytes = raw.max_body_bytes.unwrap_or(32 * 1024 * 1024);
        if max_body_bytes < 1024 {
            return Err(bad(
                "max_body_bytes",
                format!("{max_body_bytes}: expected at least 1024"),
            ));
        }
        let archive_runs = raw.archive_runs.unwrap_or(DEFAULT_ARCHIVE_RUNS);
        if !(1..=100).contains(&archive_runs) {
            return Err(bad(
                "archive_runs",
                format!("{archive_runs}: expected 1–100"),
            ));
        }
        let min_ratio = raw.min_ratio.unwrap_or(DEFAULT_MIN_RATIO);
        if !(0.0..=1.0).contains(&min_ratio) {
            return Err(bad("min_ratio", format!("{min_ratio}: expected 0–1")));
        }
        style.validate().map_err(|(key, msg)| bad(key, msg))?;
        let name = raw
            .name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.to_string());
        Ok(Self {
            id,
            file: path.to_owned(),
            name,
            base_url,
            schedule,
            timezone,
            enabled: raw.enabled,
            requests_per_minute,
            timeout: Duration::from_secs(timeout_secs),
            max_attempts,
            max_body_bytes,
            archive_runs,
            min_ratio,
            style,
        })
    }
}

/// Checks a 6-field cron expression (seconds first), as the daemon reads it.
pub fn validate_schedule(expr: &str) -> Result<(), String> {
    let fields = expr.split_whitespace().count();
    if fields != 6 {
        return Err(format!(
            "{expr:?} has {fields} fields; expected 6 (sec min hour day-of-month month day-of-week)"
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(expr)
        .map(|_| ())
        .map_err(|e| format!("{expr:?}: {e}"))
}

/// Every connector file of a directory, each loaded on its own: one bad file does not
/// hide the others. Files are `*.toml`, in name order.
pub fn load_sources(dir: &Path) -> Result<Vec<Result<SourceConfig, ConfigError>>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|error| ConfigError::ConnectorsDir {
        dir: dir.to_owned(),
        error,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths.iter().map(|p| SourceConfig::load(p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SourceConfig, ConfigError> {
        SourceConfig::from_toml(
            SourceId::parse("edx").unwrap(),
            Path::new("connectors/edx.toml"),
            text,
        )
    }

    #[test]
    fn minimal_openedx_file_gets_defaults() {
        let c = parse("style = \"openedx\"\nbase_url = \"https://courses.edx.org\"\n").unwrap();
        assert_eq!(c.name, "edx");
        assert_eq!(c.timezone, Tz::UTC);
        assert!(c.enabled);
        assert_eq!(c.schedule, DEFAULT_SCHEDULE);
        assert_eq!(
            c.style,
            StyleConfig::Openedx(OpenEdxOptions {
                page_size: 100,
                fetch_details: false
            })
        );
    }

    #[test]
    fn archive_runs_defaults_to_three_and_zero_is_refused() {
        let base = "style = \"openedx\"\nbase_url = \"https://x.org\"\n";
        assert_eq!(parse(base).unwrap().archive_runs, DEFAULT_ARCHIVE_RUNS);
        assert_eq!(
            parse(&format!("{base}archive_runs = 7\n"))
                .unwrap()
                .archive_runs,
            7
        );
        let e = parse(&format!("{base}archive_runs = 0\n")).unwrap_err();
        assert!(e.to_string().contains("archive_runs"), "{e}");
    }

    #[test]
    fn unknown_key_names_file_and_key() {
        let e = parse("style = \"openedx\"\nbase_url = \"https://x.org\"\npagesize = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("connectors/edx.toml"), "{e}");
        assert!(e.contains("pagesize"), "{e}");
    }

    #[test]
    fn unknown_style_is_an_error() {
        let e = parse("style = \"moodle\"\nbase_url = \"https://x.org\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("moodle"), "{e}");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            ("base_url = \"not a url\"", "base_url"),
            (
                "base_url = \"https://x.org\"\nschedule = \"0 * * * *\"",
                "schedule",
            ),
            (
                "base_url = \"https://x.org\"\nschedule = \"0 0 99 * * *\"",
                "schedule",
            ),
            (
                "base_url = \"https://x.org\"\ntimezone = \"Mars/Base\"",
                "timezone",
            ),
            (
                "base_url = \"https://x.org\"\nrequests_per_minute = 0",
                "requests_per_minute",
            ),
            ("base_url = \"https://x.org\"\npage_size = 500", "page_size"),
        ] {
            let e = parse(&format!("style = \"openedx\"\n{text}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn min_ratio_defaults_to_a_half_and_must_be_a_share() {
        let base = "style = \"openedx\"\nbase_url = \"https://x.org\"\n";
        assert_eq!(parse(base).unwrap().min_ratio, DEFAULT_MIN_RATIO);
        assert_eq!(
            parse(&format!("{base}min_ratio = 0.8\n"))
                .unwrap()
                .min_ratio,
            0.8
        );
        for bad in ["1.5", "-0.1"] {
            let e = parse(&format!("{base}min_ratio = {bad}\n")).unwrap_err();
            assert!(e.to_string().contains("min_ratio"), "{e}");
        }
    }

    #[test]
    fn daemon_table_defaults_and_bounds() {
        let d = DaemonFile::default().resolve(Path::new("c.toml")).unwrap();
        assert_eq!(d, DaemonConfig::default());
        let e = DaemonFile {
            max_concurrent_runs: Some(0),
            ..DaemonFile::default()
        }
        .resolve(Path::new("c.toml"))
        .unwrap_err();
        assert!(e.to_string().contains("daemon.max_concurrent_runs"), "{e}");
    }

    #[test]
    fn api_search_index_defaults_on_and_can_be_turned_off() {
        let listen: SocketAddr = DEFAULT_LISTEN.parse().unwrap();
        let on = ApiFile::default()
            .resolve(Path::new("c.toml"), listen)
            .unwrap();
        assert!(on.search_index);
        let off: ApiFile = toml::from_str("search_index = false").unwrap();
        let off = off.resolve(Path::new("c.toml"), listen).unwrap();
        assert!(!off.search_index);
        assert!(!crate::api::ApiOptions::from(&off).search_index);
        assert!(crate::api::ApiOptions::from(&on).search_index);
    }

    #[test]
    fn six_field_cron_is_accepted_five_is_not() {
        assert!(validate_schedule("0 30 2 * * *").is_ok());
        assert!(validate_schedule("30 2 * * *").is_err());
    }
}
