//! Regression tests for what real servers, an outside contract suite and a
//! code review found at the edges: the state file after write errors, the
//! backoff floor, one Authorization header, any method, redirects without a
//! usable Location, one-shot requests with a body, `[DONE]`, unusual content
//! types, hints, `-q` on a run that never connects, flags that would do
//! nothing, and what `--stats` reports at exit (proxies: `proxy.rs`).

mod common;

use common::*;
use std::fs::OpenOptions;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn three_events(dir: &Scratch) -> std::path::PathBuf {
    let text: String = (1..=3)
        .map(|i| event(None, Some(&i.to_string()), &format!("e{i}")))
        .collect();
    dir.write("ev.sse", text)
}

fn saved_id(path: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["last_event_id"].as_str().map(str::to_string)
}

#[test]
fn a_full_disk_leaves_the_state_where_it_was() {
    let dir = Scratch::new("edges-full");
    let input = three_events(&dir);
    let state = dir.path("t.state");
    let full = OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let mut cmd = ssetap(&[
        input.to_str().unwrap(),
        "--state-file",
        state.to_str().unwrap(),
    ]);
    cmd.stdout(Stdio::from(full));
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(1);
    assert!(
        out.stderr.contains("cannot write to stdout"),
        "{}",
        out.stderr
    );
    let id = saved_id(&state);
    assert!(
        id.as_deref().is_none_or(str::is_empty),
        "state moved past unwritten events: {id:?}"
    );
}

#[test]
fn a_closed_pipe_leaves_the_state_where_it_was() {
    let dir = Scratch::new("edges-pipe");
    let input = three_events(&dir);
    let state = dir.path("t.state");
    std::fs::write(&state, "{\"last_event_id\":\"0\"}\n").unwrap();
    let mut cmd = ssetap(&[
        input.to_str().unwrap(),
        "--state-file",
        state.to_str().unwrap(),
    ]);
    cmd.stdout(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    drop(child.stdout.take()); // the reader is gone before anything is written
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert_eq!(saved_id(&state).as_deref(), Some("0"));
}

#[test]
fn a_server_retry_of_zero_cannot_make_ssetap_hammer_it() {
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::sse()
                .body("retry: 0\n\n")
                .body(event(None, None, "x"))
        } else {
            Reply::status(503, &[], "busy")
        }
    });
    let r = Running::spawn(&[&server.url(), "-q"]);
    std::thread::sleep(Duration::from_secs(3));
    let requests = server.requests().len();
    r.signal(libc::SIGINT);
    r.finish(run::LIMIT).assert_code(130);
    // 0 + 100 + 200 + 400 + 800 + 1600 ms of backoff: at most 7 in 3 s
    // (about 14,000 without the floor).
    assert!(requests <= 8, "{requests} requests in 3 s");
    assert!(requests >= 3, "{requests} requests: it should keep trying");
}

#[test]
fn retry_zero_against_a_closed_port_still_backs_off() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let t = Instant::now();
    let out = run(&[&url, "--retry", "0", "--max-retries", "4", "-q"]);
    out.assert_code(1);
    // Floors of 100, 200, 400 and 800 ms.
    assert!(
        t.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        t.elapsed()
    );
    assert!(
        out.stderr.contains("giving up after 4 retries"),
        "{}",
        out.stderr
    );
}

