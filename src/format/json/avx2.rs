//! json::avx2: the `--json-data` scanner with strings searched 32 bytes at
//! a time (AVX2), for CPUs that have it.
//!
//! The data of real event streams is JSON whose strings hold most of its
//! bytes (Wikimedia's events: URLs, titles, comments), and the portable
//! scanner crosses a string eight bytes per step. Here one step looks at
//! 32: a load, three compares and a mask, the first hit found with one
//! count of trailing zeros; the last 31 bytes of the text or fewer, which
//! cannot fill a load, go to the portable loop. The whole scanner is
//! compiled once more with AVX2 enabled ([`scan`]), so that this
//! search is inlined into it; the grammar is the same code as the portable
//! scanner's (`json::scan_with`), and `json_tests` checks that both accept
//! the same texts.

use super::scalar::scan_with;
use super::types::{Emit, Scan, Strings};
pub(super) use crate::cpu::Avx2;
use std::arch::x86_64::{
    __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
    _mm256_or_si256, _mm256_set1_epi8,
};

/// `json::scan` with AVX2 string searches.
#[inline]
pub(super) fn scan<E: Emit>(avx2: Avx2, b: &[u8], e: &mut E) -> Option<Scan> {
    // SAFETY: `avx2` exists, so the CPU has AVX2.
    unsafe { scan_avx2(avx2, b, e) }
}

/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2<E: Emit>(s: Avx2, b: &[u8], e: &mut E) -> Option<Scan> {
    scan_with(s, b, e)
}

impl Strings for Avx2 {
    #[inline(always)]
    fn find_escape(self, b: &[u8], mut i: usize) -> usize {
        while let Some(block) = b.get(i..i + 32) {
            // SAFETY: `self` proves the CPU has AVX2; the load reads the 32
            // bytes of `block` and needs no alignment.
            let hits = unsafe {
                let x = _mm256_loadu_si256(block.as_ptr().cast::<__m256i>());
                let ctrl = _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(0x1F)), x);
                let quote = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'"' as i8));
                let slash = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'\\' as i8));
                _mm256_movemask_epi8(_mm256_or_si256(ctrl, _mm256_or_si256(quote, slash))) as u32
            };
            if hits != 0 {
                return i + hits.trailing_zeros() as usize;
            }
            i += 32;
        }
        crate::format::escape::scalar::find_escape(b, i)
    }
}

#[cfg(test)]
mod tests {
    use super::super::scalar::{Portable, scan_with};
    use super::*;

    /// The AVX2 search finds what the portable one finds, from every start.
    #[test]
    fn finds_what_the_portable_search_finds() {
        let Some(avx2) = Avx2::detect() else {
            eprintln!("skipped: this CPU has no AVX2");
            return;
        };
        let alphabet: &[u8] = b"\"\\\x00\x1f\n\x7f\x80\xffaz ";
        let mut rng = fastrand::Rng::with_seed(11);
        for len in 0..200 {
            for _ in 0..20 {
                let b: Vec<u8> = (0..len)
                    .map(|_| match rng.u8(0..16) {
                        0 => alphabet[rng.usize(..alphabet.len())],
                        1 => rng.u8(..),
                        _ => b'x',
                    })
                    .collect();
                for i in 0..=len {
                    assert_eq!(
                        avx2.find_escape(&b, i),
                        Portable.find_escape(&b, i),
                        "from {i} in {b:?}"
                    );
                }
            }
        }
    }

    /// Both scanners give the same verdict and the same span, on JSON with
    /// long strings and on near-misses.
    #[test]
    fn scans_as_the_portable_scanner_does() {
        let Some(avx2) = Avx2::detect() else {
            return;
        };
        let long = "y".repeat(70);
        for text in [
            format!(r#"{{"a":"{long}","b":["{long}\n{long}",1.5e3,true,null]}}"#),
            format!(r#"  ["{long}\ud83d\ude00{long}"]  "#),
            format!("\"{long}\u{1}{long}\""),
            format!("\"{long}\\x{long}\""),
            format!("\"{long}"),
            format!("[\"{long}\"\n,\r\"{long}\"]"),
        ] {
            let b = text.as_bytes();
            for cut in [b.len(), b.len() / 2, 40, 33, 1] {
                let b = &b[..cut.min(b.len())];
                let want = scan_with(Portable, b, &mut ());
                assert_eq!(scan(avx2, b, &mut ()), want, "{b:?}");
                let theirs = serde_json::from_slice::<serde_json::Value>(b).is_ok();
                assert_eq!(want.is_some(), theirs, "{b:?}");
            }
        }
    }
}
