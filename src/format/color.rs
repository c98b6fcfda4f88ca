//! color: the one writer of JSON punctuation and scalars, plain or coloured
//! like `jq -C -c` with jq's classic palette (null 1;30, false/true/numbers
//! 0;39, strings 0;32, arrays and objects 1;39, object keys 34;1; jq 1.6's
//! defaults, and jq 1.7's layout of escapes). Without colour it writes
//! exactly the compact JSON bytes.

/// Arrays: brackets and their commas.
pub(super) const ARR: &[u8] = b"\x1b[1;39m";
/// Objects: braces, commas and colons.
pub(super) const OBJ: &[u8] = b"\x1b[1;39m";
/// Object keys.
pub(super) const KEY: &[u8] = b"\x1b[34;1m";
/// String values.
pub(super) const STR: &[u8] = b"\x1b[0;32m";
/// Numbers, `true` and `false`.
pub(super) const NUM: &[u8] = b"\x1b[0;39m";
/// `null`.
pub(super) const NULL: &[u8] = b"\x1b[1;30m";
/// Back to the terminal's default.
pub(super) const RESET: &[u8] = b"\x1b[0m";

/// The kind of a JSON scalar, which picks its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
}

impl Kind {
    fn color(self) -> &'static [u8] {
        match self {
            Kind::Null => NULL,
            Kind::Bool | Kind::Number => NUM,
            Kind::String => STR,
        }
    }
}

/// Appends JSON tokens to a caller's buffer, coloured when `color` is set.
///
/// The escapes are laid out as jq 1.6 and 1.7 print them with `-C -c`: every
/// value starts with its colour and ends with a reset; a container writes
/// `COLOR [`, then its members, each followed by `COLOR` again (so that the
/// comma after it is coloured), and ends with `COLOR ] RESET`; an object's
/// member is `RESET KEY "k" RESET COLOR : RESET value`. Callers write a
/// container's members as `key`? value `member_end` (`comma` key? value
/// `member_end`)*.
pub(super) struct W<'a> {
    pub(super) out: &'a mut Vec<u8>,
    pub(super) color: bool,
}

impl W<'_> {
    #[inline(always)]
    fn paint(&mut self, color: &[u8], text: &[u8]) {
        if self.color {
            self.out.extend_from_slice(color);
            self.out.extend_from_slice(text);
            self.out.extend_from_slice(RESET);
        } else {
            self.out.extend_from_slice(text);
        }
    }

    #[inline(always)]
    fn container_color(obj: bool) -> &'static [u8] {
        if obj { OBJ } else { ARR }
    }

    /// Opens a non-empty array (`[`) or object (`{`).
    #[inline(always)]
    pub(super) fn open(&mut self, bracket: u8) {
        if self.color {
            self.out
                .extend_from_slice(Self::container_color(bracket == b'{'));
        }
        self.out.push(bracket);
    }

    /// Closes an array (`]`) or object (`}`).
    #[inline(always)]
    pub(super) fn close(&mut self, bracket: u8) {
        self.paint(Self::container_color(bracket == b'}'), &[bracket]);
    }

    /// An empty container: `[]` or `{}`.
    #[inline(always)]
    pub(super) fn empty(&mut self, pair: &[u8]) {
        self.paint(Self::container_color(pair == b"{}"), pair);
    }

    /// Ends a member of an object (`obj`) or an array.
    #[inline(always)]
    pub(super) fn member_end(&mut self, obj: bool) {
        if self.color {
            self.out.extend_from_slice(Self::container_color(obj));
        }
    }

    /// The comma between two members (coloured by the `member_end` before it).
    #[inline(always)]
    pub(super) fn comma(&mut self) {
        self.out.push(b',');
    }

    /// An object key, given with its quotes and already escaped, and its colon.
    #[inline(always)]
    pub(super) fn key(&mut self, quoted: &[u8]) {
        if self.color {
            self.out.extend_from_slice(RESET);
        }
        self.paint(KEY, quoted);
        self.paint(OBJ, b":");
    }

    /// A scalar given as its JSON text.
    #[inline(always)]
    pub(super) fn scalar(&mut self, kind: Kind, text: &[u8]) {
        self.paint(kind.color(), text);
    }

    /// Starts a string value that the caller escapes into `out`.
    #[inline(always)]
    pub(super) fn str_start(&mut self) {
        if self.color {
            self.out.extend_from_slice(STR);
        }
        self.out.push(b'"');
    }

    /// Ends a string value started by `str_start`.
    #[inline(always)]
    pub(super) fn str_end(&mut self) {
        self.out.push(b'"');
        if self.color {
            self.out.extend_from_slice(RESET);
        }
    }
}
