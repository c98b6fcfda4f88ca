//! How a stream's end or damage leaves the output and the resume point:
//! events that arrived whole before the damage (corrupt gzip, bad chunk
//! framing, in the same read as the events) are written, and the
//! `Last-Event-ID` of the next request names the last of them; the size
//! cap is of the data, exactly.

mod common;

use common::*;
use std::io::Write;

fn gzip_head() -> Reply {
    Reply::head(
        200,
        &[
            ("Content-Type", "text/event-stream"),
            ("Content-Encoding", "gzip"),
        ],
    )
}

fn five_events() -> String {
    (1..=5)
        .map(|i| event(None, Some(&i.to_string()), &format!("event {i}")))
        .collect()
}

#[test]
fn events_that_arrive_with_gzip_damage_are_written() {
    // The events' compressed bytes and the garbage after them go out in
    // one write, so they reach ssetap in one read.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(five_events().as_bytes()).expect("gzip");
    enc.flush().expect("gzip");
    let mut body = enc.get_ref().clone();
    body.extend_from_slice(&[0xff; 64]);
    let server = Server::script(vec![
        gzip_head().body(&body),
        Reply::sse().body(event(None, Some("6"), "event 6")),
    ]);
    let out = run(&[&server.url(), "-f", "data", "--retry", "10ms", "-n", "6"]);
    out.assert_code(0);
    let want: Vec<String> = (1..=6).map(|i| format!("event {i}")).collect();
    assert_eq!(out.lines(), want, "{}", out.stderr);
    assert!(out.stderr.contains("corrupt gzip body"), "{}", out.stderr);
    let requests = server.requests();
    assert_eq!(requests[1].header("last-event-id"), Some("5"));
}

