//! `--jq` outputs that are the event or its data, written from the event's
//! bytes (`jq::raw`), against Debian's jq (`/usr/bin/jq`, 1.6) run on
//! `ssetap --json-data`'s lines: byte for byte the same whether the data
//! is compact, spaced as Python writes it, pretty-printed over several
//! `data:` lines, or has odd whitespace anywhere between tokens; with
//! escapes jq writes as they are and escapes it rewrites, numbers it
//! rewrites, keys with escapes and repeated keys, strings that cross
//! 64-byte blocks, and data that is not JSON.

mod common;

use common::*;

/// Programs whose outputs are the input or its `data` (the raw path), and
/// one that reads a field (the built value), for company.
const PROGRAMS: &[&str] = &[
    ".",
    ".data",
    r#"select(.data.type == "edit")"#,
    r#"select(.data.type == "edit") | .data"#,
    "if .data.n then .data else . end",
    ".data.title",
];

/// Data texts, compact; `styles` spaces them.
fn texts() -> Vec<String> {
    let long = "y".repeat(61);
    let mut t: Vec<String> = vec![
        // As Wikimedia writes it: HTML with escaped quotes, an LRM, non-ASCII.
        r#"{"$schema":"/mediawiki/recentchange/1.0.0","meta":{"uri":"https://de.wikipedia.org/wiki/Stra%C3%9Fe","domain":"de.wikipedia.org","partition":0,"offset":5179000017},"id":1800000017,"type":"edit","namespace":0,"title":"Straße in München","comment":"/* Geschichte */ fix typo","timestamp":1765090000,"user":"Müller7","bot":false,"minor":false,"length":{"old":1234,"new":1240},"revision":{"old":1260000010,"new":1260000017},"parsedcomment":"<span dir=\"auto\"><span class=\"autocomment\">→‎Geschichte: </span> fix typo</span>","log_params":[],"tags":null}"#.to_string(),
        // Every escape jq writes as it is.
        r#"{"type":"edit","s":"q\" b\\ n\n t\t r\r b\b f\f \u0001 \u001f \u007f end","k":"東京都の歴史 ü"}"#.to_string(),
        // Escapes jq rewrites.
        r#"{"type":"edit","s":"\/ \u00e9 \u0041 \u001F \u000a \u007F \ud83d\ude00","title":"T\u00e9"}"#.to_string(),
        // Numbers jq rewrites, and ones it keeps.
        r#"{"type":"edit","n":[1.50,1e2,-0,12345678901234567890,0,-5,0.1,1E-7,9007199254740991,-9007199254740991]}"#.to_string(),
        // Keys with escapes; a repeated key.
        r#"{"type":"edit","k\"ey":1,"k\u0041":2,"plain":3}"#.to_string(),
        r#"{"type":"edit","dup":1,"other":{"dup":2},"dup":3}"#.to_string(),
        // Whitespace and separators inside strings are the string's.
        r#"{"type":"edit","title":" a , b : c { } [ ] \" , \" ","e":{},"a":[],"nested":[{"x":[{}]},[[]]]}"#.to_string(),
        // A raw DEL.
        "{\"type\":\"edit\",\"s\":\"a\u{7f}b\"}".to_string(),
        // Not objects.
        r#"[1,"two",{"three":3},null,true,false]"#.to_string(),
        r#""a JSON string with \"quotes\" and spaces""#.to_string(),
        "12345".to_string(),
        // Shorter than the validator's cut-off.
        r#"{"a":1}"#.to_string(),
        r#"{"type":"edit"}"#.to_string(),
    ];
    // Escapes and backslash runs at every place around a block's edge.
    for pad in [0, 1, 29, 30, 31, 58, 59, 60, 61, 62, 63, 64] {
        t.push(format!(
            r#"{{"type":"edit","pad":"{}","s":"{long}\\\\\"\\n\\\\","t":"{long}","u":"\u00e9\t"}}"#,
            "x".repeat(pad)
        ));
    }
    t
}

