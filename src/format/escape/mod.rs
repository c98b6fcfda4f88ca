//! escape: JSON string escaping, the json format's hot loop, by the
//! fastest escaper this CPU can run (chosen here, once per process): 64
//! bytes at a time with AVX-512 (`avx512`), 32 with AVX2 (`avx2`), else
//! eight (`scalar`, on any CPU). All of them produce the same bytes.

use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
pub(super) mod scalar;
#[cfg(all(test, target_arch = "x86_64"))]
pub(super) mod tests;

/// Appends `b` with JSON escaping (bytes from 0x80 go out as they are):
/// with AVX-512 64 bytes at a time (`avx512`), with AVX2 32 bytes at a
/// time (`avx2`), else eight at a time (`scalar`), chosen once per process.
/// Returns true when `b` is known to be all ASCII (so valid UTF-8).
#[inline]
pub(super) fn push_escaped(out: &mut Vec<u8>, b: &[u8]) -> bool {
    if b.len() >= COUNT_FROM {
        reserve_escaped(out, b);
    }
    static CHOICE: OnceLock<Escaper> = OnceLock::new();
    let escape = CHOICE.get_or_init(choose_escaper);
    // SAFETY: `choose_escaper` picks a vector version only where the CPU
    // has what it needs.
    unsafe { escape(out, b) }
}

/// From this length, a string's room is counted and reserved at once.
/// The escapers reserve a segment's worst case at a time, so the output
/// grew by doubling: each step copies it, and under mimalloc (in use once
/// a jq program is compiled) the old blocks stayed resident while the new
/// one filled. A 16 MiB event of control bytes, 96 MB as JSON, peaked at
/// 259 MB with `--until`, against 121 MB without.
const COUNT_FROM: usize = 1 << 20;

/// Room past the count for the escapers' own reserve ahead of each
/// segment (4096 bytes, six a byte at worst, and their slack).
const AHEAD: usize = 4096 * 6 + 128;

/// Reserves exactly the room `b` takes escaped (bytes from 0x80 counted
/// once; text that is not UTF-8 may still grow it), plus `AHEAD`.
#[cold]
#[inline(never)]
fn reserve_escaped(out: &mut Vec<u8>, b: &[u8]) {
    let escaped: usize = b.iter().map(|&c| usize::from(WIDTH[usize::from(c)])).sum();
    out.reserve_exact(escaped.saturating_add(AHEAD));
}

/// How many bytes each byte takes escaped: `\"`, `\\` and the short
/// escapes two, other control bytes six (`\u00XX`), the rest one.
const WIDTH: [u8; 256] = {
    let mut w = [1u8; 256];
    let mut c = 0;
    while c < 0x20 {
        w[c] = 6;
        c += 1;
    }
    w[0x08] = 2;
    w[0x09] = 2;
    w[0x0a] = 2;
    w[0x0c] = 2;
    w[0x0d] = 2;
    w[b'"' as usize] = 2;
    w[b'\\' as usize] = 2;
    w
};

/// An escaping function; unsafe to call unless the CPU can run it.
pub(super) type Escaper = unsafe fn(&mut Vec<u8>, &[u8]) -> bool;

fn choose_escaper() -> Escaper {
    #[cfg(target_arch = "x86_64")]
    {
        if avx512::available() && avx2::available() {
            return push_escaped_512;
        }
        if avx2::available() {
            return avx2::push_escaped;
        }
    }
    |out, b| {
        scalar::push_escaped_swar(out, b);
        false
    }
}

/// The escaper for CPUs with AVX-512: strings under 32 bytes (event
/// types, IDs, a tiny event's data) go to the AVX2 escaper, whose one
/// 32-byte block costs less than a masked 64-byte one (see
/// `benches/RESULTS.md`); longer ones to `avx512`.
///
/// # Safety
/// The CPU must have what both escapers need.
#[cfg(target_arch = "x86_64")]
unsafe fn push_escaped_512(out: &mut Vec<u8>, b: &[u8]) -> bool {
    // SAFETY: the caller's promise.
    unsafe {
        if b.len() < 32 {
            avx2::push_escaped(out, b)
        } else {
            avx512::push_escaped(out, b)
        }
    }
}
