//! Exact-bytes tests of every format; properties live in `proptests`.

use super::*;

pub(super) use crate::sse::ev;

pub(super) fn opts(format: Format) -> FormatOptions {
    FormatOptions {
        format,
        json_data: false,
        timestamp: false,
        color: false,
    }
}

pub(super) fn json_data() -> FormatOptions {
    FormatOptions {
        json_data: true,
        ..opts(Format::Json)
    }
}

/// 2026-11-24T08:47:00.123456789Z
fn fixed_time() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_795_510_020, 123_456_789)
}

/// Formats events with one formatter; returns the output and the outcomes.
pub(super) fn run(o: FormatOptions, events: &[Event<'_>]) -> (String, Vec<Outcome>) {
    let mut f = Formatter::new(o);
    let mut out = Vec::new();
    let outcomes = events
        .iter()
        .map(|e| f.event(e, fixed_time(), &mut out))
        .collect();
    (String::from_utf8(out).expect("output is UTF-8"), outcomes)
}

fn one(o: FormatOptions, e: Event<'_>) -> String {
    let (text, _) = run(o, &[e]);
    if !text.contains('\x1b') {
        // Json lines must be JSON.
        for line in text.lines().filter(|l| l.starts_with('{')) {
            serde_json::from_str::<serde_json::Value>(line).expect(line);
        }
    }
    text
}

fn json(e: Event<'_>) -> String {
    one(opts(Format::Json), e)
}

fn embedded(data: &[u8]) -> (String, Outcome) {
    let (text, outcomes) = run(json_data(), &[ev(b"", b"", data)]);
    serde_json::from_str::<serde_json::Value>(text.trim_end()).expect(&text);
    (text, outcomes[0])
}

#[test]
fn json_without_id() {
    assert_eq!(
        json(ev(b"", b"", b"hello")),
        "{\"event\":\"message\",\"data\":\"hello\"}\n"
    );
}

#[test]
fn json_with_id_and_type() {
    assert_eq!(
        json(ev(b"update", b"42", b"x y")),
        "{\"event\":\"update\",\"id\":\"42\",\"data\":\"x y\"}\n"
    );
}

#[test]
fn json_with_timestamp() {
    let o = FormatOptions {
        timestamp: true,
        ..opts(Format::Json)
    };
    assert_eq!(
        one(o, ev(b"", b"7", b"")),
        "{\"event\":\"message\",\"id\":\"7\",\"data\":\"\",\"time\":\"2026-11-24T08:47:00.123Z\"}\n"
    );
}

#[test]
fn timestamp_cache_follows_seconds_and_clamps() {
    let mut c = Clock::default();
    let t = UNIX_EPOCH + Duration::from_secs(1_795_510_020);
    let at = |c: &mut Clock, d: Duration| String::from_utf8(c.rfc3339_millis(t + d).to_vec());
    assert_eq!(
        at(&mut c, Duration::ZERO).unwrap(),
        "2026-11-24T08:47:00.000Z"
    );
    let ms = Duration::from_millis(999);
    assert_eq!(at(&mut c, ms).unwrap(), "2026-11-24T08:47:00.999Z");
    let next = Duration::from_millis(1_005);
    assert_eq!(at(&mut c, next).unwrap(), "2026-11-24T08:47:01.005Z");
    assert_eq!(at(&mut c, ms).unwrap(), "2026-11-24T08:47:00.999Z");
    let before = UNIX_EPOCH - Duration::from_secs(5);
    assert_eq!(c.rfc3339_millis(before), b"1970-01-01T00:00:00.000Z");
    let after = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
    assert_eq!(c.rfc3339_millis(after), b"9999-12-31T23:59:59.999Z");
}

#[test]
fn json_escaping() {
    let data = "q\" b\\ nl\n cr\r tab\t bs\x08 ff\x0c nul\0 us\x1f del\x7f é € 😀 /";
    assert_eq!(
        json(ev(b"", b"", data.as_bytes())),
        "{\"event\":\"message\",\"data\":\"q\\\" b\\\\ nl\\n cr\\r tab\\t bs\\b ff\\f \
         nul\\u0000 us\\u001f del\x7f é € 😀 /\"}\n"
    );
    // Escapes at every position of the 8-byte blocks.
    for n in 0..20 {
        let mut data = vec![b'a'; n];
        data.push(b'"');
        data.extend_from_slice(b"bcdefghijk\x01");
        let want = format!("{}\\\"bcdefghijk\\u0001", "a".repeat(n));
        let text = json(ev(b"", b"", &data));
        assert!(text.contains(&want), "{text}");
    }
}

#[test]
fn invalid_utf8_becomes_replacement_everywhere() {
    let bad = ev(b"t\xff", b"i\xc3", b"a\xffb\xe2\x82\nc\xf0\x9f\x98");
    assert_eq!(
        json(bad),
        "{\"event\":\"t\u{FFFD}\",\"id\":\"i\u{FFFD}\",\"data\":\"a\u{FFFD}b\u{FFFD}\\nc\u{FFFD}\"}\n"
    );
    assert_eq!(
        one(opts(Format::Data), bad),
        "a\u{FFFD}b\u{FFFD}\nc\u{FFFD}\n"
    );
    assert_eq!(
        one(opts(Format::Sse), bad),
        "event: t\u{FFFD}\nid: i\u{FFFD}\ndata: a\u{FFFD}b\u{FFFD}\ndata: c\u{FFFD}\n\n"
    );
    // Not UTF-8 is not JSON: a string, flagged.
    let (text, outcome) = embedded(b"\"\xff\"");
    assert_eq!(
        text,
        "{\"event\":\"message\",\"data\":\"\\\"\u{FFFD}\\\"\"}\n"
    );
    assert!(outcome.not_json);
    let mut out = Vec::new();
    Formatter::new(opts(Format::Json)).comment(b"x\xff", &mut out);
    assert_eq!(out, "{\"comment\":\"x\u{FFFD}\"}\n".as_bytes());
}

#[test]
fn json_data_embeds_json() {
    let cases: &[(&[u8], &str)] = &[
        (br#"{"a":1,"b":[true,null]}"#, r#"{"a":1,"b":[true,null]}"#),
        (br#"[1,"two",{"3":[]}]"#, r#"[1,"two",{"3":[]}]"#),
        (b"-12.5e+3", "-12.5e+3"),
        (b"\"s\\u00e9\\n\"", "\"s\\u00e9\\n\""),
        (b"  {\"a\": 1,  \"b\" :2}\t", "{\"a\": 1,  \"b\" :2}"),
        (
            b"{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x y\"\n}",
            r#"{"a":[1,2],"b":"x y"}"#,
        ),
        (b"[\r\n]", "[]"),
        (b"\n7\n", "7"),
    ];
    for &(data, want) in cases {
        let (text, outcome) = embedded(data);
        assert_eq!(text, format!("{{\"event\":\"message\",\"data\":{want}}}\n"));
        assert!(!outcome.not_json);
    }
}

#[test]
fn json_data_keeps_non_json_as_string() {
    for data in [
        &b""[..],
        b" ",
        b"hello",
        b"{\"a\":1",
        b"{\"a\":1}}",
        b"[1,]",
        b"01",
        b"1.",
        b"+1",
        b"NaN",
        b"1e400",
        b"\"\\ud800\"",
        b"\"\\udc00\"",
        b"\"a\tb\"",
        b"{'a':1}",
        b"tru",
        b"nulls",
    ] {
        let (text, outcome) = embedded(data);
        assert!(outcome.not_json, "{text}");
        let want = serde_json::to_string(&String::from_utf8_lossy(data)).unwrap();
        assert_eq!(text, format!("{{\"event\":\"message\",\"data\":{want}}}\n"));
    }
    // Without json_data nothing is flagged.
    let (_, outcomes) = run(opts(Format::Json), &[ev(b"", b"", b"nope")]);
    assert!(!outcomes[0].not_json);
}

#[test]
fn json_data_embeds_only_utf8() {
    // Short and long texts (the scanner's and the validator's), the bad or
    // good byte in a string at the start, in the middle and at the end of
    // a block: the validator's own ASCII answer decides whether UTF-8 is
    // checked at all. What it accepts, it has copied, long quiet strings
    // and the last part block too.
    for len in [3, 20, 62, 63, 64, 65, 200] {
        for at in [0, len / 2, len - 1] {
            let text = |c: &[u8]| {
                let mut s = b"{\"k\":\"".to_vec();
                s.extend((0..len).flat_map(|i| if i == at { c.to_vec() } else { vec![b'x'] }));
                s.extend_from_slice(b"\"}");
                s
            };
            let good = text("é".as_bytes());
            let (out, outcome) = embedded(&good);
            assert!(!outcome.not_json, "{len} {at}: {out}");
            let want = format!("\"data\":{}}}\n", String::from_utf8_lossy(&good));
            assert!(out.ends_with(&want), "{len} {at}: {out}");
            let bad = text(b"\xff");
            let (out, outcome) = embedded(&bad);
            assert!(outcome.not_json, "{len} {at}: {out}");
            assert_eq!(json_span(&bad), None);
        }
    }
}

#[test]
fn json_data_follows_serde_json_limits() {
    // serde_json reads 127 levels; the event object adds one.
    for (depth, ok) in [(126, true), (127, false)] {
        for inner in ["", "1"] {
            let data = format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth));
            let nested = format!("[{data}]");
            assert!(serde_json::from_str::<serde_json::Value>(&data).is_ok());
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&nested).is_ok(),
                ok
            );
            let (_, outcome) = embedded(data.as_bytes());
            assert_eq!(outcome.not_json, !ok, "depth {depth} inner {inner:?}");
        }
    }
    for data in ["1e308", "\"\\ud83d\\ude00\"", "18446744073709551616", "-0"] {
        assert!(!embedded(data.as_bytes()).1.not_json, "{data}");
    }
}

