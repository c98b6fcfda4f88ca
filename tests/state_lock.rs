//! The `--state-file` lock taken away from a running ssetap: its
//! `<state>.lock` removed (an operator clearing a "stale" lock, a tmpfiles
//! cleaner) or its directory renamed and made again. A flock belongs to an
//! inode, so the next run could lock a new file and share the state; the
//! run that lost its lock must stop at its next save, exit 1 with one
//! line, and write no state any more.

mod common;

use common::*;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Events numbered after the request's Last-Event-ID, one every 50 ms for
/// half a minute, then the connection is held.
fn counting() -> Server {
    Server::start(|_, req| {
        let last: u64 = req
            .header("last-event-id")
            .map(|id| id.parse().expect("a numeric Last-Event-ID"))
            .unwrap_or(0);
        let mut reply = Reply::sse();
        for n in last + 1..=last + 600 {
            reply = reply
                .body(event(None, Some(&n.to_string()), &format!("e{n}")))
                .pause(Duration::from_millis(50));
        }
        reply.hold()
    })
}

fn saved_id(state: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(state).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).expect("state is JSON");
    Some(v["last_event_id"].as_str()?.parse().expect("a number"))
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A run on `state` that has saved event 3 or later, and keeps streaming.
fn streaming(server: &Server, state: &Path) -> Running {
    let r = Running::spawn(&[&server.url(), "--state-file", state.to_str().expect("path")]);
    wait_until("run 1 never saved", || {
        saved_id(state).is_some_and(|n| n >= 3)
    });
    r
}

fn lost_line(state: &Path) -> String {
    let s = state.display();
    format!(
        "ssetap: error: the lock {s}.lock was removed or replaced while this run held it: \
         another run may be using {s}; stopping without saving"
    )
}

/// Run 1's end: exit 1 within a few seconds of `taken`, the one error line
/// last on stderr; returns the IDs it wrote.
fn stops_with_the_line(r: Running, state: &Path, taken: Instant) -> Vec<u64> {
    // Killed (and the test failed) if it streams on for 15 s more.
    let limit = r.started.elapsed() + Duration::from_secs(15);
    let out = r.finish(limit);
    let stopped = taken.elapsed();
    out.assert_code(1);
    assert!(
        stopped < Duration::from_secs(10),
        "run 1 went on for {stopped:?}"
    );
    assert_eq!(
        out.stderr.lines().last(),
        Some(lost_line(state).as_str()),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.matches("error").count(), 1, "{}", out.stderr);
    out.json()
        .iter()
        .map(|e| e["id"].as_str().expect("id").parse().expect("number"))
        .collect()
}

#[test]
fn a_run_whose_lock_file_is_removed_stops_without_saving() {
    let dir = Scratch::new("lock-removed");
    let state = dir.path("s");
    let server = counting();
    let first = streaming(&server, &state);
    std::fs::remove_file(dir.path("s.lock")).expect("remove the lock");
    let taken = Instant::now();
    // A save that had passed its check before the removal may still land:
    // what is there a moment later is what must stay.
    std::thread::sleep(Duration::from_millis(300));
    let before = std::fs::metadata(&state).expect("state").ino();
    let saved = saved_id(&state).expect("a saved ID");

    let written = stops_with_the_line(first, &state, taken);
    let after = std::fs::metadata(&state).expect("state").ino();
    assert_eq!(after, before, "run 1 saved after it lost its lock");
    assert_eq!(saved_id(&state), Some(saved));
    assert!(
        written.contains(&saved),
        "{saved} is not an event run 1 wrote"
    );
    assert!(
        written.last() > Some(&saved),
        "run 1 stopped at its next save, not before writing more"
    );
    assert!(!dir.path("s.lock").exists(), "run 1 made a new lock file");
}

/// The audit's sequence: the lock removed, a second run started on the
/// same file. The second takes a new lock and goes on; the first stops,
/// so the state only ever moves forward, to the second run's events.
#[test]
fn a_second_run_after_the_lock_was_removed_owns_the_state_alone() {
    let dir = Scratch::new("lock-second");
    let state = dir.path("s");
    let s = state.to_str().expect("path");
    let server = counting();
    let first = streaming(&server, &state);
    std::fs::remove_file(dir.path("s.lock")).expect("remove the lock");
    let taken = Instant::now();
    let second = Running::spawn(&[&server.url(), "--state-file", s]);
    assert!(
        second.next_line(Duration::from_secs(20)).is_some(),
        "run 2 wrote nothing"
    );

    let written = stops_with_the_line(first, &state, taken);
    // Run 2 resumed from what run 1 had saved, and now saves past it.
    let resumed: u64 = server.requests()[1]
        .header("last-event-id")
        .expect("run 2 resumed")
        .parse()
        .expect("number");
    assert!(written.contains(&resumed));
    let top = *written.last().expect("run 1 wrote events");
    wait_until("run 2 never saved past run 1", || {
        saved_id(&state).is_some_and(|n| n > top)
    });
    second.signal(libc::SIGTERM);
    let out = second.finish(run::LIMIT);
    out.assert_code(143);
    let last = out.json().last().expect("events")["id"]
        .as_str()
        .expect("id")
        .parse::<u64>()
        .expect("number");
    assert_eq!(saved_id(&state), Some(last));
}

#[test]
fn a_state_directory_renamed_and_made_again_stops_the_run() {
    let dir = Scratch::new("lock-moved");
    std::fs::create_dir(dir.path("sub")).expect("mkdir");
    let state = dir.path("sub").join("s");
    let server = counting();
    let first = streaming(&server, &state);
    std::fs::rename(dir.path("sub"), dir.path("sub.old")).expect("rename");
    std::fs::create_dir(dir.path("sub")).expect("mkdir again");
    let taken = Instant::now();
    let moved = dir.path("sub.old").join("s");
    std::thread::sleep(Duration::from_millis(300));
    let saved = saved_id(&moved).expect("the moved state");

    let written = stops_with_the_line(first, &state, taken);
    assert!(written.contains(&saved));
    assert_eq!(saved_id(&moved), Some(saved));
    let left: Vec<_> = std::fs::read_dir(dir.path("sub"))
        .expect("the new directory")
        .collect();
    assert!(left.is_empty(), "run 1 wrote into the new directory");
}
