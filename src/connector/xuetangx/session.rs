//! The web session the API insists on: cookies from `Set-Cookie`, the CSRF token from the
//! `csrftoken` cookie, and the headers the site's own front end sends.
//!
//! Cookies are kept here rather than read from the fetcher's jar: `Set-Cookie` headers are
//! visible whatever the jar does, and a request's own `Cookie` header takes precedence in
//! reqwest, so this works with or without a jar.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, SET_COOKIE};
use url::Url;

/// The Django cookie holding the CSRF token.
pub const CSRF_COOKIE: &str = "csrftoken";

/// Cookies of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    cookies: BTreeMap<String, String>,
}

impl Session {
    /// Takes the cookies a response sets; a cookie set empty or expired is dropped.
    pub fn absorb(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let name = name.trim();
            let value = value.trim().trim_matches('"');
            if name.is_empty() {
                continue;
            }
            let expired = parts.any(|attr| {
                attr.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("max-age") && v.trim().starts_with(['0', '-'])
                })
            });
            if value.is_empty() || expired {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// The CSRF token, once the warm-up has set it.
    pub fn csrf_token(&self) -> Option<&str> {
        self.cookies.get(CSRF_COOKIE).map(String::as_str)
    }

    /// Forgets every cookie (before a fresh warm-up).
    pub fn clear(&mut self) {
        self.cookies.clear();
    }

    /// The headers of an API call: the front end's own, the CSRF token and the cookies.
    /// A value that is not a valid header value (a hostile cookie) is left out.
    pub fn api_headers(&self, base: &Url) -> HeaderMap {
        let origin = base.origin().ascii_serialization();
        let referer = base
            .join("search")
            .map(|u| u.to_string())
            .unwrap_or_else(|_| origin.clone());
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut pairs: Vec<(&str, String)> = vec![
            ("xtbz", "xt".into()),
            ("x-client", "web".into()),
            ("django-language", "zh".into()),
            ("accept", "application/json, text/plain, */*".into()),
            ("content-type", "application/json".into()),
            ("origin", origin),
            ("referer", referer),
        ];
        if let Some(token) = self.csrf_token() {
            pairs.push(("x-csrftoken", token.to_owned()));
        }
        if !cookie.is_empty() {
            pairs.push(("cookie", cookie));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_cookies(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(SET_COOKIE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn base() -> Url {
        Url::parse("https://www.xuetangx.com/").unwrap()
    }

    #[test]
    fn csrf_token_comes_from_the_csrftoken_cookie() {
        let mut s = Session::default();
        s.absorb(&set_cookies(&[
            "csrftoken=abc123; expires=Thu, 01 Jan 2099 00:00:00 GMT; Path=/; SameSite=Lax",
            "provider=xuetang; Path=/",
        ]));
        assert_eq!(s.csrf_token(), Some("abc123"));
        let h = s.api_headers(&base());
        assert_eq!(h.get("x-csrftoken").unwrap(), "abc123");
        assert_eq!(
            h.get("cookie").unwrap(),
            "csrftoken=abc123; provider=xuetang"
        );
        assert_eq!(h.get("xtbz").unwrap(), "xt");
        assert_eq!(h.get("referer").unwrap(), "https://www.xuetangx.com/search");
    }

    #[test]
    fn a_later_cookie_replaces_an_earlier_one_and_max_age_zero_deletes() {
        let mut s = Session::default();
        s.absorb(&set_cookies(&["csrftoken=old", "sessionid=s1"]));
        s.absorb(&set_cookies(&[
            "csrftoken=new",
            "sessionid=gone; Max-Age=0",
        ]));
        assert_eq!(s.csrf_token(), Some("new"));
        assert_eq!(
            s.api_headers(&base()).get("cookie").unwrap(),
            "csrftoken=new"
        );
    }

    #[test]
    fn without_a_token_no_csrf_header_is_sent() {
        let s = Session::default();
        let h = s.api_headers(&base());
        assert!(h.get("x-csrftoken").is_none());
        assert!(h.get("cookie").is_none());
        assert_eq!(h.get("django-language").unwrap(), "zh");
    }

    #[test]
    fn a_malformed_set_cookie_is_ignored() {
        let mut s = Session::default();
        s.absorb(&set_cookies(&["garbage", "=x", "csrftoken=ok"]));
        assert_eq!(s.csrf_token(), Some("ok"));
    }
}
