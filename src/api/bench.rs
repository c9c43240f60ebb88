//! `coursefed bench api`: builds a synthetic multilingual catalogue (English, Chinese,
//! Thai and Russian sources) through the real store write path, serves the read API over
//! it on loopback and drives it with wrk: requests/s and p50/p99 latency for a course by
//! id, a filtered list and a search, per backend, beside a bare axum handler (the ceiling
//! of this machine). wrk must be on PATH (`apt-get install wrk`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{ApiState, router};
use crate::config::SourceConfig;
use crate::domain::{Access, ListingDraft, Pacing, RawDates, RunDraft, SourceId};
use crate::store::{RunStats, Store, StoreError};

/// One load-test result.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub name: String,
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
}

const EN_ADJ: &[&str] = &[
    "Introduction to",
    "Applied",
    "Advanced",
    "Foundations of",
    "Practical",
    "Modern",
    "Principles of",
    "Topics in",
    "Essentials of",
    "Computational",
];
const EN_NOUN: &[&str] = &[
    "Data Structures",
    "Machine Learning",
    "Statistics",
    "Algorithms",
    "Economics",
    "Organic Chemistry",
    "Cell Biology",
    "Philosophy",
    "Accounting",
    "Marketing",
    "Linear Algebra",
    "Calculus",
    "Psychology",
    "Public Health",
    "Climate Science",
    "Computer Networks",
    "Operating Systems",
    "Databases",
    "Cryptography",
    "Art History",
];
const ZH: &[&str] = &[
    "数据结构",
    "机器学习",
    "经济学原理",
    "有机化学",
    "心理学概论",
    "操作系统",
    "微积分",
    "电路原理",
    "线性代数",
    "计算机网络",
    "中国建筑史",
    "大学物理",
    "人工智能原理",
    "程序设计基础",
    "艺术史",
    "数据库系统",
    "概率论与数理统计",
    "模拟电子技术",
    "中国哲学经典",
    "生活英语听说",
];
const TH: &[&str] = &[
    "การวิเคราะห์ข้อมูล",
    "การเงินส่วนบุคคล",
    "ภาษาอังกฤษในบริบทสากล",
    "วิทยาการข้อมูล",
    "การบริหารความเสี่ยงดิจิทัล",
    "สุขภาพจิต",
    "การตลาดดิจิทัล",
    "ปัญญาประดิษฐ์",
    "สถิติพื้นฐาน",
    "เคมีทั่วไป",
    "ศาสตร์แห่งการชะลอวัย",
    "การฟื้นฟูแบตเตอรี่เก่า",
    "สื่อมวลชนและการรู้เท่าทันสื่อ",
    "คลังข้อมูล",
    "การเขียนโปรแกรมภาษาไพทอน",
    "ความปลอดภัยไซเบอร์",
    "การจัดการธุรกิจ",
    "พลังงานทดแทน",
    "ประวัติศาสตร์ไทย",
    "การออกแบบกราฟิก",
];
const RU: &[&str] = &[
    "Анализ данных",
    "Машинное обучение",
    "Теория вероятностей",
    "Линейная алгебра",
    "Органическая химия",
    "История России",
    "Экономическая теория",
    "Философия",
    "Основы программирования",
    "Компьютерные сети",
    "Математический анализ",
    "Психология",
    "Биология клетки",
    "Базы данных",
    "Криптография",
    "Маркетинг",
    "Физика",
    "Статистика",
    "Алгоритмы",
    "Экология",
];

