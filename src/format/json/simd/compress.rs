//! json::simd::compress: the bytes of a block that a mask keeps, packed in
//! order, for vectors without a compress instruction (AVX2, AVX-512
//! without VBMI2): eight bytes at a time, each eight shuffled by a table
//! entry for their eight bits of the mask (simdjson's minifier does the
//! same). A watched validation copies the text so, without its
//! whitespace outside strings, in the pass that reads it.

use std::arch::x86_64::{_mm_cvtsi64_si128, _mm_loadl_epi64, _mm_shuffle_epi8, _mm_storel_epi64};

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

/// Stores at `dst`, in order, the bytes of `block` set in `keep`; returns
/// how many. May write all 64 bytes from `dst` on.
///
/// # Safety
/// The CPU has SSSE3; `dst` is valid for writes of 64 bytes.
#[inline(always)]
pub(super) unsafe fn by_table(block: &[u8; 64], keep: u64, dst: *mut u8) -> usize {
    let mut n = 0;
    for (j, eight) in block.as_chunks::<8>().0.iter().enumerate() {
        let m = usize::from((keep >> (8 * j)) as u8);
        // SAFETY: the caller's CPU has SSSE3 (and SSE2); the load reads
        // the eight bytes of `eight`; `n <= 8 * j`, so the store's eight
        // bytes lie within the caller's 64.
        unsafe {
            let x = _mm_loadl_epi64(eight.as_ptr().cast());
            let packed = _mm_shuffle_epi8(x, _mm_cvtsi64_si128(SHUFFLE[m] as i64));
            _mm_storel_epi64(dst.add(n).cast(), packed);
        }
        n += usize::from(COUNT[m]);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::by_table;
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
            let mut dst = [0xAAu8; 64];
            // SAFETY: the CPU has SSSE3; `dst` takes 64 bytes.
            let n = unsafe { by_table(&all, keep, dst.as_mut_ptr()) };
            prop_assert_eq!(&dst[..n], &want[..]);
        }
    }
}
