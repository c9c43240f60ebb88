//! Small helpers the JSON-speaking connector styles share.

use serde_json::Value;

/// The JSON type of a value, in words for error messages ("expected an array, got a string").
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
