//! `style = "openedx"`: the Open edX LMS Course API (`/api/courses/v1/courses/`), served by
//! edx.org and every Open edX site. Walks `pagination.next`, merges the run items of one
//! course into one listing, and optionally reads each course's detail for its overview.

mod key;
mod map;
mod parse;

use std::collections::HashSet;

use serde::Deserialize;
use url::Url;

pub use key::{CourseKey, KeyError, KeySyntax};
pub use map::{map_item, pacing};
pub use parse::{Description, ParsedPage, parse_detail, parse_page};

use crate::config::SourceConfig;
use crate::domain::ListingDraft;

use super::{ConnectorError, RunContext};

#[derive(Debug, Clone)]
pub struct OpenEdx {
    base_url: url::Url,
    options: OpenEdxOptions,
}

impl OpenEdx {
    pub fn new(source: &SourceConfig, options: OpenEdxOptions) -> Self {
        Self {
            base_url: source.base_url.clone(),
            options,
        }
    }

    /// The first catalogue page: `{base}/api/courses/v1/courses/?page=1&page_size=N`.
    pub fn first_page_url(&self) -> Url {
        let mut url = courses_endpoint(&self.base_url);
        url.query_pairs_mut()
            .append_pair("page", "1")
            .append_pair("page_size", &self.options.page_size.to_string());
        url
    }

    /// Walks the catalogue: every page via `next`, every item emitted or rejected. Fails on
    /// a fetch error, an unparseable page (or an empty one that links onward), a pagination
    /// loop, or a walk that ends short of the `count` the platform announced.
    #[tracing::instrument(skip_all, fields(source = %cx.source.id))]
    pub async fn run(&self, cx: &mut RunContext<'_>) -> Result<(), ConnectorError> {
        let tz = cx.source.timezone;
        let mut url = self.first_page_url();
        let mut announced = None;
        let mut seen: u64 = 0;
        let mut described = HashSet::new();
        loop {
            let page = cx.fetch_page(&url).await?;
            let parsed =
                parse_page(&page.body, &page.url, &self.base_url, tz).map_err(|message| {
                    ConnectorError::Parse {
                        url: url.to_string(),
                        message,
                    }
                })?;
            // Stock sites never send an empty page that links onward (DRF answers 404 past
            // the last page); a site that does could walk fresh page numbers for ever.
            if parsed.records == 0 && parsed.next.is_some() {
                return Err(ConnectorError::Parse {
                    url: url.to_string(),
                    message: "an empty page links to a next page".into(),
                });
            }
            seen += parsed.records;
            cx.count_items(parsed.records);
            announced = parsed.count.or(announced);
            for item in parsed.items {
                match item {
                    Ok(mut draft) => {
                        // A course split across pages is described once.
                        if self.options.fetch_details && described.insert(draft.external_id.clone())
                        {
                            self.describe(cx, &mut draft).await?;
                        }
                        cx.emit(draft)?;
                    }
                    Err(rejection) => cx.reject(rejection),
                }
            }
            match parsed.next {
                Some(next) => url = next,
                None => break,
            }
        }
        // A short walk must not pass for the whole catalogue: the sync would withdraw
        // everything it did not see.
        if let Some(expected) = announced
            && seen < expected
        {
            return Err(ConnectorError::Incomplete { expected, seen });
        }
        Ok(())
    }

    /// Fills the description from the detail endpoint of the draft's first run. A course
    /// the detail endpoint does not know (404) or an unreadable detail body keeps no
    /// description; any other fetch failure fails the run.
    async fn describe(
        &self,
        cx: &mut RunContext<'_>,
        draft: &mut ListingDraft,
    ) -> Result<(), ConnectorError> {
        let Some(run_key) = draft.runs.first().map(|r| r.external_run_id.clone()) else {
            return Ok(());
        };
        let url = detail_url(&self.base_url, &run_key);
        let page = match cx.fetch(&url).await {
            Ok(page) => page,
            Err(ConnectorError::Fetch(e)) if e.status() == Some(404) => {
                tracing::warn!(source = %cx.source.id, external_id = %draft.external_id, url = %url,
                    "Course detail not found; listing kept without a description.");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        match parse_detail(&page.body) {
            Ok(Some(d)) => {
                draft.description_html = Some(d.html);
                draft.description_text = Some(d.text);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(source = %cx.source.id, external_id = %draft.external_id, url = %url,
                    error = %error, "Course detail unreadable; listing kept without a description.");
            }
        }
        Ok(())
    }
}

/// The base URL as a directory, so that joining keeps a path prefix
/// (`https://x.org/lms` and `https://x.org/lms/` both become `https://x.org/lms/`).
fn base_dir(base_url: &Url) -> Url {
    let mut dir = base_url.clone();
    dir.set_query(None);
    dir.set_fragment(None);
    if !dir.path().ends_with('/') {
        let path = format!("{}/", dir.path());
        dir.set_path(&path);
    }
    dir
}

fn courses_endpoint(base_url: &Url) -> Url {
    let dir = base_dir(base_url);
    dir.join("api/courses/v1/courses/").unwrap_or(dir)
}

/// `{base}/api/courses/v1/courses/{key}/`, the key percent-encoded as one path segment
/// (`edX/DemoX/Demo_Course` → `edX%2FDemoX%2FDemo_Course`).
fn detail_url(base_url: &Url, run_key: &str) -> Url {
    let mut url = courses_endpoint(base_url);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(run_key).push("");
    }
    url
}

/// Options of `style = "openedx"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OpenEdxOptions {
    /// Items per page, 1–100 (the API's maximum).
    #[serde(default = "default_page_size")]
    pub page_size: u32,
    /// Fetch each course's detail endpoint for its `overview` (one more request a run).
    #[serde(default)]
    pub fetch_details: bool,
}

fn default_page_size() -> u32 {
    100
}

impl OpenEdxOptions {
    /// Checks option values: the key at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=100).contains(&self.page_size) {
            return Err(("page_size", format!("{}: expected 1–100", self.page_size)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn endpoint_keeps_a_path_prefix_with_or_without_trailing_slash() {
        for base in ["https://x.org", "https://x.org/"] {
            assert_eq!(
                courses_endpoint(&url(base)).as_str(),
                "https://x.org/api/courses/v1/courses/"
            );
        }
        for base in ["https://x.org/lms", "https://x.org/lms/"] {
            assert_eq!(
                courses_endpoint(&url(base)).as_str(),
                "https://x.org/lms/api/courses/v1/courses/"
            );
        }
    }

    #[test]
    fn first_page_url_asks_for_page_one_at_the_configured_size() {
        let c = OpenEdx {
            base_url: url("https://x.org/lms"),
            options: OpenEdxOptions {
                page_size: 20,
                fetch_details: false,
            },
        };
        assert_eq!(
            c.first_page_url().as_str(),
            "https://x.org/lms/api/courses/v1/courses/?page=1&page_size=20"
        );
    }

    #[test]
    fn detail_url_encodes_the_key_as_one_segment() {
        assert_eq!(
            detail_url(&url("https://x.org"), "edX/DemoX/Demo_Course").as_str(),
            "https://x.org/api/courses/v1/courses/edX%2FDemoX%2FDemo_Course/"
        );
        assert_eq!(
            detail_url(&url("https://x.org/lms/"), "course-v1:MITx+6.002x+2T2020").as_str(),
            "https://x.org/lms/api/courses/v1/courses/course-v1:MITx+6.002x+2T2020/"
        );
    }
}
