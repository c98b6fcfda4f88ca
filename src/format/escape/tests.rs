//! Tests for the vector escapers (`escape`, AVX2; `escape::avx512`, AVX-512;
//! and the two together, as AVX-512 machines run them):
//! each must write what the portable loop writes, for every length and
//! every kind of byte. An escaper this CPU cannot run is skipped.

use super::scalar::push_escaped_swar;
use super::{avx2, avx512};

/// The portable escaper, for tests outside this module.
pub(in crate::format) fn portable(out: &mut Vec<u8>, b: &[u8]) {
    push_escaped_swar(out, b);
}

/// The vector escapers this CPU can run, by name.
pub(in crate::format) fn escapers() -> Vec<(&'static str, super::Escaper)> {
    let mut all: Vec<(&'static str, super::Escaper)> = Vec::new();
    if avx2::available() {
        all.push(("avx2", avx2::push_escaped));
    }
    if avx512::available() {
        all.push(("avx512", avx512::push_escaped));
    }
    if avx512::available() && avx2::available() {
        all.push(("avx512 with avx2 for short", super::push_escaped_512));
    }
    if all.is_empty() {
        eprintln!("skipped: this CPU has neither AVX2 nor AVX-512 VBMI2");
    }
    all
}

/// Every escaper's output for `b` equals the portable loop's, and its
/// ASCII verdict is right.
fn check(b: &[u8]) {
    let mut want = b"prefix".to_vec();
    push_escaped_swar(&mut want, b);
    for (name, escape) in escapers() {
        let mut got = b"prefix".to_vec();
        // SAFETY: `escapers` lists only what this CPU can run.
        let ascii = unsafe { escape(&mut got, b) };
        assert_eq!(ascii, b.is_ascii(), "{name}: ASCII verdict for {b:?}");
        assert!(got == want, "{name}: output for {b:?}");
    }
}

#[test]
fn quotes_backslashes_and_control_characters() {
    let mut want = b"prefix".to_vec();
    push_escaped_swar(&mut want, b"a\"b\\c\nd\x01e\x7f");
    assert_eq!(want, b"prefixa\\\"b\\\\c\\nd\\u0001e\x7f");
    check(b"a\"b\\c\nd\x01e\x7f");
    check(b"");
    for n in [1, 17, 31, 32, 33, 40, 63, 64, 65, 128, 129] {
        for c in [b'"', b'\\', 0, b'\n', b'\r', b'\t', 0x1F] {
            check(&vec![c; n]);
        }
    }
}

#[test]
fn random_bytes_of_every_length() {
    // Bytes that matter, weighted up: quotes, backslashes, controls,
    // DEL and high bytes, mixed with plain ASCII.
    let alphabet: &[u8] = b"\"\"\"\\\\\x00\x1f\n\r\t\x7f\x80\xffaz{}:, ";
    let mut rng = fastrand::Rng::with_seed(5);
    for len in 0..300 {
        for _ in 0..50 {
            let b: Vec<u8> = (0..len)
                .map(|_| match rng.u8(0..4) {
                    0 => rng.u8(..),
                    1 => b'x',
                    _ => alphabet[rng.usize(..alphabet.len())],
                })
                .collect();
            check(&b);
        }
    }
}

#[test]
fn inputs_longer_than_a_segment() {
    let mut rng = fastrand::Rng::with_seed(7);
    for len in [4095, 4096, 4097, 10_000, 70_000] {
        let b: Vec<u8> = (0..len)
            .map(|_| if rng.u8(0..8) == 0 { b'"' } else { rng.u8(..) })
            .collect();
        check(&b);
        let text: Vec<u8> = (0..len)
            .map(|_| {
                if rng.u8(0..8) == 0 {
                    b'"'
                } else {
                    rng.u8(32..)
                }
            })
            .collect();
        check(&text);
    }
}

#[test]
fn one_or_two_hits_at_every_place_of_a_block() {
    // Sparse hits (multi-line data has one line break in a line) take
    // their own path: every position, and every pair, over two blocks
    // and a tail, with each kind of hit.
    let plain = b"abcdefghijklmnopqrstuvwxyz0123456789".repeat(4);
    let text = &plain[..130];
    for (i, c) in [b'\n', b'"', b'\\', b'\r', b'\t']
        .into_iter()
        .cycle()
        .take(130)
        .enumerate()
    {
        let mut b = text.to_vec();
        b[i] = c;
        check(&b);
        for j in i + 1..b.len() {
            let mut b2 = b.clone();
            b2[j] = b'\n';
            check(&b2);
        }
    }
}

#[test]
fn the_width_table_is_what_the_escapers_write() {
    for c in 0..=255u8 {
        let mut out = Vec::new();
        super::push_escaped(&mut out, &[c]);
        assert_eq!(
            out.len(),
            usize::from(super::WIDTH[usize::from(c)]),
            "{c:#x}"
        );
    }
}

#[test]
fn a_long_string_gets_its_room_at_once_not_by_doubling() {
    for fill in [1u8, b'a', b'"'] {
        let b = vec![fill; super::COUNT_FROM + 12_345];
        let mut out = Vec::new();
        super::push_escaped(&mut out, &b);
        assert!(out.capacity() <= out.len() + super::AHEAD, "{fill:#x}");
        // Doubling would have left up to twice the length.
        assert!(out.capacity() < out.len() + out.len() / 8);
    }
}
