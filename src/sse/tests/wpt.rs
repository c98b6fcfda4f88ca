//! web-platform-tests eventsource/format-*, ported: each asserts the event
//! sequence the WPT case checks. `message_py` builds the body its server script
//! sends; a closed stream is a `reset()`, after which EventSource reconnects.

use super::*;

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
