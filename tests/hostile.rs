//! Hostile servers, part two: redirect loops, credentials and other hosts,
//! Retry-After as an HTTP date, auth failures, self-signed TLS (a rustls
//! server with a CA made by the openssl command for each test; the helpers
//! are in common/tls.rs), terminal escapes in what a server sends, a
//! server that never reads the request body, and one that keeps a finished
//! stream's connection open but serves nothing more on it.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant, SystemTime};

#[test]
fn a_redirect_loop_ends_with_exit_1_and_a_clear_error() {
    let server = Server::start(|_, req| {
        let to = if req.path == "/a" { "/b" } else { "/a" };
        Reply::status(302, &[("Location", to)], "")
    });
    let out = run(&[&server.url_for("/a"), "--retry", "10ms"]);
    out.assert_code(1);
    assert!(
        out.stderr.to_lowercase().contains("redirect"),
        "{}",
        out.stderr
    );
    let n = server.requests().len();
    assert!(
        (2..=12).contains(&n),
        "{n} requests: a loop must stop, not reconnect"
    );
}

#[test]
fn a_redirect_to_a_port_past_65535_is_refused_not_sent_to_port_80() {
    let server = Server::script(vec![Reply::status(
        302,
        &[("Location", "http://127.0.0.1:65616/elsewhere")],
        "",
    )]);
    let out = run(&[&server.url(), "--max-retries", "0"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("unusable Location: port \"65616\""),
        "{}",
        out.stderr
    );
}

#[test]
fn credentials_follow_a_redirect_on_the_same_host_only() {
    let other = Server::start(|_, _| Reply::sse().body(event(None, None, "elsewhere")));
    // Same address, other name: another host as far as credentials go.
    let target = format!(
        "http://localhost:{}/stream",
        other.addr().rsplit(':').next().unwrap_or("")
    );
    let home = Server::start(move |_, req| match req.path.as_str() {
        "/same" => Reply::status(307, &[("Location", "/stream")], ""),
        "/away" => Reply::status(307, &[("Location", target.as_str())], ""),
        _ => Reply::sse().body(event(None, None, "home")),
    });
    for auth in [
        vec!["-u", "ann:Pw-9"],
        vec!["--bearer", "Tok-9"],
        vec!["-H", "Authorization: Bearer Hdr-9"],
    ] {
        let mut a = vec![home.url_for("/same")];
        a.extend(["--no-reconnect".to_string()]);
        a.extend(auth.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&a).assert_code(0);
        let same = home.requests();
        let last = same.last().expect("request");
        assert_eq!(last.path, "/stream");
        assert!(
            last.header("authorization").is_some(),
            "{auth:?}: same host keeps it"
        );

        let mut a = vec![home.url_for("/away"), "--no-reconnect".to_string()];
        a.extend(auth.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = run(&a);
        out.assert_code(0);
        assert_eq!(out.json()[0]["data"], "elsewhere");
        let away = other.requests();
        let last = away.last().expect("request on the other host");
        assert_eq!(
            last.header("authorization"),
            None,
            "{auth:?} leaked to another host"
        );
    }
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let server = Server::start(|n, _| {
        if n == 0 {
            let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
            Reply::status(503, &[("Retry-After", when.as_str())], "")
        } else {
            Reply::sse().body(event(None, None, "ok"))
        }
    });
    let out = run(&[&server.url(), "--retry", "10ms", "-n", "1"]);
    out.assert_code(0);
    let reqs = server.requests();
    let gap = reqs[1].at - reqs[0].at;
    // The date has one-second resolution: 2 to 3 s ahead.
    assert!(gap >= Duration::from_millis(1500), "gap {gap:?}");
    assert!(gap < Duration::from_secs(10), "gap {gap:?}");
}

#[test]
fn unauthorized_forbidden_and_not_found_end_at_once() {
    for status in [401, 403, 404] {
        let server = Server::start(move |_, _| Reply::status(status, &[], "go away"));
        let out = run(&[&server.url(), "--retry", "10ms"]);
        out.assert_code(1);
        assert_eq!(server.requests().len(), 1, "{status}");
        assert!(out.stderr.contains(&status.to_string()), "{}", out.stderr);
    }
}

#[test]
fn self_signed_tls_fails_by_default_and_works_with_cacert_or_insecure() {
    let dir = Scratch::new("tls");
    let (ca, cert, key) = make_certs(&dir);
    let url = tls_server(&cert, &key);

    let out = run(&[&url, "--retry", "10ms"]);
    out.assert_code(1);
    let err = out.stderr.to_lowercase();
    assert!(
        err.contains("certificate") || err.contains("tls"),
        "{}",
        out.stderr
    );
    assert!(
        !err.contains("reconnecting"),
        "a bad certificate is fatal: {}",
        out.stderr
    );

    let out = run(&[&url, "--no-reconnect", "--cacert", ca.to_str().unwrap()]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);

    let out = run(&[&url, "--no-reconnect", "--insecure"]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");
    assert!(out.stderr.contains("--insecure"), "warns: {}", out.stderr);
}

#[test]
fn an_unreadable_or_bad_cacert_is_one_clear_line() {
    let dir = Scratch::new("cacert");
    let junk = dir.write("junk.pem", "not a certificate\n");
    for (file, code) in [("/nonexistent/ca.pem", 1), (junk.to_str().unwrap(), 1)] {
        let out = run(&["https://127.0.0.1:9/stream", "--cacert", file]);
        out.assert_code(code);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains("cacert"), "{}", out.stderr);
    }
}

/// Bytes a terminal acts on: C0 controls but newline and tab, DEL, and the
/// C1 controls as UTF-8.
fn has_raw_controls(text: &str) -> bool {
    text.chars()
        .any(|c| (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c))
}

#[test]
fn no_byte_a_server_chose_reaches_the_terminal_raw() {
    let evil_id = "\x1b]0;pwned\x07\x1b[2J";
    // A header value with C1 CSI (UTF-8 C2 9B), an event type and data the
    // --jq program puts into its error, and an ID that -v shows when it is
    // sent back as Last-Event-ID.
    let server = Server::start(move |_, _| {
        let mut head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n".to_vec();
        head.extend_from_slice(b"X-Evil: \xc2\x9b2J\xc2\x85\r\nConnection: close\r\n\r\n");
        Reply(vec![Step::Write(head)]).body(format!(
            "event: \x1b[31mred\ndata: \x1b]2;title\x07\n\nid: {evil_id}\ndata: a\n\n"
        ))
    });
    let url = server.url();
    let args = [
        url.as_str(),
        "-v",
        "--retry",
        "10ms",
        "--max-retries",
        "1",
        "--stats",
        "--jq",
        "if .event == \"message\" then . else error(.event + .data) end",
    ];
    let out = run(&args);
    out.assert_code(1);
    assert!(!has_raw_controls(&out.stderr), "raw: {:?}", out.stderr);
    // An ID with control bytes is never sent back (tests/hostile_values.rs);
    // the warning that says so shows it escaped.
    assert!(!out.stderr.contains("> Last-Event-ID:"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("cannot be sent as Last-Event-ID (control byte 0x1b at offset 0)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("< x-evil: \\u{9b}2J\\u{85}"),
        "{}",
        out.stderr
    );

    // JSON lines: escaped too, and the value is kept.
    let mut json = args.to_vec();
    json.extend(["--log-format", "json"]);
    let out = run(&json);
    out.assert_code(1);
    assert!(!has_raw_controls(&out.stderr), "raw: {:?}", out.stderr);
    let msgs: Vec<String> = out
        .stderr
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .map(|v| v["msg"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("cannot be sent as Last-Event-ID") && !has_raw_controls(m)),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m == "< x-evil: \u{9b}2J\u{85}"),
        "{msgs:?}"
    );
}

/// A server that accepts a request and never reads its body: once the
/// socket buffers are full, no byte moves. That is the idle timeout's
/// failure too, not a send parked for ever.
#[test]
fn a_server_that_never_reads_the_body_is_an_idle_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn); // never read, never answered
        }
    });
    let dir = Scratch::new("unread-body");
    let body = dir.write("body", vec![b'x'; 32 << 20]);
    let data = format!("@{}", body.display());
    let started = Instant::now();
    let out = run(&[
        &url,
        "-d",
        &data,
        "--idle-timeout",
        "1s",
        "--max-retries",
        "0",
    ]);
    out.assert_code(1);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
}

