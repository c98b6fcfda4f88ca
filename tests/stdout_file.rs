//! Stdout at its edges: a file that fills up mid-event (cut back to the
//! last whole event, so that the next `>>` run starts on a line of its
//! own), and stdout closed at start (`>&-`), which must not pass for
//! /dev/null.

mod common;

use common::*;
use std::fs::{File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// Events 1..=N; each request gets those after its Last-Event-ID.
const N: u32 = 120;

/// The file limit of the first run: not on a line boundary.
const LIMIT: u64 = 7_777;

/// Ten events a write, with a pause between, so that the writer flushes
/// several times before the limit.
fn server() -> Server {
    Server::start(|_, req| {
        let after: u32 = req
            .header("last-event-id")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut reply = Reply::sse();
        for i in after + 1..=N {
            let data = format!(r#"{{"n":{i},"pad":"{}"}}"#, "p".repeat(60));
            reply = reply.body(event(None, Some(&i.to_string()), &data));
            if i % 10 == 0 {
                reply = reply.pause(Duration::from_millis(50));
            }
        }
        reply
    })
}

fn saved_id(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["last_event_id"].as_str().map(str::to_string)
}

/// Run ssetap on `url` with stdout `out`; `limit` caps the size of any
/// file it writes (a write past it fails with EFBIG, as on a full disk).
fn run_into(url: &str, extra: &[&str], state: &Path, out: File, limit: Option<u64>) -> Out {
    let mut args = vec![
        url,
        "--no-reconnect",
        "--state-file",
        state.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut cmd = ssetap(&args);
    cmd.stdout(Stdio::from(out));
    if let Some(limit) = limit {
        limit_file_size(&mut cmd, limit);
    }
    Running::start(cmd).finish(run::LIMIT)
}

fn append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append")
}

/// The ids of the events in `path`, read back by ssetap itself (`-f sse`)
/// or as NDJSON (each line must parse).
fn ids_in(path: &Path, sse: bool) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("output file");
    let json = if sse {
        let back = run(&[path.to_str().unwrap()]);
        back.assert_code(0);
        back.stdout()
    } else {
        text
    };
    json.lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: a torn line {l:?}"));
            v["id"].as_str().expect("id").to_string()
        })
        .collect()
}

/// A run that fills its file mid-event exits 1 and leaves whole events
/// only, the last of them the one the state names; a second run appending
/// to the same file continues it with no duplicate and no gap.
fn fill_then_resume(name: &str, format: &[&str], first: fn(&Path) -> File) {
    let dir = Scratch::new(name);
    let (state, file) = (dir.path("s.state"), dir.path("events"));
    let server = server();
    let sse = format.contains(&"sse");
    let end: &[u8] = if sse { b"\n\n" } else { b"\n" };

    let out = run_into(&server.url(), format, &state, first(&file), Some(LIMIT));
    out.assert_code(1);
    assert!(
        out.stderr.contains("cannot write to stdout"),
        "{}",
        out.stderr
    );
    let bytes = std::fs::read(&file).expect("output file");
    assert!(
        !bytes.is_empty() && (bytes.len() as u64) < LIMIT,
        "{}",
        bytes.len()
    );
    assert!(bytes.ends_with(end), "a torn event at the end: {bytes:?}");
    let ids = ids_in(&file, sse);
    assert_eq!(
        saved_id(&state).as_ref(),
        ids.last(),
        "state and file agree"
    );

    let out = run_into(&server.url(), format, &state, append(&file), None);
    out.assert_code(0);
    let want: Vec<String> = (1..=N).map(|i| i.to_string()).collect();
    assert_eq!(ids_in(&file, sse), want);
    assert_eq!(saved_id(&state), Some(N.to_string()));
}

#[test]
fn a_file_that_fills_up_with_append_keeps_only_whole_lines() {
    fill_then_resume("fill-append", &[], append);
}

#[test]
fn a_file_that_fills_up_with_truncate_keeps_only_whole_lines() {
    fill_then_resume("fill-create", &[], |p| File::create(p).expect("create"));
}