/// `text` (compact JSON) spaced in a style: 0 compact, 1 Python's
/// separators, 2 pretty-printed (several `data:` lines), 3 odd whitespace
/// (tabs, line ends, runs) between tokens and around the text. (A CR
/// would end the SSE line.)
fn styled(text: &str, style: usize) -> String {
    let mut out = String::new();
    let mut in_str = false;
    let mut escaped = false;
    let mut depth = 0usize;
    let mut odd = 0usize;
    let mut junk = |out: &mut String| {
        odd += 1;
        out.push_str([" ", "\t", "", "  \t ", "\n  ", " \n\t"][odd % 6]);
    };
    if style == 3 {
        out.push_str(" \t");
    }
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        let next = chars.get(i + 1).copied();
        let indent = |out: &mut String, d: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n("  ", d));
        };
        match (style, c) {
            (_, '"') => {
                in_str = true;
                out.push(c);
            }
            (1, ',') => out.push_str(", "),
            (1, ':') => out.push_str(": "),
            (2, '{' | '[') if !matches!(next, Some('}' | ']')) => {
                depth += 1;
                out.push(c);
                indent(&mut out, depth);
            }
            (2, '}' | ']') if !matches!(chars.get(i.wrapping_sub(1)), Some('{' | '[')) => {
                depth = depth.saturating_sub(1);
                indent(&mut out, depth);
                out.push(c);
            }
            (2, ',') => {
                out.push(c);
                indent(&mut out, depth);
            }
            (2, ':') => out.push_str(": "),
            (3, '{' | '}' | '[' | ']' | ',' | ':') => {
                junk(&mut out);
                out.push(c);
                junk(&mut out);
            }
            _ => out.push(c),
        }
    }
    if style == 3 {
        out.push_str("\t ");
    }
    out
}

fn jq(program: &str, input: &[u8]) -> String {
    debian_jq(program, input, false)
}

#[test]
fn outputs_written_from_the_data_match_debians_jq_in_every_spacing() {
    let dir = Scratch::new("jq-raw");
    let mut mismatches = Vec::new();
    for style in 0..4 {
        let mut events = String::new();
        for (n, text) in texts().iter().enumerate() {
            let data = styled(text, style);
            events.push_str(&event(Some("message"), Some(&n.to_string()), &data));
        }
        // Not JSON, over several lines.
        events.push_str(&event(None, Some("x"), "{\"a\":\nnot json"));
        let file = dir.write(&format!("style{style}.sse"), &events);
        let file = file.to_str().expect("path");
        let lines = run(&[file, "--json-data"]);
        lines.assert_code(0);
        for program in PROGRAMS {
            let ours = run(&[file, "--jq", program]);
            ours.assert_code(0);
            let theirs = jq(program, &lines.stdout);
            if ours.stdout() != theirs {
                let ours = ours.stdout();
                let (a, b): (Vec<&str>, Vec<&str>) =
                    (ours.lines().collect(), theirs.lines().collect());
                let first = a.iter().zip(&b).position(|(x, y)| x != y);
                mismatches.push(format!(
                    "style {style}, {program}: {} lines vs jq's {}; first difference:\n  ssetap: {:?}\n  jq:     {:?}",
                    a.len(),
                    b.len(),
                    first.map(|i| a[i]),
                    first.map(|i| b[i]),
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn the_spacing_of_the_data_does_not_change_the_outputs() {
    let dir = Scratch::new("jq-raw-spacing");
    let mut outs = Vec::new();
    for style in 0..4 {
        let events: String = texts()
            .iter()
            .map(|t| event(Some("message"), Some("1"), &styled(t, style)))
            .collect();
        let file = dir.write(&format!("s{style}.sse"), &events);
        let out = run(&[file.to_str().expect("path"), "--jq", "."]);
        out.assert_code(0);
        assert_eq!(out.lines().len(), texts().len());
        outs.push(out.stdout());
    }
    for (style, out) in outs.iter().enumerate().skip(1) {
        assert_eq!(out, &outs[0], "style {style}");
    }
}
