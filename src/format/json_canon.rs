//! json_canon: whether a JSON text is written as `jq -c` writes it, told
//! by the validator (`json_simd`) in the pass that validates it. `--jq`
//! writes such data from its bytes as they are (`jq::raw`); for other
//! data it asks the scanner, token by token, which costs about twice the
//! validator on real events.
//!
//! The rule is the one `jq::raw` checks with the scanner, kept narrow: no
//! whitespace outside strings, no backslash and no DEL anywhere (so no
//! escape, and nothing `jq` would escape), numbers that are integers of at
//! most 18 digits and not `-0`, and no object with a repeated key or more
//! than [`MAX_KEYS`] keys. A text that fails it is left to the scanner's
//! check, which decides; a text that passes it passes that check too (a
//! proptest in `jq::raw` holds the two together).
//!
//! The validator tells its watch of each block's whitespace outside
//! strings, backslashes and DEL bytes, of each object's opening and
//! closing, of each key's quotes and of each number's first byte; the
//! watch keeps the open objects' keys ([`Keys`], which the scanner's check
//! uses too).

/// What a validation tells besides its verdict, for the check that a text
/// is written as `jq -c` would write it (`json_canon`). `()` is told
/// nothing, and its validation compiles as if there were no watch.
pub(crate) trait Watch {
    const ON: bool;
    /// The text is not as `jq -c` writes it: whitespace outside strings,
    /// a backslash or a DEL.
    fn spoil(&mut self);
    /// An object opens, or closes.
    fn open(&mut self);
    fn close(&mut self);
    /// A key's opening quote is at `at` in `b`; its closing quote at
    /// `end`, when that is in the same block.
    fn key(&mut self, b: &[u8], at: usize, end: Option<usize>);
    /// A number or literal starts at `at` in `b`.
    fn scalar(&mut self, b: &[u8], at: usize);
}

impl Watch for () {
    const ON: bool = false;
    #[inline(always)]
    fn spoil(&mut self) {}
    #[inline(always)]
    fn open(&mut self) {}
    #[inline(always)]
    fn close(&mut self) {}
    #[inline(always)]
    fn key(&mut self, _: &[u8], _: usize, _: Option<usize>) {}
    #[inline(always)]
    fn scalar(&mut self, _: &[u8], _: usize) {}
}

/// The most keys an object may have to be checked for repeats here: past
/// it, each key would be compared with every other (a server could make
/// that quadratic), and such an object is left to the built value.
pub(crate) const MAX_KEYS: usize = 128;

/// The keys of the open objects, to find a repeated one: per object, a
/// 256-bit filter of their fingerprints' hashes, and the keys themselves
/// (offset, length, fingerprint) for when a hash is in the filter already.
#[derive(Default)]
pub(crate) struct Keys {
    /// The keys in the text, innermost object last.
    keys: Vec<(usize, usize, u64)>,
    /// Per open object: where its keys start in `keys`, and its filter.
    objs: Vec<(usize, [u64; 4])>,
}

impl Keys {
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.objs.clear();
    }

    /// An object opens.
    #[inline]
    pub(crate) fn open(&mut self) {
        self.objs.push((self.keys.len(), [0; 4]));
    }

    /// The innermost object closes.
    #[inline]
    pub(crate) fn close(&mut self) {
        if let Some((from, _)) = self.objs.pop() {
            self.keys.truncate(from);
        }
    }

    /// The key `text[at..at + len]` of the innermost object: false when
    /// that object had it already, has [`MAX_KEYS`] keys, or is none.
    #[inline(always)]
    pub(crate) fn note(&mut self, text: &[u8], at: usize, len: usize) -> bool {
        let Some((from, filter)) = self.objs.last_mut() else {
            return false;
        };
        if self.keys.len() - *from >= MAX_KEYS || at + len > text.len() {
            return false;
        }
        let fp = fingerprint(text, at, len);
        let bit = fp.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56;
        let (word, mask) = ((bit >> 6) as usize & 3, 1u64 << (bit & 63));
        if filter[word] & mask != 0 {
            let key = &text[at..at + len];
            let seen = self.keys[*from..]
                .iter()
                .any(|&(o, n, f)| f == fp && text.get(o..o + n) == Some(key));
            if seen {
                return false;
            }
        }
        filter[word] |= mask;
        self.keys.push((at, len, fp));
        true
    }
}

