//! Native filters that `defs.jq` builds jq 1.6's builtins from, where jq
//! differs from jaq's library in ways a definition in jq cannot fix or
//! would make slow: `@csv`/`@tsv` rows, `@uri`, base32, lenient base64
//! decoding, `tojson` written as jq writes it, `*`, `/` and `%` as jq
//! computes them (`arith.rs`), (`paths.rs`) `setpath`/`getpath`/`delpaths`
//! as jq does them, and `fromjson` held to jq's nesting limit. Their names
//! start with `_ssetap_` (but `fromjson`, which replaces jaq's native, so
//! that `tonumber` gets it too); programs call the jq names.

use super::arith::{divide, modulo, multiply};
use super::paths::{delpaths, getpath, setpath};
use super::write::{write_json, write_num};
use jaq_core::native::{Filter, Fun, bome, run, v};
use jaq_core::{DataT, RunPtr};
use jaq_json::Val;

pub(super) type Error = jaq_core::Error<Val>;
pub(super) type ValR = Result<Val, Error>;

pub fn funs<D: for<'a> DataT<V<'a> = Val>>() -> impl Iterator<Item = Fun<D>> {
    natives().into_vec().into_iter().map(run)
}

fn natives<D: for<'a> DataT<V<'a> = Val>>() -> Box<[Filter<RunPtr<D>>]> {
    Box::new([
        ("_ssetap_csv", v(0), |cv| bome(csv(&cv.1))),
        ("_ssetap_tsv", v(0), |cv| bome(tsv(&cv.1))),
        ("_ssetap_tojson", v(0), |cv| bome(Ok(tojson(&cv.1)))),
        ("_ssetap_debug", v(0), |cv| {
            let mut line = b"[\"DEBUG:\",".to_vec();
            write_json(&cv.1, &mut line);
            line.push(b']');
            super::debug::note(String::from_utf8_lossy(&line).into_owned());
            bome(Ok(cv.1))
        }),
        ("_ssetap_stderr", v(0), |cv| {
            let mut line = Vec::new();
            write_json(&cv.1, &mut line);
            super::debug::note(String::from_utf8_lossy(&line).into_owned());
            bome(Ok(cv.1))
        }),
        ("_ssetap_tostring", v(0), |cv| bome(Ok(tostring(&cv.1)))),
        ("_ssetap_uri", v(0), |cv| bome(string(&cv.1).map(uri))),
        ("_ssetap_base32", v(0), |cv| bome(string(&cv.1).map(base32))),
        ("_ssetap_base32d", v(0), |cv| {
            bome(string(&cv.1).and_then(|s| base32d(s).ok_or_else(|| bad(&cv.1, "base32"))))
        }),
        ("_ssetap_base64d", v(0), |cv| {
            bome(string(&cv.1).and_then(|s| base64d(s).ok_or_else(|| bad(&cv.1, "base64"))))
        }),
        ("_ssetap_setpath", v(2), |mut cv| {
            let x = cv.0.pop_var();
            let path = cv.0.pop_var();
            bome(match &path {
                Val::Arr(p) => setpath(cv.1, p, x),
                _ => Err(Error::str("Path must be specified as an array")),
            })
        }),
        ("_ssetap_delpaths", v(1), |mut cv| {
            let paths = cv.0.pop_var();
            bome(delpaths(cv.1, paths))
        }),
        ("_ssetap_mul", v(2), |mut cv| {
            let r = cv.0.pop_var();
            let l = cv.0.pop_var();
            bome(multiply(l, r))
        }),
        ("_ssetap_glibc_format", v(1), |mut cv| {
            let utc = matches!(cv.0.pop_var(), Val::Bool(true));
            bome(Ok(match &cv.1 {
                Val::TStr(s) => match std::str::from_utf8(s) {
                    Ok(f) => Val::utf8_str(super::strftime::glibc_format(f, utc).into_bytes()),
                    Err(_) => cv.1.clone(),
                },
                // jaq's strftime says what is wrong with it.
                _ => cv.1.clone(),
            }))
        }),
        ("_ssetap_doubles", v(0), |cv| {
            bome(Ok(super::doubles::doubles(cv.1)))
        }),
        ("floor", v(0), |cv| bome(rounded(&cv.1, f64::floor))),
        ("ceil", v(0), |cv| bome(rounded(&cv.1, f64::ceil))),
        ("round", v(0), |cv| bome(rounded(&cv.1, f64::round))),
        ("fromjson", v(0), |cv| bome(fromjson(&cv.1))),
        ("_ssetap_div", v(2), |mut cv| {
            let r = cv.0.pop_var();
            let l = cv.0.pop_var();
            bome(divide(l, r))
        }),
        ("_ssetap_mod", v(2), |mut cv| {
            let r = cv.0.pop_var();
            let l = cv.0.pop_var();
            bome(modulo(l, r))
        }),
        ("_ssetap_getpath", v(1), |mut cv| {
            let path = cv.0.pop_var();
            bome(match &path {
                Val::Arr(p) => getpath(&cv.1, p),
                _ => Err(Error::str("Path must be specified as an array")),
            })
        }),
    ])
}

