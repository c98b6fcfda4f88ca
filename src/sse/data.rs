//! data: a tight loop over consecutive `data:` lines.
//!
//! Multi-line data is the one place where a stream has many lines in a row
//! that all do the same thing: append their value and an LF to the data
//! buffer. Going through `line` and `field` for each costs a field dispatch
//! and per-line state kept in memory; here a run of such lines is taken in
//! one loop that keeps the buffer's length in a register and finds each
//! line's end with one 64-byte mask from its value's start, the same 64
//! bytes it then copies into the buffer as one fixed-size block.
//!
//! The loop takes only what it can take without any of the parser's rarer
//! states: a further `data:` line of a pending event (the first is left to
//! `line`, which keeps a one-line event in the chunk) that is not oversized,
//! whose value is shorter than 64 bytes, whose value and terminator and one
//! byte after it (to tell CRLF from CR) lie in the chunk, and which keeps
//! the data within the cap. Anything else ends the run and is left to
//! `line`, which handles every case: the loop changes how fast lines are
//! taken, never what they mean.
//!
//! On x86-64 CPUs with AVX2 (checked at run time; std caches the answer)
//! the loop is compiled a second time with the block mask taken 32 bytes
//! at a time; elsewhere it uses the parser's own 64-byte search (SSE2, or
//! words), and a test checks that both take the same lines.

use super::{Parser, append_line};

/// The bytes the loop reads from a value's start: its mask and its copy.
const BLOCK: usize = 64;

/// The bytes the loop reads from a line's start: `data: `, the value's
/// block (from byte 5 or 6) and the byte after it (CRLF or CR alone).
const WINDOW: usize = 6 + BLOCK + 1;

/// A way to find the CR and LF bytes of a block: bit n for byte n.
trait Masks: Copy {
    fn mask(self, block: &[u8; BLOCK]) -> u64;
}

/// The parser's own block search (SSE2 on x86-64, words elsewhere).
#[derive(Clone, Copy)]
struct Portable;

impl Masks for Portable {
    #[inline(always)]
    fn mask(self, block: &[u8; BLOCK]) -> u64 {
        super::ends::full_mask(block)
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
        let skip = 5 + usize::from(w[5] == b' ');
        let Some(block) = w[skip..].first_chunk::<BLOCK>() else {
            break;
        };
        let mask = masks.mask(block);
        if mask == 0 {
            break;
        }
        let n = (mask.trailing_zeros() & 63) as usize;
        let total = len + n + 1;
        if total > max {
            break;
        }
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
            append_line(buf, chunk, pos + skip, n, max);
            base = buf.as_mut_ptr();
            cap = buf.capacity();
        }
        len = total;
        // The terminator (at most byte 69 of the window) and the byte after it.
        let end = skip + n;
        let crlf = u16::from_le_bytes([w[end], w[end + 1]]) == u16::from_le_bytes(*b"\r\n");
        pos += end + 1 + usize::from(crlf);
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
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
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
        fn mask(self, block: &[u8; BLOCK]) -> u64 {
            // SAFETY: `self` proves the CPU has AVX2; the two loads read
            // bytes 0..32 and 32..64 of `block` and need no alignment.
            unsafe {
                let lf = _mm256_set1_epi8(b'\n' as i8);
                let cr = _mm256_set1_epi8(b'\r' as i8);
                let half = |k: usize| {
                    let x = _mm256_loadu_si256(block.as_ptr().add(k).cast::<__m256i>());
                    let hits = _mm256_or_si256(_mm256_cmpeq_epi8(x, lf), _mm256_cmpeq_epi8(x, cr));
                    u64::from(_mm256_movemask_epi8(hits) as u32)
                };
                half(0) | half(32) << 32
            }
        }
    }
}

#[cfg(test)]
mod tests;
