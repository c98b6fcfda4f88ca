//! filter: which events go on to the sink — `-e` event types, `--grep` on
//! data, and `--dedup` of replayed IDs.

use crate::sse::Event;
use std::collections::{HashSet, VecDeque};

/// What to let through; `config` builds it from the flags.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Event types to keep (empty = all).
    pub events: Vec<Vec<u8>>,
    pub grep: Option<regex::bytes::Regex>,
    /// Remember this many own IDs to drop replays.
    pub dedup: Option<usize>,
}

pub struct Filter {
    events: Vec<Vec<u8>>,
    grep: Option<regex::bytes::Regex>,
    dedup: Option<Dedup>,
}

/// Why an event was not passed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Filtered,
    Duplicate,
}

impl Filter {
    pub fn new(cfg: &Options) -> Filter {
        Filter {
            events: cfg.events.clone(),
            grep: cfg.grep.clone(),
            dedup: cfg.dedup.map(Dedup::new),
        }
    }

    #[inline]
    pub fn check(&mut self, ev: &Event<'_>) -> Verdict {
        if !self.events.is_empty() && !self.events.iter().any(|t| t.as_slice() == ev.kind()) {
            return Verdict::Filtered;
        }
        if let Some(re) = &self.grep
            && !re.is_match(ev.data)
        {
            return Verdict::Filtered;
        }
        if let Some(d) = &mut self.dedup
            && ev.has_own_id
            && !d.first_time(ev.id)
        {
            return Verdict::Duplicate;
        }
        Verdict::Pass
    }
}

/// The last N event IDs seen (own IDs only).
struct Dedup {
    cap: usize,
    order: VecDeque<Vec<u8>>,
    seen: HashSet<Vec<u8>>,
}

impl Dedup {
    fn new(cap: usize) -> Dedup {
        Dedup {
            cap,
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// Records `id`; false when it is among the last N.
    fn first_time(&mut self, id: &[u8]) -> bool {
        if self.seen.contains(id) {
            return false;
        }
        if self.order.len() == self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.order.push_back(id.to_vec());
        self.seen.insert(id.to_vec());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(kind: &'a [u8], id: &'a [u8], data: &'a [u8], own: bool) -> Event<'a> {
        Event {
            event_type: kind,
            id,
            data,
            has_own_id: own,
        }
    }

    fn filter(events: &[&str], grep: Option<&str>, dedup: Option<usize>) -> Filter {
        Filter::new(&Options {
            events: events.iter().map(|e| e.as_bytes().to_vec()).collect(),
            grep: grep.map(|g| regex::bytes::Regex::new(g).unwrap()),
            dedup,
        })
    }

    #[test]
    fn event_types_match_with_message_as_default() {
        let mut f = filter(&["message", "edit"], None, None);
        assert_eq!(f.check(&ev(b"", b"", b"x", false)), Verdict::Pass);
        assert_eq!(f.check(&ev(b"edit", b"", b"x", false)), Verdict::Pass);
        assert_eq!(f.check(&ev(b"log", b"", b"x", false)), Verdict::Filtered);
    }

    #[test]
    fn grep_looks_at_data() {
        let mut f = filter(&[], Some("^\\{\"seq\":[0-9]*7\\}$"), None);
        assert_eq!(
            f.check(&ev(b"", b"", b"{\"seq\":17}", false)),
            Verdict::Pass
        );
        assert_eq!(
            f.check(&ev(b"", b"", b"{\"seq\":18}", false)),
            Verdict::Filtered
        );
    }

    #[test]
    fn dedup_drops_own_ids_seen_recently_but_never_inherited_ones() {
        let mut f = filter(&[], None, Some(2));
        assert_eq!(f.check(&ev(b"", b"1", b"a", true)), Verdict::Pass);
        assert_eq!(f.check(&ev(b"", b"1", b"b", false)), Verdict::Pass);
        assert_eq!(f.check(&ev(b"", b"2", b"c", true)), Verdict::Pass);
        assert_eq!(f.check(&ev(b"", b"1", b"a", true)), Verdict::Duplicate);
        assert_eq!(f.check(&ev(b"", b"3", b"d", true)), Verdict::Pass);
        // 1 has left the window of the last 2 (2, 3).
        assert_eq!(f.check(&ev(b"", b"1", b"a", true)), Verdict::Pass);
    }
}
