//! `style = "xuetangx"`: XuetangX-style private JSON API.
//! SKELETON: to be completed.

use serde::Deserialize;

use crate::config::SourceConfig;

use super::{ConnectorError, RunContext};

/// Options of `style = "xuetangx"`.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct XuetangxOptions {}

impl XuetangxOptions {
    /// Checks option values: the key at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct Xuetangx {
    base_url: url::Url,
    options: XuetangxOptions,
}

impl Xuetangx {
    pub fn new(source: &SourceConfig, options: XuetangxOptions) -> Self {
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
