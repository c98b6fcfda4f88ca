//! The validator's check (`format::copy_if_as_jq_writes_it`) and the
//! scanner's (`raw::Canon`) give the same verdict on texts built to sit
//! near the rule's edges, and what the validator copies is what the
//! scanner writes; the escapes the rule lets through are exactly those
//! that `write_str` writes as they are.

use super::{Canon, scan_json};
use crate::format::{Canonical, copy_if_as_jq_writes_it, jq_escape};
use crate::jq::build::unescape;
use crate::jq::write::write_str;
use proptest::prelude::*;

/// The scanner's check: JSON, no repeated key, and written as it is up to
/// whitespace.
fn by_scanner(data: &[u8]) -> bool {
    let mut out = Vec::new();
    let mut check = Canon::<false>::new(data, &mut out);
    scan_json(data, &mut check).is_some() && !check.repeated && !check.differs
}

/// What the scanner writes, token by token.
fn written(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut c = Canon::<true>::new(data, &mut out);
    scan_json(data, &mut c).expect("JSON");
    out
}

/// Whitespace as servers put it between tokens: none, Python's one space,
/// pretty-printing's line end and indent, and the odd tab.
pub(crate) fn gap() -> impl Strategy<Value = &'static str> {
    prop_oneof![6 => Just(""), 3 => Just(" "), 1 => Just("\n    "), 1 => Just("\t"), 1 => Just(" \r\n")]
}

/// JSON texts (and a few near misses) with short keys from a small
/// alphabet (so keys repeat), long keys and strings (so keys and strings
/// cross 64-byte blocks), integers of every size, fractions, `-0`, escapes
/// jq keeps and escapes it rewrites, DEL bytes, and whitespace between
/// tokens.
pub(crate) fn text() -> impl Strategy<Value = String> {
    // Mostly what passes, so that one near miss decides the verdict.
    let leaf = prop_oneof![
        4 => Just("null".to_string()),
        4 => Just("true".to_string()),
        8 => any::<i32>().prop_map(|n| n.to_string()),
        8 => "\"[a-z é,:{}]{0,70}\"",
        1 => Just("-0".to_string()),
        1 => "-?[1-9][0-9]{15,20}",
        1 => "-?[0-9]\\.[0-9]{1,3}",
        1 => "[1-9][eE][0-9]",
        1 => "\"[a-z]{0,30}\u{7f}[a-z]{0,30}\"",
        // Escapes jq writes as they are, runs of them, and ones it rewrites.
        3 => "\"[a-z ]{0,40}(\\\\n|\\\\\"|\\\\\\\\|\\\\t|\\\\r|\\\\b|\\\\f|\\\\u001f|\\\\u0000|\\\\u007f){1,3}[a-z]{0,40}\"",
        1 => "\"[a-z]{0,4}(\\\\/|\\\\u0041|\\\\u00e9|\\\\u001F|\\\\u000a|\\\\u007F|\\\\ud83d\\\\ude00)[a-z]{0,4}\"",
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        let key = prop_oneof![
            8 => "[ab]{1,2}",
            4 => "[a-z]{3,12}",
            1 => Just("k\\u0041".to_string()),
            1 => Just("k\\\"".to_string()),
        ];
        prop_oneof![
            (
                prop::collection::vec((gap(), inner.clone(), gap()), 0..6),
                gap()
            )
                .prop_map(|(v, end)| {
                    let items: Vec<String> =
                        v.iter().map(|(a, x, b)| format!("{a}{x}{b}")).collect();
                    format!("[{}{end}]", items.join(","))
                }),
            prop::collection::vec((gap(), key, gap(), inner, gap()), 0..8).prop_map(|m| {
                let members: Vec<String> = m
                    .iter()
                    .map(|(a, k, b, v, c)| format!("{a}\"{k}\"{b}:{c}{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

fn validator() -> bool {
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("bmi1")
        && std::is_x86_feature_detected!("pclmulqdq")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
    #[test]
    fn the_validator_and_the_scanner_agree(t in text(), pad in 0usize..70, lead in gap(), tail in gap()) {
        // Padding in a first member moves the rest across block edges
        // (and makes every text as long as the validator's cut-off).
        let t = format!("{lead}{{\"pad\":\"{}\",\"v\":{t}}}{tail}", "x".repeat(pad));
        let mut copy = b"before".to_vec();
        let fast = copy_if_as_jq_writes_it(t.as_bytes(), &mut copy);
        let slow = by_scanner(t.as_bytes());
        // What it accepts it has copied as the scanner writes it, and
        // nothing else.
        if fast == Canonical::Copied {
            prop_assert!(slow, "{t}");
            let mut want = b"before".to_vec();
            want.extend(written(t.as_bytes()));
            prop_assert_eq!(String::from_utf8_lossy(&copy), String::from_utf8_lossy(&want));
        } else {
            prop_assert_eq!(&copy[..], b"before");
        }
        if validator() {
            prop_assert_eq!(fast == Canonical::Copied, slow, "{}", t);
            prop_assert!(fast != Canonical::NotJson && fast != Canonical::Unknown, "{}", t);
        }
    }
}

/// Every escape `\X` and `\u00XX`/`\u01XX` (both cases of hex): the rule
/// lets it through exactly when writing its character gives it back.
#[test]
fn the_escapes_let_through_are_those_jq_writes() {
    let mut escapes: Vec<Vec<u8>> = (0..=255u8).map(|c| vec![b'\\', c]).collect();
    for c in 0..0x200u32 {
        escapes.push(format!("\\u{c:04x}").into_bytes());
        escapes.push(format!("\\u{c:04X}").into_bytes());
    }
    for e in escapes {
        let Ok(text) = std::str::from_utf8(&e) else {
            continue;
        };
        // Only escapes JSON has (the validator refuses the rest).
        let json = serde_json::from_str::<String>(&format!("\"{text}\"")).is_ok();
        if !json {
            continue;
        }
        let mut back = Vec::new();
        write_str(&unescape(&e), &mut back);
        let same = back[1..back.len() - 1] == e[..];
        assert_eq!(
            jq_escape(&e, 0) == Some(e.len()),
            same,
            "{text}: written {}",
            String::from_utf8_lossy(&back)
        );
    }
}
