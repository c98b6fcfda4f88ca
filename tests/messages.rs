//! What ssetap says on stderr, as a person meets it: clap's suggestion for
//! a misspelled flag survives the folding to one line, the `--stats` status
//! line on a terminal makes way for event output and shows a rate only
//! from the first second, a terminal with `TERM=dumb` gets neither it nor
//! colour, `-e` says when it has matched nothing, and JSON
//! log lines keep their documented key order.

mod common;

use common::{Reply, Server, event, run, ssetap};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn a_misspelled_flag_keeps_clap_suggestion() {
    let out = ssetap(&["URL", "--jsondata"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("did you mean '--json-data'?"), "{stderr:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
}

/// Run ssetap with stdout and stderr on one pseudo-terminal (`script`
/// from util-linux) and return everything the terminal received.
fn on_terminal(args: &[&str]) -> String {
    on_terminal_of("xterm-256color", args)
}

/// The same, on a terminal of this `TERM`.
fn on_terminal_of(term: &str, args: &[&str]) -> String {
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let mut line = quote(env!("CARGO_BIN_EXE_ssetap"));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", term)
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux runs ssetap on a pty");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_status_line_makes_way_for_output_on_the_same_terminal() {
    let server = Server::script(vec![
        Reply::sse()
            .body(event(None, None, "first"))
            .pause(Duration::from_millis(1600))
            .body(event(None, None, "second"))
            .pause(Duration::from_millis(600)),
    ]);
    let url = server.url();
    let screen = on_terminal(&[&url, "--stats", "--color", "never", "--no-reconnect", "-q"]);
    let clear = "\r\x1b[2K";
    // Each event starts on a cleared line, never after the status text.
    for data in ["first", "second"] {
        let ev = format!(r#"{{"event":"message","data":"{data}"}}"#);
        let at = screen
            .find(&ev)
            .unwrap_or_else(|| panic!("{ev} in {screen:?}"));
        let before = &screen[..at];
        assert!(
            before.is_empty() || before.ends_with(clear) || before.ends_with('\n'),
            "{ev} glued to the status line: {screen:?}"
        );
    }
    // The status line was drawn; in the first second without a rate.
    assert!(screen.contains("1 event, "), "{screen:?}");
    assert!(screen.contains("2 events (1/s)"), "{screen:?}");
    assert!(!screen.contains("reconnects{"), "{screen:?}");
}

#[test]
fn a_dumb_terminal_gets_no_status_line_and_no_colour() {
    let body = event(None, None, "{\"a\":1}") + &event(Some("end"), None, "");
    let run = |term: &str| {
        let server = Server::script(vec![Reply::sse().body(&body).hold()]);
        let url = server.url();
        on_terminal_of(
            term,
            &[&url, "--until", r#".event == "end""#, "--stats", "-q"],
        )
    };
    // On a terminal that takes escapes, both are there (the test's own check).
    let xterm = run("xterm");
    assert!(xterm.contains("\x1b[2K"), "{xterm:?}");
    assert!(xterm.contains("\x1b[1;39m{"), "{xterm:?}");
    // Emacs's shell buffer (TERM=dumb) would show them as noise.
    let dumb = run("dumb");
    assert!(!dumb.contains('\x1b'), "{dumb:?}");
    assert!(
        dumb.contains(r#"{"event":"message","data":"{\"a\":1}"}"#),
        "{dumb:?}"
    );
}

#[test]
fn e_says_once_when_it_has_matched_nothing_for_a_while() {
    let body: String = (0..25).map(|i| event(None, None, &i.to_string())).collect();
    let server = Server::script(vec![
        Reply::sse().body(&body).pause(Duration::from_millis(6500)),
    ]);
    let out = run(&[&server.url(), "-e", "edit,new", "--no-reconnect", "-q"]);
    out.assert_code(0);
    assert_eq!(out.stdout, b"");
    let notes: Vec<&str> = out.stderr.lines().filter(|l| l.contains("-e:")).collect();
    assert_eq!(
        notes,
        ["ssetap: warning: -e: no 'edit' or 'new' events yet; seen: message (25)"],
        "once, while the run goes on: {}",
        out.stderr
    );
}

#[test]
fn e_says_at_the_end_when_it_matched_nothing() {
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/wikimedia-recentchange.sse"
    );
    let out = run(&[sample, "-e", "edit,new"]);
    out.assert_code(0);
    assert_eq!(out.stdout, b"");
    let line = out.stderr.trim_end();
    assert!(
        line.starts_with("ssetap: warning: -e: no 'edit' or 'new' events; seen: message ("),
        "{line:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    // A filter that matched is quiet.
    let out = run(&[sample, "-e", "message", "-n", "3"]);
    assert!(!out.stderr.contains("-e:"), "{}", out.stderr);
}

#[test]
fn json_log_lines_keep_the_documented_key_order() {
    let body = event(None, None, "x");
    let server = Server::script(vec![Reply::sse().body(&body)]);
    let out = run(&[
        &server.url(),
        "--no-reconnect",
        "--log-format",
        "json",
        "--stats",
    ]);
    out.assert_code(0);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(lines.len() >= 2, "{}", out.stderr);
    for line in &lines {
        assert!(line.starts_with(r#"{"time":""#), "{line}");
        let level = line.find(r#","level":"#).unwrap_or(usize::MAX);
        let msg = line.find(r#","msg":"#).unwrap_or(usize::MAX);
        assert!(level < msg && msg < usize::MAX, "time, level, msg: {line}");
    }
    let stats = lines.last().copied().unwrap_or_default();
    assert!(
        stats.contains(r#","level":"info","msg":"stats","stats":{"#),
        "{stats}"
    );
    let v: serde_json::Value = serde_json::from_str(stats).expect("JSON");
    assert_eq!(v["stats"]["events"], 1);
}

#[test]
fn joined_output_on_a_terminal_has_no_status_line_and_ends_its_line() {
    let body = event(None, None, "Hel") + &event(None, None, "lo") + &event(Some("end"), None, "");
    let server = Server::script(vec![Reply::sse().body(&body).hold()]);
    let url = server.url();
    let until = r#".event == "end""#;
    let screen = on_terminal(&[&url, "-f", "data", "-j", "--until", until, "--stats", "-q"]);
    // A status line would overwrite the line being typed.
    assert!(!screen.contains("\x1b[2K"), "{screen:?}");
    assert!(screen.starts_with("Hello\r\n{\""), "{screen:?}");
}
