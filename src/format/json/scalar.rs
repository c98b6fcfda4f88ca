//! json::scalar: an allocation-free JSON scanner for `--json-data`. It
//! accepts the texts that `serde_json::from_slice::<serde_json::Value>`
//! accepts (RFC 8259 plus serde_json's limits: paired `\u` surrogates,
//! numbers within f64's range), nested one level less deep than serde_json
//! allows, and can re-emit the text compactly, plain or coloured, in the
//! same pass. It runs on any CPU (`avx2` gives it faster string searches).
//!
//! The caller checks UTF-8 first: the scanner looks at bytes only, and
//! accepts any byte of 0x20 or above inside strings.

use super::types::{Emit, MAX_DEPTH, Scan, Strings};
use crate::format::color::Kind;
use crate::format::escape::scalar::find_escape;

/// Eight bytes at a time, on any CPU (`escape::scalar::find_escape`).
#[derive(Clone, Copy)]
pub(super) struct Portable;

impl Strings for Portable {
    #[inline(always)]
    fn find_escape(self, b: &[u8], i: usize) -> usize {
        find_escape(b, i)
    }
}

/// The end of the number that starts at `b[i]` (as the scanner reads it:
/// grammar and f64 range), or `None` when no number starts there.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn number_end(b: &[u8], i: usize) -> Option<usize> {
    let mut p = Cursor {
        b,
        i,
        newline: false,
        s: Portable,
    };
    p.number()?;
    Some(p.i)
}

/// [`scan`], finding the ends of string runs with `s`.
#[inline(always)]
pub(super) fn scan_with<E: Emit, S: Strings>(s: S, b: &[u8], e: &mut E) -> Option<Scan> {
    let mut p = Cursor {
        b,
        i: 0,
        newline: false,
        s,
    };
    p.ws();
    let start = p.i;
    // Bit n of `objects` tells whether the container n levels up is an object.
    let mut objects: u128 = 0;
    let mut depth: u32 = 0;
    'value: loop {
        // One value starts at p.i (whitespace already skipped).
        match p.peek()? {
            c @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                p.i += 1;
                p.ws();
                let obj = c == b'{';
                let close = if obj { b'}' } else { b']' };
                if p.peek()? == close {
                    p.i += 1;
                    e.empty(if obj { b"{}" } else { b"[]" });
                } else {
                    depth += 1;
                    objects = (objects << 1) | u128::from(obj);
                    e.open(c);
                    if obj {
                        p.key(e)?;
                    }
                    continue 'value;
                }
            }
            b'"' => {
                let s = p.i;
                p.string()?;
                e.scalar(Kind::String, &b[s..p.i]);
            }
            b't' => e.scalar(Kind::Bool, p.literal(b"true")?),
            b'f' => e.scalar(Kind::Bool, p.literal(b"false")?),
            b'n' => e.scalar(Kind::Null, p.literal(b"null")?),
            b'-' | b'0'..=b'9' => {
                let s = p.i;
                p.number()?;
                e.scalar(Kind::Number, &b[s..p.i]);
            }
            _ => return None,
        }
        // After a value: close containers until a comma or the end.
        loop {
            let end = p.i;
            p.ws();
            if depth == 0 {
                return (p.i == b.len()).then_some(Scan {
                    start,
                    end,
                    newline: p.newline,
                });
            }
            let obj = objects & 1 == 1;
            e.member_end(obj);
            match p.peek()? {
                b',' => {
                    p.i += 1;
                    e.comma();
                    p.ws();
                    if obj {
                        p.key(e)?;
                    }
                    continue 'value;
                }
                c @ (b'}' | b']') if (c == b'}') == obj => {
                    p.i += 1;
                    e.close(c);
                }
                _ => return None,
            }
            depth -= 1;
            objects >>= 1;
        }
    }
}

struct Cursor<'a, S> {
    b: &'a [u8],
    i: usize,
    newline: bool,
    s: S,
}

impl<S: Strings> Cursor<'_, S> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' => {}
                b'\n' | b'\r' => self.newline = true,
                _ => return,
            }
            self.i += 1;
        }
    }

    /// A key, its colon and the whitespace after it (at a `"`, else `None`).
    #[inline(always)]
    fn key<E: Emit>(&mut self, e: &mut E) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        let s = self.i;
        self.string()?;
        e.key(&self.b[s..self.i]);
        self.ws();
        if self.next()? != b':' {
            return None;
        }
        self.ws();
        Some(())
    }

    fn literal(&mut self, word: &'static [u8]) -> Option<&'static [u8]> {
        let rest = self.b.get(self.i..)?;
        if rest.starts_with(word) {
            self.i += word.len();
            Some(word)
        } else {
            None
        }
    }

    /// A string, from its opening quote to just past its closing one.
    #[inline(always)]
    fn string(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            let j = self.s.find_escape(self.b, self.i);
            match *self.b.get(j)? {
                b'"' => {
                    self.i = j + 1;
                    return Some(());
                }
                b'\\' => {
                    self.i = j + 1;
                    self.escape()?;
                }
                _ => return None, // a raw control character
            }
        }
    }

    /// The escape after a backslash; lone surrogates are refused as
    /// serde_json refuses them for strings.
    fn escape(&mut self) -> Option<()> {
        match self.next()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(()),
            b'u' => {
                let n = self.hex4()?;
                if (0xDC00..=0xDFFF).contains(&n) {
                    return None;
                }
                if (0xD800..=0xDBFF).contains(&n) {
                    if self.next()? != b'\\' || self.next()? != b'u' {
                        return None;
                    }
                    if !(0xDC00..=0xDFFF).contains(&self.hex4()?) {
                        return None;
                    }
                }
                Some(())
            }
            _ => None,
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            let d = char::from(self.next()?).to_digit(16)?;
            n = n * 16 + d;
        }
        Some(n)
    }

    fn digits(&mut self) -> usize {
        let s = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - s
    }

    /// A number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` whose value
    /// is finite as an f64 (serde_json refuses `1e400`).
    fn number(&mut self) -> Option<()> {
        let s = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
            float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
            float = true;
        }
        // Integers of up to 19 digits fit an i64/u64; anything else is read
        // as an f64 by serde_json, which fails when it is out of range.
        if float || self.i - s > 19 {
            let text = std::str::from_utf8(&self.b[s..self.i]).ok()?;
            if !text.parse::<f64>().ok()?.is_finite() {
                return None;
            }
        }
        Some(())
    }
}
