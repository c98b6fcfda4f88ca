//! Building the jaq value of an event's data. Whether the data is JSON is
//! decided first, as `--json-data` decides it (the SIMD validator where the
//! CPU has one: `format::json_span`); then a walk that trusts the grammar
//! (`pick`) builds only the members `need` names and passes over the rest
//! by searching for the bytes that end them, 16 at a time. The data is
//! copied once per event, and every string without escapes is a slice of
//! that copy rather than an allocation of its own. Numbers are integers
//! when they are written as integers that fit, else doubles, as jq 1.6
//! holds them.

use super::need::Need;
use super::pick::{PAD, Pick};
use bytes::Bytes;
use jaq_json::{Num, Val};

/// Room reused across events: the values of the open arrays and objects
/// (so that each is made once, at its close, with the size it has), and
/// the copy of the last event's data, which is written over when nothing
/// holds on to it any more (a copy of some 1,200 bytes an event was one
/// of the dearest allocations).
#[derive(Default)]
pub struct Room {
    vals: Vec<Val>,
    copy: Bytes,
}

/// The data as a value, or None when it is not JSON (or not UTF-8). Only
/// the members `need` names are built.
pub fn data(data: &[u8], need: &Need, room: &mut Room) -> Option<Val> {
    let (start, end) = crate::format::json_span(data)?;
    let text = data.get(start..end)?;
    let mut copy = std::mem::take(&mut room.copy)
        .try_into_mut()
        .unwrap_or_default();
    copy.clear();
    // Padded with spaces, so that the walk's 16-byte loads stay inside the
    // copy and a number at the very end still meets a delimiter.
    copy.reserve(text.len() + PAD);
    copy.extend_from_slice(text);
    copy.resize(text.len() + PAD, b' ');
    let src = copy.freeze();
    room.vals.clear();
    let v = Pick::new(&src, &mut room.vals).value(need);
    room.copy = src;
    Some(v)
}

/// A JSON number token: an integer when written as one and it fits (but
/// not -0), else a double.
pub(super) fn number(text: &[u8]) -> Num {
    let s = std::str::from_utf8(text).unwrap_or("0");
    let integral = !text.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
    if integral
        && s != "-0"
        && let Ok(i) = s.parse::<isize>()
    {
        return Num::Int(i);
    }
    Num::Float(s.parse::<f64>().unwrap_or(f64::NAN))
}

/// The text of a string the scanner accepted (escapes valid, surrogates
/// paired).
pub(super) fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'\\', &s[i..]).map(|j| i + j) {
        out.extend_from_slice(&s[i..j]);
        let Some(&c) = s.get(j + 1) else { break };
        i = j + 2;
        let ch = match c {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(s, i);
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    let lo = hex4(s, i + 2);
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    hi
                };
                char::from_u32(code).unwrap_or('\u{FFFD}')
            }
            other => char::from(other),
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    out.extend_from_slice(s.get(i..).unwrap_or_default());
    out
}

fn hex4(s: &[u8], at: usize) -> u32 {
    s.get(at..at + 4)
        .and_then(|h| std::str::from_utf8(h).ok())
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .unwrap_or(0xFFFD)
}