/// The synthetic sources: (id, language, titles, institutions prefix).
fn sources() -> [(&'static str, &'static str, Vec<String>, &'static str); 4] {
    let en: Vec<String> = EN_ADJ
        .iter()
        .flat_map(|a| EN_NOUN.iter().map(move |n| format!("{a} {n}")))
        .collect();
    let list = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    [
        ("bench-en", "en", en, "University"),
        ("bench-zh", "zh-Hans", list(ZH), "大学"),
        ("bench-th", "th", list(TH), "มหาวิทยาลัย"),
        ("bench-ru", "ru", list(RU), "Университет"),
    ]
}

/// The synthetic listing `i` of a source: a course of its own. Two listings of one
/// institution (`i / 2`) have different topics; the number after a title is a run's, so
/// the same topic at one institution would be one course, as it would be in a real
/// catalogue.
fn draft(rng: &mut StdRng, i: usize, lang: &str, titles: &[String], inst: &str) -> ListingDraft {
    // 7 919 is prime: consecutive listings step through the topics far apart.
    let topic = &titles[i * 7919 % titles.len()];
    let now = Utc::now();
    let runs = (0..rng.random_range(1..=2usize))
        .map(|r| {
            let start = now + TimeDelta::days(rng.random_range(-700..300));
            let end = start + TimeDelta::weeks(rng.random_range(6..14));
            RunDraft {
                external_run_id: format!("run-{i}-{r}"),
                start: Some(start),
                end: Some(end),
                enrollment_start: Some(start - TimeDelta::days(30)),
                enrollment_end: None,
                raw_dates: RawDates::default(),
                pacing: Some(if rng.random_bool(0.3) {
                    Pacing::SelfPaced
                } else {
                    Pacing::Instructor
                }),
                hidden: false,
                invitation_only: false,
                status_raw: None,
            }
        })
        .collect();
    let title = format!("{topic} {}", i % 97 + 1);
    ListingDraft {
        external_id: format!("C{i:07}"),
        url: Some(format!("https://{lang}.example.org/courses/C{i:07}")),
        titles: [(lang.to_owned(), title.clone())].into_iter().collect(),
        title,
        short_description: Some(format!(
            "{topic}: a synthetic course number {i} with a description of typical length, covering the core ideas, worked examples and a final project."
        )),
        description_html: None,
        description_text: None,
        institutions: vec![format!("{inst} {}", i / 2)],
        instructors: vec![format!("Instructor {}", i % 2000)],
        languages: vec![lang.to_owned()],
        subjects: vec![format!("subject-{}", i % 40)],
        level: None,
        image_url: None,
        video_url: None,
        effort: None,
        duration_weeks: Some(f64::from(rng.random_range(4..12u8))),
        access: Some(match i % 3 {
            0 => Access::Free,
            1 => Access::FreePaidCertificate,
            _ => Access::Paid,
        }),
        certificate: Some(i.is_multiple_of(2)),
        enrollment_count: Some(rng.random_range(0..100_000)),
        same_as: Vec::new(),
        runs,
    }
}

/// Writes `n` synthetic listings (split over four sources) through `apply_run`.
pub async fn build_catalogue(store: &Store, n: usize) -> Result<(), StoreError> {
    let mut rng = StdRng::seed_from_u64(7);
    let per = n.div_ceil(4);
    for (id, lang, titles, inst) in sources() {
        let toml = format!(
            "style = \"openedx\"\nname = \"{id}\"\nbase_url = \"https://{lang}.example.org\"\n"
        );
        let source = SourceConfig::from_toml(
            SourceId::parse(id).map_err(|e| StoreError::Spool(e.to_string()))?,
            Path::new(&format!("{id}.toml")),
            &toml,
        )
        .map_err(|e| StoreError::Spool(e.to_string()))?;
        store.upsert_source(&source).await?;
        let run = store.begin_run(id).await?;
        let drafts: Vec<ListingDraft> = (0..per)
            .map(|i| draft(&mut rng, i, lang, &titles, inst))
            .collect();
        store
            .apply_run(
                run,
                id,
                drafts.into_iter().map(Ok),
                true,
                RunStats::default(),
                &[],
            )
            .await?;
    }
    Ok(())
}

/// wrk's script: every thread goes round `paths`, each from its own starting point (a
/// thread starting where another did would repeat its requests right behind it, which
/// favours the database's page cache).
fn lua_script(paths: &[String]) -> String {
    let mut s = String::from("local paths = {\n");
    for p in paths {
        let _ = writeln!(s, "  {:?},", p);
    }
    s.push_str(concat!(
        "}\n",
        "local threads = 0\n",
        "function setup(thread)\n  thread:set(\"tid\", threads)\n  threads = threads + 1\nend\n",
        "local i = 0\n",
        "function init(args)\n  i = ((tid or 0) * 7919) % #paths\nend\n",
        "request = function()\n  i = i + 1\n  return wrk.format(\"GET\", paths[(i % #paths) + 1])\nend\n",
    ));
    s
}

fn parse_ms(v: &str) -> Option<f64> {
    let v = v.trim();
    let (num, mult) = if let Some(x) = v.strip_suffix("us") {
        (x, 0.001)
    } else if let Some(x) = v.strip_suffix("ms") {
        (x, 1.0)
    } else if let Some(x) = v.strip_suffix('s') {
        (x, 1000.0)
    } else {
        (v, 1.0)
    };
    num.trim().parse::<f64>().ok().map(|n| n * mult)
}

/// Parses wrk's `--latency` output.
fn parse_wrk(name: &str, out: &str) -> Option<LoadResult> {
    let mut p50 = None;
    let mut p99 = None;
    let mut rps = None;
    let mut non_2xx = 0;
    for line in out.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("50%") {
            p50 = parse_ms(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            p99 = parse_ms(v);
        } else if let Some(v) = t.strip_prefix("Requests/sec:") {
            rps = v.trim().parse().ok();
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = v.trim().parse().unwrap_or(0);
        }
    }
    Some(LoadResult {
        name: name.to_owned(),
        requests_per_sec: rps?,
        p50_ms: p50?,
        p99_ms: p99?,
        non_2xx,
    })
}

/// Load settings.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    pub duration: Duration,
    pub connections: u32,
    pub threads: u32,
    /// Request headers (`Name: value`), e.g. `Accept-Encoding: gzip`.
    pub headers: Vec<String>,
}

