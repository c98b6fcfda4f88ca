//! json::simd's stage 2: the grammar, run on the bytes that stage 1 found
//! (structural characters, opening quotes, first bytes of scalars), with
//! branches that the CPU learns to predict for an event's usual shape
//! (a table-driven machine was as short but waited on one look-up per
//! byte).
//! Numbers and literals are checked apart ([`scalars`]), at the scalar
//! starts of each block: any run of bytes outside strings that is not
//! whitespace or structural must be one, wherever it stands.

use super::super::scalar::number_end;
use super::super::types::{MAX_DEPTH, Watch};

/// Where a block lies, for a [`Watch`]: the text, the block's offset in
/// it, and its closing quotes (bits).
#[derive(Clone, Copy)]
pub(super) struct At<'b> {
    pub(super) b: &'b [u8],
    pub(super) base: usize,
    pub(super) closing: u64,
}

/// What may come next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum S {
    /// The value at the top.
    TopValue,
    /// Nothing: the value at the top has been read.
    TopAfter,
    /// A value or `]`, just after `[`.
    ArrFirst,
    /// A value, after a comma in an array.
    ArrValue,
    /// A comma or `]`, after a value in an array.
    ArrAfter,
    /// A key or `}`, just after `{`.
    ObjFirst,
    /// A key, after a comma in an object.
    ObjKey,
    /// A colon, after a key.
    ObjColon,
    /// A value, after a colon.
    ObjValue,
    /// A comma or `}`, after a value in an object.
    ObjAfter,
}

/// The grammar, fed the bytes that stage 1 found.
pub(super) struct Stage2 {
    state: S,
    /// How many containers are open.
    depth: usize,
    /// For each open container, the state to return to after it.
    after: [S; 128],
}

impl Stage2 {
    pub(super) fn new() -> Stage2 {
        Stage2 {
            state: S::TopValue,
            depth: 0,
            after: [S::TopAfter; 128],
        }
    }

    /// Whether the bytes seen so far are one whole value.
    pub(super) fn done(&self) -> bool {
        self.state == S::TopAfter
    }

    /// Steps through the bytes of `block` set in `found`; `None` once
    /// something is wrong. An object's members and an array's elements
    /// are read in a loop of their own, one branch per byte; the state is
    /// looked at again only where a container opens or closes, and kept
    /// where the block ends. A watch `w` is told of each key (where its
    /// quotes are, from `at`) and of each object opening and closing (a
    /// text the shape memory may spare the grammar is watched from stage
    /// 1's bits instead, `json::keysig`, and this is given `()`).
    #[inline(always)]
    pub(super) fn run<W: Watch>(
        &mut self,
        block: &[u8; 64],
        mut found: u64,
        at: At<'_>,
        w: &mut W,
    ) -> Option<()> {
        // Where the byte `next!` gave last is in the block.
        let mut p: usize;
        // The next byte, or the end of the block in state `$s`.
        macro_rules! next {
            ($s:expr) => {{
                if found == 0 {
                    self.state = $s;
                    return Some(());
                }
                p = found.trailing_zeros() as usize & 63;
                let c = block[p];
                found &= found - 1;
                c
            }};
        }
        // A key's opening quote was the last byte: tell the watch.
        macro_rules! key {
            () => {
                if W::ON {
                    let after = at.closing & (!0u64 << p << 1);
                    let end = (after != 0).then(|| at.base + after.trailing_zeros() as usize);
                    w.key(at.b, at.base + p, end);
                }
            };
        }
        // A container closes.
        macro_rules! pop {
            ($obj:expr) => {{
                if W::ON && $obj {
                    w.close();
                }
                self.pop()
            }};
        }
        // The state after a value starting with `$c`, followed by `$after`
        // (`$after` itself for a string or a scalar).
        macro_rules! value {
            ($c:expr, $after:expr) => {
                match $c {
                    b'{' => {
                        if W::ON {
                            w.open();
                        }
                        self.push(S::ObjFirst, $after)?
                    }
                    b'[' => self.push(S::ArrFirst, $after)?,
                    b'}' | b']' | b':' | b',' => return None,
                    _ => $after,
                }
            };
        }
        // A member's colon and value.
        macro_rules! member {
            () => {{
                if next!(S::ObjColon) != b':' {
                    return None;
                }
                value!(next!(S::ObjValue), S::ObjAfter)
            }};
        }
        let mut state = self.state;
        loop {
            state = match state {
                S::ObjAfter => loop {
                    match next!(S::ObjAfter) {
                        b',' => {}
                        b'}' => break pop!(true),
                        _ => return None,
                    }
                    if next!(S::ObjKey) != b'"' {
                        return None;
                    }
                    key!();
                    let s = member!();
                    if s != S::ObjAfter {
                        break s;
                    }
                },
                S::ArrAfter => loop {
                    match next!(S::ArrAfter) {
                        b',' => {}
                        b']' => break pop!(false),
                        _ => return None,
                    }
                    let s = value!(next!(S::ArrValue), S::ArrAfter);
                    if s != S::ArrAfter {
                        break s;
                    }
                },
                S::ObjFirst => match next!(S::ObjFirst) {
                    b'"' => {
                        key!();
                        member!()
                    }
                    b'}' => pop!(true),
                    _ => return None,
                },
                S::ObjKey => match next!(S::ObjKey) {
                    b'"' => {
                        key!();
                        member!()
                    }
                    _ => return None,
                },
                S::ObjColon => member!(),
                S::ObjValue => value!(next!(S::ObjValue), S::ObjAfter),
                S::ArrFirst => match next!(S::ArrFirst) {
                    b']' => pop!(false),
                    c => value!(c, S::ArrAfter),
                },
                S::ArrValue => value!(next!(S::ArrValue), S::ArrAfter),
                S::TopValue => value!(next!(S::TopValue), S::TopAfter),
                // Nothing may follow the value at the top.
                S::TopAfter => {
                    self.state = S::TopAfter;
                    return (found == 0).then_some(());
                }
            };
        }
    }

