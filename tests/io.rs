//! Recorded SSE from files and stdin, and every output format: json
//! (with --json-data, --timestamp, --comments, colour), data and sse, the
//! sse round trip, the filters, and long data written from the read buffer.

mod common;

use common::*;

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wikimedia-recentchange.sse"
);

#[test]
fn the_sample_file_gives_one_json_line_per_event() {
    let out = run(&[SAMPLE]);
    out.assert_code(0);
    let events = out.json();
    assert_eq!(events.len(), 60);
    for (e, line) in events.iter().zip(out.lines()) {
        assert!(line.starts_with(r#"{"event":""#), "{line}");
        assert!(e["data"].is_string());
    }
}

#[test]
fn stdin_reads_the_same_as_the_file() {
    let bytes = std::fs::read(SAMPLE).expect("sample");
    let from_stdin = run_with_stdin(&["-"], &bytes);
    from_stdin.assert_code(0);
    assert_eq!(from_stdin.stdout, run(&[SAMPLE]).stdout);
}

#[test]
fn sse_output_reads_back_as_the_same_events() {
    let dir = Scratch::new("roundtrip");
    let tricky =
        "event: a\nid: 1\ndata: x\ndata:  y\r\n\r\n\u{feff}: c\nid\ndata\n\ndata: z\rretry: 5\r\r";
    let src = dir.write("in.sse", tricky);
    for input in [SAMPLE, src.to_str().unwrap()] {
        let sse = run(&[input, "--format", "sse"]);
        sse.assert_code(0);
        let copy = dir.write("copy.sse", &sse.stdout);
        let again = run(&[copy.to_str().unwrap(), "--format", "sse"]);
        assert_eq!(again.stdout, sse.stdout, "sse output is canonical");
        assert_eq!(run(&[copy.to_str().unwrap()]).stdout, run(&[input]).stdout);
    }
}

#[test]
fn data_format_writes_the_data_alone() {
    let out = run_with_stdin(&["-", "-f", "data"], b"data: a\ndata: b\n\ndata: c\n\n");
    out.assert_code(0);
    assert_eq!(out.stdout(), "a\nb\nc\n");
}

#[test]
fn json_data_embeds_json_and_keeps_other_data_as_a_string() {
    let input = b"id: 5\ndata: {\"b\":1,\"a\":[true,null]}\n\ndata: not json\n\ndata: also not\n\n";
    let out = run_with_stdin(&["-", "--json-data", "--stats"], input);
    out.assert_code(0);
    let lines = out.lines();
    assert_eq!(
        lines[0],
        r#"{"event":"message","id":"5","data":{"b":1,"a":[true,null]}}"#
    );
    assert_eq!(
        lines[1],
        r#"{"event":"message","id":"5","data":"not json"}"#
    );
    assert_eq!(out.stderr.matches("not JSON").count(), 1, "{}", out.stderr);
}

#[test]
fn timestamp_adds_the_receive_time_in_rfc3339_utc_with_milliseconds() {
    let out = run_with_stdin(&["-", "--timestamp"], b"data: t\n\n");
    out.assert_code(0);
    let v = &out.json()[0];
    let time = v["time"].as_str().expect("time");
    // 2026-11-24T13:45:01.123Z
    assert_eq!(time.len(), 24, "{time}");
    assert!(time.ends_with('Z') && &time[10..11] == "T" && &time[19..20] == ".");
    assert!(time.starts_with("20"), "{time}");
    assert_eq!(
        out.lines()[0].rfind("\"time\""),
        out.lines()[0].find("\"time\"")
    );
}

#[test]
fn comments_are_emitted_only_when_asked() {
    let input = b": keep-alive\ndata: d\n\n";
    assert_eq!(run_with_stdin(&["-"], input).lines().len(), 1);
    let out = run_with_stdin(&["-", "--comments"], input);
    assert_eq!(out.lines()[0], r#"{"comment":"keep-alive"}"#);
    assert_eq!(out.lines().len(), 2);
}

#[test]
fn event_and_grep_filters_select_events() {
    let input = b"event: edit\ndata: one\n\nevent: new\ndata: two\n\nevent: log\ndata: three\n\ndata: four\n\n";
    let out = run_with_stdin(&["-", "-f", "data", "-e", "edit,new"], input);
    assert_eq!(out.stdout(), "one\ntwo\n");
    let out = run_with_stdin(&["-", "-f", "data", "-e", "log", "-e", "message"], input);
    assert_eq!(out.stdout(), "three\nfour\n");
    let out = run_with_stdin(&["-", "-f", "data", "--grep", "^t"], input);
    assert_eq!(out.stdout(), "two\nthree\n");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let input = b"data: {\"a\":1}\n\n";
    let has_escape = |o: &Out| o.stdout.contains(&0x1b);
    assert!(has_escape(&run_with_stdin(
        &["-", "--color", "always"],
        input
    )));
    assert!(has_escape(&run_with_stdin(
        &["-", "--color", "always", "--json-data"],
        input
    )));
    assert!(!has_escape(&run_with_stdin(
        &["-", "--color", "never"],
        input
    )));
    assert!(
        !has_escape(&run_with_stdin(&["-"], input)),
        "a pipe is never coloured"
    );
    let mut cmd = ssetap(&["-", "--color", "auto"]);
    cmd.env("NO_COLOR", "1");
    cmd.stdin(std::process::Stdio::piped());
    let mut r = Running::start(cmd);
    if let Some(mut stdin) = r.take_stdin() {
        std::io::Write::write_all(&mut stdin, input).expect("stdin");
    }
    assert!(!has_escape(&r.finish(run::LIMIT)));
}

#[test]
fn a_missing_input_file_is_one_line_and_exit_1() {
    let out = run(&["/nonexistent/capture.sse"]);
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("/nonexistent/capture.sse"),
        "{}",
        out.stderr
    );
}

/// Long one-line data is written from the read buffer (writev) rather than
/// copied: the output must be the same bytes whatever the line ending, the
/// chunking of the input (file reads, a pipe on stdin) or the neighbours.
#[test]
fn data_format_is_exact_for_long_events_across_reads_and_line_endings() {
    let mut rng = fastrand::Rng::with_seed(11);
    let (mut input, mut expected) = (Vec::new(), Vec::new());
    for n in 0..4000 {
        let len = [10, 255, 256, 257, 900, 5000, 70_000][rng.usize(..7)];
        let mut line: Vec<u8> = (0..len).map(|_| rng.alphanumeric() as u8).collect();
        line.splice(0..0, format!("{n}:").bytes());
        let eol: &[u8] = [&b"\n"[..], b"\r\n", b"\r"][rng.usize(..3)];
        match rng.u8(..8) {
            // Invalid UTF-8: decoded with replacement, so copied.
            0 => {
                line.push(0xFF);
                input.extend_from_slice(b"data: ");
                input.extend_from_slice(&line);
                input.extend_from_slice(eol);
                line.pop();
                expected.extend_from_slice(&line);
                expected.extend_from_slice("\u{FFFD}".as_bytes());
            }
            // Two lines: joined in the data buffer.
            1 => {
                for part in [&line[..], b"second"] {
                    input.extend_from_slice(b"data:");
                    input.extend_from_slice(part);
                    input.extend_from_slice(eol);
                }
                expected.extend_from_slice(&line);
                expected.extend_from_slice(b"\nsecond");
            }
            // With a comment and an id around the data line.
            2 => {
                input.extend_from_slice(format!(": note\nid: {n}\ndata: ").as_bytes());
                input.extend_from_slice(&line);
                input.extend_from_slice(eol);
                input.extend_from_slice(b"event: x");
                input.extend_from_slice(eol);
                expected.extend_from_slice(b": note\n");
                expected.extend_from_slice(&line);
            }
            _ => {
                input.extend_from_slice(b"data: ");
                input.extend_from_slice(&line);
                input.extend_from_slice(eol);
                expected.extend_from_slice(&line);
            }
        }
        input.extend_from_slice(eol);
        expected.push(b'\n');
    }
    // A last event that never ends is not dispatched.
    input.extend_from_slice(b"data: unfinished\n");
    let dir = Scratch::new("verbatim");
    let file = dir.write("long.sse", &input);
    let args = ["--format", "data", "--comments"];
    let from_file = run(&[&[file.to_str().unwrap()][..], &args].concat());
    from_file.assert_code(0);
    assert!(from_file.stdout == expected, "file input: output differs");
    let from_stdin = run_with_stdin(&[&["-"][..], &args].concat(), &input);
    from_stdin.assert_code(0);
    assert!(from_stdin.stdout == expected, "stdin input: output differs");
    let server = Server::script(vec![Reply::sse().body(&input)]);
    let from_http = run(&[&[&server.url()[..], "--no-reconnect"][..], &args].concat());
    from_http.assert_code(0);
    assert!(from_http.stdout == expected, "HTTP input: output differs");
}
