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
use crate::format::{Emit, Keys, Kind, copy_if_as_jq_writes_it, scan_json};
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
/// key. Data that is canonical already (compact, integers, strings without
/// escapes: what servers mostly send) is checked in one pass and copied;
/// other data is written token by token in a second.
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
    // it is (what servers mostly send); the scanner's for the rest.
    if copy_if_as_jq_writes_it(data, out) {
        return Canonical::Written;
    }
    if !crate::format::is_utf8(data) {
        return Canonical::NotJson;
    }
    let start = out.len();
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
    let mut c = Canon::<true>::new(data, out);
    if scan_json(data, &mut c).is_none() || c.repeated {
        out.truncate(start);
        return Canonical::Repeated;
    }
    Canonical::Written
}

/// A string as `text` builds it (UTF-8 with replacement), written.
fn write_text(b: &[u8], out: &mut Vec<u8>) {
    if crate::format::is_utf8(b) {
        write_str(b, out);
    } else {
        write_str(String::from_utf8_lossy(b).as_bytes(), out);
    }
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

/// Neither a backslash nor a DEL: short strings (most keys and values)
/// by a plain loop, which costs less than setting up `memchr2`.
fn plain(s: &[u8]) -> bool {
    if s.len() < 32 {
        s.iter().all(|&c| c != b'\\' && c != 0x7f)
    } else {
        memchr::memchr2(b'\\', 0x7f, s).is_none()
    }
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
        if self.string(quoted) {
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
        let v = build::data(data, &Need::all(), &mut Vec::new()).unwrap();
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
mod agree {
    //! The validator's check (`format::copy_if_as_jq_writes_it`) and the
    //! scanner's give the same verdict on texts built to sit near the
    //! rule's edges.
    use super::{Canon, scan_json};
    use crate::format::copy_if_as_jq_writes_it;
    use proptest::prelude::*;

    /// The scanner's check: JSON, no repeated key, and written as it is.
    fn by_scanner(data: &[u8]) -> bool {
        let mut out = Vec::new();
        let mut check = Canon::<false>::new(data, &mut out);
        scan_json(data, &mut check).is_some()
            && !check.repeated
            && !check.differs
            && check.len == data.len()
    }

    /// JSON texts (and a few near misses) with short keys from a small
    /// alphabet (so keys repeat), long keys and strings (so keys and
    /// strings cross 64-byte blocks), integers of every size, fractions,
    /// `-0`, escapes, DEL bytes and the odd space.
    fn text() -> impl Strategy<Value = String> {
        // Mostly what passes, so that one near miss decides the verdict.
        let leaf = prop_oneof![
            4 => Just("null".to_string()),
            4 => Just("true".to_string()),
            8 => any::<i32>().prop_map(|n| n.to_string()),
            8 => "\"[a-z é]{0,70}\"",
            1 => Just("-0".to_string()),
            1 => "-?[1-9][0-9]{15,20}",
            1 => "-?[0-9]\\.[0-9]{1,3}",
            1 => "[1-9][eE][0-9]",
            1 => "\"[a-z]{0,30}\u{7f}[a-z]{0,30}\"",
            1 => "\"[a-z]{0,4}(\\\\n|\\\\\"|\\\\u0041)[a-z]{0,4}\"",
        ];
        leaf.prop_recursive(4, 48, 8, |inner| {
            let key = prop_oneof![
                8 => "[ab]{1,2}",
                4 => "[a-z]{3,12}",
                1 => Just("k\\u0041".to_string()),
            ];
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..6), " ?")
                    .prop_map(|(v, sp)| format!("[{}]", v.join(&format!(",{sp}")))),
                prop::collection::vec((key, inner), 0..8).prop_map(|m| {
                    let members: Vec<String> =
                        m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
        #[test]
        fn the_validator_and_the_scanner_agree(t in text(), pad in 0usize..60) {
            // Padding in a first member moves the rest across block edges
            // (and makes every text as long as the validator's cut-off).
            let t = format!("{{\"pad\":\"{}\",\"v\":{t}}}", "x".repeat(pad));
            let mut copy = Vec::new();
            let fast = copy_if_as_jq_writes_it(t.as_bytes(), &mut copy);
            // What it accepts it has copied, and nothing else.
            prop_assert_eq!(&copy[..], if fast { t.as_bytes() } else { b"" });
            let slow = by_scanner(t.as_bytes());
            if fast {
                prop_assert!(slow, "{t}");
            }
            let validator = std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("bmi1")
                && std::is_x86_feature_detected!("pclmulqdq");
            if validator {
                prop_assert_eq!(fast, slow, "{}", t);
            }
        }
    }
}
