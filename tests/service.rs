//! Running as a service, against the built binary: `/metrics`
//! checked by the Prometheus client's own parser and against the final
//! `--stats`, `ssetap_connected` across a drop, `/healthz` 200 then 503,
//! systemd notifications on a test-owned datagram socket, `--log-format
//! json`, the systemd unit, the idle CPU of a quiet stream, and the HTTP
//! the endpoint speaks (keep-alive, pipelining, HEAD, 404/405/400:
//! `service/metrics_http.rs`), `/healthz` on a main loop stuck on its
//! output (`service/stall.rs`). Abuse of the endpoint is
//! tests/metrics_abuse.rs.

mod common;
#[path = "service/metrics_http.rs"]
mod metrics_http;
#[path = "service/stall.rs"]
mod stall;
#[path = "service/stderr.rs"]
mod stderr;
#[path = "service/waits.rs"]
mod waits;

use common::probe::free_port;
use common::{Reply, Running, Scratch, Server, event, ssetap};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// GET a path; (status, body), or None while nothing answers.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// The scrape parsed by prometheus_client: sample name → value.
fn parse_metrics(text: &str) -> serde_json::Map<String, Value> {
    let helper = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/helpers/prom_text.py");
    let mut child = Command::new("python3")
        .arg(helper)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (the test helper needs it, with prometheus_client)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("helper");
    assert!(
        out.status.success(),
        "prometheus_client refused the scrape: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("helper JSON");
    v["samples"].as_object().expect("samples").clone()
}

/// Scrape until `ok` holds for the parsed samples (at most 10 s).
fn scrape_until(
    port: u16,
    what: &str,
    ok: impl Fn(&serde_json::Map<String, Value>) -> bool,
) -> serde_json::Map<String, Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some((200, body)) = get(port, "/metrics") {
            let m = parse_metrics(&body);
            if ok(&m) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: never; last scrape {m:?}"
            );
        }
        assert!(Instant::now() < deadline, "{what}: /metrics never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// End a run (their --duration is only a safety net): SIGTERM, and the
/// orderly end it asks for.
fn stop(run: Running) -> common::Out {
    run.signal(libc::SIGTERM);
    let out = run.finish(common::run::LIMIT);
    out.assert_code(143);
    out
}

/// A run on a stream that sends one event and holds, serving `--metrics`
/// on the port returned, once it reports itself connected (keep the
/// server until the run ends).
fn connected_with_metrics() -> (Server, Running, u16) {
    let server = Server::script(vec![Reply::sse().body(event(None, None, "a")).hold()]);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let url = server.url();
    let run = Running::spawn(&[&url, "--metrics", &addr, "--duration", "60s", "-q"]);
    scrape_until(port, "connected", |m| connected(m) == 1.0);
    (server, run, port)
}

fn num(m: &serde_json::Map<String, Value>, name: &str) -> f64 {
    m.get(name)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{name} missing in {m:?}"))
}

fn connected(m: &serde_json::Map<String, Value>) -> f64 {
    num(m, "ssetap_connected")
}

#[test]
fn metrics_parse_and_agree_with_the_final_stats() {
    let mut body = String::from(": hello\n\n");
    for i in 0..5 {
        body.push_str(&event(Some("keep"), Some(&i.to_string()), "x"));
    }
    body.push_str(&event(Some("skip"), Some("9"), "y"));
    body.push_str(&event(Some("keep"), Some("1"), "again"));
    let server = Server::script(vec![Reply::sse().body(body).hold()]);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let url = server.url();
    let run = Running::spawn(&[
        &url,
        "--metrics",
        &addr,
        "-e",
        "keep",
        "--dedup",
        "10",
        "--stats",
        "--duration",
        "60s",
    ]);
    let m = scrape_until(port, "five events", |m| {
        m.get("ssetap_events_total").and_then(Value::as_f64) == Some(5.0)
    });
    let out = stop(run);
    let stats = out.stats();
    for (metric, key) in [
        ("ssetap_events_total", "events"),
        ("ssetap_bytes_total", "bytes"),
        ("ssetap_comments_total", "comments"),
        ("ssetap_filtered_total", "filtered"),
        ("ssetap_dropped_total", "dropped"),
        ("ssetap_duplicates_total", "duplicates"),
        ("ssetap_reconnects_total", "reconnects"),
    ] {
        assert_eq!(num(&m, metric), stats[key].as_f64().unwrap(), "{metric}");
    }
    assert_eq!(num(&m, "ssetap_filtered_total"), 1.0);
    assert_eq!(num(&m, "ssetap_duplicates_total"), 1.0);
    assert_eq!(connected(&m), 1.0);
    assert_eq!(num(&m, "ssetap_retry_seconds"), 3.0);
    let last = num(&m, "ssetap_last_event_timestamp_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(last > now - 60.0 && last <= now + 1.0, "{last} vs {now}");
    let version = format!(
        "ssetap_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(num(&m, &version), 1.0);
}

#[test]
fn connected_follows_a_server_that_drops_and_comes_back() {
    let server = Server::script(vec![
        Reply::sse()
            .body(event(None, Some("1"), "a"))
            .pause(Duration::from_millis(1500)),
        Reply::sse().body(event(None, Some("2"), "b")).hold(),
    ]);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let url = server.url();
    let run = Running::spawn(&[
        &url,
        "--metrics",
        &addr,
        "--retry",
        "1s",
        "--duration",
        "60s",
        "-q",
    ]);
    scrape_until(port, "connected", |m| connected(m) == 1.0);
    scrape_until(port, "disconnected", |m| connected(m) == 0.0);
    let back = scrape_until(port, "connected again", |m| connected(m) == 1.0);
    assert_eq!(num(&back, "ssetap_reconnects_total"), 1.0);
    scrape_until(port, "second event", |m| {
        num(m, "ssetap_events_total") == 2.0
    });
    stop(run);
}

#[test]
fn healthz_is_200_while_connected_and_503_once_refused_too_long() {
    let server = Server::script(vec![Reply::sse().body(event(None, None, "a")).hold()]);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let url = server.url();
    let run = Running::spawn(&[
        &url,
        "--metrics",
        &addr,
        "--retry",
        "200ms",
        "--retry-max",
        "1s",
        "--duration",
        "60s",
        "-q",
    ]);
    scrape_until(port, "connected", |m| connected(m) == 1.0);
    assert_eq!(get(port, "/healthz").map(|(s, _)| s), Some(200));
    // The server goes away: every reconnect is refused.
    drop(server);
    let dropped = Instant::now();
    scrape_until(port, "disconnected", |m| connected(m) == 0.0);
    let (status, line) = get(port, "/healthz").expect("healthz");
    if dropped.elapsed() < Duration::from_millis(1500) {
        assert_eq!(status, 200, "within twice --retry-max: {line}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let (status, line) = loop {
        let (status, line) = get(port, "/healthz").expect("healthz");
        if status == 503 || Instant::now() > deadline {
            break (status, line);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, 503, "{line}");
    // Twice --retry-max is 2 s; the least tolerance is 10 s.
    assert!(dropped.elapsed() >= Duration::from_secs(10), "{line}");
    assert_eq!(line.trim_end().lines().count(), 1, "{line:?}");
    assert!(line.contains("twice --retry-max"), "{line}");
    assert!(line.to_lowercase().contains("refused"), "{line}");
    stop(run);
}

#[test]
fn metrics_address_errors() {
    let bad = common::run(&["-", "--metrics", "9464"]);
    bad.assert_code(2);
    assert!(bad.stderr.contains("--metrics"), "{}", bad.stderr);
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = common::run_with_stdin(&["-", "--metrics", &addr], b"data: x\n\n");
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("cannot listen on"), "{}", out.stderr);
}

#[test]
fn systemd_hears_ready_watchdog_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let dir = Scratch::new("notify");
    let path = dir.path("notify.sock");
    let sock = UnixDatagram::bind(&path).expect("bind datagram socket");
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    // A quiet stream: one event, then nothing for the rest of the run.
    let server = Server::script(vec![Reply::sse().body(event(None, None, "a")).hold()]);
    let url = server.url();
    let mut cmd = ssetap(&[&url, "--duration", "3500ms", "-q"]);
    cmd.env("NOTIFY_SOCKET", &path);
    let run = Running::start(cmd);
    let mut messages = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        if let Ok(n) = sock.recv(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let stop = text.contains("STOPPING=1");
            messages.push(text);
            if stop {
                break;
            }
        }
    }
    run.finish(common::run::LIMIT).assert_code(0);
    assert!(
        messages.first().is_some_and(|m| m.contains("READY=1")),
        "{messages:?}"
    );
    let watchdogs = messages.iter().filter(|m| m.contains("WATCHDOG=1")).count();
    assert!(
        watchdogs >= 2,
        "a quiet stream still pets the watchdog: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("STATUS=connected; 1 event")),
        "{messages:?}"
    );
    assert!(
        messages.last().is_some_and(|m| m.contains("STOPPING=1")),
        "{messages:?}"
    );
}

/// A notification socket nobody reads (a busy manager, or one bound by
/// someone else) must not park the data path: with its queue already
/// full, READY=1 and every WATCHDOG=1 are dropped, and the run goes on.
#[test]
fn a_notify_socket_nobody_reads_does_not_stall_the_run() {
    use std::os::unix::net::UnixDatagram;
    let dir = Scratch::new("deaf-notify");
    let path = dir.path("deaf.sock");
    let _deaf = UnixDatagram::bind(&path).expect("bind datagram socket");
    let filler = UnixDatagram::unbound().expect("socket");
    filler.set_nonblocking(true).expect("nonblocking");
    while filler.send_to(b"x", &path).is_ok() {}
    let events: String = (0..50).map(|n| format!("data: {n}\n\n")).collect();
    let file = dir.write("e.sse", events);
    let mut cmd = ssetap(&[file.to_str().unwrap_or_default(), "-f", "data"]);
    cmd.env("NOTIFY_SOCKET", &path);
    let out = Running::start(cmd).finish(Duration::from_secs(20));
    out.assert_code(0);
    assert_eq!(out.lines().len(), 50);
}

#[test]
fn json_log_lines_parse_and_hold_no_secret() {
    let secret = "s3cr3t-T0ken";
    let server = Server::script(vec![
        Reply::status(503, &[], ""),
        Reply::sse().body(event(None, Some("1"), "a")),
    ]);
    let url = server.url();
    let out = common::run(&[
        &url,
        "--bearer",
        secret,
        "-v",
        "--retry",
        "100ms",
        "--max-events",
        "1",
        "--stats",
        "--stats-interval",
        "1s",
        "--log-format",
        "json",
    ]);
    out.assert_code(0);
    assert!(!out.stderr.contains(secret), "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(lines.len() >= 4, "{}", out.stderr);
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for key in ["time", "level", "msg"] {
            assert!(v[key].is_string(), "{key} in {line}");
        }
    }
    assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
    let stats: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(stats["msg"], "stats");
    assert_eq!(stats["stats"]["events"], 1);
    // A usage error is a JSON line too.
    let bad = common::run(&["--log-format", "json", "--no-such-flag", "-"]);
    bad.assert_code(2);
    let v: Value = serde_json::from_str(bad.stderr.trim()).expect("one JSON line");
    assert_eq!(v["level"], "error");
}

#[test]
fn systemd_unit_verifies() {
    let have = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("skipped: no systemd-analyze here");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("contrib/systemd/ssetap@.service"))
        .expect("the unit file");
    // Point ExecStart at the built binary: verify checks that it exists.
    assert!(unit.contains("\nExecStart=ssetap "), "{unit}");
    let unit = unit.replace(
        "\nExecStart=ssetap ",
        &format!("\nExecStart={} ", env!("CARGO_BIN_EXE_ssetap")),
    );
    let dir = Scratch::new("unit");
    let path = dir.write("ssetap@test.service", unit);
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze");
    let err = String::from_utf8_lossy(&out.stderr);
    // It exits 0 on unknown keys too; what it says about our file counts.
    let ours: Vec<&str> = err.lines().filter(|l| l.contains("ssetap@test")).collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify: {err}"
    );
}

