//! Properties: json lines are JSON holding the lossy values; `json_data`
//! agrees with serde_json; colour adds nothing but escapes; sse output parses
//! back (with a small reference parser and with `sse::Parser`) to the same
//! events and comments.

use super::tests::{ev, json_data, opts, run};
use super::*;
use proptest::prelude::*;
use serde_json::Value;

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Byte strings built from pieces that matter to the formats (escapes,
/// multi-byte and broken UTF-8, field syntax), less the bytes in `without`.
fn bytes(without: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    const PIECES: &[&[u8]] = &[
        b"a",
        b"Z9",
        b" ",
        b"\"",
        b"\\",
        b"\n",
        b"\r",
        b"\t",
        b"\0",
        b"\x1b",
        b"\x1f",
        b"\x7f",
        b":",
        b"data: ",
        "é".as_bytes(),
        "€".as_bytes(),
        "😀".as_bytes(),
        b"\xff",
        b"\xc3",
        b"\xe2\x82",
        b"\xf0\x9f\x98",
    ];
    let piece = prop_oneof![
        4 => prop::sample::select(PIECES).prop_map(<[u8]>::to_vec),
        1 => any::<u8>().prop_map(|c| vec![c]),
        1 => prop::collection::vec(any::<u8>(), 8..20),
    ];
    prop::collection::vec(piece, 0..12).prop_map(move |pieces| {
        let mut v = pieces.concat();
        v.retain(|c| !without.contains(c));
        v
    })
}

/// Small texts made of JSON tokens and near-misses.
fn json_soup() -> impl Strategy<Value = Vec<u8>> {
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"a\"",
        "\"\\u00e9\"",
        "\"\\ud83d\\ude00\"",
        "\\",
        "\\ud800",
        "\\udc00",
        "\\u12",
        "0",
        "1",
        "12",
        "-",
        ".",
        "e",
        "E+",
        "1e400",
        "1e308",
        "true",
        "false",
        "null",
        "nul",
        " ",
        "\n",
        "\t",
        "\r",
        "é",
        "\x01",
        "x",
    ];
    prop::collection::vec(prop::sample::select(TOKENS), 0..14).prop_map(|t| t.concat().into_bytes())
}

/// Any serde_json value, printed compactly or pretty.
fn json_text() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ a-z\"\\\\\n\t\u{1}é😀/]{0,6}".prop_map(Value::String),
        // Long enough for the 32-byte string search (`json::avx2`).
        "[a-z]{20,70}[\"\\\\\n\u{1}é]?[a-z]{0,40}".prop_map(Value::String),
    ];
    let value = leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z\"\n]{0,3}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (value, any::<bool>()).prop_map(|(v, pretty)| {
        let text = if pretty {
            serde_json::to_vec_pretty(&v)
        } else {
            serde_json::to_vec(&v)
        };
        text.expect("serialisable")
    })
}

