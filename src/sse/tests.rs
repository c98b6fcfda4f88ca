use super::*;
use proptest::prelude::*;
use std::ops::ControlFlow::Break;

pub(super) const DEF: usize = DEFAULT_MAX_EVENT_SIZE;

/// An owned mirror of [`Item`], so items can outlive the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Own {
    Event {
        ty: Vec<u8>,
        id: Vec<u8>,
        data: Vec<u8>,
        own_id: bool,
    },
    Comment(Vec<u8>),
    Retry(u64),
    Dropped(usize),
}

impl From<Item<'_>> for Own {
    fn from(item: Item<'_>) -> Own {
        match item {
            Item::Event(e) => Own::Event {
                ty: e.event_type.to_vec(),
                id: e.id.to_vec(),
                data: e.data.to_vec(),
                own_id: e.has_own_id,
            },
            Item::Comment(c) => Own::Comment(c.to_vec()),
            Item::Retry(ms) => Own::Retry(ms),
            Item::Dropped { data, line } => Own::Dropped(data.max(line)),
        }
    }
}

/// A `message` event with no ID.
pub(super) fn ev(data: impl AsRef<[u8]>) -> Own {
    Own::Event {
        ty: Vec::new(),
        id: Vec::new(),
        data: data.as_ref().to_vec(),
        own_id: false,
    }
}

impl Own {
    fn ty(mut self, t: &str) -> Own {
        if let Own::Event { ty, .. } = &mut self {
            *ty = t.as_bytes().to_vec();
        }
        self
    }
    /// The event's ID; `own`: it came from the event's own `id` line.
    fn id(mut self, new: impl AsRef<[u8]>, own: bool) -> Own {
        if let Own::Event { id, own_id, .. } = &mut self {
            *id = new.as_ref().to_vec();
            *own_id = own;
        }
        self
    }
}

fn comment(c: impl AsRef<[u8]>) -> Own {
    Own::Comment(c.as_ref().to_vec())
}

/// Feed `chunks` to `p`, collecting the items.
pub(super) fn feed_chunks<'a>(
    p: &mut Parser,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Own> {
    let mut out = Vec::new();
    for chunk in chunks {
        let flow = p.feed(chunk, |item| {
            out.push(Own::from(item));
            Continue(())
        });
        assert_eq!(flow, Continue(()));
    }
    out
}

pub(super) fn parse_cap(input: &[u8], max: usize) -> Vec<Own> {
    feed_chunks(&mut Parser::new(max), [input])
}

fn parse(input: impl AsRef<[u8]>) -> Vec<Own> {
    parse_cap(input.as_ref(), DEF)
}

/// One "connection" per stream, with `reset()` between them (and after the
/// last one, as a closed stream gets).
fn connections(p: &mut Parser, streams: &[&[u8]]) -> Vec<Own> {
    let mut out = Vec::new();
    for s in streams {
        out.extend(feed_chunks(p, [*s]));
        p.reset();
    }
    out
}

/// A WPT `resources/message.py` body: the message, then `\n\n` unless
/// `newline=none`, then `\n`.
fn message_py(message: &[u8], newline_none: bool) -> Vec<u8> {
    let mut body = message.to_vec();
    if !newline_none {
        body.extend_from_slice(b"\n\n");
    }
    body.push(b'\n');
    body
}

// ---------------------------------------------------------------------------
// One test per rule.

#[test]
fn lines_end_in_crlf_lf_or_cr() {
    assert_eq!(parse("data: a\r\n\r\n"), [ev("a")]);
    assert_eq!(parse("data: a\n\n"), [ev("a")]);
    assert_eq!(parse("data: a\r\r"), [ev("a")]);
    assert_eq!(parse("data: a\rdata: b\ndata: c\r\n\n"), [ev("a\nb\nc")]);
    // LF CR is two line ends, so a blank line.
    assert_eq!(parse("data: a\n\rdata: b\n\n"), [ev("a"), ev("b")]);
}

