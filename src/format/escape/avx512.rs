//! escape::avx512: JSON string escaping with AVX-512 (VBMI2), where the CPU has it.
//!
//! The same job as `escape` (AVX2), 64 bytes at a time: a block without
//! hits is stored as it is; a block with one or two is stored, then once
//! more from each hit on, one byte further, with a masked store, and the
//! backslash put in the gap; in a block with more, each
//! 32-byte half is spread out with one `vpexpandb`, which places the input
//! bytes at the positions of a mask and fills the gaps, one before every
//! hit, with backslashes (LF, CR and tab are hits whose byte becomes the
//! letter of their escape; the mask comes from the hit bits with one `pdep`
//! and one `pext`). The last bytes of the input are read with a
//! masked load (lanes past the end are not read), so short strings take
//! the same path. A block with another control character goes byte by byte.
//!
//! The caller (`super::push_escaped`) uses this when the CPU has AVX-512 F,
//! BW and VBMI2 (and BMI2), else `escape`, else the portable loop; all three produce
//! the same bytes.

use super::avx2::put;
use std::arch::x86_64::{
    __m512i, _mm512_cmpeq_epi8_mask, _mm512_extracti64x4_epi64, _mm512_loadu_si512,
    _mm512_mask_cmple_epu8_mask, _mm512_mask_expand_epi8, _mm512_mask_mov_epi8,
    _mm512_mask_storeu_epi8, _mm512_maskz_loadu_epi8, _mm512_movepi8_mask, _mm512_set1_epi8,
    _mm512_storeu_si512, _mm512_zextsi256_si512, _pdep_u64, _pext_u64,
};

/// Input bytes handled per reservation (the output may be six times as long).
const SEGMENT: usize = 4096;

/// Room beyond the worst case for stores that run past the bytes they
/// count: a block's stores end at most 128 bytes past its start.
const SLACK: usize = 128;

/// True when this CPU can run [`push_escaped`].
#[inline]
pub(in crate::format) fn available() -> bool {
    std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vbmi2")
        && std::is_x86_feature_detected!("bmi2")
        && std::is_x86_feature_detected!("popcnt")
}

/// Appends `b` with JSON escaping (as `super::push_escaped_swar` does);
/// returns whether every byte of `b` was ASCII.
///
/// # Safety
/// The CPU must have AVX-512 F, BW, VBMI2, BMI2 and POPCNT ([`available`]).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")]
pub(in crate::format) unsafe fn push_escaped(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let mut high = 0u64;
    if b.len() < 64 {
        // A short string (most event types and IDs, a tiny event's data):
        // one masked block, without the segment loop's set-up.
        out.reserve(b.len() * 6 + SLACK);
        let lanes = (1u64 << b.len()) - 1;
        // SAFETY: as for a tail below; the reserve left room for it.
        unsafe {
            let x = _mm512_maskz_loadu_epi8(lanes, b.as_ptr().cast::<i8>());
            let o = escape_block(out.as_mut_ptr(), out.len(), x, lanes, b, &mut high);
            out.set_len(o);
        }
        return high == 0;
    }
    for seg in b.chunks(SEGMENT) {
        out.reserve(seg.len() * 6 + SLACK);
        let dst = out.as_mut_ptr();
        let mut o = out.len();
        // SAFETY: the CPU has the features (the caller's promise). The
        // masked load reads only the lanes of `lanes`, all inside `seg`.
        // Every store lands in out's capacity: the reserve above left room
        // for seg.len() * 6 + SLACK bytes past the length; a block's bytes
        // advance `o` by at most 6 each, and its stores end at most SLACK
        // bytes past the `o` it started at. All bytes up to `o` are written
        // when the length is set.
        unsafe {
            let mut blocks = seg.chunks_exact(64);
            for block in &mut blocks {
                let x = _mm512_loadu_si512(block.as_ptr().cast::<__m512i>());
                o = escape_block(dst, o, x, u64::MAX, block, &mut high);
            }
            let tail = blocks.remainder();
            if !tail.is_empty() {
                let lanes = (1u64 << tail.len()) - 1;
                let x = _mm512_maskz_loadu_epi8(lanes, tail.as_ptr().cast::<i8>());
                o = escape_block(dst, o, x, lanes, tail, &mut high);
            }
            out.set_len(o);
        }
    }
    high == 0
}

