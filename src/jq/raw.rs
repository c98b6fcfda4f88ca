//! Writing an output that is the program's input itself, or its `data`,
//! from the event's bytes instead of from a value built for it: a filter
//! such as `select(.data.type == "edit")` (Kafka Connect's Filter) then
//! builds only what its condition reads, and its output costs what
//! `--json-data` costs plus making the JSON canonical as `jq -c` writes it
//! (no whitespace, numbers and strings as `write` writes them). The result
//! is byte for byte what writing the built value would give; an object
//! with a repeated key (where jq keeps the last value in the first place)
//! is left to the built value, as is anything that is not JSON.

use super::build::{number, unescape};
use super::write::{write_num, write_str};
use crate::format::{
    Canonical as Found, Emit, Keys, Kind, copy_if_as_jq_writes_it, jq_escape, scan_json,
};
use crate::sse::Event;
use jaq_json::Num;

/// What the outputs are, when `need` found them to be the input itself or
/// its `data` (through `select`, `if` and the like).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whole {
    Event,
    Data,
}

/// Append the event (`{"event","id","data","time"}`) as `write_json`
/// writes its input value; false (with nothing appended) when that needs
/// the built value.
pub fn write_event(ev: &Event<'_>, time: Option<&[u8]>, out: &mut Vec<u8>) -> bool {
    let start = out.len();
    out.extend_from_slice(b"{\"event\":");
    write_text(ev.kind(), out);
    if !ev.id.is_empty() {
        out.extend_from_slice(b",\"id\":");
        write_text(ev.id, out);
    }
    out.extend_from_slice(b",\"data\":");
    match canonical(ev.data, out) {
        Canonical::Written => {}
        Canonical::NotJson => write_text(ev.data, out),
        Canonical::Repeated => {
            out.truncate(start);
            return false;
        }
    }
    if let Some(t) = time {
        out.extend_from_slice(b",\"time\":");
        write_text(t, out);
    }
    out.push(b'}');
    true
}

/// Append data that is a JSON text (and UTF-8) canonically; false (with
/// nothing appended) when it is not or has an object with a repeated
/// key. Data that is canonical already up to whitespace (integers, strings
/// with no escapes but jq's own: what servers mostly send, compact, spaced
/// or pretty-printed) is checked in one pass and copied, whitespace
/// dropped; other data is written token by token in a second.
pub fn write_data(data: &[u8], out: &mut Vec<u8>) -> bool {
    canonical(data, out) == Canonical::Written
}

#[derive(Debug, PartialEq, Eq)]
enum Canonical {
    Written,
    NotJson,
    /// An object has a repeated key, or a key with an escape.
    Repeated,
}

/// `write_data`, saying why nothing was written.
fn canonical(data: &[u8], out: &mut Vec<u8>) -> Canonical {
    // The validator's check, in one pass, for data that is canonical as
    // it is up to whitespace (what servers mostly send); where it ran and
    // said no, the scanner writes the data token by token; where it did
    // not run, the scanner checks first.
    match copy_if_as_jq_writes_it(data, out) {
        Found::Copied => return Canonical::Written,
        Found::NotJson => return Canonical::NotJson,
        Found::Json => return rewrite(data, out),
        Found::Unknown => {}
    }
    if !crate::format::is_utf8(data) {
        return Canonical::NotJson;
    }
    let mut check = Canon::<false>::new(data, out);
    if scan_json(data, &mut check).is_none() {
        return Canonical::NotJson;
    }
    if check.repeated {
        return Canonical::Repeated;
    }
    let text = data.trim_ascii();
    if !check.differs && check.len == text.len() {
        out.extend_from_slice(text);
        return Canonical::Written;
    }
    rewrite(data, out)
}

/// Write UTF-8 `data` token by token, canonically.
fn rewrite(data: &[u8], out: &mut Vec<u8>) -> Canonical {
    let start = out.len();
    let mut c = Canon::<true>::new(data, out);
    let json = scan_json(data, &mut c).is_some();
    let repeated = c.repeated;
    if !json || repeated {
        out.truncate(start);
        return if json {
            Canonical::Repeated
        } else {
            Canonical::NotJson
        };
    }
    Canonical::Written
}

