//! `--jq`: the embedded program's outputs compared with Debian's jq
//! (`/usr/bin/jq`, 1.6) on a corpus of programs and events, as jq would
//! run them on `ssetap --json-data`'s lines; then the flag's own rules:
//! compile errors, runtime errors (the event skipped, counted, warned about
//! once), no output (filtered), several outputs, raw strings with -f data,
//! "time" with --timestamp, and the resume point on stdout.

#[path = "jq/audit.rs"]
mod audit;
#[path = "jq/builtins.rs"]
mod builtins;
mod common;
#[path = "jq/corpus.rs"]
mod corpus;
#[path = "jq/numbers.rs"]
mod numbers;

use common::*;
use std::process::Stdio;

/// Events of every shape the corpus needs: nested objects, arrays,
/// numbers as strings, a log line that is not JSON, no id, unicode.
fn corpus_events() -> String {
    [
        event(
            Some("edit"),
            Some("1"),
            r#"{"meta":{"domain":"en.wikipedia.org","dt":"2026-11-24T07:00:00Z"},"title":"Page One","user":"Editor7","bot":false,"comment":"/* Section */ fix typo","length":{"old":1234,"new":1240},"items":[3,1,2],"price":1500.5,"s":"BTCUSD","p":"64123.25","tags":["a","b"]}"#,
        ),
        event(
            Some("new"),
            Some("2"),
            r#"{"meta":{"domain":"de.wikipedia.org","dt":"2026-11-24T07:00:01Z"},"title":"Seite Zwei — ü","user":"BOT-X","bot":true,"comment":"neu","length":{"old":0,"new":99},"items":[],"price":12,"s":"ETHUSD","p":"3100","tags":[]}"#,
        ),
        event(None, Some("3"), "ERROR disk /dev/sda1 is 97% full"),
        event(
            Some("edit"),
            None,
            r#"{"meta":{"domain":"en.wikipedia.org"},"title":"Three","user":"Mixed Case","bot":false,"items":[10,20],"price":1000,"s":"x","p":"not a number","n":-2.75}"#,
        ),
        event(Some("log"), Some("5"), r#"[1,"two",{"three":3},null,true]"#),
        event(Some("log"), Some("6"), r#""a JSON string""#),
        event(Some("tick"), Some("7"), r#"{"s":"AAPL","p":"189.5","x":"5","items":[1.5,2.25,-0.5]}"#),
        // Not canonical: spaces, escapes, a DEL, numbers jq rewrites, a
        // repeated key (jq keeps the last value in the first place).
        event(
            Some("edit"),
            Some("8"),
            r#" { "meta" : { "domain" : "en.wikipedia.org" } , "title" : "T\u00e9 \/ \"q\" a\u007fb" , "n" : 1.50 , "items" : [ 0.10 , -0.25 , 2.50 ] , "m" : [ 1e2 , 1.0 , -0 , 700000000000000.2 ] , "dup" : 1 , "dup" : 2 } "#,
        ),
    ]
    .concat()
}

/// At least 30 programs: select, object construction, map, to_entries,
/// regexes, split, tostring/tonumber, //, @base64, ascii_downcase, several
/// outputs, no output, and runtime errors on some events.
const PROGRAMS: &[&str] = &[
    ".",
    ".data",
    ".event",
    ".id",
    r#"select(.event == "edit")"#,
    r#"select(.data.meta.domain == "en.wikipedia.org")"#,
    r#"select(.data.items) | .data"#,
    "if .data.title then . else empty end",
    ".data.items[0]?, .data.dup?",
    r#"select(.data.meta.domain == "en.wikipedia.org") | .data.title"#,
    "{title: .data.title, user: .data.user}",
    "{type: .event, id, n: (.data.items | length)}",
    ".data.items | map(. * 2)",
    ".data.meta | to_entries",
    r#".data.meta | to_entries | map("\(.key)=\(.value)") | join(",")"#,
    r#".data.comment | test("typo")"#,
    r#".data.comment | capture("/\\* (?<section>[A-Za-z]+) \\*/ (?<rest>.*)")"#,
    r#".data | capture("(?<level>[A-Z]+) (?<what>\\S+) (?<dev>\\S+) is (?<pct>[0-9]+)% full")"#,
    r#".data | split(" ")"#,
    ".data.p | tonumber",
    ".data.price | tostring",
    r#".data.missing // "default""#,
    r#".id // "no id""#,
    ".data.title | @base64",
    ".data.user | ascii_downcase",
    ".data.items[]",
    "empty",
    ".data.x + 1",
    "select(.data.price > 1000)",
    "{symbol: .data.s, price: (.data.p | tonumber)}",
    r#". + {source: "wiki"}"#,
    ".data | keys",
    r#".data | has("meta")"#,
    "[.data.items[]? | select(. > 1)]",
    r#".data.meta.dt | split("T") | .[0]"#,
    r#"if .data.bot then "bot" else "human" end"#,
    ".data.length.new - .data.length.old",
    ".data | length",
    ".data.title | ascii_upcase | .[0:4]",
    ".data.items | add",
    ".data.items | min, max",
    r#".data.tags | join("-")"#,
    ".data | objects | {title, user}",
    r#".data | objects | with_entries(select(.value | type == "string"))"#,
    ".data.items | sort | reverse",
    r#".data.s | test("^btc"; "i")"#,
    r#".data.title | sub(" "; "_")"#,
    r#".data.title | gsub("[aeiou]"; "")"#,
    ".data.n | floor",
    r#".data.p | tonumber | . * 100"#,
    r#"@text "\(.event): \(.data.title)""#,
    ".data[]",
    "(.data | tojson | length), .event",
    r#".data.x | tonumber"#,
    r#"error("custom")"#,
    r#".data | .. | numbers"#,
    r#""\(.data.m) \(.data.price)""#,
    ".data.m | tojson, tostring, @csv, @sh",
    ".data.m[]? | tostring",
];

fn jq(program: &str, input: &[u8], raw: bool) -> String {
    debian_jq(program, input, raw)
}

/// How many events jq fails on.
fn jq_failures(program: &str, input: &[u8]) -> usize {
    jq(
        &format!("try ([{program}] | empty) catch \"failed\""),
        input,
        false,
    )
    .lines()
    .count()
}

#[test]
fn outputs_match_debians_jq_on_the_corpus() {
    assert!(PROGRAMS.len() >= 30);
    let dir = Scratch::new("jq-corpus");
    let file = dir.write("corpus.sse", corpus_events());
    let file = file.to_str().expect("path");
    let lines = run(&[file, "--json-data"]);
    lines.assert_code(0);
    let mut mismatches = Vec::new();
    for program in PROGRAMS {
        for raw in [false, true] {
            let mut args = vec![file, "--jq", program, "--stats"];
            if raw {
                args.extend(["-f", "data"]);
            }
            let ours = run(&args);
            ours.assert_code(0);
            let theirs = jq(program, &lines.stdout, raw);
            if ours.stdout() != theirs {
                mismatches.push(format!(
                    "{program} (raw {raw}):\n  ssetap: {:?}\n  jq:     {theirs:?}",
                    ours.stdout()
                ));
            }
            let failed = jq_failures(program, &lines.stdout);
            let stats = ours.stats();
            if stats["jq_errors"] != failed as u64 {
                mismatches.push(format!("{program}: jq fails on {failed} events: {stats}"));
            }
            assert_eq!(
                ours.stderr.matches("--jq failed").count(),
                usize::from(failed > 0),
                "{program}: {}",
                ours.stderr
            );
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_program_that_does_not_compile_is_a_usage_error() {
    for program in [".data | (", "foo(1)", "$nope", ".[", "if . then 1"] {
        let out = run(&["-", "--jq", program]);
        out.assert_code(2);
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{program}: {}", out.stderr);
        assert!(
            lines[0].starts_with("ssetap: error: --jq: cannot compile the program: "),
            "{}",
            lines[0]
        );
    }
}

#[test]
fn a_runtime_error_skips_the_event_and_is_counted_once_warned() {
    let input = [
        event(None, Some("a"), r#"{"x":1}"#),
        event(None, Some("b"), r#"{"x":"text"}"#),
        event(None, Some("c"), r#"{"x":"more text"}"#),
        event(None, Some("d"), r#"{"x":2}"#),
    ]
    .concat();
    let out = run_with_stdin(
        &["-", "--jq", ".data.x, .data.x + 1", "--stats"],
        input.as_bytes(),
    );
    out.assert_code(0);
    assert_eq!(out.lines(), ["1", "2", "2", "3"]);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(warnings[0].contains("\"b\""), "{}", warnings[0]);
    assert!(warnings[0].contains("cannot"), "{}", warnings[0]);
    let stats = out.stats();
    assert_eq!(stats["jq_errors"], 2);
    assert_eq!(stats["events"], 2);
}

/// An LLM stream: chunks without IDs, then `data: [DONE]`, which is not
/// JSON. A program that indexes `.data` fails on it: the warning names the
/// event by its place and says how to pass over it; the README's way
/// (`.data | objects | ...`) does so quietly.
#[test]
fn an_llm_streams_done_is_named_by_its_place_and_passed_over_quietly() {
    let input = [
        event(None, None, r#"{"choices":[{"delta":{"content":"Hel"}}]}"#),
        event(None, None, r#"{"choices":[{"delta":{"content":"lo"}}]}"#),
        event(None, None, "[DONE]"),
    ]
    .concat();
    let out = run_with_stdin(
        &["-", "--jq", ".data.choices[0].delta.content", "--stats"],
        input.as_bytes(),
    );
    out.assert_code(0);
    assert_eq!(out.lines(), [r#""Hel""#, r#""lo""#]);
    let warning = out
        .stderr
        .lines()
        .find(|l| l.contains("warning"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(warning.contains("event #3 (no ID)"), "{warning}");
    assert!(warning.contains("not JSON"), "{warning}");
    assert!(warning.contains(".data | objects"), "{warning}");
    assert_eq!(out.stats()["jq_errors"], 1);
    for program in [
        ".data | objects | .choices[0].delta.content",
        r#"select(.data != "[DONE]") | .data.choices[0].delta.content"#,
        "try .data.choices[0].delta.content",
    ] {
        let out = run_with_stdin(
            &["-", "--jq", program, "--stats", "-f", "data"],
            input.as_bytes(),
        );
        out.assert_code(0);
        assert_eq!(out.stdout(), "Hel\nlo\n", "{program}");
        assert!(!out.stderr.contains("warning"), "{program}: {}", out.stderr);
        assert_eq!(out.stats()["jq_errors"], 0, "{program}");
    }
}

#[test]
fn no_output_is_filtered_and_several_outputs_share_one_event() {
    let input = [
        event(None, Some("1"), r#"{"items":[1,2,3]}"#),
        event(None, Some("2"), r#"{"items":[]}"#),
        event(None, Some("3"), r#"{"items":["x"]}"#),
    ]
    .concat();
    let out = run_with_stdin(&["-", "--jq", ".data.items[]", "--stats"], input.as_bytes());
    out.assert_code(0);
    assert_eq!(out.lines(), ["1", "2", "3", "\"x\""]);
    let stats = out.stats();
    assert_eq!(stats["events"], 2);
    assert_eq!(stats["filtered"], 1);
    // -n counts events, not records.
    let out = run_with_stdin(&["-", "--jq", ".data.items[]", "-n", "1"], input.as_bytes());
    assert_eq!(out.lines(), ["1", "2", "3"]);
}

#[test]
fn data_format_writes_strings_raw() {
    let input = event(None, None, r#"{"t":"line one\ttab","n":1,"o":{"a":[1]}}"#);
    let out = run_with_stdin(
        &["-", "--jq", ".data.t, .data.n, .data.o", "-f", "data"],
        input.as_bytes(),
    );
    out.assert_code(0);
    assert_eq!(out.stdout(), "line one\ttab\n1\n{\"a\":[1]}\n");
    let out = run_with_stdin(&["-", "--jq", ".data.t"], input.as_bytes());
    assert_eq!(out.stdout(), "\"line one\\ttab\"\n");
}

#[test]
fn timestamp_adds_the_time_to_the_input() {
    let input = event(Some("e"), Some("9"), "plain");
    let out = run_with_stdin(
        &[
            "-",
            "--jq",
            "keys_unsorted, (.time | length)",
            "--timestamp",
        ],
        input.as_bytes(),
    );
    out.assert_code(0);
    assert_eq!(out.lines(), [r#"["event","id","data","time"]"#, "24"]);
}

#[test]
fn flags_that_do_not_go_with_jq_are_refused() {
    run(&["-", "--jq", ".", "-f", "sse"]).assert_code(2);
    run(&["-", "--jq", ".", "--comments"]).assert_code(2);
}

#[test]
fn the_state_file_follows_events_whose_records_are_all_written() {
    let dir = Scratch::new("jq-state");
    let state = dir.path("state");
    let state = state.to_str().expect("path");
    let input = [
        event(None, Some("1"), r#"{"items":[1,2]}"#),
        event(None, Some("2"), r#"{"items":[]}"#),
    ]
    .concat();
    let out = run_with_stdin(
        &["-", "--jq", ".data.items[]", "--state-file", state],
        input.as_bytes(),
    );
    out.assert_code(0);
    assert_eq!(out.lines(), ["1", "2"]);
    // The event without output counts at once.
    assert_eq!(
        std::fs::read_to_string(state).expect("state").trim(),
        r#"{"last_event_id":"2"}"#
    );
}

/// SIGKILL while events with two outputs each stream in: the state file
/// never names an event one of whose records is missing from the output.
#[test]
fn after_a_crash_the_state_never_skips_a_record_of_a_multi_output_event() {
    let dir = Scratch::new("jq-kill");
    let state = dir.path("kill.state");
    let out_path = dir.path("out.ndjson");
    let server = Server::start(|_, _| {
        let mut r = Reply::sse();
        for n in 1..=2000 {
            r = r
                .body(event(None, Some(&n.to_string()), &format!("{{\"n\":{n}}}")))
                .pause(std::time::Duration::from_millis(1));
        }
        r.hold()
    });
    for kill_after in [300u64, 900, 1500] {
        let _ = std::fs::remove_file(&state);
        let out_file = std::fs::File::create(&out_path).expect("output file");
        let mut cmd = ssetap(&[
            &server.url(),
            "--jq",
            ".data.n as $n | ({n: $n, part: 1}, {n: $n, part: 2})",
            "--state-file",
            state.to_str().unwrap(),
        ]);
        cmd.stdout(Stdio::from(out_file));
        let mut child = cmd.spawn().expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(kill_after));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let Ok(text) = std::fs::read_to_string(&state) else {
            continue; // killed before the first save
        };
        let v: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
        let saved: u64 = v["last_event_id"]
            .as_str()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let written = std::fs::read_to_string(&out_path).unwrap_or_default();
        let mut parts = std::collections::HashMap::<u64, u32>::new();
        for line in written.lines() {
            let Ok(r) = serde_json::from_str::<serde_json::Value>(line) else {
                continue; // a line cut by the kill
            };
            *parts.entry(r["n"].as_u64().unwrap_or(0)).or_default() += 1;
        }
        eprintln!(
            "killed after {kill_after} ms: state {saved}, {} events out",
            parts.len()
        );
        assert!(
            saved > 0 || kill_after < 500,
            "no state after {kill_after} ms"
        );
        for n in 1..=saved {
            assert_eq!(
                parts.get(&n),
                Some(&2),
                "state {saved} but event {n} lacks a record"
            );
        }
    }
}

/// `debug` and `stderr` write on stderr what Debian's jq writes there, a
/// line each (jq's `stderr` adds no newline; a log line needs one), and
/// the outputs are unchanged. Server bytes in them stay escaped.
#[test]
fn debug_and_stderr_write_what_jq_writes() {
    let input = "data: {\"n\":3,\"s\":\"\\u001b[2Jé\"}\n\n";
    let program = ".data | debug | .n | debug(\"n is \\(.)\") | stderr";
    let out = run_with_stdin(&["-", "--jq", program, "-q"], input.as_bytes());
    out.assert_code(0);
    assert_eq!(out.stdout(), "3\n");
    let mut jq = std::process::Command::new("jq")
        .args(["-c", ".data | fromjson | debug | .n | stderr"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jq");
    {
        use std::io::Write;
        let json = serde_json::json!({ "data": r#"{"n":3,"s":"\u001b[2Jé"}"# });
        jq.stdin
            .take()
            .unwrap()
            .write_all(json.to_string().as_bytes())
            .unwrap();
    }
    let theirs = jq.wait_with_output().unwrap();
    let theirs = String::from_utf8_lossy(&theirs.stderr);
    // jq 1.6 has no debug(msg): its line is ssetap's own, as jq 1.7 writes it.
    let (debug, stderr) = theirs.split_once('\n').unwrap();
    assert_eq!(
        out.stderr,
        format!("{debug}\n[\"DEBUG:\",\"n is 3\"]\n{stderr}\n")
    );
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
}
