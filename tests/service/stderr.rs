//! A stderr nobody reads (a logger that stopped, a wedged journald) must
//! not stop the data path: log lines that cannot be written at once are
//! dropped and counted, and the next one that can be says so.

use super::*;
use std::io::BufRead;

#[test]
fn a_stderr_nobody_reads_does_not_stop_the_events() {
    // With -v every reconnect logs the response head: 4 KB of padding each
    // fills a pipe's 64 KiB in about 16 reconnects.
    let pad = "p".repeat(4000);
    let server = Server::start(move |n, _| {
        Reply::head(
            200,
            &[
                ("Content-Type", "text/event-stream"),
                ("X-Pad", pad.as_str()),
            ],
        )
        .body(event(None, Some(&n.to_string()), &format!("e{n}")))
    });
    let mut child = ssetap(&[
        &server.url(),
        "-v",
        "-f",
        "data",
        "--retry",
        "0",
        "-n",
        "60",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    // stderr is kept open and never read.
    let _stderr = child.stderr.take();
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut got = Vec::new();
    while got.len() < 60 {
        match rx.recv_timeout(Duration::from_secs(60).saturating_sub(start.elapsed())) {
            Ok(line) => got.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("only {} events in 60 s with stderr unread", got.len());
            }
        }
    }
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert_eq!(got.first().map(String::as_str), Some("e0"));
}