/// A string as `text` builds it (UTF-8 with replacement), written:
/// `write_str` replaces what is not UTF-8 as `from_utf8_lossy` does.
fn write_text(b: &[u8], out: &mut Vec<u8>) {
    write_str(b, out);
}

/// The scanner's tokens written canonically (`WRITE`), or only checked:
/// would writing them give the data as it is (`len` bytes, nothing
/// rewritten)? Either way it watches for repeated keys.
struct Canon<'d, 'o, const WRITE: bool> {
    base: usize,
    data: &'d [u8],
    out: &'o mut Vec<u8>,
    /// The keys of the open objects.
    keys: Keys,
    repeated: bool,
    /// Checking: the length written so far, and whether a token would be
    /// written other than it is.
    len: usize,
    differs: bool,
}

impl<'d, 'o, const WRITE: bool> Canon<'d, 'o, WRITE> {
    fn new(data: &'d [u8], out: &'o mut Vec<u8>) -> Self {
        Canon {
            base: data.as_ptr() as usize,
            data,
            out,
            keys: Keys::default(),
            repeated: false,
            len: 0,
            differs: false,
        }
    }

    #[inline]
    fn put(&mut self, b: &[u8]) {
        if WRITE {
            self.out.extend_from_slice(b);
        } else {
            self.len += b.len();
        }
    }

    #[inline]
    fn put1(&mut self, c: u8) {
        if WRITE {
            self.out.push(c);
        } else {
            self.len += 1;
        }
    }

    /// A string token as `write_str` writes its text: as it is, unless it
    /// has an escape or a DEL (which jq escapes). True when it was as it is.
    fn string(&mut self, quoted: &[u8]) -> bool {
        let inner = &quoted[1..quoted.len().saturating_sub(1).max(1)];
        if plain(inner) {
            self.put(quoted);
            true
        } else {
            if WRITE {
                write_str(&unescape(inner), self.out);
            }
            self.differs = true;
            false
        }
    }

    /// Note a key of the innermost object; a repeat sets `repeated`, as
    /// does an object with too many keys to check (left to the built
    /// value, a hash map).
    fn note(&mut self, quoted: &[u8]) {
        let at = (quoted.as_ptr() as usize).wrapping_sub(self.base) + 1;
        self.repeated |= !self.keys.note(self.data, at, quoted.len() - 2);
    }
}

/// No DEL, and no backslash but in escapes that jq writes as they are:
/// short strings (most keys and values) by a plain loop, which costs less
/// than setting up `memchr2`.
fn plain(s: &[u8]) -> bool {
    let first = if s.len() < 32 {
        s.iter().position(|&c| c == b'\\' || c == 0x7f)
    } else {
        memchr::memchr2(b'\\', 0x7f, s)
    };
    let Some(mut at) = first else {
        return true;
    };
    // Rare: walk the escapes.
    while at < s.len() {
        match s[at] {
            0x7f => return false,
            b'\\' => match jq_escape(s, at) {
                Some(n) => at += n,
                None => return false,
            },
            _ => at += 1,
        }
    }
    true
}

impl<const WRITE: bool> Emit for Canon<'_, '_, WRITE> {
    fn open(&mut self, bracket: u8) {
        self.put1(bracket);
        if bracket == b'{' {
            self.keys.open();
        }
    }

    fn close(&mut self, bracket: u8) {
        self.put1(bracket);
        if bracket == b'}' {
            self.keys.close();
        }
    }

    fn empty(&mut self, pair: &'static [u8]) {
        self.put(pair);
    }

    fn member_end(&mut self, _: bool) {}

    fn comma(&mut self) {
        self.put1(b',');
    }

    fn key(&mut self, quoted: &[u8]) {
        // Two spellings of one key ("a" and "\u0061") are not told apart
        // here: a key with an escape is left to the built value.
        let escaped = quoted.contains(&b'\\');
        if self.string(quoted) && !escaped {
            self.note(quoted);
        } else {
            self.repeated = true;
        }
        self.put1(b':');
    }

