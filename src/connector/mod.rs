//! Connectors: the registry of styles (a plain enum, one variant per style) and what a
//! style gets to work with during a run ([`RunContext`]).
//!
//! A style drives its own requests (pagination, detail pages, sessions live in the style)
//! through the context, which owns the shared machinery: the rate-limited, retrying
//! fetcher, the loop guard, page counting, and the sink that records listings and
//! rejections. Parsing and mapping in each style are pure functions over page bytes.

mod context;
mod json;
pub mod openedx;
pub mod openedx_rss;
pub mod thaimooc;
pub mod xuetangx;

pub use context::{ConnectorError, RecordSink, RunContext};

use crate::config::{SourceConfig, StyleConfig};

/// A configured connector, ready to run.
#[derive(Debug, Clone)]
pub enum Connector {
    Openedx(openedx::OpenEdx),
    OpenedxRss(openedx_rss::OpenEdxRss),
    Xuetangx(xuetangx::Xuetangx),
    Thaimooc(thaimooc::Thaimooc),
}

impl Connector {
    /// Builds the connector a source's file asks for.
    pub fn for_source(source: &SourceConfig) -> Self {
        match &source.style {
            StyleConfig::Openedx(o) => Self::Openedx(openedx::OpenEdx::new(source, o.clone())),
            StyleConfig::OpenedxRss(o) => {
                Self::OpenedxRss(openedx_rss::OpenEdxRss::new(source, o.clone()))
            }
            StyleConfig::Xuetangx(o) => Self::Xuetangx(xuetangx::Xuetangx::new(source, o.clone())),
            StyleConfig::Thaimooc(o) => Self::Thaimooc(thaimooc::Thaimooc::new(source, o.clone())),
        }
    }

    /// Runs the whole catalogue walk, emitting every listing and rejection into the context.
    /// Returns an error when the walk could not be completed; what was emitted is then
    /// discarded by the caller.
    pub async fn run(&self, cx: &mut RunContext<'_>) -> Result<(), ConnectorError> {
        match self {
            Self::Openedx(c) => c.run(cx).await,
            Self::OpenedxRss(c) => c.run(cx).await,
            Self::Xuetangx(c) => c.run(cx).await,
            Self::Thaimooc(c) => c.run(cx).await,
        }
    }
}