/// A key's length and first eight bytes (all of most keys) in a word:
/// equal keys have equal fingerprints. `at + len` is within `text`.
#[inline(always)]
fn fingerprint(text: &[u8], at: usize, len: usize) -> u64 {
    let head = match text.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(&w) => {
            let w = u64::from_le_bytes(w);
            // The bytes past a short key are not the key's.
            if len < 8 {
                w & ((1u64 << (8 * len)) - 1)
            } else {
                w
            }
        }
        None => text[at..at + len.min(8)]
            .iter()
            .rev()
            .fold(0u64, |w, &c| w << 8 | u64::from(c)),
    };
    head ^ (len as u64).rotate_right(8)
}

#[cfg(target_arch = "x86_64")]
/// The validator's watch: whether the text is still as `jq -c` writes it.
#[derive(Default)]
struct Canon {
    spoiled: bool,
    keys: Keys,
}

#[cfg(target_arch = "x86_64")]
impl Watch for Canon {
    const ON: bool = true;

    #[inline(always)]
    fn spoil(&mut self) {
        self.spoiled = true;
    }

    #[inline(always)]
    fn open(&mut self) {
        self.keys.open();
    }

    #[inline(always)]
    fn close(&mut self) {
        self.keys.close();
    }

    #[inline(always)]
    fn key(&mut self, b: &[u8], at: usize, end: Option<usize>) {
        if self.spoiled {
            return;
        }
        // Without a backslash (else the text is spoiled already, or will
        // be), the key ends at the next quote; past the block, a loop
        // finds it (keys are short: less than memchr's set-up costs).
        let start = at + 1;
        let end = end.or_else(|| {
            let rest = b.get(start..)?;
            rest.iter().position(|&c| c == b'"').map(|n| start + n)
        });
        let noted = end.is_some_and(|end| self.keys.note(b, start, end - start));
        self.spoiled |= !noted;
    }

    #[inline(always)]
    fn scalar(&mut self, b: &[u8], at: usize) {
        // A literal is written as it is; a number when it is an integer
        // (JSON has no leading zeros or `+`), and not -0 (a double).
        let Some(&c) = b.get(at) else {
            return;
        };
        if c != b'-' && !c.is_ascii_digit() {
            return;
        }
        let digits = &b[at + usize::from(c == b'-')..];
        let n = digits
            .iter()
            .take(19)
            .take_while(|d| d.is_ascii_digit())
            .count();
        let fraction = matches!(digits.get(n), Some(b'.' | b'e' | b'E'));
        let minus_zero = c == b'-' && digits.first() == Some(&b'0');
        self.spoiled |= n > 18 || fraction || minus_zero;
    }
}

/// Whether `b` is UTF-8 and one JSON text, written as `jq -c` writes it
/// (see the module comment); if so, it is appended to `out` (copied as the
/// validator reads it). False, with nothing appended, also where the
/// validator does not run: texts shorter than its cut-off, CPUs without
/// AVX2. (The validator tells whether `b` is ASCII: only text that is not
/// is read again for UTF-8.)
pub(crate) fn copy_if_as_jq_writes_it(b: &[u8], out: &mut Vec<u8>) -> bool {
    #[cfg(target_arch = "x86_64")]
    if b.len() >= super::json::SHORT {
        use super::json::Scan;
        use std::cell::RefCell;
        thread_local! {
            static CANON: RefCell<Canon> = RefCell::default();
        }
        return CANON.with_borrow_mut(|c| {
            c.spoiled = false;
            c.keys.clear();
            let keep = |s: &Scan, ascii: bool, c: &Canon| {
                !c.spoiled && s.start == 0 && s.end == b.len() && (ascii || super::is_utf8(b))
            };
            super::json::validate_copying(b, c, out, None, keep)
                .flatten()
                .is_some()
        });
    }
    let _ = (b, out);
    false
}