/// Drives `base` with wrk over `paths` (round robin).
pub fn run_wrk(
    name: &str,
    base: &str,
    paths: &[String],
    settings: &LoadSettings,
    dir: &Path,
) -> Result<LoadResult, String> {
    let script = dir.join(format!("{}.lua", name.replace([' ', '/'], "_")));
    std::fs::write(&script, lua_script(paths)).map_err(|e| e.to_string())?;
    let mut wrk = Command::new("wrk");
    for h in &settings.headers {
        wrk.arg("-H").arg(h);
    }
    let out = wrk
        .arg(format!("-t{}", settings.threads))
        .arg(format!("-c{}", settings.connections))
        .arg(format!("-d{}s", settings.duration.as_secs().max(1)))
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(base)
        .output()
        .map_err(|e| format!("cannot run wrk (apt-get install wrk): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(name, &text).ok_or_else(|| format!("cannot read wrk's output: {text}"))
}

/// Serves the bare ceiling handler on loopback; returns its base URL.
pub async fn serve_bare() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().route(
        "/bare",
        axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}

/// A server [`serve_api`] started.
pub struct Served {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// Stops the server and waits (up to a minute) for the requests it is still
    /// answering (slow searches a load generator gave up on), so the store can be closed
    /// after it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(60), self.task).await;
    }
}

/// Serves the API over `store` on loopback (the course cache and the in-process search
/// index each on or off); returns its base URL and the server.
pub async fn serve_api(
    store: &Store,
    course_cache: bool,
    search_index: bool,
) -> std::io::Result<(String, Served)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut options = super::ApiOptions::default();
    if !course_cache {
        options.cache.max_bytes = 0;
    }
    options.search_index = search_index;
    let app = router(ApiState::new(store.clone()).with_options(options));
    let task = tokio::spawn(super::serve(listener, app, async {
        let _ = rx.await;
    }));
    Ok((base, Served { stop: tx, task }))
}

