//! ends: where the lines of a chunk end (its CR and LF bytes), found 64
//! bytes at a time.
//!
//! A line of an event stream is short (multi-line data: a few dozen bytes;
//! a tiny event: two lines in 20 bytes), so searching each line on its own
//! (`memchr2`) pays a call and a vector set-up per line. Here one pass over
//! a 64-byte block gives a bit for every CR and LF in it, and each line end
//! then costs a count of trailing zeros (a line longer than two blocks is
//! left to `memchr2`, faster over long runs). The blocks are found with SSE2,
//! which every x86-64 CPU has (so no run-time check is needed), and with a
//! word-at-a-time loop elsewhere.

use memchr::memchr2;

/// The line terminators of a chunk, handed out in order from any position.
pub(super) struct Ends<'a> {
    chunk: &'a [u8],
    /// The block whose terminators `mask` holds (a multiple of 64), and the
    /// terminators in it not yet passed (bit n: byte `base + n`).
    base: usize,
    mask: u64,
}

impl<'a> Ends<'a> {
    #[inline]
    pub(super) fn new(chunk: &'a [u8]) -> Ends<'a> {
        Ends {
            chunk,
            base: 0,
            mask: block_mask(chunk, 0),
        }
    }

    /// The index of the first CR or LF at or after `pos`, if any.
    #[inline]
    pub(super) fn next(&mut self, pos: usize) -> Option<usize> {
        let block = pos & !63;
        if block != self.base {
            // Positions only move forward: skip to the block of `pos`.
            self.base = block;
            self.mask = block_mask(self.chunk, block);
        }
        self.mask &= u64::MAX << (pos & 63);
        if self.mask == 0 {
            self.base += 64;
            if self.base >= self.chunk.len() {
                return None;
            }
            self.mask = block_mask(self.chunk, self.base);
            if self.mask == 0 {
                // A long line (a big event's data): memchr's wider loop
                // crosses the rest of it faster.
                let at = self.base + 64 + memchr2(b'\n', b'\r', self.chunk.get(self.base + 64..)?)?;
                self.base = at & !63;
                self.mask = block_mask(self.chunk, self.base) & u64::MAX << (at & 63);
            }
        }
        Some(self.base + self.mask.trailing_zeros() as usize)
    }
}

/// Bit n set when `chunk[base + n]` is CR or LF (bytes past the end: no bit).
#[inline]
fn block_mask(chunk: &[u8], base: usize) -> u64 {
    match chunk.get(base..base + 64) {
        Some(block) => full_mask(block.try_into().unwrap_or(&[0; 64])),
        None => {
            let mut mask = 0;
            for (n, &c) in chunk.get(base..).unwrap_or_default().iter().enumerate() {
                mask |= u64::from(c == b'\n' || c == b'\r') << n;
            }
            mask
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) use full_mask_sse2 as full_mask;
#[cfg(not(target_arch = "x86_64"))]
pub(super) use full_mask_swar as full_mask;

/// The CR/LF bits of a whole block, with SSE2 (part of x86-64 itself).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn full_mask_sse2(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut mask = 0u64;
    // SAFETY: SSE2 is part of x86-64 (every CPU of the target has it); the
    // four 16-byte loads read bytes k * 16 .. k * 16 + 16 <= 64 of `block`,
    // and need no alignment.
    unsafe {
        let lf = _mm_set1_epi8(b'\n' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        for k in 0..4 {
            let x = _mm_loadu_si128(block.as_ptr().add(k * 16).cast::<__m128i>());
            let hits = _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr));
            mask |= u64::from(_mm_movemask_epi8(hits) as u16) << (k * 16);
        }
    }
    mask
}

/// The LF bits and the CR bits of a whole block, apart (the data loop
/// tells CRLF from a CR alone by them): SSE2 on x86-64, words elsewhere.
#[inline]
pub(super) fn split_masks(block: &[u8; 64]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        let (mut lf, mut cr) = (0u64, 0u64);
        // SAFETY: SSE2 is part of x86-64; the four 16-byte loads read bytes
        // k * 16 .. k * 16 + 16 <= 64 of `block`, and need no alignment.
        unsafe {
            for k in 0..4 {
                let x = _mm_loadu_si128(block.as_ptr().add(k * 16).cast::<__m128i>());
                let bits = |c: u8| {
                    let hits = _mm_cmpeq_epi8(x, _mm_set1_epi8(c as i8));
                    u64::from(_mm_movemask_epi8(hits) as u16) << (k * 16)
                };
                lf |= bits(b'\n');
                cr |= bits(b'\r');
            }
        }
        (lf, cr)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (swar_bits(block, b'\n'), swar_bits(block, b'\r'))
    }
}

