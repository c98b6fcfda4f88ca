//! Stop requests from outside the data path, against the built binary: a
//! second signal while the orderly end is stuck, SIGHUP, and stdout's reader
//! going away while the stream is quiet (`| head -n 1`).

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Wait for `child` to exit, at most `limit`; kill it and fail past that.
fn wait_exit(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: ssetap still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    stderr
}

fn kill(child: &Child, sig: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, sig);
    }
}

/// ssetap's stdout is a pipe the test never reads, and the server sends far
/// more than a pipe holds: the main thread stays blocked in write(2), so the
/// orderly end after the first signal cannot finish. The second signal must
/// exit at once, with the first signal's code.
fn second_signal_while_stuck(first: libc::c_int, second: libc::c_int, code: i32) {
    let big = format!("data: {}\n\n", "x".repeat(1000)).repeat(2000);
    let server = Server::script(vec![Reply::sse().body(big).hold()]);
    let mut child = ssetap(&[&server.url(), "--format", "data"])
        .spawn()
        .expect("spawn");
    let unread = child.stdout.take();
    let started = Instant::now();
    while server.requests().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "no request");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Time for the 64 KiB pipe to fill and the write to block.
    std::thread::sleep(Duration::from_millis(500));
    kill(&child, first);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the first signal must end the run the orderly way, which waits for the write"
    );
    let sent = Instant::now();
    kill(&child, second);
    let status = wait_exit(&mut child, Duration::from_secs(10), "second signal");
    let took = sent.elapsed();
    drop(unread);
    assert_eq!(
        status.code(),
        Some(code),
        "stderr: {}",
        stderr_of(&mut child)
    );
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
}

#[test]
fn sigint_then_sigterm_while_stuck_exits_at_once_with_130() {
    second_signal_while_stuck(libc::SIGINT, libc::SIGTERM, 130);
}

#[test]
fn sigterm_then_sigint_while_stuck_exits_at_once_with_143() {
    second_signal_while_stuck(libc::SIGTERM, libc::SIGINT, 143);
}

#[test]
fn sighup_then_sigint_while_stuck_exits_at_once_with_129() {
    second_signal_while_stuck(libc::SIGHUP, libc::SIGINT, 129);
}

#[test]
fn sighup_while_blocked_in_a_read_exits_129_with_everything_written() {
    let body: String = (1..=5)
        .map(|n| event(None, None, &format!("e{n}")))
        .collect();
    let server = Server::script(vec![Reply::sse().body(body).hold()]);
    let r = Running::spawn(&[&server.url(), "--format", "data"]);
    for i in 0..5 {
        r.next_line(Duration::from_secs(20))
            .unwrap_or_else(|| panic!("line {i} never came"));
    }
    std::thread::sleep(Duration::from_millis(200));
    r.signal(libc::SIGHUP);
    let out = r.finish(run::LIMIT);
    out.assert_code(129);
    assert_eq!(out.lines(), ["e1", "e2", "e3", "e4", "e5"]);
}

/// Runs `ssetap` with its stdout piped into `head -n 1`, as a shell would;
/// returns ssetap's exit status, its stderr, the time from head's exit to
/// ssetap's, and what head printed.
fn into_head(
    mut cmd: Command,
    feed: impl FnOnce(&mut Child),
) -> (Option<i32>, String, Duration, String) {
    let mut child = cmd.spawn().expect("spawn ssetap");
    let out = child.stdout.take().expect("stdout");
    // The Command (and with it our copy of the pipe's read end) is dropped
    // at the end of this statement: head holds the only one.
    let mut head = Command::new("head")
        .args(["-n", "1"])
        .stdin(Stdio::from(out))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn head");
    feed(&mut child);
    let mut line = String::new();
    if let Some(o) = head.stdout.take() {
        let _ = BufReader::new(o).read_line(&mut line);
    }
    let head_status = wait_exit(&mut head, Duration::from_secs(20), "head");
    assert!(head_status.success());
    let gone = Instant::now();
    let status = wait_exit(&mut child, Duration::from_secs(10), "after head exited");
    let took = gone.elapsed();
    (status.code(), stderr_of(&mut child), took, line)
}

#[test]
fn piped_into_head_a_quiet_stream_ends_once_head_exits() {
    let server = Server::script(vec![Reply::sse().body(event(None, None, "only")).hold()]);
    let (code, stderr, took, line) =
        into_head(ssetap(&[&server.url(), "-q", "--format", "data"]), |_| {});
    assert_eq!(line, "only\n");
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "");
    assert!(
        took < Duration::from_secs(2),
        "exit took {took:?} after head"
    );
}

#[test]
fn piped_into_head_a_quiet_stdin_ends_once_head_exits() {
    let mut cmd = ssetap(&["-", "-q", "--format", "data"]);
    cmd.stdin(Stdio::piped());
    let mut stdin = None;
    let (code, stderr, took, line) = into_head(cmd, |child| {
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(b"data: one\n\n").expect("write stdin");
        // Keep stdin open and quiet: no EOF ends the run.
        stdin = Some(input);
    });
    drop(stdin);
    assert_eq!(line, "one\n");
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "");
    assert!(
        took < Duration::from_secs(2),
        "exit took {took:?} after head"
    );
}

/// Stdout that is not a pipe is not watched: a quiet stream runs until
/// `--duration`. (`-q`: with the info lines gone, stderr must be empty.)
fn quiet_run_into(stdout: Stdio) -> Out {
    let server = Server::script(vec![Reply::sse().body(event(None, None, "q")).hold()]);
    let mut cmd = ssetap(&[&server.url(), "-q", "--format", "data", "--duration", "1s"]);
    cmd.stdout(stdout);
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    assert!(
        out.elapsed >= Duration::from_millis(900),
        "ended early: {:?}",
        out.elapsed
    );
    out
}