#[test]
fn reads_wake_each_second_without_losing_the_stream_over_tls() {
    // A quiet spell of 2.5 s is two or three read timeouts (the one-second
    // wake-ups); the stream goes on over the same TLS connection.
    let dir = Scratch::new("wake-tls");
    let (ca, cert, key) = common::make_certs(&dir);
    let url = common::tls_server_paced(&cert, &key, Some(Duration::from_millis(2500)));
    // Our connector chain (--cacert) and ureq's own (--insecure).
    let ca = ca.to_str().unwrap();
    for trust in [["--cacert", ca], ["--insecure", "-q"]] {
        let out = common::run(&[
            &url,
            trust[0],
            trust[1],
            "--no-reconnect",
            "--idle-timeout",
            "10s",
            "--stats-interval",
            "1s",
        ]);
        out.assert_code(0);
        let data: Vec<Value> = out.json().iter().map(|v| v["data"].clone()).collect();
        assert_eq!(data, ["secure", "late"], "{}", out.stderr);
        assert_eq!(out.stats()["reconnects"], 0);
        // Stats lines during the quiet spell: the main loop woke up.
        let lines = out.stderr.lines().filter(|l| l.starts_with('{')).count();
        assert!(lines >= 3, "{trust:?}: {}", out.stderr);
    }
}

