//! The `--state-file` end to end: links planted where ssetap writes, the
//! file's mode, one run per file (the lock, and a holder killed with
//! SIGKILL), files another user owns, a disk that cannot take a save at
//! the start, and fifty short runs in a row that each resume exactly after
//! the previous run's last written event.

mod common;

use common::*;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::{Duration, Instant};

/// Events numbered after the Last-Event-ID received (none: after 0).
fn numbered_after(req: &Request, count: u64) -> (u64, String) {
    let last: u64 = req
        .header("last-event-id")
        .map(|id| id.parse().expect("a numeric Last-Event-ID"))
        .unwrap_or(0);
    let body = (last + 1..=last + count)
        .map(|n| event(None, Some(&n.to_string()), &format!("e{n}")))
        .collect();
    (last, body)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A run that has written event 1 and saved it, and holds its connection.
fn holder(server: &Server, state: &str) -> Running {
    let r = Running::spawn(&[&server.url(), "--state-file", state]);
    assert!(r.next_line(Duration::from_secs(20)).is_some(), "no event");
    wait_until("state never saved", || {
        std::fs::read_to_string(state).is_ok_and(|s| s.contains("\"1\""))
    });
    r
}

/// Event 1 and hold for the first request; later ones get event n+1 and
/// the end of the stream.
fn hold_then_one_each() -> Server {
    Server::start(|n, _| {
        let id = (n + 1).to_string();
        let reply = Reply::sse().body(event(None, Some(&id), "x"));
        if n == 0 { reply.hold() } else { reply }
    })
}

#[test]
fn a_second_run_on_the_same_state_file_exits_1_naming_the_holder() {
    let dir = Scratch::new("state-lock");
    let state = dir.path("wiki.state");
    let s = state.to_str().unwrap();
    let server = hold_then_one_each();
    let first = holder(&server, s);

    let out = run(&[&server.url(), "--no-reconnect", "--state-file", s]);
    out.assert_code(1);
    let expected = format!(
        "ssetap: error: --state-file {s} is in use by another ssetap (pid {})",
        first.pid()
    );
    assert_eq!(out.stderr.trim_end(), expected);
    assert!(out.stdout.is_empty());
    assert_eq!(server.requests().len(), 1, "the second run sent a request");
    assert_eq!(saved_id(&state), "1");

    first.signal(libc::SIGTERM);
    first.finish(run::LIMIT).assert_code(143);
    assert_eq!(saved_id(&state), "1");
}

#[test]
fn a_holder_killed_with_sigkill_does_not_block_the_next_run() {
    let dir = Scratch::new("state-kill");
    let state = dir.path("wiki.state");
    let s = state.to_str().unwrap();
    let server = hold_then_one_each();
    let first = holder(&server, s);
    first.signal(libc::SIGKILL);
    assert_eq!(first.finish(run::LIMIT).code, None, "not killed");
    // Its lock file is still there, with its PID in it.
    assert!(dir.path("wiki.state.lock").exists());

    run(&[&server.url(), "--no-reconnect", "--state-file", s]).assert_code(0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("last-event-id"), Some("1"));
    assert_eq!(saved_id(&state), "2");
}

#[test]
fn the_state_file_and_its_lock_are_private() {
    let dir = Scratch::new("state-mode");
    let state = dir.path("wiki.state");
    let server = Server::start(|_, _| Reply::sse().body(event(None, Some("7"), "x")));
    run(&[
        &server.url(),
        "--no-reconnect",
        "--state-file",
        state.to_str().unwrap(),
    ])
    .assert_code(0);
    assert_eq!(saved_id(&state), "7");
    for f in [state.clone(), dir.path("wiki.state.lock")] {
        let mode = std::fs::metadata(&f).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", f.display());
    }
    // Nothing else is left beside them (no temporary file).
    let mut names: Vec<String> = std::fs::read_dir(dir.dir())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["wiki.state", "wiki.state.lock"]);
}

/// In a directory others can write to, a state file another user left
/// there would choose where this run resumes (and a lock file of theirs
/// would hold it off): refused, naming the owner. Needs root to chown.
#[test]
fn a_state_file_another_user_owns_is_refused() {
    let dir = Scratch::new("state-foreign");
    let state = dir.write("s.state", "{\"last_event_id\":\"999999\"}\n");
    let lock = dir.write("t.state.lock", "1\n");
    let nobody = 65534;
    for f in [&state, &lock] {
        if std::os::unix::fs::chown(f, Some(nobody), Some(nobody)).is_err() {
            eprintln!("skipped: chown needs root");
            return;
        }
    }
    let server = Server::start(|_, _| Reply::sse().body(event(None, Some("1"), "x")));
    for (path, names) in [
        (&state, "s.state belongs to uid 65534"),
        (&dir.path("t.state"), "t.state.lock belongs to uid 65534"),
    ] {
        let out = run(&[&server.url(), "--state-file", path.to_str().unwrap()]);
        out.assert_code(1);
        assert!(out.stderr.contains(names), "{}", out.stderr);
    }
    assert!(server.requests().is_empty(), "refused before connecting");
    assert_eq!(saved_id(&state), "999999", "left alone");
}

