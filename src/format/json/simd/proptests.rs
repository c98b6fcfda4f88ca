//! Properties: json::simd gives the scanner's verdict and `Scan` (and
//! serde_json's verdict) on generated JSON values written with random
//! whitespace and escapes, then mutated; and on nesting around the limit.

use super::tests::check;
use proptest::prelude::*;
use serde_json::Value;

/// Strings that cross 64-byte blocks, with what stage 1 must get right.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ a-z\"\\\\/\n\t\u{1}\u{1f}é😀\u{ffff}]{0,8}",
        "[a-z]{0,130}[\"\\\\\né😀]{0,3}[a-z]{0,70}",
    ]
}

/// Any value, small numbers and long strings favoured.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0u64..3000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 60, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(string(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// `v` as JSON text, with whitespace (LF and CR too) and `\u` escapes
/// chosen by `rng`.
fn write(v: &Value, rng: &mut fastrand::Rng, out: &mut Vec<u8>) {
    let ws = |rng: &mut fastrand::Rng, out: &mut Vec<u8>| {
        if rng.u8(0..4) == 0 {
            for _ in 0..rng.usize(0..4) {
                out.push(*rng.choice(b" \t\n\r").expect("not empty"));
            }
        }
    };
    ws(rng, out);
    match v {
        Value::Array(a) => {
            out.push(b'[');
            for (k, x) in a.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                write(x, rng, out);
            }
            ws(rng, out);
            out.push(b']');
        }
        Value::Object(m) => {
            out.push(b'{');
            for (k, (key, x)) in m.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                ws(rng, out);
                write_str(key, rng, out);
                ws(rng, out);
                out.push(b':');
                write(x, rng, out);
            }
            ws(rng, out);
            out.push(b'}');
        }
        Value::String(s) => write_str(s, rng, out),
        _ => out.extend_from_slice(v.to_string().as_bytes()),
    }
    ws(rng, out);
}

fn write_str(s: &str, rng: &mut fastrand::Rng, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        let mut units = [0u16; 2];
        match c {
            '"' | '\\' => out.extend_from_slice(&[b'\\', c as u8]),
            _ if (c as u32) < 0x20 || rng.u8(0..8) == 0 => {
                for u in c.encode_utf16(&mut units) {
                    let esc = if rng.bool() {
                        format!("\\u{u:04x}")
                    } else {
                        format!("\\u{u:04X}")
                    };
                    out.extend_from_slice(esc.as_bytes());
                }
            }
            '/' if rng.bool() => out.extend_from_slice(b"\\/"),
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out.push(b'"');
}

/// What a mutation inserts.
const INSERTS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\\\",
    b"\x01",
    b"\x1f",
    b"\x00",
    b"\n",
    b"\r",
    b"\t",
    b" ",
    b"\\u",
    b"\\ud800",
    b"\\udc00",
    b"\\ud83d\\ude00",
    b"\\uDBFF\\uDFFF",
    b"\\u12",
    b"\\u00e9",
    b",",
    b"]",
    b"}",
    b"[",
    b"{",
    b":",
    b"1",
    b"-",
    b"e",
    b".",
    b"0",
    b"x",
    b"\x80",
    b"true",
    b"nul",
    b"\"\":",
];

/// Flips, cuts, deletions and insertions at positions chosen by `rng`.
fn mutate(b: &mut Vec<u8>, rng: &mut fastrand::Rng, count: usize) {
    for _ in 0..count {
        let at = rng.usize(0..=b.len());
        match rng.u8(0..8) {
            0 if at < b.len() => b[at] ^= 1 << rng.u8(0..8),
            1 => b.truncate(at),
            2 if at < b.len() => {
                b.remove(at);
            }
            _ => {
                let s = *rng.choice(INSERTS).expect("not empty");
                b.splice(at..at, s.iter().copied());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn agrees_on_written_json(v in value(), seed in any::<u64>()) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut b = Vec::new();
        write(&v, &mut rng, &mut b);
        prop_assert!(check(&b).is_some(), "{:?}", String::from_utf8_lossy(&b));
    }

    #[test]
    fn agrees_on_mutated_json(v in value(), seed in any::<u64>(), count in 1usize..4) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut b = Vec::new();
        write(&v, &mut rng, &mut b);
        // Its shape remembered first (`json::simd::shape`), then the mutation.
        check(&b);
        mutate(&mut b, &mut rng, count);
        check(&b);
    }

    #[test]
    fn agrees_on_deep_nesting(
        kinds in prop::collection::vec(any::<bool>(), 120..130),
        inner in value(),
        seed in any::<u64>(),
        count in 0usize..3,
    ) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut b = Vec::new();
        for &obj in &kinds {
            b.extend_from_slice(if obj { b"{\"k\": " } else { b"[ " });
        }
        write(&inner, &mut rng, &mut b);
        for &obj in kinds.iter().rev() {
            b.push(if obj { b'}' } else { b']' });
        }
        mutate(&mut b, &mut rng, count);
        check(&b);
    }

    #[test]
    fn agrees_on_scalars_at_block_edges(
        pad in 0usize..130,
        scalar in prop::sample::select(vec![
            "0", "-0", "12", "1.5e3", "1e400", "-", "01", "1.", "true", "tru", "false",
            "null", "nul", "123456789012345678901234567890", "1e", "truex", "\"s\"",
            "1234567890", "1234567890123456", "12345678901234567", "1234567890.5",
            "1234567890e3", "123456789012345e400", "1234567890123456e400", "12345678-",
            "1234567890123456x",
        ]),
        tail in prop::sample::select(vec!["", " ", "\n", "]", ",", "x", "\"", "}"]),
        wrapped in any::<bool>(),
    ) {
        let mut b = vec![b' '; pad];
        if wrapped {
            b.push(b'[');
        }
        b.extend_from_slice(scalar.as_bytes());
        b.extend_from_slice(tail.as_bytes());
        if wrapped {
            b.push(b']');
        }
        check(&b);
    }
}
