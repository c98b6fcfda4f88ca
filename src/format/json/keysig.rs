//! json::keysig: whether a text has an object with a repeated key, told
//! as the validator reads it (`json::canon`'s watch).
//!
//! The watch writes the text's `{`, `}` and keys (with their quotes) in
//! order: its key signature. Where the grammar runs on every block (no
//! shape memory: AVX2, AVX-512 without VBMI2) it tells of each; where the
//! shape memory may spare the grammar (VBMI2), stage 1's bits do, so that
//! such a text is checked too: in an accepted text, the bytes between a
//! colon and the structural character before it are whitespace and a key,
//! so per block a fill down from each colon through the bytes that are
//! not structural finds them (a few shifts for all the block's keys at
//! once), and one compress appends the block's keys and braces.
//!
//! Two texts with the same signature have the same keys in the same
//! objects, so the answer for one is the answer for the other. The events of a stream
//! mostly have the keys of one of a few kinds of record: a small memory
//! of signatures without a repeated key (most recently met first) answers
//! for most texts in one comparison; another signature is read object by
//! object with [`Keys`], and remembered when it passes.
//!
//! A key with a backslash is left to the scanner (as the scanner's check
//! does), so a signature is never ambiguous: each key is a quote, bytes
//! that are no quote, and a quote. So is, by stage 1's bits, a key that
//! begins more than a block before its colon (a rare long one).

use super::canon::Keys;
use std::mem::MaybeUninit;

/// How many signatures are remembered.
const MEMORY: usize = 8;
/// The longest signature remembered (bytes); longer ones are read every
/// time.
const CAP: usize = 16 * 1024;

/// The key signature of the text being read, and the memory.
#[derive(Default)]
pub(super) struct KeySig {
    /// `{`, `}` and each key with its quotes, in the text's order.
    sig: Vec<u8>,
    /// The last block seen before this one: its offset, structural
    /// characters, strings and backslashes (for a key that began there).
    prev: (usize, u64, u64, u64),
    /// Signatures without a repeated key, most recently met first.
    memory: Vec<Vec<u8>>,
    keys: Keys,
}

impl KeySig {
    /// A new text.
    #[inline]
    pub(super) fn clear(&mut self) {
        self.sig.clear();
        self.prev = (usize::MAX, 0, 0, 0);
    }

    /// A block of the text `b` at `base` (see `Watch::block`), with its
    /// backslashes: the bytes of the block to append to the signature
    /// (its keys and `{` `}`); `None` when a key has a backslash or began
    /// more than a block before.
    #[inline(always)]
    pub(super) fn block(
        &mut self,
        b: &[u8],
        base: usize,
        (colons, curly, strings, structural): (u64, u64, u64, u64),
        slashes: u64,
    ) -> Option<u64> {
        // From each colon down through what is not structural (Kogge and
        // Stone's fill: `pass` is where it may go on for 1, 2, 4... bytes).
        let mut zone = colons;
        let mut pass = !structural;
        for shift in [1, 2, 4, 8, 16] {
            zone |= pass & (zone >> shift);
            pass &= pass >> shift;
        }
        zone |= pass & (zone >> 32);
        let keys = zone & strings;
        let mut clean = keys & slashes == 0;
        if zone & 1 != 0 {
            // A zone reaches the block's start: its key may have begun in
            // the block before.
            clean &= self.tail(b, base);
        }
        self.prev = (base, structural, strings, slashes);
        clean.then_some(keys | curly)
    }

    /// Appends what of a key lies at the end of the block before the one
    /// at `base` (after its last structural character); false when that
    /// has a backslash, or is not the block just before (the key began in
    /// a block passed over inside a string), or the key began earlier.
    #[cold]
    fn tail(&mut self, b: &[u8], base: usize) -> bool {
        let (at, structural, strings, slashes) = self.prev;
        if at.wrapping_add(64) != base || structural == 0 {
            return false;
        }
        let last = 63 - structural.leading_zeros();
        let part = strings & (!0u64).checked_shl(last + 1).unwrap_or(0);
        if part & slashes != 0 {
            return false;
        }
        if part == 0 {
            return true;
        }
        // One string: the key's first part, mostly short (one 16-byte
        // copy rather than a call).
        let from = at + part.trailing_zeros() as usize;
        let to = at + 64 - part.leading_zeros() as usize;
        self.append(b, from, to)
    }

    /// `{` or `}`, told by the grammar.
    #[inline(always)]
    pub(super) fn brace(&mut self, c: u8) {
        self.sig.push(c);
    }

    /// The key whose opening quote is at `open` in `b`, told by the
    /// grammar, with its closing quote at `end` when that is in the same
    /// block, and that block's backslashes: false when it has a backslash.
    #[inline(always)]
    pub(super) fn key(&mut self, b: &[u8], open: usize, end: Option<usize>, slashes: u64) -> bool {
        let close = match end {
            Some(close) => {
                let (o, e) = (open & 63, close & 63);
                if slashes & ((1u64 << e) - 1) & !((2u64 << o) - 1) != 0 {
                    return false;
                }
                close
            }
            // A key that goes on into the next block: a loop finds its
            // end (keys are short: less than memchr's set-up costs).
            None => {
                let Some(rest) = b.get(open + 1..) else {
                    return false;
                };
                match rest.iter().position(|&c| c == b'"' || c == b'\\') {
                    Some(n) if rest[n] == b'"' => open + 1 + n,
                    _ => return false,
                }
            }
        };
        self.append(b, open, close + 1)
    }

