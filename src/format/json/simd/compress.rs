//! json::simd::compress: the bytes of a block that a mask keeps, packed in
//! order, for vectors without a compress instruction (AVX2, AVX-512
//! without VBMI2): eight bytes at a time, each eight shuffled by a table
//! entry for their eight bits of the mask (simdjson's minifier does the
//! same). A watched validation copies the text so, without its
//! whitespace outside strings, in the pass that reads it.

use std::arch::x86_64::{
    _mm_loadl_epi64, _mm_loadu_si128, _mm_shuffle_epi8, _mm_storel_epi64, _mm_storeu_si128,
};

/// Per 8-bit mask: the indices of its set bits, in order, one a byte
/// (the bytes after them are never kept).
static SHUFFLE: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let (mut w, mut n, mut i) = (0u64, 0, 0);
        while i < 8 {
            if m >> i & 1 == 1 {
                w |= (i as u64) << (8 * n);
                n += 1;
            }
            i += 1;
        }
        t[m] = w;
        m += 1;
    }
    t
};

/// Per 8-bit mask, how many bits are set (a count instruction needs a
/// feature of its own).
static COUNT: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut m = 0;
    while m < 256 {
        t[m] = (m as u8).count_ones() as u8;
        m += 1;
    }
    t
};

/// Stores at `dst`, in order, the bytes of a block (stored at the start
/// of `padded`) set in `keep`; returns how many. May write all 64 bytes
/// from `dst` on.
///
/// # Safety
/// The CPU has SSSE3; `dst` is valid for writes of 64 bytes.
#[inline(always)]
pub(super) unsafe fn by_table(padded: &[u8; 80], keep: u64, dst: *mut u8) -> usize {
    let mut n = 0;
    for j in 0..8 {
        let m = usize::from((keep >> (8 * j)) as u8);
        // SAFETY: the caller's CPU has SSSE3 (and SSE2); the load reads 16
        // bytes of `padded` from `8 * j <= 56` (the shuffle takes the first
        // eight: whole loads, so that no instruction zeroes the rest, which
        // valgrind cannot run); `n <= 8 * j`, so the store's eight bytes
        // lie within the caller's 64.
        unsafe {
            let x = _mm_loadu_si128(padded.as_ptr().add(8 * j).cast());
            let packed = _mm_shuffle_epi8(x, _mm_loadl_epi64(SHUFFLE[m..].as_ptr().cast()));
            _mm_storel_epi64(dst.add(n).cast(), packed);
        }
        n += usize::from(COUNT[m]);
    }
    n
}

/// [`by_table`] for a sparse mask (a few short runs), of a block stored at
/// the start of `padded` (a copy may read past it): each run of up to 16
/// bytes copied in one piece of 16. May write up to 80 bytes from `dst` on.
///
/// # Safety
/// `dst` is valid for writes of 80 bytes.
#[inline(always)]
pub(super) unsafe fn runs(padded: &[u8; 80], keep: u64, dst: *mut u8) -> usize {
    let mut n = 0;
    let mut m = keep;
    while m != 0 {
        let first = m.trailing_zeros() as usize;
        let len = (m >> first).trailing_ones() as usize;
        let end = first + len;
        if len <= 16 {
            // SAFETY: `first < 64`, so the load's 16 bytes are within
            // `padded`; the store's end at most 15 past the `n + len <= 64`
            // kept, within the caller's 80. (A loop of such pieces would be
            // made a call.)
            unsafe {
                let w = _mm_loadu_si128(padded.as_ptr().add(first).cast());
                _mm_storeu_si128(dst.add(n).cast(), w);
            }
        } else {
            // SAFETY: `first + len <= 64` and `n + len <= 64`.
            unsafe { std::ptr::copy_nonoverlapping(padded.as_ptr().add(first), dst.add(n), len) };
        }
        n += len;
        m = match end {
            64 => 0,
            _ => m & (!0u64 << end),
        };
    }
    n
}

#[cfg(test)]
mod tests {
    use super::{by_table, runs};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_kept_bytes_in_order(block in prop::array::uniform32(any::<u8>()), more in prop::array::uniform32(any::<u8>()), keep in any::<u64>(), sparse in any::<bool>()) {
            if !std::is_x86_feature_detected!("ssse3") {
                return Ok(());
            }
            let keep = if sparse { keep | keep.rotate_left(7) | keep.rotate_left(19) } else { keep };
            let mut all = [0u8; 64];
            all[..32].copy_from_slice(&block);
            all[32..].copy_from_slice(&more);
            let want: Vec<u8> = (0..64).filter(|i| keep >> i & 1 == 1).map(|i| all[i]).collect();
            let mut padded = [0u8; 80];
            padded[..64].copy_from_slice(&all);
            let mut dst = [0xAAu8; 64];
            // SAFETY: the CPU has SSSE3; `dst` takes 64 bytes.
            let n = unsafe { by_table(&padded, keep, dst.as_mut_ptr()) };
            prop_assert_eq!(&dst[..n], &want[..]);
            let mut dst = [0xAAu8; 80];
            // SAFETY: `dst` takes 80 bytes.
            let n = unsafe { runs(&padded, keep, dst.as_mut_ptr()) };
            prop_assert_eq!(&dst[..n], &want[..]);
        }
    }
}
