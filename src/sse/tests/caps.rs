//! The size caps: an event past `max_event_size` is dropped with its size
//! (its `id:` rules still applied), an overlong ID, type or field name is
//! not applied, an overlong comment goes silently, and neither the data
//! buffer nor an endless line grows past the cap.

use super::*;

#[test]
fn oversized_event_is_dropped_with_its_size() {
    // "abcd\nefgh\nij" is 12 bytes of data > 8.
    assert_eq!(
        parse_cap(b"data: abcd\ndata: efgh\ndata: ij\n\ndata: ok\n\n", 8),
        [Own::Dropped(12), ev("ok")]
    );
    // Exactly the cap is fine: the cap is of the data, not of the data
    // buffer with its LF.
    assert_eq!(parse_cap(b"data: abcdefgh\n\n", 8), [ev("abcdefgh")]);
    assert_eq!(parse_cap(b"data: abcdefghi\n\n", 8), [Own::Dropped(9)]);
    assert_eq!(
        parse_cap(b"data: abcd\ndata: efg\n\n", 8),
        [ev("abcd\nefg")]
    );
    assert_eq!(
        parse_cap(b"data: abcd\ndata: efgh\n\n", 8),
        [Own::Dropped(9)]
    );
    // The same without the space, and with CRLF (one-line events take a
    // shorter way through the parser).
    assert_eq!(parse_cap(b"data:abcdefgh\n\n", 8), [ev("abcdefgh")]);
    assert_eq!(parse_cap(b"data:abcdefghi\n\n", 8), [Own::Dropped(9)]);
    assert_eq!(parse_cap(b"data:abcdefgh\r\n\r\n", 8), [ev("abcdefgh")]);
    assert_eq!(parse_cap(b"data:abcdefghi\r\n\r\n", 8), [Own::Dropped(9)]);
    // Cut anywhere, the cap is the same.
    for cut in 1..18 {
        let whole = b"data: abcdefgh\n\ndata: abcdefghi\n\n";
        let mut p = Parser::new(8);
        let got = feed_chunks(&mut p, [&whole[..cut], &whole[cut..]]);
        assert_eq!(got, [ev("abcdefgh"), Own::Dropped(9)], "cut at {cut}");
    }
    assert_eq!(parse_cap(b"data:\n\n", 0), [ev("")]);
    assert_eq!(parse_cap(b"data: a\n\n", 0), [Own::Dropped(1)]);
}

#[test]
fn oversized_event_still_applies_id_rules() {
    let mut p = Parser::new(4);
    let got = feed_chunks(&mut p, [&b"id: 9\ndata: 123456\n\ndata: a\n\n"[..]]);
    assert_eq!(got, [Own::Dropped(6), ev("a").id("9", false)]);
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

/// Under a large cap, an `id` or `event` value is still held to
/// `LINE_MAX`, whole in one chunk or cut anywhere, while data and comments
/// take the whole cap.
#[test]
fn id_and_event_values_are_held_to_the_line_cap() {
    let cap = 4 * LINE_MAX;
    let at = "a".repeat(LINE_MAX);
    let over = "a".repeat(LINE_MAX + 1);
    for field in ["id", "event"] {
        let stream = format!("{field}: {at}\ndata: 1\n\n{field}: {over}\ndata: 2\n\n");
        let whole = parse_cap(stream.as_bytes(), cap);
        assert_eq!(whole.len(), 2, "{field}");
        assert!(matches!(&whole[0], Own::Event { data, .. } if data == b"1"));
        assert_eq!(whole[1], Own::Dropped(LINE_MAX + 1), "{field}");
        // The same with the stream cut inside each value.
        for cut in [10, LINE_MAX / 2, LINE_MAX + 20 + LINE_MAX / 2] {
            let b = stream.as_bytes();
            let got = feed_chunks(&mut Parser::new(cap), [&b[..cut], &b[cut..]]);
            assert_eq!(got, whole, "{field}, cut at {cut}");
        }
    }
    let data = format!("data: {over}{over}\n: {over}{over}\n\n");
    let got = parse_cap(data.as_bytes(), cap);
    assert!(matches!(&got[0], Own::Comment(c) if c.len() == 2 * LINE_MAX + 2));
    assert!(matches!(&got[1], Own::Event { data, .. } if data.len() == 2 * LINE_MAX + 2));
    // A cap below LINE_MAX holds them as before.
    assert_eq!(parse_cap(b"id: 12345\ndata: a\n\n", 4), [Own::Dropped(5)]);
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
    // The data and its last LF, which dispatch removes.
    assert!(p.data.capacity() <= 1001);
    assert_eq!(feed_chunks(&mut p, [&b"\n"[..]]).len(), 1);
}

/// A line that never ends, hundreds of cap sizes long: memory stays bounded.
#[test]
fn endless_line_keeps_memory_bounded() {
    const CAP: usize = 64 << 10;
    let block = vec![b'x'; 64 << 10];
    for (head, end) in [
        (&b"data: "[..], Own::Dropped(128 * (64 << 10))),
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
            assert!(p.data.capacity() <= CAP + 1 && p.val.capacity() <= CAP);
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
