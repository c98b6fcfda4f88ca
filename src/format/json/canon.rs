//! json::canon: whether a JSON text is written as `jq -c` writes it, up to
//! whitespace, told by the validator (`json::simd`) in the pass that
//! validates it. `--jq` writes such data from its bytes (`jq::raw`),
//! dropping the whitespace outside strings as it copies; for other data it
//! asks the scanner, token by token, which costs about twice the validator
//! on real events.
//!
//! The rule is the one `jq::raw` checks with the scanner, kept narrow:
//! no escape but those `jq` writes itself (`\"`, `\\`, `\n`, `\t`, `\r`,
//! `\b`, `\f`, and `\u00xx` in lower case for the other control
//! characters and DEL; see [`jq_escape`]), no DEL as it is, numbers that
//! are integers of at most 18 digits and not `-0`, and no object with a
//! repeated key or more than [`MAX_KEYS`] keys. Whitespace outside strings
//! is allowed: the validator copies the text without it. A text
//! that fails the rule is left to the scanner, which decides; a text that
//! passes it passes the scanner's check too and is written the same (a
//! proptest in `jq::raw` holds the two together).
//!
//! The validator tells its watch of each block's backslashes and DEL
//! bytes, its `{`, `}`, `:` and quotes (from which `json::keysig` tells
//! repeated keys), and of each number's first byte. It tells stage 1's
//! findings, not the grammar's, so a text of the last one's shape, which
//! the validator spares the grammar (`json::simd::shape`), is watched too.

#[cfg(target_arch = "x86_64")]
use super::keysig::KeySig;
#[cfg(target_arch = "x86_64")]
use super::types::Watch;

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

/// The length of the escape at `b[at]` (a backslash) when it is one
/// `jq -c` writes as it is, else None: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
/// `\t`, and `\u00xx` (lower-case hex) for a control character that has
/// no short escape, or for DEL. (`\/` is written `/`, `\u00e9` as `é`.)
#[inline]
pub(crate) fn jq_escape(b: &[u8], at: usize) -> Option<usize> {
    match *b.get(at + 1)? {
        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => Some(2),
        b'u' => {
            let hex = b.get(at + 2..at + 6)?;
            let digit = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            let (h, l) = (digit(hex[2])?, digit(hex[3])?);
            let c = h << 4 | l;
            let short = matches!(c, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d);
            (hex[..2] == *b"00" && (c < 0x20 && !short || c == 0x7f)).then_some(6)
        }
        _ => None,
    }
}

#[cfg(target_arch = "x86_64")]
/// The validator's watch: whether the text is still as `jq -c` writes it.
#[derive(Default)]
struct Canon {
    spoiled: bool,
    /// The keys and objects (`json::keysig`).
    keys: KeySig,
    /// Where the next backslash starts an escape (one before it is the
    /// escaped character).
    free: usize,
    /// The last block with backslashes: (offset, mask).
    slashes: (usize, u64),
    /// How many bytes the copy without whitespace took.
    len: usize,
}

#[cfg(target_arch = "x86_64")]
impl Watch for Canon {
    const ON: bool = true;

    #[inline(always)]
    fn spoil(&mut self) {
        self.spoiled = true;
    }

    #[inline]
    fn backslashes(&mut self, b: &[u8], base: usize, mut mask: u64) {
        self.slashes = (base, mask);
        while mask != 0 && !self.spoiled {
            let at = base + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if at < self.free {
                continue;
            }
            match jq_escape(b, at) {
                Some(n) => self.free = at + n,
                None => self.spoiled = true,
            }
        }
    }

    #[inline(always)]
    fn block(&mut self, b: &[u8], base: usize, bits: (u64, u64, u64, u64)) -> u64 {
        if self.spoiled {
            return 0;
        }
        let slashes = match self.slashes.0 == base {
            true => self.slashes.1,
            false => 0,
        };
        match self.keys.block(b, base, bits, slashes) {
            Some(keep) => keep,
            None => {
                self.spoiled = true;
                0
            }
        }
    }

    #[inline(always)]
    fn open(&mut self) {
        self.keys.brace(b'{');
    }

    #[inline(always)]
    fn close(&mut self) {
        self.keys.brace(b'}');
    }

    #[inline(always)]
    fn key(&mut self, b: &[u8], at: usize, end: Option<usize>) {
        if self.spoiled {
            return;
        }
        // The grammar tells of a key in the block being read, whose
        // backslashes `backslashes` was told of.
        let slashes = match self.slashes.0 == at & !63 {
            true => self.slashes.1,
            false => 0,
        };
        self.spoiled |= !self.keys.key(b, at, end, slashes);
    }

    #[inline(always)]
    fn room(&mut self) -> &mut [std::mem::MaybeUninit<u8>] {
        self.keys.room()
    }

    #[inline(always)]
    fn wrote(&mut self, n: usize) {
        self.keys.wrote(n);
    }

    #[inline(always)]
    fn copied(&mut self, n: usize) {
        self.len = n;
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

/// What the validator found of a text, for `jq::raw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Canonical {
    /// UTF-8 and one JSON text, written as `jq -c` writes it up to
    /// whitespace: appended to `out` without that whitespace.
    Copied,
    /// UTF-8 and one JSON text that `jq -c` writes otherwise (or has a
    /// repeated key): nothing appended.
    Json,
    /// Not one JSON text, or not UTF-8: nothing appended.
    NotJson,
    /// The validator does not run here (a text shorter than its cut-off,
    /// a CPU without AVX2): nothing appended, nothing known.
    Unknown,
}

/// Whether `b` is UTF-8 and one JSON text, written as `jq -c` writes it
/// up to whitespace (see the module comment); if so, it is appended to
/// `out` (copied without its whitespace outside strings as the validator
/// reads it). (The validator tells whether `b` is ASCII: only
/// text that is not is read again for UTF-8.)
pub(crate) fn copy_if_as_jq_writes_it(b: &[u8], out: &mut Vec<u8>) -> Canonical {
    #[cfg(target_arch = "x86_64")]
    if b.len() >= super::SHORT {
        use super::types::Scan;
        use std::cell::RefCell;
        thread_local! {
            // The watch, and the shape of the last text (the events of a
            // stream mostly share one, `json::simd::shape`).
            static CANON: RefCell<(Canon, super::simd::Shape)> = RefCell::default();
        }
        return CANON.with_borrow_mut(|(c, shape)| {
            c.spoiled = false;
            c.keys.clear();
            c.free = 0;
            c.slashes = (usize::MAX, 0);
            // Whether the validator accepted the text, and it is UTF-8.
            let mut json = false;
            let keep = |_: &Scan, ascii: bool, c: &mut Canon| {
                json = ascii || crate::format::utf8::is_utf8(b);
                (json && !c.spoiled && c.keys.distinct()).then_some(c.len)
            };
            match super::validate_copying(b, c, out, Some(shape), keep) {
                Some(Some(_)) => Canonical::Copied,
                Some(None) if json => Canonical::Json,
                Some(None) => Canonical::NotJson,
                None => Canonical::Unknown,
            }
        });
    }
    let _ = (b, out);
    Canonical::Unknown
}
