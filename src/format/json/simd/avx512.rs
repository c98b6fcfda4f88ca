//! json::simd::avx512: `json::simd`'s stage 1 with AVX-512BW, for CPUs that have
//! it. A block is one 64-byte register, and a compare gives its 64-bit
//! mask at once, where AVX2 needs two compares, two movemasks and a shift
//! to join the halves. Stage 2 and everything else is `json::simd`'s
//! (`validate_with`), compiled once more with these instructions.

use super::super::types::{Scan, Watch};
use super::vectors::Vectors;
use super::{OP_TABLE, Shape, WS_TABLE, gather_one_by_one, validate_with};
use std::arch::x86_64::{
    __m512i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_set_epi64x,
    _mm_set1_epi8, _mm512_broadcast_i32x4, _mm512_cmpeq_epi8_mask, _mm512_cmplt_epu8_mask,
    _mm512_loadu_si512, _mm512_mask_blend_epi8, _mm512_maskz_compress_epi8, _mm512_movepi8_mask,
    _mm512_or_si512, _mm512_set1_epi8, _mm512_setzero_si512, _mm512_shuffle_epi8,
    _mm512_storeu_si512,
};
use std::mem::MaybeUninit;

/// Proof that this CPU has AVX-512F and BW, BMI1 and PCLMULQDQ: only
/// [`Simd512::detect`] makes one. It also knows whether the CPU has
/// AVX-512VBMI2 and POPCNT, whose compress and count gather a shape's
/// sequence (`json::simd::shape`) in a few instructions a block.
#[derive(Clone, Copy)]
pub(in crate::format) struct Simd512 {
    vbmi2: bool,
}

impl Simd512 {
    /// `Some` when this CPU has AVX-512F and BW, BMI1 and PCLMULQDQ (std
    /// caches the answer).
    #[inline]
    pub(in crate::format) fn detect() -> Option<Simd512> {
        let yes = std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("pclmulqdq");
        let vbmi2 =
            std::is_x86_feature_detected!("avx512vbmi2") && std::is_x86_feature_detected!("popcnt");
        yes.then_some(Simd512 { vbmi2 })
    }

    /// Whether the CPU has VBMI2, so the validator may gather a shape.
    #[cfg(test)]
    pub(in crate::format) fn gathers(self) -> bool {
        self.vbmi2
    }
}

/// The vector instructions of a [`Simd512`], with VBMI2's compress or
/// without: made only by this module's functions, which have the proof.
#[derive(Clone, Copy)]
struct Lanes<const VBMI2: bool>(());

/// What `json::scan(b, &mut ())` returns, and whether `b` is ASCII.
#[inline]
pub(in crate::format) fn validate(_: Simd512, b: &[u8]) -> Option<(Scan, bool)> {
    // SAFETY: a `Simd512` exists only when the CPU has AVX-512F and BW,
    // BMI1 and PCLMULQDQ; nothing is copied.
    unsafe { validate_avx512::<(), false>(Lanes(()), b, &mut (), std::ptr::null_mut()) }
}

/// [`validate`], with `w` told what it watches for, copying `b` into `dst`
/// as it reads it (watched, without its whitespace outside strings): when
/// it returns `Some`, the first bytes of `dst` are that copy. `None` also
/// when `dst` is shorter than `b` and 64 bytes more. With a `shape`, the
/// grammar may be spared (`json::simd::shape`), where the CPU has VBMI2.
#[inline]
pub(in crate::format) fn validate_into<W: Watch>(
    simd: Simd512,
    b: &[u8],
    w: &mut W,
    dst: &mut [MaybeUninit<u8>],
    shape: Option<&mut Shape>,
) -> Option<(Scan, bool)> {
    let dst: *mut u8 = dst.get_mut(..b.len() + 64)?.as_mut_ptr().cast();
    match shape {
        // SAFETY: the CPU has VBMI2 and POPCNT too; `dst` has room for
        // `b.len()` bytes and 64 more.
        Some(shape) if simd.vbmi2 => unsafe { validate_vbmi2(Lanes(()), b, w, dst, shape) },
        // SAFETY: a `Simd512` exists only when the CPU has AVX-512F and
        // BW, BMI1 and PCLMULQDQ; `dst` has room for `b.len()` bytes and
        // 64 more.
        _ => unsafe { validate_avx512::<W, true>(Lanes(()), b, w, dst) },
    }
}

/// # Safety
/// The CPU has AVX-512F and BW, BMI1 and PCLMULQDQ; see `validate_with`
/// for `dst`.
#[target_feature(enable = "avx512f,avx512bw,bmi1,pclmulqdq")]
unsafe fn validate_avx512<W: Watch, const COPY: bool>(
    lanes: Lanes<false>,
    b: &[u8],
    w: &mut W,
    dst: *mut u8,
) -> Option<(Scan, bool)> {
    // SAFETY: the caller's `dst` is as `validate_with` needs it.
    unsafe { validate_with::<_, _, COPY>(lanes, b, w, dst, None) }
}

/// [`validate_avx512`], copying, with a shape and the compress of VBMI2.
///
/// # Safety
/// The CPU has AVX-512F, BW and VBMI2, POPCNT, BMI1 and PCLMULQDQ; see
/// `validate_with` for `dst`.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2,popcnt,bmi1,pclmulqdq")]
unsafe fn validate_vbmi2<W: Watch>(
    lanes: Lanes<true>,
    b: &[u8],
    w: &mut W,
    dst: *mut u8,
    shape: &mut Shape,
) -> Option<(Scan, bool)> {
    // SAFETY: the caller's `dst` is as `validate_with` needs it.
    unsafe { validate_with::<_, _, true>(lanes, b, w, dst, Some(shape)) }
}

