//! filter: which events go on to the sink — `-e` event types, `--grep` on
//! data, and `--dedup` of replayed IDs. While `-e` has let no event
//! through it also counts the types it removed, so that a type the stream
//! never sends (`-e edit` on a stream of `message` events) is said once
//! instead of a silent run with no output.

use crate::sse::Event;
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;
use std::time::Duration;

/// `-e` has removed every event: say so once at least this long after the
/// start and this many events, or at the end of a run that saw any.
const NOTICE_AFTER: Duration = Duration::from_secs(5);
const NOTICE_EVENTS: u64 = 20;

/// At most this many types are named in the notice (the rest are
/// counted as others).
const NOTICE_TYPES: usize = 8;

/// A type is named by its first this many bytes and `…` (a server's type
/// may be as long as an event).
const TYPE_SHOWN: usize = 64;
const CUT: &[u8] = "…".as_bytes();

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
    /// The types `-e` removed, while it has let none through and has not
    /// said so yet.
    removed: Option<Removed>,
}

/// Event types `-e` removed, with counts, in order of appearance.
#[derive(Default)]
struct Removed {
    types: Vec<(Vec<u8>, u64)>,
    others: u64,
    total: u64,
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
            removed: (!cfg.events.is_empty()).then(Removed::default),
        }
    }

    #[inline]
    pub fn check(&mut self, ev: &Event<'_>) -> Verdict {
        if !self.events.is_empty() {
            if !self.events.iter().any(|t| t.as_slice() == ev.kind()) {
                if let Some(r) = &mut self.removed {
                    r.note(ev.kind());
                }
                return Verdict::Filtered;
            }
            if self.removed.is_some() {
                self.removed = None;
            }
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

impl Filter {
    /// When `-e` has removed every event so far — for `NOTICE_AFTER` and
    /// `NOTICE_EVENTS`, or at the run's `end` — the line that says so with
    /// the types seen, once: "-e: no 'edit' or 'new' events yet; seen:
    /// message (60)".
    pub fn type_notice(&mut self, elapsed: Duration, end: bool) -> Option<String> {
        let r = self.removed.as_ref()?;
        let due = if end {
            r.total > 0
        } else {
            r.total >= NOTICE_EVENTS && elapsed >= NOTICE_AFTER
        };
        if !due {
            return None;
        }
        let r = self.removed.take()?;
        let wanted: Vec<String> = self
            .events
            .iter()
            .map(|t| format!("'{}'", String::from_utf8_lossy(t)))
            .collect();
        let wanted = match wanted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => wanted.join(""),
        };
        let mut seen = r.types;
        seen.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let mut list: Vec<String> = seen
            .iter()
            .map(|(t, n)| format!("{} ({n})", String::from_utf8_lossy(t)))
            .collect();
        if r.others > 0 {
            list.push(format!("others ({})", r.others));
        }
        let yet = if end { "" } else { " yet" };
        Some(format!(
            "-e: no {wanted} events{yet}; seen: {}",
            list.join(", ")
        ))
    }
}

impl Removed {
    fn note(&mut self, kind: &[u8]) {
        self.total = self.total.saturating_add(1);
        if let Some((_, n)) = self.types.iter_mut().find(|(t, _)| names(t, kind)) {
            *n = n.saturating_add(1);
        } else if self.types.len() < NOTICE_TYPES {
            let name = match kind.get(..TYPE_SHOWN) {
                Some(head) if kind.len() > TYPE_SHOWN => [head, CUT].concat(),
                _ => kind.to_vec(),
            };
            self.types.push((name, 1));
        } else {
            self.others = self.others.saturating_add(1);
        }
    }
}

/// Whether `name` (as `note` keeps it) names the type `kind`.
fn names(name: &[u8], kind: &[u8]) -> bool {
    match kind.get(..TYPE_SHOWN) {
        Some(head) if kind.len() > TYPE_SHOWN => name.strip_suffix(CUT) == Some(head),
        _ => name == kind,
    }
}

/// The most memory `--dedup`'s IDs take: a server that sends long IDs
/// (each may be as long as an event), or a large N of short ones, gets its
/// oldest ones forgotten first rather than N of them kept. Half a million
/// 36-byte UUIDs fit.
const DEDUP_BYTES: usize = 64 << 20;

/// What keeping one ID costs besides its bytes: the `Rc`'s counts and the
/// allocator's rounding (about 32 bytes), its slot in the set (16 bytes
/// and a control byte, at most 7/8 full, and up to twice that while the
/// table has room to grow) and in the queue (16, up to 32). Measured:
/// about 92 bytes an ID for 16 million 4-byte IDs.
const ID_COST: usize = 104;

/// The last N event IDs seen (own IDs only), in at most `DEDUP_BYTES`
/// (`bytes` counts `ID_COST` for each); each kept once, shared by the
/// order and the set.
struct Dedup {
    cap: usize,
    bytes: usize,
    order: VecDeque<Rc<[u8]>>,
    seen: HashSet<Rc<[u8]>>,
}

impl Dedup {
    fn new(cap: usize) -> Dedup {
        Dedup {
            cap,
            bytes: 0,
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// Records `id`; false when it is among the last N.
    fn first_time(&mut self, id: &[u8]) -> bool {
        if self.seen.contains(id) {
            return false;
        }
        let cost = id.len().saturating_add(ID_COST);
        if cost > DEDUP_BYTES {
            return true;
        }
        while self.order.len() >= self.cap || self.bytes + cost > DEDUP_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            self.bytes -= old.len() + ID_COST;
            self.seen.remove(&old);
        }
        let id: Rc<[u8]> = Rc::from(id);
        self.bytes += cost;
        self.order.push_back(Rc::clone(&id));
        self.seen.insert(id);
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
            previous_id: b"",
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

    #[test]
    fn dedup_keeps_at_most_its_bytes_of_ids_forgetting_the_oldest() {
        let long = |c: u8| vec![c; DEDUP_BYTES / 2 - ID_COST];
        let mut d = Dedup::new(1000);
        assert!(d.first_time(&long(b'a')));
        assert!(d.first_time(&long(b'b')));
        assert!(!d.first_time(&long(b'a')), "both fit");
        assert!(d.first_time(&long(b'c')), "a third does not: a goes");
        assert!(d.bytes <= DEDUP_BYTES && d.order.len() == 2);
        assert!(!d.first_time(&long(b'b')) && !d.first_time(&long(b'c')));
        assert!(d.first_time(&long(b'a')));
        // An ID longer than the budget is never kept (nor is any other
        // forgotten for it).
        let huge = vec![b'h'; DEDUP_BYTES + 1 - ID_COST];
        assert!(d.first_time(&huge) && d.first_time(&huge));
        assert_eq!(d.order.len(), 2);
        assert_eq!(d.seen.len(), d.order.len());
    }

    #[test]
    fn dedup_counts_what_each_id_costs_besides_its_bytes() {
        let mut d = Dedup::new(usize::MAX);
        let fit = DEDUP_BYTES / (4 + ID_COST);
        for n in 0..fit as u32 + 10 {
            assert!(d.first_time(&n.to_le_bytes()));
        }
        assert_eq!(d.order.len(), fit, "short IDs are not free");
        assert_eq!(d.seen.len(), fit);
        assert!(d.first_time(&0u32.to_le_bytes()), "the oldest went first");
        assert!(!d.first_time(&(fit as u32 + 9).to_le_bytes()));
    }

    #[test]
    fn a_type_never_seen_is_said_once_after_a_while() {
        let mut f = filter(&["edit", "new"], None, None);
        for i in 0..60 {
            let kind: &[u8] = if i % 20 == 0 { b"log" } else { b"" };
            assert_eq!(f.check(&ev(kind, b"", b"x", false)), Verdict::Filtered);
        }
        let soon = Duration::from_secs(1);
        assert_eq!(f.type_notice(soon, false), None, "too early");
        let later = NOTICE_AFTER;
        assert_eq!(
            f.type_notice(later, false).as_deref(),
            Some("-e: no 'edit' or 'new' events yet; seen: message (57), log (3)")
        );
        assert_eq!(f.type_notice(later, false), None, "once");
        assert_eq!(f.type_notice(later, true), None, "once, also at the end");
    }

    #[test]
    fn long_types_are_kept_and_named_by_their_first_bytes() {
        let mut f = filter(&["edit"], None, None);
        let long = |c: u8, n: usize| vec![c; n];
        for _ in 0..3 {
            f.check(&ev(&long(b'a', 1 << 20), b"", b"x", false));
        }
        f.check(&ev(&long(b'a', TYPE_SHOWN), b"", b"x", false));
        let kept: usize = f
            .removed
            .as_ref()
            .map_or(0, |r| r.types.iter().map(|(t, _)| t.len()).sum());
        assert!(kept <= 2 * (TYPE_SHOWN + CUT.len()), "{kept}");
        let notice = f.type_notice(Duration::ZERO, true).expect("notice");
        let a = "a".repeat(TYPE_SHOWN);
        assert_eq!(
            notice,
            format!("-e: no 'edit' events; seen: {a}… (3), {a} (1)")
        );
    }

    #[test]
    fn no_notice_once_a_type_matched_or_before_enough_events() {
        let mut f = filter(&["edit"], None, None);
        f.check(&ev(b"", b"", b"x", false));
        assert_eq!(f.type_notice(NOTICE_AFTER, false), None, "one event");
        assert_eq!(
            f.type_notice(Duration::ZERO, true).as_deref(),
            Some("-e: no 'edit' events; seen: message (1)"),
            "at the end, any number"
        );
        let mut f = filter(&["edit"], None, None);
        f.check(&ev(b"edit", b"", b"x", false));
        for _ in 0..100 {
            f.check(&ev(b"", b"", b"x", false));
        }
        assert_eq!(f.type_notice(NOTICE_AFTER, true), None);
        // Without -e nothing is counted.
        let mut f = filter(&[], Some("nothing"), None);
        for _ in 0..100 {
            f.check(&ev(b"", b"", b"x", false));
        }
        assert_eq!(f.type_notice(NOTICE_AFTER, true), None);
    }

    #[test]
    fn many_types_are_cut_short() {
        let mut f = filter(&["a", "b", "c"], None, None);
        for i in 0..(NOTICE_TYPES + 2) {
            f.check(&ev(format!("t{i}").as_bytes(), b"", b"x", false));
        }
        let note = f.type_notice(Duration::ZERO, true).unwrap_or_default();
        assert!(
            note.starts_with("-e: no 'a', 'b' or 'c' events; seen: t0 (1), "),
            "{note}"
        );
        assert!(note.ends_with(", others (2)"), "{note}");
    }
}
