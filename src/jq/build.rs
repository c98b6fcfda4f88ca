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
/// decide that the data is JSON, and left out).
pub fn data(data: &[u8], need: &Need) -> Option<Val> {
    if !crate::format::is_utf8(data) {
        return None;
    }
    let mut b = Builder {
        src: Bytes::copy_from_slice(data),
        stack: Vec::new(),
        done: None,
        next: Some(need),
        skip: 0,
    };
    scan_json(data, &mut b)?;
    b.done
}

struct Builder<'n> {
    src: Bytes,
    stack: Vec<Frame<'n>>,
    done: Option<Val>,
    /// What is needed of the next value (None: it is left out).
    next: Option<&'n Need>,
    /// How deep into a value that is left out the scanner is.
    skip: usize,
}

enum Frame<'n> {
    Arr(Vec<Val>),
    /// Members so far, the key of the one being built, and what is needed
    /// of this object's members.
    Obj(Map, Option<Val>, &'n Need),
}

impl<'n> Builder<'n> {
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
            Some(Frame::Obj(_, _, need)) => Some(need),
            _ => Some(&WHOLE),
        }
    }

    fn add(&mut self, v: Val) {
        match self.stack.last_mut() {
            None => self.done = Some(v),
            Some(Frame::Arr(a)) => a.push(v),
            Some(Frame::Obj(m, key, _)) => {
                let k = key.take().unwrap_or_default();
                m.insert(k, v);
            }
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

impl<'n> Emit for Builder<'n> {
    fn open(&mut self, bracket: u8) {
        if self.skipping(true) {
            return;
        }
        let need = self.next.unwrap_or(&WHOLE);
        self.stack.push(if bracket == b'{' {
            Frame::Obj(Map::default(), None, need)
        } else {
            Frame::Arr(Vec::new())
        });
        self.next = self.within();
    }

    fn close(&mut self, _: u8) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        let v = match self.stack.pop() {
            Some(Frame::Arr(a)) => Val::Arr(a.into()),
            Some(Frame::Obj(m, _, _)) => Val::obj(m),
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
        let Some(Frame::Obj(_, _, need)) = self.stack.last() else {
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
        if let Some(Frame::Obj(_, key, _)) = self.stack.last_mut() {
            *key = Some(k);
        }
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
fn number(text: &[u8]) -> Num {
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
fn unescape(s: &[u8]) -> Vec<u8> {
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