#[test]
fn cr_at_chunk_end_then_lf_is_one_line_end() {
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"data: a\r"[..], b"\ndata: b\r", b"\n\r", b"\n"]);
    assert_eq!(got, [ev("a\nb")]);
    // An empty chunk in between keeps the pending CR.
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"data: a\r"[..], b"", b"\ndata: b\n\n"]);
    assert_eq!(got, [ev("a\nb")]);
}

#[test]
fn bom_is_stripped_at_stream_start() {
    assert_eq!(parse("\u{feff}data: a\n\n"), [ev("a")]);
}

#[test]
fn bom_split_across_chunks_is_stripped() {
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"\xEF"[..], b"", b"\xBB", b"\xBFdata: a\n\n"]);
    assert_eq!(got, [ev("a")]);
}

#[test]
fn partial_bom_prefix_is_data() {
    // "\xEF\xBBdata" is an unknown field name, so no event.
    assert_eq!(parse(b"\xEF\xBBdata: a\n\ndata: b\n\n"), [ev("b")]);
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"\xEF"[..], b"\xBB", b":x\n:y\n"]);
    assert_eq!(got, [comment("y")]);
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"\xEF\xBB"[..], b"\n\xEFdata: a\n\n"]);
    assert_eq!(got, []);
}

#[test]
fn only_one_bom_is_stripped() {
    assert_eq!(parse("\u{feff}\u{feff}data: a\n\ndata: b\n\n"), [ev("b")]);
    assert_eq!(parse("data: a\n\n\u{feff}data: b\n\n"), [ev("a")]);
}

#[test]
fn invalid_utf8_is_passed_through() {
    assert_eq!(
        parse(b"event: \xFF\xFE\ndata: \xC3\x28\xED\xA0\x80\n\n"),
        [Own::Event {
            ty: b"\xFF\xFE".to_vec(),
            id: vec![],
            data: b"\xC3\x28\xED\xA0\x80".to_vec(),
            own_id: false,
        }]
    );
}

#[test]
fn field_and_value_split_at_first_colon() {
    assert_eq!(parse("data:a:b: c\n\n"), [ev("a:b: c")]);
    assert_eq!(parse("data::\n\n"), [ev(":")]);
}

#[test]
fn one_leading_space_is_stripped_not_a_tab() {
    assert_eq!(parse("data:  a\n\n"), [ev(" a")]);
    assert_eq!(parse("data:\ta\n\n"), [ev("\ta")]);
    assert_eq!(parse("data: \n\n"), [ev("")]);
    assert_eq!(parse("event:  x\ndata\n\n"), [ev("").ty(" x")]);
}

#[test]
fn line_starting_with_colon_is_a_comment() {
    assert_eq!(
        parse(": hello\n:world\n:  two\n:\n: \n"),
        [
            comment("hello"),
            comment("world"),
            comment(" two"),
            comment(""),
            comment("")
        ]
    );
    // A comment does not touch the pending event.
    assert_eq!(
        parse("data: a\n: c\ndata: b\n\n"),
        [comment("c"), ev("a\nb")]
    );
}

#[test]
fn line_without_colon_is_field_with_empty_value() {
    assert_eq!(parse("data\n\n"), [ev("")]);
    assert_eq!(parse("data\ndata\n\n"), [ev("\n")]);
    assert_eq!(
        parse("id: 1\ndata: a\n\nid\ndata: b\n\n")[1],
        ev("b").id("", true)
    );
    assert_eq!(parse("event: x\nevent\ndata: a\n\n"), [ev("a")]);
}

#[test]
fn data_appends_value_and_lf() {
    assert_eq!(
        parse("data: a\ndata: b\ndata:\ndata: c\n\n"),
        [ev("a\nb\n\nc")]
    );
}

#[test]
fn event_sets_event_type() {
    let got = parse("event: add\nevent: update\ndata: a\n\n");
    assert_eq!(got, [ev("a").ty("update")]);
    let Own::Event { ty, .. } = &got[0] else {
        panic!()
    };
    let e = Event {
        event_type: ty,
        id: b"",
        data: b"",
        has_own_id: false,
        previous_id: b"",
    };
    assert_eq!(e.kind(), b"update");
}

