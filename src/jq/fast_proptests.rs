//! The fast evaluator against jaq: random programs from the subset's
//! grammar (keys from a small alphabet, so that paths hit) on random
//! events; whenever the fast evaluator handles an event, its outputs are
//! jaq's, value for value (also as written, and as jaq's `Debug` tells
//! them apart: `1` and `1.0`), in the same order. Ordinary programs on
//! fitting inputs must be handled, and what the subset leaves out must
//! stay on jaq.

use super::Fast;
use crate::jq::{Program, write_json};
use crate::sse::ev;
use jaq_json::Val;
use proptest::prelude::*;

/// JSON texts: keys `a`, `b`, `c`; numbers as servers write them (`1.0`,
/// `-0`, fractions, exponents, beyond 64 bits); strings that are also
/// keys, non-ASCII, escaped.
fn json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        2 => Just("null".to_string()),
        2 => Just("true".to_string()),
        2 => Just("false".to_string()),
        4 => (-3i64..4).prop_map(|n| n.to_string()),
        1 => Just("1.0".to_string()),
        1 => Just("-0".to_string()),
        1 => Just("-0.0".to_string()),
        1 => Just("2.5".to_string()),
        1 => Just("1e3".to_string()),
        1 => Just("123456789012345678901234".to_string()),
        1 => Just("1.7976931348623157e309".to_string()),
        3 => prop::sample::select(vec!["\"a\"", "\"b\"", "\"\"", "\"é ☃\"", "\"x\\ty\\\"\"", "\"1\"", "\"\\u00e9\""])
            .prop_map(str::to_string),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((prop::sample::select(vec!["a", "b", "c"]), inner), 0..5)
                .prop_map(|kv| {
                    let m: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", m.join(","))
                }),
        ]
    })
}

/// Programs from the subset's grammar (and a little beyond: operators
/// over two streams, which the rewrite gives variables, stay on jaq).
fn program() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        ".",
        ".a",
        ".b",
        ".c",
        ".a.b",
        ".\"a\"",
        ".[\"b\"]",
        ".[0]",
        ".[1]",
        ".[-1]",
        ".a[0]",
        ".[]",
        ".a[]",
        ".[].a",
        "[.[]]",
        ".[][0]",
        "\"x\\(.a)y\"",
        "\"\\(.a)-\\(.b)\"",
        "@json \"v=\\(.)\"",
        "@tsv \"\\(.)\"",
        "\"\\(.[], 1)!\\(.a, .b)\"",
        "null",
        "true",
        "false",
        "0",
        "1",
        "1.0",
        "-2",
        "2.5",
        "1e3",
        "100000000000000000000",
        "\"a\"",
        "\"b\"",
        "\"é\"",
        "\"x\\ty\"",
        "\"\\u00e9\"",
        "\"\"",
        "empty",
        "not",
        "@tsv",
        "@csv",
        "tojson",
        "tostring",
        "@json",
        "@text",
        "[]",
        "{}",
        "{a}",
        "{\"b\"}",
        "{a: 1, a: 2}",
    ])
    .prop_map(str::to_string);
    leaf.prop_recursive(5, 40, 3, |p| {
        let cmp = prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">=", "+", "-", "*"]);
        prop_oneof![
            (p.clone(), p.clone()).prop_map(|(a, b)| format!("({a} | {b})")),
            (p.clone(), p.clone()).prop_map(|(a, b)| format!("({a}, {b})")),
            p.clone().prop_map(|a| format!("select({a})")),
            (p.clone(), p.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (p.clone(), p.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            (p.clone(), p.clone()).prop_map(|(a, b)| format!("({a} // {b})")),
            (p.clone(), cmp, p.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
            (p.clone(), p.clone(), p.clone())
                .prop_map(|(a, b, c)| format!("if {a} then {b} else {c} end")),
            (p.clone(), p.clone(), p.clone())
                .prop_map(|(a, b, c)| format!("if {a} then {b} elif {c} then {a} end")),
            p.clone().prop_map(|a| format!("[{a}]")),
            p.clone().prop_map(|a| format!("-({a})")),
            (p.clone(), p.clone()).prop_map(|(a, b)| format!("{{a: {a}, \"b\": {b}, c}}")),
            (p.clone(), p.clone()).prop_map(|(a, b)| format!("{{b: {a}, a: {b}, b: 0}}")),
            p.clone().prop_map(|a| format!("({a}).a")),
            p.clone().prop_map(|a| format!("({a})[0]")),
            p.prop_map(|a| format!("({a}).b.a")),
        ]
    })
}

