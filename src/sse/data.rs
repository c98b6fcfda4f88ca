//! data: a tight loop over consecutive `data:` lines.
//!
//! Multi-line data is the one place where a stream has many lines in a row
//! that all do the same thing: append their value and an LF to the data
//! buffer. Going through `line` and `field` for each costs a field dispatch
//! and per-line state kept in memory; here a run of such lines is taken in
//! one loop that keeps the buffer's length in a register and finds each
//! line's end with two 64-byte masks (its LF and its CR bytes) of the block
//! after `data:`, then copies the value's 64 bytes into the buffer as one
//! fixed-size block.
//!
//! Each line's end is where the next line starts, so the loop runs as fast
//! as that chain of steps: the masks come from a block at a fixed place
//! (not after the optional space, which would add a byte's load and test
//! to the chain), and CRLF is told from CR alone by the masks' bits (not
//! by loading the bytes after the end). This took `-f data` over 130 MB of
//! multi-line CRLF events from 55 to 48 ms of CPU, for the same output.
//!
//! The loop takes only what it can take without any of the parser's rarer
//! states: a further `data:` line of a pending event (the first is left to
//! `line`, which keeps a one-line event in the chunk) that is not oversized,
//! whose terminator lies in the first 63 bytes after `data:` (so the byte
//! after it, which tells CRLF from CR, is in the block too), whose window
//! lies in the chunk, and which keeps the data within the cap. Anything
//! else ends the run and is left to `line`, which handles every case: the
//! loop changes how fast lines are taken, never what they mean.
//!
//! On x86-64 CPUs with AVX2 (checked at run time; std caches the answer)
//! the loop is compiled a second time with the block masks taken 32 bytes
//! at a time (AVX-512's 64-byte compares measured 2 % slower); elsewhere
//! it uses the parser's own 64-byte search (SSE2, or words), and a test
//! checks that both take the same lines.

use super::{Parser, append_line};

/// The bytes the loop masks and copies: the 64 after a line's `data:`.
const BLOCK: usize = 64;

/// The bytes the loop reads from a line's start: `data:`, the block after
/// it, whose LF and CR bits find the line's end, and one more byte for the
/// value's copy, which starts after the space when there is one.
const WINDOW: usize = 5 + BLOCK + 1;

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
        let (max, buf) = (self.max, &mut self.data);
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
    while let Some(w) = chunk.get(pos..).and_then(<[u8]>::first_chunk::<WINDOW>) {
        if w[..5] != *b"data:" {
            break;
        }
        // The masks come from the block at a fixed place after `data:`, so
        // finding the line's end waits only for `pos`, not for the space
        // test; and the CRLF test reads bits, not bytes.
        let (lf, cr) = masks.masks(w[5..].first_chunk::<BLOCK>().unwrap_or(&[0; BLOCK]));
        let term = (lf | cr).trailing_zeros();
        // (63: the byte after a CR there is not in the block.)
        if term >= 63 {
            break;
        }
        let space = usize::from(w[5] == b' ');
        let n = term as usize - space;
        let total = len + n + 1;
        if total > max {
            break;
        }
        let block = &w[5 + space..5 + space + BLOCK];
        if cap - len >= BLOCK {
            // SAFETY: `base` is the buffer's pointer and `cap` its capacity
            // (both re-read after any reallocation), `len` its initialised
            // length; the BLOCK bytes written at `len` lie within the
            // capacity (checked above) and come from `block`, in the
            // caller's chunk, which is not the buffer. Bytes up to
            // `len + n + 1` are then initialised: the `n` of the value
            // (n < BLOCK), then the LF.
            unsafe {
                let dst = base.add(len);
                std::ptr::copy_nonoverlapping(block.as_ptr(), dst, BLOCK);
                dst.add(n).write(b'\n');
            }
        } else {
            // SAFETY: the first `len` bytes are initialised (as above).
            unsafe { buf.set_len(len) };
            append_line(buf, chunk, pos + 5 + space, n, max);
            base = buf.as_mut_ptr();
            cap = buf.capacity();
        }
        len = total;
        let crlf = (cr >> term) & (lf >> (term + 1)) & 1;
        pos += 5 + term as usize + 1 + crlf as usize;
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
