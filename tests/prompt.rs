//! `-u USER` without a password: asked on the terminal with echo off, as
//! curl does; refused when there is no terminal; Ctrl-D cancels.

mod common;

use common::*;
use std::process::Command;

/// The command with no controlling terminal, as under a service manager.
fn detached(mut cmd: Command) -> Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid(2) only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd
}

#[test]
fn a_user_without_a_password_and_no_terminal_is_refused_clearly() {
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    let cmd = detached(ssetap(&[&server.url(), "-u", "carol", "--no-reconnect"]));
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(2);
    assert!(
        out.stderr.contains("-u carol has no password") && out.stderr.contains("SSETAP_PASSWORD"),
        "{}",
        out.stderr
    );
    assert!(server.requests().is_empty(), "nothing sent");
    // An empty password said on purpose is sent.
    let cmd = detached(ssetap(&[&server.url(), "-u", "carol:", "--no-reconnect"]));
    Running::start(cmd).finish(run::LIMIT).assert_code(0);
    // base64("carol:")
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Basic Y2Fyb2w6")
    );
}

/// Run `-u carol` under script(1), whose terminal the prompt uses; type
/// `typed` once asked. The exit code, what the terminal showed, and the
/// requests the server got; None without script(1).
fn prompted(typed: &[u8]) -> Option<(Option<i32>, String, Vec<Request>)> {
    use std::io::{Read, Write};
    use std::process::Stdio;
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no script(1) to give ssetap a terminal");
        return None;
    }
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    let line = format!(
        "{} {} -u carol --no-reconnect",
        env!("CARGO_BIN_EXE_ssetap"),
        server.url()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_remove("SSETAP_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = detached(cmd).spawn().expect("script");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    // Type only once asked: input typed before the echo is off is dropped.
    let mut seen = Vec::new();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !String::from_utf8_lossy(&seen).contains("Enter host password for user 'carol':") {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => seen.extend(bytes),
            Err(_) => {
                let _ = child.kill();
                panic!("no prompt: {}", String::from_utf8_lossy(&seen));
            }
        }
    }
    stdin.write_all(typed).expect("type");
    let status = child.wait().expect("wait");
    while let Ok(bytes) = rx.recv_timeout(std::time::Duration::from_secs(2)) {
        seen.extend(bytes);
    }
    let seen = String::from_utf8_lossy(&seen).into_owned();
    Some((status.code(), seen, server.requests()))
}

#[test]
fn a_user_without_a_password_is_asked_on_the_terminal_with_echo_off() {
    let Some((code, seen, requests)) = prompted(b"Typed-Pw31\n") else {
        return;
    };
    assert_eq!(code, Some(0), "{seen}");
    assert!(!seen.contains("Typed-Pw31"), "echoed: {seen}");
    // base64("carol:Typed-Pw31")
    assert_eq!(
        requests[0].header("authorization"),
        Some("Basic Y2Fyb2w6VHlwZWQtUHczMQ==")
    );
}

#[test]
fn ctrl_d_at_the_password_prompt_cancels() {
    let Some((code, seen, requests)) = prompted(b"\x04") else {
        return;
    };
    assert_eq!(code, Some(2), "{seen}");
    assert!(seen.contains("cannot read the password"), "{seen}");
    assert!(requests.is_empty(), "nothing sent");
}