    /// Appends `b[from..to]` (false when it is not within `b`): mostly a
    /// short key, one 16-byte copy (a vector load and store, which the
    /// compiler does not make a call).
    #[inline(always)]
    fn append(&mut self, b: &[u8], from: usize, to: usize) -> bool {
        let Some(key) = b.get(from..to) else {
            return false;
        };
        if key.len() <= 16 && from + 16 <= b.len() {
            self.sig.reserve(16);
            let len = self.sig.len();
            // SAFETY: `b` holds 16 bytes from `from`; `reserve` made room
            // for 16 after the length, and the key's are within it.
            unsafe {
                use std::arch::x86_64::{_mm_loadu_si128, _mm_storeu_si128};
                let w = _mm_loadu_si128(b.as_ptr().add(from).cast());
                _mm_storeu_si128(self.sig.as_mut_ptr().add(len).cast(), w);
                self.sig.set_len(len + key.len());
            }
        } else {
            self.long(key);
        }
        true
    }

    /// A long key, or one near the text's end.
    #[inline(never)]
    fn long(&mut self, key: &[u8]) {
        self.sig.extend_from_slice(key);
    }

    /// Room for 80 more bytes of the signature (a block's 64, written by
    /// pieces that may pass their end by 16).
    #[inline(always)]
    pub(super) fn room(&mut self) -> &mut [MaybeUninit<u8>] {
        self.sig.reserve(80);
        self.sig.spare_capacity_mut()
    }

    /// `n` bytes were written at [`KeySig::room`].
    #[inline(always)]
    pub(super) fn wrote(&mut self, n: usize) {
        let len = self.sig.len() + n;
        // SAFETY: the caller wrote `n` bytes (at most 64) after the length,
        // in the room `room` made.
        unsafe { self.sig.set_len(len.min(self.sig.capacity())) };
    }

    /// Whether no object of the text has a repeated key or more than
    /// `MAX_KEYS` keys (read when all its blocks have been; only for an
    /// accepted text whose keys have no backslash).
    pub(super) fn distinct(&mut self) -> bool {
        if self.sig.is_empty() {
            return true;
        }
        if let Some(i) = self.memory.iter().position(|s| *s == self.sig) {
            self.memory.swap(0, i);
            return true;
        }
        if !self.read() {
            return false;
        }
        if self.sig.len() <= CAP {
            let mut kept = match self.memory.len() {
                MEMORY.. => self.memory.pop().unwrap_or_default(),
                _ => Vec::new(),
            };
            kept.clear();
            kept.extend_from_slice(&self.sig);
            self.memory.insert(0, kept);
        }
        true
    }