#[test]
fn basic_auth_and_a_bearer_token_are_one_header_too_many() {
    let out = run(&["http://127.0.0.1:9/", "-u", "a:b", "--bearer", "t"]);
    out.assert_code(2);
    let out = run(&["http://a:b@127.0.0.1:9/", "--bearer", "t"]);
    out.assert_code(2);
    assert!(out.stderr.contains("Authorization"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn any_method_token_is_sent_and_a_body_makes_it_one_shot() {
    let server = Server::start(|_, _| Reply::sse().body(event(None, Some("1"), "r")));
    let out = run(&[&server.url(), "-X", "REPORT", "-d", "{\"q\":1}"]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "r");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "a request with a body is sent once");
    assert_eq!(reqs[0].method, "REPORT");
    assert_eq!(reqs[0].body, b"{\"q\":1}");
    let out = run(&[&server.url(), "-X", "PROP FIND"]);
    out.assert_code(2);
    // No -d: an empty body of length 0, as curl and browsers send it, not
    // an empty chunked one that some servers refuse.
    for method in ["POST", "PUT", "PATCH"] {
        let server = Server::start(|_, _| Reply::sse().body(event(None, Some("1"), "r")));
        run(&[&server.url(), "-X", method, "-n", "1"]).assert_code(0);
        let req = &server.requests()[0];
        assert_eq!(req.method, method);
        assert_eq!(req.header("transfer-encoding"), None, "{method}");
        assert_eq!(req.header("content-length"), Some("0"), "{method}");
    }
}

#[test]
fn a_post_stream_lost_midway_is_not_sent_again() {
    let server = Server::start(|_, _| Reply::sse().body(event(None, Some("1"), "half")).hold());
    let out = run(&[&server.url(), "-d", "prompt", "--idle-timeout", "1s"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("--reconnect to resend"),
        "{}",
        out.stderr
    );
    assert_eq!(server.requests().len(), 1);
    assert_eq!(out.json()[0]["data"], "half");
}

#[test]
fn a_redirect_without_location_is_fatal_and_named() {
    for status in [301, 302, 303, 307, 308] {
        let server = Server::start(move |_, _| Reply::status(status, &[], ""));
        let out = run(&[&server.url()]);
        out.assert_code(1);
        assert!(
            out.stderr.contains(&format!("HTTP {status}")) && out.stderr.contains("Location"),
            "{}",
            out.stderr
        );
        assert_eq!(server.requests().len(), 1, "{status}: not retried");
    }
}

#[test]
fn an_empty_location_is_the_same_url_and_hits_the_loop_limit() {
    let server = Server::start(|_, _| Reply::status(307, &[("Location", "")], ""));
    let out = run(&[&server.url_for("/a/b")]);
    out.assert_code(1);
    assert!(out.stderr.contains("too many redirects"), "{}", out.stderr);
    let reqs = server.requests();
    assert!(reqs.iter().all(|r| r.path == "/a/b"), "{reqs:?}");
    assert_eq!(reqs.len(), 11);
}

#[test]
fn a_failure_after_redirects_names_the_final_url() {
    let server = Server::start(|_, req| match req.path.as_str() {
        "/start" => Reply::status(302, &[("Location", "/moved/here")], ""),
        _ => Reply::status(404, &[], "gone"),
    });
    let out = run(&[&server.url_for("/start")]);
    out.assert_code(1);
    assert!(out.stderr.contains("/moved/here"), "{}", out.stderr);
    assert!(out.stderr.contains("404"), "{}", out.stderr);
}

#[test]
fn done_sentinel_is_not_warned_about_but_other_text_is() {
    let body = format!(
        "{}{}",
        event(None, None, "{\"a\":1}"),
        event(None, None, "[DONE]")
    );
    let server = Server::start(move |_, _| Reply::sse().body(body.clone()));
    let out = run(&[&server.url(), "--json-data", "--no-reconnect"]);
    out.assert_code(0);
    assert_eq!(out.json()[1]["data"], "[DONE]");
    assert!(!out.stderr.contains("not JSON"), "{}", out.stderr);
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "hello")));
    let out = run(&[&server.url(), "--json-data", "--no-reconnect"]);
    assert!(out.stderr.contains("not JSON"), "{}", out.stderr);
}

