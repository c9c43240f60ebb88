//! `style = "thaimooc"`: Thai MOOC-style portals — the catalogue, institutions and
//! instructors from the portal's JSON, joined, plus each course's Thai HTML page for
//! its schedule (Buddhist-era dates), read with selectors and labels from the config.
//!
//! - [`portal`]: the JSON envelope and lenient record reading, the directory join.
//! - [`page`]: a course page to owned fields.
//! - [`keys`]: Open edX keys in LMS links and old portal slugs.
//! - [`map`]: one course to a listing draft with one run, or a rejection.
//! - [`options`]: the instance options (`fetch_pages`, `[selectors]`, `[labels]`).

pub mod keys;
pub mod map;
pub mod options;
pub mod page;
pub mod portal;

pub use options::{PageLabels, PageRules, PageSelectors, ThaimoocOptions};

use serde_json::Value;
use url::Url;

use crate::config::SourceConfig;

use super::{ConnectorError, RunContext};
use map::MapContext;
use page::CoursePage;
use portal::EnvelopeError;

#[derive(Debug, Clone)]
pub struct Thaimooc {
    base_url: Url,
    options: ThaimoocOptions,
}

impl Thaimooc {
    pub fn new(source: &SourceConfig, options: ThaimoocOptions) -> Self {
        Self {
            base_url: source.base_url.clone(),
            options,
        }
    }

    /// Fetches the three portal lists (any failure fails the run), then each course's
    /// page in catalogue order through the rate-limited fetcher; a missing page (404/410)
    /// leaves the course with its JSON data, any other page error fails the run.
    pub async fn run(&self, cx: &mut RunContext<'_>) -> Result<(), ConnectorError> {
        // `validate` ran at config load, so this only fails for hand-built options.
        let rules = self
            .options
            .page_rules()
            .map_err(|(key, message)| ConnectorError::Parse {
                url: format!("option {key}"),
                message,
            })?;
        let courses = self.fetch_list(cx, "courses").await?;
        let institutions = portal::name_index(&self.fetch_list(cx, "institutions").await?);
        let instructors = portal::name_index(&self.fetch_list(cx, "instructors").await?);
        let mcx = MapContext {
            base_url: &self.base_url,
            timezone: cx.source.timezone,
            institutions: &institutions,
            instructors: &instructors,
        };
        for item in &courses {
            let course = portal::read_course(item);
            let page = match (&course.code, self.options.fetch_pages) {
                (Some(code), true) => self.fetch_course_page(cx, code, &rules).await?,
                _ => None,
            };
            match map::to_listing(&course, page.as_ref(), &mcx) {
                Ok(draft) => cx.emit(draft)?,
                Err(rejection) => cx.reject(rejection),
            }
        }
        Ok(())
    }

    /// `GET {base}/api/{what}` → the records of its `data` array.
    async fn fetch_list(
        &self,
        cx: &mut RunContext<'_>,
        what: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let url = map::endpoint(&self.base_url, &["api", what]);
        let fetched = cx.fetch_page(&url).await?;
        portal::parse_envelope(&fetched.body).map_err(|e| match e {
            EnvelopeError::Failed(message) => ConnectorError::Platform {
                url: url.to_string(),
                message,
            },
            other => ConnectorError::Parse {
                url: url.to_string(),
                message: other.to_string(),
            },
        })
    }

    /// A course's page, extracted; `None` when the site has no page for it. Asked for
    /// conditionally when an earlier run archived it with a validator: pages rarely change.
    async fn fetch_course_page(
        &self,
        cx: &mut RunContext<'_>,
        code: &str,
        rules: &PageRules,
    ) -> Result<Option<CoursePage>, ConnectorError> {
        let url = map::course_page_url(&self.base_url, code);
        match cx.fetch_cached(&url).await {
            Ok(fetched) => Ok(Some(page::extract(
                &String::from_utf8_lossy(&fetched.body),
                rules,
            ))),
            Err(ConnectorError::Fetch(e)) if matches!(e.status(), Some(404 | 410)) => {
                tracing::debug!(source = %cx.source.id, external_id = code, %url, "Course page missing; keeping the portal data.");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