#[test]
fn empty_event_type_is_message() {
    let e = Event {
        event_type: b"",
        id: b"",
        data: b"",
        has_own_id: false,
        previous_id: b"",
    };
    assert_eq!(e.kind(), b"message");
    // The struct keeps the raw (empty) type.
    assert_eq!(parse("event:\ndata: a\n\n"), [ev("a")]);
}

#[test]
fn id_sets_last_event_id_buffer() {
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"id: 7\ndata: a\n\n"[..]]);
    assert_eq!(got, [ev("a").id("7", true)]);
    assert_eq!(p.last_event_id(), b"7");
}

#[test]
fn id_with_nul_is_ignored() {
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"id: 1\n\nid: a\0b\ndata: x\n\n"[..]]);
    assert_eq!(got, [ev("x").id("1", false)]);
    assert_eq!(p.last_event_id(), b"1");
    // Short IDs are checked by a loop, longer ones by memchr: a NUL
    // anywhere in either.
    for len in [1, 15, 16, 17, 40] {
        for at in [0, len / 2, len - 1] {
            let mut id = vec![b'i'; len];
            id[at] = 0;
            let input = [&b"id: "[..], &id, b"\ndata: x\n\n"].concat();
            assert_eq!(parse(&input), [ev("x")], "{len} {at}");
        }
    }
}

#[test]
fn retry_with_digits_emits_retry_at_once() {
    assert_eq!(
        parse("retry: 1500\ndata: a\nretry:0\n\n"),
        [Own::Retry(1500), Own::Retry(0), ev("a")]
    );
    assert_eq!(parse("retry: 007\n"), [Own::Retry(7)]);
}

#[test]
fn retry_not_only_digits_is_ignored() {
    for line in [
        "retry:\n",
        "retry: \n",
        "retry\n",
        "retry: 1x\n",
        "retry: -1\n",
        "retry: +1\n",
        "retry:  1\n",
        "retry: 1 \n",
        "retry: 1.5\n",
        "retry: \u{0661}\n",
    ] {
        assert_eq!(parse(line), [], "{line:?}");
    }
}

#[test]
fn retry_overflow_saturates() {
    assert_eq!(
        parse("retry: 18446744073709551615\n"),
        [Own::Retry(u64::MAX)]
    );
    assert_eq!(
        parse("retry: 99999999999999999999999999999999\n"),
        [Own::Retry(u64::MAX)]
    );
}

#[test]
fn unknown_fields_are_ignored() {
    assert_eq!(parse("foo: bar\ndata: a\nretryx: 5\nids: 1\n\n"), [ev("a")]);
}

#[test]
fn field_names_are_case_sensitive() {
    assert_eq!(
        parse("Data: a\nDATA: b\nEvent: e\nID: 1\nRetry: 5\ndata: c\n\n"),
        [ev("c")]
    );
}

#[test]
fn blank_line_sets_last_event_id_even_without_event() {
    let mut p = Parser::new(DEF);
    assert_eq!(feed_chunks(&mut p, [&b"id: 5\n\n"[..]]), []);
    assert_eq!(p.last_event_id(), b"5");
    // Not before the blank line.
    let mut p = Parser::new(DEF);
    assert_eq!(feed_chunks(&mut p, [&b"id: 5\n"[..]]), []);
    assert_eq!(p.last_event_id(), b"");
}

#[test]
fn empty_data_buffer_dispatches_nothing_and_resets_event_type() {
    assert_eq!(parse("event: x\n\ndata: a\n\n"), [ev("a")]);
    assert_eq!(parse("event: x\nid: 1\n\n\n\n"), []);
}

#[test]
fn one_trailing_lf_is_removed() {
    assert_eq!(parse("data: a\ndata:\n\n"), [ev("a\n")]);
    assert_eq!(parse("data\ndata\ndata\n\n"), [ev("\n\n")]);
}

#[test]
fn id_persists_until_changed_and_empty_id_clears_it() {
    assert_eq!(
        parse("id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid:\ndata: d\n\ndata: e\n\n"),
        [
            ev("a").id("1", true),
            ev("b").id("1", false),
            ev("c").id("2", true),
            ev("d").id("", true),
            ev("e"),
        ]
    );
}

