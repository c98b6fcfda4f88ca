//! json: whether data is JSON, and where, for `--json-data` and `--jq`,
//! answered by the fastest scanner or validator this CPU can run (the
//! dispatch is here, chosen per call from what std caches).
//!
//! The scanner (`scalar`; strings searched 32 bytes at a time with AVX2,
//! `avx2`) accepts what `serde_json` accepts and can re-emit the text; the
//! simdjson-style validator (`simd`; with AVX-512BW, `simd::avx512`) gives
//! the same answers faster where the CPU has AVX2; `canon` tells, in the
//! validator's pass, whether a text is written as `jq -c` writes it. What
//! they share is in `types`; none of them but `canon`, which is built on
//! the dispatch, imports this file.

#[cfg(target_arch = "x86_64")]
mod avx2;
pub(super) mod canon;
#[cfg(target_arch = "x86_64")]
mod keysig;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod simd;
mod types;

use scalar::{Portable, scan_with};
pub(crate) use types::Emit;
use types::Scan;
#[cfg(target_arch = "x86_64")]
use types::Watch;

/// Scans `b` as one JSON text, reporting its tokens to `e`. `None` when it
/// is not JSON (what `e` received by then is then meaningless). Strings are
/// scanned 32 bytes at a time where the CPU has AVX2 (`json::avx2`).
#[inline]
pub(crate) fn scan<E: Emit>(b: &[u8], e: &mut E) -> Option<Scan> {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = avx2::Avx2::detect() {
        return avx2::scan(avx2, b, e);
    }
    scan_with(Portable, b, e)
}

/// Whether `b` is UTF-8 and one JSON text, and where: what [`scan`]
/// returns with the `()` emitter for UTF-8 text. Found by the
/// simdjson-style validator (`json::simd`) where the CPU has AVX2 (or
/// AVX-512BW, `json::simd::avx512`), BMI1 and PCLMULQDQ; it reads every byte
/// anyway and tells whether they are all ASCII, so only text that is not
/// is read again for UTF-8. A text shorter than [`SHORT`] bytes (a scalar,
/// a one-member object such as `{"seq":123}`) goes to the scanner, whose
/// few steps cost less than the validator's padded block.
#[inline]
pub(crate) fn validate_text(b: &[u8]) -> Option<Scan> {
    #[cfg(target_arch = "x86_64")]
    if b.len() >= SHORT {
        let found = if let Some(simd) = simd::avx512::Simd512::detect() {
            Some(simd::avx512::validate(simd, b))
        } else {
            simd::Simd::detect().map(|simd| simd::validate(simd, b))
        };
        if let Some(found) = found {
            let (scan, ascii) = found?;
            return (ascii || crate::format::utf8::is_utf8(b)).then_some(scan);
        }
    }
    let scan = scan(b, &mut ())?;
    crate::format::utf8::is_utf8(b).then_some(scan)
}

/// [`validate_text`], appending all of `b` to `out` when it is JSON (and
/// nothing when not). Where the validator runs, it copies each block as it
/// reads it, which saves a pass over the text.
#[inline]
pub(crate) fn validate_text_into(b: &[u8], out: &mut Vec<u8>) -> Option<Scan> {
    #[cfg(target_arch = "x86_64")]
    if b.len() >= SHORT {
        use simd::Shape;
        use std::cell::RefCell;
        thread_local! {
            // The shape of the last text: the events of a stream mostly
            // share one (see `json::simd::shape`).
            static SHAPE: RefCell<Shape> = RefCell::default();
        }
        let found = SHAPE.with_borrow_mut(|shape| {
            let keep = |_: &Scan, ascii: bool, _: &mut ()| {
                (ascii || crate::format::utf8::is_utf8(b)).then_some(b.len())
            };
            validate_copying(b, &mut (), out, Some(shape), keep)
        });
        if let Some(found) = found {
            return found;
        }
    }
    let scan = validate_text(b)?;
    out.extend_from_slice(b);
    Some(scan)
}

/// The validator's answer on `b` (`w` told what it watches for), with `b`
/// copied into `out`'s spare room as the validator reads it (watched,
/// without its whitespace outside strings). An accepted text that `keep`
/// (given the scan, whether `b` is ASCII, and the watch) also accepts is
/// appended to `out`, as many bytes of the copy as `keep` says:
/// `Some(Some(scan))`; else nothing is, `Some(None)`. `None` where the CPU
/// has no validator.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn validate_copying<W: Watch>(
    b: &[u8],
    w: &mut W,
    out: &mut Vec<u8>,
    shape: Option<&mut simd::Shape>,
    keep: impl FnOnce(&Scan, bool, &mut W) -> Option<usize>,
) -> Option<Option<Scan>> {
    // The copy may store a whole block past the text's end.
    out.reserve(b.len() + 64);
    let dst = out.spare_capacity_mut();
    let avx512 = simd::avx512::Simd512::detect();
    #[cfg(test)]
    let (avx512, shape) = match PATH.get() {
        Path::Best => (avx512, shape),
        Path::NoShape => (avx512, None),
        Path::Avx2 => (None, None),
    };
    let found = if let Some(simd) = avx512 {
        simd::avx512::validate_into(simd, b, w, dst, shape)
    } else {
        simd::validate_into(simd::Simd::detect()?, b, w, dst)
    };
    let Some((scan, ascii)) = found else {
        return Some(None);
    };
    match keep(&scan, ascii, w) {
        Some(n) => {
            // SAFETY: the validator accepted `b`, so it read all of it, and
            // wrote its copy after the vector's length: all `b.len()` bytes,
            // or watched, the `n` (at most `b.len()`) its watch was told
            // of, within the room `reserve` made.
            unsafe { out.set_len(out.len() + n.min(b.len())) };
            Some(Some(scan))
        }
        None => Some(None),
    }
}

/// Which of the validator's paths `validate_copying` takes, for tests of
/// each on this CPU: the best, AVX-512 without a shape, AVX2.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub(super) enum Path {
    Best,
    NoShape,
    Avx2,
}

/// [`validate_text`]'s validator by each route this CPU has (AVX2, and
/// AVX-512BW where it has that), without the short-text cut-off: for the
/// guard-page tests (`format::guard_tests`).
#[cfg(all(test, target_arch = "x86_64"))]
pub(super) fn validate_each(b: &[u8]) -> Vec<(&'static str, Option<(Scan, bool)>)> {
    let mut all = Vec::new();
    if let Some(simd) = simd::Simd::detect() {
        all.push(("avx2", simd::validate(simd, b)));
    }
    if let Some(simd) = simd::avx512::Simd512::detect() {
        all.push(("avx512", simd::avx512::validate(simd, b)));
    }
    all
}

#[cfg(test)]
thread_local! {
    pub(super) static PATH: std::cell::Cell<Path> = const { std::cell::Cell::new(Path::Best) };
}

/// See [`validate_text`]: measured on 9-14 byte objects (the scanner is 8 %
/// cheaper) and 35-byte ones (the validator is 22 % cheaper).
#[cfg(target_arch = "x86_64")]
pub(super) const SHORT: usize = 16;
