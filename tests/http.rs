//! The core over HTTP: the built binary against scripted servers on
//! 127.0.0.1 (request headers, reconnects, statuses, gzip, auth, bodies).
//! Limits, signals, state and output live in `tests/run.rs`.

mod common;

use common::*;
use std::io::Write;
use std::time::Duration;

const FAST: &[&str] = &["--retry", "50ms", "--retry-max", "200ms"];

fn args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![url];
    v.extend_from_slice(extra);
    v
}

#[test]
fn a_stream_becomes_ndjson_with_the_default_request_headers() {
    let body = event(Some("edit"), Some("1"), "a") + &event(None, None, "b\nc");
    let server = Server::script(vec![Reply::sse().body(body)]);
    let out = run(&[&server.url(), "--no-reconnect"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout(),
        "{\"event\":\"edit\",\"id\":\"1\",\"data\":\"a\"}\n\
         {\"event\":\"message\",\"id\":\"1\",\"data\":\"b\\nc\"}\n"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/stream");
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("accept-encoding"), Some("gzip"));
    let ua = format!("ssetap/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(r.header("user-agent"), Some(ua.as_str()));
    assert_eq!(r.header("last-event-id"), None, "no id yet: no header");
}

#[test]
fn headers_are_added_and_override_the_defaults() {
    let server = Server::script(vec![Reply::sse().body(event(None, None, "x"))]);
    let out = run(&[
        &server.url(),
        "--no-reconnect",
        "--no-compression",
        "-H",
        "User-Agent: probe/1",
        "-H",
        "X-Extra: yes",
        "-H",
        "Cache-Control:",
    ]);
    out.assert_code(0);
    let r = &server.requests()[0];
    assert_eq!(r.header("user-agent"), Some("probe/1"));
    assert_eq!(r.header("x-extra"), Some("yes"));
    assert_eq!(r.header("accept-encoding"), None);
    assert_eq!(
        r.header("cache-control"),
        None,
        "-H 'Name:' removes it, as in curl"
    );
}

#[test]
fn a_reconnect_sends_the_last_event_id_and_keeps_the_stream_going() {
    let server = Server::script(vec![
        Reply::sse().body(event(None, Some("7"), "one") + &event(None, None, "two")),
        Reply::sse().body(event(None, Some("8"), "three")),
    ]);
    let url = server.url();
    let mut a = args(&url, FAST);
    a.extend(["--max-events", "3"]);
    let out = run(&a);
    out.assert_code(0);
    let data: Vec<String> = out.json().iter().map(|v| v["data"].to_string()).collect();
    assert_eq!(data, ["\"one\"", "\"two\"", "\"three\""]);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("last-event-id"), None);
    assert_eq!(reqs[1].header("last-event-id"), Some("7"));
}

#[test]
fn last_event_id_flag_sets_the_first_request_header() {
    let server = Server::script(vec![Reply::sse().body(event(None, None, "x"))]);
    run(&[&server.url(), "--no-reconnect", "--last-event-id", "abc-9"]).assert_code(0);
    assert_eq!(server.requests()[0].header("last-event-id"), Some("abc-9"));
}

#[test]
fn a_server_retry_field_replaces_the_reconnection_time() {
    let server = Server::script(vec![
        Reply::sse().body("retry: 150\n\n".to_string() + &event(None, None, "a")),
        Reply::sse().body(event(None, None, "b")),
    ]);
    let out = run(&[&server.url(), "--retry", "20s", "--max-events", "2"]);
    out.assert_code(0);
    let reqs = server.requests();
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(140), "gap {gap:?}");
    assert!(gap < Duration::from_secs(10), "retry: ignored, gap {gap:?}");
}

#[test]
fn max_retries_allows_n_reconnects_then_exits_1() {
    let server = Server::start(|_, _| Reply::status(500, &[], "boom"));
    let url = server.url();
    let mut a = args(&url, &["--retry", "10ms", "--retry-max", "20ms"]);
    a.extend(["--max-retries", "3"]);
    let out = run(&a);
    out.assert_code(1);
    assert_eq!(server.requests().len(), 4, "N+1 requests");
    assert!(out.stderr.contains("--max-retries"), "{}", out.stderr);
    assert!(out.stderr.contains("500"), "{}", out.stderr);
}