/// Removes `ESC [ … m` sequences.
fn strip_color(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('\x1b') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('m').expect("escape ends with m");
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

fn one_json_line(text: &str) -> Value {
    assert!(
        text.ends_with('\n') && text.matches('\n').count() == 1,
        "{text:?}"
    );
    serde_json::from_str(text).expect(text)
}

/// `json_data` embeds exactly what serde_json reads as JSON, as that value.
fn check_embed(data: &[u8]) {
    let theirs = serde_json::from_slice::<Value>(data);
    let (text, outcomes) = run(json_data(), &[ev(b"", b"", data)]);
    let line = one_json_line(&text);
    match theirs {
        Ok(v) => {
            assert!(!outcomes[0].not_json, "{text}");
            assert_eq!(line["data"], v, "{text}");
        }
        Err(_) => {
            assert!(outcomes[0].not_json, "{text}");
            assert_eq!(line["data"], Value::String(lossy(data)));
        }
    }
    let colored = FormatOptions {
        color: true,
        ..json_data()
    };
    let (painted, outcomes2) = run(colored, &[ev(b"", b"", data)]);
    assert_eq!(outcomes, outcomes2);
    let plain = strip_color(&painted);
    assert_eq!(one_json_line(&plain), line);
    if !data.iter().any(|c| b" \t\n\r".contains(c)) {
        assert_eq!(plain, text);
    }
}

/// A WHATWG event-stream parser (LF line ends only, which is all the
/// formatter writes): the dispatched (type, id, data) and the comments.
type Parsed = (Vec<(String, String, String)>, Vec<String>);

fn parse_sse(text: &str) -> Parsed {
    let (mut events, mut comments) = (Vec::new(), Vec::new());
    let (mut kind, mut data, mut id) = (String::new(), String::new(), String::new());
    for line in text.split_inclusive('\n') {
        let line = line.strip_suffix('\n').expect("complete lines only");
        if line.is_empty() {
            if !data.is_empty() {
                data.pop();
                let k = if kind.is_empty() { "message" } else { &kind };
                events.push((k.to_string(), id.clone(), std::mem::take(&mut data)));
            }
            kind.clear();
            data.clear();
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "" => comments.push(value.to_string()),
            "event" => kind = value.to_string(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => id = value.to_string(),
            _ => {}
        }
    }
    (events, comments)
}

/// The same with ssetap's own parser.
fn parse_with_ssetap(text: &str) -> Parsed {
    let (mut events, mut comments) = (Vec::new(), Vec::new());
    let mut p = crate::sse::Parser::new(crate::sse::DEFAULT_MAX_EVENT_SIZE);
    let _ = p.feed(text.as_bytes(), |item| {
        match item {
            crate::sse::Item::Event(e) => {
                events.push((lossy(e.kind()), lossy(e.id), lossy(e.data)))
            }
            crate::sse::Item::Comment(c) => comments.push(lossy(c)),
            _ => {}
        }
        std::ops::ControlFlow::Continue(())
    });
    (events, comments)
}

#[derive(Debug, Clone)]
enum Item {
    Event(Vec<u8>, Vec<u8>, Vec<u8>),
    Comment(Vec<u8>),
}

fn items() -> impl Strategy<Value = Vec<Item>> {
    let item = prop_oneof![
        6 => (bytes(b"\n\r"), bytes(b"\n\r\0"), bytes(b"\r"))
            .prop_map(|(t, i, d)| Item::Event(t, i, d)),
        // Few distinct ids, so that ids repeat and change back.
        3 => (prop::sample::select(vec![&b""[..], b"1", b" 2", b"\xff"]), bytes(b"\r"))
            .prop_map(|(i, d)| Item::Event(Vec::new(), i.to_vec(), d)),
        1 => bytes(b"\n\r").prop_map(Item::Comment),
    ];
    prop::collection::vec(item, 0..10)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn json_lines_hold_the_lossy_values(t in bytes(b""), i in bytes(b""), d in bytes(b"")) {
        let (text, _) = run(opts(Format::Json), &[ev(&t, &i, &d)]);
        let v = one_json_line(&text);
        let kind = if t.is_empty() { "message".to_string() } else { lossy(&t) };
        prop_assert_eq!(&v["event"], &Value::String(kind));
        prop_assert_eq!(v.get("id").cloned(), (!i.is_empty()).then(|| Value::String(lossy(&i))));
        prop_assert_eq!(&v["data"], &Value::String(lossy(&d)));
        prop_assert!(!text.contains('\x1b'));
        // Colour adds escapes only.
        let colored = FormatOptions { color: true, ..opts(Format::Json) };
        let (painted, _) = run(colored, &[ev(&t, &i, &d)]);
        prop_assert_eq!(strip_color(&painted), text);
        // The same with --json-data and --timestamp (plain and coloured
        // output are written by different code).
        let all = FormatOptions { timestamp: true, ..json_data() };
        let (text, _) = run(all.clone(), &[ev(&t, &i, &d)]);
        let v = one_json_line(&text);
        prop_assert_eq!(&v["time"], &Value::String("2026-11-24T08:47:00.123Z".into()));
        let (painted, _) = run(FormatOptions { color: true, ..all }, &[ev(&t, &i, &d)]);
        prop_assert_eq!(strip_color(&painted), text);
        // Data format: the lossy data and a line end.
        let (text, _) = run(opts(Format::Data), &[ev(&t, &i, &d)]);
        prop_assert_eq!(text, lossy(&d) + "\n");
    }

    #[test]
    fn json_data_agrees_with_serde_json_on_soup(data in json_soup()) {
        check_embed(&data);
    }

    #[test]
    fn json_data_agrees_with_serde_json_on_json(data in json_text()) {
        check_embed(&data);
    }

    #[test]
    fn json_data_agrees_with_serde_json_on_bytes(data in bytes(b"")) {
        check_embed(&data);
    }

    #[test]
    fn sse_round_trips(items in items()) {
        let mut f = Formatter::new(opts(Format::Sse));
        let mut out = Vec::new();
        let (mut want_events, mut want_comments) = (Vec::new(), Vec::new());
        for item in &items {
            match item {
                Item::Event(t, i, d) => {
                    f.event(&ev(t, i, d), SystemTime::now(), &mut out);
                    let kind = if t.is_empty() { "message".into() } else { lossy(t) };
                    want_events.push((kind, lossy(i), lossy(d)));
                }
                Item::Comment(c) => {
                    f.comment(c, &mut out);
                    want_comments.push(lossy(c));
                }
            }
        }
        let text = String::from_utf8(out).expect("UTF-8");
        let want = (want_events, want_comments);
        prop_assert_eq!(&parse_sse(&text), &want);
        prop_assert_eq!(&parse_with_ssetap(&text), &want);
    }
}
