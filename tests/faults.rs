//! Hostile servers and broken networks: slow drips, resets and EOF mid
//! event, endless lines, accept-and-close storms, stalls, damaged gzip and
//! chunked bodies, duplicate replays, Ctrl-C at every blocking point.
//! Redirects, Retry-After dates and TLS live in `tests/hostile.rs`.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// Twenty events mixing ids, multi-line data and all three line endings.
fn mixed_stream() -> Vec<u8> {
    let mut s = String::new();
    for n in 1..=20 {
        let end = ["\n", "\r\n", "\r"][n % 3];
        s.push_str(&format!("id: {n}{end}event: t{}{end}", n % 4));
        s.push_str(&format!("data: line {n}{end}data: more {n}{end}{end}"));
    }
    s.into_bytes()
}

#[test]
fn a_slow_drip_gives_the_same_output_as_a_fast_delivery() {
    // A whole stream, one byte every 50 ms (about 4 s): every line ending,
    // CRLF split across reads, a comment, a multi-line event.
    let stream = b"id: 1\r\ndata: a\r\ndata: b\r\n\r\n: hi\nevent: t\rdata: c\r\rdata: d\n\n";
    let fast = Server::script(vec![Reply::sse().body(stream)]);
    let expected = run(&[&fast.url(), "--no-reconnect", "--comments"]);
    expected.assert_code(0);
    assert_eq!(expected.lines().len(), 4);
    let drip = Reply::sse().drip(stream, Duration::from_millis(50));
    let server = Server::script(vec![drip]);
    let out = run(&[&server.url(), "--no-reconnect", "--comments"]);
    out.assert_code(0);
    assert_eq!(out.stdout(), expected.stdout());
    // And a longer stream with every line ending, a millisecond a byte.
    let bytes = mixed_stream();
    let fast = Server::script(vec![Reply::sse().body(&bytes)]);
    let expected = run(&[&fast.url(), "--no-reconnect"]);
    assert_eq!(expected.lines().len(), 20);
    let server = Server::script(vec![Reply::sse().drip(&bytes, Duration::from_micros(500))]);
    let out = run(&[&server.url(), "--no-reconnect"]);
    assert_eq!(out.stdout(), expected.stdout());
}

#[test]
fn a_reset_or_eof_mid_event_never_emits_the_partial_event() {
    for cut in [Reply::reset as fn(Reply) -> Reply, |r: Reply| r] {
        let first = event(None, Some("1"), "whole") + "id: 2\ndata: partial";
        let server = Server::script(vec![
            cut(Reply::sse().body(first)),
            Reply::sse().body(event(None, Some("2"), "again")),
        ]);
        let out = run(&[&server.url(), "--retry", "10ms", "-n", "2", "-f", "data"]);
        out.assert_code(0);
        assert_eq!(out.stdout(), "whole\nagain\n");
        let reqs = server.requests();
        assert_eq!(reqs[1].header("last-event-id"), Some("1"));
    }
}

fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("status key")
}

/// User + system CPU time of a process, in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0)
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// `--dedup N` keeps the last N IDs, but a server decides how long they
/// are: 150 IDs of 1 MiB each (150 MiB, which `--dedup 1000` kept twice
/// over) leave ssetap near the 64 MiB it keeps of IDs, and recent ones
/// are still dropped as replays.
#[test]
fn long_ids_cannot_make_dedup_keep_more_than_its_budget() {
    let server = Server::start(move |_, _| {
        let mut r = Reply::sse();
        for i in 0..150 {
            // 1 MiB in all: the most an `id` may hold.
            let id = format!("{i:07}{}", "x".repeat((1 << 20) - 7));
            r = r.body(event(None, Some(&id), "n"));
        }
        let last = format!("{:07}{}", 149, "x".repeat((1 << 20) - 7));
        r.body(event(None, Some(&last), "replayed"))
            .body(event(None, Some("end"), "after"))
            .pause(Duration::from_secs(30))
    });
    let r = Running::spawn(&[&server.url(), "--dedup", "1000", "-f", "data"]);
    let mut lines = Vec::new();
    while let Some(line) = r.next_line(Duration::from_secs(60)) {
        let done = line == "after\n";
        lines.push(line);
        if done {
            break;
        }
    }
    let peak = proc_status(r.pid(), "VmHWM:");
    r.signal(libc::SIGINT);
    let out = r.finish(run::LIMIT);
    out.assert_code(130);
    assert_eq!(lines.len(), 151, "{}", out.stderr);
    assert!(!lines.iter().any(|l| l == "replayed\n"), "{}", out.stderr);
    eprintln!("peak RSS {peak} KiB for 150 MiB of IDs, --dedup 1000");
    assert!(peak < 64 * 1024 + 48 * 1024, "peak RSS {peak} KiB");
}

