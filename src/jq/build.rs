//! Building the jaq value of an event's data in the same pass that decides
//! whether it is JSON (`format`'s scanner, as `--json-data` decides): the
//! data is copied once per event, and every string without escapes is a
//! slice of that copy rather than an allocation of its own. Numbers are
//! integers when they are written as integers that fit, else doubles, as
//! jq 1.6 holds them.

use super::need::Need;
use crate::format::{Emit, Kind, scan_json};
use bytes::Bytes;
use jaq_json::{Map, Num, Val};

/// The data as a value, or None when it is not JSON. Only the members
/// `need` names are built (an object's other members are scanned, to
/// decide that the data is JSON, and left out). `vals` is room reused
/// across events: the values of the open arrays and objects, so that each
/// is made once, at its close, with the size it has.
pub fn data(data: &[u8], need: &Need, vals: &mut Vec<Val>) -> Option<Val> {
    if !crate::format::is_utf8(data) {
        return None;
    }
    vals.clear();
    let mut b = Builder {
        src: Bytes::copy_from_slice(data),
        stack: Vec::new(),
        vals,
        done: None,
        next: Some(need),
        skip: 0,
    };
    scan_json(data, &mut b)?;
    b.done
}

struct Builder<'n, 'v> {
    src: Bytes,
    stack: Vec<Frame<'n>>,
    /// The elements of the open arrays, the keys and values of the open
    /// objects, innermost last.
    vals: &'v mut Vec<Val>,
    done: Option<Val>,
    /// What is needed of the next value (None: it is left out).
    next: Option<&'n Need>,
    /// How deep into a value that is left out the scanner is.
    skip: usize,
}

/// An open array or object: where its values start in `vals`, and what is
/// needed of an object's members.
enum Frame<'n> {
    Arr(usize),
    Obj(usize, &'n Need),
}

impl<'n> Builder<'n, '_> {
    /// Whether the value that starts now is left out: then it is skipped
    /// (with its brackets, if it has any).
    fn skipping(&mut self, opens: bool) -> bool {
        if self.skip > 0 {
            self.skip += usize::from(opens);
            return true;
        }
        if self.next.is_none() {
            self.skip = usize::from(opens);
            self.next = self.within();
            return true;
        }
        false
    }

    /// What is needed of a value inside the innermost array or object
    /// (before its key is known): an array's elements are all needed
    /// whole, an object's are decided by their keys.
    fn within(&self) -> Option<&'n Need> {
        match self.stack.last() {
            Some(Frame::Obj(_, need)) => Some(need),
            _ => Some(&WHOLE),
        }
    }

    fn add(&mut self, v: Val) {
        if self.stack.is_empty() {
            self.done = Some(v);
        } else {
            self.vals.push(v);
        }
        self.next = self.within();
    }

    /// A quoted string token (a slice of the scanned data) as a value.
    fn string(&self, quoted: &[u8]) -> Val {
        let inner = &quoted[1..quoted.len().saturating_sub(1).max(1)];
        if memchr::memchr(b'\\', inner).is_none() {
            let start = (inner.as_ptr() as usize).wrapping_sub(self.src.as_ptr() as usize);
            if let Some(end) = start
                .checked_add(inner.len())
                .filter(|&e| e <= self.src.len())
            {
                return Val::utf8_str(self.src.slice(start..end));
            }
            return Val::utf8_str(inner.to_vec());
        }
        Val::utf8_str(unescape(inner))
    }
}

static WHOLE: Need = Need {
    whole: true,
    kids: Vec::new(),
};

impl<'n> Emit for Builder<'n, '_> {
    fn open(&mut self, bracket: u8) {
        if self.skipping(true) {
            return;
        }
        let need = self.next.unwrap_or(&WHOLE);
        let start = self.vals.len();
        self.stack.push(if bracket == b'{' {
            Frame::Obj(start, need)
        } else {
            Frame::Arr(start)
        });
        self.next = self.within();
    }

    fn close(&mut self, _: u8) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        let v = match self.stack.pop() {
            Some(Frame::Arr(start)) => {
                let items: Vec<Val> = self.vals.drain(start..).collect();
                Val::Arr(items.into())
            }
            Some(Frame::Obj(start, _)) => {
                let n = (self.vals.len() - start) / 2;
                let mut m = Map::with_capacity_and_hasher(n, Default::default());
                let mut members = self.vals.drain(start..);
                while let (Some(k), Some(v)) = (members.next(), members.next()) {
                    m.insert(k, v);
                }
                Val::obj(m)
            }
            None => return,
        };
        self.add(v);
    }

    fn empty(&mut self, pair: &'static [u8]) {
        if self.skipping(false) {
            return;
        }
        self.add(if pair == b"{}" {
            Val::obj(Map::default())
        } else {
            Val::Arr(Vec::new().into())
        });
    }

    fn member_end(&mut self, _: bool) {}

    fn comma(&mut self) {}

    fn key(&mut self, quoted: &[u8]) {
        if self.skip > 0 {
            return;
        }
        let Some(Frame::Obj(_, need)) = self.stack.last() else {
            return;
        };
        let need: &'n Need = need;
        self.next = if need.whole {
            Some(need)
        } else {
            let inner = &quoted[1..quoted.len().saturating_sub(1).max(1)];
            if memchr::memchr(b'\\', inner).is_none() {
                need.kid(inner)
            } else {
                need.kid(&unescape(inner))
            }
        };
        if self.next.is_none() {
            return;
        }
        let k = self.string(quoted);
        self.vals.push(k);
    }

    fn scalar(&mut self, kind: Kind, text: &[u8]) {
        if self.skipping(false) {
            return;
        }
        let v = match kind {
            Kind::Null => Val::Null,
            Kind::Bool => Val::Bool(text == b"true"),
            Kind::Number => Val::Num(number(text)),
            Kind::String => self.string(text),
        };
        self.add(v);
    }
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