/// A disk with room for a file's name but not its bytes (a full disk;
/// here a file size limit) failed the first save, after events had been
/// written. The start now writes as much as a save does, so the run
/// fails before it connects.
#[test]
fn a_state_file_that_cannot_be_written_fails_the_start() {
    let dir = Scratch::new("state-full");
    let state = dir.path("s.state");
    let server = Server::start(|_, _| Reply::sse().body(event(None, Some("1"), "x")));
    let mut cmd = ssetap(&[
        &server.url(),
        "--no-reconnect",
        "--state-file",
        state.to_str().unwrap(),
    ]);
    limit_file_size(&mut cmd, 1024);
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(1);
    assert!(
        out.stderr.contains("cannot write state file"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty() && server.requests().is_empty());
}

/// Linux hands out PIDs in order (from 300 after a wrap), so the name a
/// `<state>.tmp.<pid>` scheme would use can be guessed before the run.
fn next_pids(after: u32, count: u32) -> Vec<u32> {
    let max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(32768);
    (1..=count)
        .map(|i| {
            let p = after + i;
            if p >= max { 300 + (p - max) } else { p }
        })
        .collect()
}

#[test]
fn links_planted_at_guessable_temporary_names_are_not_written_through() {
    let dir = Scratch::new("state-tmp-links");
    let victim = dir.write("victim", "precious\n");
    let state = dir.path("wiki.state");
    let server = Server::start(|_, _| Reply::sse().body(event(None, Some("5"), "x")));
    for attempt in 0.. {
        let probe = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let after = probe.id();
        let mut probe = probe;
        let _ = probe.wait();
        let pids = next_pids(after, 3000);
        for p in &pids {
            let _ = symlink(&victim, dir.path(&format!("wiki.state.tmp.{p}")));
        }
        let r = Running::spawn(&[
            &server.url(),
            "--no-reconnect",
            "--state-file",
            state.to_str().unwrap(),
        ]);
        let pid = r.pid();
        let out = r.finish(run::LIMIT);
        if !pids.contains(&pid) {
            // Other processes took every guessed PID first: plant again.
            assert!(attempt < 3, "could not guess ssetap's PID");
            continue;
        }
        out.assert_code(0);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        let planted = dir.path(&format!("wiki.state.tmp.{pid}"));
        let meta = std::fs::symlink_metadata(&planted).expect("the planted link");
        assert!(
            meta.file_type().is_symlink(),
            "the planted link was replaced"
        );
        assert_eq!(saved_id(&state), "5");
        assert!(!std::fs::symlink_metadata(&state).unwrap().is_symlink());
        break;
    }
}

#[test]
fn a_link_at_the_state_path_is_refused_and_its_target_left_alone() {
    let dir = Scratch::new("state-path-link");
    let server = Server::start(|_, _| Reply::sse().body(event(None, Some("5"), "x")));
    let victim = dir.write("victim", "precious\n");
    // To an existing file, and to one the run could create.
    for (name, target) in [("a.state", victim.clone()), ("b.state", dir.path("new"))] {
        let state = dir.path(name);
        symlink(&target, &state).expect("plant link");
        let out = run(&[
            &server.url(),
            "--no-reconnect",
            "--state-file",
            state.to_str().unwrap(),
        ]);
        out.assert_code(1);
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "one line on stderr: {}",
            out.stderr
        );
        assert!(
            out.stderr.starts_with(&format!(
                "ssetap: error: --state-file {} is a symbolic link",
                state.display()
            )),
            "{}",
            out.stderr
        );
        assert!(std::fs::symlink_metadata(&state).unwrap().is_symlink());
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(!dir.path("new").exists());
    assert!(server.requests().is_empty(), "a request was sent");
}

/// How run `i` of the fifty ends, and after how many events.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// `-n k`; the server sent more in the same write, then held.
    Limit,
    /// The server ends the stream after k events (`--no-reconnect`).
    EndOfStream,
    /// SIGTERM once k events are on stdout; the server holds.
    Signal,
    /// `--duration` ends a quiet stream: k events, then the server holds.
    Duration,
}

fn plan(i: usize) -> (Ending, u64) {
    let endings = [
        Ending::Limit,
        Ending::EndOfStream,
        Ending::Signal,
        Ending::Duration,
    ];
    let ending = endings[i % endings.len()];
    (ending, 1 + (i as u64 * 5) % 7)
}

