//! Hostile servers, part three: numbers and IDs a server chooses, and a
//! network that refuses. A wait it asks for (`Retry-After`, `retry:`) is cut
//! to the ceiling and said, never a panic or a year's sleep; an event ID
//! that cannot be sent back as `Last-Event-ID` (a control byte, a
//! megabyte) neither breaks the reconnect nor is saved as the resume point;
//! a refused connection names the host and port; a thread that cannot be
//! started (a task limit) is a failed attempt, retried, never a panic; a
//! `--jq` program given a count, a nested string or a path it did not
//! expect fails on that event, and the run goes on.

mod common;

use common::*;
use std::time::Duration;

/// The ceiling for a server's waits (reconnect::SERVER_WAIT_MAX).
const CEILING: &str = "1h";

/// A port on 127.0.0.1 with nothing listening.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn saved_id(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).expect("state file");
    let v: serde_json::Value = serde_json::from_str(&text).expect("state JSON");
    v["last_event_id"].as_str().expect("id string").to_string()
}

#[test]
fn a_retry_after_of_u64_max_is_cut_and_the_run_ends_in_order() {
    let server = Server::start(|n, _| match n {
        0 => Reply::sse().body(event(None, Some("7"), "a")),
        _ => Reply::status(503, &[("Retry-After", "18446744073709551615")], ""),
    });
    let dir = Scratch::new("retry-after-max");
    let state = dir.path("s.state");
    let out = run(&[
        &server.url(),
        "--retry",
        "10ms",
        "--duration",
        "3s",
        "--state-file",
        state.to_str().unwrap_or_default(),
    ]);
    assert_ne!(out.code, Some(101), "a panic: {}", out.stderr);
    out.assert_code(0);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.json()[0]["data"], "a");
    assert_eq!(saved_id(&state), "7", "the state is saved at the end");
    assert!(
        out.stderr.contains(&format!("reconnecting in {CEILING} ")),
        "the wait is the ceiling: {}",
        out.stderr
    );
    assert_eq!(server.requests().len(), 2, "{}", out.stderr);
}

#[test]
fn a_retry_after_of_a_year_is_cut_with_a_warning_even_with_quiet() {
    let server = Server::start(|_, _| Reply::status(503, &[("Retry-After", "31536000")], ""));
    let out = run(&[&server.url(), "-q", "--duration", "2s"]);
    out.assert_code(0);
    let said: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("Retry-After"))
        .collect();
    assert_eq!(said.len(), 1, "{}", out.stderr);
    assert!(
        said[0].contains(&format!("waiting {CEILING}")) && said[0].contains("31536000s"),
        "{}",
        said[0]
    );
    assert!(
        out.stderr.contains(&format!("reconnecting in {CEILING} ")),
        "{}",
        out.stderr
    );
}