    /// [`Stage2::run`] on a sequence of found bytes, gathered from their
    /// blocks (`json::simd::shape`): the grammar sees the same bytes in the same
    /// order. No watch is told anything.
    pub(super) fn feed(&mut self, seq: &[u8]) -> Option<()> {
        for chunk in seq.chunks(64) {
            let mut block = [b' '; 64];
            block[..chunk.len()].copy_from_slice(chunk);
            let found = u64::MAX >> (64 - chunk.len());
            let at = At {
                b: &[],
                base: 0,
                closing: 0,
            };
            self.run(&block, found, at, &mut ())?;
        }
        Some(())
    }

    #[inline(always)]
    fn push(&mut self, open: S, after: S) -> Option<S> {
        if self.depth >= MAX_DEPTH as usize {
            return None;
        }
        self.after[self.depth & 127] = after;
        self.depth += 1;
        Some(open)
    }

    #[inline(always)]
    fn pop(&mut self) -> S {
        self.depth -= 1;
        self.after[self.depth & 127]
    }
}

/// The bytes that may follow a number or literal.
static DELIMITER: [bool; 256] = {
    let mut t = [false; 256];
    let s = b" \t\n\r{}[]:,\"";
    let mut i = 0;
    while i < s.len() {
        t[s[i] as usize] = true;
        i += 1;
    }
    t
};

/// Checks the number or literal at each set bit of `starts` (the first
/// bytes of runs outside strings that are neither whitespace nor
/// structural) in `block`, at `base` in `b`; each that is not a literal
/// or a short integer (written as `jq -c` writes it) is shown to `w`.
#[inline(always)]
pub(super) fn scalars<W: Watch>(
    b: &[u8],
    block: &[u8; 64],
    base: usize,
    mut starts: u64,
    w: &mut W,
) -> Option<()> {
    while starts != 0 {
        let p = starts.trailing_zeros() as usize & 63;
        starts &= starts - 1;
        let plain = scalar(b, base + p, block[p])?;
        if W::ON && !plain {
            w.scalar(b, base + p);
        }
    }
    Some(())
}

/// The number or literal starting with `c` at `b[i]`, which must end where
/// its run of bytes ends: whether it is a literal or an integer of at most
/// 16 digits (`false` tells nothing).
#[inline(always)]
fn scalar(b: &[u8], i: usize, c: u8) -> Option<bool> {
    let (end, plain) = match c {
        b'1'..=b'9' => {
            // Most numbers are integers of up to 16 digits (counts, IDs,
            // epoch times), all within the f64 range: when one of the next
            // sixteen (or, near the end, eight) bytes ends the digits and
            // is a delimiter, that is all.
            let sixteen = b.get(i + 1..i + 17);
            if let Some(next) = sixteen.and_then(|w| <&[u8; 16]>::try_from(w).ok()) {
                let x = u128::from_le_bytes(*next);
                let mut n = digits(x as u64);
                if n == 8 {
                    n += digits((x >> 64) as u64);
                }
                if n < 16 && DELIMITER[usize::from(next[n & 15])] {
                    return Some(true);
                }
            } else if let Some(next) = b
                .get(i + 1..i + 9)
                .and_then(|w| <&[u8; 8]>::try_from(w).ok())
            {
                let n = digits(u64::from_le_bytes(*next));
                if n < 8 && DELIMITER[usize::from(next[n & 7])] {
                    return Some(true);
                }
            }
            (number_end(b, i)?, false)
        }
        b'0' | b'-' => (number_end(b, i)?, false),
        b't' => (literal(b, i, b"true")?, true),
        b'f' => (literal(b, i, b"false")?, true),
        b'n' => (literal(b, i, b"null")?, true),
        _ => return None,
    };
    match b.get(end) {
        Some(&d) => DELIMITER[usize::from(d)].then_some(plain),
        None => Some(plain),
    }
}

/// How many of the eight bytes of `x` (little-endian) are ASCII digits
/// before the first that is not (8 when all are).
#[inline(always)]
pub(super) fn digits(x: u64) -> usize {
    const NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const THREES: u64 = 0x3030_3030_3030_3030;
    // A byte is a digit when its high nibble is 3, and still is after
    // adding 6 (which carries 0x3A to 0x3F out of it). A carry out of a
    // byte (0xFA and above) only reaches bytes after one that is no digit.
    let high = (x & NIBBLES) ^ THREES;
    let low = (x.wrapping_add(0x0606_0606_0606_0606) & NIBBLES) ^ THREES;
    (high | low).trailing_zeros() as usize / 8
}

#[inline(always)]
fn literal(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let end = i + word.len();
    (b.get(i..end)? == word).then_some(end)
}
