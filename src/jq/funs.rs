//! Native filters that `defs.jq` builds jq 1.6's builtins from, where jq
//! differs from jaq's library in ways a definition in jq cannot fix or
//! would make slow: `@csv`/`@tsv` rows, `@uri`, base32, lenient base64
//! decoding, `tojson` written as jq writes it, and `setpath`/`delpaths`
//! that create and delete as jq does (keys keep their order). Their names
//! start with `_ssetap_`; programs call the jq names.

use super::write::{write_json, write_num};
use jaq_core::native::{Filter, Fun, bome, run, v};
use jaq_core::{DataT, RunPtr};
use jaq_json::{Map, Val};

type Error = jaq_core::Error<Val>;
type ValR = Result<Val, Error>;

pub fn funs<D: for<'a> DataT<V<'a> = Val>>() -> impl Iterator<Item = Fun<D>> {
    natives().into_vec().into_iter().map(run)
}

fn natives<D: for<'a> DataT<V<'a> = Val>>() -> Box<[Filter<RunPtr<D>>]> {
    Box::new([
        ("_ssetap_csv", v(0), |cv| bome(row(&cv.1, Row::Csv))),
        ("_ssetap_tsv", v(0), |cv| bome(row(&cv.1, Row::Tsv))),
        ("_ssetap_tojson", v(0), |cv| bome(Ok(tojson(&cv.1)))),
        ("_ssetap_tostring", v(0), |cv| {
            bome(Ok(match cv.1 {
                Val::TStr(_) | Val::BStr(_) => cv.1,
                other => tojson(&other),
            }))
        }),
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

/// `v` as jq names a value in an error: its type and (short) JSON.
fn named(v: &Val) -> String {
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

fn type_name(v: &Val) -> &'static str {
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

/// `tojson` as jq 1.6 writes it (`1` for `1.0`, `-0`, `1e+100`).
fn tojson(v: &Val) -> Val {
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

/// An array index: integral numbers (a fraction is cut off, as jq does).
fn index(k: &Val) -> Option<i64> {
    use jaq_std::ValT as _;
    let f = k.as_f64()?;
    (f.is_finite() && f.abs() < 9.0e15).then_some(f.trunc() as i64)
}

/// `{"start", "end"}` of a slice path, clamped to `len` as jq clamps.
fn slice(o: &Map, len: usize) -> Option<(usize, usize)> {
    let end_of = |name: &str, default: usize| -> Option<usize> {
        match o.get(&Val::utf8_str(name.as_bytes().to_vec())) {
            None | Some(Val::Null) => Some(default),
            Some(v) => {
                let i = index(v)?;
                let len = len as i64;
                let i = if i < 0 { (len + i).max(0) } else { i.min(len) };
                Some(i as usize)
            }
        }
    };
    let start = end_of("start", 0)?;
    let end = end_of("end", len)?.max(start);
    Some((start, end))
}

/// `setpath(path; x)`: null on the way becomes an object or an array as
/// the key asks, arrays grow (with nulls) to reach an index.
fn setpath(v: Val, path: &[Val], x: Val) -> ValR {
    let Some((k, rest)) = path.split_first() else {
        return Ok(x);
    };
    match (v, k) {
        (Val::Null, Val::TStr(_)) => setpath(Val::obj(Map::default()), path, x),
        (Val::Null, Val::Num(_) | Val::Obj(_)) => setpath(Val::Arr(Vec::new().into()), path, x),
        (Val::Obj(mut o), Val::TStr(_)) => {
            let map = std::rc::Rc::make_mut(&mut o);
            let old = map.get_mut(k).map(std::mem::take).unwrap_or_default();
            let new = setpath(old, rest, x)?;
            map.insert(k.clone(), new);
            Ok(Val::Obj(o))
        }
        (Val::Arr(mut a), Val::Num(_)) => {
            let Some(i) = index(k) else {
                return Err(Error::str("Array index too large"));
            };
            let arr = std::rc::Rc::make_mut(&mut a);
            let i = if i < 0 { i + arr.len() as i64 } else { i };
            if i < 0 {
                return Err(Error::str("Out of bounds negative array index"));
            }
            let i = i as usize;
            if i >= arr.len() {
                if i > 100_000_000 {
                    return Err(Error::str("Array index too large"));
                }
                arr.resize(i + 1, Val::Null);
            }
            let old = std::mem::take(&mut arr[i]);
            arr[i] = setpath(old, rest, x)?;
            Ok(Val::Arr(a))
        }
        (Val::Arr(mut a), Val::Obj(o)) => {
            let arr = std::rc::Rc::make_mut(&mut a);
            let Some((start, end)) = slice(o, arr.len()) else {
                return Err(Error::str(
                    "Start and end indices of an array slice must be numbers",
                ));
            };
            let old: Vec<Val> = arr[start..end].to_vec();
            match setpath(Val::Arr(old.into()), rest, x)? {
                Val::Arr(new) => {
                    arr.splice(start..end, new.iter().cloned());
                    Ok(Val::Arr(a))
                }
                other => Err(Error::str(format_args!(
                    "A slice of an array can only be assigned another array, not {}",
                    named(&other)
                ))),
            }
        }
        (v, k) => Err(Error::str(format_args!(
            "Cannot index {} with {}",
            type_name(&v),
            named(k)
        ))),
    }
}

fn zero_divisor(l: &Val, r: &Val) -> Error {
    Error::str(format_args!(
        "{} and {} cannot be divided because the divisor is zero",
        named(l),
        named(r)
    ))
}

/// `l / r`: jq fails on a zero divisor (jaq gives infinity).
fn divide(l: Val, r: Val) -> ValR {
    use jaq_std::ValT as _;
    if let (Val::Num(_), Val::Num(_)) = (&l, &r)
        && r.as_f64() == Some(0.0)
    {
        return Err(zero_divisor(&l, &r));
    }
    l / r
}

/// `l % r`: jq takes both as integers (cut toward zero) and fails on a
/// zero divisor.
fn modulo(l: Val, r: Val) -> ValR {
    use jaq_std::ValT as _;
    let (Val::Num(_), Val::Num(_)) = (&l, &r) else {
        return l % r;
    };
    let int = |v: &Val| v.as_f64().map(|f| f as i64).unwrap_or(0);
    let (a, b) = (int(&l), int(&r));
    if b == 0 {
        return Err(zero_divisor(&l, &r));
    }
    Ok(Val::from(a.checked_rem(b).unwrap_or(0) as isize))
}

/// `getpath(path)` as jq reads it: null where the path leaves the value.
fn getpath(v: &Val, path: &[Val]) -> ValR {
    let mut at = v.clone();
    for k in path {
        at = match (&at, k) {
            (Val::Null, _) => return Ok(Val::Null),
            (Val::Obj(o), Val::TStr(_)) => o.get(k).cloned().unwrap_or_default(),
            (Val::Arr(a), Val::Num(_)) => {
                let i = index(k).unwrap_or(i64::MAX);
                let i = if i < 0 { i + a.len() as i64 } else { i };
                usize::try_from(i)
                    .ok()
                    .and_then(|i| a.get(i).cloned())
                    .unwrap_or_default()
            }
            (Val::Arr(a), Val::Obj(o)) => match slice(o, a.len()) {
                Some((start, end)) => Val::Arr(a[start..end].to_vec().into()),
                None => {
                    return Err(Error::str(
                        "Start and end indices of an array slice must be numbers",
                    ));
                }
            },
            (v, k) => {
                return Err(Error::str(format_args!(
                    "Cannot index {} with {}",
                    type_name(v),
                    named(k)
                )));
            }
        };
    }
    Ok(at)
}

/// `delpaths(paths)`: the longest and last paths first, so that deleting
/// one never moves what another names; what a path does not reach is left
/// alone.
fn delpaths(v: Val, paths: Val) -> ValR {
    let Val::Arr(paths) = paths else {
        return Err(Error::str("Paths must be specified as an array"));
    };
    let mut paths: Vec<Val> = paths.to_vec();
    paths.sort();
    let mut v = v;
    for p in paths.iter().rev() {
        let Val::Arr(p) = p else {
            return Err(Error::str("Path must be specified as an array"));
        };
        v = delpath(v, p)?;
    }
    Ok(v)
}

fn delpath(v: Val, path: &[Val]) -> ValR {
    let Some((k, rest)) = path.split_first() else {
        return Ok(Val::Null);
    };
    match (v, k) {
        (Val::Null, _) => Ok(Val::Null),
        (Val::Obj(mut o), Val::TStr(_)) => {
            let map = std::rc::Rc::make_mut(&mut o);
            if rest.is_empty() {
                map.shift_remove(k);
            } else if let Some(old) = map.get_mut(k) {
                *old = delpath(std::mem::take(old), rest)?;
            }
            Ok(Val::Obj(o))
        }
        (Val::Arr(mut a), Val::Num(_)) => {
            let arr = std::rc::Rc::make_mut(&mut a);
            let i = index(k).unwrap_or(i64::MAX);
            let i = if i < 0 { i + arr.len() as i64 } else { i };
            if i < 0 {
                return Err(Error::str("Out of bounds negative array index"));
            }
            let i = i as usize;
            if i < arr.len() {
                if rest.is_empty() {
                    arr.remove(i);
                } else {
                    arr[i] = delpath(std::mem::take(&mut arr[i]), rest)?;
                }
            }
            Ok(Val::Arr(a))
        }
        (Val::Arr(mut a), Val::Obj(o)) => {
            let arr = std::rc::Rc::make_mut(&mut a);
            let Some((start, end)) = slice(o, arr.len()) else {
                return Err(Error::str(
                    "Start and end indices of an array slice must be numbers",
                ));
            };
            if rest.is_empty() {
                arr.drain(start..end);
                return Ok(Val::Arr(a));
            }
            let part = Val::Arr(arr[start..end].to_vec().into());
            match delpath(part, rest)? {
                Val::Arr(new) => {
                    arr.splice(start..end, new.iter().cloned());
                    Ok(Val::Arr(a))
                }
                _ => Ok(Val::Arr(a)),
            }
        }
        (v, k) => Err(Error::str(format_args!(
            "Cannot delete field at {} index of {}",
            type_name(k),
            type_name(&v)
        ))),
    }
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