#[test]
fn an_event_of_exactly_max_event_size_is_written_and_one_over_is_named() {
    let dir = Scratch::new("ends-cap");
    let state = dir.path("s.state");
    let exact = "x".repeat(100);
    let over = "y".repeat(101);
    let long_id = "7".repeat(150);
    let body = format!(
        "id: 1\ndata: {exact}\n\nid: 2\ndata: {}\ndata: {}\n\nid: 3\ndata: {over}\n\nid: {long_id}\ndata: z\n\n",
        &exact[..50],
        &exact[..49]
    );
    let server = Server::script(vec![Reply::sse().body(body)]);
    let out = run(&[
        &server.url(),
        "-f",
        "data",
        "--max-event-size",
        "100",
        "--no-reconnect",
        "--state-file",
        state.to_str().expect("path"),
    ]);
    out.assert_code(0);
    // 100 bytes of data, on one line or on two (50 + LF + 49), fit.
    assert_eq!(
        out.lines(),
        [exact.clone(), format!("{}\n{}", &exact[..50], &exact[..49])]
            .join("\n")
            .lines()
            .collect::<Vec<_>>()
    );
    assert!(
        out.stderr
            .contains("dropped an event with 101 bytes of data (over --max-event-size 100)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("dropped an event with an id or event line of 150 bytes"),
        "{}",
        out.stderr
    );
}

fn chunked_head() -> Reply {
    Reply::head(
        200,
        &[
            ("Content-Type", "text/event-stream"),
            ("Transfer-Encoding", "chunked"),
        ],
    )
}

#[test]
fn events_in_the_same_read_as_bad_chunk_framing_are_written() {
    let events = five_events();
    let chunk = format!("{:x}\r\n{events}\r\n", events.len());
    for (name, damage) in [
        ("a size that is not a number", "zz\r\nxx\r\n"),
        ("a size past usize", "fffffffffffffffffffffffff\r\nxx\r\n"),
        ("a chunk longer than announced", "3\r\nabcdef\r\n"),
    ] {
        // One write: the good chunk and the damage arrive in one read.
        let server = Server::script(vec![
            chunked_head().body(format!("{chunk}{damage}")),
            Reply::sse().body(event(None, Some("6"), "event 6")),
        ]);
        let out = run(&[&server.url(), "-f", "data", "--retry", "10ms", "-n", "6"]);
        out.assert_code(0);
        let want: Vec<String> = (1..=6).map(|i| format!("event {i}")).collect();
        assert_eq!(out.lines(), want, "{name}: {}", out.stderr);
        let requests = server.requests();
        assert_eq!(requests[1].header("last-event-id"), Some("5"), "{name}");
        // A one-shot request is not sent again, but what came is written.
        let server = Server::script(vec![chunked_head().body(format!("{chunk}{damage}"))]);
        let out = run(&[&server.url(), "-f", "data", "-d", "{}"]);
        out.assert_code(1);
        assert_eq!(out.lines(), &want[..5], "{name}: {}", out.stderr);
        assert!(out.stderr.contains("not retried"), "{name}: {}", out.stderr);
    }
}

#[test]
fn a_big_chunk_with_an_extension_is_read() {
    let data = "é".repeat(35_000);
    let text = event(None, Some("1"), &data);
    let body = format!("{:x};foo=bar;q=\"x y\"\r\n{text}\r\n0\r\n\r\n", text.len());
    assert!(text.len() >= 0x10000);
    let server = Server::script(vec![chunked_head().body(body)]);
    let out = run(&[&server.url(), "-f", "data", "--no-reconnect"]);
    out.assert_code(0);
    assert_eq!(out.lines(), [data], "{}", out.stderr);
}

#[test]
fn a_reset_is_a_lost_connection_not_the_streams_end() {
    // Without framing, a close ends the body; a reset must not pass for
    // one, or a one-shot request cut by it would succeed (exit 0).
    let two = event(None, Some("1"), "one") + &event(None, Some("2"), "two");
    for (reply, code, said) in [
        (
            Reply::sse().body(&two).reset(),
            1,
            "connection lost: the connection was reset",
        ),
        (Reply::sse().body(&two), 0, ""),
    ] {
        let server = Server::script(vec![reply]);
        let out = run(&[&server.url(), "-d", "{}", "-f", "data"]);
        out.assert_code(code);
        assert_eq!(out.stdout(), "one\ntwo\n", "{}", out.stderr);
        assert!(out.stderr.contains(said), "{}", out.stderr);
    }
    // Framed by chunks, a close before the last chunk says so.
    let server = Server::script(vec![
        Reply::head(
            200,
            &[
                ("Content-Type", "text/event-stream"),
                ("Transfer-Encoding", "chunked"),
            ],
        )
        .body(format!("{:x}\r\n{two}\r\n", two.len())),
    ]);
    let out = run(&[&server.url(), "-d", "{}", "-f", "data"]);
    out.assert_code(1);
    assert_eq!(out.stdout(), "one\ntwo\n", "{}", out.stderr);
    assert!(
        out.stderr
            .contains("connection lost: closed before the body's end"),
        "{}",
        out.stderr
    );
}

/// A process paused longer than `--idle-timeout` (SIGSTOP, a suspended
/// laptop or VM) finds the server's events waiting when it resumes: it
/// reads them, rather than calling the stream idle and reconnecting.
#[test]
fn a_pause_of_the_process_longer_than_the_idle_timeout_is_not_idleness() {
    let mut reply = Reply::sse();
    for i in 1..=40 {
        reply = reply
            .body(event(None, Some(&i.to_string()), &format!("e{i}")))
            .pause(std::time::Duration::from_millis(100));
    }
    let server = Server::script(vec![reply.hold(), Reply::sse().hold()]);
    let r = Running::spawn(&[
        &server.url(),
        "-f",
        "data",
        "--idle-timeout",
        "1s",
        "-n",
        "40",
    ]);
    assert!(r.next_line(std::time::Duration::from_secs(10)).is_some());
    r.signal(libc::SIGSTOP);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    r.signal(libc::SIGCONT);
    let out = r.finish(std::time::Duration::from_secs(20));
    out.assert_code(0);
    assert!(!out.stderr.contains("--idle-timeout"), "{}", out.stderr);
    assert_eq!(server.requests().len(), 1, "{}", out.stderr);
}
