//! json::simd: the `--json-data` validator, simdjson-style, for CPUs with
//! AVX2, BMI1 and PCLMULQDQ (`json::simd::avx512` compiles it with AVX-512BW).
//! It answers what `json::scan(b, &mut ())` answers (the verdict and the
//! whole [`Scan`]) in about half the instructions and time on the data of
//! real streams, where the scanner spends most of its time stepping from
//! token to token.
//!
//! Stage 1 looks at 64 bytes at a time and turns them into bit masks:
//! backslashes and the characters they escape (odd runs of backslashes,
//! simdjson's `find_escaped`), the quotes that are not escaped, the bytes
//! inside strings (a prefix XOR of those quotes, one carry-less multiply),
//! whitespace and the structural characters `{}[]:,`. What it cannot
//! accept it refuses there: control bytes other than whitespace outside
//! strings, escapes other than `"\/bfnrtu`, and `\u` escapes that are not
//! four hex digits or not paired as the scanner pairs surrogates (a short
//! scalar look at each escaped `u`). What stays are the bytes that stage 2
//! has to look at: structural characters outside strings, opening quotes,
//! and the first byte of each run of other bytes outside strings (a
//! number or literal, or garbage). Blocks in the middle of a long string
//! (no quote, backslash or control byte) are passed over in a loop of a
//! few vector instructions each.
//!
//! (What follows the compares is `json::simd::stage1`.)
//!
//! Stage 2 (`json::simd::grammar`) runs on those bits as each block comes
//! out of stage 1 (no index vector): the grammar, with the scanner's
//! nesting limit, and the numbers and literals read from the text at
//! their first bytes (`json::number_end` for all but short integers, so
//! the f64 range rule is the scanner's own), each of which must end where
//! its run of bytes ends.
//!
//! Line breaks cannot be inside a JSON string, so in an accepted text every
//! LF or CR is whitespace outside strings: `newline` is whether the text
//! holds one. The last partial block is copied into a buffer padded with
//! spaces, which change neither the verdict nor the span.
//!
//! Every byte is loaded once, so the validator also answers two questions
//! that would each cost a pass of their own: whether the text is ASCII
//! (the blocks ORed; only text that is not is checked for UTF-8), and, in
//! `validate_into`, the text itself, each block stored where the caller
//! reserved room as it is read.
//!
//! Given a [`Shape`] (and, with AVX-512, a compress: `json::simd::avx512`), the
//! grammar's bytes are gathered instead of fed to it, and a text of the
//! last one's shape is spared the grammar (`json::simd::shape`).

use super::types::{Scan, Watch};
use grammar::Stage2;
use stage1::Stage1;
use std::arch::x86_64::{
    __m256i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x, _mm_set1_epi8,
    _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8, _mm256_or_si256,
    _mm256_set1_epi8, _mm256_setr_epi8, _mm256_setzero_si256, _mm256_shuffle_epi8,
    _mm256_storeu_si256, _mm256_testz_si256,
};
use std::mem::MaybeUninit;
use vectors::Vectors;

/// Proof that this CPU has AVX2, BMI1 and PCLMULQDQ: only [`Simd::detect`]
/// makes one.
#[derive(Clone, Copy)]
pub(super) struct Simd(());

impl Simd {
    /// `Some` when this CPU has AVX2, BMI1 and PCLMULQDQ (std caches the answer).
    #[inline]
    pub(super) fn detect() -> Option<Simd> {
        let yes = crate::cpu::Avx2::detect().is_some()
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("pclmulqdq");
        yes.then_some(Simd(()))
    }
}

/// What `json::scan(b, &mut ())` returns, and whether `b` is ASCII.
#[inline]
pub(super) fn validate(simd: Simd, b: &[u8]) -> Option<(Scan, bool)> {
    // SAFETY: a `Simd` exists only when the CPU has AVX2, BMI1 and
    // PCLMULQDQ; nothing is copied.
    unsafe { validate_avx2::<(), false>(simd, b, &mut (), std::ptr::null_mut()) }
}

/// [`validate`], with `w` told what it watches for, copying `b` into `dst`
/// as it reads it (watched, without its whitespace outside strings): when
/// it returns `Some`, the first bytes of `dst` are that copy. `None` also
/// when `dst` is shorter than `b` and 64 bytes more.
#[inline]
pub(super) fn validate_into<W: Watch>(
    simd: Simd,
    b: &[u8],
    w: &mut W,
    dst: &mut [MaybeUninit<u8>],
) -> Option<(Scan, bool)> {
    let dst = dst.get_mut(..b.len() + 64)?;
    // SAFETY: a `Simd` exists only when the CPU has AVX2, BMI1 and
    // PCLMULQDQ; `dst` has room for `b.len()` bytes and 64 more.
    unsafe { validate_avx2::<W, true>(simd, b, w, dst.as_mut_ptr().cast()) }
}

