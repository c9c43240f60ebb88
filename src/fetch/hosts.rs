//! Per-host politeness shared across sources: every source whose `base_url` names the
//! same host (and port) waits on one rate limiter per process, so two connector files for
//! one platform never double its request rate. The smaller `requests_per_minute` of the
//! sources on a host wins.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};

use governor::DefaultDirectRateLimiter;
use url::Url;

use super::FetchPolicy;
use crate::config::SourceConfig;

/// The limiters of one process, keyed by host.
#[derive(Default)]
pub struct HostLimits {
    hosts: Mutex<HashMap<String, (NonZeroU32, Arc<DefaultDirectRateLimiter>)>>,
}

/// The politeness key of a URL: its host and port (`courses.edx.org:443`).
pub fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// The process-wide registry `sync` uses.
pub fn global() -> &'static HostLimits {
    static GLOBAL: OnceLock<HostLimits> = OnceLock::new();
    GLOBAL.get_or_init(HostLimits::default)
}

impl HostLimits {
    /// Notes `sources` up front (the daemon does this at start) so the smallest rate of
    /// each host is in force before the first run.
    pub fn register_all(&self, sources: &[SourceConfig]) {
        for s in sources {
            self.limiter_for(s);
        }
    }

    /// The limiter `source`'s requests wait on: its host's, created at the source's rate
    /// or replaced by a slower one if this source asks for fewer requests a minute (runs
    /// already going keep the limiter they started with).
    pub fn limiter_for(&self, source: &SourceConfig) -> Arc<DefaultDirectRateLimiter> {
        let key = host_key(&source.base_url);
        let rpm = source.requests_per_minute;
        let mut hosts = match self.hosts.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        match hosts.get(&key) {
            Some((have, limiter)) if *have <= rpm => Arc::clone(limiter),
            _ => {
                let limiter = FetchPolicy::of(source).rate_limiter();
                hosts.insert(key, (rpm, Arc::clone(&limiter)));
                limiter
            }
        }
    }

    /// The rate in force for `url`'s host, if a source on it was seen.
    pub fn rate_of(&self, url: &Url) -> Option<NonZeroU32> {
        let hosts = match self.hosts.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        hosts.get(&host_key(url)).map(|(rpm, _)| *rpm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceId;

    fn source(id: &str, base: &str, rpm: u32) -> SourceConfig {
        SourceConfig::from_toml(
            SourceId::parse(id).unwrap(),
            std::path::Path::new("x.toml"),
            &format!("style = \"openedx\"\nbase_url = \"{base}\"\nrequests_per_minute = {rpm}\n"),
        )
        .unwrap()
    }

    #[test]
    fn sources_on_one_host_share_one_limiter_at_the_smaller_rate() {
        let limits = HostLimits::default();
        let a = source("a", "https://lms.example.org", 60);
        let b = source("b", "https://LMS.example.org/other/", 20);
        let c = source("c", "https://other.example.org", 60);
        limits.register_all(&[a.clone(), b.clone(), c.clone()]);
        let la = limits.limiter_for(&a);
        let lb = limits.limiter_for(&b);
        assert!(Arc::ptr_eq(&la, &lb), "one budget for one host");
        assert!(!Arc::ptr_eq(&la, &limits.limiter_for(&c)));
        assert_eq!(limits.rate_of(&a.base_url).map(NonZeroU32::get), Some(20));
        assert!(la.check().is_ok());
        assert!(lb.check().is_err(), "b's request waits for a's slot");
    }

    #[test]
    fn different_ports_are_different_hosts() {
        let a = Url::parse("http://127.0.0.1:8001/").unwrap();
        let b = Url::parse("http://127.0.0.1:8002/").unwrap();
        assert_ne!(host_key(&a), host_key(&b));
        assert_eq!(
            host_key(&Url::parse("https://x.org/").unwrap()),
            "x.org:443"
        );
    }
}
