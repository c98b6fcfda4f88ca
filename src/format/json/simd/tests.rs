//! json::simd against the scanner (`json::scan_with(Portable, ..)`) and
//! serde_json on texts chosen for stage 1's block edges and stage 2's
//! grammar; `json::simd::proptests` does the same on generated texts.

use super::super::scalar::{Portable, scan_with};
use super::super::types::{MAX_DEPTH, Scan};
use super::avx512::Simd512;
use super::*;
use std::mem::MaybeUninit;

thread_local! {
    /// The shape `check` validates with: the last text's it accepted.
    pub(in crate::format) static SHAPE: std::cell::RefCell<Shape> = std::cell::RefCell::default();
}

/// The validator's answer, asserted equal to the scanner's (and the
/// verdict to serde_json's on UTF-8 that does not nest past the limits).
pub(in crate::format) fn check(b: &[u8]) -> Option<Scan> {
    let want = scan_with(Portable, b, &mut ());
    let Some(simd) = Simd::detect() else {
        return want;
    };
    // With an accepted text comes whether it is ASCII.
    let ascii = |got: Option<(Scan, bool)>| {
        got.map(|(scan, ascii)| {
            assert_eq!(ascii, b.is_ascii(), "{:?}", String::from_utf8_lossy(b));
            scan
        })
    };
    // What the copying validator accepts, it has copied whole.
    type Into<'a> = &'a dyn Fn(&mut [MaybeUninit<u8>]) -> Option<(Scan, bool)>;
    let copied = |into: Into<'_>| {
        let mut dst = vec![MaybeUninit::new(0u8); b.len() + 64];
        let got = into(&mut dst);
        if got.is_some() {
            // SAFETY: every byte was initialised above.
            let dst: Vec<u8> = dst.iter().map(|c| unsafe { c.assume_init() }).collect();
            assert_eq!(
                &dst[..b.len()],
                b,
                "copy of {:?}",
                String::from_utf8_lossy(b)
            );
        }
        got
    };
    let got = ascii(validate(simd, b));
    assert_eq!(got, want, "{:?}", String::from_utf8_lossy(b));
    assert_eq!(
        ascii(copied(&|dst| validate_into(simd, b, &mut (), dst))),
        want
    );
    if let Some(simd512) = Simd512::detect() {
        let got = ascii(super::avx512::validate(simd512, b));
        assert_eq!(got, want, "AVX-512: {:?}", String::from_utf8_lossy(b));
        let into = |dst: &mut [MaybeUninit<u8>]| {
            super::avx512::validate_into(simd512, b, &mut (), dst, None)
        };
        assert_eq!(ascii(copied(&into)), want, "AVX-512");
        // With the shape of the text checked before on this thread, then
        // with its own (remembered if accepted).
        for _ in 0..2 {
            let into = |dst: &mut [MaybeUninit<u8>]| {
                SHAPE.with_borrow_mut(|shape| {
                    super::avx512::validate_into(simd512, b, &mut (), dst, Some(shape))
                })
            };
            assert_eq!(ascii(copied(&into)), want, "AVX-512, shape");
        }
    }
    let brackets = b.iter().filter(|&&c| c == b'[' || c == b'{').count();
    if std::str::from_utf8(b).is_ok() && brackets < MAX_DEPTH as usize {
        let theirs = serde_json::from_slice::<serde_json::Value>(b).is_ok();
        assert_eq!(
            got.is_some(),
            theirs,
            "serde_json: {:?}",
            String::from_utf8_lossy(b)
        );
    }
    got
}

/// `check`, at every offset of a block: `pad` spaces before `b`.
fn check_shifted(b: &[u8]) {
    for pad in 0..=64 {
        let mut v = vec![b' '; pad];
        v.extend_from_slice(b);
        check(&v);
    }
}

