//! The resume point names only what would survive a crash: with stdout a
//! regular file and a state kept, the file's data is synced (fdatasync)
//! before a save names its events. Checked with strace, which shows the
//! order of the calls (`.ci/test` installs it).

mod common;

use common::*;
use std::process::{Command, Stdio};

/// The run's fdatasync and rename calls, in order, as strace saw them.
fn traced(args: &[&str], stdout: Stdio, dir: &Scratch) -> (i32, Vec<String>) {
    let trace = dir.path("trace");
    let status = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=fdatasync,rename,renameat,renameat2",
            "-o",
        ])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_ssetap"))
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::null())
        .status()
        .expect("strace is needed (apt-get install strace; .ci/test installs it)");
    let lines = std::fs::read_to_string(&trace).expect("trace");
    (
        status.code().unwrap_or(-1),
        lines.lines().map(str::to_string).collect(),
    )
}

#[test]
fn a_file_on_stdout_is_on_disk_before_the_state_names_its_events() {
    let dir = Scratch::new("on-disk");
    let state = dir.path("s.state");
    let state_arg = state.to_str().expect("path");
    let body: String = (1..=3)
        .map(|i| event(None, Some(&i.to_string()), &format!("e{i}")))
        .collect();
    let server = Server::start(move |_, _| Reply::sse().body(&body).hold());
    let url = server.url();
    let args = [
        url.as_str(),
        "-f",
        "data",
        "-n",
        "3",
        "--state-file",
        state_arg,
    ];

    let out = dir.path("out");
    let file = std::fs::File::create(&out).expect("out");
    let (code, calls) = traced(&args, Stdio::from(file), &dir);
    assert_eq!(code, 0, "{calls:?}");
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "e1\ne2\ne3\n");
    let first_sync = calls.iter().position(|c| c.contains("fdatasync("));
    let saves: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.contains("rename") && c.contains("s.state\""))
        .map(|(i, _)| i)
        .collect();
    let first_sync = first_sync.expect("stdout's file was never synced");
    assert!(!saves.is_empty(), "no save seen: {calls:?}");
    assert!(
        saves.iter().all(|&s| s > first_sync),
        "a save came before the file was synced: {calls:?}"
    );

    // A pipe has no disk: nothing to wait for.
    std::fs::remove_file(&state).expect("rm state");
    let (code, calls) = traced(&args, Stdio::piped(), &dir);
    assert_eq!(code, 0, "{calls:?}");
    assert!(!calls.iter().any(|c| c.contains("fdatasync(")), "{calls:?}");
}
