//! `style = "openedx_rss"`: the legacy edX RSS course feed.
//! SKELETON: to be completed.

use serde::Deserialize;

use crate::config::SourceConfig;

use super::{ConnectorError, RunContext};

/// Options of `style = "openedx_rss"`.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct OpenEdxRssOptions {}

impl OpenEdxRssOptions {
    /// Checks option values: the key at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct OpenEdxRss {
    base_url: url::Url,
    options: OpenEdxRssOptions,
}

impl OpenEdxRss {
    pub fn new(source: &SourceConfig, options: OpenEdxRssOptions) -> Self {
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
