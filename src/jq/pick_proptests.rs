//! The walk over validated text builds what the scanner reads: the whole
//! value is what the scanner writes token by token (`raw::write_data`),
//! JSON or not is what the validator says, and a value built only as far
//! as some paths reach holds at those paths what the whole value holds.
//! The texts are `raw`'s (keys from a small alphabet, so that paths hit
//! and keys repeat; escapes; whitespace as servers write it), moved
//! across 64-byte blocks, with members after the needed ones (repeats of
//! a needed key among them, also written with an escape).

use crate::format::{is_utf8, scan_json};
use crate::jq::build::{Room, data};
use crate::jq::need::Need;
use crate::jq::raw::proptests::{gap, text};
use crate::jq::raw::write_data;
use crate::jq::{pointer, write_json};
use proptest::prelude::*;

fn written(v: Option<&jaq_json::Val>) -> Option<String> {
    let mut out = Vec::new();
    write_json(v?, &mut out);
    Some(String::from_utf8(out).expect("UTF-8"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
    #[test]
    fn the_walk_builds_what_the_scanner_reads(
        t in text(),
        pad in 0usize..70,
        lead in gap(),
        paths in prop::collection::vec(prop::collection::vec("[ab]{1,2}", 1..4), 1..3),
        (tail, t2) in (0..7usize, text()),
        also_a in any::<bool>(),
    ) {
        // After `v`, other members: `v` again (its last value wins), also
        // written with an escape, or `v` as a string value only.
        let tail = match tail {
            0 => String::new(),
            1 => format!(",\"a\":{t2}"),
            2 => format!(",\"v\":{t2}"),
            3 => format!(",\"\\u0076\":{t2}"),
            4 => format!(",\"x\":\"v\",\"a\":{t2}"),
            5 => format!(",\"w\":\"\\u0076\", \"a\" : {t2}"),
            _ => format!(",\"a\":{t2},\"v\":1"),
        };
        let t = format!("{lead}{{\"pad\":\"{}\",\"v\":{t}{tail}}}", "x".repeat(pad));
        let b = t.as_bytes();
        let mut room = Room::default();
        let whole = data(b, &Need::all(), &mut room);
        let json = scan_json(b, &mut ()).is_some() && is_utf8(b);
        prop_assert_eq!(whole.is_some(), json, "{}", t);
        let mut canon = Vec::new();
        if write_data(b, &mut canon) {
            prop_assert_eq!(written(whole.as_ref()), String::from_utf8(canon).ok(), "{}", t);
        }
        // Only some paths under `v`: the same there, in a reused room.
        let mut need = Need::default();
        let paths: Vec<Vec<Vec<u8>>> = paths
            .iter()
            .map(|p| std::iter::once("v").chain(p.iter().map(String::as_str)).map(|k| k.as_bytes().to_vec()).collect())
            .collect();
        let mut paths = paths;
        if also_a {
            paths.push(vec![b"a".to_vec()]);
        }
        for p in &paths {
            need.add(p);
        }
        let part = data(b, &need, &mut room);
        prop_assert_eq!(part.is_some(), json);
        let (Some(whole), Some(part)) = (whole, part) else { return Ok(()) };
        for p in &paths {
            let ptr: String = p.iter().map(|k| format!("/{}", String::from_utf8_lossy(k))).collect();
            prop_assert_eq!(written(pointer(&whole, &ptr)), written(pointer(&part, &ptr)), "{} at {}", t, ptr);
        }
    }
}