#[test]
fn has_own_id_only_for_an_id_line_that_took_effect() {
    assert_eq!(
        parse("id: 1\n\ndata: a\n\nid: 1\ndata: b\n\nid: \0\ndata: c\n\n"),
        [
            ev("a").id("1", false),
            ev("b").id("1", true),
            ev("c").id("1", false),
        ]
    );
}

#[test]
fn set_last_event_id_seeds_the_id() {
    let mut p = Parser::new(DEF);
    p.set_last_event_id(b"42");
    assert_eq!(p.last_event_id(), b"42");
    let got = feed_chunks(&mut p, [&b"data: a\n\nid: 43\n\n"[..]]);
    assert_eq!(got, [ev("a").id("42", false)]);
    assert_eq!(p.last_event_id(), b"43");
}

#[test]
fn unterminated_event_is_discarded_at_reset() {
    let mut p = Parser::new(DEF);
    assert_eq!(
        feed_chunks(&mut p, [&b"data: a\n\ndata: b\nevent: x\n"[..]]),
        [ev("a")]
    );
    p.reset();
    assert_eq!(feed_chunks(&mut p, [&b"\ndata: c\n\n"[..]]), [ev("c")]);
}

#[test]
fn reset_discards_partial_line_and_pending_cr() {
    let mut p = Parser::new(DEF);
    assert_eq!(feed_chunks(&mut p, [&b"data: a\ndat"[..]]), []);
    p.reset();
    assert_eq!(
        feed_chunks(&mut p, [&b"a: b\n\ndata: c\n\n"[..]]),
        [ev("c")]
    );
    assert_eq!(feed_chunks(&mut p, [&b"data: d\r"[..]]), []);
    assert!(p.pending_cr);
    p.reset();
    assert!(!p.pending_cr);
    assert_eq!(feed_chunks(&mut p, [&b"\ndata: e\n\n"[..]]), [ev("e")]);
}

#[test]
fn reset_expects_a_bom_again() {
    let mut p = Parser::new(DEF);
    assert_eq!(
        feed_chunks(&mut p, [&b"\xEF\xBB\xBFdata: a\n\n"[..]]),
        [ev("a")]
    );
    p.reset();
    assert_eq!(
        feed_chunks(&mut p, [&b"\xEF\xBB\xBFdata: b\n\n"[..]]),
        [ev("b")]
    );
    // A BOM prefix held back at the end of a stream is discarded with it.
    assert_eq!(feed_chunks(&mut p, [&b"\xEF\xBB"[..]]), []);
    p.reset();
    assert_eq!(feed_chunks(&mut p, [&b"\xBFdata: c\n\n"[..]]), []);
}

#[test]
fn reset_keeps_last_event_id_and_next_buffer_starts_there() {
    let mut p = Parser::new(DEF);
    let got = feed_chunks(&mut p, [&b"id: 1\ndata: a\n\nid: 2\ndata: b\n"[..]]);
    assert_eq!(got, [ev("a").id("1", true)]);
    p.reset();
    assert_eq!(p.last_event_id(), b"1");
    let got = feed_chunks(&mut p, [&b"data: c\n\n"[..]]);
    assert_eq!(got, [ev("c").id("1", false)]);
}

#[test]
fn break_stops_at_once() {
    let mut p = Parser::new(DEF);
    let mut seen = Vec::new();
    let flow = p.feed(b"data: a\n\n: c\ndata: b\n\n", |item| {
        seen.push(Own::from(item));
        Break(())
    });
    assert_eq!(flow, Break(()));
    assert_eq!(seen, [ev("a")]);
    // Break from a partial line's item, and from a retry.
    let mut p = Parser::new(DEF);
    assert_eq!(p.feed(b": lo", |_| Break(())), Continue(()));
    assert_eq!(p.feed(b"ng\nretry: 1\n", |_| Break(())), Break(()));
}

mod caps;
pub(super) mod chunking;
mod wpt;
