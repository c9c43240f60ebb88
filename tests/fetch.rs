//! The shared HTTP client against a mock platform on loopback: retries and back-off,
//! Retry-After, timeouts, size limits, the rate limit, compression, conditional GET and
//! per-source cookie jars. Back-off values are milliseconds so the file runs in seconds.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use coursefed::fetch::{FetchError, FetchPolicy, HttpClient, SourceFetcher, USER_AGENT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A policy with the rate limit out of the way (one request a millisecond) and tiny
/// back-off, so retries cost milliseconds.
fn quick_policy() -> FetchPolicy {
    FetchPolicy {
        requests_per_minute: NonZeroU32::new(60_000).expect("not zero"),
        timeout: Duration::from_secs(2),
        max_attempts: 3,
        max_body_bytes: 1024 * 1024,
        max_retry_wait: Duration::from_secs(120),
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

fn fetcher(policy: FetchPolicy) -> SourceFetcher {
    coursefed::install_crypto_provider();
    let client = HttpClient::new().expect("the HTTP client builds");
    SourceFetcher::new(&client, policy)
}

/// A request header as text, whole (commas included).
fn header_text<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

fn url(server: &MockServer, route: &str) -> Url {
    Url::parse(&format!("{}{route}", server.uri())).expect("mock URL")
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_before_the_next_try() {
    let server = MockServer::start().await;
    Mock::given(path("/catalogue"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/catalogue"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let fetcher = fetcher(quick_policy());

    let started = Instant::now();
    let page = fetcher
        .get(&url(&server, "/catalogue"))
        .await
        .expect("succeeds on the second try");

    assert_eq!(page.status, 200);
    assert_eq!(page.attempts, 2);
    assert_eq!(&page.body[..], b"ok");
    // The back-off here is 10–20 ms: only Retry-After explains a full second.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fetcher.retries(), 1);
}

#[tokio::test]
async fn server_error_is_retried_and_the_request_is_built_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/list"))
        .and(body_string(r#"{"page":1}"#))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/list"))
        .and(body_string(r#"{"page":1}"#))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let fetcher = fetcher(quick_policy());
    let target = url(&server, "/api/list");

    let page = fetcher
        .send(|c| c.post(target.clone()).body(r#"{"page":1}"#))
        .await
        .expect("succeeds on the second try");

    assert_eq!(page.attempts, 2);
    assert_eq!(&page.body[..], b"[]");
    assert_eq!(fetcher.retries(), 1);
}

#[tokio::test]
async fn persistent_503_fails_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let target = url(&server, "/down");

    let error = fetcher(quick_policy())
        .get(&target)
        .await
        .expect_err("every try fails");

    assert!(
        matches!(
            error,
            FetchError::Status {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains(&format!("GET {target}")), "{text}");
    assert!(text.contains("HTTP 503 after 3 attempt(s)"), "{text}");
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let fetcher = fetcher(quick_policy());

    let error = fetcher
        .get(&url(&server, "/gone"))
        .await
        .expect_err("404 is an error");

    assert!(
        matches!(
            error,
            FetchError::Status {
                status: 404,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.status(), Some(404));
    assert_eq!(fetcher.retries(), 0);
}

#[tokio::test]
async fn slow_response_times_out_after_every_try() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .expect(2)
        .mount(&server)
        .await;
    let policy = FetchPolicy {
        timeout: Duration::from_millis(200),
        max_attempts: 2,
        ..quick_policy()
    };

    let error = fetcher(policy)
        .get(&url(&server, "/slow"))
        .await
        .expect_err("never answers in time");

    assert!(
        matches!(error, FetchError::Timeout { attempts: 2, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn body_over_its_announced_length_limit_is_refused_without_retry() {
    let server = MockServer::start().await;
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 5000]))
        .expect(1)
        .mount(&server)
        .await;
    let policy = FetchPolicy {
        max_body_bytes: 1024,
        ..quick_policy()
    };

    let error = fetcher(policy)
        .get(&url(&server, "/big"))
        .await
        .expect_err("over the limit");

    assert!(
        matches!(error, FetchError::TooLarge { limit: 1024, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn gzip_body_is_limited_by_its_decompressed_size() {
    // About 200 bytes on the wire, 25,801 bytes once inflated.
    let (gz, plain) = gzip(b"a", 100);
    assert!(gz.len() < 1024 && plain.len() > 20_000);
    let server = MockServer::start().await;
    Mock::given(path("/bomb"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(gz),
        )
        .expect(1)
        .mount(&server)
        .await;
    let policy = FetchPolicy {
        max_body_bytes: 4096,
        ..quick_policy()
    };

    let error = fetcher(policy)
        .get(&url(&server, "/bomb"))
        .await
        .expect_err("inflates past the limit");

    assert!(
        matches!(error, FetchError::TooLarge { limit: 4096, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn chunked_body_without_length_is_limited_while_streaming() {
    let mut response =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..3 {
        response.extend_from_slice(b"3e8\r\n");
        response.extend_from_slice(&[b'y'; 1000]);
        response.extend_from_slice(b"\r\n");
    }
    response.extend_from_slice(b"0\r\n\r\n");
    let base = raw_server(vec![response]).await;
    let policy = FetchPolicy {
        max_body_bytes: 2500,
        ..quick_policy()
    };

    let error = fetcher(policy)
        .get(&base.join("/stream").expect("URL"))
        .await
        .expect_err("3000 bytes streamed against a 2500-byte limit");

    assert!(
        matches!(error, FetchError::TooLarge { limit: 2500, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn body_cut_short_is_retried() {
    let cut =
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly ten b".to_vec();
    let whole = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nwhole".to_vec();
    let base = raw_server(vec![cut, whole]).await;
    let fetcher = fetcher(quick_policy());

    let page = fetcher
        .get(&base.join("/page").expect("URL"))
        .await
        .expect("the second try gets the whole body");

    assert_eq!(&page.body[..], b"whole");
    assert_eq!(page.attempts, 2);
}

#[tokio::test]
async fn retry_after_beyond_the_allowed_wait_fails_at_once() {
    let server = MockServer::start().await;
    Mock::given(path("/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;

    let error = fetcher(quick_policy())
        .get(&url(&server, "/busy"))
        .await
        .expect_err("an hour is more than the 120 s allowed");

    assert!(
        matches!(
            error,
            FetchError::RetryAfterTooLong {
                status: 429,
                wait_secs: 3600,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("asked to wait 3600 s"), "{text}");
    assert!(text.contains("/busy"), "{text}");
}

#[tokio::test]
async fn rate_limit_spaces_requests_evenly_without_a_burst() {
    let server = MockServer::start().await;
    Mock::given(path("/p"))
        .respond_with(ResponseTemplate::new(200))
        .expect(6)
        .mount(&server)
        .await;
    let policy = FetchPolicy {
        requests_per_minute: NonZeroU32::new(600).expect("not zero"),
        ..quick_policy()
    };
    let fetcher = fetcher(policy);
    let target = url(&server, "/p");

    let started = Instant::now();
    for _ in 0..6 {
        fetcher.get(&target).await.expect("200");
    }

    // One request every 100 ms: the first goes at once, the other five wait their slot.
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn sources_sharing_a_limiter_share_its_pace() {
    let server = MockServer::start().await;
    Mock::given(path("/p"))
        .respond_with(ResponseTemplate::new(200))
        .expect(6)
        .mount(&server)
        .await;
    let policy = FetchPolicy {
        requests_per_minute: NonZeroU32::new(600).expect("not zero"),
        ..quick_policy()
    };
    let host_limiter = policy.rate_limiter();
    let first = fetcher(policy.clone()).with_limiter(host_limiter.clone());
    let second = fetcher(policy).with_limiter(host_limiter);
    let target = url(&server, "/p");

    let started = Instant::now();
    for _ in 0..3 {
        first.get(&target).await.expect("200");
        second.get(&target).await.expect("200");
    }

    // Each alone would be allowed three requests in 200 ms; together they take six slots.
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn gzip_body_is_decoded() {
    let json = br#"{"course":"Data Structures","lang":"zh"}"#;
    let (gz, plain) = gzip(json, 0);
    assert_eq!(plain, json);
    let server = MockServer::start().await;
    Mock::given(path("/api"))
        .and(|r: &Request| header_text(r, "accept-encoding").is_some_and(|v| v.contains("gzip")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_bytes(gz),
        )
        .expect(1)
        .mount(&server)
        .await;

    let page = fetcher(quick_policy())
        .get(&url(&server, "/api"))
        .await
        .expect("decoded");

    assert_eq!(&page.body[..], json);
}

#[tokio::test]
async fn user_agent_is_sent() {
    let server = MockServer::start().await;
    Mock::given(path("/"))
        .and(header("user-agent", USER_AGENT))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let page = fetcher(quick_policy()).get(&url(&server, "/")).await;

    assert!(page.is_ok(), "{page:?}");
}

#[tokio::test]
async fn unchanged_page_comes_back_as_304_with_an_empty_body() {
    let server = MockServer::start().await;
    let last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
    Mock::given(path("/feed.xml"))
        .and(header("if-none-match", "\"v1\""))
        // wiremock's `header` splits values at commas, and an HTTP-date has one.
        .and(move |r: &Request| header_text(r, "if-modified-since") == Some(last_modified))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"v1\""))
        .expect(1)
        .mount(&server)
        .await;

    let page = fetcher(quick_policy())
        .get_conditional(
            &url(&server, "/feed.xml"),
            Some("\"v1\""),
            Some(last_modified),
        )
        .await
        .expect("304 is not an error");

    assert_eq!(page.status, 304);
    assert!(page.not_modified());
    assert!(page.body.is_empty());
    assert_eq!(page.attempts, 1);
}

#[tokio::test]
async fn cookies_stay_with_the_source_that_received_them() {
    let server = MockServer::start().await;
    Mock::given(path("/"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("set-cookie", "csrftoken=t0k; Path=/"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/api"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    coursefed::install_crypto_provider();
    let client = HttpClient::new().expect("the HTTP client builds");
    let warmed = SourceFetcher::new(&client, quick_policy());
    let other = SourceFetcher::new(&client, quick_policy());
    let home = url(&server, "/");
    let api = url(&server, "/api");

    warmed.get(&home).await.expect("warm-up");
    warmed.get(&api).await.expect("API call with the session");
    other.get(&api).await.expect("API call of another source");

    let requests = server.received_requests().await.expect("recording is on");
    let cookies: Vec<Option<String>> = requests
        .iter()
        .map(|r| header_text(r, "cookie").map(str::to_owned))
        .collect();
    assert_eq!(
        cookies,
        vec![None, Some("csrftoken=t0k".to_owned()), None],
        "warm-up sets it, the same source sends it back, another source does not"
    );
    assert_eq!(warmed.cookie(&api, "csrftoken").as_deref(), Some("t0k"));
    assert_eq!(other.cookie(&api, "csrftoken"), None);
}

/// Serves `responses` verbatim, one per connection, then stops: for bodies wiremock
/// cannot send (chunked, cut short).
async fn raw_server(responses: Vec<Vec<u8>>) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        for response in responses {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            // Read the request head so closing the socket does not reset it unread.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = socket.write_all(&response).await;
            let _ = socket.shutdown().await;
        }
    });
    Url::parse(&format!("http://{addr}/")).expect("URL")
}

/// A gzip member holding `text` followed by `repeats` copies of 258 more bytes equal to
/// its last byte, and the plain bytes it inflates to. One fixed-Huffman DEFLATE block
/// (RFC 1951 §3.2.6): literals, then <length 258, distance 1> copies of 13 bits each,
/// which is what makes a tiny download inflate to something large.
fn gzip(text: &[u8], repeats: usize) -> (Vec<u8>, Vec<u8>) {
    let last = *text.last().expect("text is not empty");
    let mut plain = text.to_vec();
    plain.extend(std::iter::repeat_n(last, 258 * repeats));

    let mut bits = Bits::default();
    bits.push(1, 1); // BFINAL: the only block
    bits.push(1, 2); // BTYPE 01: fixed Huffman codes
    for &byte in text {
        let byte = u32::from(byte);
        if byte < 144 {
            bits.code(0x30 + byte, 8);
        } else {
            bits.code(0x190 + byte - 144, 9);
        }
    }
    for _ in 0..repeats {
        bits.code(0xC5, 8); // length code 285: 258 bytes, no extra bits
        bits.code(0, 5); // distance code 0: one byte back
    }
    bits.code(0, 7); // end of block (256)

    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend(bits.finish());
    gz.extend(crc32(&plain).to_le_bytes());
    gz.extend(u32::try_from(plain.len()).expect("small").to_le_bytes());
    (gz, plain)
}

/// DEFLATE's bit packing: fields fill each byte from its least significant bit.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    current: u8,
    filled: u32,
}

impl Bits {
    /// A number, least significant bit first.
    fn push(&mut self, value: u32, count: u32) {
        for i in 0..count {
            let bit = u8::try_from((value >> i) & 1).expect("one bit");
            self.current |= bit << self.filled;
            self.filled += 1;
            if self.filled == 8 {
                self.out.push(self.current);
                self.current = 0;
                self.filled = 0;
            }
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.push((code >> i) & 1, 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            self.out.push(self.current);
        }
        self.out
    }
}

/// CRC-32 (IEEE, reflected), as the gzip trailer carries it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn crc32_matches_the_check_value() {
    // The standard check value of CRC-32/ISO-HDLC.
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}
