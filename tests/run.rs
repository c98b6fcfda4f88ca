//! A run end to end: limits, signals, a closed stdout, the state file,
//! oversized events and bounded memory, invalid UTF-8, `--stats`.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// Ten events with ids 1..=10, then the connection is held open.
fn ten_then_hold() -> Reply {
    let body: String = (1..=10)
        .map(|n| event(None, Some(&n.to_string()), &format!("e{n}")))
        .collect();
    Reply::sse().body(body).hold()
}

fn wait_for_lines(r: &Running, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            r.next_line(Duration::from_secs(20))
                .unwrap_or_else(|| panic!("line {i} never came"))
        })
        .collect()
}

#[test]
fn max_events_counts_after_filtering_and_exits_0() {
    let body: String = (1..=20)
        .map(|n| {
            let kind = if n % 2 == 0 { "edit" } else { "log" };
            event(Some(kind), None, &n.to_string())
        })
        .collect();
    let server = Server::script(vec![Reply::sse().body(body).hold()]);
    let out = run(&[&server.url(), "-e", "edit", "-n", "3", "--format", "data"]);
    out.assert_code(0);
    assert_eq!(out.stdout(), "2\n4\n6\n");
}

#[test]
fn duration_ends_a_quiet_stream_with_exit_0_and_what_arrived() {
    let server = Server::script(vec![ten_then_hold()]);
    let out = run(&[&server.url(), "--duration", "1s", "--format", "data"]);
    out.assert_code(0);
    assert_eq!(out.lines().len(), 10);
    assert!(
        out.elapsed >= Duration::from_millis(900),
        "{:?}",
        out.elapsed
    );
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
}