#[test]
fn fifty_short_runs_each_resume_exactly_after_the_last_written_event() {
    let dir = Scratch::new("state-fifty");
    let state = dir.path("wiki.state");
    let s = state.to_str().unwrap();
    // Request i is run i's (each run connects once).
    let server = Server::start(|i, req| {
        let (ending, k) = plan(i);
        match ending {
            Ending::Limit => Reply::sse().body(numbered_after(req, k + 20).1).hold(),
            Ending::EndOfStream => {
                // One event per write, so the stream ends between reads.
                let mut reply = Reply::sse();
                let (last, _) = numbered_after(req, 0);
                for n in last + 1..=last + k {
                    reply = reply
                        .body(event(None, Some(&n.to_string()), &format!("e{n}")))
                        .pause(Duration::from_millis(2));
                }
                reply
            }
            Ending::Signal | Ending::Duration => Reply::sse().body(numbered_after(req, k).1).hold(),
        }
    });
    let mut last_written: Option<u64> = None;
    for i in 0..50 {
        let (ending, k) = plan(i);
        let limit = k.to_string();
        let out = match ending {
            Ending::Limit => run(&[&server.url(), "-n", &limit, "--state-file", s]),
            Ending::EndOfStream => run(&[&server.url(), "--no-reconnect", "--state-file", s]),
            Ending::Signal => {
                let r = Running::spawn(&[&server.url(), "--state-file", s]);
                for n in 0..k {
                    assert!(
                        r.next_line(Duration::from_secs(20)).is_some(),
                        "run {i}: line {n} never came"
                    );
                }
                r.signal(libc::SIGTERM);
                r.finish(run::LIMIT)
            }
            Ending::Duration => run(&[&server.url(), "--duration", "300ms", "--state-file", s]),
        };
        out.assert_code(if matches!(ending, Ending::Signal) {
            143
        } else {
            0
        });
        let reqs = server.requests();
        assert_eq!(reqs.len(), i + 1, "run {i} ({ending:?}): requests");
        let sent = reqs[i].header("last-event-id").map(str::to_string);
        assert_eq!(
            sent,
            last_written.map(|n| n.to_string()),
            "run {i} ({ending:?}) did not resume after the previous run's last event"
        );
        let ids: Vec<u64> = out
            .json()
            .iter()
            .map(|e| e["id"].as_str().expect("id").parse().expect("number"))
            .collect();
        let first = last_written.unwrap_or(0) + 1;
        let expected: Vec<u64> = (first..first + k).collect();
        assert_eq!(ids, expected, "run {i} ({ending:?}): events written");
        last_written = ids.last().copied();
        assert_eq!(
            saved_id(&state),
            expected[expected.len() - 1].to_string(),
            "run {i} ({ending:?}): the state file"
        );
    }
}

#[test]
fn a_sendable_id_in_the_same_read_as_an_unsendable_one_is_kept() {
    let dir = Scratch::new("state-unsendable");
    let state = dir.path("s.state");
    let long = "L".repeat(5000);
    // One write: the ledger hears of the read's last ID only, which cannot
    // be sent; the one before it must still become the resume point.
    let body = format!("id: 1\ndata: a\n\nid: {long}\ndata: b\n\n");
    let server = Server::script(vec![
        Reply::sse().body(body),
        Reply::sse().body(event(None, Some("2"), "c")),
    ]);
    let out = run(&[
        &server.url(),
        "-f",
        "data",
        "--retry",
        "10ms",
        "-n",
        "3",
        "--state-file",
        state.to_str().expect("path"),
    ]);
    out.assert_code(0);
    assert_eq!(out.lines(), ["a", "b", "c"]);
    assert!(
        out.stderr.contains("the last ID that can be (\"1\")"),
        "{}",
        out.stderr
    );
    assert_eq!(server.requests()[1].header("last-event-id"), Some("1"));
    assert_eq!(saved_id(&state), "2");
    // A run that ends on the unsendable ID saves the one before it.
    let server = Server::script(vec![
        Reply::sse().body(format!("id: 1\ndata: a\n\nid: {long}\ndata: b\n\n")),
    ]);
    let out = run(&[
        &server.url(),
        "--no-reconnect",
        "--state-file",
        state.to_str().expect("path"),
    ]);
    out.assert_code(0);
    assert_eq!(saved_id(&state), "1");
}

#[test]
fn temporary_files_a_killed_run_left_are_removed_at_the_next_start() {
    let dir = Scratch::new("state-sweep");
    let state = dir.path("s.state");
    let left = dir.write("s.state.tmp.AbCdEfGhIjK1", "{\"last_event_id\":\"7\"}\n");
    let other_shape = dir.write("s.state.tmp.short", "x");
    let other_state = dir.write("t.state.tmp.AbCdEfGhIjK1", "x");
    let target = dir.write("target", "keep me");
    let link = dir.path("s.state.tmp.LinkLinkLink");
    symlink(&target, &link).expect("symlink");
    let src = dir.write("in.sse", event(None, Some("1"), "a"));
    let out = run(&[
        src.to_str().expect("path"),
        "--state-file",
        state.to_str().expect("path"),
    ]);
    out.assert_code(0);
    assert!(!left.exists(), "a leftover of ours is removed");
    assert!(
        other_shape.exists() && other_state.exists(),
        "not ours: kept"
    );
    assert!(link.symlink_metadata().is_ok(), "a link is left alone");
    assert_eq!(std::fs::read_to_string(&target).expect("target"), "keep me");
    assert_eq!(saved_id(&state), "1");
}
