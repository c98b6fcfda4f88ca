//! The walk that builds the part of a JSON text a `--jq` program can see,
//! over text the validator has already accepted (`build`): it does not
//! check the grammar again, it only follows it. A member that is not
//! needed is passed over by searching for what ends it: a string's closing
//! quote (past its escapes), a container's closing bracket (counting only
//! brackets of its own kind, outside strings: the other kind is balanced
//! inside it), a number's or literal's delimiter; the searches look at 16
//! bytes at a time. (The scanner, with a builder told of every token,
//! would check the grammar of all of the data again to build a few
//! members of it: three times the instructions on Wikimedia's events.)
//!
//! The text is the copy `build` makes, padded with spaces ([`PAD`]): a
//! search always meets its byte before the padding ends. Should the text
//! not be JSON after all (a bug elsewhere), the walk still ends, without a
//! panic, with some value.

use super::build::{number, unescape};
use super::need::Need;
use bytes::Bytes;
use jaq_json::{Map, Val};

/// The spaces after the text in the copy the walk reads.
pub const PAD: usize = 16;

/// What is needed of an array's elements, and of everything inside a
/// value needed whole.
static WHOLE: Need = Need {
    whole: true,
    kids: Vec::new(),
};

/// A walk over an accepted JSON text: the copy (`src`, padded), and where
/// it is.
pub struct Pick<'a, 'v> {
    src: &'a Bytes,
    b: &'a [u8],
    i: usize,
    /// The values of the open arrays, the keys and values of the open
    /// objects, innermost last.
    vals: &'v mut Vec<Val>,
}

impl<'a, 'v> Pick<'a, 'v> {
    /// A walk from the start of `src`, which starts with the text's value.
    pub fn new(src: &'a Bytes, vals: &'v mut Vec<Val>) -> Pick<'a, 'v> {
        Pick {
            src,
            b: src.as_ref(),
            i: 0,
            vals,
        }
    }

    /// The byte at the walk (a space past the end).
    #[inline(always)]
    fn at(&self) -> u8 {
        self.b.get(self.i).copied().unwrap_or(b' ')
    }

    /// Past whitespace (bytes up to a space are whitespace outside strings
    /// in an accepted text).
    #[inline(always)]
    fn ws(&mut self) {
        // Compact text has none: one look.
        if self.b.get(self.i).is_some_and(|&c| c <= b' ') {
            self.i = first::<SOLID>(self.b, self.i + 1);
        }
    }

    /// The value at the walk, built as far as `need` names it.
    pub fn value(&mut self, need: &Need) -> Val {
        match self.at() {
            b'{' => self.object(need),
            b'[' => self.array(),
            b'"' => {
                let (start, end, escaped) = self.string();
                self.text(start, end, escaped)
            }
            b't' => {
                self.i += 4;
                Val::Bool(true)
            }
            b'f' => {
                self.i += 5;
                Val::Bool(false)
            }
            b'n' => {
                self.i += 4;
                Val::Null
            }
            _ => {
                let start = self.i;
                self.scalar_end();
                Val::Num(number(self.b.get(start..self.i).unwrap_or_default()))
            }
        }
    }

    /// An object (at its `{`) with the members `need` names.
    fn object(&mut self, need: &Need) -> Val {
        let start = self.vals.len();
        self.i += 1;
        self.ws();
        if self.at() == b'}' {
            self.i += 1;
            return Val::obj(Map::default());
        }
        loop {
            let (ks, ke, escaped) = self.string();
            let key = self.b.get(ks..ke).unwrap_or_default();
            let kid = match (need.whole, escaped) {
                (true, _) => Some(need),
                (false, false) => need.kid(key),
                (false, true) => need.kid(&unescape(key)),
            };
            self.ws();
            // The colon.
            self.i += 1;
            self.ws();
            match kid {
                Some(kid) => {
                    let k = self.text(ks, ke, escaped);
                    self.vals.push(k);
                    let v = self.value(kid);
                    self.vals.push(v);
                }
                None => self.skip(),
            }
            if !self.next_item() {
                break;
            }
        }
        let n = (self.vals.len() - start) / 2;
        let mut m = Map::with_capacity_and_hasher(n, Default::default());
        let mut members = self.vals.drain(start..);
        // A repeated key keeps its first place and takes the last value,
        // as in jq.
        while let (Some(k), Some(v)) = (members.next(), members.next()) {
            m.insert(k, v);
        }
        Val::obj(m)
    }

    /// After a member or an item: past the `,` and the whitespace to the
    /// next one (true), or past the closing bracket (false).
    #[inline(always)]
    fn next_item(&mut self) -> bool {
        self.ws();
        let c = self.at();
        self.i += 1;
        if c != b',' {
            return false;
        }
        self.ws();
        true
    }

