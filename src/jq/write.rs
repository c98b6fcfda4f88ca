//! Writing `--jq` outputs as `jq -c` (Debian's jq 1.6) writes them:
//! compact, strings escaped as jq escapes them (DEL too), numbers in jq's
//! shortest form (`3`, `1e+17`, `1e-05`), NaN as `null` and infinities as
//! ±1.7976931348623157e+308. Integers are written exactly up to 2^63, even
//! past 2^53 (where jq 1.6 rounds); past 2^63 they are doubles, as in jq.
//! Values jq cannot hold (jaq's byte strings, object keys that are not
//! strings) are written as strings.

use jaq_json::{Num, Val};
use std::io::Write as _;

/// Append an output: compact JSON, or (`raw`) a string's text as it is.
pub fn write_output(v: &Val, raw: bool, out: &mut Vec<u8>) {
    match v {
        Val::TStr(s) | Val::BStr(s) if raw => crate::format::push_text(out, s),
        _ => write_json(v, out),
    }
}

/// Append `v` as compact JSON.
pub fn write_json(v: &Val, out: &mut Vec<u8>) {
    match v {
        Val::Null => out.extend_from_slice(b"null"),
        Val::Bool(true) => out.extend_from_slice(b"true"),
        Val::Bool(false) => out.extend_from_slice(b"false"),
        Val::Num(n) => write_num(n, out),
        Val::TStr(s) | Val::BStr(s) => write_str(s, out),
        Val::Arr(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(x, out);
            }
            out.push(b']');
        }
        Val::Obj(o) => {
            out.push(b'{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match k {
                    Val::TStr(s) | Val::BStr(s) => write_str(s, out),
                    other => {
                        let mut text = Vec::new();
                        write_json(other, &mut text);
                        write_str(&text, out);
                    }
                }
                out.push(b':');
                write_json(x, out);
            }
            out.push(b'}');
        }
    }
}

/// A JSON string as jq writes it: invalid UTF-8 replaced, control
/// characters, `"`, `\` and DEL escaped.
pub(super) fn write_str(s: &[u8], out: &mut Vec<u8>) {
    // Most strings (keys above all) are short printable ASCII: written as
    // they are, without the escaper's setup.
    if s.len() <= 32
        && s.iter()
            .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
    {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s);
        out.push(b'"');
        return;
    }
    let start = out.len();
    crate::format::push_json_text(out, s);
    if memchr::memchr(0x7f, s).is_some() {
        let written = out.split_off(start);
        for &c in &written {
            if c == 0x7f {
                out.extend_from_slice(b"\\u007f");
            } else {
                out.push(c);
            }
        }
    }
}

pub(super) fn write_num(n: &Num, out: &mut Vec<u8>) {
    match n {
        Num::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // Past 64 bits a number is a double, as in jq (`doubles.rs`).
        Num::BigInt(i) => write_f64(super::doubles::big_to_f64(i), out),
        Num::Float(f) => write_f64(*f, out),
        Num::Dec(d) => match d.parse::<f64>() {
            Ok(f) => write_f64(f, out),
            Err(_) => out.extend_from_slice(d.as_bytes()),
        },
    }
}

