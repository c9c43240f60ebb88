//! `style = "thaimooc"`: Thai MOOC-style portal JSON plus Thai course pages.
//! SKELETON: to be completed.

use serde::Deserialize;

use crate::config::SourceConfig;

use super::{ConnectorError, RunContext};

/// Options of `style = "thaimooc"`.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ThaimoocOptions {}

impl ThaimoocOptions {
    /// Checks option values: the key at fault and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct Thaimooc {
    base_url: url::Url,
    options: ThaimoocOptions,
}

impl Thaimooc {
    pub fn new(source: &SourceConfig, options: ThaimoocOptions) -> Self {
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
