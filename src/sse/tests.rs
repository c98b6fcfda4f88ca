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
            Item::Dropped { size } => Own::Dropped(size),
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

#[test]
fn oversized_event_is_dropped_with_its_size() {
    // "abcd\n" + "efgh\n" = 10 bytes > 8.
    assert_eq!(
        parse_cap(b"data: abcd\ndata: efgh\ndata: ij\n\ndata: ok\n\n", 8),
        [Own::Dropped(13), ev("ok")]
    );
    // Exactly the cap is fine: "abcdefg\n" is 8 bytes.
    assert_eq!(parse_cap(b"data: abcdefg\n\n", 8), [ev("abcdefg")]);
    assert_eq!(parse_cap(b"data: abcdefgh\n\n", 8), [Own::Dropped(9)]);
    // The same without the space, and with CRLF (one-line events take a
    // shorter way through the parser).
    assert_eq!(parse_cap(b"data:abcdefg\n\n", 8), [ev("abcdefg")]);
    assert_eq!(parse_cap(b"data:abcdefgh\n\n", 8), [Own::Dropped(9)]);
    assert_eq!(parse_cap(b"data:abcdefg\r\n\r\n", 8), [ev("abcdefg")]);
    assert_eq!(parse_cap(b"data:abcdefgh\r\n\r\n", 8), [Own::Dropped(9)]);
    assert_eq!(parse_cap(b"data:\n\n", 1), [ev("")]);
    assert_eq!(parse_cap(b"data\n\n", 0), [Own::Dropped(1)]);
}

#[test]
fn oversized_event_still_applies_id_rules() {
    let mut p = Parser::new(4);
    let got = feed_chunks(&mut p, [&b"id: 9\ndata: 123456\n\ndata: a\n\n"[..]]);
    assert_eq!(got, [Own::Dropped(7), ev("a").id("9", false)]);
    assert_eq!(p.last_event_id(), b"9");
}

#[test]
fn overlong_id_or_event_marks_event_oversized_and_is_not_applied() {
    let mut p = Parser::new(4);
    let got = feed_chunks(
        &mut p,
        [&b"id: 1\n\nid: 12345\ndata: a\n\nevent: abcdef\ndata: b\n\nevent: abcd\ndata: c\n\n"[..]],
    );
    assert_eq!(
        got,
        [
            Own::Dropped(5),
            Own::Dropped(6),
            ev("c").ty("abcd").id("1", false)
        ]
    );
    assert_eq!(p.last_event_id(), b"1");
    // An over-long id with a NUL is just ignored.
    assert_eq!(parse_cap(b"id: 12\x0045\ndata: a\n\n", 4), [ev("a")]);
}

#[test]
fn overlong_field_name_is_an_unknown_field() {
    let name = "d".repeat(100);
    assert_eq!(
        parse_cap(format!("{name}: x\ndata: a\n\n").as_bytes(), 4),
        [ev("a")]
    );
    let mut p = Parser::new(4);
    let got = feed_chunks(
        &mut p,
        [name.as_bytes(), b"ata: x\n", b"datadata", b": y\n\n"],
    );
    assert_eq!(got, []);
}

#[test]
fn overlong_comment_is_dropped_silently() {
    assert_eq!(parse_cap(b": 12345\n: 1234\n", 4), [comment("1234")]);
    let mut p = Parser::new(4);
    let got = feed_chunks(&mut p, [&b": 12"[..], b"345\n: 12", b"34\n"]);
    assert_eq!(got, [comment("1234")]);
}

#[test]
fn data_buffer_never_grows_past_the_cap() {
    let mut p = Parser::new(1000);
    let line = b"data: 0123456789abcdefghijklmnopqrstuvwxyz\n";
    for _ in 0..1000 / 37 {
        feed_chunks(&mut p, line.chunks(3));
    }
    assert_eq!(p.data.len(), 999);
    assert!(p.data.capacity() <= 1000);
    assert_eq!(feed_chunks(&mut p, [&b"\n"[..]]).len(), 1);
}