/// `floor`, `ceil`, `round`: of a double, a double (`doubles.rs`).
fn rounded(v: &Val, f: fn(f64) -> f64) -> ValR {
    super::doubles::integral(v, f).map_err(|v| Error::typ(v, "number"))
}

/// The deepest JSON `fromjson` takes, as jq's parser: jaq's parser recurses
/// on each level, and a string from the stream could nest deeper than the
/// stack is.
const MAX_PARSING_DEPTH: usize = 256;

/// `fromjson` (and so `tonumber`): jaq's parser, after a check that the
/// text nests no deeper than jq allows, in one pass that skips strings.
/// One value, as jq 1.6: text with none, or with more than one, is an
/// error. Integers past 64 bits are doubles, as jq reads them.
fn fromjson(v: &Val) -> ValR {
    let Val::TStr(s) = v else {
        return Err(Error::typ(v.clone(), "string"));
    };
    if nesting(s) > MAX_PARSING_DEPTH {
        return Err(Error::str(format_args!(
            "cannot parse {} as JSON: Exceeds depth limit for parsing",
            named(v)
        )));
    }
    let fail =
        |why: &dyn std::fmt::Display| Error::str(format_args!("cannot parse {v} as JSON: {why}"));
    let mut values = jaq_json::read::parse_many(s);
    let first = match values.next() {
        None => return Err(fail(&"Expected JSON value")),
        Some(r) => r.map_err(|e| fail(&e))?,
    };
    match values.next() {
        None => Ok(super::doubles::doubles(first)),
        Some(Err(e)) => Err(fail(&e)),
        Some(Ok(_)) => Err(fail(&"Unexpected extra JSON values")),
    }
}