    /// An array (at its `[`), whole.
    fn array(&mut self) -> Val {
        let start = self.vals.len();
        self.i += 1;
        self.ws();
        if self.at() == b']' {
            self.i += 1;
            return Val::Arr(Vec::new().into());
        }
        loop {
            let v = self.value(&WHOLE);
            self.vals.push(v);
            if !self.next_item() {
                break;
            }
        }
        let items: Vec<Val> = self.vals.drain(start..).collect();
        Val::Arr(items.into())
    }

    /// Past the value at the walk, building nothing.
    fn skip(&mut self) {
        match self.at() {
            b'"' => {
                self.string();
            }
            b'{' => self.skip_container::<OBJECT>(b'{'),
            b'[' => self.skip_container::<ARRAY>(b'['),
            _ => self.scalar_end(),
        }
    }

    /// Past an object or array (`T`, at its opening bracket `open`): the
    /// closing bracket that balances it.
    fn skip_container<const T: u8>(&mut self, open: u8) {
        let mut depth = 0usize;
        loop {
            let j = first::<T>(self.b, self.i);
            let Some(&c) = self.b.get(j) else {
                self.i = j;
                return;
            };
            if c == b'"' {
                self.i = j;
                self.string();
                continue;
            }
            self.i = j + 1;
            if c == open {
                depth += 1;
            } else {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
        }
    }

    /// Past a string (at its opening quote): where its text starts and
    /// ends, and whether it has an escape.
    #[inline]
    fn string(&mut self) -> (usize, usize, bool) {
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            j = first::<STRING>(self.b, j);
            if self.b.get(j) == Some(&b'\\') {
                escaped = true;
                j += 2;
                continue;
            }
            break;
        }
        self.i = j + 1;
        (start, j.max(start), escaped)
    }

    /// The string value of the text between `start` and `end`: a slice of
    /// the copy, or unescaped.
    fn text(&self, start: usize, end: usize, escaped: bool) -> Val {
        if end > self.b.len() {
            return Val::utf8_str(Bytes::new());
        }
        match escaped {
            false => Val::utf8_str(self.src.slice(start..end)),
            true => Val::utf8_str(unescape(&self.b[start..end])),
        }
    }

    /// Past a number or literal: to the first delimiter.
    #[inline]
    fn scalar_end(&mut self) {
        self.i = first::<DELIM>(self.b, self.i);
    }
}

/// What [`first`] looks for: `"` or `\\` (the end of a string's run);
/// `"`, `{` or `}` (what counts in an object passed over); the same with
/// `[` and `]`; a byte that is not whitespace; a delimiter (`,}]` or
/// whitespace, the end of a number or literal).
const STRING: u8 = 0;
const OBJECT: u8 = 1;
const ARRAY: u8 = 2;
const SOLID: u8 = 3;
const DELIM: u8 = 4;

/// Whether byte `c` is what `T` looks for.
#[inline(always)]
fn hit<const T: u8>(c: u8) -> bool {
    match T {
        STRING => c == b'"' || c == b'\\',
        OBJECT => matches!(c, b'"' | b'{' | b'}'),
        ARRAY => matches!(c, b'"' | b'[' | b']'),
        SOLID => c > b' ',
        _ => matches!(c, b',' | b'}' | b']') || c <= b' ',
    }
}

/// The index of the first byte at or after `i` in `b` that `T` looks for
/// (`b.len()` at least when there is none), 16 bytes at a time.
#[inline(always)]
fn first<const T: u8>(b: &[u8], mut i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = b.get(i..i + 16) {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_min_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of x86_64; the load reads the 16 bytes of
        // `chunk` and needs no alignment.
        let hits = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
            let found = match T {
                STRING => _mm_or_si128(eq(b'"'), eq(b'\\')),
                OBJECT => _mm_or_si128(_mm_or_si128(eq(b'"'), eq(b'{')), eq(b'}')),
                ARRAY => _mm_or_si128(_mm_or_si128(eq(b'"'), eq(b'[')), eq(b']')),
                // Bytes above the space: unchanged by a max with 0x21.
                SOLID => _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x21)), v),
                // Whitespace: bytes up to the space, unchanged by a min with it.
                _ => {
                    let space = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
                    _mm_or_si128(
                        _mm_or_si128(space, eq(b',')),
                        _mm_or_si128(eq(b'}'), eq(b']')),
                    )
                }
            };
            _mm_movemask_epi8(found) as u32
        };
        if hits != 0 {
            return i + hits.trailing_zeros() as usize;
        }
        i += 16;
    }
    while let Some(&c) = b.get(i) {
        if hit::<T>(c) {
            return i;
        }
        i += 1;
    }
    b.len().max(i)
}

#[cfg(test)]
#[path = "pick_proptests.rs"]
mod proptests;