#[test]
fn no_content_ends_the_run_without_reconnecting() {
    let server = Server::script(vec![Reply::status(204, &[], "")]);
    let out = run(&[&server.url(), "--retry", "10ms"]);
    out.assert_code(0);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn not_found_fails_at_once_with_the_status_and_the_body() {
    let server = Server::start(|_, _| Reply::status(404, &[], "no such stream here"));
    let out = run(&[&server.url(), "--retry", "10ms"]);
    out.assert_code(1);
    assert_eq!(server.requests().len(), 1);
    assert!(out.stderr.contains("404"), "{}", out.stderr);
    assert!(out.stderr.contains("no such stream here"), "{}", out.stderr);
}

#[test]
fn a_wrong_content_type_fails_at_once() {
    let page = "<html>login</html>";
    let server =
        Server::start(move |_, _| Reply::status(200, &[("Content-Type", "text/html")], page));
    let out = run(&[&server.url(), "--retry", "10ms"]);
    out.assert_code(1);
    assert_eq!(server.requests().len(), 1);
    assert!(out.stderr.contains("text/html"), "{}", out.stderr);
    assert!(out.stderr.contains("<html>login"), "{}", out.stderr);
}

#[test]
fn unavailable_with_retry_after_waits_that_long() {
    for status in [503, 429] {
        let server = Server::script(vec![
            Reply::status(status, &[("Retry-After", "1")], "later"),
            Reply::sse().body(event(None, None, "ok")),
        ]);
        let out = run(&[&server.url(), "--retry", "10ms", "--max-events", "1"]);
        out.assert_code(0);
        let reqs = server.requests();
        let gap = reqs[1].at - reqs[0].at;
        assert!(gap >= Duration::from_millis(950), "{status}: gap {gap:?}");
        assert!(gap < Duration::from_secs(10), "{status}: gap {gap:?}");
    }
}

#[test]
fn a_redirect_is_followed_to_the_stream() {
    let server = Server::start(|_, req| {
        if req.path == "/old" {
            Reply::status(307, &[("Location", "/stream")], "")
        } else {
            Reply::sse().body(event(None, None, "moved"))
        }
    });
    let out = run(&[&server.url_for("/old"), "--no-reconnect"]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "moved");
    let paths: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/old", "/stream"]);
}

fn gzip(parts: &[String]) -> Vec<Vec<u8>> {
    // Each part is flushed (sync flush) so that it can be decoded alone.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut out = Vec::new();
    for p in parts {
        enc.write_all(p.as_bytes()).expect("gzip");
        enc.flush().expect("gzip flush");
        out.push(std::mem::take(enc.get_mut()));
    }
    let tail = enc.finish().expect("gzip finish");
    if let Some(last) = out.last_mut() {
        last.extend_from_slice(&tail);
    }
    out
}

fn gzip_head() -> Reply {
    Reply::head(
        200,
        &[
            ("Content-Type", "text/event-stream"),
            ("Content-Encoding", "gzip"),
        ],
    )
}

#[test]
fn a_gzip_stream_is_decoded_even_when_its_first_byte_is_slow() {
    let parts: Vec<String> = (1..=3)
        .map(|n| event(None, None, &format!("z{n}")))
        .collect();
    let mut reply = gzip_head().pause(Duration::from_millis(1500));
    for p in gzip(&parts) {
        reply = reply.body(p);
    }
    let server = Server::script(vec![reply]);
    let out = run(&[&server.url(), "--no-reconnect", "--idle-timeout", "5s"]);
    out.assert_code(0);
    let data: Vec<String> = out.json().iter().map(|v| v["data"].to_string()).collect();
    assert_eq!(data, ["\"z1\"", "\"z2\"", "\"z3\""]);
}

#[test]
fn a_gzip_stream_silent_past_the_idle_timeout_is_a_timeout_not_an_end() {
    // The trap: a gzip decoder that reads its header eagerly turns a read
    // timeout before the first compressed byte into a silent, clean end.
    let late = gzip(&[event(None, None, "late")]).concat();
    let slow = gzip_head().pause(Duration::from_secs(3)).body(&late);
    let server = Server::script(vec![slow.clone()]);
    let out = run(&[&server.url(), "--no-reconnect", "--idle-timeout", "1s"]);
    out.assert_code(1);
    assert!(out.stderr.contains("idle-timeout"), "{}", out.stderr);
    let second = gzip_head().body(gzip(&[event(None, None, "second")]).concat());
    let server = Server::script(vec![slow, second]);
    let out = run(&[
        &server.url(),
        "--retry",
        "10ms",
        "--idle-timeout",
        "1s",
        "-n",
        "1",
    ]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "second");
}

#[test]
fn gzip_events_arrive_as_they_are_sent_not_when_the_stream_ends() {
    let parts: Vec<String> = (1..=2)
        .map(|n| event(None, None, &format!("g{n}")))
        .collect();
    let chunks = gzip(&parts);
    let reply = gzip_head()
        .body(&chunks[0])
        .pause(Duration::from_secs(5))
        .body(&chunks[1]);
    let server = Server::script(vec![reply]);
    let r = Running::spawn(&[&server.url(), "--no-reconnect", "--format", "data"]);
    let first = r.next_line(Duration::from_secs(4));
    assert_eq!(first.as_deref(), Some("g1\n"), "event 1 held back");
    let out = r.finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(out.stdout(), "g1\ng2\n");
}

#[test]
fn basic_auth_comes_from_the_flag_or_the_environment() {
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    run(&[&server.url(), "--no-reconnect", "-u", "ann:pw1"]).assert_code(0);
    let mut cmd = ssetap(&[&server.url(), "--no-reconnect", "-u", "bob"]);
    cmd.env("SSETAP_PASSWORD", "pw2");
    Running::start(cmd).finish(run::LIMIT).assert_code(0);
    let reqs = server.requests();
    // base64("ann:pw1"), base64("bob:pw2")
    assert_eq!(reqs[0].header("authorization"), Some("Basic YW5uOnB3MQ=="));
    assert_eq!(reqs[1].header("authorization"), Some("Basic Ym9iOnB3Mg=="));
}

#[test]
fn a_bearer_token_comes_from_the_flag_or_the_environment() {
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    run(&[&server.url(), "--no-reconnect", "--bearer", "t0k1"]).assert_code(0);
    let mut cmd = ssetap(&[&server.url(), "--no-reconnect"]);
    cmd.env("SSETAP_BEARER_TOKEN", "t0k2");
    Running::start(cmd).finish(run::LIMIT).assert_code(0);
    let reqs = server.requests();
    assert_eq!(reqs[0].header("authorization"), Some("Bearer t0k1"));
    assert_eq!(reqs[1].header("authorization"), Some("Bearer t0k2"));
}

#[test]
fn with_reconnect_a_post_body_is_sent_again_on_every_reconnect() {
    let server = Server::script(vec![
        Reply::sse().body(event(None, Some("1"), "first")),
        Reply::sse().body(event(None, Some("2"), "second")),
    ]);
    let body = r#"{"model":"m","stream":true}"#;
    let url = server.url();
    let mut a = args(&url, FAST);
    a.extend(["-d", body, "-H", "Content-Type: application/json"]);
    a.extend(["--max-events", "2", "--reconnect"]);
    run(&a).assert_code(0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.body, body.as_bytes());
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    assert_eq!(reqs[1].header("last-event-id"), Some("1"));
}

#[test]
fn data_from_a_file_and_another_method() {
    let dir = Scratch::new("post-file");
    let file = dir.write("req.json", "{\"q\":1}\n");
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    let at_file = format!("@{}", file.display());
    run(&[&server.url(), "--no-reconnect", "-d", &at_file]).assert_code(0);
    run(&[&server.url(), "--no-reconnect", "-X", "PUT", "-d", "b"]).assert_code(0);
    let reqs = server.requests();
    assert_eq!(
        (reqs[0].method.as_str(), &reqs[0].body[..]),
        ("POST", &b"{\"q\":1}\n"[..])
    );
    assert_eq!(
        (reqs[1].method.as_str(), &reqs[1].body[..]),
        ("PUT", &b"b"[..])
    );
}

#[test]
fn an_idle_connection_is_dropped_and_reopened() {
    let server = Server::script(vec![
        Reply::sse().body(event(None, Some("1"), "before")).hold(),
        Reply::sse().body(event(None, Some("2"), "after")),
    ]);
    let url = server.url();
    let mut a = args(&url, FAST);
    a.extend(["--idle-timeout", "1s", "--max-events", "2"]);
    let out = run(&a);
    out.assert_code(0);
    let data: Vec<String> = out.json().iter().map(|v| v["data"].to_string()).collect();
    assert_eq!(data, ["\"before\"", "\"after\""]);
    let reqs = server.requests();
    assert_eq!(reqs[1].header("last-event-id"), Some("1"));
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(900), "gap {gap:?}");
    assert!(out.stderr.contains("idle-timeout"), "{}", out.stderr);
}

