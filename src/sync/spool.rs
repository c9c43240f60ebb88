//! The run's spool: listings are written to a temporary file as they arrive and read back,
//! grouped by external id, only once the run has completed — so a failed run never touches
//! the catalogue and the catalogue is never held in memory.

use std::collections::hash_map::DefaultHasher;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

use url::Url;

use crate::connector::RecordSink;
use crate::domain::{ListingDraft, Rejection};

/// Where one spooled draft lives in the file.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    key: u64,
    offset: u64,
    len: u32,
}

/// Called after each fetched page.
type PageHook = Box<dyn FnMut(&Url) + Send>;

/// Receives a run's records (a [`RecordSink`]).
pub struct Spool {
    writer: BufWriter<File>,
    index: Vec<Entry>,
    written: u64,
    rejects: Vec<Rejection>,
    rejected: u64,
    progress: Option<PageHook>,
}

/// Detailed reject rows kept per run; beyond this only the count grows (a platform that
/// breaks every record should not fill the ledger with a million identical rows).
pub const MAX_STORED_REJECTS: usize = 10_000;

fn key_of(external_id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    external_id.hash(&mut h);
    h.finish()
}

impl Spool {
    /// A spool in a fresh anonymous temporary file.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            writer: BufWriter::with_capacity(1 << 20, tempfile::tempfile()?),
            index: Vec::new(),
            written: 0,
            rejects: Vec::new(),
            rejected: 0,
            progress: None,
        })
    }

    /// Calls `f` after every fetched page (progress display).
    pub fn on_page(&mut self, f: impl FnMut(&Url) + Send + 'static) {
        self.progress = Some(Box::new(f));
    }

    /// Rejected records (at most [`MAX_STORED_REJECTS`]) and how many there were in all.
    pub fn rejects(&self) -> (&[Rejection], u64) {
        (&self.rejects, self.rejected)
    }

    /// Finishes writing and returns the drafts grouped by external id (several drafts of
    /// one listing merged with [`ListingDraft::absorb`]), in no particular order.
    pub fn into_grouped(mut self) -> std::io::Result<Grouped> {
        self.writer.flush()?;
        let file = self.writer.into_inner().map_err(|e| e.into_error())?;
        self.index.sort_unstable();
        Ok(Grouped {
            file,
            index: self.index,
            pos: 0,
            buf: Vec::new(),
        })
    }
}

impl RecordSink for Spool {
    fn listing(&mut self, draft: ListingDraft) -> Result<(), String> {
        let bytes = serde_json::to_vec(&draft).map_err(|e| e.to_string())?;
        let len = u32::try_from(bytes.len()).map_err(|_| "listing larger than 4 GiB".to_owned())?;
        self.writer
            .write_all(&bytes)
            .map_err(|e| format!("spool write failed: {e}"))?;
        self.index.push(Entry {
            key: key_of(&draft.external_id),
            offset: self.written,
            len,
        });
        self.written += u64::from(len);
        Ok(())
    }

    fn reject(&mut self, rejection: Rejection) {
        self.rejected += 1;
        if self.rejects.len() < MAX_STORED_REJECTS {
            self.rejects.push(rejection);
        }
    }

    fn page_fetched(&mut self, url: &Url) {
        if let Some(f) = self.progress.as_mut() {
            f(url);
        }
    }
}

/// The spooled drafts, one merged draft per external id.
pub struct Grouped {
    file: File,
    index: Vec<Entry>,
    pos: usize,
    buf: Vec<u8>,
}

impl Grouped {
    /// How many listings (distinct external ids) the run saw; a hash collision between
    /// two ids, vanishingly rare, counts them once.
    pub fn listings(&self) -> u64 {
        let mut n = 0u64;
        let mut last = None;
        for e in &self.index[self.pos..] {
            if last != Some(e.key) {
                n += 1;
                last = Some(e.key);
            }
        }
        n
    }

    fn read(&mut self, e: Entry) -> Result<ListingDraft, String> {
        self.buf.resize(e.len as usize, 0);
        self.file
            .read_exact_at(&mut self.buf, e.offset)
            .map_err(|err| format!("spool read failed: {err}"))?;
        serde_json::from_slice(&self.buf).map_err(|err| format!("spool record unreadable: {err}"))
    }
}

impl Iterator for Grouped {
    type Item = Result<ListingDraft, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let first = *self.index.get(self.pos)?;
        let end = self.index[self.pos..]
            .iter()
            .position(|e| e.key != first.key)
            .map_or(self.index.len(), |n| self.pos + n);
        let group: Vec<Entry> = self.index[self.pos..end].to_vec();
        // Entries of one hash key, in spool order; a hash collision between two external
        // ids leaves the second id's entries in place for the next call.
        let mut merged: Option<ListingDraft> = None;
        let mut rest: Vec<Entry> = Vec::new();
        for e in group {
            let draft = match self.read(e) {
                Ok(d) => d,
                Err(err) => return Some(Err(err)),
            };
            match merged.as_mut() {
                None => merged = Some(draft),
                Some(m) if m.external_id == draft.external_id => m.absorb(draft),
                Some(_) => rest.push(e),
            }
        }
        if rest.is_empty() {
            self.pos = end;
        } else {
            let n = rest.len();
            self.index[end - n..end].copy_from_slice(&rest);
            self.pos = end - n;
        }
        merged.map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RunDraft;

    fn draft(id: &str, run: &str) -> ListingDraft {
        ListingDraft {
            external_id: id.into(),
            title: format!("Course {id}"),
            runs: vec![RunDraft {
                external_run_id: run.into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn drafts_of_one_listing_across_pages_are_merged() {
        let mut spool = Spool::new().unwrap();
        spool.listing(draft("a", "a1")).unwrap();
        spool.listing(draft("b", "b1")).unwrap();
        spool.listing(draft("a", "a2")).unwrap();
        let mut out: Vec<ListingDraft> = spool
            .into_grouped()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.sort_by(|x, y| x.external_id.cmp(&y.external_id));
        assert_eq!(out.len(), 2);
        let runs: Vec<&str> = out[0]
            .runs
            .iter()
            .map(|r| r.external_run_id.as_str())
            .collect();
        assert_eq!(runs, ["a1", "a2"]);
        assert_eq!(out[1].runs.len(), 1);
    }

    #[test]
    fn rejects_beyond_the_cap_are_counted_not_kept() {
        let mut spool = Spool::new().unwrap();
        for _ in 0..MAX_STORED_REJECTS + 5 {
            spool.reject(Rejection {
                external_id: None,
                field: "id".into(),
                reason: "bad".into(),
            });
        }
        let (kept, all) = spool.rejects();
        assert_eq!(kept.len(), MAX_STORED_REJECTS);
        assert_eq!(all, MAX_STORED_REJECTS as u64 + 5);
    }
}
