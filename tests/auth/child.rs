//! A `--bearer-command` that leaves a child running with stdout open (an
//! agent, a daemon): the token it printed is used at once.

use super::*;

/// A command that starts a helper and leaves it holding stdout (an agent
/// or a daemon) still gives the token it printed, at once: its output is
/// not waited for until that helper exits, and nothing of ours waits on.
#[test]
fn a_command_whose_child_keeps_stdout_open_still_gives_its_token() {
    let sse = Server::start(|_, _| Reply::sse().body(event(None, Some("1"), "x")));
    let started = Instant::now();
    let out = run(&[
        &sse.url(),
        "--bearer-command",
        "echo goodtoken123; sleep 8 &",
        "-n",
        "1",
        "-f",
        "data",
    ]);
    out.assert_code(0);
    assert_eq!(out.stdout(), "x\n");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(bearer(&sse.requests()[0]), "goodtoken123");
}