/// CPU seconds a process has used: the scheduler's run time of each of
/// its threads where the kernel shows it (precise), else user + system
/// time from /proc/PID/stat (counted in clock ticks).
fn cpu_seconds(pid: u32) -> f64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc tasks");
    let mut ms = 0.0;
    let mut precise = false;
    for task in tasks.flatten() {
        let sched = std::fs::read_to_string(task.path().join("sched")).unwrap_or_default();
        if let Some(line) = sched.lines().find(|l| l.starts_with("se.sum_exec_runtime")) {
            precise = true;
            ms += line
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
        }
    }
    if precise {
        return ms / 1000.0;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / hz
}

#[test]
fn a_quiet_stream_with_metrics_costs_under_half_a_percent_of_a_core() {
    let (_server, run, _) = connected_with_metrics();
    std::thread::sleep(Duration::from_millis(500));
    let (t0, c0) = (Instant::now(), cpu_seconds(run.pid()));
    std::thread::sleep(Duration::from_secs(6));
    let share = (cpu_seconds(run.pid()) - c0) / t0.elapsed().as_secs_f64();
    stop(run);
    eprintln!("idle CPU: {:.3}% of a core", share * 100.0);
    assert!(share < 0.005, "idle CPU {:.3}% of a core", share * 100.0);
}