/// # Safety
/// The CPU has AVX2, BMI1 and PCLMULQDQ; see [`validate_with`] for `dst`.
#[target_feature(enable = "avx2,bmi1,pclmulqdq")]
unsafe fn validate_avx2<W: Watch, const COPY: bool>(
    simd: Simd,
    b: &[u8],
    w: &mut W,
    dst: *mut u8,
) -> Option<(Scan, bool)> {
    // SAFETY: the caller's `dst` is as `validate_with` needs it. (A shape
    // would cost more to gather here than the grammar it spares.)
    unsafe { validate_with::<_, _, COPY>(simd, b, w, dst, None) }
}

/// The validator, with the vector instructions of `v`; compiled into a
/// function that enables them. With the scan comes whether `b` is ASCII
/// (all of it is loaded anyway: `json::validate_text` saves a pass).
/// With `COPY`, each block is also stored at its place from `dst` on as
/// it is read (`json::validate_text_into` saves another); watched, it is
/// stored without its whitespace outside strings, packed, and the watch
/// is told how many bytes that took.
///
/// # Safety
/// With `COPY`, `dst` is valid for writes of `b.len()` bytes and 64 more.
#[inline(always)]
pub(super) unsafe fn validate_with<V: Vectors, W: Watch, const COPY: bool>(
    v: V,
    b: &[u8],
    w: &mut W,
    dst: *mut u8,
    mut shape: Option<&mut Shape>,
) -> Option<(Scan, bool)> {
    let mut s1 = Stage1::new();
    let mut seen = v.none();
    let mut s2 = Stage2::new();
    // With a shape, the found bytes are gathered for it rather than fed to
    // the grammar, as long as they fit. Only vectors with a compress are
    // given one. (A watch follows stage 1, not the grammar.)
    if let Some(shape) = shape.as_deref_mut() {
        shape.begin();
    }
    // Watched with a shape, the watch follows stage 1 (the grammar may not
    // run); else the grammar tells it of objects and keys.
    let by_blocks = W::ON && shape.is_some();
    let (blocks, rest) = b.as_chunks::<64>();
    let mut padded = [b' '; 64];
    padded[..rest.len()].copy_from_slice(rest);
    let count = blocks.len() + usize::from(!rest.is_empty());
    let mut k = 0;
    // Watched, where the copy has come to.
    let mut to = 0;
    while k < count {
        let block = blocks.get(k).unwrap_or(&padded);
        let x = v.load(block);
        seen = v.or(seen, x);
        if COPY && !W::ON {
            // SAFETY: the caller's `dst` has room for `b.len()` bytes: a
            // whole block's 64 at `k * 64`, or the rest's.
            unsafe {
                match k < blocks.len() {
                    true => v.store(x, dst.add(k * 64)),
                    false => {
                        std::ptr::copy_nonoverlapping(rest.as_ptr(), dst.add(k * 64), rest.len())
                    }
                }
            }
        }
        let (quote, backslash, ctrl) = v.string_bytes(x);
        if W::ON {
            if v.del(x) != 0 {
                w.spoil();
            }
            if backslash != 0 {
                w.backslashes(b, k * 64, backslash);
            }
        }
        if s1.in_string & !(quote | backslash | ctrl | s1.escaped) == !0 {
            // The middle of a long string: nothing to see, here and in the
            // blocks that follow without a quote, backslash or control byte
            // (or, watched, a DEL).
            if COPY && W::ON {
                // SAFETY: `to <= k * 64`: within the caller's room.
                unsafe { v.store(x, dst.add(to)) };
                to += 64;
            }
            k += 1;
            while let Some(block) = blocks.get(k) {
                let x = v.load(block);
                if !v.quiet(x) || W::ON && v.del(x) != 0 {
                    break;
                }
                seen = v.or(seen, x);
                if COPY {
                    let at = if W::ON { to } else { k * 64 };
                    // SAFETY: as above, for a whole block (`to <= k * 64`).
                    unsafe { v.store(x, dst.add(at)) };
                    to += 64;
                }
                k += 1;
            }
            continue;
        }
        let base = k * 64;
        let bits = s1.block(v, b, block, base, x, (quote, backslash, ctrl))?;
        if by_blocks {
            let (colons, curly) = v.marks(x);
            let s = bits.structural;
            let keep = w.block(b, base, (colons & s, curly & s, bits.strings, s));
            if keep != 0 {
                let room = w.room();
                if room.len() >= 80 {
                    let dst = room.as_mut_ptr().cast();
                    // SAFETY: `room` takes 80 bytes.
                    let n = unsafe {
                        match V::COMPRESS {
                            true => v.compress(x, keep, dst),
                            false => {
                                let mut padded = [0u8; 80];
                                v.store(x, padded.as_mut_ptr());
                                compress::runs(&padded, keep, dst)
                            }
                        }
                    };
                    w.wrote(n);
                }
            }
        }
        if W::ON && COPY {
            {
                // The padding of the last block is not the text's.
                let real = match k < blocks.len() {
                    true => !0,
                    false => (1u64 << rest.len()) - 1,
                };
                let keep = !bits.ws_outside & real;
                // SAFETY: `to <= k * 64`, so 64 bytes from `to` are
                // within the caller's room.
                to += unsafe {
                    match keep {
                        u64::MAX => {
                            v.store(x, dst.add(to));
                            64
                        }
                        _ => v.compress(x, keep, dst.add(to)),
                    }
                };
            }
        }
        let gathered = match shape.as_deref_mut() {
            Some(shape) => {
                let fits = shape.push(v, x, bits.found, bits.starts);
                if !fits {
                    // Too long to remember: the grammar from here on.
                    s2.feed(shape.bytes())?;
                }
                fits
            }
            None => false,
        };
        if !gathered {
            shape = None;
            let at = grammar::At {
                b,
                base,
                closing: bits.closing,
            };
            match by_blocks {
                true => s2.run(block, bits.found, at, &mut ())?,
                false => s2.run(block, bits.found, at, w)?,
            }
        }
        grammar::scalars(b, block, base, bits.starts, w)?;
        k += 1;
    }
    if W::ON {
        w.copied(to);
    }
    if s1.in_string != 0 {
        return None;
    }
    let grammar = match shape {
        Some(shape) => shape.accepts(&mut s2),
        None => s2.done(),
    };
    if !grammar {
        return None;
    }
    // In an accepted text the first and last bytes that are not whitespace
    // are those of its one value.
    let start = b.iter().position(|&c| !is_ws(c))?;
    let end = b.iter().rposition(|&c| !is_ws(c))? + 1;
    let scan = Scan {
        start,
        end,
        newline: s1.newline,
    };
    Some((scan, !v.high(seen)))
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The low-nibble lookup that finds whitespace: each whitespace byte sits
/// at its own low nibble, and the other entries match no byte with theirs
/// (the shuffle gives 0 for bytes of 0x80 and above).
pub(super) const WS_TABLE: [u8; 16] = [
    b' ', 100, 100, 100, 17, 100, 113, 2, 100, b'\t', b'\n', 112, 100, b'\r', 100, 100,
];
/// The low-nibble lookup that finds `{}[]:,`, compared with the byte with
/// bit 5 set (which makes `[` `]` into `{` `}`).
pub(super) const OP_TABLE: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b':', b'{', b',', b'}', 0, 0];

