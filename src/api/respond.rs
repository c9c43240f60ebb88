//! Successful responses: JSON bodies with a weak `ETag` over their bytes, answered with
//! `304 Not Modified` when the client's `If-None-Match` already has them.
//!
//! The tag is weak, over the identity bytes, and the same for the gzip-encoded
//! representation: a weak tag names semantically equivalent representations (RFC 9110
//! §8.8.1), which a body and its gzip coding are, and `If-None-Match` compares weakly. So a
//! client that switches encodings still revalidates; caches keep the two apart by
//! `Vary: Accept-Encoding`.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;

pub const JSON: &str = "application/json";
pub const JSON_LD: &str = "application/ld+json";

/// The weak entity tag of a body.
pub fn etag_of(body: &[u8]) -> String {
    format!("W/\"{}\"", &blake3::hash(body).to_hex()[..32])
}

/// Whether `If-None-Match` in `headers` matches `etag` (weak comparison, `*` matches all).
pub fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == ours)
}

/// `value` as a cacheable response of `content_type`, or a 304.
pub fn cached<T: Serialize>(
    req: &HeaderMap,
    content_type: &'static str,
    value: &T,
) -> Result<Response, ApiError> {
    let (body, etag) = render(value)?;
    Ok(respond(req, content_type, body, &etag))
}

/// The JSON bytes of `value` and their entity tag.
pub fn render<T: Serialize>(value: &T) -> Result<(Bytes, HeaderValue), ApiError> {
    let body = serde_json::to_vec(value)
        .map_err(|e| ApiError::Unavailable(format!("cannot serialise the response: {e}")))?;
    let etag = HeaderValue::from_str(&etag_of(&body)).unwrap_or(HeaderValue::from_static("\"\""));
    Ok((Bytes::from(body), etag))
}

/// `body` as a cacheable response of `content_type`, or a 304.
pub fn cached_bytes(req: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let etag = HeaderValue::from_str(&etag_of(&body)).unwrap_or(HeaderValue::from_static("\"\""));
    respond(req, content_type, Bytes::from(body), &etag)
}

/// `body` with its entity tag `etag`, or a 304 when the client has it.
pub fn respond(
    req: &HeaderMap,
    content_type: &'static str,
    body: Bytes,
    etag: &HeaderValue,
) -> Response {
    let common = [
        (header::ETAG, etag.clone()),
        (
            header::VARY,
            HeaderValue::from_static("Accept, Accept-Encoding"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    if matches_etag(req, etag.to_str().unwrap_or_default()) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        StatusCode::OK,
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// Whether the client takes a gzip-coded body (`Accept-Encoding`, RFC 9110 §12.5.3):
/// `gzip` (or `x-gzip`) with a non-zero weight, or else `*` with one.
pub fn accepts_gzip(req: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    for item in req
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let weight = parts
            .find_map(|p| {
                let p = p.trim();
                p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
            })
            .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(weight > 0.0);
        } else if coding == "*" {
            any = Some(weight > 0.0);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Whether the client asks for JSON-LD (`Accept: application/ld+json`).
pub fn wants_json_ld(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let mut parts = t.split(';');
            let media = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            media.eq_ignore_ascii_case(JSON_LD) && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_in_lists() {
        let etag = etag_of(b"{}");
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", {}", etag.trim_start_matches("W/"))).unwrap(),
        );
        assert!(matches_etag(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!matches_etag(&h, &etag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_etag(&h, &etag));
    }

    #[test]
    fn gzip_is_accepted_unless_weighted_zero() {
        let accepts = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(!accepts_gzip(&HeaderMap::new()));
        assert!(accepts("gzip"));
        assert!(accepts("br, GZIP;q=0.5"));
        assert!(accepts("deflate, *"));
        assert!(accepts("x-gzip"));
        assert!(!accepts("br, deflate"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("gzip; q=0.000, *"));
        assert!(!accepts("*;q=0"));
        assert!(!accepts("identity"));
    }

    #[test]
    fn json_ld_is_negotiated_by_accept() {
        let mut h = HeaderMap::new();
        assert!(!wants_json_ld(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/ld+json;q=0.9, application/json"),
        );
        assert!(wants_json_ld(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/ld+json; q=0"),
        );
        assert!(!wants_json_ld(&h));
    }
}