#[test]
fn the_connection_log_and_verbose_headers_go_to_stderr() {
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    let out = run(&[&server.url(), "--no-reconnect", "-v", "-H", "X-Probe: 1"]);
    out.assert_code(0);
    assert!(out.stderr.contains("connected to"), "{}", out.stderr);
    assert!(
        out.stderr.contains("X-Probe: 1"),
        "request headers: {}",
        out.stderr
    );
    assert!(
        out.stderr
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "response headers: {}",
        out.stderr
    );
    let quiet = run(&[&server.url(), "--no-reconnect", "-q"]);
    quiet.assert_code(0);
    assert_eq!(quiet.stderr, "");
    assert_eq!(quiet.stdout, out.stdout);
}

#[test]
fn a_connection_that_delivered_an_event_resets_the_backoff() {
    // Three failures (waits 200, 400, 800 ms less up to 25 % jitter), then
    // an event, then a failure: the wait is back to 200 ms, not 1.6 s.
    let server = Server::start(|n, _| match n {
        3 => Reply::sse().body(event(None, None, "one")),
        5 => Reply::sse().body(event(None, None, "two")),
        _ => Reply::status(500, &[], ""),
    });
    let out = run(&[
        &server.url(),
        "--retry",
        "200ms",
        "--retry-max",
        "10s",
        "-n",
        "2",
    ]);
    out.assert_code(0);
    let at: Vec<_> = server.requests().iter().map(|r| r.at).collect();
    let gap = |i: usize| at[i + 1] - at[i];
    assert!(
        gap(2) >= Duration::from_millis(590),
        "third wait {:?}",
        gap(2)
    );
    assert!(
        gap(3) < Duration::from_millis(590),
        "after an event {:?}",
        gap(3)
    );
    assert!(
        gap(3) >= Duration::from_millis(190),
        "the base wait {:?}",
        gap(3)
    );
}

