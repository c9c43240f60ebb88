//! `style = "openedx"`: the Open edX LMS Course API (`/api/courses/v1/courses/`).
//! SKELETON: to be completed.

use serde::Deserialize;

use crate::config::SourceConfig;

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

    pub async fn run(&self, _cx: &mut RunContext<'_>) -> Result<(), ConnectorError> {
        let _ = (&self.base_url, &self.options);
        Ok(())
    }
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
