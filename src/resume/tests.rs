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

#[test]
fn sendable_ids_are_header_values_of_at_most_max_id_len_bytes() {
    assert!(sendable(b""));
    assert!(sendable(b"42"));
    assert!(sendable(b"tab\there, space, UTF-8 \xc3\xa9, and ~"));
    assert!(sendable(b"\xff invalid UTF-8 is sent as U+FFFD"));
    assert!(sendable(&[b'x'; MAX_ID_LEN]));
    assert!(!sendable(&[b'x'; MAX_ID_LEN + 1]));
    // Invalid UTF-8 is sent (and saved) as U+FFFD, three bytes a byte:
    // the limit holds for what is sent, not for what arrived.
    assert!(sendable(&[0xff; MAX_ID_LEN / 3]));
    assert!(!sendable(&[0xff; MAX_ID_LEN / 3 + 1]));
    assert_eq!(
        unsendable(&[0xff; 3000]).as_deref(),
        Some("9000 bytes as sent, over 4096")
    );
    assert!(sendable(&"é".repeat(MAX_ID_LEN / 2).into_bytes()));
    for bad in [&b"a\x01b"[..], b"\x1f", b"del\x7f", b"cr\rlf", b"nul\x00"] {
        assert!(!sendable(bad), "{bad:?}");
        assert!(unsendable(bad).is_some(), "{bad:?}");
    }
    assert_eq!(
        unsendable(b"a\x01b").as_deref(),
        Some("control byte 0x01 at offset 1")
    );
    assert_eq!(
        unsendable(&[b'x'; MAX_ID_LEN + 1]).as_deref(),
        Some("4097 bytes, over 4096")
    );
    assert_eq!(unsendable(b"fine"), None);
}

#[test]
fn show_id_escapes_and_shortens() {
    assert_eq!(show_id(b"a\x01b"), "\"a\\u{1}b\"");
    let long = show_id(&[b'x'; 100]);
    assert!(long.ends_with('…') && long.len() < 50, "{long}");
}

#[test]
fn an_unsendable_id_is_never_the_resume_point() {
    let mut l = Ledger::new("0");
    assert!(!l.note(1, b"1"));
    assert!(l.note(2, b"a\x01b"), "the change is reported");
    assert!(!l.note(2, b"a\x01b"), "once per change, not per chunk");
    l.advance(2);
    assert_eq!(
        l.safe_id(),
        "1",
        "the last sendable ID: event 2 may come again"
    );
    assert_eq!(l.usable_id(), "1");
    assert!(!l.note(3, b"3"));
    assert_eq!(l.usable_id(), "3", "usable before it is delivered");
    assert_eq!(l.safe_id(), "1");
    l.advance(3);
    assert_eq!(l.safe_id(), "3");
}

#[test]
fn an_over_long_id_is_passed_over_too() {
    let mut l = Ledger::new("");
    l.note(1, b"1");
    assert!(l.note(2, &vec![b'x'; 1 << 20]));
    l.advance(5);
    assert_eq!(l.safe_id(), "1");
    assert_eq!(l.usable_id(), "1");
}

proptest! {
    /// With unsendable IDs among the notes, the safe ID is the newest
    /// sendable note whose events are all delivered, and the usable ID the
    /// newest sendable note: never an unsendable one.
    #[test]
    fn unsendable_ids_are_passed_over(
        steps in proptest::collection::vec((0u64..3, 0u8..6, any::<bool>(), 0u64..12), 1..60)
    ) {
        let mut l = Ledger::new("s");
        let mut handed = 0u64;
        let mut notes: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut reported = 0u64;
        for (more, id, report, upto) in steps {
            handed += more;
            let id = match id {
                4 => b"bad\x01".to_vec(),
                5 => vec![b'L'; MAX_ID_LEN + 1],
                n => format!("i{n}").into_bytes(),
            };
            l.note(handed, &id);
            notes.push((handed, id));
            if report {
                let r = upto.min(handed);
                l.advance(r);
                reported = reported.max(r);
            }
            let good = |id: &Vec<u8>| sendable(id);
            let safe = notes
                .iter()
                .rev()
                .filter(|(_, id)| good(id))
                .find(|(at, _)| *at <= reported)
                .map_or(&b"s"[..], |(_, id)| id.as_slice());
            prop_assert_eq!(l.safe_id().as_bytes(), safe);
            let usable = notes
                .iter()
                .rev()
                .find(|(_, id)| good(id))
                .map_or(&b"s"[..], |(_, id)| id.as_slice());
            prop_assert_eq!(l.usable_id().as_bytes(), usable);
        }
    }
}