    /// The signature read object by object.
    fn read(&mut self) -> bool {
        let s = &self.sig;
        self.keys.clear();
        let mut i = 0;
        while let Some(&c) = s.get(i) {
            match c {
                b'{' => self.keys.open(),
                b'}' => self.keys.close(),
                _ => {
                    // A key: its quote, then bytes that are no quote.
                    let Some(n) = s[i + 1..].iter().position(|&c| c == b'"') else {
                        return false;
                    };
                    if !self.keys.note(s, i + 1, n) {
                        return false;
                    }
                    i += n + 1;
                }
            }
            i += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::canon::{Canonical, copy_if_as_jq_writes_it};
    use super::super::{PATH, Path};

    fn validator() -> bool {
        std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("pclmulqdq")
    }

    /// The validator's verdict on `t` by each of its paths on this CPU
    /// (all the same), each with the shapes and signatures it met before
    /// on this thread; what is copied is `t` without its whitespace.
    fn verdict(t: &str) -> Canonical {
        let mut first = None;
        for path in [Path::Best, Path::NoShape, Path::Avx2] {
            PATH.set(path);
            let mut out = b"x".to_vec();
            let got = copy_if_as_jq_writes_it(t.as_bytes(), &mut out);
            PATH.set(Path::Best);
            if got == Canonical::Copied {
                let want: String = t.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                assert_eq!(String::from_utf8_lossy(&out[1..]), want, "{path:?}");
            } else {
                assert_eq!(out, b"x");
            }
            assert_eq!(*first.get_or_insert(got), got, "{path:?}: {t}");
        }
        first.unwrap_or(Canonical::Unknown)
    }

    /// The members `keys` (with values of a few kinds), in a `style`:
    /// (after a comma, before a colon, after a colon).
    fn members(keys: &[String], (comma, before, after): (&str, &str, &str)) -> String {
        let values = ["1", "\"v\"", "[2,{}]", "true", "{\"k0\":0}"];
        let m: Vec<String> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| format!("\"{k}\"{before}:{after}{}", values[i % values.len()]))
            .collect();
        m.join(&format!(",{comma}"))
    }

    /// A text with the `keys` object at place `at` (0: the top, 1: a member
    /// object, 2: an object in an array), after `pad` bytes of a string.
    fn text(
        keys: &[String],
        other: &[String],
        style: (&str, &str, &str),
        pad: usize,
        at: usize,
    ) -> String {
        let (obj, top) = match at {
            0 => (members(other, style), members(keys, style)),
            _ => (members(keys, style), members(other, style)),
        };
        let (inner, list) = match at {
            2 => (members(other, style), obj),
            _ => (obj, members(other, style)),
        };
        let p = "p".repeat(pad);
        format!("{{\"pad\":\"{p}\",{top},\"o\":{{{inner}}},\"a\":[1,{{{list}}}]}}")
    }

    #[test]
    fn a_repeated_key_is_found_in_every_position() {
        if !validator() {
            return;
        }
        let styles = [
            ("", "", ""),
            (" ", "", " "),
            ("\n    ", "", " "),
            ("", " ", " "),
            ("\t", "\n", "\r\n"),
        ];
        let n = 9;
        // Keys of several lengths, some longer than 16 bytes.
        let keys: Vec<String> = (0..n)
            .map(|i| format!("k{i}{}", "y".repeat(i * 5 % 23)))
            .collect();
        let other: Vec<String> = (0..3).map(|i| format!("o{i}")).collect();
        for pad in [0, 9, 40, 63] {
            for style in styles {
                for at in 0..3 {
                    let distinct = text(&keys, &other, style, pad, at);
                    for i in 0..n {
                        for j in i + 1..n {
                            let mut rep = keys.clone();
                            rep[j] = keys[i].clone();
                            let t = text(&rep, &other, style, pad, at);
                            // The distinct text first: its shape and keys
                            // are remembered; then twice with its own.
                            assert_eq!(verdict(&distinct), Canonical::Copied, "{distinct}");
                            assert_eq!(verdict(&t), Canonical::Json, "{t}");
                            assert_eq!(verdict(&t), Canonical::Json, "{t}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn keys_of_the_same_shape_and_lengths_are_told_apart() {
        if !validator() {
            return;
        }
        let pad = "x".repeat(50);
        let good = format!(r#"{{"pad":"{pad}","ab":1,"cd":{{"ab":2,"cd":3}},"ef":[{{"ab":4}}]}}"#);
        // The same shape and key lengths; a key moved to another object.
        let bad = format!(r#"{{"pad":"{pad}","ab":1,"cd":{{"ab":2,"ab":3}},"ef":[{{"cd":4}}]}}"#);
        let moved = format!(r#"{{"pad":"{pad}","ab":1,"cd":{{"ab":2,"cd":3}},"ab":[{{"ef":4}}]}}"#);
        for _ in 0..3 {
            assert_eq!(verdict(&good), Canonical::Copied);
            assert_eq!(verdict(&bad), Canonical::Json);
            assert_eq!(verdict(&moved), Canonical::Json);
        }
        // Braces and colons inside strings are no objects or keys.
        let strings = format!(r#"{{"pad":"{pad}","a":"{{\"a\":1}}","b":"}}:{{","a:":{{}}}}"#);
        assert_eq!(verdict(&strings), Canonical::Copied, "{strings}");
    }

    #[test]
    fn keys_with_escapes_are_left_to_the_scanner_across_blocks() {
        if !validator() {
            return;
        }
        for pad in 0..70 {
            let p = "p".repeat(pad);
            for key in [r"k\ney", r"k\\", r#"\"k"#, r"abcdefghijklmnopqrst\u0001"] {
                for gap in ["", "  ", "\n"] {
                    let t = format!(r#"{{"pad":"{p}","x":"a\"b","{key}"{gap}:1,"z":2}}"#);
                    assert_eq!(verdict(&t), Canonical::Json, "{t}");
                }
            }
            // Escapes in values before and after a key are fine.
            let t = format!(r#"{{"pad":"{p}","x":"a\"\\","key" : "\n\"","z\u00e9":2}}"#);
            assert_eq!(verdict(&t), Canonical::Json, "{t}");
            let t = format!(r#"{{"pad":"{p}","x":"a\"\\","key" : "\n\"","z":2}}"#);
            assert_eq!(verdict(&t), Canonical::Copied, "{t}");
        }
    }

    #[test]
    fn the_memory_keeps_the_most_recent_signatures() {
        if !validator() {
            return;
        }
        // More kinds of record than the memory holds, in turn: each is
        // read again when it has been forgotten, with the same verdicts.
        let kinds: Vec<String> = (0..super::MEMORY + 3)
            .map(|i| {
                format!(
                    r#"{{"kind":{i},"k{i}":"{}","m":{{"a":1,"b{i}":2}}}}"#,
                    "v".repeat(i)
                )
            })
            .collect();
        for _ in 0..3 {
            for k in &kinds {
                assert_eq!(verdict(k), Canonical::Copied, "{k}");
                let bad = k.replace("\"m\"", "\"kind\"");
                assert_eq!(verdict(&bad), Canonical::Json, "{bad}");
            }
        }
    }
}