/// A line that never ends, hundreds of cap sizes long: memory stays bounded.
#[test]
fn endless_line_keeps_memory_bounded() {
    const CAP: usize = 64 << 10;
    let block = vec![b'x'; 64 << 10];
    for (head, end) in [
        (&b"data: "[..], Own::Dropped(128 * (64 << 10) + 1)),
        (b"id: ", Own::Dropped(128 * (64 << 10))),
        (b"event: ", Own::Dropped(128 * (64 << 10))),
        (b": ", Own::Dropped(0)),
        (b"retry: ", Own::Dropped(0)),
        (b"", Own::Dropped(0)),
    ] {
        let mut p = Parser::new(CAP);
        let mut items = feed_chunks(&mut p, [head]);
        for _ in 0..128 {
            items.extend(feed_chunks(&mut p, [&block[..]]));
            assert!(p.data.capacity() <= CAP && p.val.capacity() <= CAP);
        }
        items.extend(feed_chunks(&mut p, [&b"\n"[..]]));
        assert!(p.val.capacity() <= 64 << 10);
        items.extend(feed_chunks(&mut p, [&b"\n"[..]]));
        if end == Own::Dropped(0) {
            assert_eq!(items, [], "{head:?}");
        } else {
            assert_eq!(items, [end], "{head:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// web-platform-tests eventsource/format-*, ported: each asserts the event
// sequence the WPT case checks. `message_py` builds the body its server script
// sends; a closed stream is a `reset()`, after which EventSource reconnects.

#[test]
fn format_bom() {
    let body = message_py(b"\xEF\xBB\xBFdata:1\n\n\xEF\xBB\xBFdata:2\n\ndata:3", false);
    assert_eq!(parse(body), [ev("1"), ev("3")]);
}

#[test]
fn format_bom_2() {
    let body = message_py(b"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\n\ndata:2\n\ndata:3", false);
    assert_eq!(parse(body), [ev("2"), ev("3")]);
}

#[test]
fn format_comments() {
    let long = "x".repeat(2 * 1024);
    let message =
        format!("data:1\r:\0\n:\r\ndata:2\n:{long}\rdata:3\n:data:fail\r:{long}\ndata:4\n");
    assert_eq!(
        parse(message_py(message.as_bytes(), true)),
        [
            comment("\0"),
            comment(""),
            comment(&long),
            comment("data:fail"),
            comment(&long),
            ev("1\n2\n3\n4"),
        ]
    );
}

#[test]
fn format_data_before_final_empty_line() {
    let body = message_py(b"retry:1000\ndata:test1\n\nid:test\ndata:test2", true);
    let mut p = Parser::new(DEF);
    let got = connections(&mut p, &[&body, &body]);
    let first = [Own::Retry(1000), ev("test1")];
    assert_eq!(got, [&first[..], &first[..]].concat());
    assert_eq!(p.last_event_id(), b"");
}

#[test]
fn format_field_data() {
    let body = message_py(b"data:\n\ndata\ndata\n\ndata:test", false);
    assert_eq!(parse(body), [ev(""), ev("\n"), ev("test")]);
}

#[test]
fn format_field_event() {
    let body = message_py(b"event:test\ndata:x\n\ndata:x", false);
    assert_eq!(parse(body), [ev("x").ty("test"), ev("x")]);
}

#[test]
fn format_field_event_empty() {
    let got = parse(message_py(b"event: \ndata:data", false));
    assert_eq!(got, [ev("data")]);
}

/// `resources/last-event-id.py`: without a Last-Event-ID header it sends an
/// id (default "…"), a retry and "hello"; with one, it echoes it as data.
fn last_event_id_py(last_event_id: &[u8], idvalue: &[u8]) -> Vec<u8> {
    if last_event_id.is_empty() {
        [b"id: ", idvalue, b"\nretry: 200\ndata: hello\n\n"].concat()
    } else {
        [b"data: ", last_event_id, b"\n\n"].concat()
    }
}

/// `n` connections to last-event-id.py, each sending the parser's last event ID.
fn last_event_id_connections(idvalue: &[u8], n: usize) -> Vec<Own> {
    let mut p = Parser::new(DEF);
    let mut out = Vec::new();
    for _ in 0..n {
        let body = last_event_id_py(p.last_event_id(), idvalue);
        out.extend(connections(&mut p, &[&body]));
    }
    out
}

#[test]
fn format_field_id() {
    assert_eq!(
        last_event_id_connections("…".as_bytes(), 2),
        [
            Own::Retry(200),
            ev("hello").id("…", true),
            ev("…").id("…", false),
        ]
    );
}

#[test]
fn format_field_id_2() {
    assert_eq!(
        last_event_id_connections("…".as_bytes(), 3),
        [
            Own::Retry(200),
            ev("hello").id("…", true),
            ev("…").id("…", false),
            ev("…").id("…", false),
        ]
    );
}

#[test]
fn format_field_id_3() {
    // resources/last-event-id2.py: persists, resets, resets (id without colon).
    assert_eq!(
        parse("id: 1\ndata: 1\n\ndata: 2\n\nid: 2\ndata:3\n\ndata:4\n\n"),
        [
            ev("1").id("1", true),
            ev("2").id("1", false),
            ev("3").id("2", true),
            ev("4").id("2", false),
        ]
    );
    for reset in ["id:", "id"] {
        assert_eq!(
            parse(format!("id: 1\ndata: 1\n\n{reset}\ndata:2\n\ndata:3\n\n")),
            [
                ev("1").id("1", true),
                ev("2").id("", true),
                ev("3").id("", false),
            ]
        );
    }
}

#[test]
fn format_field_id_null() {
    for idvalue in [&b"\0\0"[..], b"x\0", b"\0x", b"x\0x", b" \0"] {
        assert_eq!(
            last_event_id_connections(idvalue, 2),
            [Own::Retry(200), ev("hello"), Own::Retry(200), ev("hello")],
            "{idvalue:?}"
        );
    }
}

#[test]
fn format_field_parsing() {
    let message = b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n";
    assert_eq!(parse(message_py(message, true)), [ev("\0\n 2\n1\n3\n\n4")]);
}

#[test]
fn format_field_retry() {
    let got = parse(message_py(b"retry:02000\ndata:x", false));
    assert_eq!(got, [Own::Retry(2000), ev("x")]);
}

#[test]
fn format_field_retry_bogus() {
    let got = parse(message_py(b"retry:2000\nretry:1000x\ndata:x", false));
    assert_eq!(got, [Own::Retry(2000), ev("x")]);
}

#[test]
fn format_field_retry_empty() {
    assert_eq!(parse(message_py(b"retry\ndata:test", false)), [ev("test")]);
}

#[test]
fn format_field_unknown() {
    let message =
        b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test";
    assert_eq!(
        parse(message_py(message, false)),
        [comment("thisisacommentyay"), ev("test\n\ntest")]
    );
}

#[test]
fn format_leading_space() {
    let got = parse(message_py(b"data:\ttest\rdata: \ndata:test", false));
    assert_eq!(got, [ev("\ttest\n\ntest")]);
}

#[test]
fn format_newlines() {
    let got = parse(message_py(b"data:test\r\ndata\ndata:test\r\n\r", true));
    assert_eq!(got, [ev("test\n\ntest")]);
}

#[test]
fn format_null_character() {
    assert_eq!(parse(message_py(b"data:\0\n\n", false)), [ev("\0")]);
}

#[test]
fn format_utf_8() {
    let got = parse(message_py(b"data:ok\xE2\x80\xA6", false));
    assert_eq!(got, [ev("ok…")]);
    let Own::Event { data, .. } = &got[0] else {
        panic!()
    };
    assert_eq!(String::from_utf8_lossy(data), "ok…");
}

// ---------------------------------------------------------------------------
// Chunking invariance.

/// Inputs whose items must not depend on where the stream is cut.
const TRICKY: &[(&[u8], usize)] = &[
    (b"data: a\r\ndata: b\r\n\r\ndata: c\r\r", DEF),
    (b"\xEF\xBB\xBFdata: x\n\n", DEF),
    (b"\xEF\xBBdata: x\n\n\xEFdata: y\n\ndata: z\n\n", DEF),
    (b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n", DEF),
    (b"\xEF\xBB\xBF\r\n\r\ndata: x\r\n\r\n", DEF),
    (b"event: e\rid: 1\rdata: l1\rdata:l2\rdata\r\r\n\n", DEF),
    (b": c1\n:c2\r\n:  c3\r:\n:\r\ndata: x\n\n", DEF),
    (
        b"retry: 123\nretry: 12x\nretry:\nretry\nretry: 99999999999999999999999\n",
        DEF,
    ),
    (b"id: 1\n\nid\n\nid: a\0b\ndata: x\n\nid: 2\ndata\n\n", DEF),
    (b"datadata: x\nretryy: 5\nDATA: y\nd: z\n:\n\n", DEF),
    (b"data: 0123456789\n\ndata: ok\n\n", 8),
    (b"data: abcdefg\n\ndata: abcdefgh\n\ndata\ndata\n\n", 8),
    (b"data: abc\ndata: defg\n\nid: 12345678901\ndata: x\n\n", 8),
    (
        b"event: longlongname\ndata: y\n\n:0123456789\n: ok\n\nid: 123456789\0\n\n",
        8,
    ),
    (b"data: 12\r\ndata: 34\r\nid: 5\r\n\r\ndata: x\r\n", 4),
    (b"data:x\n\n", 0),
];

#[test]
fn items_are_the_same_whatever_the_chunking() {
    for &(input, max) in TRICKY {
        let whole = parse_cap(input, max);
        assert_eq!(whole, reference(input, max), "{:?}", input.escape_ascii());
        for cut in 0..=input.len() {
            let mut p = Parser::new(max);
            let got = feed_chunks(&mut p, [&input[..cut], &input[cut..]]);
            assert_eq!(got, whole, "{:?} cut at {cut}", input.escape_ascii());
        }
        let mut p = Parser::new(max);
        let got = feed_chunks(&mut p, input.chunks(1));
        assert_eq!(got, whole, "{:?} byte by byte", input.escape_ascii());
    }
}

/// A naive whole-stream model of the rules: strip one BOM, split the whole
/// input into terminated lines, interpret each.
pub(super) fn reference(input: &[u8], max: usize) -> Vec<Own> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < input.len() {
        if input[i] == b'\n' || input[i] == b'\r' {
            lines.push(&input[start..i]);
            if input[i] == b'\r' && input.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    let mut out = Vec::new();
    let (mut data, mut size, mut over_len, mut over) = (Vec::new(), 0usize, 0usize, false);
    let (mut ty, mut id_buf, mut own) = (Vec::new(), Vec::new(), false);
    for line in lines {
        if line.is_empty() {
            // The last event ID string is the buffer as of this blank line.
            if over {
                out.push(Own::Dropped(size.max(over_len)));
            } else if !data.is_empty() {
                data.pop();
                out.push(Own::Event {
                    ty: ty.clone(),
                    id: id_buf.clone(),
                    data: data.clone(),
                    own_id: own,
                });
            }
            (data, size, over_len, over, ty, own) = (vec![], 0, 0, false, vec![], false);
            continue;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(c) => (&line[..c], &line[c + 1..]),
            None => (line, &line[..0]),
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match name {
            b"" if value.len() <= max => out.push(Own::Comment(value.to_vec())),
            b"data" => {
                size += value.len() + 1;
                over |= size > max;
                if over {
                    data.clear();
                } else {
                    data.extend_from_slice(value);
                    data.push(b'\n');
                }
            }
            b"event" | b"id" if value.contains(&0) && name == b"id" => {}
            b"event" | b"id" if value.len() > max => {
                over = true;
                over_len = over_len.max(value.len());
                data.clear();
            }
            b"event" => ty = value.to_vec(),
            b"id" => (id_buf, own) = (value.to_vec(), true),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |ms, &d| {
                    ms.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                out.push(Own::Retry(ms));
            }
            _ => {}
        }
    }
    out
}

/// Tokens that make parsing interesting, repeated to weigh them.
fn token() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![
        &b":"[..],
        b":",
        b"\r",
        b"\r",
        b"\n",
        b"\n",
        b"\r\n",
        b" ",
        b" ",
        b"d",
        b"a",
        b"t",
        b"data",
        b"data",
        b"data:",
        b"data: ",
        b"id",
        b"id:",
        b"event",
        b"retry",
        b"retry:",
        b"\xEF",
        b"\xBB",
        b"\xBF",
        b"\xEF\xBB\xBF",
        b"\0",
        b"\xFF",
        b"1",
        b"9",
        b"x",
        b"\t",
    ])
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(token(), 0..150).prop_map(|tokens| tokens.concat())
}

/// Cut `input` at the given positions (in any order, repeats allowed).
fn cut<'a>(input: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
    at.push(0);
    at.push(input.len());
    at.sort_unstable();
    at.windows(2).map(|w| &input[w[0]..w[1]]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_chunking_gives_the_one_shot_items(
        input in stream(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        max in prop_oneof![Just(DEF), 0usize..16],
    ) {
        let whole = parse_cap(&input, max);
        prop_assert_eq!(&whole, &reference(&input, max));
        let mut p = Parser::new(max);
        let got = feed_chunks(&mut p, cut(&input, &cuts));
        prop_assert_eq!(got, whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop::collection::vec(any::<u8>(), 0..400),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        max in prop_oneof![Just(DEF), 0usize..64],
    ) {
        let whole = parse_cap(&input, max);
        let mut p = Parser::new(max);
        prop_assert_eq!(feed_chunks(&mut p, cut(&input, &cuts)), whole);
    }
}
