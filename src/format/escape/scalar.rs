//! escape::scalar: JSON string escaping on any CPU, eight bytes at a
//! time (SWAR), and what the vector escapers and the JSON scanner share
//! with it: the table of escapes and the search for the next byte a JSON
//! string cannot hold as it is. A leaf.

/// For each byte: 0 when it goes out as it is, else the letter after the
/// backslash of its escape (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = b'u';
        c += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Appends valid UTF-8 `b` with JSON escaping, copying runs of safe bytes.
/// Eight bytes at a time: a word without hits is skipped at once, and every
/// hit of a word is handled before moving on (in JSON-like data quotes are
/// dense, so restarting the scan after each one would cost more).
#[inline]
pub(super) fn push_escaped_swar(out: &mut Vec<u8>, b: &[u8]) {
    let mut copied = 0;
    let mut i = 0;
    while let Some(chunk) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let mut hits = escape_mask(u64::from_le_bytes(*chunk));
        while hits != 0 {
            let j = i + (hits.trailing_zeros() / 8) as usize;
            // Bytes above the first hit may be false hits: check them.
            if ESCAPE[usize::from(chunk[j - i])] != 0 {
                out.extend_from_slice(&b[copied..j]);
                push_escape(out, chunk[j - i]);
                copied = j + 1;
            }
            hits &= hits - 1;
        }
        i += 8;
    }
    for (j, &c) in b.iter().enumerate().skip(i) {
        if ESCAPE[usize::from(c)] != 0 {
            out.extend_from_slice(&b[copied..j]);
            push_escape(out, c);
            copied = j + 1;
        }
    }
    out.extend_from_slice(&b[copied..]);
}

/// Appends the escape of a byte whose `ESCAPE` entry is not 0.
#[inline]
fn push_escape(out: &mut Vec<u8>, c: u8) {
    let (bytes, len) = escape_of(c);
    out.extend_from_slice(&bytes[..len]);
}

/// How `c` goes out in a JSON string: the first `len` bytes of the array
/// (`c` itself, `\x` or `\u00XX`).
#[inline(always)]
pub(super) fn escape_of(c: u8) -> ([u8; 6], usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPE[usize::from(c)] {
        0 => ([c, 0, 0, 0, 0, 0], 1),
        b'u' => {
            let (hi, lo) = (HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]);
            ([b'\\', b'u', b'0', b'0', hi, lo], 6)
        }
        e => ([b'\\', e, 0, 0, 0, 0], 2),
    }
}

/// For the eight bytes of `w` (little-endian), the high bit of each byte
/// that is a control character, `"` or `\`. The lowest set bit is always a
/// real hit; bits above a real hit may be false (borrows carry upwards).
#[inline]
fn escape_mask(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let ctrl = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let s = w ^ (ONES * u64::from(b'\\'));
    let slash = s.wrapping_sub(ONES) & !s;
    (ctrl | quote | slash) & HIGH
}

/// The index of the first byte at or after `i` that JSON strings cannot hold
/// as it is (a control character, `"` or `\`), or `b.len()`.
#[inline]
pub(in crate::format) fn find_escape(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let hits = escape_mask(u64::from_le_bytes(*chunk));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if ESCAPE[usize::from(c)] != 0 {
            return i;
        }
        i += 1;
    }
    b.len()
}