/// Short IDs cost more than their bytes: two million of them, with an N
/// that would keep them all, took 190 MB before what each ID costs was
/// counted. The memory now stays near the 64 MiB budget, and the newest
/// ID is still known.
#[test]
fn a_large_dedup_of_short_ids_stays_within_its_memory() {
    use std::io::Write;
    let mut input = Vec::with_capacity(40 << 20);
    for n in 0..2_000_000u32 {
        let _ = write!(input, "id: {n}\ndata: x\n\n");
    }
    input.extend_from_slice(b"id: 1999999\ndata: replayed\n\nid: end\ndata: end\n\n");
    let mut cmd = ssetap(&["-", "--dedup", "100000000", "-f", "data"]);
    cmd.stdin(std::process::Stdio::piped());
    let mut r = Running::start(cmd);
    let mut stdin = r.take_stdin().expect("stdin");
    // Fed from a thread that keeps stdin open, so the run is still there
    // to be measured when its last event is out.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
        stdin
    });
    let mut lines = 0;
    let mut last = String::new();
    while let Some(line) = r.next_line(Duration::from_secs(120)) {
        lines += 1;
        if line == "end\n" {
            last = line;
            break;
        }
    }
    let peak = proc_status(r.pid(), "VmHWM:");
    drop(feeder.join());
    let out = r.finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(
        (lines, last.as_str()),
        (2_000_001, "end\n"),
        "{}",
        out.stderr
    );
    eprintln!("peak RSS {peak} KiB for 2,000,000 short IDs");
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB");
}

#[test]
fn a_line_that_never_ends_keeps_memory_bounded_and_the_stream_recovers() {
    // 256 MiB without a newline, then one, then a normal event.
    let chunk = vec![b'z'; 1 << 20];
    for prefix in ["data: ", "nonsense-field-name-"] {
        let chunk = chunk.clone();
        let server = Server::start(move |_, _| {
            let mut r = Reply::sse().body(prefix);
            for _ in 0..256 {
                r = r.body(&chunk);
            }
            r.body("\n\n")
                .body(event(None, None, "after"))
                .pause(Duration::from_secs(30))
        });
        let r = Running::spawn(&[&server.url(), "--max-event-size", "4MiB", "-f", "data"]);
        let line = r.next_line(Duration::from_secs(40));
        let peak = proc_status(r.pid(), "VmHWM:");
        r.signal(libc::SIGINT);
        let out = r.finish(run::LIMIT);
        out.assert_code(130);
        assert_eq!(line.as_deref(), Some("after\n"), "{}", out.stderr);
        eprintln!("{prefix:?}: peak RSS {peak} KiB for a 256 MiB line, 4 MiB cap");
        assert!(peak < 4 * 1024 + 20 * 1024, "peak RSS {peak} KiB");
        if prefix == "data: " {
            assert!(out.stderr.contains("dropped"), "{}", out.stderr);
        }
    }
}