#[test]
fn ignore_content_type_reads_any_200_with_one_warning() {
    let server = Server::start(|_, _| {
        Reply::head(200, &[("Content-Type", "application/octet-stream")])
            .body(event(None, None, "static"))
    });
    let out = run(&[&server.url(), "--no-reconnect"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("--ignore-content-type"),
        "{}",
        out.stderr
    );
    let out = run(&[&server.url(), "--no-reconnect", "--ignore-content-type"]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "static");
    assert_eq!(out.stderr.matches("warning").count(), 1, "{}", out.stderr);
}

#[test]
fn a_url_without_a_scheme_gets_a_hint() {
    let out = run(&["localhost:8080/events"]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("did you mean http://localhost:8080/events?"),
        "{}",
        out.stderr
    );
    // git's and cargo's `help` subcommand is a flag here.
    let out = run(&["help"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("did you mean --help?"),
        "{}",
        out.stderr
    );
}

#[test]
fn quiet_still_shows_that_a_run_never_connected() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let out = run(&[
        &url,
        "-q",
        "--retry",
        "0",
        "--retry-max",
        "0",
        "--max-retries",
        "11",
    ]);
    out.assert_code(1);
    let shown = out.stderr.matches("reconnecting in").count();
    assert_eq!(shown, 2, "the 1st and the 11th failure: {}", out.stderr);
}

#[test]
fn flags_that_would_do_nothing_are_refused() {
    for args in [
        vec!["-", "--timestamp", "-f", "data"],
        vec!["-", "--json-data", "-f", "sse"],
        vec!["-", "--color", "always", "-b", "h:9092", "-t", "t"],
        vec!["-", "--comments", "-b", "h:9092", "-t", "t"],
        vec!["-", "--key", "id"],
        vec!["-", "--flush-timeout", "5s"],
        vec!["-", "--reconnect", "--no-reconnect"],
    ] {
        let out = run(&args);
        out.assert_code(2);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    }
}

#[test]
fn typed_flags_name_themselves_in_errors() {
    let out = run(&["-", "--retry", "soon"]);
    out.assert_code(2);
    assert!(out.stderr.contains("--retry"), "{}", out.stderr);
    let out = run(&["-", "--grep", "a(b"]);
    out.assert_code(2);
    assert!(out.stderr.contains("column 2"), "{}", out.stderr);
}

#[test]
fn reconnects_count_connections_after_the_first() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    // The only request fails; --duration ends the run during the wait.
    let out = run(&[&url, "--retry", "5s", "--duration", "1s", "--stats", "-q"]);
    out.assert_code(0);
    assert_eq!(out.stats()["reconnects"], 0, "{}", out.stderr);
}

#[test]
fn every_failure_at_exit_is_reported() {
    let dir = Scratch::new("edges-two");
    let sub = dir.path("gone");
    std::fs::create_dir_all(&sub).unwrap();
    let state = sub.join("t.state");
    let server = Server::start(|n, _| {
        if n == 0 {
            // The second ID comes within the second in which the state file
            // is not written again, so it is only saved at exit.
            Reply::sse()
                .body(event(None, Some("1"), "one"))
                .pause(Duration::from_millis(300))
                .body(event(None, Some("2"), "two"))
        } else {
            Reply::status(404, &[], "")
        }
    });
    let url = server.url();
    let r = Running::spawn(&[
        &url,
        "--state-file",
        state.to_str().unwrap(),
        "--retry",
        "50ms",
        "--stats",
    ]);
    let first = r.next_line(Duration::from_secs(20));
    assert!(first.is_some());
    let t = Instant::now();
    while saved_id(&state).is_none() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::remove_dir_all(&sub).unwrap();
    let out = r.finish(run::LIMIT);
    out.assert_code(1);
    assert!(out.stderr.contains("404"), "{}", out.stderr);
    // The state's directory is gone, and its lock with it: the save at
    // exit is refused as a lost lock (before it could fail to write).
    assert!(
        out.stderr.contains("stopping without saving")
            || out.stderr.contains("cannot write state file"),
        "{}",
        out.stderr
    );
    let errors = out.stats()["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(errors.len(), 2, "{}", out.stderr);
}

#[test]
fn help_lists_sighup() {
    let out = run(&["--help"]);
    assert!(out.stdout().contains("129"), "{}", out.stdout());
}

#[test]
fn a_protocol_error_from_the_server_is_fatal_not_retried() {
    let server =
        Server::start(|_, _| Reply(vec![Step::Write(b"NOT HTTP AT ALL\r\n\r\n".to_vec())]));
    let out = run(&[&server.url(), "--retry", "50ms"]);
    out.assert_code(1);
    assert_eq!(server.requests().len(), 1, "{}", out.stderr);
}
