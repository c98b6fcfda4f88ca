//! escape::avx2: JSON string escaping with AVX2, the json format's hot loop.
//!
//! JSON-like data (Wikimedia's events are JSON inside the JSON envelope)
//! has a quote every dozen bytes, so a scan that stops at each hit and
//! copies the run before it spends its time on small copies. Here 32 bytes
//! are looked at at once and stored at once: without hits as they are, with
//! quotes or backslashes by expanding each eight bytes with one byte shuffle
//! that puts a backslash before every hit (a table of the 256 shuffles). The
//! tail of the input is built, padded, into a block in registers and
//! handled the same way (most strings, the event type and id among them,
//! are short). LF, CR and tab are hits whose byte is first replaced by the
//! letter of their escape; a block with another control character goes
//! byte by byte. The same pass notes whether every byte was ASCII, which
//! spares the caller a UTF-8 validation pass.
//!
//! The caller (`super::push_escaped`) uses this when the CPU has AVX2 but
//! not what `escape::avx512` needs, and the portable SWAR loop on other CPUs;
//! all of them produce the same bytes.

use super::scalar::escape_of;
use std::arch::x86_64::{
    __m128i, __m256i, _mm_loadu_si128, _mm_set1_epi8, _mm_shuffle_epi8, _mm_storeu_si128,
    _mm_unpackhi_epi64, _mm_unpacklo_epi64, _mm256_andnot_si256, _mm256_blendv_epi8,
    _mm256_castsi256_si128, _mm256_cmpeq_epi8, _mm256_extracti128_si256, _mm256_loadu_si256,
    _mm256_min_epu8, _mm256_movemask_epi8, _mm256_or_si256, _mm256_set_epi64x, _mm256_set1_epi8,
    _mm256_storeu_si256,
};

/// Input bytes handled per reservation: the output may need six times as
/// many (all control characters), so room is made a slice at a time.
const SEGMENT: usize = 4096;

/// Room beyond the worst case for the stores that run past the bytes they
/// count: a block's four 16-byte stores end at most 16 bytes past its
/// output, and a short tail is stored as a whole padded block.
const SLACK: usize = 64;

/// For each 8-bit hit mask, the shuffle that spreads eight bytes (lanes
/// 0..8) with a backslash (lane 8) before each hit; unused lanes are zeroed
/// (0x80). The output is 8 + popcount(mask) bytes long.
static EXPAND: [[u8; 16]; 256] = {
    let mut t = [[0x80u8; 16]; 256];
    let mut m = 0;
    while m < 256 {
        let mut k = 0;
        let mut j = 0;
        while j < 8 {
            if m >> j & 1 == 1 {
                t[m][k] = 8;
                k += 1;
            }
            t[m][k] = j as u8;
            k += 1;
            j += 1;
        }
        m += 1;
    }
    t
};

/// True when this CPU can run [`push_escaped`].
#[inline]
pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt")
}

/// Appends `b` with JSON escaping (as `super::push_escaped_swar` does);
/// returns whether every byte of `b` was ASCII.
///
/// # Safety
/// The CPU must have AVX2 and POPCNT ([`available`]).
#[target_feature(enable = "avx2,popcnt")]
#[allow(unused_unsafe)] // intrinsics are safe here from Rust 1.87, not before
pub(super) unsafe fn push_escaped(out: &mut Vec<u8>, b: &[u8]) -> bool {
    let mut high = 0u32;
    if b.len() < 32 {
        // A short string (most event types and IDs, a tiny event's data):
        // one padded block, without the segment loop's set-up.
        out.reserve(b.len() * 6 + SLACK);
        let [w0, w1, w2, w3] = padded_words(b);
        // SAFETY: as for a tail below; the reserve left room for it.
        unsafe {
            let x = _mm256_set_epi64x(w3 as i64, w2 as i64, w1 as i64, w0 as i64);
            let o = block(out.as_mut_ptr(), out.len(), x, b, &mut high);
            out.set_len(o);
        }
        return high == 0;
    }
    for seg in b.chunks(SEGMENT) {
        out.reserve(seg.len() * 6 + SLACK);
        let dst = out.as_mut_ptr();
        let mut o = out.len();
        let mut blocks = seg.chunks_exact(32);
        // SAFETY: the CPU has AVX2 and POPCNT (the caller's promise). Every
        // store lands in out's capacity: the reserve above left room for
        // seg.len() * 6 + SLACK bytes past the length, and `block` writes
        // at most 6 bytes per real input byte plus SLACK. All bytes up to
        // `o` are written when the length is set.
        unsafe {
            for chunk in &mut blocks {
                let x = _mm256_loadu_si256(chunk.as_ptr().cast::<__m256i>());
                o = block(dst, o, x, chunk, &mut high);
            }
            let tail = blocks.remainder();
            if !tail.is_empty() {
                let [w0, w1, w2, w3] = padded_words(tail);
                let x = _mm256_set_epi64x(w3 as i64, w2 as i64, w1 as i64, w0 as i64);
                o = block(dst, o, x, tail, &mut high);
            }
            out.set_len(o);
        }
    }
    high == 0
}