impl Vectors for Simd {
    type Block = (__m256i, __m256i);
    const COMPRESS: bool = false;

    #[inline(always)]
    fn load(self, block: &[u8; 64]) -> Self::Block {
        let p = block.as_ptr();
        // SAFETY: `self` proves the CPU has AVX2; the two loads read the
        // 64 bytes of `block` and need no alignment.
        unsafe {
            (
                _mm256_loadu_si256(p.cast::<__m256i>()),
                _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
            )
        }
    }

    #[inline(always)]
    fn quiet(self, (lo, hi): Self::Block) -> bool {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe {
            let any = |x| {
                let q = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'"' as i8));
                let bs = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(b'\\' as i8));
                _mm256_or_si256(_mm256_or_si256(q, bs), control(x))
            };
            let any = _mm256_or_si256(any(lo), any(hi));
            _mm256_testz_si256(any, any) == 1
        }
    }

    #[inline(always)]
    fn string_bytes(self, (lo, hi): Self::Block) -> (u64, u64, u64) {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe {
            (
                eq(lo, hi, b'"'),
                eq(lo, hi, b'\\'),
                bits(control(lo), control(hi)),
            )
        }
    }

    #[inline(always)]
    fn layout(self, (lo, hi): Self::Block) -> (u64, u64) {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe {
            let ws = table(WS_TABLE);
            let op = table(OP_TABLE);
            let space = |x| _mm256_cmpeq_epi8(_mm256_shuffle_epi8(ws, x), x);
            let curly = |x| _mm256_or_si256(x, _mm256_set1_epi8(0x20));
            let operator = |x| _mm256_cmpeq_epi8(_mm256_shuffle_epi8(op, x), curly(x));
            (bits(space(lo), space(hi)), bits(operator(lo), operator(hi)))
        }
    }

    #[inline(always)]
    fn prefix_xor(self, x: u64) -> u64 {
        // SAFETY: `self` proves the CPU has PCLMULQDQ (and SSE2).
        unsafe {
            let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(product) as u64
        }
    }

    #[inline(always)]
    fn marks(self, (lo, hi): Self::Block) -> (u64, u64) {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe {
            let six = _mm256_set1_epi8(0x06);
            let (lo6, hi6) = (_mm256_or_si256(lo, six), _mm256_or_si256(hi, six));
            (eq(lo, hi, b':'), eq(lo6, hi6, 0x7F))
        }
    }

    #[inline(always)]
    fn del(self, (lo, hi): Self::Block) -> u64 {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe { eq(lo, hi, 0x7F) }
    }

    #[inline(always)]
    fn none(self) -> Self::Block {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe { (_mm256_setzero_si256(), _mm256_setzero_si256()) }
    }

    #[inline(always)]
    fn or(self, (a, b): Self::Block, (c, d): Self::Block) -> Self::Block {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe { (_mm256_or_si256(a, c), _mm256_or_si256(b, d)) }
    }

    #[inline(always)]
    fn high(self, (lo, hi): Self::Block) -> bool {
        // SAFETY: `self` proves the CPU has AVX2.
        unsafe { _mm256_movemask_epi8(_mm256_or_si256(lo, hi)) != 0 }
    }

    #[inline(always)]
    unsafe fn gather(self, v: Self::Block, found: u64, starts: u64, dst: *mut u8) -> usize {
        // SAFETY: as the caller's.
        unsafe { shape::one_by_one(self, v, found, starts, dst) }
    }

    #[inline(always)]
    unsafe fn compress(self, v: Self::Block, keep: u64, dst: *mut u8) -> usize {
        let mut padded = [0u8; 80];
        // SAFETY: `self` proves the CPU has AVX2 (so SSSE3); `padded` takes
        // the 64 stored, and the caller's `dst` takes 64 bytes.
        unsafe {
            self.store(v, padded.as_mut_ptr());
            compress::by_table(&padded, keep, dst)
        }
    }

    #[inline(always)]
    unsafe fn store(self, (lo, hi): Self::Block, dst: *mut u8) {
        // SAFETY: `self` proves the CPU has AVX2; the caller's `dst` takes
        // 64 bytes, and the stores need no alignment.
        unsafe {
            _mm256_storeu_si256(dst.cast(), lo);
            _mm256_storeu_si256(dst.add(32).cast(), hi);
        }
    }
}

