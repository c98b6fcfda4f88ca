//! Issue 16: does a JSON crate decide "is this byte slice one JSON text"
//! faster than the scanner behind `ssetap --json-data`
//! (`ssetap::format::json_span`: simdutf8, then our grammar scan)?
//!
//! `cargo run --release [-- BIG.sse TINY.sse]`: the data of every event of
//! the e2e bench's big and tiny inputs (read from the files given, else from
//! /tmp/perf/{big,tiny}.sse when they exist, else generated in memory by the
//! e2e bench's own generator), checked by each candidate in turn; best of
//! 30 (`--reps N`) passes over all payloads. Then each candidate's verdict
//! on tricky texts.
//!
//! `-- --only NAME --set big|tiny --reps 1` runs one candidate on one input
//! (for callgrind's instruction counts: each candidate's pass over an input
//! is one call of the function `pass_NAME`, made 1 + reps times).

#[path = "../../e2e/inputs.rs"]
#[allow(dead_code)]
mod inputs;

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One way to decide. Some need a scratch state kept across calls (as
/// ssetap would keep it in its formatter).
struct Candidate {
    name: &'static str,
    /// Its column in the tricky-text table.
    short: &'static str,
    pass: fn(&[Vec<u8>], &mut Scratch) -> usize,
    one: fn(&[u8], &mut Scratch) -> bool,
}

#[derive(Default)]
struct Scratch {
    copy: Vec<u8>,
    simd_buffers: Option<simd_json::Buffers>,
    simd_tape: Option<simd_json::Tape<'static>>,
    jiter_tape: Vec<u8>,
}

// ---- the candidates, one payload at a time ----

fn ours(b: &[u8], _: &mut Scratch) -> bool {
    ssetap::format::json_span(b).is_some()
}

fn serde_json_ignored(b: &[u8], _: &mut Scratch) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok()
}

fn serde_json_value(b: &[u8], _: &mut Scratch) -> bool {
    serde_json::from_slice::<serde_json::Value>(b).is_ok()
}

/// simd-json parses in place (it unescapes strings into the input), so the
/// payload is copied into a reused buffer with the padding its SIMD loads
/// need; the copy is part of the cost, as it would be in ssetap.
fn simd_json_tape(b: &[u8], s: &mut Scratch) -> bool {
    s.copy.clear();
    s.copy.extend_from_slice(b);
    s.copy.resize(b.len() + simd_json::INPUT_PADDING, 0);
    let buffers = s
        .simd_buffers
        .get_or_insert_with(|| simd_json::Buffers::new(4096));
    let mut tape = s
        .simd_tape
        .take()
        .unwrap_or_else(simd_json::Tape::null)
        .reset();
    let ok = simd_json::fill_tape_padded(&mut s.copy, b.len(), buffers, &mut tape).is_ok();
    s.simd_tape = Some(tape.reset());
    ok
}

fn sonic_ignored(b: &[u8], _: &mut Scratch) -> bool {
    sonic_rs::from_slice::<serde::de::IgnoredAny>(b).is_ok()
}

/// The whole text as a `LazyValue` (an empty path): sonic-rs's "skip one
/// value, checked" path, which is what its lazy API offers for validation.
fn sonic_lazy(b: &[u8], _: &mut Scratch) -> bool {
    sonic_rs::get_from_slice(b, std::iter::empty::<&str>()).is_ok()
}

/// [`sonic_lazy`] plus the check it lacks: nothing but whitespace after the
/// value (`get_from_slice` stops at the end of the first value).
fn sonic_lazy_end(b: &[u8], _: &mut Scratch) -> bool {
    let Ok(v) = sonic_rs::get_from_slice(b, std::iter::empty::<&str>()) else {
        return false;
    };
    let raw = v.as_raw_str().as_bytes();
    let end = raw.as_ptr() as usize - b.as_ptr() as usize + raw.len();
    b[end..]
        .iter()
        .all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
}

/// jiter's `next_skip` does not check UTF-8 (its docs say so): simdutf8 first,
/// as we do.
fn jiter_skip(b: &[u8], s: &mut Scratch) -> bool {
    if !ssetap::format::is_utf8(b) {
        return false;
    }
    let mut j = jiter::Jiter::with_tape(b, std::mem::take(&mut s.jiter_tape));
    let ok = j.next_skip().is_ok() && j.finish().is_ok();
    s.jiter_tape = j.into_tape();
    ok
}