/// A tail of fewer than 32 bytes as four little-endian words, padded with
/// a byte that needs no escape. Built in registers from word reads: a
/// block copied onto the stack and loaded whole would wait for the copy's
/// small stores (a store-forwarding stall on every short string).
#[inline(always)]
fn padded_words(tail: &[u8]) -> [u64; 4] {
    const PAD: u64 = u64::from_le_bytes([b'a'; 8]);
    let t = tail.len();
    let mut words = [PAD; 4];
    for (k, word) in words.iter_mut().enumerate() {
        let start = 8 * k;
        if start >= t {
            break;
        }
        let real = (t - start).min(8);
        *word = if let Some(w) = tail.get(start..start + 8) {
            u64::from_le_bytes(w.try_into().unwrap_or_default())
        } else if t >= 8 {
            // The last word, partial: read the eight bytes ending at the
            // tail's end and shift the real ones down.
            let w = u64::from_le_bytes(tail[t - 8..].try_into().unwrap_or_default());
            w >> (8 * (8 - real)) | PAD << (8 * real)
        } else {
            let mut w = PAD;
            for (j, &c) in tail.iter().enumerate() {
                w = w & !(0xFF << (8 * j)) | u64::from(c) << (8 * j);
            }
            w
        };
    }
    words
}

/// Escapes one block: `x` holds `real` in its first lanes (and bytes that
/// need no escape after them). Writes at `dst + o`, returns the new `o`.
///
/// # Safety
/// AVX2 and POPCNT; `dst + o` must have room for `real.len() * 6 + SLACK`
/// bytes.
#[target_feature(enable = "avx2,popcnt")]
#[allow(unused_unsafe)]
#[inline]
unsafe fn block(dst: *mut u8, mut o: usize, mut x: __m256i, real: &[u8], high: &mut u32) -> usize {
    // SAFETY: the caller's promises; EXPAND rows are 16 bytes. The stores
    // below write 32 bytes, or four times 16 bytes at offsets that grow by
    // 8 + hits, so at most 32 + hits + 16 <= real.len() * 2 + 48 bytes.
    unsafe {
        let m_high = _mm256_movemask_epi8(x) as u32;
        *high |= m_high;
        let ctrl_max = _mm256_set1_epi8(0x1F);
        let ctrl = _mm256_cmpeq_epi8(_mm256_min_epu8(x, ctrl_max), x);
        let quote = _mm256_set1_epi8(b'"' as i8);
        let slash = _mm256_set1_epi8(b'\\' as i8);
        let mut hits = _mm256_or_si256(_mm256_cmpeq_epi8(x, quote), _mm256_cmpeq_epi8(x, slash));
        if _mm256_movemask_epi8(ctrl) != 0 {
            // LF, CR and tab (multi-line data) are hits too, each byte
            // replaced by the letter of its escape; any other control
            // character goes byte by byte.
            let lf = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'\n' as i8));
            let cr = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'\r' as i8));
            let tab = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'\t' as i8));
            let named = _mm256_or_si256(lf, _mm256_or_si256(cr, tab));
            if _mm256_movemask_epi8(_mm256_andnot_si256(named, ctrl)) != 0 {
                for &c in real {
                    o = put(dst, o, c);
                }
                return o;
            }
            x = _mm256_blendv_epi8(x, _mm256_set1_epi8(b'n' as i8), lf);
            x = _mm256_blendv_epi8(x, _mm256_set1_epi8(b'r' as i8), cr);
            x = _mm256_blendv_epi8(x, _mm256_set1_epi8(b't' as i8), tab);
            hits = _mm256_or_si256(hits, named);
        }
        let m = _mm256_movemask_epi8(hits) as u32;
        if m == 0 {
            _mm256_storeu_si256(dst.add(o).cast::<__m256i>(), x);
            return o + real.len();
        }
        let end = o + real.len() + m.count_ones() as usize;
        let slash16 = _mm_set1_epi8(b'\\' as i8);
        let lo = _mm256_castsi256_si128(x);
        let hi = _mm256_extracti128_si256::<1>(x);
        for (half, bits) in [
            (_mm_unpacklo_epi64(lo, slash16), m & 0xFF),
            (_mm_unpackhi_epi64(lo, slash16), m >> 8 & 0xFF),
            (_mm_unpacklo_epi64(hi, slash16), m >> 16 & 0xFF),
            (_mm_unpackhi_epi64(hi, slash16), m >> 24),
        ] {
            let shuffle = EXPAND[bits as usize].as_ptr().cast::<__m128i>();
            let spread = _mm_shuffle_epi8(half, _mm_loadu_si128(shuffle));
            _mm_storeu_si128(dst.add(o).cast::<__m128i>(), spread);
            o += 8 + bits.count_ones() as usize;
        }
        end
    }
}

/// Writes `c`, escaped if it must be, at `dst + o`; returns the new `o`.
///
/// # Safety
/// `dst + o` must have room for 6 bytes.
#[inline(always)]
pub(super) unsafe fn put(dst: *mut u8, o: usize, c: u8) -> usize {
    let (bytes, len) = escape_of(c);
    // SAFETY: the caller guarantees room for 6 bytes.
    unsafe { dst.add(o).cast::<[u8; 6]>().write_unaligned(bytes) };
    o + len
}