    fn scalar(&mut self, kind: Kind, text: &[u8]) {
        match kind {
            Kind::Null | Kind::Bool => self.put(text),
            Kind::String => {
                self.string(text);
            }
            // An integer is written as it is written here (JSON has no
            // leading zeros or `+`; -0 is a double): checking takes a
            // short run of digits for one, anything else is rewritten.
            Kind::Number if !WRITE => {
                let digits = text.strip_prefix(b"-").unwrap_or(text);
                if digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) && text != b"-0" {
                    self.put(text);
                } else {
                    self.differs = true;
                }
            }
            Kind::Number => match number(text) {
                Num::Int(_) => self.out.extend_from_slice(text),
                n => write_num(&n, self.out),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::MAX_KEYS;
    use crate::jq::need::Need;
    use crate::jq::{build, write_json};

    fn canon(data: &[u8]) -> Option<String> {
        let mut out = Vec::new();
        write_data(data, &mut out).then(|| String::from_utf8(out).unwrap())
    }

    fn built(data: &[u8]) -> String {
        let v = build::data(data, &Need::all(), &mut build::Room::default()).unwrap();
        let mut out = Vec::new();
        write_json(&v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_as_the_built_value_is_written() {
        for data in [
            r#" { "a" : [ 1 , 2.50 , -0 , 1e2 , 1E-7, 123456789012345678901234 ] , "b" : { } } "#,
            r#"{"s":"plain","e":"\u00e9\/\n\"","del":"x\u007fy","raw":"a,b","k\u0041":1}"#,
            r#"[[],{},[{}],null,true,false,"",0,-1,9007199254740993]"#,
            r#""just a string""#,
            "12.0",
            r#"{"deep":{"deeper":{"a":1,"b":[1,{"c":"d"}]}},"a":2}"#,
            r#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#,
            // Canonical already (copied), and nearly so (written).
            r#"{"a":[1,-2,"x",[],{}],"b":{"c":null,"d":true},"é":"ü"}"#,
            r#"{"a":[1,-2,"x",[],{}],"b":{"c":null,"d":true},"f":1.5}"#,
            r#"{"a":[1,-2,"x",[],{}],"b":{"c":null,"d":true},"n":-0}"#,
            r#"{"a":[1,-2,"x",[],{}],"b":{"c":null, "d":true}}"#,
            r#"{"big":1234567890123456789}"#,
            "\t[1]\n",
        ] {
            let want = built(data.as_bytes());
            match canon(data.as_bytes()) {
                Some(got) => assert_eq!(got, want, "{data}"),
                // Only a key with an escape goes to the built value here.
                None => assert!(data.contains(r#""k\u0041""#), "{data}"),
            }
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_written_as_its_lossy_decoding() {
        for b in [
            &b"ok"[..],
            b"a\xff\"b",
            b"\xc3",
            b"\xe2\x82x\x7f\xf0\x9f\x98\x80 and \xed\xa0\x80",
            b"a long one, past the short path: \x80\x81 and then more text to pass 32",
        ] {
            let (mut got, mut want) = (Vec::new(), Vec::new());
            write_text(b, &mut got);
            write_str(String::from_utf8_lossy(b).as_bytes(), &mut want);
            assert_eq!(got, want, "{}", String::from_utf8_lossy(b));
        }
    }

    #[test]
    fn repeated_keys_and_non_json_are_left_to_the_built_value() {
        assert_eq!(canon(br#"{"a":1,"b":2,"a":3}"#), None);
        assert_eq!(canon(br#"{"x":{"a":1,"a":1}}"#), None);
        assert_eq!(canon(b"not json"), None);
        assert_eq!(canon(br#"{"a":1,"#), None);
        // The same key in different objects is no repeat.
        assert!(canon(br#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}"#).is_some());
        // Many keys, so that the filter has collisions.
        let many: Vec<String> = (0..MAX_KEYS).map(|i| format!("\"k{i}\":{i}")).collect();
        let text = format!("{{{}}}", many.join(","));
        assert_eq!(canon(text.as_bytes()), Some(built(text.as_bytes())));
        let text = format!("{{{},\"k17\":0}}", many[..100].join(","));
        assert_eq!(canon(text.as_bytes()), None);
        // More keys than that: left to the built value (no quadratic work).
        let text = format!("{{{},\"one more\":0}}", many.join(","));
        assert_eq!(canon(text.as_bytes()), None);
        // Many small objects are fine.
        let text = format!("[{}]", vec![r#"{"a":1,"b":2}"#; 1000].join(","));
        assert_eq!(canon(text.as_bytes()), Some(built(text.as_bytes())));
    }
}

#[cfg(test)]
#[path = "raw_proptests.rs"]
pub(super) mod proptests;
