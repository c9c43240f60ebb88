//! The pure half of the retry policy: which statuses are retried, how long the server
//! asked us to wait (`Retry-After`), and the back-off schedule (backon, with jitter).

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

use super::FetchPolicy;

/// Statuses that say "try again later": timeouts, rate limiting and server trouble.
/// Every other 4xx means the request itself is wrong and will not improve.
pub(super) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Statuses whose `Retry-After` we honour (RFC 9110 gives it meaning on 503 and 429).
pub(super) fn honours_retry_after(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// The wait a `Retry-After` value asks for at `now`: delta-seconds or an HTTP-date (a
/// date already past asks for no wait). `None` when the value is neither.
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whole seconds, rounded up, for messages ("asked to wait 2 s" for 1.2 s).
pub(super) fn ceil_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The back-off delays between tries: `base`, doubling up to `max`, each plus up to
/// 100 % jitter so that many clients refused at once do not return in step.
pub(super) struct Backoff {
    delays: ExponentialBackoff,
    max: Duration,
}

impl Backoff {
    pub(super) fn new(policy: &FetchPolicy) -> Self {
        let delays = ExponentialBuilder::default()
            .with_min_delay(policy.base_backoff)
            .with_max_delay(policy.max_backoff)
            .with_factor(2.0)
            .with_jitter()
            // The loop in the fetcher counts tries itself; the schedule never runs out.
            .without_max_times()
            .build();
        Self {
            delays,
            max: policy.max_backoff,
        }
    }

    /// The wait before the next try, never above `max_backoff` (backon adds the jitter on
    /// top of its capped delay).
    pub(super) fn next_delay(&mut self) -> Duration {
        self.delays.next().unwrap_or(self.max).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limiting_and_server_errors_are_retried_but_client_errors_are_not() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 410, 501] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn retry_after_in_delta_seconds_is_read() {
        assert_eq!(
            parse_retry_after(" 120 ", SystemTime::UNIX_EPOCH),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn retry_after_as_http_date_is_the_time_left_until_then() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
            .unwrap_or(SystemTime::UNIX_EPOCH);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn retry_after_date_in_the_past_asks_for_no_wait() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
            .unwrap_or(SystemTime::UNIX_EPOCH);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn unreadable_retry_after_is_ignored() {
        assert_eq!(parse_retry_after("soon", SystemTime::UNIX_EPOCH), None);
        assert_eq!(parse_retry_after("-5", SystemTime::UNIX_EPOCH), None);
    }

    #[test]
    fn waits_are_rounded_up_to_whole_seconds() {
        assert_eq!(ceil_secs(Duration::from_millis(1200)), 2);
        assert_eq!(ceil_secs(Duration::from_secs(3)), 3);
    }

    #[test]
    fn back_off_grows_from_base_and_stays_within_max() {
        let policy = FetchPolicy {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            ..FetchPolicy::default()
        };
        let mut backoff = Backoff::new(&policy);
        let delays: Vec<Duration> = (0..8).map(|_| backoff.next_delay()).collect();
        let first = delays.first().copied().unwrap_or_default();
        // The first wait is the base plus at most 100 % jitter.
        assert!(first >= Duration::from_millis(100) && first < Duration::from_millis(200));
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(500)));
        // Once doubling passes the cap, every wait sits at the cap.
        assert_eq!(delays.last().copied(), Some(Duration::from_millis(500)));
    }
}
