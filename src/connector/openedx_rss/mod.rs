//! `style = "openedx_rss"`: edX's legacy RSS course feed (`/api/v2/report/course-feed/rss`),
//! paged by `atom:link rel="next"`. Each item is one course run; its `course:id` is parsed
//! like the LMS key, so the feed and the LMS API of one site give the same listing ids.

mod map;
mod xml;

use chrono_tz::Tz;
use serde::Deserialize;
use url::Url;

use super::{ConnectorError, RunContext};
use crate::config::SourceConfig;
use crate::domain::{ListingDraft, Rejection};

pub use xml::{ATOM_NS, COURSE_NS, STAFF_NS};

/// The feed's path on edx.org.
pub const DEFAULT_FEED_PATH: &str = "/api/v2/report/course-feed/rss";

/// Options of `style = "openedx_rss"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpenEdxRssOptions {
    /// The feed's path (and query, if any) below `base_url`; the first page. Later pages
    /// come from each page's `atom:link rel="next"`.
    #[serde(default = "default_feed_path")]
    pub feed_path: String,
}

fn default_feed_path() -> String {
    DEFAULT_FEED_PATH.to_owned()
}

impl Default for OpenEdxRssOptions {
    fn default() -> Self {
        Self {
            feed_path: default_feed_path(),
        }
    }
}

impl OpenEdxRssOptions {
    /// Checks option values: the key at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let p = self.feed_path.trim();
        if p.is_empty()
            || p.contains("://")
            || p.starts_with("//")
            || p.contains(char::is_whitespace)
        {
            return Err((
                "feed_path",
                format!(
                    "{:?}: expected a path below base_url such as {DEFAULT_FEED_PATH:?}",
                    self.feed_path
                ),
            ));
        }
        Ok(())
    }
}

/// One page of the feed, parsed and mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    /// Each item in feed order: a listing (with its one run) or why it was rejected.
    pub items: Vec<Result<ListingDraft, Rejection>>,
    /// The next page (`atom:link rel="next"`, made absolute), if any.
    pub next: Option<Url>,
}

/// Parses one feed page. `page_url` resolves relative links; naive `course:start` and
/// `course:end` times are read in `tz`. An error when the page is not a well-formed RSS
/// document (the run fails); a bad item is a rejection among the items.
pub fn parse_feed(body: &[u8], page_url: &Url, tz: Tz) -> Result<ParsedFeed, String> {
    let raw = xml::read_feed(body)?;
    let next = match raw.next.as_deref() {
        None => None,
        Some(href) => {
            let url = page_url
                .join(href.trim())
                .map_err(|e| format!("atom:link rel=\"next\" {href:?}: {e}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!(
                    "atom:link rel=\"next\" {href:?} is not an http(s) URL"
                ));
            }
            Some(url)
        }
    };
    let cx = map::PageContext {
        page_url,
        tz,
        channel_language: raw.language.as_deref(),
    };
    let items = raw
        .items
        .into_iter()
        .map(|item| map::map_item(item, &cx))
        .collect();
    Ok(ParsedFeed { items, next })
}

/// The connector: walks the feed from its first page until a page has no next link.
#[derive(Debug, Clone)]
pub struct OpenEdxRss {
    base_url: Url,
    options: OpenEdxRssOptions,
}

impl OpenEdxRss {
    pub fn new(source: &SourceConfig, options: OpenEdxRssOptions) -> Self {
        Self {
            base_url: source.base_url.clone(),
            options,
        }
    }

    /// The first page: `feed_path` appended to `base_url`, keeping any path prefix the
    /// base has (an LMS served below `/lms/` keeps it).
    pub fn first_page_url(&self) -> Result<Url, ConnectorError> {
        let base = self.base_url.as_str().trim_end_matches('/');
        let path = self.options.feed_path.trim().trim_start_matches('/');
        let joined = format!("{base}/{path}");
        Url::parse(&joined).map_err(|e| ConnectorError::Parse {
            url: joined.clone(),
            message: format!("cannot build the feed URL: {e}"),
        })
    }

    #[tracing::instrument(skip_all, fields(source = %cx.source.id))]
    pub async fn run(&self, cx: &mut RunContext<'_>) -> Result<(), ConnectorError> {
        let tz = cx.source.timezone;
        let mut next = Some(self.first_page_url()?);
        while let Some(url) = next.take() {
            // The loop guard in fetch_page turns a `next` back to a fetched page into
            // ConnectorError::PaginationLoop.
            let page = cx.fetch_page(&url).await?;
            let parsed =
                parse_feed(&page.body, &page.url, tz).map_err(|message| ConnectorError::Parse {
                    url: page.url.to_string(),
                    message,
                })?;
            tracing::debug!(url = %page.url, items = parsed.items.len(), "Feed page parsed.");
            for item in parsed.items {
                match item {
                    Ok(draft) => cx.emit(draft)?,
                    Err(rejection) => cx.reject(rejection),
                }
            }
            next = parsed.next;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_path_must_be_a_path() {
        assert!(OpenEdxRssOptions::default().validate().is_ok());
        for bad in ["", "https://evil.example/rss", "//evil.example/rss", "/a b"] {
            let o = OpenEdxRssOptions {
                feed_path: bad.into(),
            };
            assert_eq!(o.validate().unwrap_err().0, "feed_path", "{bad:?}");
        }
    }

    #[test]
    fn relative_next_link_resolves_against_the_page() {
        let body = format!(
            r#"<rss xmlns:atom="{ATOM_NS}"><channel><atom:link rel="next" href="?page=2"/></channel></rss>"#
        );
        let page = Url::parse("https://lms.example.org/api/v2/report/course-feed/rss").unwrap();
        let f = parse_feed(body.as_bytes(), &page, Tz::UTC).unwrap();
        assert_eq!(
            f.next.unwrap().as_str(),
            "https://lms.example.org/api/v2/report/course-feed/rss?page=2"
        );
    }

    #[test]
    fn next_link_to_another_scheme_fails_the_page() {
        let body = format!(
            r#"<rss xmlns:atom="{ATOM_NS}"><channel><atom:link rel="next" href="file:///etc/passwd"/></channel></rss>"#
        );
        let page = Url::parse("https://lms.example.org/rss").unwrap();
        assert!(parse_feed(body.as_bytes(), &page, Tz::UTC).is_err());
    }
}