/// A double as jq 1.6 prints it: the shortest digits that read back the
/// same (David Gay's `dtoa`, mode 0: of two such spellings equally near,
/// the one whose last digit is even); plain notation unless the decimal
/// point is 4 or more places left of the first digit, or more than 15
/// places right of the last one.
pub fn write_f64(f: f64, out: &mut Vec<u8>) {
    let f = if f.is_nan() {
        out.extend_from_slice(b"null");
        return;
    } else {
        f.clamp(f64::MIN, f64::MAX)
    };
    if f == 0.0 {
        out.extend_from_slice(if f.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let mut buf = [0u8; 24];
    let (nd, exp) = shortest(f.abs(), &mut buf);
    let digits = &buf[..nd];
    let decpt = exp + 1;
    if f < 0.0 {
        out.push(b'-');
    }
    if decpt <= -4 || decpt > nd as i32 + 15 {
        out.push(digits[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let e = decpt - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    } else if decpt <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-decpt) as usize));
        out.extend_from_slice(digits);
    } else if decpt as usize >= nd {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', decpt as usize - nd));
    } else {
        out.extend_from_slice(&digits[..decpt as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[decpt as usize..]);
    }
}

/// The significant digits of `f` (positive, finite) into `buf`, and the
/// decimal exponent of the first: how many digits, and the exponent.
fn shortest(f: f64, buf: &mut [u8; 24]) -> (usize, i32) {
    // "{:e}" gives the shortest round-trip digits ("1.2345e-7"), but of
    // two equally near it takes the upper one.
    let (nd, exp) = sci_digits(f, None, buf);
    // A tie: `f` is exactly the midpoint of two nd-digit spellings, so it
    // has nd + 1 digits, the last a 5. Then take the even neighbour.
    let mut mid = [0u8; 24];
    let (md, mexp) = sci_digits(f, Some(nd), &mut mid);
    if md != nd + 1 || mid[nd] != b'5' || !is_exact(f, &mid[..md], mexp) {
        return (nd, exp);
    }
    let mut lower = [0u8; 24];
    lower[..nd].copy_from_slice(&mid[..nd]);
    let (mut cand, mut cexp) = (lower, mexp);
    if (cand[nd - 1] - b'0') % 2 == 1 {
        // The upper neighbour; a carry through nines cannot happen (the
        // spelling would be shorter), but is handled.
        let mut i = nd;
        loop {
            if i == 0 {
                cand[..nd].fill(b'0');
                cand[0] = b'1';
                cexp += 1;
                break;
            }
            i -= 1;
            if cand[i] == b'9' {
                cand[i] = b'0';
            } else {
                cand[i] += 1;
                break;
            }
        }
    }
    if reads_as(&cand[..nd], cexp) == Some(f) {
        buf[..nd].copy_from_slice(&cand[..nd]);
        return (nd, cexp);
    }
    (nd, exp)
}

/// The digits of `f` in scientific notation, shortest (`None`) or
/// correctly rounded after `Some(n)` places; how many, and the exponent.
fn sci_digits(f: f64, places: Option<usize>, buf: &mut [u8; 24]) -> (usize, i32) {
    let mut sci = [0u8; 40];
    let len = {
        let mut w = &mut sci[..];
        let _ = match places {
            None => write!(w, "{f:e}"),
            Some(n) => write!(w, "{f:.n$e}"),
        };
        40 - w.len()
    };
    let sci = &sci[..len];
    let (mantissa, exp) = match memchr::memchr(b'e', sci) {
        Some(e) => (&sci[..e], &sci[e + 1..]),
        None => (sci, &b"0"[..]),
    };
    let exp: i32 = std::str::from_utf8(exp)
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut nd = 0;
    for &c in mantissa {
        if c.is_ascii_digit() && nd < buf.len() {
            buf[nd] = c;
            nd += 1;
        }
    }
    (nd, exp)
}

/// The double that `d.ddd × 10^exp` reads as.
fn reads_as(digits: &[u8], exp: i32) -> Option<f64> {
    let text = format!(
        "{}e{}",
        std::str::from_utf8(digits).ok()?,
        exp - digits.len() as i32 + 1
    );
    text.parse().ok()
}

/// Whether `f` is exactly `digits × 10^j` (`j` the place of the last
/// digit): with `f = m × 2^e`, `f / 10^j = m × 2^(e - j) / 5^j` is an
/// integer (it is then the digits, which are `f` correctly rounded).
fn is_exact(f: f64, digits: &[u8], exp: i32) -> bool {
    let bits = f.to_bits();
    let field = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if field == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), field - 1075)
    };
    if m == 0 {
        return false;
    }
    let j = exp - (digits.len() as i32 - 1);
    if m.trailing_zeros() as i32 + e - j < 0 {
        return false;
    }
    j <= 0 || (j <= 27 && m % 5u64.pow(j as u32) == 0)
}
