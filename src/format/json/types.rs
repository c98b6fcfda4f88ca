//! json::types: what the scanner and the validators share: where a text
//! lies ([`Scan`]), what the scanner reports as it goes ([`Emit`]), how it
//! finds the end of a string run ([`Strings`]), what a validation tells its
//! watch ([`Watch`]) and the nesting limit. A leaf: the scanner and the
//! validators import it, and it imports none of them.

use crate::format::color::{Kind, W};

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

/// What a validation tells besides its verdict, for the check that a text
/// is written as `jq -c` would write it (`json::canon`). `()` is told
/// nothing, and its validation compiles as if there were no watch. A
/// watched validation copies the text without its whitespace outside
/// strings (a plain one copies it as it is).
pub(crate) trait Watch {
    const ON: bool;
    /// The text is not as `jq -c` writes it: a DEL.
    fn spoil(&mut self);
    /// Backslashes at the set bits of `mask`, from `b[base]` on.
    fn backslashes(&mut self, b: &[u8], base: usize, mask: u64);
    /// Where the shape memory may spare the grammar (so for every block
    /// of such a text): the block at `base` in `b` (each block that is not
    /// all inside one string, once, in order; the last one padded with
    /// spaces), as bits:
    /// its colons and its `{` and `}`, its strings with their quotes, and
    /// its structural characters (all outside strings but the strings).
    /// Returns the bytes of the block to append to the watch's record,
    /// at [`Watch::room`].
    fn block(&mut self, b: &[u8], base: usize, bits: (u64, u64, u64, u64)) -> u64;
    /// Where the block's bytes for the record go: 80 bytes (the copy may
    /// write 16 past its end), else none.
    fn room(&mut self) -> &mut [std::mem::MaybeUninit<u8>];
    /// That many were written there.
    fn wrote(&mut self, n: usize);
    /// Told by the grammar, where it runs on every block (no shape): an
    /// object opens, or closes; a key's opening quote is at `at` in `b`,
    /// its closing quote at `end`, when that is in the same block. (Where
    /// the shape memory may spare the grammar, `block` tells the same.)
    fn open(&mut self);
    fn close(&mut self);
    fn key(&mut self, b: &[u8], at: usize, end: Option<usize>);
    /// A number or literal starts at `at` in `b`.
    fn scalar(&mut self, b: &[u8], at: usize);
    /// The copy took `n` bytes of the caller's room.
    fn copied(&mut self, n: usize);
}

impl Watch for () {
    const ON: bool = false;
    #[inline(always)]
    fn spoil(&mut self) {}
    #[inline(always)]
    fn backslashes(&mut self, _: &[u8], _: usize, _: u64) {}
    #[inline(always)]
    fn block(&mut self, _: &[u8], _: usize, _: (u64, u64, u64, u64)) -> u64 {
        0
    }
    #[inline(always)]
    fn room(&mut self) -> &mut [std::mem::MaybeUninit<u8>] {
        &mut []
    }
    #[inline(always)]
    fn wrote(&mut self, _: usize) {}
    #[inline(always)]
    fn open(&mut self) {}
    #[inline(always)]
    fn close(&mut self) {}
    #[inline(always)]
    fn key(&mut self, _: &[u8], _: usize, _: Option<usize>) {}
    #[inline(always)]
    fn scalar(&mut self, _: &[u8], _: usize) {}
    #[inline(always)]
    fn copied(&mut self, _: usize) {}
}
