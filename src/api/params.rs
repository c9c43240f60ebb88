//! Query-string parameters read by hand, so that every error names the parameter and an
//! unknown or repeated parameter is refused rather than ignored.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::error::ApiError;

/// The parameters of one request, each given at most once.
#[derive(Debug, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses `raw`, allowing only `known` names.
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Self, ApiError> {
        let mut map = BTreeMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !known.contains(&k.as_ref()) {
                return Err(ApiError::bad(
                    &k,
                    format!(
                        "unknown parameter; this endpoint takes {}",
                        known.join(", ")
                    ),
                ));
            }
            if map.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(ApiError::bad(&k, "given more than once"));
            }
        }
        Ok(Self(map))
    }

    /// Every parameter, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    /// The value, `None` when absent; an empty value is an error.
    pub fn str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name).map(|v| v.trim()) {
            Some("") => Err(ApiError::bad(name, "is empty")),
            other => Ok(other),
        }
    }

    /// A comma-separated list (empty when absent).
    pub fn list(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let Some(v) = self.str(name)? else {
            return Ok(Vec::new());
        };
        let items: Vec<String> = v.split(',').map(|s| s.trim().to_owned()).collect();
        if items.iter().any(String::is_empty) {
            return Err(ApiError::bad(name, "has an empty item in its list"));
        }
        Ok(items)
    }

    /// `true` / `false` (also `1` / `0`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.str(name)?
            .map(|v| match v {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                other => Err(ApiError::bad(
                    name,
                    format!("{other:?} is not true or false"),
                )),
            })
            .transpose()
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn int(&self, name: &str, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
        let Some(v) = self.str(name)? else {
            return Ok(default);
        };
        let n: i64 = v
            .parse()
            .map_err(|_| ApiError::bad(name, format!("{v:?} is not an integer")))?;
        if !(min..=max).contains(&n) {
            return Err(ApiError::bad(
                name,
                format!("{n} is out of range {min}..={max}"),
            ));
        }
        Ok(n)
    }

    /// An RFC 3339 instant, or a date (`YYYY-MM-DD`, midnight UTC).
    pub fn instant(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.str(name)?
            .map(|v| {
                if let Ok(t) = DateTime::parse_from_rfc3339(v) {
                    return Ok(t.with_timezone(&Utc));
                }
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc())
                    .ok_or_else(|| {
                        ApiError::bad(
                            name,
                            format!("{v:?} is neither an RFC 3339 time nor a YYYY-MM-DD date"),
                        )
                    })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_param(e: ApiError) -> String {
        match e {
            ApiError::BadParameter { parameter, .. } => parameter,
            other => panic!("expected a bad parameter, got {other:?}"),
        }
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let e = Params::parse(Some("langauge=en"), &["language"]).unwrap_err();
        assert_eq!(bad_param(e), "langauge");
        let e = Params::parse(Some("limit=1&limit=2"), &["limit"]).unwrap_err();
        assert_eq!(bad_param(e), "limit");
    }

    #[test]
    fn values_are_percent_decoded_and_checked() {
        let p = Params::parse(
            Some("q=%E0%B8%82%E0%B9%89%E0%B8%AD%E0%B8%A1%E0%B8%B9%E0%B8%A5&limit=5&free=true&starts_after=2026-01-02"),
            &["q", "limit", "free", "starts_after"],
        )
        .unwrap();
        assert_eq!(p.str("q").unwrap(), Some("ข้อมูล"));
        assert_eq!(p.int("limit", 1, 100, 20).unwrap(), 5);
        assert_eq!(p.bool("free").unwrap(), Some(true));
        assert_eq!(
            p.instant("starts_after").unwrap().unwrap().to_rfc3339(),
            "2026-01-02T00:00:00+00:00"
        );
        let p = Params::parse(Some("limit=500"), &["limit"]).unwrap();
        assert_eq!(bad_param(p.int("limit", 1, 100, 20).unwrap_err()), "limit");
    }
}
