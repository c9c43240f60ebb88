//! The `get_product_list` response envelope: `success`, `data.count`, `data.product_list`.
//! Items stay raw JSON here so that one malformed item is a rejection, not a failed page.

use serde::Deserialize;
use serde_json::Value;

/// One catalogue page as the API sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// `data.count`: the total the platform announces (items across every page), if given.
    pub count: Option<u64>,
    /// `data.product_list`, each item still raw.
    pub items: Vec<Value>,
}

/// Why a page's envelope is not a usable catalogue page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// `success: false`: the platform refused the request; never an empty catalogue.
    #[error("success: false: {0}")]
    Platform(String),
    /// Not JSON, or not the envelope's shape.
    #[error("{0}")]
    Parse(String),
}

#[derive(Deserialize)]
struct Raw {
    success: Option<Value>,
    #[serde(default)]
    msg: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    data: Option<RawData>,
}

#[derive(Deserialize)]
struct RawData {
    #[serde(default)]
    count: Option<Value>,
    /// `Some(Value::Null)` when sent as `null` (an empty page), `None` when missing.
    #[serde(default, deserialize_with = "present")]
    product_list: Option<Value>,
}

/// Keeps an explicit `null` apart from a missing key.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// Parses one response body. `success` must not be false; `data.product_list` must be
/// an array (or `null`, read as an empty page).
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, EnvelopeError> {
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| EnvelopeError::Parse(format!("not the product-list JSON envelope: {e}")))?;
    match raw.success {
        Some(Value::Bool(true)) | None => {}
        Some(Value::Bool(false)) => {
            let msg = [raw.msg, raw.message]
                .into_iter()
                .flatten()
                .find_map(|m| match m {
                    Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                    Value::Null => None,
                    Value::String(_) => None,
                    other => Some(other.to_string()),
                })
                .unwrap_or_else(|| "(no message)".to_owned());
            return Err(EnvelopeError::Platform(msg));
        }
        Some(other) => {
            return Err(EnvelopeError::Parse(format!(
                "`success` is {other}, expected true or false"
            )));
        }
    }
    let data = raw
        .data
        .ok_or_else(|| EnvelopeError::Parse("no `data` object".to_owned()))?;
    let items = match data.product_list {
        None => {
            return Err(EnvelopeError::Parse(
                "no `data.product_list` array".to_owned(),
            ));
        }
        Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(EnvelopeError::Parse(
                "`data.product_list` is not an array".to_owned(),
            ));
        }
    };
    let count = match data.count {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    Ok(Envelope { count, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_false_is_a_platform_error_with_its_message() {
        let e =
            parse_envelope(r#"{"success": false, "msg": " 请先登录 "}"#.as_bytes()).unwrap_err();
        assert_eq!(e, EnvelopeError::Platform("请先登录".into()));
    }

    #[test]
    fn success_false_without_message_is_still_a_platform_error() {
        let e = parse_envelope(br#"{"success": false, "data": {"product_list": []}}"#).unwrap_err();
        assert!(matches!(e, EnvelopeError::Platform(_)), "{e:?}");
    }

    #[test]
    fn count_and_items_are_read() {
        let env = parse_envelope(
            br#"{"success": true, "data": {"count": 3127, "product_list": [{"name": "a"}, 3]}}"#,
        )
        .unwrap();
        assert_eq!(env.count, Some(3127));
        assert_eq!(env.items.len(), 2);
    }

    #[test]
    fn count_given_as_text_is_read() {
        let env =
            parse_envelope(br#"{"success": true, "data": {"count": "25", "product_list": []}}"#)
                .unwrap();
        assert_eq!(env.count, Some(25));
    }

    #[test]
    fn null_product_list_is_an_empty_page() {
        let env =
            parse_envelope(br#"{"success": true, "data": {"count": 0, "product_list": null}}"#)
                .unwrap();
        assert!(env.items.is_empty());
    }

    #[test]
    fn missing_product_list_is_a_parse_error() {
        let e = parse_envelope(br#"{"success": true, "data": {"count": 5}}"#).unwrap_err();
        assert!(matches!(e, EnvelopeError::Parse(_)), "{e:?}");
    }

    #[test]
    fn html_error_page_is_a_parse_error() {
        let e = parse_envelope(b"<html><body>403 Forbidden</body></html>").unwrap_err();
        assert!(matches!(e, EnvelopeError::Parse(_)), "{e:?}");
    }

    #[test]
    fn product_list_of_the_wrong_type_is_a_parse_error() {
        let e = parse_envelope(br#"{"success": true, "data": {"product_list": {"a": 1}}}"#)
            .unwrap_err();
        assert!(matches!(e, EnvelopeError::Parse(_)), "{e:?}");
    }
}