/// A stream that ends cleanly (its Content-Length sent) on a connection
/// the server keeps open but serves nothing more on, as a server behind a
/// proxy may: the reconnect opens a connection of its own.
#[test]
fn a_reconnect_does_not_reuse_a_finished_streams_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (n, conn) in listener.incoming().flatten().enumerate() {
            let mut conn = conn;
            let _ = conn.read(&mut [0u8; 4096]);
            let body = event(None, Some(&n.to_string()), &format!("e{n}"));
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(format!("{head}{body}").as_bytes());
            held.push(conn); // kept open, never read again
        }
    });
    let out = run(&[
        &url,
        "--retry",
        "100ms",
        "--max-retries",
        "1",
        "-n",
        "2",
        "-f",
        "data",
    ]);
    out.assert_code(0);
    assert_eq!(out.lines(), ["e0", "e1"], "{}", out.stderr);
}

/// Two Content-Encoding headers are two codings: a body that is gzip and
/// then brotli is not gzip's output. It is refused for what it is, not
/// decoded as gzip into a loop of failed reads.
#[test]
fn two_content_encodings_are_an_unsupported_coding() {
    let server = Server::script(vec![
        Reply::head(
            200,
            &[
                ("Content-Type", "text/event-stream"),
                ("Content-Encoding", "gzip"),
                ("Content-Encoding", "br"),
            ],
        )
        .body("not gzip"),
    ]);
    let out = run(&[&server.url()]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("unsupported Content-Encoding 'gzip, br'"),
        "{}",
        out.stderr
    );
    assert_eq!(server.requests().len(), 1, "fatal, not retried");
}

/// An error body dripped a byte at a time is read for a few seconds, not
/// until its 512 bytes arrive (half an hour at this pace): the run goes on
/// to what the status says.
#[test]
fn a_dripped_error_body_cannot_hold_the_run() {
    let body = "x".repeat(600);
    let server = Server::script(vec![
        Reply::head(404, &[("Content-Length", "600")]).drip(body, Duration::from_millis(900)),
    ]);
    let started = Instant::now();
    let out = run(&[&server.url()]);
    out.assert_code(1);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        out.stderr.contains("HTTP 404 Not Found: x"),
        "{}",
        out.stderr
    );
}
