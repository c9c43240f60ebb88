//! `style = "xuetangx"`: XuetangX's private JSON API — a session warm-up for cookies and
//! the CSRF token, then `POST /api/v1/lms/get_product_list/?page=N` until the last page.
//! Layout: [`session`] (cookies, headers), [`envelope`], [`item`] and [`page`] (pure parsing).

pub mod envelope;
pub mod item;
pub mod page;
pub mod session;

use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::config::SourceConfig;
use crate::fetch::FetchedPage;

use self::envelope::EnvelopeError;
use self::page::parse_page;
use self::session::Session;
use super::{ConnectorError, RunContext};

/// Options of `style = "xuetangx"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct XuetangxOptions {
    /// Items the server returns a page (1–100). The API takes no page-size parameter; this
    /// only drives the stop rule (a shorter page is the last one).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// The `appid` of the request body (the public web site's is 10000).
    #[serde(default = "default_app_id")]
    pub app_id: u64,
    /// A safety cap on pages a run (1–100000); reaching it fails the run.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
}

fn default_page_size() -> u32 {
    10
}

fn default_app_id() -> u64 {
    10000
}

fn default_max_pages() -> u32 {
    1000
}

impl Default for XuetangxOptions {
    fn default() -> Self {
        Self {
            page_size: default_page_size(),
            app_id: default_app_id(),
            max_pages: default_max_pages(),
        }
    }
}

impl XuetangxOptions {
    /// Checks option values: the key at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=100).contains(&self.page_size) {
            return Err(("page_size", format!("{}: expected 1–100", self.page_size)));
        }
        if !(1..=100_000).contains(&self.max_pages) {
            return Err((
                "max_pages",
                format!("{}: expected 1–100000", self.max_pages),
            ));
        }
        Ok(())
    }
}

/// The XuetangX-style connector of one source.
#[derive(Debug, Clone)]
pub struct Xuetangx {
    /// The source's base URL, with a trailing slash so that joins keep its path.
    base_url: Url,
    options: XuetangxOptions,
}

/// Whether page `page_no`, with `items` items, was the last: an empty page, a short page,
/// or the page that reaches the announced count.
fn is_last_page(page_no: u32, items: usize, page_size: u32, count: Option<u64>) -> bool {
    let size = u64::from(page_size);
    items == 0 || (items as u64) < size || count.is_some_and(|c| u64::from(page_no) * size >= c)
}

impl Xuetangx {
    pub fn new(source: &SourceConfig, options: XuetangxOptions) -> Self {
        let mut base_url = source.base_url.clone();
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        Self { base_url, options }
    }

    /// The catalogue endpoint for page `n` (from 1).
    pub fn page_url(&self, n: u32) -> Result<Url, ConnectorError> {
        self.base_url
            .join(&format!("api/v1/lms/get_product_list/?page={n}"))
            .map_err(|e| ConnectorError::Parse {
                url: self.base_url.to_string(),
                message: format!("cannot build the catalogue URL: {e}"),
            })
    }

    /// Walks the catalogue: warm-up, then every page until a stop rule says it was the
    /// last. A short walk (fewer items than `data.count`) fails the run, so an incomplete
    /// catalogue never withdraws anything.
    #[tracing::instrument(skip_all, fields(source = %cx.source.id))]
    pub async fn run(&self, cx: &mut RunContext<'_>) -> Result<(), ConnectorError> {
        let tz = cx.source.timezone;
        let mut session = Session::default();
        self.warm_up(cx, &mut session).await?;
        let mut seen: u64 = 0;
        let mut count: Option<u64> = None;
        let mut last_url = self.base_url.to_string();
        for n in 1..=self.options.max_pages {
            let url = self.page_url(n)?;
            last_url = url.to_string();
            cx.guard(&format!("page={n}"))?;
            let fetched = self.post_page(cx, &mut session, &url).await?;
            let page = parse_page(&fetched.body, &self.base_url, tz).map_err(|e| match e {
                EnvelopeError::Platform(message) => ConnectorError::Platform {
                    url: url.to_string(),
                    message,
                },
                EnvelopeError::Parse(message) => ConnectorError::Parse {
                    url: url.to_string(),
                    message,
                },
            })?;
            if !page.classroom_ids.is_empty() {
                cx.guard(&format!("classroom_ids={}", page.classroom_ids.join(",")))
                    .map_err(|_| ConnectorError::PaginationLoop {
                        url: format!("{url} (same classroom_ids as an earlier page)"),
                    })?;
            }
            seen += page.items as u64;
            cx.count_items(page.items as u64);
            count = page.count.or(count);
            tracing::debug!(page = n, items = page.items, ?count, "Catalogue page read.");
            for rejection in page.rejections {
                cx.reject(rejection);
            }
            for listing in page.listings {
                cx.emit(listing)?;
            }
            if is_last_page(n, page.items, self.options.page_size, count) {
                return match count {
                    Some(expected) if seen < expected => {
                        Err(ConnectorError::Incomplete { expected, seen })
                    }
                    _ => Ok(()),
                };
            }
        }
        tracing::error!(
            max_pages = self.options.max_pages,
            seen,
            "Page cap reached before the last page."
        );
        Err(match count {
            Some(expected) => ConnectorError::Incomplete { expected, seen },
            None => ConnectorError::Parse {
                url: last_url,
                message: format!(
                    "max_pages ({}) reached and the catalogue had not ended",
                    self.options.max_pages
                ),
            },
        })
    }

