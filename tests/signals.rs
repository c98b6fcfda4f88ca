//! Stop requests from outside the data path, against the built binary: a
//! second signal while the orderly end is stuck, and SIGHUP.

mod common;

use common::*;
use std::io::Read;
use std::process::Child;
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