#[test]
fn retry_after_as_a_far_http_date_is_cut_too() {
    let server = Server::start(|_, _| {
        Reply::status(503, &[("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")], "")
    });
    let out = run(&[&server.url(), "--duration", "2s"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains(&format!("reconnecting in {CEILING} ")),
        "{}",
        out.stderr
    );
}

#[test]
fn a_retry_field_past_u64_is_cut_and_said_once() {
    let body = format!(
        "retry: 99999999999999999999\n{}retry: 99999999999999999999\n{}",
        event(None, Some("1"), "a"),
        event(None, Some("2"), "b")
    );
    let server = Server::script(vec![Reply::sse().body(body)]);
    let out = run(&[&server.url(), "--duration", "2s"]);
    out.assert_code(0);
    assert_eq!(out.json().len(), 2);
    let said = out.stderr.matches("retry:").count();
    assert_eq!(said, 1, "warned once: {}", out.stderr);
    assert!(
        out.stderr.contains(&format!("reconnecting in {CEILING} ")),
        "{}",
        out.stderr
    );
}

/// A program that repeats a string as often as the server says
/// (`"ab" * .n`, a bar chart in a terminal), parses a string the server
/// sends (`fromjson`, `tonumber`) or sets a path it sends (`setpath`,
/// `fromstream`): a count past jq's longest string, text nested past jq's
/// limit or a path of a hundred thousand keys fails that event (jaq's own
/// operators ask for the memory, or recurse until the stack is gone, and
/// the process dies); later events go on.
#[test]
fn a_servers_count_nesting_or_path_fails_one_jq_event_not_the_run() {
    let deep = "[".repeat(200_000);
    let long = vec!["0"; 100_000].join(",");
    let body = [
        event(
            None,
            Some("1"),
            r#"{"n":9223372036854775807,"s":"1","p":["k"]}"#,
        ),
        event(None, Some("2"), r#"{"n":2147483648,"s":"2","p":["k"]}"#),
        event(
            None,
            Some("3"),
            &format!(r#"{{"n":1,"s":"{deep}","p":["k"]}}"#),
        ),
        event(
            None,
            Some("4"),
            &format!(r#"{{"n":1,"s":"4","p":[{long}]}}"#),
        ),
        event(None, Some("5"), r#"{"n":3,"s":"[[5]]","p":["k"]}"#),
    ]
    .concat();
    let server = Server::script(vec![Reply::sse().body(body)]);
    let program = r#"[.data.n * "ab", (.data.s | fromjson), (.data.s | tonumber?), (.data.p as $p | {} | setpath($p; 1))]"#;
    let out = run(&[
        &server.url(),
        "--jq",
        program,
        "--duration",
        "2s",
        "--stats",
    ]);
    out.assert_code(0);
    // jq 1.6 makes no copies of a count outside its `int`: null.
    assert_eq!(
        out.lines(),
        [r#"[null,1,1,{"k":1}]"#, r#"["ababab",[[5]],{"k":1}]"#]
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Repeat string result too long"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stats()["jq_errors"], 3, "{}", out.stderr);
}

/// Event types of a megabyte each, none of them the one `-e` wants: the
/// notice names each by its first bytes, in one short line, not eight
/// megabytes of stderr.
#[test]
fn megabyte_event_types_make_a_short_notice() {
    let body: String = (b'a'..=b'j')
        .map(|c| event(Some(&(c as char).to_string().repeat(1 << 20)), None, "x"))
        .collect();
    let server = Server::script(vec![Reply::sse().body(body)]);
    let out = run(&[&server.url(), "-e", "edit", "--duration", "2s"]);
    out.assert_code(0);
    let notice: Vec<&str> = out.stderr.lines().filter(|l| l.contains("-e:")).collect();
    assert_eq!(
        notice.len(),
        1,
        "{}",
        &out.stderr[..out.stderr.len().min(2000)]
    );
    assert!(
        notice[0].contains(&format!("{}… (1)", "a".repeat(64))),
        "{}",
        notice[0]
    );
    assert!(
        out.stderr.len() < 8192,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

/// The server's first stream: a sendable ID, then (in a later read) the
/// hostile one, then the end of the stream.
fn hostile_id_stream(id: &[u8]) -> Reply {
    let mut second = b"id: ".to_vec();
    second.extend_from_slice(id);
    second.extend_from_slice(b"\ndata: b\n\n");
    Reply::sse()
        .body(event(None, Some("1"), "a"))
        .pause(Duration::from_millis(300))
        .body(second)
}

fn last_event_ids(server: &Server) -> Vec<Option<String>> {
    server
        .requests()
        .iter()
        .map(|r| r.header("last-event-id").map(str::to_string))
        .collect()
}

#[test]
fn an_id_with_a_control_byte_sends_the_last_sendable_id_on_reconnect() {
    let server = Server::start(|n, _| match n {
        0 => hostile_id_stream(b"a\x01b"),
        _ => Reply::sse().body(event(None, Some("3"), "c")),
    });
    let out = run(&[&server.url(), "--retry", "10ms", "-n", "3"]);
    out.assert_code(0);
    let ids: Vec<_> = out.json().iter().map(|e| e["id"].clone()).collect();
    assert_eq!(
        ids,
        ["1", "a\u{1}b", "3"],
        "the parser keeps the ID as a browser"
    );
    assert_eq!(
        last_event_ids(&server),
        [None, Some("1".to_string())],
        "{}",
        out.stderr
    );
    let warned: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("Last-Event-ID"))
        .collect();
    assert_eq!(warned.len(), 1, "{}", out.stderr);
    assert!(warned[0].contains("0x01"), "{}", warned[0]);
}

#[test]
fn an_unsendable_id_is_never_saved_and_the_next_run_starts() {
    let dir = Scratch::new("unsendable-state");
    let state = dir.path("s.state");
    let state_arg = state.to_str().unwrap_or_default().to_string();
    let server = Server::script(vec![hostile_id_stream(b"a\x01b").hold()]);
    let out = run(&[&server.url(), "-n", "2", "--state-file", &state_arg]);
    out.assert_code(0);
    assert_eq!(out.json().len(), 2);
    assert_eq!(saved_id(&state), "1", "the last sendable ID");

    let next = Server::script(vec![Reply::sse().body(event(None, Some("2"), "b"))]);
    let out = run(&[&next.url(), "-n", "1", "--state-file", &state_arg]);
    out.assert_code(0);
    assert_eq!(last_event_ids(&next), [Some("1".to_string())]);
}

#[test]
fn a_state_file_holding_an_unsendable_id_is_a_warning_not_a_failure() {
    let dir = Scratch::new("old-state");
    let state = dir.write("s.state", "{\"last_event_id\":\"a\\u0001b\"}\n");
    let server = Server::script(vec![Reply::sse().body(event(None, Some("5"), "e"))]);
    let out = run(&[
        &server.url(),
        "-n",
        "1",
        "--state-file",
        state.to_str().unwrap_or_default(),
    ]);
    out.assert_code(0);
    assert_eq!(last_event_ids(&server), [None], "no resume point sent");
    assert!(
        out.stderr.contains("Last-Event-ID") && out.stderr.contains("--state-file"),
        "{}",
        out.stderr
    );
    assert_eq!(saved_id(&state), "5");
}

#[test]
fn a_megabyte_id_is_neither_sent_nor_saved() {
    an_oversize_id_is_neither_sent_nor_saved(vec![b'x'; 1 << 20], "1048576 bytes, over 4096");
}

/// 3000 invalid bytes would be sent and saved as 9000 (U+FFFD each): a
/// proxy's 8 KiB header line cap, and a state file the next run refuses.
#[test]
fn an_id_that_grows_past_the_cap_as_utf8_is_neither_sent_nor_saved() {
    an_oversize_id_is_neither_sent_nor_saved(vec![0xff; 3000], "9000 bytes as sent, over 4096");
}

fn an_oversize_id_is_neither_sent_nor_saved(huge: Vec<u8>, says: &str) {
    let dir = Scratch::new("huge-id");
    let state = dir.path("s.state");
    let state_arg = state.to_str().unwrap_or_default().to_string();
    let first = huge.clone();
    let server = Server::start(move |n, _| match n {
        0 => hostile_id_stream(&first),
        _ => Reply::sse().body(event(None, Some("3"), "c")),
    });
    let out = run(&[
        &server.url(),
        "--retry",
        "10ms",
        "--max-retries",
        "3",
        "-n",
        "3",
        "--state-file",
        &state_arg,
    ]);
    out.assert_code(0);
    assert_eq!(last_event_ids(&server), [None, Some("1".to_string())]);
    assert!(
        out.stderr.contains("Last-Event-ID") && out.stderr.contains(says),
        "{}",
        out.stderr
    );
    assert!(out.stderr.len() < 4096, "the ID is not logged whole");
    assert_eq!(saved_id(&state), "3");

    // Ended on the huge ID: the state keeps the last sendable one.
    let again = Server::script(vec![hostile_id_stream(&huge).hold()]);
    run(&[&again.url(), "-n", "2", "--state-file", &state_arg]).assert_code(0);
    assert_eq!(saved_id(&state), "1");
}

#[test]
fn a_last_event_id_flag_that_cannot_be_sent_is_a_usage_error() {
    let server = Server::script(vec![]);
    let out = run(&[&server.url(), "--last-event-id", "a\u{1}b"]);
    out.assert_code(2);
    assert!(out.stderr.contains("--last-event-id"), "{}", out.stderr);
    assert!(server.requests().is_empty());
}

#[test]
fn a_refused_connection_names_the_host_and_port() {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/stream");
    let out = run(&[&url, "--retry", "10ms", "--duration", "1s"]);
    out.assert_code(0);
    let first = out
        .stderr
        .lines()
        .find(|l| l.contains("reconnecting in"))
        .unwrap_or_else(|| panic!("no retry line: {}", out.stderr));
    assert!(
        first.contains(&format!("cannot connect to 127.0.0.1:{port}: ")),
        "{first}"
    );
    assert!(first.to_lowercase().contains("refused"), "{first}");
    assert!(
        first.contains("--max-retries 0"),
        "the first failure of a run says how to fail at once: {first}"
    );
    let hints = out.stderr.matches("--max-retries 0").count();
    assert_eq!(hints, 1, "{}", out.stderr);

    let out = run(&[&url, "--retry", "10ms", "--max-retries", "1"]);
    out.assert_code(1);
    assert!(!out.stderr.contains("--max-retries 0"), "{}", out.stderr);
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(last.contains(&format!("127.0.0.1:{port}")), "{last}");
    assert!(last.contains("--max-retries"), "{last}");
}

/// A pids cgroup (v1) that holds a process with no room for one more
/// thread, as systemd's TasksMax does; None where cgroups cannot be made.
struct TaskLimit(std::path::PathBuf);

impl TaskLimit {
    fn new(name: &str) -> Option<TaskLimit> {
        let dir = std::path::Path::new("/sys/fs/cgroup/pids")
            .join(format!("ssetap-test-{name}-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        Some(TaskLimit(dir))
    }

    /// Move `pid` (all its threads) in and allow no more tasks than now.
    fn hold(&self, pid: u32) -> bool {
        let set = |file: &str, value: &str| std::fs::write(self.0.join(file), value).is_ok();
        if !set("cgroup.procs", &pid.to_string()) {
            return false;
        }
        let now = std::fs::read_to_string(self.0.join("pids.current")).unwrap_or_default();
        set("pids.max", now.trim())
    }

    fn lift(&self) {
        let _ = std::fs::write(self.0.join("pids.max"), "max");
    }
}

impl Drop for TaskLimit {
    fn drop(&mut self) {
        self.lift();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_thread_that_cannot_be_started_is_a_failed_attempt_not_a_panic() {
    let Some(limit) = TaskLimit::new("spawn") else {
        eprintln!("skipped: cannot make a pids cgroup here (needs root and cgroup v1 pids)");
        return;
    };
    let server = Server::start(|n, _| match n {
        0 => Reply::sse()
            .body(event(None, Some("1"), "a"))
            .pause(Duration::from_millis(500)),
        _ => Reply::sse().body(event(None, Some("2"), "b")),
    });
    let running = Running::spawn(&[&server.url(), "--retry", "50ms", "-n", "2"]);
    assert!(running.next_line(Duration::from_secs(10)).is_some());
    // The first request's helper threads are done once its event is out.
    std::thread::sleep(Duration::from_millis(100));
    if !limit.hold(running.pid()) {
        eprintln!("skipped: cannot limit the tasks of a process here");
        return;
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(server.requests().len(), 1, "no thread, no request");
    limit.lift();
    let out = running.finish(Duration::from_secs(30));
    assert_ne!(out.code, Some(101), "a panic: {}", out.stderr);
    out.assert_code(0);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot start a thread"),
        "{}",
        out.stderr
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn durations_past_the_clock_from_the_command_line_do_not_panic() {
    let server = Server::start(|n, _| match n {
        0 => Reply::sse().body(event(None, Some("1"), "a")),
        _ => Reply::sse().body(event(None, Some("2"), "b")),
    });
    let huge = "18446744073709551615s";
    let out = run(&[
        &server.url(),
        "--connect-timeout",
        huge,
        "--idle-timeout",
        huge,
        "--duration",
        huge,
        "-n",
        "2",
    ]);
    out.assert_code(0);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    assert_eq!(out.json().len(), 2);
}
