//! The `--metrics` endpoint against clients that mean harm (issue 26): a
//! thousand idle connections, a 64 MiB request line, a client pipelining
//! 20,000 requests without reading its answers (and one reading them as
//! fast as it can), the descriptor limit reached, and connections that
//! send nothing, all without room for one more thread. After each, `/healthz` must answer within a second, and
//! the process's threads, descriptors and memory must stay bounded. Each
//! test prints its figures (`--nocapture`). The tests take turns (one
//! lock), so that their timings measure ssetap, not each other.

mod common;

use common::probe::{Figures, TaskLimit, free_port, timed_get};
use common::{Reply, Running, Server, event, ssetap};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

static TURN: Mutex<()> = Mutex::new(());

/// How long `/healthz` may take, under any attack.
const PROMPT: Duration = Duration::from_secs(1);
/// At most this many threads, whatever the clients do: main, signals,
/// the stdout watcher, metrics, a connect helper, and room to spare.
const MAX_THREADS: u64 = 8;
/// RSS may grow by less than this during an attack.
const MAX_GROWTH_KIB: u64 = 16 * 1024;

/// ssetap reading a quiet stream, serving `--metrics`.
struct Target {
    run: Running,
    port: u16,
    _stream: Server,
}

impl Target {
    fn start() -> Target {
        Target::start_with(|_| {})
    }

    fn start_with(adjust: impl FnOnce(&mut Command)) -> Target {
        let stream = Server::script(vec![Reply::sse().body(event(None, None, "a")).hold()]);
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = ssetap(&[
            &stream.url(),
            "--metrics",
            &addr,
            "--duration",
            "120s",
            "-q",
        ]);
        adjust(&mut cmd);
        let run = Running::start(cmd);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(timed_get(port, "/healthz", PROMPT), Ok((200, _))) {
            assert!(Instant::now() < deadline, "/healthz never answered 200");
            std::thread::sleep(Duration::from_millis(50));
        }
        Target {
            run,
            port,
            _stream: stream,
        }
    }