/// What jaq and the fast evaluator make of `program` on data `data`: the
/// fast result is None when it bails out (or has no evaluator).
type Both = (Result<Vec<Val>, String>, Option<Vec<Val>>);

fn both(program: &str, data: &str) -> Both {
    let mut p = Program::compile(program).expect("compiles");
    let fast = p.fast.take();
    let e = ev(b"edit", b"", data.as_bytes());
    let input = p.input(&e, None);
    let mut outs = vec![Val::Null];
    let fast = fast.and_then(|f| f.run(&input, &mut outs).ok().map(|()| outs.split_off(1)));
    let jaq = p.run(input).map(|o| o.vals.to_vec());
    (jaq, fast)
}

fn shown(vals: &[Val]) -> Vec<String> {
    vals.iter()
        .map(|v| {
            let mut out = Vec::new();
            write_json(v, &mut out);
            format!("{} {v:?}", String::from_utf8_lossy(&out))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
    #[test]
    fn the_fast_evaluator_gives_what_jaq_gives(p in program(), data in json()) {
        let program = format!(".data | {p}");
        let (jaq, fast) = both(&program, &data);
        if let Some(fast) = fast {
            let jaq = jaq.map_err(|e| TestCaseError::fail(format!("jaq failed ({e}), fast did not: {program} on {data}")))?;
            prop_assert_eq!(&fast, &jaq, "{} on {}", program, data);
            prop_assert_eq!(shown(&fast), shown(&jaq), "{} on {}", program, data);
        }
    }
}

const EVENT: &str = r#"{"title":"T é","user":"u","wiki":"enwiki","n":3,"x":1.0,"tags":["a","b"],"meta":{"domain":"en.wikipedia.org","uri":"http://x"}}"#;

#[test]
fn ordinary_programs_are_handled() {
    let programs = [
        r#"select(.data.meta.domain == "en.wikipedia.org") | .data.title"#,
        r#"select(.data.meta.domain == "de.wikipedia.org") | .data.title"#,
        "{t: .data.title, u: .data.user}",
        ".data | [.user, .wiki] | @tsv",
        ".data | [.user, .n, .x, null, true] | @csv",
        ".data | {title, user, n: (.n * 2)}",
        ".data.tags[0], .data.tags[-1], .data.nosuch.deeper",
        "if .data.n > 2 then .data.user elif .data.n == 1 then 1 else empty end",
        ".data.nosuch // .data.user // \"none\"",
        "select(.data.user != null and (.data.n >= 3 or .data.x < 0)) | .data.x",
        ".data | select(.meta.uri | not | not) | .meta | tojson",
        ".data.n | tostring",
        "[.event, .data.wiki] | {e: .[0], w: .[1], l: []}",
        ".data.n + 1, .data.title + \"!\", -.data.n, .data.tags + [\"c\"]",
        ".event, .id, .",
        ".data | {a: (.n, .x), b: (1, 2)}",
        ".data.tags[], .data.meta[], [.data.tags[] | {t: .}]",
        r#""\(.data.user) edited \(.data.title) (\(.data.n), \(.data.x))""#,
        r#"@json "t=\(.data.title)", @csv "\(.data.tags)", @tsv "\(.data.tags)""#,
    ];
    for program in programs {
        let (jaq, fast) = both(program, EVENT);
        let fast = fast.unwrap_or_else(|| panic!("not handled: {program}"));
        assert_eq!(shown(&fast), shown(&jaq.expect("jaq runs it")), "{program}");
    }
}

#[test]
fn errors_bail_out_to_jaq() {
    for program in [
        ".data.n.x",
        ".data.n[]",
        ".data.nosuch[]",
        ".data.title[0]",
        ".data.n + \"s\"",
        ".data.meta | @tsv",
        "-.data.user",
    ] {
        let (jaq, fast) = both(program, EVENT);
        assert!(fast.is_none(), "{program}");
        assert!(jaq.is_err(), "{program}");
    }
}

#[test]
fn what_the_subset_leaves_out_stays_on_jaq() {
    for program in [
        "def select(f): .; select(false)",
        "def not: true; .data | not",
        "$ENV",
        "$__loc__",
        ".data as $d | $d",
        ".data.a?",
        "try .data.n.x",
        ".data.tags[]?",
        ".data.tags[0:1]",
        "..",
        "@base64 \"\\(.data.n)\"",
        "reduce .data.tags[] as $t (0; . + 1)",
        "label $out | 1",
        ".data | length",
        ".data.n / 2",
        "(.data.tags[0], .data.user) == (.data.user, 1)",
    ] {
        assert!(Fast::new(program).is_none(), "{program}");
    }
}

/// The builtins `fast.rs` runs itself are still what jaq's and ssetap's
/// libraries define them as (the last definition of a name is the one a
/// program calls).
#[test]
fn the_builtins_it_runs_are_still_those_definitions() {
    use jaq_core::load::parse::Def;
    let defs: Vec<Def<&str>> = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .chain(crate::jq::compile::ssetap_defs())
        .collect();
    let expected = [
        ("select", 1, "if f then . else empty end"),
        ("empty", 0, "{}[] as $x | ."),
        ("not", 0, "if . then false else true end"),
        ("true", 0, "0 == 0"),
        ("false", 0, "0 != 0"),
        ("null", 0, "[][0]"),
        ("@csv", 0, "_ssetap_csv"),
        ("@tsv", 0, "_ssetap_tsv"),
        ("tojson", 0, "_ssetap_tojson"),
        ("@json", 0, "tojson"),
        ("tostring", 0, "_ssetap_tostring"),
        ("@text", 0, "_ssetap_tostring"),
    ];
    for (name, arity, body) in expected {
        let last = defs
            .iter()
            .rev()
            .find(|d| d.name == name && d.args.len() == arity);
        let last = last.unwrap_or_else(|| panic!("{name}/{arity} is defined"));
        let want = jaq_core::load::parse(body, |p| p.term()).expect("parses");
        assert_eq!(
            format!("{:?}", last.body),
            format!("{want:?}"),
            "{name}/{arity}"
        );
    }
}

/// The random programs are mostly handled, so the comparison above is not
/// empty: most events run on the fast evaluator.
#[test]
fn random_programs_are_mostly_handled() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut handled, mut ran, n) = (0, 0, 400);
    for _ in 0..n {
        let p = program()
            .new_tree(&mut runner)
            .expect("a program")
            .current();
        let data = json().new_tree(&mut runner).expect("data").current();
        let (jaq, fast) = both(&format!(".data | {p}"), &data);
        handled += usize::from(fast.is_some());
        ran += usize::from(jaq.is_ok());
    }
    eprintln!("handled {handled} of {n}, jaq ran {ran}");
    assert!(
        handled * 4 >= ran * 3,
        "handled {handled} of {ran} that jaq ran"
    );
}

/// Nesting is bounded by the program's size: deeply nested programs run
/// (on a test thread's small stack), and beyond a depth jaq runs them.
#[test]
fn deep_programs_run_or_stay_on_jaq() {
    let pipeline = vec![".a"; 90].join(" | ");
    let nested = format!("{}.a{}", "[(".repeat(45), ")]".repeat(45));
    let objects = format!("{}1{}", "{a: ".repeat(90), "}".repeat(90));
    for program in [pipeline, nested, objects] {
        let (jaq, fast) = both(&program, "{}");
        assert_eq!(shown(&fast.expect("handled")), shown(&jaq.expect("runs")));
    }
    let deeper = format!("{}.{}", "[".repeat(101), "]".repeat(101));
    assert!(Fast::new(&deeper).is_none());
    let (jaq, fast) = both(&deeper, "{}");
    assert!(fast.is_none() && jaq.is_ok());
}