/// The CR/LF bits of a whole block, eight bytes at a time (exact: no bit
/// for any other byte).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
pub(super) fn full_mask_swar(block: &[u8; 64]) -> u64 {
    swar_bits(block, b'\n') | swar_bits(block, b'\r')
}

/// The bits of the bytes equal to `c` in a whole block, eight bytes at a
/// time (exact: no bit for any other byte).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
fn swar_bits(block: &[u8; 64], c: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = ONES * 0x7F;
    /// The high bit of each zero byte of `x`.
    fn zeros(x: u64) -> u64 {
        !(((x & LOW7) + LOW7) | x | LOW7)
    }
    let mut mask = 0u64;
    for (k, word) in block.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let hits = zeros(w ^ (ONES * u64::from(c))) >> 7;
        // Gather the low bit of each byte into one byte.
        let byte = hits.wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= byte << (k * 8);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every CR/LF position from every start, as a plain search finds it.
    fn check(chunk: &[u8]) {
        let mut ends = Ends::new(chunk);
        let mut pos = 0;
        while pos <= chunk.len() {
            let want = chunk[pos.min(chunk.len())..]
                .iter()
                .position(|&c| c == b'\n' || c == b'\r')
                .map(|n| pos + n);
            assert_eq!(ends.next(pos), want, "from {pos} in {chunk:?}");
            pos += 1 + pos % 3;
        }
    }

    #[test]
    fn finds_every_terminator_from_every_position() {
        let mut rng = fastrand::Rng::with_seed(3);
        for len in 0..300 {
            for _ in 0..20 {
                let chunk: Vec<u8> = (0..len)
                    .map(|_| match rng.u8(0..6) {
                        0 => b'\n',
                        1 => b'\r',
                        2 => rng.u8(..),
                        _ => b'a',
                    })
                    .collect();
                check(&chunk);
            }
        }
    }

    #[test]
    fn bytes_near_the_terminators_are_not_taken() {
        // The word-at-a-time test must be exact for neighbours of 0x0A/0x0D.
        let chunk: Vec<u8> = (0..=255u8).chain(0..=255).collect();
        check(&chunk);
        check(&[0x0B; 130]);
        check(&[0x8A; 70]);
        assert_eq!(full_mask(&[0x0C; 64]), 0);
        assert_eq!(full_mask(&[0x8D; 64]), 0);
        assert_eq!(full_mask(&[0x0D; 64]), u64::MAX);
    }

    #[test]
    fn the_word_loop_agrees_with_a_plain_test() {
        // (On x86-64 the parser uses SSE2; the word loop is for other CPUs.)
        let mut rng = fastrand::Rng::with_seed(4);
        for _ in 0..20_000 {
            let mut block = [0u8; 64];
            for c in &mut block {
                *c = match rng.u8(0..4) {
                    0 => b'\n',
                    1 => b'\r',
                    _ => rng.u8(..),
                };
            }
            let want = block.iter().enumerate().fold(0u64, |m, (n, &c)| {
                m | u64::from(c == b'\n' || c == b'\r') << n
            });
            assert_eq!(full_mask_swar(&block), want);
            assert_eq!(full_mask(&block), want);
            let bits = |c: u8| {
                block
                    .iter()
                    .enumerate()
                    .fold(0u64, |m, (n, &b)| m | u64::from(b == c) << n)
            };
            let split = (bits(b'\n'), bits(b'\r'));
            assert_eq!(split_masks(&block), split);
            assert_eq!((swar_bits(&block, b'\n'), swar_bits(&block, b'\r')), split);
        }
    }
}
