use super::*;
use crate::sse::Event;
use need::Need;

use crate::sse::ev;

fn outputs(program: &str, e: &Event<'_>) -> Result<Vec<String>, String> {
    let mut p = Program::compile(program)?;
    let input = p.input(e, None);
    let outs = p.run(input)?;
    Ok(outs
        .vals
        .iter()
        .map(|v| {
            let mut b = Vec::new();
            outs.write(v, e, None, false, &mut b);
            String::from_utf8(b).unwrap()
        })
        .collect())
}

#[test]
fn the_input_is_what_json_data_prints() {
    let e = ev(b"edit", b"7", br#" {"a": [1, 2.5, "x"]} "#);
    assert_eq!(
        outputs(".", &e).unwrap(),
        [r#"{"event":"edit","id":"7","data":{"a":[1,2.5,"x"]}}"#]
    );
    let e = ev(b"", b"", b"not json");
    assert_eq!(
        outputs(".", &e).unwrap(),
        [r#"{"event":"message","data":"not json"}"#]
    );
    // NaN is jaq's JSON, not ours: it stays a string.
    let e = ev(b"", b"", b"NaN");
    assert_eq!(outputs(".data", &e).unwrap(), [r#""NaN""#]);
}

#[test]
fn several_outputs_none_and_errors() {
    let e = ev(b"", b"", br#"{"items":[1,2,3],"s":"t"}"#);
    assert_eq!(outputs(".data.items[]", &e).unwrap(), ["1", "2", "3"]);
    assert!(outputs("empty", &e).unwrap().is_empty());
    let err = outputs(".data.items[], .data.s + 1", &e).unwrap_err();
    assert!(err.contains("cannot"), "{err}");
}

#[test]
fn compile_errors_are_one_line_and_say_where() {
    let err = Program::compile(".a | (").unwrap_err();
    assert!(
        err.starts_with("--jq: cannot compile the program: "),
        "{err}"
    );
    assert!(!err.contains('\n'));
    let err = Program::compile("nosuch(1)").unwrap_err();
    assert!(
        err.contains("undefined filter nosuch/1 at offset 0"),
        "{err}"
    );
    let err = Program::compile(". as [$a] | $b").unwrap_err();
    assert!(err.contains("undefined variable"), "{err}");
}

#[test]
fn numbers_are_written_as_jq_1_6_writes_them() {
    let cases: &[(f64, &str)] = &[
        (3.0, "3"),
        (3.5, "3.5"),
        (0.1, "0.1"),
        (1e16, "1e+16"),
        (1e17, "1e+17"),
        (123456789012345678.0, "123456789012345680"),
        (10000000.0, "10000000"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (-1.5e-10, "-1.5e-10"),
        (-0.0, "-0"),
        (f64::INFINITY, "1.7976931348623157e+308"),
        (f64::NEG_INFINITY, "-1.7976931348623157e+308"),
        (f64::NAN, "null"),
        (1.5e300, "1.5e+300"),
        // Two shortest spellings equally near: the even one.
        (700000000000000.2, "700000000000000.2"),
        (4000000000000.0313, "4000000000000.0312"),
        ((1u64 << 50) as f64 + 0.25, "1125899906842624.2"),
        (2.5e22, "2.5e+22"),
    ];
    for &(f, want) in cases {
        let mut out = Vec::new();
        write::write_f64(f, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), want, "{f}");
    }
}

#[test]
fn strings_escape_as_jq_does_and_raw_strings_are_text() {
    let v = Val::utf8_str("a\"b\\c\n\u{1}\u{7f}é".as_bytes().to_vec());
    let mut out = Vec::new();
    write_json(&v, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#""a\"b\\c\n\u0001\u007fé""#
    );
    let mut out = Vec::new();
    write_output(&v, true, &mut out);
    assert_eq!(out, "a\"b\\c\n\u{1}\u{7f}é".as_bytes());
}

#[test]
fn pointers_resolve_in_output_values() {
    let e = ev(b"", b"", br#"{"a":{"b/c":[10,"x"],"~":true}}"#);
    let v = input(&e, None, &Need::all(), &mut build::Room::default());
    let key = |p: &str| {
        let mut out = Vec::new();
        key_of(&v, p, &mut out).then(|| String::from_utf8(out).unwrap())
    };
    assert_eq!(key("/data/a/b~1c/0").as_deref(), Some("10"));
    assert_eq!(key("/data/a/b~1c/1").as_deref(), Some("x"));
    assert_eq!(key("/data/a/~0").as_deref(), Some("true"));
    assert_eq!(key("/event").as_deref(), Some("message"));
    assert_eq!(key("/data/a/b~1c/01"), None);
    assert_eq!(key("/data/missing"), None);
    assert_eq!(key("nope"), None);
}

/// Outputs (or the error) of `program` on an input built whole.
fn outputs_whole(program: &str, e: &Event<'_>) -> Result<Vec<String>, String> {
    let mut p = Program::compile(program)?;
    let outs = p.run(input(e, None, &Need::all(), &mut build::Room::default()))?;
    let mut lines = Vec::new();
    for v in outs.vals {
        let mut b = Vec::new();
        write_json(v, &mut b);
        lines.push(String::from_utf8(b).unwrap());
    }
    Ok(lines)
}

#[test]
fn a_program_sees_the_same_in_the_part_of_data_it_needs() {
    let events = [
        br#"{"meta":{"domain":"en.wikipedia.org","id":1},"title":"T","items":[{"x":1},{"x":2}],"n":"5","s":"a,b"}"#.as_slice(),
        br#"{"meta":{"domain":"de.wikipedia.org"},"title":{"deep":[1,{"a":"b"}]},"x y":{"z":3},"a\"b":1}"#,
        br#"{"meta":[1,2],"title":null,"items":{},"k":"title","v":"n"}"#,
        br#"{"title":"dup","title":"last","meta":"str"}"#,
        br#"["an", "array", {"meta": 1}]"#,
        br#""just a string""#,
        b"not json at all",
        br#"{"data":{"data":1}}"#,
        br#" { "meta" : { "domain" : "en.wikipedia.org" , "id" : 1.50 } , "e" : "\u00e9\/" , "n" : [ 1e2 , -0 ] } "#,
        br#"{"meta":{"domain":"en.wikipedia.org","domain":"x"},"title":"del\u007f"}"#,
        // A needed key again after all were met: its last value wins,
        // also when the repeat is written with an escape.
        br#"{"meta":{"domain":"en.wikipedia.org"},"title":"a","z":"title","title":"b"}"#,
        br#"{"title":"a","meta":{"domain":"en.wikipedia.org"},"x":"\u0074itle","\u0074itle":"b"}"#,
        br#"{"title":"a","meta":{"domain":"en.wikipedia.org"},"m\u0065ta":{"domain":"x"}}"#,
    ];
    let programs = [
        r#"select(.data.meta.domain == "en.wikipedia.org") | .data.title"#,
        ".data.meta.domain",
        ".data.meta.domain?",
        ".data.title.deep[1].a",
        ".data.items[].x",
        "{title: .data.title, id: .data.meta.id}",
        r#".data."x y".z, .data."a"b""#,
        ".data.n | tonumber",
        ".data.s | split(",
        ")",
        ".data[.data.k]",
        "{(.data.k): .data.v}",
        ".data.data.data",
        r#".data.title // "none""#,
        "if .data.meta.domain then .data.title else .event end",
        "try .data.meta.domain.x catch .",
        ".data.meta | keys",
        ".data | length",
        "[.data.title, .data.missing]",
        r#""\(.data.title)!""#,
        "empty",
        ".event",
        ".data.meta.id + 1",
        // Outputs that are the input or its data, written from the bytes.
        ".",
        r#"select(.data.meta.domain == "en.wikipedia.org")"#,
        r#"select(.event == "edit") | .data"#,
        ".data",
        "if .data.title then . else empty end",
        "select(.data.meta.id == 1) | .data",
        "try .data",
        ".data?",
        "select(.data.items[0].x == 1)",
    ];
    for data in events {
        let e = ev(b"edit", b"9", data);
        for program in programs {
            assert_eq!(
                outputs(program, &e),
                outputs_whole(program, &e),
                "{program} on {}",
                String::from_utf8_lossy(data)
            );
        }
    }
}

#[test]
fn only_the_needed_members_of_data_are_built() {
    let data = br#"{"a":1,"b":{"c":[2,{"e":5}],"d":3},"f":{"g":{}},"c":"x"}"#;
    let built = |program: &str| {
        let need = Need::of(program);
        let v = build::data(
            data,
            need.kid(b"data").unwrap(),
            &mut build::Room::default(),
        )
        .unwrap();
        let mut out = Vec::new();
        write_json(&v, &mut out);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(built(".data.b.c"), r#"{"b":{"c":[2,{"e":5}]}}"#);
    assert_eq!(built(".data.f.g, .data.c"), r#"{"f":{"g":{}},"c":"x"}"#);
    assert_eq!(built(".data.zz"), "{}");
    assert_eq!(built(".data"), std::str::from_utf8(data).unwrap());
    // Invalid JSON is still found out in the members left out.
    let need = Need::of(".data.a");
    let kid = need.kid(b"data").unwrap();
    assert!(build::data(br#"{"a":1,"b":[1,}"#, kid, &mut build::Room::default()).is_none());
    assert!(build::data(br#"{"a":1,"b":{"x":01}}"#, kid, &mut build::Room::default()).is_none());
    // Nothing of data is needed: it is not even scanned.
    assert!(Need::of(".event").kid(b"data").is_none());
}

#[test]
fn the_event_written_from_its_bytes_is_its_input_written() {
    let e = ev(b"ed\"it", b"7\xff", br#" {"a" : [1, 2.0], "b": "\u00e9"} "#);
    let time = Some(b"2026-12-02T06:00:00.000Z".as_slice());
    let mut want = Vec::new();
    write_json(
        &input(&e, time, &Need::all(), &mut build::Room::default()),
        &mut want,
    );
    let mut got = Vec::new();
    assert!(raw::write_event(&e, time, &mut got));
    assert_eq!(String::from_utf8(got), String::from_utf8(want));
    for data in [
        b"not \xff json".as_slice(),
        b"ERROR disk \"full\"",
        b"{\"a\":",
        // JSON but for a byte that is not UTF-8 (long enough for the
        // validator, which is what decides to read the text again).
        b"{\"k\":\"long enough for the validator \xff\"}",
        b"{\"k\":\"long enough for the validator \xc3\xa9\"}",
    ] {
        let e = ev(b"", b"", data);
        let mut want = Vec::new();
        write_json(
            &input(&e, None, &Need::all(), &mut build::Room::default()),
            &mut want,
        );
        let mut got = Vec::new();
        assert!(raw::write_event(&e, None, &mut got));
        assert_eq!(String::from_utf8(got), String::from_utf8(want));
    }
    // A repeated key is left to the built value.
    let e = ev(b"", b"", br#"{"a":1,"a":2}"#);
    let mut got = b"kept".to_vec();
    assert!(!raw::write_event(&e, None, &mut got));
    assert_eq!(got, b"kept");
}

#[test]
fn loc_names_the_line_it_is_on() {
    let e = ev(b"", b"", b"1");
    assert_eq!(
        outputs(
            "$__loc__,\n  ($__loc__ | .line),\n\"\\($__loc__.line)\"",
            &e
        )
        .unwrap(),
        [r#"{"file":"<top-level>","line":1}"#, "2", r#""3""#]
    );
    // Not in a string, not another variable.
    assert_eq!(outputs(r#""$__loc__""#, &e).unwrap(), [r#""$__loc__""#]);
    let err = Program::compile("$__loc__ | nosuch").unwrap_err();
    assert!(err.contains("at offset 11 (\"nosuch\")"), "{err}");
}

#[test]
fn env_is_the_process_environment() {
    let e = ev(b"", b"", b"1");
    let path = std::env::var("PATH").unwrap_or_default();
    let want = {
        let mut b = Vec::new();
        write_json(&Val::utf8_str(path.into_bytes()), &mut b);
        String::from_utf8(b).unwrap()
    };
    assert_eq!(
        outputs("$ENV.PATH, env.PATH", &e).unwrap(),
        [want.clone(), want]
    );
}

#[test]
fn interpolation_writes_numbers_as_jq_does() {
    let e = ev(b"", b"", br#"{"a":1.0,"b":[1e2,-0]}"#);
    assert_eq!(
        outputs(r#""\(.data.a)|\(.data.b)", @json "\(.data.a)""#, &e).unwrap(),
        [r#""1|[100,-0]""#, r#""1""#]
    );
}

#[test]
fn a_runtime_error_quoting_a_huge_value_is_cut_short() {
    // jaq's message quotes the value it failed on: a server's megabyte of
    // data must not become a megabyte-long warning line.
    let data = format!("\"{}\"", "x".repeat(1 << 20));
    let e = ev(b"", b"", data.as_bytes());
    let err = outputs(".data.a", &e).unwrap_err();
    assert!(err.len() < 1000, "{} bytes", err.len());
    assert!(err.contains("… ("), "{err}");
    let id = "i".repeat(1 << 16);
    let e = ev(b"", id.as_bytes(), b"1");
    let warning = failure_warning(&e, 1, &err, "skipped");
    assert!(warning.len() < 2000, "{} bytes", warning.len());
    // A short text is left whole, on one line.
    assert_eq!(one_line_excerpt("a\nb\rc", 300), "a b c");
    assert_eq!(one_line_excerpt("ééé", 2), "éé… (6 bytes in all)");
}

fn run_capped(program: &str, outputs: usize, bytes: usize) -> Result<usize, String> {
    let mut p = Program::compile(program)?.with_caps(outputs, bytes);
    let e = ev(b"", b"", b"1");
    let input = p.input(&e, None);
    Ok(p.run(input)?.vals.len())
}

#[test]
fn an_endless_generator_fails_the_event_at_the_cap() {
    // Without the cap these would run until memory is exhausted.
    for endless in ["range(infinite)", "repeat(.)", ".data | recurse(. + 1)"] {
        let err = run_capped(endless, 100, MAX_HELD_BYTES).unwrap_err();
        assert!(err.contains("more than 100 outputs"), "{err}");
    }
    assert_eq!(run_capped("range(100)", 100, MAX_HELD_BYTES), Ok(100));
    assert!(run_capped("range(101)", 100, MAX_HELD_BYTES).is_err());
    // Few outputs, but long ones: the bytes count.
    let err = run_capped(r#""x" * 1000 | repeat(.)"#, MAX_OUTPUTS, 10_000).unwrap_err();
    assert!(err.contains("MiB"), "{err}");
    assert_eq!(
        run_capped(r#""x" * 1000 | limit(9; repeat(.))"#, MAX_OUTPUTS, 10_000),
        Ok(9)
    );
    assert!(run_capped(r#"[range(1000)] | repeat(.)"#, MAX_OUTPUTS, 100_000).is_err());
}

#[test]
fn a_program_runs_again_after_the_cap_failed_it() {
    let mut p = Program::compile(".data | range(.)")
        .unwrap()
        .with_caps(10, MAX_HELD_BYTES);
    let e = ev(b"", b"", b"1000");
    let input = p.input(&e, None);
    assert!(p.run(input).is_err());
    let e = ev(b"", b"", b"3");
    let input = p.input(&e, None);
    assert_eq!(p.run(input).unwrap().vals.len(), 3);
}

#[test]
fn later_jqs_builtins_that_programs_use() {
    let e = ev(b"", b"", br#"{"a":"xabx","n":3,"l":[1]}"#);
    let out = |p: &str| outputs(p, &e).unwrap().join(" ");
    assert_eq!(out(".data.n | toarray"), "[3]");
    assert_eq!(out(".data.l | toarray"), "[1]");
    assert_eq!(out(r#".data.a | trimstr("x")"#), r#""ab""#);
    assert_eq!(out(r#".data.a | trimstr("q")"#), r#""xabx""#);
    assert_eq!(out(r#".data.n | trimstr("x")"#), "3");
    assert_eq!(out("[have_decnum, have_literal_numbers]"), "[false,false]");
}
