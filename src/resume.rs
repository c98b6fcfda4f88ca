//! resume: the at-least-once bookkeeping behind `--state-file`. A pure
//! `Ledger` follows the last event ID through the stream and knows which
//! ID may be saved: only one whose events the sink has written (stdout) or
//! Kafka has acknowledged. A `CheckpointStore` keeps that ID across runs;
//! the state file (`file`, one run at a time by its `lock`) is the first.
//!
//! Events are numbered by the pipeline as it hands them to the sink (`seq`,
//! from 1); the sink reports the highest number up to which everything is
//! written or acknowledged. The last event ID can change without an event
//! being handed over (a filtered event, an `id:` with no data): such a
//! change is noted against the number of events handed over so far, and is
//! covered once those are delivered.

mod file;
mod lock;

pub use file::StateFile;

use anyhow::Result;
use std::collections::VecDeque;

/// Where the resume point is kept across runs.
pub trait CheckpointStore {
    /// The saved ID, if there is one.
    fn load(&mut self) -> Result<Option<String>>;
    /// Save `id`, the newest ID whose events are delivered (`delivered` of
    /// them this run): at most about once a second unless `force` (at exit).
    fn save(&mut self, id: &str, delivered: u64, force: bool) -> Result<()>;
}

/// Which last event ID is safe to save.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// (events handed over when this ID became current, the ID), oldest first.
    pending: VecDeque<(u64, String)>,
    /// The parser's last event ID as last noted (raw bytes).
    current: Vec<u8>,
    /// The newest ID all of whose events are delivered.
    safe: String,
    delivered: u64,
}

impl Ledger {
    /// Start from the ID the run resumes from (empty for none).
    pub fn new(start: &str) -> Ledger {
        Ledger {
            pending: VecDeque::new(),
            current: start.as_bytes().to_vec(),
            safe: start.to_string(),
            delivered: 0,
        }
    }

    /// The last event ID is `id` after `handed` events were handed over.
    /// Cheap when it did not change.
    pub fn note(&mut self, handed: u64, id: &[u8]) {
        if id != self.current.as_slice() {
            self.current.clear();
            self.current.extend_from_slice(id);
            let id = String::from_utf8_lossy(id).into_owned();
            match self.pending.back_mut() {
                // A newer ID at the same point replaces the older one.
                Some((at, last)) if *at == handed => *last = id,
                _ => self.pending.push_back((handed, id)),
            }
            self.advance(self.delivered);
        }
    }

    /// The sink says every event numbered up to `delivered` is written or
    /// acknowledged. A smaller number than before changes nothing.
    pub fn advance(&mut self, delivered: u64) {
        self.delivered = self.delivered.max(delivered);
        while let Some((at, _)) = self.pending.front() {
            if *at > self.delivered {
                break;
            }
            if let Some((_, id)) = self.pending.pop_front() {
                self.safe = id;
            }
        }
    }

    /// The ID to save: the newest one whose events are all delivered.
    pub fn safe_id(&self) -> &str {
        &self.safe
    }
}

#[cfg(test)]
mod tests;
