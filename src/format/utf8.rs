//! utf8: whether a text is UTF-8, and writing it decoded with replacement
//! (U+FFFD for each invalid sequence), as every format writes values.

/// Appends `b` decoded as UTF-8 with replacement.
#[inline]
pub(super) fn push_lossy(out: &mut Vec<u8>, b: &[u8]) {
    if is_utf8(b) {
        out.extend_from_slice(b);
    } else {
        for chunk in b.utf8_chunks() {
            out.extend_from_slice(chunk.valid().as_bytes());
            if !chunk.invalid().is_empty() {
                out.extend_from_slice(REPLACEMENT);
            }
        }
    }
}

/// Is `b` valid UTF-8? Most data is ASCII, so that is tried first: a
/// short text with std's test, a longer one 64 bytes at a time with AVX2
/// where the CPU has it (where simdutf8's set-up and its tail's copy cost
/// more than the test itself). Anything else goes to simdutf8, several
/// times faster than `std::str::from_utf8`.
#[inline]
pub fn is_utf8(b: &[u8]) -> bool {
    if b.len() < 64 {
        b.is_ascii() || simdutf8::basic::from_utf8(b).is_ok()
    } else {
        long_is_utf8(b)
    }
}

/// `is_utf8` for 64 bytes or more, out of line: the callers' short path
/// stays small.
#[inline(never)]
fn long_is_utf8(b: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = crate::cpu::Avx2::detect()
        && ascii_avx2(avx2, b)
    {
        return true;
    }
    simdutf8::basic::from_utf8(b).is_ok()
}

/// Is `b` (at least 32 bytes) all ASCII? The high bits of 64 bytes at a
/// time, the last 32 read where they end (overlapping what came before).
#[cfg(target_arch = "x86_64")]
#[inline]
fn ascii_avx2(avx2: crate::cpu::Avx2, b: &[u8]) -> bool {
    /// # Safety
    /// The CPU must have AVX2, and `b` hold at least 32 bytes.
    #[target_feature(enable = "avx2")]
    unsafe fn run(_: crate::cpu::Avx2, b: &[u8]) -> bool {
        use std::arch::x86_64::{
            __m256i, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        };
        let p = b.as_ptr();
        let load = |at: usize| {
            // SAFETY: every `at` below is at most `b.len() - 32`.
            unsafe { _mm256_loadu_si256(p.add(at).cast::<__m256i>()) }
        };
        let mut acc = load(b.len() - 32);
        let mut at = 0;
        while at + 64 <= b.len() {
            acc = _mm256_or_si256(acc, _mm256_or_si256(load(at), load(at + 32)));
            at += 64;
        }
        if at + 32 <= b.len() {
            acc = _mm256_or_si256(acc, load(at));
        }
        _mm256_movemask_epi8(acc) == 0
    }
    debug_assert!(b.len() >= 32);
    // SAFETY: `avx2` proves the CPU has AVX2; the caller passes 32 bytes
    // or more.
    unsafe { run(avx2, b) }
}

/// U+FFFD in UTF-8.
pub(super) const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

#[cfg(test)]
mod tests {
    use super::is_utf8;
    #[test]
    fn is_utf8_agrees_with_std_at_every_length_and_position() {
        // The ASCII test reads 64 bytes at a time and the last 32 where they
        // end: a high byte anywhere, at any length, must send the text on to
        // the full check, and only invalid text may fail it.
        for len in 0..200 {
            let ascii: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(is_utf8(&ascii), "{len}");
            for at in 0..len {
                let mut bad = ascii.clone();
                bad[at] = 0xFF;
                assert!(!is_utf8(&bad), "0xFF at {at} of {len}");
                if at + 2 <= len {
                    let mut good = ascii.clone();
                    good[at..at + 2].copy_from_slice("é".as_bytes());
                    assert!(is_utf8(&good), "é at {at} of {len}");
                }
            }
        }
    }
}