/// serde_json's `IgnoredAny` with simdutf8 first (its ignore path does not
/// check the UTF-8 of strings).
fn serde_json_ignored_utf8(b: &[u8], s: &mut Scratch) -> bool {
    ssetap::format::is_utf8(b) && serde_json_ignored(b, s)
}

// ---- a whole pass per candidate, not inlined, for callgrind ----

macro_rules! pass {
    ($name:ident, $one:ident) => {
        #[inline(never)]
        fn $name(payloads: &[Vec<u8>], s: &mut Scratch) -> usize {
            let mut n = 0;
            for p in payloads {
                n += usize::from($one(black_box(p), s));
            }
            n
        }
    };
}
pass!(pass_ours, ours);
pass!(pass_serde_json_ignored, serde_json_ignored);
pass!(pass_serde_json_ignored_utf8, serde_json_ignored_utf8);
pass!(pass_serde_json_value, serde_json_value);
pass!(pass_simd_json_tape, simd_json_tape);
pass!(pass_sonic_ignored, sonic_ignored);
pass!(pass_sonic_lazy, sonic_lazy);
pass!(pass_sonic_lazy_end, sonic_lazy_end);
pass!(pass_jiter_skip, jiter_skip);

const CANDIDATES: &[Candidate] = &[
    Candidate {
        name: "ours",
        short: "ours",
        pass: pass_ours,
        one: ours,
    },
    Candidate {
        name: "serde_json_ignored",
        short: "sj-ign",
        pass: pass_serde_json_ignored,
        one: serde_json_ignored,
    },
    Candidate {
        name: "serde_json_ignored_utf8",
        short: "sj-ign+u",
        pass: pass_serde_json_ignored_utf8,
        one: serde_json_ignored_utf8,
    },
    Candidate {
        name: "serde_json_value",
        short: "sj-value",
        pass: pass_serde_json_value,
        one: serde_json_value,
    },
    Candidate {
        name: "simd_json_tape",
        short: "simdjson",
        pass: pass_simd_json_tape,
        one: simd_json_tape,
    },
    Candidate {
        name: "sonic_ignored",
        short: "sonic-ig",
        pass: pass_sonic_ignored,
        one: sonic_ignored,
    },
    Candidate {
        name: "sonic_lazy",
        short: "sonic-lz",
        pass: pass_sonic_lazy,
        one: sonic_lazy,
    },
    Candidate {
        name: "sonic_lazy_end",
        short: "sonic-lz$",
        pass: pass_sonic_lazy_end,
        one: sonic_lazy_end,
    },
    Candidate {
        name: "jiter_skip",
        short: "jiter+u",
        pass: pass_jiter_skip,
        one: jiter_skip,
    },
];

// ---- inputs ----

/// The data of each event, as an SSE reader assembles it: the value of each
/// `data` field (one leading space stripped), joined with `\n`.
fn payloads(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut data: Option<Vec<u8>> = None;
    for line in stream.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if let Some(d) = data.take() {
                out.push(d);
            }
            continue;
        }
        let (field, value) = match line.iter().position(|&c| c == b':') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        if field != b"data" {
            continue;
        }
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match &mut data {
            Some(d) => {
                d.push(b'\n');
                d.extend_from_slice(value);
            }
            None => data = Some(value.to_vec()),
        }
    }
    out
}

fn load(
    arg: Option<String>,
    default: &str,
    generate: impl FnOnce() -> Vec<u8>,
) -> (String, Vec<u8>) {
    let path = arg.or_else(|| {
        std::path::Path::new(default)
            .exists()
            .then(|| default.to_string())
    });
    match path {
        Some(p) => {
            let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
            (p, b)
        }
        None => ("(generated)".to_string(), generate()),
    }
}

// ---- tricky texts ----

/// What RFC 8259 says of a text: its grammar accepts it or not; `Limit`
/// marks a text that an implementation may accept or refuse (section 9:
/// depth, number range; 8.2: lone surrogates, whose meaning is
/// unpredictable; 8.1: a parser may ignore a byte order mark).
#[derive(Clone, Copy, PartialEq)]
enum Rfc {
    Valid,
    Invalid,
    Limit,
}