/// A quiet stream wakes the main thread about once a second (to serve
/// Kafka's acknowledgements and the resume point); the read then resumes
/// where it was: nothing is lost or doubled, plain or gzip, and the idle
/// timeout still counts from the last byte.
#[test]
fn quiet_pauses_mid_event_lose_nothing_plain_or_gzip() {
    let a = "data: first half\n".to_string();
    let b = "data: second half\n\n".to_string();
    let plain = Reply::sse()
        .body(&a)
        .pause(Duration::from_millis(3500))
        .body(&b);
    let mut zipped = gzip_head();
    for (i, p) in gzip(&[a, b]).into_iter().enumerate() {
        if i == 1 {
            zipped = zipped.pause(Duration::from_millis(3500));
        }
        zipped = zipped.body(p);
    }
    for reply in [plain, zipped] {
        let server = Server::script(vec![reply]);
        let out = run(&[&server.url(), "--no-reconnect", "--idle-timeout", "10s"]);
        out.assert_code(0);
        let data: Vec<String> = out.json().iter().map(|v| v["data"].to_string()).collect();
        assert_eq!(data, ["\"first half\\nsecond half\""]);
    }
    let server = Server::script(vec![
        Reply::sse()
            .body(event(None, None, "x"))
            .pause(Duration::from_secs(30)),
    ]);
    let t = std::time::Instant::now();
    let out = run(&[&server.url(), "--no-reconnect", "--idle-timeout", "2500ms"]);
    out.assert_code(1);
    assert!(out.stderr.contains("--idle-timeout"), "{}", out.stderr);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(2400) && took < Duration::from_secs(6),
        "{took:?}"
    );
}