/// `t` in the four 16-byte lanes, for `_mm512_shuffle_epi8`.
///
/// # Safety
/// The CPU must have AVX-512F.
#[inline(always)]
unsafe fn table(t: &[u8; 16]) -> __m512i {
    // SAFETY: the caller's CPU has AVX-512F; the load reads the 16 bytes
    // of `t` and needs no alignment.
    unsafe { _mm512_broadcast_i32x4(_mm_loadu_si128(t.as_ptr().cast())) }
}

impl<const VBMI2: bool> Vectors for Lanes<VBMI2> {
    type Block = __m512i;
    const COMPRESS: bool = VBMI2;

    #[inline(always)]
    fn load(self, block: &[u8; 64]) -> __m512i {
        // SAFETY: the CPU has AVX-512F; the load reads the 64
        // bytes of `block` and needs no alignment.
        unsafe { _mm512_loadu_si512(block.as_ptr().cast()) }
    }

    #[inline(always)]
    fn quiet(self, x: __m512i) -> bool {
        let (quote, backslash, ctrl) = self.string_bytes(x);
        quote | backslash | ctrl == 0
    }

    #[inline(always)]
    fn string_bytes(self, x: __m512i) -> (u64, u64, u64) {
        // SAFETY: the CPU has AVX-512BW.
        unsafe {
            (
                _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'"' as i8)),
                _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'\\' as i8)),
                _mm512_cmplt_epu8_mask(x, _mm512_set1_epi8(0x20)),
            )
        }
    }

    #[inline(always)]
    fn layout(self, x: __m512i) -> (u64, u64) {
        // SAFETY: the CPU has AVX-512F and BW.
        unsafe {
            let ws = _mm512_shuffle_epi8(table(&WS_TABLE), x);
            let op = _mm512_shuffle_epi8(table(&OP_TABLE), x);
            let curly = _mm512_or_si512(x, _mm512_set1_epi8(0x20));
            (
                _mm512_cmpeq_epi8_mask(ws, x),
                _mm512_cmpeq_epi8_mask(op, curly),
            )
        }
    }

    #[inline(always)]
    fn prefix_xor(self, x: u64) -> u64 {
        // SAFETY: the CPU has PCLMULQDQ (and SSE2).
        unsafe {
            let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(product) as u64
        }
    }

    #[inline(always)]
    fn marks(self, x: __m512i) -> (u64, u64) {
        // SAFETY: the CPU has AVX-512F and BW.
        unsafe {
            let curly = _mm512_or_si512(x, _mm512_set1_epi8(0x06));
            (
                _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b':' as i8)),
                _mm512_cmpeq_epi8_mask(curly, _mm512_set1_epi8(0x7F)),
            )
        }
    }

    #[inline(always)]
    fn del(self, x: __m512i) -> u64 {
        // SAFETY: the CPU has AVX-512BW.
        unsafe { _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(0x7F)) }
    }

    #[inline(always)]
    fn none(self) -> __m512i {
        // SAFETY: the CPU has AVX-512F.
        unsafe { _mm512_setzero_si512() }
    }

    #[inline(always)]
    fn or(self, a: __m512i, b: __m512i) -> __m512i {
        // SAFETY: the CPU has AVX-512F.
        unsafe { _mm512_or_si512(a, b) }
    }

    #[inline(always)]
    fn high(self, v: __m512i) -> bool {
        // SAFETY: the CPU has AVX-512BW.
        unsafe { _mm512_movepi8_mask(v) != 0 }
    }

    #[inline(always)]
    unsafe fn gather(self, v: __m512i, found: u64, starts: u64, dst: *mut u8) -> usize {
        if !VBMI2 {
            // SAFETY: as the caller's.
            return unsafe { gather_one_by_one(self, v, found, starts, dst) };
        }
        // SAFETY: a `Lanes<true>` is made only where the CPU has AVX-512F,
        // BW and VBMI2; the caller's `dst` takes 64 bytes, and the store
        // needs no alignment.
        unsafe {
            let v = _mm512_mask_blend_epi8(starts, v, _mm512_set1_epi8(b'0' as i8));
            _mm512_storeu_si512(dst.cast(), _mm512_maskz_compress_epi8(found, v));
        }
        found.count_ones() as usize
    }

    #[inline(always)]
    unsafe fn compress(self, v: __m512i, keep: u64, dst: *mut u8) -> usize {
        if !VBMI2 {
            let mut padded = [0u8; 80];
            // SAFETY: the CPU has AVX-512BW (so SSSE3); `padded` takes the
            // 64 stored, and the caller's `dst` takes 64 bytes.
            return unsafe {
                self.store(v, padded.as_mut_ptr());
                super::compress::by_table(&padded, keep, dst)
            };
        }
        // SAFETY: a `Lanes<true>` is made only where the CPU has AVX-512F,
        // BW and VBMI2 (and POPCNT); the caller's `dst` takes 64 bytes, and
        // the store needs no alignment.
        unsafe { _mm512_storeu_si512(dst.cast(), _mm512_maskz_compress_epi8(keep, v)) };
        keep.count_ones() as usize
    }

    #[inline(always)]
    unsafe fn store(self, v: __m512i, dst: *mut u8) {
        // SAFETY: the CPU has AVX-512F; the caller's `dst`
        // takes 64 bytes, and the store needs no alignment.
        unsafe { _mm512_storeu_si512(dst.cast(), v) }
    }
}
