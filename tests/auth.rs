//! Tokens that expire: `--bearer-command` and OAuth2 client credentials
//! against local scripted servers — a token endpoint that issues short-lived
//! tokens and an SSE server that answers 401 to expired ones. A long run
//! stays connected without losing an event or looping on 401s; a failing
//! command or a token endpoint that is down is one line and the usual
//! backoff; and no token ssetap learns is ever written anywhere.

#[path = "auth/child.rs"]
mod child;
mod common;
#[path = "auth/jwt.rs"]
mod jwt;

use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Tokens issued so far, with when.
type Issued = Arc<Mutex<Vec<(String, Instant)>>>;

const CLIENT_ID: &str = "client-1";
/// Has a character that form encoding changes, as RFC 6749 §2.3.1 asks.
const CLIENT_SECRET: &str = "sec+ret-Val9";

/// base64 of "client-1:sec%2Bret-Val9", the client's HTTP Basic.
fn client_basic() -> String {
    let pair = format!("{CLIENT_ID}:{}", CLIENT_SECRET.replace('+', "%2B"));
    base64(pair.as_bytes())
}

fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in input.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A token endpoint issuing tokens that live `life` seconds, to the one
/// client it knows.
fn token_endpoint(life: u64) -> (Server, Issued) {
    let issued: Issued = Arc::default();
    let record = Arc::clone(&issued);
    let server = Server::start(move |n, req| {
        let body = String::from_utf8_lossy(&req.body).to_string();
        let basic = format!("Basic {}", client_basic());
        if req.method != "POST"
            || req.header("authorization") != Some(basic.as_str())
            || !body.contains("grant_type=client_credentials")
        {
            return Reply::status(
                401,
                &[("Content-Type", "application/json")],
                r#"{"error":"invalid_client","error_description":"who are you"}"#,
            );
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let token = format!("Tk{n}x{nanos}Z");
        record.lock().unwrap().push((token.clone(), Instant::now()));
        let json =
            format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{life}}}"#);
        Reply::status(200, &[("Content-Type", "application/json")], &json)
    });
    (server, issued)
}

/// The bearer token of a request.
fn bearer(req: &Request) -> &str {
    req.header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
}

/// A stream of three events that continues from the request's
/// Last-Event-ID (ids count up from 1) and then ends after ~0.9 s.
fn three_more(req: &Request) -> Reply {
    let last: u64 = req
        .header("last-event-id")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut reply = Reply::sse();
    for i in last + 1..=last + 3 {
        let id = i.to_string();
        reply = reply
            .body(event(None, Some(&id), &format!("e{i}")))
            .pause(Duration::from_millis(300));
    }
    reply
}