#[test]
fn data_format() {
    let (text, _) = run(
        opts(Format::Data),
        &[
            ev(b"x", b"1", b"{\"seq\":1}"),
            ev(b"", b"", b"line 1\n\n line 3"),
            ev(b"", b"", b""),
        ],
    );
    assert_eq!(text, "{\"seq\":1}\nline 1\n\n line 3\n\n");
}

#[test]
fn sse_format() {
    let (text, _) = run(
        opts(Format::Sse),
        &[
            ev(b"", b"", b"plain"),
            ev(b"update", b"1", b" leading space"),
            ev(b"message", b"1", b"same id"),
            ev(b"", b"2", b"a\n\nc\n"),
            ev(b"", b"", b""),
            ev(b"", b" sp", b"x"),
        ],
    );
    assert_eq!(
        text,
        "data: plain\n\n\
         event: update\nid: 1\ndata:  leading space\n\n\
         event: message\ndata: same id\n\n\
         id: 2\ndata: a\ndata\ndata: c\ndata\n\n\
         id\ndata\n\n\
         id:  sp\ndata: x\n\n"
    );
}

#[test]
fn comments() {
    let cases = [
        (opts(Format::Json), "{\"comment\":\"hi \\\"there\\\"\"}\n"),
        (opts(Format::Data), ": hi \"there\"\n"),
        (opts(Format::Sse), ": hi \"there\"\n"),
    ];
    for (o, want) in cases {
        let mut out = Vec::new();
        Formatter::new(o).comment(b"hi \"there\"", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
    let mut out = Vec::new();
    let mut f = Formatter::new(opts(Format::Sse));
    f.comment(b"", &mut out);
    f.comment(b" x", &mut out);
    f.comment(b"a\nb", &mut out);
    assert_eq!(out, b":\n:  x\n: a\n: b\n");
}

#[test]
fn appends_to_callers_buffer() {
    let mut f = Formatter::new(opts(Format::Data));
    let mut out = b"before\n".to_vec();
    f.event(&ev(b"", b"", b"x"), SystemTime::now(), &mut out);
    assert_eq!(out, b"before\nx\n");
}

const O: &str = "\x1b[1;39m";
const K: &str = "\x1b[34;1m";
const S: &str = "\x1b[0;32m";
const N: &str = "\x1b[0;39m";
const Z: &str = "\x1b[1;30m";
const R: &str = "\x1b[0m";

fn key(k: &str) -> String {
    format!("{R}{K}\"{k}\"{R}{O}:{R}")
}

#[test]
fn color_simple_event() {
    let o = FormatOptions {
        color: true,
        ..opts(Format::Json)
    };
    let want = format!(
        "{O}{{{}{S}\"message\"{R}{O},{}{S}\"42\"{R}{O},{}{S}\"hi\\n\"{R}{O}{O}}}{R}\n",
        key("event"),
        key("id"),
        key("data"),
    );
    assert_eq!(one(o, ev(b"", b"42", b"hi\n")), want);
}

#[test]
fn color_json_data_object() {
    let o = FormatOptions {
        color: true,
        ..json_data()
    };
    let data = b"{\"a\": [1, \"x\", null, true, {}],\n \"b\": []}";
    let value = format!(
        "{O}{{{}{O}[{N}1{R}{O},{S}\"x\"{R}{O},{Z}null{R}{O},{N}true{R}{O},{O}{{}}{R}{O}{O}]{R}\
         {O},{}{O}[]{R}{O}{O}}}{R}",
        key("a"),
        key("b"),
    );
    let want = format!(
        "{O}{{{}{S}\"message\"{R}{O},{}{value}{O}{O}}}{R}\n",
        key("event"),
        key("data"),
    );
    assert_eq!(one(o.clone(), ev(b"", b"", data)), want);
    // Not JSON: a green string, flagged.
    let (text, outcomes) = run(o, &[ev(b"", b"", b"nope")]);
    assert!(text.contains(&format!("{}{S}\"nope\"{R}", key("data"))));
    assert!(outcomes[0].not_json);
}

/// The coloured lines are what `jq -C -c .` (1.6 or 1.7, with the classic
/// palette) prints for the plain lines. Skipped when no such jq is installed.
#[test]
fn color_matches_jq() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let version = match Command::new("jq").arg("--version").output() {
        Ok(v) => String::from_utf8_lossy(&v.stdout).into_owned(),
        Err(_) => return eprintln!("jq not installed: skipped"),
    };
    let mut jq = Command::new("jq");
    jq.args(["-C", "-c", "."]).env_remove("NO_COLOR");
    if version.starts_with("jq-1.6") {
        jq.env_remove("JQ_COLORS");
    } else if version.starts_with("jq-1.7") {
        jq.env("JQ_COLORS", "1;30:0;39:0;39:0;39:0;32:1;39:1;39:34;1");
    } else {
        return eprintln!("{version}: not jq 1.6 or 1.7: skipped");
    }
    let events = [
        ev(b"", b"", b"plain text"),
        ev(
            b"up",
            b"7",
            b"q\" b\\ nl\n tab\t c\x01 \xc3\xa9\xf0\x9f\x98\x80",
        ),
        ev(
            b"",
            b"",
            br#"{"a":[1,"x",null,true,false,{}],"b":{"c":[]},"d":-5}"#,
        ),
        ev(b"", b"1", b"[[],[1,[2]],{},\"s\"]"),
        ev(
            b"",
            b"",
            b"{\n  \"k\": \"v\",\n  \"n\": [\n    1,\n    2\n  ]\n}",
        ),
        ev(b"", b"", b"42"),
        ev(b"", b"", b"null"),
        ev(b"", b"", b"not json"),
    ];
    let mut plain = Vec::new();
    let mut colored = Vec::new();
    for color in [false, true] {
        let o = FormatOptions {
            color,
            timestamp: true,
            ..json_data()
        };
        let mut f = Formatter::new(o);
        let out = if color { &mut colored } else { &mut plain };
        for e in &events {
            f.event(e, fixed_time(), out);
        }
        f.comment(b"a \"comment\"", out);
    }
    let mut child = jq
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("jq runs");
    child.stdin.take().unwrap().write_all(&plain).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&colored)
    );
}

#[test]
fn color_only_for_json() {
    for format in [Format::Data, Format::Sse] {
        let o = FormatOptions {
            color: true,
            ..opts(format)
        };
        assert!(!one(o, ev(b"t", b"1", b"{}")).contains('\x1b'));
    }
}
