//! Identifiers: source ids (connector file stems) and public listing ids.

use std::fmt;

/// A source id: the stem of a connector file (`connectors/edx.toml` → `edx`).
///
/// Lower-case ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most
/// 64 characters — it appears in listing ids (`edx:MITx+6.002x`), URLs and metric labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct SourceId(String);

/// Why a string is not a valid [`SourceId`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid source id {0:?}: use 1-64 lower-case ASCII letters, digits, '-' or '_', starting with a letter or digit"
)]
pub struct SourceIdError(pub String);

impl SourceId {
    /// Validates `raw` as a source id.
    pub fn parse(raw: &str) -> Result<Self, SourceIdError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && raw.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(SourceIdError(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The public id of a listing: `{source}:{external_id}`.
pub fn listing_id(source: &str, external_id: &str) -> String {
    format!("{source}:{external_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_valid_source_ids() {
        for ok in ["edx", "thai-mooc", "spbu_2", "9lives"] {
            assert_eq!(SourceId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn upper_case_spaces_and_colons_are_rejected() {
        for bad in ["", "EdX", "my source", "a:b", "-x", &"x".repeat(65)] {
            assert!(SourceId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