/// The ids of the events written, in order.
fn ids(out: &Out) -> Vec<u64> {
    out.json()
        .iter()
        .map(|e| e["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0))
        .collect()
}

#[test]
fn oauth2_tokens_of_one_second_keep_a_ten_second_run_connected() {
    let (tokens, issued) = token_endpoint(1);
    let valid = Arc::clone(&issued);
    let fresh = move |req: &Request| {
        let t = bearer(req);
        valid
            .lock()
            .unwrap()
            .iter()
            .any(|(tok, at)| tok == t && at.elapsed() < Duration::from_secs(1))
    };
    let sse = Server::start(move |_, req| {
        if fresh(req) {
            three_more(req)
        } else {
            Reply::status(401, &[], "expired")
        }
    });
    let out = ssetap(&[
        &sse.url(),
        "--oauth2-token-url",
        &tokens.url_for("/token"),
        "--oauth2-client-id",
        CLIENT_ID,
        "--oauth2-scope",
        "read stream",
        "--duration",
        "10s",
        "--retry",
        "200ms",
    ])
    .env("SSETAP_OAUTH2_CLIENT_SECRET", CLIENT_SECRET)
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let out = Out {
        code: out.status.code(),
        stdout: out.stdout,
        stderr,
        elapsed: Duration::ZERO,
    };
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // No event lost or repeated: ids 1..=n in order, across reconnects.
    let ids = ids(&out);
    assert!(ids.len() >= 9, "too few events: {ids:?}\n{}", out.stderr);
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    let sse_requests = sse.requests().len();
    let token_requests = tokens.requests().len();
    // Every stream needed a new token (each outlives one), fetched before
    // the send, not after a 401; no loop of either.
    assert!(
        (3..=14).contains(&sse_requests),
        "{sse_requests} SSE requests"
    );
    assert!(
        token_requests <= sse_requests + 1,
        "{token_requests} token requests"
    );
    assert!(token_requests >= 3, "{token_requests} token requests");
    let unauthorized = sse
        .requests()
        .iter()
        .filter(|r| !issued.lock().unwrap().iter().any(|(t, _)| t == bearer(r)))
        .count();
    assert_eq!(unauthorized, 0, "a request without an issued token");
    // A request may race its token's expiry, rarely.
    let stale = sse
        .requests()
        .iter()
        .filter(|r| {
            let issued = issued.lock().unwrap();
            let at = issued
                .iter()
                .find(|(t, _)| t == bearer(r))
                .map(|(_, at)| *at);
            at.is_none_or(|at| r.at.duration_since(at) >= Duration::from_secs(1))
        })
        .count();
    eprintln!(
        "10 s run: {} events, {sse_requests} SSE requests, {token_requests} token requests, {stale} stale",
        ids.len()
    );
    assert!(stale <= 2, "{stale} answered 401: a loop?\n{}", out.stderr);
    let t = &tokens.requests()[0];
    assert!(String::from_utf8_lossy(&t.body).contains("scope=read+stream"));
    assert_eq!(
        t.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[test]
fn a_401_fetches_a_new_token_and_sends_again_at_once_but_only_once() {
    let (tokens, _) = token_endpoint(3600);
    // The first token is refused (revoked, say); the second works.
    let sse = Server::start(|n, req| match n {
        0 => Reply::status(401, &[], "revoked"),
        _ if bearer(req).is_empty() => Reply::status(400, &[], "no token"),
        _ => Reply::sse().body(event(None, Some("1"), "ok")),
    });
    let out = ssetap(&[
        &sse.url(),
        "--oauth2-token-url",
        &tokens.url_for("/token"),
        "--oauth2-client-id",
        CLIENT_ID,
        "--max-events",
        "1",
    ])
    .env("SSETAP_OAUTH2_CLIENT_SECRET", CLIENT_SECRET)
    .output()
    .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let reqs = sse.requests();
    assert_eq!(reqs.len(), 2);
    assert_ne!(
        bearer(&reqs[0]),
        bearer(&reqs[1]),
        "a new token after the 401"
    );
    // Sent again at once: only the 1 s between token fetches, no backoff.
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap < Duration::from_millis(2500), "{gap:?}");
    assert_eq!(tokens.requests().len(), 2);

    // A server that refuses every token: one immediate retry, then backoff.
    let (tokens, _) = token_endpoint(3600);
    let sse = Server::start(|_, _| Reply::status(401, &[], "no"));
    let out = ssetap(&[
        &sse.url(),
        "--oauth2-token-url",
        &tokens.url_for("/token"),
        "--oauth2-client-id",
        CLIENT_ID,
        "--duration",
        "4s",
        "--retry",
        "500ms",
    ])
    .env("SSETAP_OAUTH2_CLIENT_SECRET", CLIENT_SECRET)
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let n = sse.requests().len();
    assert!((2..=7).contains(&n), "{n} requests in 4 s:\n{stderr}");
    assert!(tokens.requests().len() <= n + 1);
    assert!(
        stderr.contains("HTTP 401 Unauthorized, also with a new token"),
        "{stderr}"
    );
}

#[test]
fn a_failing_bearer_command_is_one_line_and_backs_off() {
    let sse = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    let dir = Scratch::new("auth-failing");
    let runs = dir.path("runs");
    let cmd = format!(
        "echo run >> {}; echo 'vault: permission denied' >&2; echo 'more detail' >&2; exit 1",
        runs.display()
    );
    let out = run(&[
        &sse.url(),
        "--bearer-command",
        &cmd,
        "--duration",
        "4s",
        "--retry",
        "100ms",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let line = "--bearer-command failed (exit 1): vault: permission denied";
    assert!(out.stderr.contains(line), "{}", out.stderr);
    assert!(!out.stderr.contains("more detail"), "{}", out.stderr);
    assert!(
        out.stderr
            .lines()
            .all(|l| !l.contains(line) || l.starts_with("ssetap: "))
    );
    // At most one run a second, and the backoff on top: no hammering.
    let n = std::fs::read_to_string(&runs)
        .unwrap_or_default()
        .lines()
        .count();
    assert!((2..=5).contains(&n), "the command ran {n} times in 4 s");
    assert!(sse.requests().is_empty(), "sent without a token");

    // Garbage on stdout is refused, not sent; --max-retries gives up.
    for (cmd, says) in [
        (
            "echo '{\"token\": \"x\"}'",
            "unusable token (more than one word",
        ),
        ("true", "printed an unusable token (empty"),
        ("head -c 100000 /dev/zero | tr '\\0' a", "more than 64 KiB"),
        // Not a failure of the request, ending the run: a token source
        // that prints what no header can carry backs off like the rest.
        ("echo tokén", "(a character a header cannot carry"),
    ] {
        let out = run(&[&sse.url(), "--bearer-command", cmd, "--max-retries", "0"]);
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        assert!(out.stderr.contains(says), "{cmd}: {}", out.stderr);
        assert!(!out.stderr.contains("aaaaaaaa"), "the output is not echoed");
    }
    assert!(sse.requests().is_empty());
}

#[test]
fn a_token_endpoint_that_is_down_is_one_line_and_backs_off() {
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sse = Server::start(|_, _| Reply::sse());
    let token_url = format!("http://127.0.0.1:{refused}/token");
    let out = ssetap(&[
        &sse.url(),
        "--oauth2-token-url",
        &token_url,
        "--oauth2-client-id",
        CLIENT_ID,
        "--duration",
        "4s",
        "--retry",
        "100ms",
    ])
    .env("SSETAP_OAUTH2_CLIENT_SECRET", CLIENT_SECRET)
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let attempts = stderr
        .lines()
        .filter(|l| l.contains(&format!("--oauth2-token-url {token_url}: ")))
        .count();
    assert!(
        (2..=6).contains(&attempts),
        "{attempts} attempts:\n{stderr}"
    );
    assert!(stderr.contains("reconnecting in"), "{stderr}");
    assert!(sse.requests().is_empty());

    // A wrong client secret: the endpoint's own words, on one line.
    let (tokens, _) = token_endpoint(60);
    let out = ssetap(&[
        &sse.url(),
        "--oauth2-token-url",
        &tokens.url_for("/token"),
        "--oauth2-client-id",
        CLIENT_ID,
        "--max-retries",
        "0",
    ])
    .env("SSETAP_OAUTH2_CLIENT_SECRET", "wrong-secret")
    .output()
    .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("HTTP 401: invalid_client (who are you)"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-secret"), "{stderr}");
}

#[test]
fn no_token_is_ever_written_nor_on_the_command_line() {
    let dir = Scratch::new("auth-sweep");
    for log_format in ["text", "json"] {
        let (tokens, issued) = token_endpoint(3600);
        // Every path that writes something: a 401 (retried), a stream, a
        // 500 and a fatal 403 that both echo the token in their body.
        let sse = Server::start(|n, req| {
            let echo = format!("bad token {}", bearer(req));
            match n {
                0 => Reply::status(401, &[], &echo),
                1 => Reply::sse().body(event(None, Some("1"), "a")),
                2 => Reply::status(500, &[], &echo),
                3 => Reply::sse().body(event(None, Some("2"), "b")),
                _ => Reply::status(403, &[], &echo),
            }
        });
        let state = dir.path(&format!("{log_format}.json"));
        let st = state.to_str().unwrap();
        let mut cmd = ssetap(&[
            &sse.url(),
            "--oauth2-token-url",
            &tokens.url_for("/token"),
            "--oauth2-client-id",
            CLIENT_ID,
            "-v",
            "--stats",
            "--log-format",
            log_format,
            "--retry",
            "10ms",
            "--state-file",
            st,
        ]);
        cmd.env("SSETAP_OAUTH2_CLIENT_SECRET", CLIENT_SECRET);
        let r = Running::start(cmd);
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", r.pid())).unwrap_or_default();
        let out = r.finish(run::LIMIT);
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        assert!(out.stderr.contains("HTTP 403"), "{}", out.stderr);
        let state = std::fs::read_to_string(&state).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        let mut secrets: Vec<String> = issued
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect();
        assert!(secrets.len() >= 2, "tokens were fetched again");
        secrets.push(CLIENT_SECRET.to_string());
        secrets.push(client_basic());
        for s in &secrets {
            assert!(
                !out.stderr.contains(s.as_str()),
                "{s} on stderr:\n{}",
                out.stderr
            );
            assert!(!out.stdout().contains(s.as_str()), "{s} on stdout");
            assert!(!state.contains(s.as_str()), "{s} in the state file");
            assert!(!cmdline.contains(s.as_str()), "{s} in the command line");
        }
        assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
    }

    // The same with a token command.
    let sse = Server::start(|n, req| {
        let echo = format!("bad token {}", bearer(req));
        match n {
            0 => Reply::sse().body(event(None, Some("1"), "a")),
            _ => Reply::status(403, &[], &echo),
        }
    });
    let out = run(&[
        &sse.url(),
        "--bearer-command",
        "echo CmdTok-77q",
        "-v",
        "--stats",
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(!out.stderr.contains("CmdTok-77q"), "{}", out.stderr);
    assert_eq!(bearer(&sse.requests()[0]), "CmdTok-77q");
}

#[test]
fn the_token_endpoint_gets_the_streams_tls_settings() {
    let dir = Scratch::new("auth-tls");
    let (ca, cert, key) = make_certs(&dir);
    // It answers with an event stream, not JSON: reaching that complaint
    // means the TLS handshake with --cacert worked.
    let token_url = tls_server(&cert, &key).replace("/stream", "/token");
    let sse = Server::start(|_, _| Reply::sse());
    let ca = ca.display().to_string();
    for (extra, says) in [
        (&["--cacert", ca.as_str()][..], "not a JSON object"),
        (&[], "certificate"),
    ] {
        let mut args = vec![
            sse.url(),
            "--oauth2-token-url".into(),
            token_url.clone(),
            "--oauth2-client-id".into(),
            CLIENT_ID.into(),
            "--max-retries".into(),
            "0".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = ssetap(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .env("SSETAP_OAUTH2_CLIENT_SECRET", CLIENT_SECRET)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(says), "{extra:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(sse.requests().is_empty());
}