    /// `GET {base}/`: the cookies, among them `csrftoken`.
    async fn warm_up(
        &self,
        cx: &mut RunContext<'_>,
        session: &mut Session,
    ) -> Result<(), ConnectorError> {
        let page = cx.fetch(&self.base_url).await?;
        session.absorb(&page.headers);
        if session.csrf_token().is_none() {
            tracing::warn!(
                source = %cx.source.id,
                url = %self.base_url,
                "Warm-up set no csrftoken cookie; calling the API without a CSRF token."
            );
        }
        Ok(())
    }

    /// POSTs one page; a 403 (session expired or refused) warms up again once and retries.
    async fn post_page(
        &self,
        cx: &mut RunContext<'_>,
        session: &mut Session,
        url: &Url,
    ) -> Result<FetchedPage, ConnectorError> {
        match self.post(cx, session, url).await {
            Err(ConnectorError::Fetch(e)) if e.status() == Some(403) => {
                tracing::warn!(
                    source = %cx.source.id,
                    %url,
                    "Catalogue call refused with 403; warming the session up again."
                );
                session.clear();
                self.warm_up(cx, session).await?;
                self.post(cx, session, url).await
            }
            other => other,
        }
    }

    async fn post(
        &self,
        cx: &mut RunContext<'_>,
        session: &mut Session,
        url: &Url,
    ) -> Result<FetchedPage, ConnectorError> {
        let headers = session.api_headers(&self.base_url);
        let body = json!({
            "query": "",
            "chief_org": [],
            "classify": [],
            "selling_type": [],
            "status": [],
            "appid": self.options.app_id,
        });
        let page = cx
            .send(|client| {
                client
                    .post(url.clone())
                    .headers(headers.clone())
                    .json(&body)
            })
            .await?;
        session.absorb(&page.headers);
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_page_is_the_last() {
        assert!(is_last_page(3, 0, 10, None));
    }

    #[test]
    fn a_short_page_is_the_last() {
        assert!(is_last_page(3, 7, 10, Some(1000)));
    }

    #[test]
    fn the_page_reaching_the_announced_count_is_the_last() {
        assert!(is_last_page(2, 10, 10, Some(20)));
        assert!(!is_last_page(2, 10, 10, Some(21)));
        assert!(!is_last_page(2, 10, 10, None));
    }

    #[test]
    fn default_options_are_valid_and_documented_values() {
        let o = XuetangxOptions::default();
        assert_eq!((o.page_size, o.app_id, o.max_pages), (10, 10000, 1000));
        assert!(o.validate().is_ok());
    }

    #[test]
    fn out_of_range_options_name_their_key() {
        let o = XuetangxOptions {
            page_size: 0,
            ..Default::default()
        };
        assert_eq!(o.validate().unwrap_err().0, "page_size");
        let o = XuetangxOptions {
            max_pages: 0,
            ..Default::default()
        };
        assert_eq!(o.validate().unwrap_err().0, "max_pages");
    }

    #[test]
    fn page_url_keeps_a_base_path() {
        let source = SourceConfig::from_toml(
            crate::domain::SourceId::parse("xuetangx").unwrap(),
            std::path::Path::new("connectors/xuetangx.toml"),
            "style = \"xuetangx\"\nbase_url = \"https://example.org/mirror\"\n",
        )
        .unwrap();
        let c = Xuetangx::new(&source, XuetangxOptions::default());
        assert_eq!(
            c.page_url(2).unwrap().as_str(),
            "https://example.org/mirror/api/v1/lms/get_product_list/?page=2"
        );
    }
}