#[test]
fn stdout_to_a_regular_file_runs_until_the_duration() {
    let dir = Scratch::new("sig-file");
    let path = dir.path("out.txt");
    let file = std::fs::File::create(&path).expect("create");
    quiet_run_into(Stdio::from(file));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "q\n");
}

#[test]
fn stdout_to_dev_null_runs_until_the_duration() {
    quiet_run_into(Stdio::null());
}

/// SIGTERM while the start waits for Kafka brokers that do not answer:
/// the run was stopped, not failed (143, not the brokers' error and 1).
#[test]
fn sigterm_while_the_start_waits_for_kafka_exits_143() {
    // A listener that never answers: the metadata request waits its 10 s.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let brokers = silent.local_addr().expect("addr").to_string();
    let mut child = ssetap(&["-", "-b", &brokers, "-t", "t"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "still starting"
    );
    kill(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(20), "SIGTERM at start");
    assert_eq!(
        status.code(),
        Some(143),
        "stderr: {}",
        stderr_of(&mut child)
    );
    drop(silent);
}

/// A stream of numbered events, one every 2 ms for about 8 s.
fn numbered_stream() -> Reply {
    let mut r = Reply::sse();
    for i in 1..=4000 {
        r = r
            .body(event(None, Some(&i.to_string()), &format!("e{i}")))
            .pause(Duration::from_millis(2));
    }
    r
}

/// `timeout` signals its child and then the child's process group: one
/// SIGTERM delivered twice. That is one stop: everything written, the
/// state saved, 143 (it used to be taken for a second signal about one
/// run in three, exiting at once with the state behind).
#[test]
fn timeouts_sigterm_delivered_twice_is_one_orderly_stop() {
    let dir = Scratch::new("signals-timeout");
    for round in 0..5 {
        let server = Server::script(vec![numbered_stream()]);
        let state = dir.path(&format!("s{round}.state"));
        let out_path = dir.path(&format!("out{round}"));
        let status = Command::new("timeout")
            .args(["--preserve-status", "1.2"])
            .arg(env!("CARGO_BIN_EXE_ssetap"))
            .args([&server.url(), "-f", "data", "--state-file"])
            .arg(&state)
            .stdout(std::fs::File::create(&out_path).expect("out"))
            .stderr(Stdio::null())
            .status()
            .expect("run timeout");
        assert_eq!(status.code(), Some(143), "round {round}");
        let out = std::fs::read_to_string(&out_path).expect("out");
        let last = out.lines().last().expect("events were written");
        let saved = std::fs::read_to_string(&state).expect("state");
        assert_eq!(
            saved,
            format!("{{\"last_event_id\":\"{}\"}}\n", &last[1..]),
            "round {round}: the state names the last event written"
        );
    }
}

/// SIGUSR1 writes a stats line, as dd's does; SIGUSR2 is ignored (a
/// logrotate habit must not kill a service); neither ends the run.
#[test]
fn sigusr1_writes_a_stats_line_and_sigusr2_is_ignored() {
    let server = Server::script(vec![numbered_stream()]);
    let r = Running::spawn(&[&server.url(), "-f", "data"]);
    assert!(r.next_line(Duration::from_secs(10)).is_some(), "no event");
    r.signal(libc::SIGUSR1);
    std::thread::sleep(Duration::from_millis(1500));
    r.signal(libc::SIGUSR2);
    std::thread::sleep(Duration::from_millis(500));
    r.signal(libc::SIGTERM);
    let out = r.finish(Duration::from_secs(20));
    out.assert_code(143);
    let stats: Vec<serde_json::Value> = out
        .stderr
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(stats.len(), 1, "one stats line: {}", out.stderr);
    assert!(
        stats[0]["events"].as_u64().is_some_and(|n| n > 0),
        "{}",
        out.stderr
    );
}

/// A file past `ulimit -f` (systemd's LimitFSIZE): SIGXFSZ used to end
/// the run with no word and the state behind; the write error now ends it
/// the usual way, one line and exit 1, the state naming what is written.
#[test]
fn a_file_size_limit_is_a_write_error_not_a_silent_death() {
    use std::os::unix::process::CommandExt;
    let dir = Scratch::new("signals-fsize");
    let state = dir.path("s.state");
    let out_path = dir.path("out");
    let server = Server::script(vec![numbered_stream()]);
    let mut cmd = ssetap(&[&server.url(), "-f", "data", "--state-file"]);
    cmd.arg(&state)
        .stdout(std::fs::File::create(&out_path).expect("out"))
        .stderr(Stdio::piped());
    // Without ignoring SIGXFSZ in the child: ssetap must ignore it itself.
    // SAFETY: setrlimit only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 20_000,
                rlim_max: 20_000,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn");
    let status = wait_exit(&mut child, Duration::from_secs(30), "ulimit -f");
    let stderr = stderr_of(&mut child);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    let out = std::fs::read_to_string(&out_path).expect("out");
    let whole: Vec<&str> = out
        .split_inclusive('\n')
        .filter(|l| l.ends_with('\n'))
        .collect();
    let last = whole.last().expect("events were written").trim_end();
    let saved = std::fs::read_to_string(&state).expect("state");
    assert_eq!(saved, format!("{{\"last_event_id\":\"{}\"}}\n", &last[1..]));
}