    fn figures(&self) -> Figures {
        Figures::of(self.run.pid())
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `/healthz` answers 200 within `PROMPT`; returns how long it took.
    fn healthz(&self, when: &str) -> Duration {
        match timed_get(self.port, "/healthz", PROMPT) {
            Ok((200, took)) if took < PROMPT => took,
            other => panic!("/healthz {when}: {other:?}"),
        }
    }

    /// Threads and RSS growth since `before` within bounds.
    fn assert_bounded(&self, before: Figures, now: Figures, what: &str) {
        assert!(
            now.threads <= MAX_THREADS,
            "{what}: {now} (before: {before})"
        );
        let growth = now.rss_kib.saturating_sub(before.rss_kib);
        assert!(growth < MAX_GROWTH_KIB, "{what}: {now} (before: {before})");
    }

    /// SIGTERM, and the orderly end it asks for.
    fn stop(self) {
        self.run.signal(libc::SIGTERM);
        let out = self.run.finish(common::run::LIMIT);
        out.assert_code(143);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

/// Let this test process hold a thousand sockets and more.
fn raise_own_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on our own process with a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Connect up to `n` times, stopping at the first failure (refused, or
/// no answer within 3 s: nothing is accepted any more). A burst of
/// connects can outrun the accepting thread on a busy machine; the
/// kernel then drops a SYN (ListenOverflows) and the client sends it
/// again after a second, which the 3 s allow.
fn crowd(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
    }
    held
}

#[test]
fn a_thousand_idle_connections() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    raise_own_fd_limit();
    let t = Target::start();
    let before = t.figures();
    let held = crowd(t.addr(), 1000);
    assert_eq!(held.len(), 1000, "connections made");
    std::thread::sleep(Duration::from_millis(500));
    let during = t.figures();
    let took = t.healthz("with 1,000 idle connections held");
    eprintln!("1,000 idle connections: before {before}; during {during}; /healthz in {took:?}");
    t.assert_bounded(before, during, "1,000 idle connections");
    assert!(
        during.fds <= before.fds + 520,
        "{during} (before: {before})"
    );
    drop(held);
    t.stop();
}

#[test]
fn a_64_mib_request_line() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let t = Target::start();
    let before = t.figures();
    let mut s = TcpStream::connect(t.addr()).expect("connect");
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = s.try_clone().expect("clone");
    let answer = std::thread::spawn(move || {
        let start = Instant::now();
        let mut got = Vec::new();
        let end = reader.read_to_end(&mut got);
        // Closed (EOF or reset) in time, or the read timed out.
        let closed = !matches!(&end, Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut);
        (got, closed, start.elapsed())
    });
    let chunk = vec![b'a'; 1 << 20];
    let mut sent = s.write_all(b"GET /").map(|_| 5usize).unwrap_or(0);
    let mut peak = before;
    for _ in 0..64 {
        if s.write_all(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
        let now = t.figures();
        if now.rss_kib > peak.rss_kib {
            peak = now;
        }
    }
    let (got, closed, took) = answer.join().expect("reader");
    let text = String::from_utf8_lossy(&got);
    eprintln!(
        "64 MiB request line: sent {sent} bytes; answer {:?} after {took:?}; before {before}; \
         peak {peak}",
        text.lines().next().unwrap_or("(none)")
    );
    assert!(closed, "the server must close the connection: {text:?}");
    assert!(
        got.is_empty() || text.starts_with("HTTP/1.1 431 "),
        "{text:?}"
    );
    t.assert_bounded(before, peak, "64 MiB request line");
    let took = t.healthz("after a 64 MiB request line");
    eprintln!(
        "64 MiB request line: /healthz after in {took:?}, {}",
        t.figures()
    );
    t.stop();
}

/// Count occurrences of `needle` in a stream read chunk by chunk, until
/// `enough` or the end.
fn count_in_stream(mut r: impl Read, needle: &[u8], enough: usize) -> usize {
    let (mut buf, mut carry, mut n) = (vec![0u8; 64 * 1024], Vec::new(), 0);
    while n < enough
        && let Ok(len @ 1..) = r.read(&mut buf)
    {
        carry.extend_from_slice(&buf[..len]);
        n += carry.windows(needle.len()).filter(|w| *w == needle).count();
        let keep = carry.len().min(needle.len() - 1);
        carry.drain(..carry.len() - keep);
    }
    n
}

#[test]
fn pipelining_clients_do_not_delay_healthz() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let t = Target::start();
    let before = t.figures();
    let requests = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n".repeat(20_000);
    // One client sends them all and never reads.
    let mut deaf = TcpStream::connect(t.addr()).expect("connect");
    deaf.set_write_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let deaf_requests = requests.clone();
    let deaf_writer = std::thread::spawn(move || {
        let r = deaf.write_all(deaf_requests.as_bytes());
        (deaf, r.is_ok())
    });
    // Another sends them all and reads every answer as fast as it can.
    let mut greedy = TcpStream::connect(t.addr()).expect("connect");
    greedy
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let greedy_reader = greedy.try_clone().expect("clone");
    let greedy_answers =
        std::thread::spawn(move || count_in_stream(greedy_reader, b"HTTP/1.1 200 OK\r\n", 20_000));
    let greedy_writer = std::thread::spawn(move || greedy.write_all(requests.as_bytes()));
    let mut latencies = Vec::new();
    let mut during = before;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(100));
        latencies.push(t.healthz("while two clients pipeline 20,000 requests"));
        let now = t.figures();
        if now.rss_kib > during.rss_kib {
            during = now;
        }
    }
    latencies.sort();
    eprintln!(
        "pipelining 20,000 (one deaf, one greedy): /healthz median {:?}, max {:?}; before \
         {before}; peak {during}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    t.assert_bounded(before, during, "pipelining");
    assert!(greedy_writer.join().expect("greedy writer").is_ok());
    assert_eq!(greedy_answers.join().expect("greedy reader"), 20_000);
    // The deaf client is closed once an answer waits 10 s to be taken.
    let (deaf, _) = deaf_writer.join().expect("deaf writer");
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.figures().fds > before.fds {
        assert!(
            Instant::now() < deadline,
            "the deaf client is still connected: {} (before: {before})",
            t.figures()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(deaf);
    t.healthz("after the pipelining clients");
    t.stop();
}

/// ssetap started with at most 64 descriptors, or lowered to 64 once it
/// runs (with 512 connections allowed, accept then meets EMFILE): a crowd
/// of connections held, then closed; `/healthz` answers throughout.
fn fd_exhaustion(at_start: bool) {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let low = libc::rlimit {
        rlim_cur: 64,
        rlim_max: 64,
    };
    let t = if at_start {
        Target::start_with(|cmd| {
            // SAFETY: only setrlimit, async-signal-safe, runs in the child.
            unsafe {
                cmd.pre_exec(move || match libc::setrlimit(libc::RLIMIT_NOFILE, &low) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                });
            }
        })
    } else {
        let t = Target::start();
        // SAFETY: prlimit on our own child with a struct we own.
        let rc = unsafe {
            libc::prlimit(
                t.run.pid() as libc::pid_t,
                libc::RLIMIT_NOFILE,
                &low,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
        t
    };
    let how = if at_start {
        "from the start"
    } else {
        "lowered"
    };
    let before = t.figures();
    let held = crowd(t.addr(), 300);
    std::thread::sleep(Duration::from_millis(300));
    let during = t.figures();
    let took = t.healthz("with the descriptors used up");
    eprintln!(
        "64 descriptors ({how}): {} connections made; before {before}; during {during}; \
         /healthz in {took:?}",
        held.len()
    );
    assert!(during.fds <= 64, "{during}");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let took = t.healthz("after the crowd left");
    let after = t.figures();
    eprintln!("64 descriptors ({how}): after {after}; /healthz in {took:?}");
    t.assert_bounded(before, after, "descriptor limit");
    t.stop();
}

#[test]
fn descriptor_limit_from_the_start() {
    fd_exhaustion(true);
}

#[test]
fn descriptor_limit_lowered_while_running() {
    fd_exhaustion(false);
}

#[test]
fn silent_and_trickling_connections_are_closed() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let t = Target::start();
    let start = Instant::now();
    let silent = TcpStream::connect(t.addr()).expect("connect");
    let trickle = TcpStream::connect(t.addr()).expect("connect");
    // One byte of a head every 200 ms: never complete, never quiet.
    let mut dripping = trickle.try_clone().expect("clone");
    let dripper = std::thread::spawn(move || {
        for b in b"GET /healthz HTTP/1.1\r\n"
            .iter()
            .chain([b'X'; 200].iter())
        {
            if dripping.write_all(&[*b]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    for (name, s) in [("silent", &silent), ("trickling", &trickle)] {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut buf = [0u8; 256];
        let end = (&*s).read(&mut buf);
        let at = start.elapsed();
        eprintln!("{name} connection: {end:?} after {at:?}");
        let closed = matches!(end, Ok(0))
            || matches!(&end, Err(e) if e.kind() == ErrorKind::ConnectionReset);
        assert!(closed, "{name}: {end:?} after {at:?}");
        let expected = Duration::from_secs(9)..Duration::from_secs(15);
        assert!(expected.contains(&at), "{name}: closed after {at:?}");
    }
    dripper.join().expect("dripper");
    t.healthz("after the idle connections");
    t.stop();
}

#[test]
fn no_thread_is_needed_per_connection() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let Some(limit) = TaskLimit::new("metrics") else {
        eprintln!("skipped: cannot make a pids cgroup here (needs root and cgroup v1 pids)");
        return;
    };
    let t = Target::start();
    if !limit.hold(t.run.pid()) {
        eprintln!("skipped: cannot limit the tasks of a process here");
        return;
    }
    let before = t.figures();
    let held = crowd(t.addr(), 50);
    assert_eq!(held.len(), 50, "connections made");
    let took = t.healthz("with no room for a thread");
    let scrape = timed_get(t.port, "/metrics", PROMPT);
    assert!(matches!(scrape, Ok((200, _))), "/metrics: {scrape:?}");
    eprintln!(
        "no room for a thread: 50 connections held, /healthz in {took:?}, {}",
        t.figures()
    );
    t.assert_bounded(before, t.figures(), "no room for a thread");
    drop(held);
    limit.lift();
    t.stop();
}
