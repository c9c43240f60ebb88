//! Shared test helpers: reading `fixtures/`, comparing with golden files, and a sink that
//! keeps what a connector emits. Include with `#[path = "common/fixtures.rs"] mod fixtures;`.
#![allow(dead_code)]

use std::path::PathBuf;

use coursefed::connector::RecordSink;
use coursefed::domain::{ListingDraft, Rejection};

/// The path of a fixture file, relative to `fixtures/`.
pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The bytes of a fixture file; panics (failing the test) when it is missing.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = fixture_path(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// A fixture as text.
pub fn fixture_text(rel: &str) -> String {
    String::from_utf8(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel} is not UTF-8: {e}"))
}

/// Compares `actual` with `<case>.expected.json` beside the fixture `case` (given without
/// extension, relative to `fixtures/`). With `UPDATE_GOLDEN=1` the expected file is
/// rewritten instead: review the diff before committing it.
pub fn assert_golden(case: &str, actual: &serde_json::Value) {
    let path = fixture_path(&format!("{case}.expected.json"));
    let rendered = serde_json::to_string_pretty(actual).expect("a JSON value serialises") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, &rendered)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); run with UPDATE_GOLDEN=1 to create it, then review it",
            path.display()
        )
    });
    let expected: serde_json::Value = serde_json::from_str(&expected)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    pretty_assertions::assert_eq!(&expected, actual, "golden file {}", path.display());
}

/// A [`RecordSink`] that keeps everything in memory.
#[derive(Debug, Default)]
pub struct VecSink {
    pub listings: Vec<ListingDraft>,
    pub rejections: Vec<Rejection>,
    pub pages: Vec<String>,
}

impl RecordSink for VecSink {
    fn listing(&mut self, draft: ListingDraft) -> Result<(), String> {
        self.listings.push(draft);
        Ok(())
    }

    fn reject(&mut self, rejection: Rejection) {
        self.rejections.push(rejection);
    }

    fn page_fetched(&mut self, url: &url::Url) {
        self.pages.push(url.to_string());
    }
}

impl VecSink {
    /// The listings merged by external id, as the sync merges them, in first-seen order.
    pub fn merged(&self) -> Vec<ListingDraft> {
        let mut out: Vec<ListingDraft> = Vec::new();
        for d in &self.listings {
            match out.iter_mut().find(|o| o.external_id == d.external_id) {
                Some(o) => o.absorb(d.clone()),
                None => out.push(d.clone()),
            }
        }
        out
    }
}
