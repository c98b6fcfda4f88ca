//! data: a tight loop over consecutive `data:` lines.
//!
//! Multi-line data is the one place where a stream has many lines in a row
//! that all do the same thing: append their value and an LF to the data
//! buffer. Going through `line` and `field` for each costs a field dispatch
//! and per-line state kept in memory; here a run of such lines is taken in
//! one loop that keeps the buffer's length in a register and copies a
//! short value into the buffer as one fixed-size 64-byte block.
//!
//! The loop finds line ends the way simdjson finds structural characters:
//! 64-byte blocks from the run's start, one after another, each masked for
//! its LF and CR bytes (the LF of a CRLF is no end of its own, also when
//! the CR ends the block before), and the ends taken off the mask one bit
//! at a time. Where a block starts does not depend on where a line starts,
//! so finding the next end waits for no load and no mask (masking from
//! each line's start instead would chain every line's end to the one
//! before it through a load, two compares and a mask; the measurements are
//! in `benches/RESULTS.md`).
//!
//! The loop takes only what it can take without any of the parser's rarer
//! states: a further `data:` line of a pending event (the first is left to
//! `line`, which keeps a one-line event in the chunk) that is not oversized,
//! whose end lies in a whole block of the chunk (and, for a CR, whose next
//! byte is in the chunk, to tell CRLF from CR), and which keeps the data
//! within the cap. Anything else ends the run and is left to `line`, which
//! handles every case: the loop changes how fast lines are taken, never
//! what they mean.
//!
//! On x86-64 CPUs with AVX2 (checked at run time; std caches the answer)
//! the loop is compiled a second time with the block masks taken 32 bytes
//! at a time (AVX-512's 64-byte compares measured slower); elsewhere
//! it uses the parser's own 64-byte search (SSE2, or words), and a test
//! checks that both take the same lines.

use super::{Parser, append_line};

/// The bytes of a block the loop masks, and of a short value's copy.
const BLOCK: usize = 64;

/// A way to find the LF and the CR bytes of a block: bit n for byte n.
trait Masks: Copy {
    fn masks(self, block: &[u8; BLOCK]) -> (u64, u64);
}

/// The parser's own block search (SSE2 on x86-64, words elsewhere).
#[derive(Clone, Copy)]
struct Portable;

impl Masks for Portable {
    #[inline(always)]
    fn masks(self, block: &[u8; BLOCK]) -> (u64, u64) {
        super::ends::split_masks(block)
    }
}

