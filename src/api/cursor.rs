//! Opaque pagination cursors: the last course's sort key, the instant the first page was
//! judged at, and a fingerprint of the query, base64url-encoded JSON. A cursor replayed
//! with other filters or another sort is refused (400) instead of paging something else.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::CourseKey;

/// What a cursor carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Format version.
    pub v: u8,
    /// Fingerprint of the query (filters and sort) the cursor belongs to.
    pub f: String,
    /// The instant availability and next start are judged at, for every page.
    pub now: DateTime<Utc>,
    pub key: CourseKey,
}

/// Why a cursor was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CursorError {
    #[error("is not a cursor this server issued")]
    Malformed,
    #[error("was issued for another query (filters or sort differ)")]
    OtherQuery,
}

/// The fingerprint of a query's `(name, value)` pairs (cursor and limit excluded by the
/// caller), independent of their order.
pub fn fingerprint<'a>(pairs: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut pairs: Vec<_> = pairs.collect();
    pairs.sort();
    let mut h = blake3::Hasher::new();
    for (k, v) in pairs {
        h.update(k.as_bytes())
            .update(b"=")
            .update(v.as_bytes())
            .update(b"\n");
    }
    h.finalize().to_hex()[..16].to_owned()
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Decodes `raw`, checking it belongs to the query with fingerprint `f`.
    pub fn decode(raw: &str, f: &str) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw.trim())
            .map_err(|_| CursorError::Malformed)?;
        let c: Cursor = serde_json::from_slice(&bytes).map_err(|_| CursorError::Malformed)?;
        if c.v != 1 {
            return Err(CursorError::Malformed);
        }
        if c.f != f {
            return Err(CursorError::OtherQuery);
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            v: 1,
            f: "abc".into(),
            now: Utc::now(),
            key: CourseKey::Relevance {
                score: 1.2345678901234567,
                id: "01J".into(),
            },
        }
    }

    #[test]
    fn cursor_round_trips_exactly() {
        let c = cursor();
        assert_eq!(Cursor::decode(&c.encode(), "abc").unwrap(), c);
    }

    #[test]
    fn foreign_or_garbled_cursors_are_refused() {
        let c = cursor();
        assert_eq!(
            Cursor::decode(&c.encode(), "other"),
            Err(CursorError::OtherQuery)
        );
        assert_eq!(Cursor::decode("%%%", "abc"), Err(CursorError::Malformed));
        assert_eq!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode(b"{}"), "abc"),
            Err(CursorError::Malformed)
        );
    }

    #[test]
    fn fingerprint_ignores_parameter_order() {
        let a = [("a".to_string(), "1".to_string()), ("b".into(), "2".into())];
        let b = [a[1].clone(), a[0].clone()];
        assert_eq!(
            fingerprint(a.iter().map(|(k, v)| (k, v))),
            fingerprint(b.iter().map(|(k, v)| (k, v)))
        );
    }
}
