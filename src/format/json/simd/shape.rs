//! json::simd::shape: the validator's memory of the last text's shape. Stage 2
//! (the grammar) sees only the bytes that stage 1 found: structural
//! characters, opening quotes and the first bytes of numbers and literals,
//! in order; and of the last it tells only that a value is there. Its
//! verdict is a function of that sequence, with each number or literal
//! written `0`. So a text whose sequence is exactly that of the last one
//! the grammar accepted is accepted without running it. The events of a
//! stream mostly share a shape (the same keys in the same order: a change
//! feed's records, an LLM API's chunks), and gathering the sequence (one
//! compress and store per block, with AVX-512VBMI2) and comparing it costs
//! a fraction of the grammar's steps.
//!
//! Everything else is checked on every text as before: stage 1 (strings,
//! escapes, control bytes), each number and literal (`scalars`), UTF-8. A
//! sequence that differs goes through the grammar, and one longer than
//! [`CAP`] does as the text is read: the verdict is the same either way,
//! the memory only saves work. It is kept per thread, by the one caller
//! that validates a stream's events (`json::validate_text_into`).

use super::grammar::Stage2;
use super::vectors::Vectors;

/// The longest sequence remembered (bytes). A text with more structural
/// bytes goes through the grammar as it is read, as without a memory.
pub(super) const CAP: usize = 1024;

/// The sequence of the last text the grammar accepted (if it was short
/// enough to keep), and room to gather the next one's.
#[derive(Default)]
pub(crate) struct Shape {
    last: Vec<u8>,
    /// The text being read: CAP + 64 bytes once it is first used.
    seq: Vec<u8>,
    len: usize,
}

impl Shape {
    /// Starts gathering a text's sequence.
    #[inline(always)]
    pub(super) fn begin(&mut self) {
        if self.seq.is_empty() {
            self.seq = vec![0; CAP + 64];
        }
        self.len = 0;
    }

    /// Appends the bytes of block `x` set in `found`, in order, those in
    /// `starts` (numbers and literals) as `0`; `false` (and nothing
    /// appended) when they might not fit.
    #[inline(always)]
    pub(super) fn push<V: Vectors>(&mut self, v: V, x: V::Block, found: u64, starts: u64) -> bool {
        // `seq` is CAP + 64 long: there is room while `len` is at most CAP.
        let Some(room) = self.seq.get_mut(self.len..self.len + 64) else {
            return false;
        };
        // SAFETY: `room` holds 64 bytes.
        self.len += unsafe { v.gather(x, found, starts, room.as_mut_ptr()) };
        true
    }

    /// What was gathered.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.seq[..self.len]
    }

    /// Whether the grammar accepts the gathered sequence (fed to `s2`, to
    /// which nothing was fed yet): a sequence equal to the remembered one
    /// is accepted as it was; another is fed to `s2`, and remembered when
    /// accepted and short enough.
    pub(super) fn accepts(&mut self, s2: &mut Stage2) -> bool {
        let seq = &self.seq[..self.len];
        if !self.last.is_empty() && self.last == seq {
            return true;
        }
        if s2.feed(seq).is_none() || !s2.done() {
            return false;
        }
        if seq.len() <= CAP {
            self.last.clear();
            self.last.extend_from_slice(seq);
        }
        true
    }
}

/// [`Vectors::gather`] a byte at a time, for vectors without a compress,
/// which are given no shape (this is slower than the grammar it would
/// spare).
///
/// # Safety
/// `dst` is valid for writes of 64 bytes.
#[inline(always)]
pub(in crate::format) unsafe fn one_by_one<V: Vectors>(
    v: V,
    x: V::Block,
    found: u64,
    starts: u64,
    dst: *mut u8,
) -> usize {
    let mut bytes = [0u8; 64];
    // SAFETY: `bytes` takes 64 bytes.
    unsafe { v.store(x, bytes.as_mut_ptr()) };
    let mut n = 0;
    let mut rest = found;
    while rest != 0 {
        let p = rest.trailing_zeros() as usize & 63;
        let c = match starts >> p & 1 {
            1 => b'0',
            _ => bytes[p],
        };
        // SAFETY: at most 64 bytes, which the caller's `dst` takes.
        unsafe { dst.add(n).write(c) };
        rest &= rest - 1;
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::super::tests::{SHAPE, check};
    use super::Shape;

    /// The sequence `check` remembered last: `want` where the CPU gathers
    /// (else none).
    fn remembered(want: &[u8]) {
        let gathers = super::super::avx512::Simd512::detect().is_some_and(|s| s.gathers());
        let last = SHAPE.with_borrow(|s: &Shape| s.last.clone());
        match gathers {
            true => assert_eq!(last, want, "{}", String::from_utf8_lossy(&last)),
            false => assert!(last.is_empty()),
        }
    }

    #[test]
    fn numbers_and_literals_share_a_shape() {
        assert!(check(br#"{"id":12,"ok":[true,"x",null],"n":{"m":-1.5}}"#).is_some());
        remembered(br#"{":0,":[0,",0],":{":0}}"#);
        // Same shape, other values: accepted, and the same sequence kept.
        assert!(check(br#" {"id":7 , "ok":[false,"yy",0],"n":{"m":3}} "#).is_some());
        remembered(br#"{":0,":[0,",0],":{":0}}"#);
    }

    #[test]
    fn a_remembered_shape_spares_only_the_grammar() {
        let good = br#"{"a":1,"b":[2,3],"c":"s"}"#;
        for bad in [
            // The same sequence, with a bad number, literal or string.
            &br#"{"a":01,"b":[2,3],"c":"s"}"#[..],
            br#"{"a":tru,"b":[2,3],"c":"s"}"#,
            br#"{"a":x,"b":[2,3],"c":"s"}"#,
            br#"{"a":1,"b":[2,3],"c":"\q"}"#,
            br#"{"a":1,"b":[2,3],"c":"s}"#,
            // Sequences as long as the good one's, in another order.
            br#"{"a":1:"b":[2,3],"c":"s"}"#,
            br#"{"a":1,"b":[2,3}]"c":"s"}"#,
            br#"["a":1,"b":[2,3],"c":"s"]"#,
            // Shorter and longer.
            br#"{"a":1,"b":[2,3],"c":"s""#,
            br#"{"a":1,"b":[2,3],"c":"s"}}"#,
            br#"{"a":1,"b":[2,3],"c":"s"} 1"#,
        ] {
            assert!(check(good).is_some());
            assert!(check(good).is_some());
            assert_eq!(check(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        remembered(br#"{":0,":[0,0],":"}"#);
    }

    #[test]
    fn sequences_longer_than_the_cap_go_through_the_grammar() {
        let n = super::CAP;
        let long = format!("[{}1]", "1,".repeat(n));
        let broken = format!("[{}1,]", "1,".repeat(n));
        for _ in 0..2 {
            assert!(check(long.as_bytes()).is_some());
            assert_eq!(check(broken.as_bytes()), None);
        }
        // Too long to remember.
        remembered(b"");
        let short = format!("[{}1]", "1,".repeat(n / 2 - 2));
        assert!(check(short.as_bytes()).is_some());
        assert!(check(short.as_bytes()).is_some());
        remembered(format!("[{}0]", "0,".repeat(n / 2 - 2)).as_bytes());
    }
}