impl Parser {
    /// Take the run of further `data:` lines that starts at `pos` (a line
    /// start, no partial line), as far as the loop can (see the module
    /// comment); returns where the first line not taken starts (`pos` if
    /// none was).
    #[inline]
    pub(super) fn data_lines(&mut self, chunk: &[u8], pos: usize) -> usize {
        let Some(head) = chunk.get(pos..pos + 5) else {
            return pos;
        };
        if self.oversized || head != b"data:" {
            return pos;
        }
        // The pending data is now to be appended to: it must be in the buffer.
        self.keep_data(chunk);
        debug_assert_eq!(self.data.len(), self.data_len);
        let (max, buf) = (self.data_max, &mut self.data);
        #[cfg(target_arch = "x86_64")]
        let next = match avx2::Avx2::detect() {
            Some(proof) => avx2::run(proof, buf, chunk, pos, max),
            None => run(Portable, buf, chunk, pos, max),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let next = run(Portable, buf, chunk, pos, max);
        self.data_len = buf.len();
        next
    }
}

/// The loop (see the module comment): appends the values of the `data:`
/// lines from `pos` on to `buf`, each with an LF, while they fit under
/// `max`; returns where the first line not taken starts.
#[inline(always)]
fn run<M: Masks>(masks: M, buf: &mut Vec<u8>, chunk: &[u8], mut pos: usize, max: usize) -> usize {
    let mut len = buf.len();
    let mut base = buf.as_mut_ptr();
    let mut cap = buf.capacity();
    let mut carry = 0;
    let mut at = pos;
    'blocks: while let Some(block) = chunk.get(at..).and_then(<[u8]>::first_chunk::<BLOCK>) {
        // The line ends in the block (the LF of a CRLF is no end of its
        // own), found from the block alone, not from where lines start.
        let (lf, cr) = masks.masks(block);
        let mut m = (lf | cr) & !(lf & (cr << 1 | carry));
        carry = cr >> 63;
        // The CRs whose LF follows in the block: whether a line ends in
        // CRLF comes from the masks, without loading its bytes.
        let crlfs = cr & lf >> 1;
        while m != 0 {
            let bit = m.trailing_zeros();
            let e = at + bit as usize;
            m &= m - 1;
            let Some(line) = chunk.get(pos..e) else {
                break 'blocks;
            };
            if line.len() < 5 || line[..5] != *b"data:" {
                break 'blocks;
            }
            let crlf = if bit == 63 && carry != 0 {
                // A CR that ends the block: its LF would be the next one's.
                match chunk.get(e + 1) {
                    Some(b'\n') => 1,
                    Some(_) => 0,
                    None => break 'blocks,
                }
            } else {
                (crlfs >> bit) as usize & 1
            };
            let space = usize::from(line.get(5) == Some(&b' '));
            let start = pos + 5 + space;
            let n = e - start;
            let total = len + n + 1;
            if total > max {
                break 'blocks;
            }
            if n < BLOCK
                && cap - len >= BLOCK
                && let Some(block) = chunk.get(start..start + BLOCK)
            {
                // SAFETY: `base` is the buffer's pointer and `cap` its
                // capacity (both re-read after any reallocation), `len` its
                // initialised length; the BLOCK bytes written at `len` lie
                // within the capacity (checked above) and come from
                // `block`, in the caller's chunk, which is not the buffer.
                // Bytes up to `len + n + 1` are then initialised: the `n`
                // of the value (n < BLOCK), then the LF.
                unsafe {
                    let dst = base.add(len);
                    std::ptr::copy_nonoverlapping(block.as_ptr(), dst, BLOCK);
                    dst.add(n).write(b'\n');
                }
            } else {
                // SAFETY: the first `len` bytes are initialised (as above).
                unsafe { buf.set_len(len) };
                append_line(buf, chunk, start, n, max);
                base = buf.as_mut_ptr();
                cap = buf.capacity();
            }
            len = total;
            pos = e + 1 + crlf;
        }
        at += BLOCK;
    }
    // SAFETY: the first `len` bytes are initialised (see above), and `len`
    // is within the capacity.
    unsafe { buf.set_len(len) };
    pos
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BLOCK, Masks};
    pub(super) use crate::cpu::Avx2;
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    /// The loop, with the block masks found 32 bytes at a time.
    #[inline]
    pub(super) fn run(
        avx2: Avx2,
        buf: &mut Vec<u8>,
        chunk: &[u8],
        pos: usize,
        max: usize,
    ) -> usize {
        // SAFETY: `avx2` exists, so the CPU has AVX2.
        unsafe { run_avx2(avx2, buf, chunk, pos, max) }
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(s: Avx2, buf: &mut Vec<u8>, chunk: &[u8], pos: usize, max: usize) -> usize {
        super::run(s, buf, chunk, pos, max)
    }

    impl Masks for Avx2 {
        #[inline(always)]
        fn masks(self, block: &[u8; BLOCK]) -> (u64, u64) {
            // SAFETY: `self` proves the CPU has AVX2; the two loads read
            // bytes 0..32 and 32..64 of `block` and need no alignment.
            unsafe {
                let x =
                    [0, 32].map(|k| _mm256_loadu_si256(block.as_ptr().add(k).cast::<__m256i>()));
                let bits = |c: u8| {
                    let c = _mm256_set1_epi8(c as i8);
                    let half = |x| u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, c)) as u32);
                    half(x[0]) | half(x[1]) << 32
                };
                (bits(b'\n'), bits(b'\r'))
            }
        }
    }
}

#[cfg(test)]
mod tests;