fn signal_while_blocked(sig: libc::c_int, code: i32) {
    let dir = Scratch::new(&format!("sig{sig}"));
    let state = dir.path("s.json");
    let server = Server::script(vec![ten_then_hold()]);
    let r = Running::spawn(&[
        &server.url(),
        "--format",
        "data",
        "--state-file",
        state.to_str().unwrap(),
    ]);
    let lines = wait_for_lines(&r, 10);
    assert_eq!(lines[9], "e10\n");
    // Blocked in a read now: nothing more will come.
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    r.signal(sig);
    let out = r.finish(run::LIMIT);
    let took = sent.elapsed();
    out.assert_code(code);
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
    eprintln!("signal {sig} to exit: {took:?}");
    assert_eq!(out.lines().len(), 10);
    let saved = std::fs::read_to_string(&state).expect("state file");
    assert_eq!(saved.trim(), r#"{"last_event_id":"10"}"#);
}

#[test]
fn sigint_while_blocked_in_a_read_exits_130_with_everything_written() {
    signal_while_blocked(libc::SIGINT, 130);
}

#[test]
fn sigterm_while_blocked_in_a_read_exits_143() {
    signal_while_blocked(libc::SIGTERM, 143);
}

#[test]
fn a_closed_stdout_ends_the_run_quietly_with_exit_0() {
    // Endless events: ssetap must notice the reader is gone.
    let server = Server::start(|_, _| {
        let mut r = Reply::sse();
        for n in 0..2000 {
            r = r.body(event(None, None, &format!("{n} {}", "x".repeat(100))));
            r = r.pause(Duration::from_millis(1));
        }
        r
    });
    let mut cmd = ssetap(&[&server.url()]);
    let mut child = cmd.spawn().expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 300];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("some output");
    drop(stdout);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "still running");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn the_state_file_resumes_a_later_run_and_the_flag_overrides_it() {
    let dir = Scratch::new("resume");
    let state = dir.path("wiki.state");
    let s = state.to_str().unwrap();
    let server = Server::start(|n, _| {
        let id = format!("id-{}", n + 1);
        Reply::sse().body(event(None, Some(&id), "x"))
    });
    run(&[&server.url(), "--no-reconnect", "--state-file", s]).assert_code(0);
    let saved = std::fs::read_to_string(&state).expect("state");
    assert_eq!(saved.trim(), r#"{"last_event_id":"id-1"}"#);
    run(&[&server.url(), "--no-reconnect", "--state-file", s]).assert_code(0);
    run(&[
        &server.url(),
        "--no-reconnect",
        "--state-file",
        s,
        "--last-event-id",
        "manual",
    ])
    .assert_code(0);
    let reqs = server.requests();
    assert_eq!(reqs[0].header("last-event-id"), None);
    assert_eq!(reqs[1].header("last-event-id"), Some("id-1"));
    assert_eq!(reqs[2].header("last-event-id"), Some("manual"));
    let saved = std::fs::read_to_string(&state).expect("state");
    assert_eq!(saved.trim(), r#"{"last_event_id":"id-3"}"#);
}

#[test]
fn invalid_utf8_becomes_the_replacement_character() {
    let mut body = b"data: caf\xc3\xa9 \xff\xfe end\n\n".to_vec();
    body.extend_from_slice(b"data: next\n\n");
    let server = Server::script(vec![Reply::sse().body(body)]);
    let out = run(&[&server.url(), "--no-reconnect"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v[0]["data"], "caf\u{e9} \u{fffd}\u{fffd} end");
    assert_eq!(v[1]["data"], "next");
}

/// Peak resident memory of a running process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn an_oversized_event_is_dropped_and_memory_stays_bounded() {
    // 64 MiB of data in one event, against a 1 MiB cap, then a normal one.
    let line = format!("data: {}\n", "y".repeat(1 << 20));
    let server = Server::start(move |_, _| {
        let mut r = Reply::sse().body(event(None, None, "before"));
        for _ in 0..64 {
            r = r.body(&line);
        }
        r.body("\n")
            .body(event(None, None, "after"))
            .pause(Duration::from_secs(30))
    });
    let r = Running::spawn(&[&server.url(), "--max-event-size", "1MiB", "--stats"]);
    let lines = wait_for_lines(&r, 2);
    let rss = peak_rss_kib(r.pid());
    r.signal(libc::SIGINT);
    let out = r.finish(run::LIMIT);
    out.assert_code(130);
    assert!(lines[0].contains("\"before\"") && lines[1].contains("\"after\""));
    assert!(out.stderr.contains("max-event-size"), "{}", out.stderr);
    assert_eq!(out.stats()["dropped"], 1);
    eprintln!("peak RSS with a 64 MiB event over a 1 MiB cap: {rss} KiB");
    assert!(rss < 24 * 1024, "peak RSS {rss} KiB");
}

#[test]
fn stats_summarise_the_run_as_json() {
    let body = event(None, Some("1"), "a") + ": hi\n\n" + &event(Some("skip"), None, "b");
    let server = Server::script(vec![Reply::sse().body(body)]);
    let out = run(&[&server.url(), "--no-reconnect", "--stats", "-e", "message"]);
    out.assert_code(0);
    let s = out.stats();
    assert_eq!(s["events"], 1);
    assert_eq!(s["reconnects"], 0);
    assert_eq!(s["dropped"], 0);
    assert!(s["bytes"].as_u64().unwrap_or(0) > 20, "{s}");
    assert!(s["seconds"].as_f64().is_some(), "{s}");
}

#[test]
fn stats_show_a_live_status_line_when_stderr_is_a_terminal() {
    let server = Server::start(|_, _| {
        let mut r = Reply::sse();
        for n in 0..30 {
            r = r
                .body(event(None, None, &n.to_string()))
                .pause(Duration::from_millis(100));
        }
        r
    });
    let mut cmd = ssetap(&[&server.url(), "--no-reconnect", "--stats", "-q"]);
    cmd.env("SSETAP_TEST_STDERR_TTY", "1");
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(0);
    // A status line is redrawn in place (carriage return), then cleared
    // before the summary.
    assert!(out.stderr.contains('\r'), "{:?}", out.stderr);
    assert!(out.stderr.contains(" events ("), "{:?}", out.stderr);
    let summary = out.stderr.rsplit("\x1b[2K").next().unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_str(summary.trim()).expect("summary");
    assert_eq!(summary["events"], 30);
    let plain = run(&[&server.url(), "--no-reconnect", "--stats", "-q"]);
    assert!(!plain.stderr.contains('\r'), "no status line into a pipe");
}