#[test]
fn a_file_of_sse_that_fills_up_keeps_only_whole_events() {
    fill_then_resume("fill-sse", &["-f", "sse"], append);
}

#[test]
fn a_file_that_fills_up_in_data_format_keeps_only_whole_lines() {
    // -f data: the data is written from the read buffer (writev).
    let dir = Scratch::new("fill-data");
    let (state, file) = (dir.path("s.state"), dir.path("events"));
    let server = server();
    let out = run_into(
        &server.url(),
        &["-f", "data"],
        &state,
        append(&file),
        Some(LIMIT),
    );
    out.assert_code(1);
    let text = std::fs::read_to_string(&file).expect("output file");
    assert!(text.ends_with('\n'), "{text:?}");
    let last: serde_json::Value = serde_json::from_str(text.lines().last().expect("a line"))
        .unwrap_or_else(|e| panic!("{e}: {text:?}"));
    assert_eq!(saved_id(&state), Some(last["n"].to_string()));
}

#[test]
fn a_file_written_by_someone_else_past_our_end_is_left_alone() {
    // `1<>`: stdout writes over the start of a longer file, whose end is
    // not ours; nothing of it may be cut.
    let dir = Scratch::new("fill-other");
    let (state, file) = (dir.path("s.state"), dir.path("events"));
    let before = "z".repeat(2 * LIMIT as usize);
    std::fs::write(&file, &before).expect("write");
    let server = server();
    let out = OpenOptions::new().write(true).open(&file).expect("open");
    let out = run_into(&server.url(), &[], &state, out, Some(LIMIT));
    out.assert_code(1);
    assert!(out.stderr.contains("left as it is"), "{}", out.stderr);
    let after = std::fs::read(&file).expect("output file");
    assert_eq!(after.len(), before.len());
}

#[test]
fn stdout_closed_at_start_is_an_error_before_connecting() {
    let dir = Scratch::new("closed-stdout");
    let state = dir.path("s.state");
    let server = server();
    let mut cmd = ssetap(&[
        &server.url(),
        "--no-reconnect",
        "--state-file",
        state.to_str().unwrap(),
    ]);
    // SAFETY: close(2) only, between fork and exec: `ssetap … >&-`.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(1);
    assert!(
        out.stderr.contains(
            "stdout is closed: nothing could be written (redirect it, e.g. > /dev/null on purpose)"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(server.requests().is_empty(), "it connected");
    assert_eq!(saved_id(&state), None);
}

#[test]
fn stdout_open_on_dev_null_is_taken_as_meant() {
    let dir = Scratch::new("null-stdout");
    let state = dir.path("s.state");
    let server = server();
    let mut cmd = ssetap(&[
        &server.url(),
        "--no-reconnect",
        "--state-file",
        state.to_str().unwrap(),
    ]);
    cmd.stdout(Stdio::null());
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(saved_id(&state), Some(N.to_string()));
}

#[test]
fn a_file_of_joined_jq_values_that_fills_up_keeps_only_whole_events() {
    // -j: no newline between records; two records an event, so a write may
    // end between the records of one event.
    let dir = Scratch::new("fill-joined");
    let (state, file) = (dir.path("s.state"), dir.path("events"));
    let server = server();
    let args = ["--jq", "{id, data}, {id, data}", "-j"];
    let ids = |path: &Path| -> Vec<String> {
        let bytes = std::fs::read(path).expect("output file");
        serde_json::Deserializer::from_slice(&bytes)
            .into_iter::<serde_json::Value>()
            .map(|v| {
                let v = v.unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
                v["id"].as_str().expect("id").to_string()
            })
            .collect()
    };
    run_into(&server.url(), &args, &state, append(&file), Some(LIMIT)).assert_code(1);
    let first = ids(&file);
    assert!(!first.is_empty() && first.len() % 2 == 0, "{first:?}");
    assert_eq!(saved_id(&state).as_ref(), first.last());
    run_into(&server.url(), &args, &state, append(&file), None).assert_code(0);
    let want: Vec<String> = (1..=N)
        .flat_map(|i| [i.to_string(), i.to_string()])
        .collect();
    assert_eq!(ids(&file), want);
}