/// Bit n set when byte n of the 64 in `lo`, `hi` has its top bit set.
///
/// # Safety
/// The CPU must have AVX2.
#[inline(always)]
unsafe fn bits(lo: __m256i, hi: __m256i) -> u64 {
    // SAFETY: the caller's CPU has AVX2.
    let (lo, hi) = unsafe { (_mm256_movemask_epi8(lo), _mm256_movemask_epi8(hi)) };
    u64::from(lo as u32) | u64::from(hi as u32) << 32
}

/// Bit n set when byte n is `c`.
///
/// # Safety
/// The CPU must have AVX2.
#[inline(always)]
unsafe fn eq(lo: __m256i, hi: __m256i, c: u8) -> u64 {
    // SAFETY: the caller's CPU has AVX2.
    unsafe {
        let c = _mm256_set1_epi8(c as i8);
        bits(_mm256_cmpeq_epi8(lo, c), _mm256_cmpeq_epi8(hi, c))
    }
}

/// 0xFF where the byte is below 0x20.
///
/// # Safety
/// The CPU must have AVX2.
#[inline(always)]
unsafe fn control(x: __m256i) -> __m256i {
    // SAFETY: the caller's CPU has AVX2.
    unsafe { _mm256_cmpeq_epi8(_mm256_min_epu8(x, _mm256_set1_epi8(0x1F)), x) }
}

/// `t` in both 16-byte lanes, for `_mm256_shuffle_epi8`.
///
/// # Safety
/// The CPU must have AVX.
#[inline(always)]
unsafe fn table(t: [u8; 16]) -> __m256i {
    let t = t.map(|c| c as i8);
    // SAFETY: the caller's CPU has AVX.
    unsafe {
        _mm256_setr_epi8(
            t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13],
            t[14], t[15], t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11],
            t[12], t[13], t[14], t[15],
        )
    }
}

pub(super) mod avx512;
mod compress;
mod grammar;
mod shape;
mod stage1;
mod vectors;
pub(super) use shape::{Shape, one_by_one as gather_one_by_one};
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