/// The escaped characters, byte by byte.
fn escapes_reference(backslash: &[bool]) -> Vec<bool> {
    let mut out = vec![false; backslash.len()];
    let mut i = 0;
    while i < backslash.len() {
        if backslash[i] {
            if i + 1 < out.len() {
                out[i + 1] = true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn escapes_are_the_bytes_after_odd_backslashes() {
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..20_000 {
        // Four blocks, with runs of every length up to the whole text.
        let density = rng.u32(0..=100);
        let bs: Vec<bool> = (0..256).map(|_| rng.u32(0..100) < density).collect();
        let want = escapes_reference(&bs);
        let mut s = Stage1::new();
        for (k, chunk) in bs.chunks(64).enumerate() {
            let mask = chunk
                .iter()
                .enumerate()
                .fold(0u64, |m, (i, &x)| m | u64::from(x) << i);
            let got = s.escapes(mask);
            for i in 0..64 {
                assert_eq!(
                    got >> i & 1 == 1,
                    want[k * 64 + i],
                    "bit {} of {bs:?}",
                    k * 64 + i
                );
            }
        }
    }
}

#[test]
fn prefix_xor_is_the_running_parity() {
    let Some(simd) = Simd::detect() else {
        return;
    };
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..10_000 {
        let x = rng.u64(..) & rng.u64(..);
        let mut want = 0u64;
        let mut parity = 0;
        for i in 0..64 {
            parity ^= x >> i & 1;
            want |= parity << i;
        }
        assert_eq!(simd.prefix_xor(x), want, "{x:#x}");
    }
}

const TEXTS: &[&str] = &[
    r#"{"$schema":"/mediawiki/recentchange/1.0.0","meta":{"uri":"https://en.wikipedia.org/wiki/Page_1","domain":"en.wikipedia.org"},"id":123,"bot":false,"length":{"old":1234,"new":1240},"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#,
    " [ 1 , -2.5e-3 , true , false , null , \"a\\\"b\\\\\" , { } , [ ] , { \"k\" : [ 0 ] } ]\r\n",
    "\n\t{\"\\ud83d\\ude00\\u00e9\\/\\b\\f\\n\\r\\t\":\"\u{e9}\u{1f600}\",\"x\":[[[[1e308]]]]}\t\n",
    "[123456789012345678901234567890,1e400,0.1,-0,1E+2,12345678901234567890]",
    "\"a long string with an escape at the end of the first block, here: \\\" and more\"",
];

#[test]
fn every_prefix_at_every_offset() {
    for t in TEXTS {
        let b = t.as_bytes();
        for len in 0..=b.len().min(200) {
            check_shifted(&b[..len]);
        }
        assert!(check(b).is_some() || t.contains("1e400"), "{t}");
    }
}

#[test]
fn backslash_runs_across_block_edges() {
    for run in 1..=70 {
        for lead in 0..=66 {
            for tail in ["\"", "n\"", "u00e9\"", "x\"", "\"\"", "", "ud800\\udc00\""] {
                let mut v = b"[\"".to_vec();
                v.extend(std::iter::repeat_n(b'a', lead));
                v.extend(std::iter::repeat_n(b'\\', run));
                v.extend_from_slice(tail.as_bytes());
                v.push(b']');
                check(&v);
                v.pop();
                check(&v);
            }
        }
    }
}

#[test]
fn scalars_and_their_ends() {
    let scalars = [
        "0",
        "-0",
        "7",
        "1234",
        "-",
        "01",
        "-01",
        "1.",
        "1.5",
        ".5",
        "1e",
        "1e+",
        "1e5",
        "1E-5",
        "1e400",
        "-1e400",
        "1e308",
        "2e-400",
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        "1234567890123456789",
        "12345678901234567890",
        "1234567890",
        "1234567890123456",
        "12345678901234567",
        "1234567890123456.5",
        "123456789012345e400",
        "1234567890123456e400",
        "12345678-",
        "1234567890123456x",
        "1".repeat(400).leak(),
        "true",
        "false",
        "null",
        "tru",
        "nul",
        "fals",
        "truex",
        "true1",
        "1true",
        "nulll",
        "+1",
        "0x1",
        "Infinity",
        "NaN",
        "1\\",
        "1\"",
        "\"a\"1",
        "1 2",
        "x",
    ];
    for s in scalars {
        for wrap in [
            "{}",
            "[{}]",
            "[1,{}]",
            "{\"k\":{}}",
            "[{},0]",
            "{}  ",
            "{}\n",
        ] {
            let t = wrap.replace("{}", s);
            // Ends just before, at and after each block edge.
            check_shifted(t.as_bytes());
        }
    }
}

#[test]
fn trailing_garbage_and_empty_inputs() {
    for t in [
        "",
        " ",
        "\n",
        " \t\r\n ",
        "{}x",
        "[] []",
        "\"\"\"\"",
        "{} {}",
        "1,",
        "[1]]",
        "{}}",
        "[1,]",
        "{\"a\":1,}",
        "{\"a\"}",
        "{\"a\" 1}",
        "{1:1}",
        "[\"a\":1]",
        "{,}",
        "[,1]",
        ",",
        ":",
        "]",
        "}",
        "[",
        "{",
        "\"",
        "\"\\",
        "\\",
        "\\\"\"",
        "{\"a\":\"b\"}\"",
    ] {
        check_shifted(t.as_bytes());
        check(t.repeat(70).as_bytes());
    }
    assert_eq!(check(b"   "), None);
}

#[test]
fn spans_and_line_breaks() {
    let got = check(b" \r\n {\"a\" : [1, \"x\"] }\t ").expect("JSON");
    assert_eq!((got.start, got.end, got.newline), (4, 21, true));
    let got = check(b"\t\"a\\nb\" ").expect("JSON");
    assert_eq!((got.start, got.end, got.newline), (1, 7, false));
    let got = check(b"[1,\r2]").expect("JSON");
    assert!(got.newline);
    let mut long = vec![b' '; 70];
    long.extend_from_slice(b"1");
    long.extend(std::iter::repeat_n(b' ', 70));
    long.push(b'\n');
    let got = check(&long).expect("JSON");
    assert_eq!((got.start, got.end, got.newline), (70, 71, true));
}

#[test]
fn long_strings_are_passed_over_and_copied() {
    // Strings of several blocks with nothing in them (the quiet loop), at
    // every offset, followed by more members and a part block.
    for len in [63, 64, 65, 128, 200, 300] {
        let long = "q".repeat(len);
        let t = format!("{{\"s\":\"{long}\",\"t\":[\"{long}\",1],\"u\":\"é{long}\"}}");
        check_shifted(t.as_bytes());
        check_shifted(format!("\"{long}").as_bytes());
    }
}

#[test]
fn unicode_escapes() {
    let long = "y".repeat(60);
    for esc in [
        "\\u00e9",
        "\\u00E9",
        "\\u0000",
        "\\uffff",
        "\\ud83d\\ude00",
        "\\uD83D\\uDE00",
        "\\udbff\\udfff",
        "\\ud800",
        "\\udc00",
        "\\ud800\\ud800",
        "\\ud800\\udc00\\udc00",
        "\\ud800\\u0041",
        "\\ud800x",
        "\\ud800\\",
        "\\ud800\\n",
        "\\u12",
        "\\u12g4",
        "\\u",
        "\\U0041",
        "\\u-123",
        "\\u+123",
    ] {
        for lead in [0, 1, 50, 57, 58, 59, 60] {
            let t = format!("[\"{}{esc}\",\"{esc}{long}\"]", &long[..lead]);
            check_shifted(t.as_bytes());
        }
    }
}

#[test]
fn control_bytes_and_others() {
    for c in (0u8..0x20).chain([0x7f, 0x80, 0xc3, 0xff]) {
        for t in [
            &b"[\"a?b\"]"[..],
            b"[1,?2]",
            b"?[]",
            b"[]?",
            b"{\"a\"?:1}",
            b"[1?]",
        ] {
            let t: Vec<u8> = t.iter().map(|&x| if x == b'?' { c } else { x }).collect();
            check_shifted(&t);
        }
    }
}

fn nest(levels: usize, inner: &str) -> String {
    let mut t = String::new();
    for l in 0..levels {
        t.push_str(if l % 3 == 0 { "{\"k\":" } else { "[" });
    }
    t.push_str(inner);
    for l in (0..levels).rev() {
        t.push(if l % 3 == 0 { '}' } else { ']' });
    }
    t
}

#[test]
fn nesting_to_the_limit() {
    for levels in 120..=130 {
        for inner in ["1", "[]", "{}", "\"s\"", "", "[1]"] {
            let t = nest(levels, inner);
            let got = check(t.as_bytes());
            let depth = levels + usize::from(inner.starts_with(['[', '{']));
            // Nothing inside is an empty array, or an object missing a value.
            let whole = !inner.is_empty() || (levels - 1) % 3 != 0;
            assert_eq!(got.is_some(), depth <= MAX_DEPTH as usize && whole, "{t}");
        }
    }
    // Closing and reopening: the depth is what is open, not what was.
    let t = format!("[{},{}]", nest(125, "0"), nest(125, "0"));
    assert!(check(t.as_bytes()).is_some());
    // Brackets that do not match.
    check(b"[{]}");
    check(b"{\"a\":[}]");
    check(nest(126, "1").replace("]]", "}]").as_bytes());
}

/// Timing, not a check: each validator's best of 30 passes over the data
/// of 2,000 events like the e2e bench's big ones (`inputs::big`).
/// `cargo test --release --lib json::simd::tests::timing -- --ignored --nocapture`
#[test]
#[ignore]
fn timing() {
    let pad = "x".repeat(560);
    let events: Vec<Vec<u8>> = (1..=2000u64)
        .map(|n| {
            let kind = ["edit", "new", "log", "categorize"][(n % 4) as usize];
            format!(
                "{{\"$schema\":\"/mediawiki/recentchange/1.0.0\",\"meta\":{{\"uri\":\"https://en.wikipedia.org/wiki/Page_{n}\",\
                 \"domain\":\"en.wikipedia.org\",\"dt\":\"2026-11-24T07:00:00Z\"}},\"id\":{n},\"type\":\"{kind}\",\
                 \"title\":\"Page {n}\",\"comment\":\"/* Section */ fix typo\",\"user\":\"Editor{}\",\"bot\":false,\
                 \"length\":{{\"old\":1234,\"new\":1240}},\"pad\":\"{pad}\"}}",
                n % 97
            )
            .into_bytes()
        })
        .collect();
    let bytes: usize = events.iter().map(Vec::len).sum();
    let time = |name: &str, f: &dyn Fn(&[u8]) -> Option<Scan>| {
        let mut best = std::time::Duration::MAX;
        for _ in 0..30 {
            let t = std::time::Instant::now();
            for e in &events {
                assert!(std::hint::black_box(f(std::hint::black_box(e))).is_some());
            }
            best = best.min(t.elapsed());
        }
        let per = best.as_nanos() as f64 / events.len() as f64;
        let gib = bytes as f64 / best.as_secs_f64() / f64::from(1 << 30);
        eprintln!("{name:>8}: {per:7.1} ns/event {gib:6.2} GiB/s");
    };
    time("scanner", &|b| scan_with(Portable, b, &mut ()));
    time("avx2", &|b| super::super::scan(b, &mut ()));
    if let Some(simd) = Simd::detect() {
        time("simd", &|b| validate(simd, b).map(|(scan, _)| scan));
    }
    if let Some(simd) = Simd512::detect() {
        time("simd512", &|b| {
            super::avx512::validate(simd, b).map(|(scan, _)| scan)
        });
    }
}

#[test]
fn digits_counts_the_leading_ascii_digits() {
    let mut rng = fastrand::Rng::with_seed(5);
    let alphabet = b"0123456789/:.eE-+ }]\x00\xff\xfa\xf9\x30\x39\x3a\x2f";
    for _ in 0..100_000 {
        let bytes: [u8; 8] = std::array::from_fn(|_| match rng.u8(0..4) {
            0 => rng.u8(..),
            1 => alphabet[rng.usize(..alphabet.len())],
            _ => rng.u8(b'0'..=b'9'),
        });
        let want = bytes.iter().take_while(|c| c.is_ascii_digit()).count();
        assert_eq!(
            grammar::digits(u64::from_le_bytes(bytes)),
            want,
            "{bytes:?}"
        );
    }
}
