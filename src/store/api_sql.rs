//! A small SQL text buffer with numbered (`$N`) parameters, for the read API's queries
//! whose shape depends on the request (filters, sort, cursor) and, in a few fragments, on
//! the backend. Both backends accept `$N`; [`bind_params!`] binds the values in order.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

/// One bound value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Param {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Time(DateTime<Utc>),
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl From<DateTime<Utc>> for Param {
    fn from(v: DateTime<Utc>) -> Self {
        Self::Time(v)
    }
}

/// SQL text and its parameters, `$1…$N` in order of [`Sql::bind`].
#[derive(Debug, Default, Clone)]
pub(super) struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Param>) -> &mut Self {
        self.params.push(value.into());
        let _ = write!(self.text, "${}", self.params.len());
        self
    }

    /// Appends `(p1, p2, …)` for `values` (at least one).
    pub fn bind_list<I, T>(&mut self, values: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: Into<Param>,
    {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }
}

/// `sqlx::query` over an [`Sql`] with every parameter bound.
macro_rules! bind_params {
    ($sql:expr) => {{
        let sql: &$crate::store::api_sql::Sql = &$sql;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.text.clone()));
        for p in &sql.params {
            q = match p {
                $crate::store::api_sql::Param::Text(v) => q.bind(v.clone()),
                $crate::store::api_sql::Param::Int(v) => q.bind(*v),
                $crate::store::api_sql::Param::Float(v) => q.bind(*v),
                $crate::store::api_sql::Param::Bool(v) => q.bind(*v),
                $crate::store::api_sql::Param::Time(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(super) use bind_params;

/// `%text%` for LIKE, with `\`, `%` and `_` escaped by `\`.
pub(super) fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_bind_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind("x").push(" AND b IN ").bind_list([1i64, 2]);
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(sql.params.len(), 3);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
