use super::*;
use proptest::prelude::*;

#[test]
fn nothing_moves_before_the_sink_reports() {
    let mut l = Ledger::new("start");
    l.note(1, b"a");
    l.note(2, b"b");
    assert_eq!(l.safe_id(), "start");
    l.advance(1);
    assert_eq!(l.safe_id(), "a");
    l.advance(2);
    assert_eq!(l.safe_id(), "b");
}

#[test]
fn an_id_change_without_events_waits_for_the_events_before_it() {
    let mut l = Ledger::new("");
    l.note(3, b"x"); // three events handed, then a filtered one set the ID
    l.advance(2);
    assert_eq!(l.safe_id(), "");
    l.advance(3);
    assert_eq!(l.safe_id(), "x");
}

#[test]
fn a_failed_write_that_reports_nothing_new_does_not_advance() {
    let mut l = Ledger::new("0");
    l.note(1, b"1");
    l.advance(1);
    l.note(2, b"2");
    l.note(3, b"3");
    // The write of events 2 and 3 failed: the sink still says 1.
    l.advance(1);
    assert_eq!(l.safe_id(), "1");
}

#[test]
fn an_id_noted_after_everything_was_delivered_is_safe_at_once() {
    let mut l = Ledger::new("");
    l.note(1, b"a");
    l.advance(1);
    l.note(1, b"b"); // a filtered event changed the ID; nothing new handed
    assert_eq!(l.safe_id(), "b");
}

#[test]
fn repeated_and_empty_ids() {
    let mut l = Ledger::new("a");
    l.note(1, b"a");
    l.note(2, b"");
    l.advance(1);
    assert_eq!(l.safe_id(), "a");
    l.advance(2);
    assert_eq!(l.safe_id(), "");
    l.note(3, b"a");
    l.advance(3);
    assert_eq!(l.safe_id(), "a");
}

proptest! {
    /// Whatever the order of notes and reports, the safe ID is the ID that
    /// was current after the last note whose events are all delivered: never
    /// one noted after an event that is not.
    #[test]
    fn the_safe_id_never_names_an_undelivered_event(
        steps in proptest::collection::vec((0u64..4, 0u8..4, any::<bool>(), 0u64..12), 1..60)
    ) {
        let mut l = Ledger::new("s");
        let mut handed = 0u64;
        let mut notes: Vec<(u64, String)> = Vec::new();
        let mut reported = 0u64;
        for (more, id, report, upto) in steps {
            handed += more;
            let id = format!("i{id}");
            l.note(handed, id.as_bytes());
            notes.push((handed, id));
            if report {
                // Reports may come late and out of order; the sink never
                // reports more than it was handed.
                let r = upto.min(handed);
                l.advance(r);
                reported = reported.max(r);
            }
            let expected = notes
                .iter()
                .rev()
                .find(|(at, _)| *at <= reported)
                .map_or("s", |(_, id)| id.as_str());
            prop_assert_eq!(l.safe_id(), expected);
        }
    }
}