fn tricky() -> Vec<(&'static str, Vec<u8>, Rfc)> {
    use Rfc::*;
    let deep = |n: usize| {
        let mut v = vec![b'['; n];
        v.extend(std::iter::repeat_n(b']', n));
        v
    };
    let s = |t: &str| t.as_bytes().to_vec();
    vec![
        ("object", s(r#"{"a":[1,-0.5e+3,true,null,"x"]}"#), Valid),
        ("ws around", s(" \t\r\n{}\n "), Valid),
        ("scalar 1", s("1"), Valid),
        ("string", s(r#""a\/b\u00e9\ud83d\ude00""#), Valid),
        ("raw UTF-8", s("\"€😀\""), Valid),
        ("raw DEL 0x7f", s("\"\x7f\""), Valid),
        ("-0, 0e0, 1E+2", s("[-0,0e0,1E+2]"), Valid),
        ("30-digit int", s("123456789012345678901234567890"), Valid),
        ("depth 100", deep(100), Valid),
        ("trailing x", s("{} x"), Invalid),
        ("two values", s("{}{}"), Invalid),
        ("1 2", s("1 2"), Invalid),
        ("trailing comma", s("[1,]"), Invalid),
        ("obj trailing comma", s(r#"{"a":1,}"#), Invalid),
        ("[1 2]", s("[1 2]"), Invalid),
        ("single quotes", s("{'a':1}"), Invalid),
        ("comment", s("[1]//c"), Invalid),
        ("NaN", s("NaN"), Invalid),
        ("Infinity", s("[Infinity]"), Invalid),
        ("empty", s(""), Invalid),
        ("blank", s("  "), Invalid),
        ("NBSP ws", s("\u{a0}1"), Invalid),
        ("BOM", s("\u{feff}{}"), Limit),
        ("1.", s("1."), Invalid),
        ("-", s("-"), Invalid),
        ("01", s("01"), Invalid),
        ("-01", s("-01"), Invalid),
        (".5", s(".5"), Invalid),
        ("+1", s("+1"), Invalid),
        ("1e", s("1e"), Invalid),
        ("1.e5", s("1.e5"), Invalid),
        ("0x10", s("0x10"), Invalid),
        ("tru", s("tru"), Invalid),
        ("ctrl 0x01 in str", s("\"a\x01b\""), Invalid),
        ("raw tab in str", s("\"a\tb\""), Invalid),
        ("raw LF in str", s("\"a\nb\""), Invalid),
        ("bad escape \\x", s(r#""\x41""#), Invalid),
        ("short \\u", s(r#""\u12""#), Invalid),
        ("unclosed str", s(r#""abc"#), Invalid),
        ("unclosed arr", s("[1"), Invalid),
        ("bad UTF-8 ff", b"\"\xff\"".to_vec(), Invalid),
        ("bad UTF-8 overlong", b"\"\xc0\xaf\"".to_vec(), Invalid),
        ("bad UTF-8 cut", b"\"\xe2\x82\"".to_vec(), Invalid),
        ("UTF-8 surrogate", b"\"\xed\xa0\x80\"".to_vec(), Invalid),
        ("bad UTF-8 in key", b"{\"\xff\":1}".to_vec(), Invalid),
        ("lone \\ud800", s(r#""\ud800""#), Limit),
        ("lone \\udc00", s(r#""\udc00""#), Limit),
        ("\\ud800\\u0041", s(r#""\ud800\u0041""#), Limit),
        ("1e400", s("1e400"), Limit),
        ("depth 127", deep(127), Limit),
        ("depth 128", deep(128), Limit),
        ("depth 200", deep(200), Limit),
        ("depth 201", deep(201), Limit),
        ("depth 500", deep(500), Limit),
        ("depth 10000", deep(10_000), Limit),
    ]
}

/// Runs `one` on a text in a child process (deep nesting may overflow a
/// recursive parser's stack, which cannot be caught): "ok", "no" or "crash".
fn verdict_isolated(name: &str, case: &str) -> &'static str {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--case", name, case])
        .output()
        .unwrap();
    match (out.status.success(), out.stdout.as_slice()) {
        (true, b"ok") => "ok",
        (true, b"no") => "no",
        _ => "crash",
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--case") {
        let c = CANDIDATES.iter().find(|c| c.name == args[1]).unwrap();
        let (_, text, _) = tricky().into_iter().find(|t| t.0 == args[2]).unwrap();
        let ok = (c.one)(&text, &mut Scratch::default());
        print!("{}", if ok { "ok" } else { "no" });
        return;
    }
    let mut only = None;
    let mut set = None;
    let mut reps = 30;
    let mut files = Vec::new();
    while !args.is_empty() {
        let a = args.remove(0);
        match a.as_str() {
            "--only" => only = Some(args.remove(0)),
            "--set" => set = Some(args.remove(0)),
            "--reps" => reps = args.remove(0).parse().unwrap(),
            _ => files.push(a),
        }
    }
    let mut files = files.into_iter();
    let (big_path, big) = load(files.next(), "/tmp/perf/big.sse", || inputs::big(13));
    let (tiny_path, tiny) = load(files.next(), "/tmp/perf/tiny.sse", || inputs::tiny(300_000));
    let big = payloads(&big);
    let tiny = payloads(&tiny);
    let sets = [("big", big_path, big), ("tiny", tiny_path, tiny)];
    for (name, path, p) in &sets {
        let bytes: usize = p.iter().map(Vec::len).sum();
        eprintln!(
            "{name}: {path}: {} events, {bytes} bytes of data, {:.0} bytes/event",
            p.len(),
            bytes as f64 / p.len() as f64
        );
    }

    let chosen: Vec<&Candidate> = CANDIDATES
        .iter()
        .filter(|c| only.as_deref().is_none_or(|o| o == c.name))
        .collect();
    assert!(!chosen.is_empty(), "no candidate named {only:?}");

    println!("best of {reps} passes over all events' data");
    println!(
        "{:<24} {:>10} {:>10} {:>10} {:>12}",
        "candidate", "big GiB/s", "big ns/ev", "tiny ns/ev", "tiny Mev/s"
    );
    // The candidates take turns within each repetition, so that a burst of
    // load from elsewhere on the machine falls on all of them alike.
    let mut best = vec![[Duration::MAX; 2]; chosen.len()];
    for (k, (set_name, _, p)) in sets.iter().enumerate() {
        if set.as_deref().is_some_and(|s| s != *set_name) {
            continue;
        }
        let mut scratch: Vec<Scratch> = chosen.iter().map(|_| Scratch::default()).collect();
        for (c, s) in chosen.iter().zip(&mut scratch) {
            let valid = (c.pass)(p, s);
            assert_eq!(valid, p.len(), "{}: not every payload judged JSON", c.name);
        }
        for _ in 0..reps {
            for (i, (c, s)) in chosen.iter().zip(&mut scratch).enumerate() {
                let t = Instant::now();
                black_box((c.pass)(black_box(p), s));
                best[i][k] = best[i][k].min(t.elapsed());
            }
        }
    }
    for (c, best) in chosen.iter().zip(&best) {
        let [big, tiny] = [0, 1].map(|k| {
            let p = &sets[k].2;
            let bytes: usize = p.iter().map(Vec::len).sum();
            let t = best[k].as_secs_f64();
            (
                bytes as f64 / t / (1u64 << 30) as f64,
                t * 1e9 / p.len() as f64,
            )
        });
        println!(
            "{:<24} {:>10.2} {:>10.1} {:>10.1} {:>12.1}",
            c.name,
            big.0,
            big.1,
            tiny.1,
            1e3 / tiny.1
        );
    }
    if only.is_some() || set.is_some() {
        return;
    }

    println!();
    println!(
        "tricky texts: ok = judged JSON, no = refused; * = differs from RFC 8259's grammar, ! = differs from ours"
    );
    print!("{:<20} {:>5}", "text", "RFC");
    for c in &chosen {
        print!(" {:>9}", c.short);
    }
    println!();
    for (case, text, rfc) in tricky() {
        let ours = ours(&text, &mut Scratch::default());
        print!(
            "{case:<20} {:>5}",
            match rfc {
                Rfc::Valid => "ok",
                Rfc::Invalid => "no",
                Rfc::Limit => "limit",
            }
        );
        for c in &chosen {
            let v = verdict_isolated(c.name, case);
            let mut mark = String::new();
            if (rfc == Rfc::Valid && v != "ok") || (rfc == Rfc::Invalid && v != "no") {
                mark.push('*');
            }
            if v != if ours { "ok" } else { "no" } {
                mark.push('!');
            }
            print!(" {:>9}", format!("{v}{mark}"));
        }
        println!();
    }
}