/// Escapes one block: `x` holds `block` (64 bytes, or fewer with the
/// other lanes zero; `lanes` marks the real ones). Writes at `dst + o` and
/// returns the new `o`.
///
/// # Safety
/// The CPU has what [`push_escaped`] needs; `dst + o` has room for
/// `block.len() * 6 + SLACK` bytes.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,bmi2,popcnt")]
#[inline]
unsafe fn escape_block(
    dst: *mut u8,
    mut o: usize,
    mut x: __m512i,
    lanes: u64,
    block: &[u8],
    high: &mut u64,
) -> usize {
    let n = block.len();
    let ctrl_max = _mm512_set1_epi8(0x1F);
    let quote = _mm512_set1_epi8(b'"' as i8);
    let slash = _mm512_set1_epi8(b'\\' as i8);
    // SAFETY: the caller's promises; the stores end at most SLACK bytes
    // past the `o` this block starts at.
    unsafe {
        *high |= _mm512_movepi8_mask(x);
        let mut hits = _mm512_cmpeq_epi8_mask(x, quote) | _mm512_cmpeq_epi8_mask(x, slash);
        let ctrl = _mm512_mask_cmple_epu8_mask(lanes, x, ctrl_max);
        if ctrl != 0 {
            // LF, CR and tab (multi-line data) are hits too, each
            // byte replaced by the letter of its escape; any other
            // control character goes byte by byte.
            let lf = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'\n' as i8));
            let cr = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'\r' as i8));
            let tab = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'\t' as i8));
            if ctrl & !(lf | cr | tab) != 0 {
                for &c in block {
                    o = put(dst, o, c);
                }
                return o;
            }
            x = _mm512_mask_mov_epi8(x, lf, _mm512_set1_epi8(b'n' as i8));
            x = _mm512_mask_mov_epi8(x, cr, _mm512_set1_epi8(b'r' as i8));
            x = _mm512_mask_mov_epi8(x, tab, _mm512_set1_epi8(b't' as i8));
            hits |= ctrl;
        }
        let but_first = hits & hits.wrapping_sub(1);
        if but_first & but_first.wrapping_sub(1) == 0 {
            // No hit, or one or two (multi-line data has a line break
            // every line): the block is stored as it is, then each hit
            // stores the lanes from it on again one place further and
            // puts its backslash in the gap. Cheaper than spreading the
            // halves, which pays off when hits are dense (JSON's quotes).
            _mm512_storeu_si512(dst.add(o).cast::<__m512i>(), x);
            let mut rest = hits;
            while rest != 0 {
                let p = rest.trailing_zeros() as usize;
                o += 1;
                _mm512_mask_storeu_epi8(dst.add(o).cast::<i8>(), u64::MAX << p, x);
                *dst.add(o - 1 + p) = b'\\';
                rest &= rest - 1;
            }
            return o + n;
        }
        let halves = [
            _mm512_extracti64x4_epi64::<0>(x),
            _mm512_extracti64x4_epi64::<1>(x),
        ];
        for (h, half) in halves.into_iter().enumerate() {
            let real = n.saturating_sub(32 * h).min(32);
            if real == 0 {
                break;
            }
            let bits = (hits >> (32 * h)) as u32;
            // Lanes past `real + bits` output bytes are not kept.
            let wide = _mm512_zextsi256_si512(half);
            let spread = _mm512_mask_expand_epi8(slash, data_lanes(bits), wide);
            _mm512_storeu_si512(dst.add(o).cast::<__m512i>(), spread);
            o += real + bits.count_ones() as usize;
        }
        o
    }
}

/// For a 32-byte half whose hits are `bits`, the output lanes that take
/// its bytes, in order: every lane but one before each hit, which keeps
/// the backslash. Give each input byte two slots, a gap (used when it is a
/// hit) and its own; the slots in use, packed down, are the output lanes,
/// so `pext` of the own-slot pattern over the used slots is the answer.
///
/// # Safety
/// The CPU must have BMI2.
#[target_feature(enable = "bmi2")]
#[inline]
fn data_lanes(bits: u32) -> u64 {
    const OWN: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    const GAP: u64 = 0x5555_5555_5555_5555;
    let used = OWN | _pdep_u64(u64::from(bits), GAP);
    _pext_u64(OWN, used)
}

#[cfg(test)]
mod tests {
    #[test]
    fn data_lanes_leave_a_gap_before_every_hit() {
        if !super::available() {
            eprintln!("skipped: this CPU has no AVX-512 VBMI2");
            return;
        }
        // SAFETY: the CPU has BMI2, checked just above.
        let data_lanes = |bits| unsafe { super::data_lanes(bits) };
        assert_eq!(data_lanes(0), 0xFFFF_FFFF);
        // Hits at 1 and 2: backslashes at 1 and 3, 34 bytes out.
        assert_eq!(data_lanes(0b110), ((1 << 34) - 1) & !0b1010);
        assert_eq!(data_lanes(u32::MAX), 0xAAAA_AAAA_AAAA_AAAA);
    }
}