/// The deepest nesting of `[` and `{` in `s`, outside strings.
fn nesting(s: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &b in s {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// `v` as jq names a value in an error: its type and (short) JSON.
pub(super) fn named(v: &Val) -> String {
    let mut text = Vec::new();
    write_json(v, &mut text);
    let mut text = String::from_utf8_lossy(&text).into_owned();
    if text.len() > 11 {
        let mut cut = 10;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{} ({text})", type_name(v))
}

pub(super) fn type_name(v: &Val) -> &'static str {
    match v {
        Val::Null => "null",
        Val::Bool(_) => "boolean",
        Val::Num(_) => "number",
        Val::TStr(_) | Val::BStr(_) => "string",
        Val::Arr(_) => "array",
        Val::Obj(_) => "object",
    }
}

fn string(v: &Val) -> Result<&[u8], Error> {
    match v {
        Val::TStr(s) | Val::BStr(s) => Ok(s),
        _ => Err(Error::str(format_args!("{} cannot be encoded", named(v)))),
    }
}

fn bad(v: &Val, what: &str) -> Error {
    Error::str(format_args!("{} is not valid {what} data", named(v)))
}

fn text(b: Vec<u8>) -> Val {
    Val::utf8_str(b)
}

#[derive(Clone, Copy, PartialEq)]
enum Row {
    Csv,
    Tsv,
}

/// An array of scalars as a CSV row (strings quoted, `"` doubled) or a TSV
/// row (`\t \n \r \\` escaped); null is empty, numbers and booleans as jq
/// writes them.
fn row(v: &Val, kind: Row) -> ValR {
    let name = if kind == Row::Csv { "csv" } else { "tsv" };
    let Val::Arr(a) = v else {
        return Err(Error::str(format_args!(
            "{} cannot be {name}-formatted, only array",
            named(v)
        )));
    };
    let mut out = Vec::new();
    for (i, x) in a.iter().enumerate() {
        if i > 0 {
            out.push(if kind == Row::Csv { b',' } else { b'\t' });
        }
        match x {
            Val::Null => {}
            Val::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Val::Num(n) => write_num(n, &mut out),
            Val::TStr(s) | Val::BStr(s) if kind == Row::Csv => {
                out.push(b'"');
                for &c in s.iter() {
                    if c == b'"' {
                        out.push(b'"');
                    }
                    out.push(c);
                }
                out.push(b'"');
            }
            Val::TStr(s) | Val::BStr(s) => {
                for &c in s.iter() {
                    match c {
                        b'\t' => out.extend_from_slice(b"\\t"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        c => out.push(c),
                    }
                }
            }
            Val::Arr(_) | Val::Obj(_) => {
                return Err(Error::str(format_args!(
                    "{} is not valid in a csv row",
                    named(x)
                )));
            }
        }
    }
    Ok(text(out))
}

/// `@csv` (`fast.rs` calls it too, so both give the same).
pub(super) fn csv(v: &Val) -> ValR {
    row(v, Row::Csv)
}

/// `@tsv`.
pub(super) fn tsv(v: &Val) -> ValR {
    row(v, Row::Tsv)
}

/// `tostring`: a string as it is, anything else as `tojson`.
pub(super) fn tostring(v: &Val) -> Val {
    match v {
        Val::TStr(_) | Val::BStr(_) => v.clone(),
        other => tojson(other),
    }
}

/// `tojson` as jq 1.6 writes it (`1` for `1.0`, `-0`, `1e+100`).
pub(super) fn tojson(v: &Val) -> Val {
    let mut out = Vec::new();
    write_json(v, &mut out);
    text(out)
}

/// Percent-encoding of all but jq's unreserved characters.
fn uri(s: &[u8]) -> Val {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if c.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&c) {
            out.push(c);
        } else {
            out.extend_from_slice(format!("%{c:02X}").as_bytes());
        }
    }
    text(out)
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, padded.
fn base32(s: &[u8]) -> Val {
    let mut out = Vec::with_capacity(s.len().div_ceil(5) * 8);
    for chunk in s.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(B32[((bits >> (35 - 5 * i)) & 31) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    text(out)
}

/// Decode `s` from an alphabet of `2^width` symbols, up to its padding;
/// None on a character outside the alphabet. Trailing bits that make no
/// whole byte are dropped, as jq does.
fn decode(s: &[u8], width: u32, symbol: impl Fn(u8) -> Option<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        if c == b'=' {
            break;
        }
        acc = (acc << width) | u32::from(symbol(c)?);
        bits += width;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base32d(s: &[u8]) -> Option<Val> {
    let symbol = |c: u8| B32.iter().position(|&b| b == c).map(|i| i as u8);
    decode(s, 5, symbol).map(text)
}

fn base64d(s: &[u8]) -> Option<Val> {
    let symbol = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    decode(s, 6, symbol).map(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Vec<u8> {
        match base32(t.as_bytes()) {
            Val::TStr(b) => b.to_vec(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn nesting_counts_brackets_outside_strings() {
        for (text, depth) in [
            ("1", 0),
            ("[]", 1),
            ("[{\"a\":[1]},[2]]", 3),
            ("[\"[[[\\\"[[\"]", 1),
            ("\"\\\\\"[[", 2),
            ("]]][", 1),
        ] {
            assert_eq!(nesting(text.as_bytes()), depth, "{text}");
        }
    }

    #[test]
    fn fromjson_stops_at_jqs_depth_and_at_the_first_error() {
        let s = |t: String| Val::utf8_str(t.into_bytes());
        let at = |n: usize| s(format!("{}{}", "[".repeat(n), "]".repeat(n)));
        assert!(fromjson(&at(MAX_PARSING_DEPTH)).is_ok());
        let deep = fromjson(&at(MAX_PARSING_DEPTH + 1));
        assert!(format!("{deep:?}").contains("depth limit"), "{deep:?}");
        assert!(fromjson(&s("[".repeat(1_000_000))).is_err());
        // One value, as jq 1.6: none or a second is an error.
        for (text, why) in [
            ("1 2 x 3", "Unexpected extra JSON values"),
            ("[1] [2]", "Unexpected extra JSON values"),
            ("", "Expected JSON value"),
            ("  ", "Expected JSON value"),
            ("1 x", ""),
        ] {
            let e = fromjson(&s(text.into()));
            assert!(format!("{e:?}").contains(why), "{text}: {e:?}");
            assert!(e.is_err(), "{text}");
        }
        assert!(fromjson(&s(" 1 ".into())).is_ok());
    }

    #[test]
    fn base32_is_rfc_4648() {
        for (plain, coded) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(s(plain), coded.as_bytes(), "{plain}");
            let back = base32d(coded.as_bytes()).unwrap();
            assert_eq!(back, Val::utf8_str(plain.as_bytes().to_vec()));
        }
        assert!(base32d(b"MZ1").is_none());
    }

    #[test]
    fn base64_decoding_is_lenient_about_padding() {
        assert_eq!(base64d(b"YWJj").unwrap(), Val::utf8_str(b"abc".to_vec()));
        assert_eq!(base64d(b"YWJ").unwrap(), Val::utf8_str(b"ab".to_vec()));
        assert!(base64d(b"!!").is_none());
    }
}
