//! json::simd's stage 1 after the vector compares: from a block's quotes,
//! backslashes and control bytes to the bytes stage 2 must look at, with
//! the state carried from one block to the next (inside a string, after an
//! escaping backslash, inside a run of scalar bytes), and the checks of
//! control bytes and escapes where a block has them.

use super::vectors::Vectors;

/// What stage 1 found in a block, as bits (bit n for byte n).
pub(super) struct Bits {
    /// What stage 2 must look at: structural characters outside strings,
    /// opening quotes, and the first bytes of scalars.
    pub(super) found: u64,
    /// The first bytes of scalars (numbers, literals, or garbage).
    pub(super) starts: u64,
    /// Whitespace outside strings.
    pub(super) ws_outside: u64,
    /// `{}[]:,` outside strings.
    pub(super) structural: u64,
    /// Strings, with their quotes, and the quotes that close them.
    pub(super) strings: u64,
    pub(super) closing: u64,
}

/// Stage 1's state from one block to the next.
pub(super) struct Stage1 {
    /// 1 when the next block's first byte is escaped (this one ended in an
    /// odd run of backslashes), else 0.
    pub(super) escaped: u64,
    /// All ones when the next block starts inside a string, else 0.
    pub(super) in_string: u64,
    /// 1 when this block's last byte was part of a run of scalar bytes.
    other: u64,
    /// An LF or CR was seen.
    pub(super) newline: bool,
    /// Where the `u` of the low half of the last surrogate pair is (that
    /// escape was checked with its high half).
    paired: usize,
}

impl Stage1 {
    pub(super) fn new() -> Stage1 {
        Stage1 {
            escaped: 0,
            in_string: 0,
            other: 0,
            newline: false,
            paired: usize::MAX,
        }
    }

    /// What a block holds (`x`, at `base` in `b`), as bits, given its
    /// quotes, backslashes and control bytes; `None` when the block shows
    /// that `b` is not JSON.
    #[inline(always)]
    pub(super) fn block<V: Vectors>(
        &mut self,
        v: V,
        b: &[u8],
        block: &[u8; 64],
        base: usize,
        x: V::Block,
        (quote, backslash, ctrl): (u64, u64, u64),
    ) -> Option<Bits> {
        let escaped = self.escapes(backslash);
        let quote = quote & !escaped;
        // Opening quotes and the bytes inside strings.
        let in_string = v.prefix_xor(quote) ^ self.in_string;
        self.in_string = ((in_string as i64) >> 63) as u64;
        let outside = !(in_string | quote);
        let (ws, op) = v.layout(x);
        // (`^`: the two are disjoint, and the compiler need not join them
        // as vectors again.)
        let other = outside & !(ws ^ op);
        let starts = other & !(other << 1 | self.other);
        self.other = other >> 63;
        let found = op & outside | quote & in_string | starts;
        if ctrl | escaped != 0 {
            self.rare(b, block, base, ctrl, ws & outside, escaped)?;
        }
        Some(Bits {
            found,
            starts,
            ws_outside: ws & outside,
            structural: op & outside,
            strings: in_string | quote,
            closing: quote & !in_string,
        })
    }

    /// The checks for a block with control bytes or escapes.
    #[inline(never)]
    fn rare(
        &mut self,
        b: &[u8],
        block: &[u8; 64],
        base: usize,
        ctrl: u64,
        ws_outside: u64,
        escaped: u64,
    ) -> Option<()> {
        if ctrl != 0 {
            self.controls(block, ctrl, ws_outside)?;
        }
        if escaped != 0 {
            self.check_escapes(b, block, base, escaped)?;
        }
        Some(())
    }

    /// The characters escaped by backslashes (simdjson's `find_escaped`):
    /// the byte after each odd-numbered backslash of a run.
    #[inline(always)]
    pub(super) fn escapes(&mut self, backslash: u64) -> u64 {
        const EVEN: u64 = 0x5555_5555_5555_5555;
        if backslash == 0 {
            return std::mem::take(&mut self.escaped);
        }
        // An escaped first byte escapes nothing, even a backslash.
        let backslash = backslash & !self.escaped;
        let follows = backslash << 1 | self.escaped;
        let odd_starts = backslash & !EVEN & !follows;
        // Adding each run's start to the run carries past its end: the
        // bits past runs that start on even bits.
        let (even_ends, carry) = odd_starts.overflowing_add(backslash);
        self.escaped = u64::from(carry);
        (EVEN ^ (even_ends << 1)) & follows
    }

    /// Control bytes are whitespace outside strings or refused; LF and CR
    /// are line breaks.
    fn controls(&mut self, block: &[u8; 64], ctrl: u64, ws_outside: u64) -> Option<()> {
        if ctrl & !ws_outside != 0 {
            return None;
        }
        let mut m = ctrl;
        while m != 0 && !self.newline {
            let c = block[m.trailing_zeros() as usize & 63];
            self.newline = c == b'\n' || c == b'\r';
            m &= m - 1;
        }
        Some(())
    }

    /// Each escaped character is one of `"\/bfnrtu`; each `\u` is four hex
    /// digits, and surrogates come in pairs (`json::Cursor::escape`).
    fn check_escapes(
        &mut self,
        b: &[u8],
        block: &[u8; 64],
        base: usize,
        escaped: u64,
    ) -> Option<()> {
        let mut m = escaped;
        while m != 0 {
            let p = m.trailing_zeros() as usize & 63;
            match block[p] {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => self.unicode(b, base + p)?,
                _ => return None,
            }
            m &= m - 1;
        }
        Some(())
    }

    /// The `\u` escape whose `u` is at `b[u]`.
    fn unicode(&mut self, b: &[u8], u: usize) -> Option<()> {
        if u == self.paired {
            return Some(());
        }
        let low = 0xDC00..=0xDFFF;
        let n = hex4(b, u + 1)?;
        if low.contains(&n) {
            return None;
        }
        if (0xD800..=0xDBFF).contains(&n) {
            if b.get(u + 5..u + 7)? != b"\\u" || !low.contains(&hex4(b, u + 7)?) {
                return None;
            }
            self.paired = u + 6;
        }
        Some(())
    }
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let mut n = 0;
    for &c in b.get(i..i + 4)? {
        n = n * 16 + char::from(c).to_digit(16)?;
    }
    Some(n)
}