#[test]
fn an_accept_and_close_storm_backs_off_without_spinning_or_leaking() {
    let server = Server::start(|_, _| Reply::default());
    // The shortest settings there are: every wait is the 100 ms floor.
    let r = Running::spawn(&[&server.url(), "--retry", "0", "--retry-max", "0", "-q"]);
    let until = |n: usize| {
        let t = Instant::now();
        while server.requests().len() < n {
            assert!(
                t.elapsed() < Duration::from_secs(40),
                "only {} requests",
                server.requests().len()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    until(10);
    let fds_early = fd_count(r.pid());
    let (cpu0, wall0) = (cpu_ticks(r.pid()), Instant::now());
    until(80);
    let (cpu, wall) = (cpu_ticks(r.pid()) - cpu0, wall0.elapsed());
    let fds_late = fd_count(r.pid());
    r.signal(libc::SIGINT);
    r.finish(run::LIMIT).assert_code(130);
    eprintln!(
        "70 closes: {wall:?} wall, {} ms CPU, fds {fds_early} -> {fds_late}",
        cpu * 10
    );
    assert!(
        fds_late <= fds_early + 1,
        "fd leak: {fds_early} -> {fds_late}"
    );
    // Mostly asleep in the backoff: CPU well under the wall time.
    assert!(
        (cpu * 10) as u128 <= wall.as_millis() / 2 + 50,
        "busy: {cpu} ticks in {wall:?}"
    );
    // No gap is below the 100 ms floor, jitter or not.
    let reqs = server.requests();
    let gaps: Vec<Duration> = reqs[..80].windows(2).map(|w| w[1].at - w[0].at).collect();
    let min = gaps.iter().min().copied().unwrap_or_default();
    assert!(
        min >= Duration::from_millis(95),
        "gap {min:?} below the floor"
    );
}

#[test]
fn backoff_doubles_with_jitter_up_to_the_maximum() {
    let server = Server::start(|_, _| Reply::status(500, &[], ""));
    let out = run(&[
        &server.url(),
        "--retry",
        "400ms",
        "--retry-max",
        "1600ms",
        "--max-retries",
        "4",
    ]);
    out.assert_code(1);
    let reqs = server.requests();
    let gaps: Vec<u128> = reqs
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_millis())
        .collect();
    eprintln!("backoff gaps (ms): {gaps:?}");
    // 400, 800, 1600, 1600 less up to 25 % jitter (not the first). The
    // floor (100 ms, doubling with each failure: 200, 400, 800 ms here)
    // stays below, so it does not lift the jitter away. The gaps are
    // measured where the server receives each request, so a loaded machine
    // that is late with one request shortens the next gap: 100 ms of slack
    // for that, which still tells each doubling from the one before.
    let nominal = [400, 800, 1600, 1600];
    assert_eq!(gaps.len(), nominal.len(), "{gaps:?}");
    for (g, n) in gaps.iter().zip(nominal) {
        assert!(
            *g + 100 >= n * 3 / 4,
            "gap {g} ms for nominal {n}: {gaps:?}"
        );
        assert!(*g < n + 1000, "gap {g} ms for nominal {n}: {gaps:?}");
    }
    // Without jitter each gap would be its nominal or a little more. With
    // it, the chance that all three stay within 10 ms (plus a few of
    // timing) of theirs is about 1 in 10,000.
    assert!(
        gaps[1..]
            .iter()
            .zip(&nominal[1..])
            .any(|(g, n)| g + 10 < *n),
        "no jitter: {gaps:?}"
    );
}

#[test]
fn a_server_that_never_sends_a_byte_or_stalls_mid_event_hits_the_idle_timeout() {
    for first in [Reply::sse().hold(), Reply::sse().body("data: half").hold()] {
        let server = Server::script(vec![first, Reply::sse().body(event(None, None, "ok"))]);
        let out = run(&[
            &server.url(),
            "--idle-timeout",
            "1s",
            "--retry",
            "10ms",
            "-n",
            "1",
        ]);
        out.assert_code(0);
        assert_eq!(
            out.json()[0]["data"],
            "ok",
            "the half event is never emitted"
        );
        assert_eq!(server.requests().len(), 2);
        assert!(out.stderr.contains("idle-timeout"), "{}", out.stderr);
    }
}

#[test]
fn damaged_bodies_are_reported_and_reconnected_never_a_panic() {
    let good = event(None, Some("1"), "before");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, good.as_bytes()).expect("gzip");
    let whole = gz.finish().expect("gzip");
    let mut corrupt = whole.clone();
    let len = corrupt.len();
    corrupt[len - 12..len - 4].copy_from_slice(b"GARBAGE!");
    let gzip_head = || {
        Reply::head(
            200,
            &[
                ("Content-Type", "text/event-stream"),
                ("Content-Encoding", "gzip"),
            ],
        )
    };
    let sse_len = |n: usize| {
        Reply::head(
            200,
            &[
                ("Content-Type", "text/event-stream"),
                ("Content-Length", &n.to_string()),
            ],
        )
    };
    let chunked = || {
        Reply::head(
            200,
            &[
                ("Content-Type", "text/event-stream"),
                ("Transfer-Encoding", "chunked"),
            ],
        )
    };
    let chunk = format!("{:x}\r\n{good}\r\n", good.len());
    let cases = vec![
        ("corrupt gzip", gzip_head().body(&corrupt)),
        (
            "truncated gzip",
            gzip_head().body(&whole[..whole.len() - 6]),
        ),
        (
            "gzip garbage",
            gzip_head().body(b"this is not gzip at all\n\n"),
        ),
        ("short content-length", sse_len(good.len() + 10).body(&good)),
        (
            "bad chunk size",
            chunked().body(&chunk).body("zz\r\nxx\r\n"),
        ),
        (
            "truncated chunk",
            chunked().body(&chunk).body("40\r\ndata: cut"),
        ),
    ];
    for (name, reply) in cases {
        let server = Server::script(vec![
            reply,
            Reply::sse().body(event(None, Some("2"), "after")),
        ]);
        let out = run(&[
            &server.url(),
            "--retry",
            "10ms",
            "-f",
            "data",
            "--max-retries",
            "1",
        ]);
        assert!(!out.stderr.contains("panicked"), "{name}: {}", out.stderr);
        let lines = out.lines();
        assert_eq!(
            lines.last().map(String::as_str),
            Some("after"),
            "{name}: {}",
            out.stderr
        );
        assert!(lines.len() <= 2, "{name}: {lines:?}");
        out.assert_code(1);
        assert_eq!(server.requests().len(), 2, "{name}: reconnected once");
        assert!(
            out.stderr.contains("reconnecting"),
            "{name}: {}",
            out.stderr
        );
    }
}

#[test]
fn dedup_drops_replayed_ids_but_never_inherited_ones() {
    let first =
        event(None, Some("a"), "1") + &event(None, Some("b"), "2") + &event(None, None, "3");
    let replay = event(None, Some("a"), "1")
        + &event(None, Some("b"), "2")
        + &event(None, None, "3b")
        + &event(None, Some("c"), "4");
    let script = || Server::script(vec![Reply::sse().body(&first), Reply::sse().body(&replay)]);
    let server = script();
    let out = run(&[
        &server.url(),
        "--retry",
        "10ms",
        "-n",
        "5",
        "-f",
        "data",
        "--dedup",
        "100",
    ]);
    out.assert_code(0);
    assert_eq!(out.stdout(), "1\n2\n3\n3b\n4\n");
    let server = script();
    let out = run(&[&server.url(), "--retry", "10ms", "-n", "7", "-f", "data"]);
    out.assert_code(0);
    assert_eq!(out.stdout(), "1\n2\n3\n1\n2\n3b\n4\n");
}

/// Send SIGINT once `ready` says so; check exit 130 within 2 s, print the
/// latency, and return the output.
fn interrupt(r: Running, what: &str) -> Out {
    std::thread::sleep(Duration::from_millis(300));
    let sent = Instant::now();
    r.signal(libc::SIGINT);
    let out = r.finish(run::LIMIT);
    let took = sent.elapsed();
    eprintln!("SIGINT during {what}: exit after {took:?}");
    out.assert_code(130);
    assert!(took < Duration::from_secs(2), "{what}: {took:?}");
    out
}

#[test]
fn ctrl_c_during_the_backoff_sleep_exits_at_once_with_state_saved() {
    let dir = Scratch::new("ctrlc-backoff");
    let state = dir.path("s");
    let server = Server::script(vec![Reply::sse().body(event(None, Some("41"), "x"))]);
    let r = Running::spawn(&[
        &server.url(),
        "--retry",
        "60s",
        "--state-file",
        state.to_str().unwrap(),
    ]);
    let line = r.next_line(Duration::from_secs(20));
    assert!(line.is_some_and(|l| l.contains("\"x\"")));
    let out = interrupt(r, "the backoff sleep");
    assert_eq!(out.lines().len(), 1);
    let saved = std::fs::read_to_string(&state).expect("state");
    assert_eq!(saved.trim(), r#"{"last_event_id":"41"}"#);
}

#[test]
fn ctrl_c_while_waiting_for_the_response_exits_at_once() {
    // Accepted, request read, never answered.
    let server = Server::script(vec![Reply::default().hold()]);
    let r = Running::spawn(&[&server.url()]);
    let t = Instant::now();
    while server.requests().is_empty() && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    interrupt(r, "the wait for a response");
}

#[test]
fn ctrl_c_during_a_tcp_connect_exits_at_once() {
    // A listener that never accepts, with its backlog filled: connects hang.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut fill = Vec::new();
    for _ in 0..64 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            Ok(s) => fill.push(s),
            Err(_) => break,
        }
    }
    let url = format!("http://{addr}/stream");
    let r = Running::spawn(&[&url, "--connect-timeout", "60s"]);
    interrupt(
        r,
        "a TCP connect (or the response wait, if the backlog took it)",
    );
    drop(listener);
}