/// GETs every path of `paths` from `base`, 8 at a time: the bodies when `keep`, else
/// empty ones. The first failure is the error.
async fn fetch_every(
    base: &str,
    paths: &[String],
    keep: bool,
) -> Result<Vec<axum::body::Bytes>, String> {
    use futures::StreamExt as _;
    let client = reqwest::Client::new();
    let bodies = futures::stream::iter(paths)
        .map(|p| {
            let client = client.clone();
            async move {
                let res = client.get(format!("{base}{p}")).send().await;
                let body = res
                    .map_err(|e| e.to_string())?
                    .bytes()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(if keep { body } else { axum::body::Bytes::new() })
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    bodies
        .into_iter()
        .map(|b| b.map_err(|e| format!("warm-up request failed: {e}")))
        .collect()
}

/// Requests every path once (8 at a time), so that a measurement of the cached server
/// shows the cache's hit path; the "cache off" server shows the miss path.
pub async fn warm_up(base: &str, paths: &[String]) -> Result<(), String> {
    fetch_every(base, paths, false).await.map(|_| ())
}

/// Sizes of the bodies a warm-up read, in bytes.
#[derive(Debug, Default, Clone)]
pub struct BodySizes {
    /// As served without `Accept-Encoding` (ascending).
    pub identity: Vec<usize>,
    /// The same bodies gzip-compressed (default level), ascending.
    pub gzip: Vec<usize>,
}

impl BodySizes {
    /// The mean of `sizes`.
    pub fn mean(sizes: &[usize]) -> f64 {
        sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64
    }

    /// The `p`-th percentile (0-100, nearest rank) of ascending `sizes`.
    pub fn percentile(sizes: &[usize], p: f64) -> usize {
        if sizes.is_empty() {
            return 0;
        }
        let rank = ((p / 100.0) * sizes.len() as f64).ceil() as usize;
        sizes[rank.clamp(1, sizes.len()) - 1]
    }
}

/// Like [`warm_up`], and returns the sizes of the bodies read.
pub async fn warm_up_sizes(base: &str, paths: &[String]) -> Result<BodySizes, String> {
    use std::io::Write as _;
    let bodies = fetch_every(base, paths, true).await?;
    let mut sizes = BodySizes::default();
    for body in bodies {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).map_err(|e| e.to_string())?;
        sizes
            .gzip
            .push(gz.finish().map_err(|e| e.to_string())?.len());
        sizes.identity.push(body.len());
    }
    sizes.identity.sort_unstable();
    sizes.gzip.sort_unstable();
    Ok(sizes)
}

/// `paths` in a random order (seeded), so a load over them is uniform without locality.
pub fn shuffled(mut paths: Vec<String>, seed: u64) -> Vec<String> {
    use rand::seq::SliceRandom as _;
    paths.shuffle(&mut StdRng::seed_from_u64(seed));
    paths
}

/// What the benchmark samples from the served catalogue: course paths to fetch by id
/// and the texts searches are drawn from.
#[derive(Debug, Default)]
pub struct Sample {
    /// `/v1/courses/{id}`, a spread over the catalogue.
    pub ids: Vec<String>,
    /// Titles (every language) of the sampled courses' listings.
    pub titles: Vec<String>,
    /// Institutions and instructors of the sampled courses' listings.
    pub people: Vec<String>,
}

/// GETs `url` and parses its JSON body; an error status is an error (a timed-out page
/// would otherwise shrink the sample without a word).
async fn get_json(client: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("GET {url}: {e}"))?
        .json()
        .await
        .map_err(|e| e.to_string())
}

/// Samples about `n` courses through the API, an equal share of every source (newest
/// first within each).
pub async fn sample_catalogue(base: &str, n: usize) -> Result<Sample, String> {
    let client = reqwest::Client::new();
    let sources = get_json(&client, &format!("{base}/v1/sources")).await?;
    let sources: Vec<String> = sources["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    let share = n.div_ceil(sources.len().max(1));
    let mut sample = Sample::default();
    for source in &sources {
        let from = sample.ids.len();
        let source: String = url::form_urlencoded::byte_serialize(source.as_bytes()).collect();
        let mut next = Some(format!(
            "/v1/courses?source={source}&sort=updated&limit=100"
        ));
        while let Some(p) = next.take() {
            let v = get_json(&client, &format!("{base}{p}")).await?;
            for c in v["courses"].as_array().into_iter().flatten() {
                if let Some(id) = c["id"].as_str() {
                    sample.ids.push(format!("/v1/courses/{id}"));
                }
                for l in c["listings"].as_array().into_iter().flatten() {
                    let strings = |field: &str| -> Vec<String> {
                        match &l[field] {
                            serde_json::Value::String(s) => vec![s.clone()],
                            serde_json::Value::Array(a) => a
                                .iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect(),
                            serde_json::Value::Object(o) => o
                                .values()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect(),
                            _ => Vec::new(),
                        }
                    };
                    sample.titles.extend(strings("title"));
                    sample.titles.extend(strings("titles"));
                    sample.people.extend(strings("institutions"));
                    sample.people.extend(strings("instructors"));
                }
            }
            if sample.ids.len() - from < share {
                next = v["next"].as_str().map(str::to_owned);
            }
        }
    }
    Ok(sample)
}

/// A query drawn from `title`: one word, two neighbouring words, or (a title written
/// without spaces, as Thai and Chinese are) a run of 2–5 characters of it.
fn query_from_title(rng: &mut StdRng, title: &str) -> Option<String> {
    let words: Vec<&str> = title
        .split_whitespace()
        .filter(|w| w.chars().count() >= 2 && w.chars().all(char::is_alphabetic))
        .collect();
    if words.is_empty() {
        return None;
    }
    let i = rng.random_range(0..words.len());
    let word = words[i];
    let chars: Vec<char> = word.chars().collect();
    if chars.len() > 8 || (chars.len() > 3 && !word.is_ascii() && words.len() == 1) {
        // A spaceless run of words: a piece of it.
        let len = rng.random_range(2..=5usize).min(chars.len());
        let at = rng.random_range(0..=chars.len() - len);
        return Some(chars[at..at + len].iter().collect());
    }
    if i + 1 < words.len() && rng.random_bool(0.4) {
        return Some(format!("{word} {}", words[i + 1]));
    }
    Some(word.to_owned())
}

/// Up to `n` distinct searches drawn from the sampled catalogue: pieces of titles (most),
/// institution and instructor names (a fifth). Their hit counts vary as real ones do.
pub fn distinct_search_paths(sample: &Sample, n: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    if sample.titles.is_empty() {
        return out;
    }
    for _ in 0..n * 20 {
        if out.len() >= n {
            break;
        }
        let q = if !sample.people.is_empty() && rng.random_bool(0.2) {
            Some(sample.people[rng.random_range(0..sample.people.len())].clone())
        } else {
            let t = rng.random_range(0..sample.titles.len());
            query_from_title(&mut rng, &sample.titles[t])
        };
        if let Some(q) = q
            && seen.insert(q.to_lowercase())
        {
            out.push(format!(
                "/v1/courses?q={}&limit=20",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ));
        }
    }
    out
}

/// `searches` (each `…&limit=20`) asked for with page sizes 21–40, shuffled: pages the
/// response cache has not seen (a search's first reads), for a server whose course bodies
/// are cached.
pub fn page_miss_paths(searches: &[String], seed: u64) -> Vec<String> {
    let paths = searches
        .iter()
        .filter_map(|p| p.strip_suffix("&limit=20"))
        .flat_map(|p| (21..=40).map(move |l| format!("{p}&limit={l}")))
        .collect();
    shuffled(paths, seed)
}

/// What `/metrics` says of a server's response cache: lookups that hit and missed (every
/// kind), and the stored tier's bytes and capacity.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct CacheFigures {
    pub hits: f64,
    pub misses: f64,
    pub bytes: f64,
    pub capacity: f64,
}

impl CacheFigures {
    /// Reads the figures from a Prometheus text exposition.
    pub fn parse(text: &str) -> Self {
        let mut f = Self::default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((name, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(v) = value.trim().parse::<f64>() else {
                continue;
            };
            if name.starts_with("coursefed_api_cache_lookups_total") {
                if name.contains("result=\"hit\"") {
                    f.hits += v;
                } else if name.contains("result=\"miss\"") {
                    f.misses += v;
                }
            } else if name == "coursefed_api_cache_bytes{tier=\"stored\"}" {
                f.bytes = v;
            } else if name == "coursefed_api_cache_capacity_bytes{tier=\"stored\"}" {
                f.capacity = v;
            }
        }
        f
    }

    /// Reads them from `base`'s `/metrics`.
    pub async fn of(base: &str) -> Result<Self, String> {
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self::parse(&text))
    }

    /// What happened between `before` and `self`: the hit share of the lookups, and the
    /// stored bytes against the capacity, in a line.
    pub fn since(&self, before: &Self) -> String {
        let (h, m) = (self.hits - before.hits, self.misses - before.misses);
        format!(
            "cache: {:.2}% of {:.0} lookups hit; stored {:.1} of {:.1} MiB",
            100.0 * h / (h + m).max(1.0),
            h + m,
            self.bytes / 1048576.0,
            self.capacity / 1048576.0
        )
    }
}

/// The filtered lists the benchmark rotates over.
pub fn filtered_paths() -> Vec<String> {
    [
        "/v1/courses?language=en&free=true&limit=20",
        "/v1/courses?language=th&availability=upcoming&limit=20",
        "/v1/courses?source=bench-zh&certificate=true&limit=20",
        "/v1/courses?language=ru&sort=updated&limit=20",
        "/v1/courses?availability=current&free=false&limit=20",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Times building the catalogue.
pub async fn timed_build(store: &Store, n: usize) -> Result<Duration, StoreError> {
    let started = Instant::now();
    build_catalogue(store, n).await?;
    // What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would do after a bulk load.
    store.analyze().await?;
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let out = "Running 10s test @ http://127.0.0.1:1\n  Latency Distribution\n     50%  540.00us\n     75%    1.10ms\n     90%    2.00ms\n     99%   12.50ms\n  123 requests in 10.00s\nRequests/sec:  12345.67\nTransfer/sec: 1MB\n";
        let r = parse_wrk("x", out).unwrap();
        assert_eq!(r.requests_per_sec, 12345.67);
        assert!((r.p50_ms - 0.54).abs() < 1e-9);
        assert_eq!(r.p99_ms, 12.5);
    }

    #[test]
    fn lua_script_rotates_over_paths() {
        let s = lua_script(&["/a".into(), "/b?q=x".into()]);
        assert!(s.contains("\"/a\","));
        assert!(s.contains("wrk.format(\"GET\""));
        assert!(s.contains("thread:set(\"tid\""), "threads start apart");
    }

    #[test]
    fn page_miss_paths_ask_for_each_search_with_other_page_sizes() {
        let searches = vec![
            "/v1/courses?q=a&limit=20".to_owned(),
            "/v1/courses?q=b&limit=20".to_owned(),
        ];
        let paths = page_miss_paths(&searches, 1);
        assert_eq!(paths.len(), 40);
        assert!(paths.contains(&"/v1/courses?q=b&limit=40".to_owned()));
        assert!(
            !paths.iter().any(|p| p.ends_with("limit=20")),
            "not the cached pages"
        );
        let distinct: std::collections::HashSet<_> = paths.iter().collect();
        assert_eq!(distinct.len(), 40);
    }

    #[test]
    fn cache_figures_are_read_from_the_metrics_text() {
        let text = "# TYPE coursefed_api_cache_lookups_total counter\n\
            coursefed_api_cache_lookups_total{kind=\"course\",result=\"hit\"} 90\n\
            coursefed_api_cache_lookups_total{kind=\"page\",result=\"hit\"} 5\n\
            coursefed_api_cache_lookups_total{kind=\"page\",result=\"miss\"} 5\n\
            coursefed_api_cache_bytes{tier=\"stored\"} 1048576\n\
            coursefed_api_cache_bytes{tier=\"plain\"} 7\n\
            coursefed_api_cache_capacity_bytes{tier=\"stored\"} 2097152\n";
        let f = CacheFigures::parse(text);
        assert_eq!(
            f,
            CacheFigures {
                hits: 95.0,
                misses: 5.0,
                bytes: 1048576.0,
                capacity: 2097152.0
            }
        );
        let line = f.since(&CacheFigures {
            hits: 45.0,
            ..CacheFigures::default()
        });
        assert_eq!(
            line,
            "cache: 90.91% of 55 lookups hit; stored 1.0 of 2.0 MiB"
        );
    }

    #[test]
    fn body_size_percentiles_are_nearest_rank() {
        let sizes: Vec<usize> = (1..=100).collect();
        assert_eq!(BodySizes::percentile(&sizes, 50.0), 50);
        assert_eq!(BodySizes::percentile(&sizes, 99.0), 99);
        assert_eq!(BodySizes::percentile(&sizes, 100.0), 100);
        assert_eq!(BodySizes::percentile(&[], 50.0), 0);
        assert!((BodySizes::mean(&sizes) - 50.5).abs() < 1e-9);
    }
}
