//! json: an allocation-free JSON scanner for `--json-data`. It accepts the
//! texts that `serde_json::from_slice::<serde_json::Value>` accepts (RFC 8259
//! plus serde_json's limits: paired `\u` surrogates, numbers within f64's
//! range), nested one level less deep than serde_json allows, and can re-emit
//! the text compactly, plain or coloured, in the same pass.
//!
//! The caller checks UTF-8 first: the scanner looks at bytes only, and
//! accepts any byte of 0x20 or above inside strings.

use crate::format::color::{Kind, W};
use crate::format::find_escape;

#[cfg(target_arch = "x86_64")]
mod avx2;
pub(super) mod canon;
#[cfg(target_arch = "x86_64")]
mod simd;

/// serde_json refuses the 128th level of nesting; the data sits one level
/// inside the event object, so 126 levels keep the whole line readable.
pub(super) const MAX_DEPTH: u32 = 126;

/// Where the JSON text sits in the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scan {
    /// First byte of the value (after leading whitespace).
    pub(crate) start: usize,
    /// One past its last byte (before trailing whitespace).
    pub(crate) end: usize,
    /// Whitespace outside strings held a line break (so the text is not one
    /// line and must be re-emitted compactly).
    pub(crate) newline: bool,
}

/// What the scanner reports as it goes: `()` only validates, `W` writes.
pub(crate) trait Emit {
    fn open(&mut self, bracket: u8);
    fn close(&mut self, bracket: u8);
    fn empty(&mut self, pair: &'static [u8]);
    fn member_end(&mut self, obj: bool);
    fn comma(&mut self);
    fn key(&mut self, quoted: &[u8]);
    fn scalar(&mut self, kind: Kind, text: &[u8]);
}

impl Emit for () {
    #[inline(always)]
    fn open(&mut self, _: u8) {}
    #[inline(always)]
    fn close(&mut self, _: u8) {}
    #[inline(always)]
    fn empty(&mut self, _: &'static [u8]) {}
    #[inline(always)]
    fn member_end(&mut self, _: bool) {}
    #[inline(always)]
    fn comma(&mut self) {}
    #[inline(always)]
    fn key(&mut self, _: &[u8]) {}
    #[inline(always)]
    fn scalar(&mut self, _: Kind, _: &[u8]) {}
}

impl Emit for W<'_> {
    #[inline]
    fn open(&mut self, bracket: u8) {
        W::open(self, bracket);
    }
    #[inline]
    fn close(&mut self, bracket: u8) {
        W::close(self, bracket);
    }
    #[inline]
    fn empty(&mut self, pair: &'static [u8]) {
        W::empty(self, pair);
    }
    #[inline]
    fn member_end(&mut self, obj: bool) {
        W::member_end(self, obj);
    }
    #[inline]
    fn comma(&mut self) {
        W::comma(self);
    }
    #[inline]
    fn key(&mut self, quoted: &[u8]) {
        W::key(self, quoted);
    }
    #[inline]
    fn scalar(&mut self, kind: Kind, text: &[u8]) {
        W::scalar(self, kind, text);
    }
}

/// How the scanner finds the end of a run of plain string bytes.
pub(super) trait Strings: Copy {
    /// The index of the first byte at or after `i` that a JSON string
    /// cannot hold as it is (a control character, `"` or `\`), or `b.len()`.
    fn find_escape(self, b: &[u8], i: usize) -> usize;
}

/// Eight bytes at a time, on any CPU (`crate::format::find_escape`).
#[derive(Clone, Copy)]
pub(super) struct Portable;

impl Strings for Portable {
    #[inline(always)]
    fn find_escape(self, b: &[u8], i: usize) -> usize {
        find_escape(b, i)
    }
}

/// Scans `b` as one JSON text, reporting its tokens to `e`. `None` when it
/// is not JSON (what `e` received by then is then meaningless). Strings are
/// scanned 32 bytes at a time where the CPU has AVX2 (`json::avx2`).
#[inline]
pub(crate) fn scan<E: Emit>(b: &[u8], e: &mut E) -> Option<Scan> {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = avx2::Avx2::detect() {
        return avx2::scan(avx2, b, e);
    }
    scan_with(Portable, b, e)
}

/// Whether `b` is UTF-8 and one JSON text, and where: what [`scan`]
/// returns with the `()` emitter for UTF-8 text. Found by the
/// simdjson-style validator (`json::simd`) where the CPU has AVX2 (or
/// AVX-512BW, `json::simd::avx512`), BMI1 and PCLMULQDQ; it reads every byte
/// anyway and tells whether they are all ASCII, so only text that is not
/// is read again for UTF-8. A text shorter than [`SHORT`] bytes (a scalar,
/// a one-member object such as `{"seq":123}`) goes to the scanner, whose
/// few steps cost less than the validator's padded block.
#[inline]
pub(crate) fn validate_text(b: &[u8]) -> Option<Scan> {
    #[cfg(target_arch = "x86_64")]
    if b.len() >= SHORT {
        let found = if let Some(simd) = simd::avx512::Simd512::detect() {
            Some(simd::avx512::validate(simd, b))
        } else {
            simd::Simd::detect().map(|simd| simd::validate(simd, b))
        };
        if let Some(found) = found {
            let (scan, ascii) = found?;
            return (ascii || crate::format::is_utf8(b)).then_some(scan);
        }
    }
    let scan = scan(b, &mut ())?;
    crate::format::is_utf8(b).then_some(scan)
}

/// [`validate_text`], appending all of `b` to `out` when it is JSON (and
/// nothing when not). Where the validator runs, it copies each block as it
/// reads it, which saves a pass over the text.
#[inline]
pub(crate) fn validate_text_into(b: &[u8], out: &mut Vec<u8>) -> Option<Scan> {
    #[cfg(target_arch = "x86_64")]
    if b.len() >= SHORT {
        use simd::Shape;
        use std::cell::RefCell;
        thread_local! {
            // The shape of the last text: the events of a stream mostly
            // share one (see `json::simd::shape`).
            static SHAPE: RefCell<Shape> = RefCell::default();
        }
        let found = SHAPE.with_borrow_mut(|shape| {
            let keep = |_: &Scan, ascii: bool, _: &()| ascii || crate::format::is_utf8(b);
            validate_copying(b, &mut (), out, Some(shape), keep)
        });
        if let Some(found) = found {
            return found;
        }
    }
    let scan = validate_text(b)?;
    out.extend_from_slice(b);
    Some(scan)
}

/// The validator's answer on `b` (`w` told what it watches for), with `b`
/// copied into `out`'s spare room as the validator reads it. An accepted
/// text that `keep` (given the scan, whether `b` is ASCII, and the watch)
/// also accepts is appended to `out`: `Some(Some(scan))`; else nothing is,
/// `Some(None)`. `None` where the CPU has no validator.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn validate_copying<W: canon::Watch>(
    b: &[u8],
    w: &mut W,
    out: &mut Vec<u8>,
    shape: Option<&mut simd::Shape>,
    keep: impl FnOnce(&Scan, bool, &W) -> bool,
) -> Option<Option<Scan>> {
    out.reserve(b.len());
    let dst = out.spare_capacity_mut();
    let found = if let Some(simd) = simd::avx512::Simd512::detect() {
        simd::avx512::validate_into(simd, b, w, dst, shape)
    } else {
        simd::validate_into(simd::Simd::detect()?, b, w, dst)
    };
    match found {
        Some((scan, ascii)) if keep(&scan, ascii, w) => {
            // SAFETY: the validator wrote the `b.len()` bytes after the
            // vector's length (it accepted `b`, so it read all of it), and
            // `reserve` made room for them.
            unsafe { out.set_len(out.len() + b.len()) };
            Some(Some(scan))
        }
        _ => Some(None),
    }
}

/// See [`validate_text`]: measured on 9-14 byte objects (the scanner is 8 %
/// cheaper) and 35-byte ones (the validator is 22 % cheaper).
#[cfg(target_arch = "x86_64")]
pub(super) const SHORT: usize = 16;

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
