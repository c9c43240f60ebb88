//! `style = "openedx"`: the Open edX LMS Course API (`/api/courses/v1/courses/`).
//! SKELETON: to be completed.

use crate::config::{OpenEdxOptions, SourceConfig};

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
