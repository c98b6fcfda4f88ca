//! service::http_serve: the one-thread HTTP/1.1 server behind `--metrics`.
//! One loop polls (poll(2)) the listener and every connection, all
//! non-blocking, so no client can hold the thread and every client is
//! answered within a turn of the loop. What it keeps bounded, whatever its
//! clients do (defaults from Go's net/http and Jetty, see [`Limits`]):
//!
//! - connections: at most 512, and at most half the descriptors the
//!   process may open; a new one past that closes the one nearest its
//!   deadline (an idle one, in practice), so the newest client gets in;
//! - memory: per connection at most one request head (8 KiB, else 431)
//!   and one answer, and small kernel socket buffers; a client that does
//!   not read its answers is not read from either (its requests wait in
//!   its own socket) until the write timeout closes it;
//! - time: a request head must be complete within 10 s of the connection's
//!   start or of its last answer (Go's `ReadHeaderTimeout`; idle
//!   keep-alive connections included), an answer written within 10 s;
//! - fairness: each turn answers at most a few requests per connection;
//! - accept errors are never fatal: out of descriptors or memory, the loop
//!   closes its oldest connection and tries again, and if that does not
//!   help, rests the listener for 50 ms (Go backs off likewise); a
//!   connection aborted before it was accepted is skipped.
//!
//! Pipelined requests are answered one at a time, in order.

use super::http_head::{self, HEAD_MAX, Refused, Response};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// The most connections held at once, whatever the descriptor limit.
pub const MAX_CONNS: usize = 512;

/// The bounds the loop keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections held at once.
    pub max_conns: usize,
    /// From a connection's start, or the end of its last answer, until its
    /// next request head is complete.
    pub head_timeout: Duration,
    /// For one answer to be written out.
    pub write_timeout: Duration,
    /// After the last answer on a connection, how long to wait for the
    /// client to close before closing (so a reset does not destroy the
    /// answer in the client's buffer; Go waits 500 ms likewise).
    pub linger: Duration,
    /// How long the listener rests when accept keeps failing.
    pub accept_pause: Duration,
    /// Requests answered, and reads made, per connection and turn.
    pub per_turn: usize,
}

impl Limits {
    pub fn standard() -> Limits {
        Limits {
            max_conns: max_conns(),
            head_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            linger: Duration::from_millis(500),
            accept_pause: Duration::from_millis(50),
            per_turn: 4,
        }
    }
}

/// At most [`MAX_CONNS`], and at most half the descriptors this process
/// may open, so a crowd of clients cannot take those the stream, Kafka and
/// the state file need.
fn max_conns() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct we pass.
    let soft = match unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } {
        0 => lim.rlim_cur,
        _ => 1024,
    };
    usize::try_from(soft / 2)
        .unwrap_or(MAX_CONNS)
        .clamp(1, MAX_CONNS)
}

/// Small kernel buffers for the connections `listener` accepts (they
/// inherit them): an answer is a few KiB, and a client that pipelines
/// without reading should fill 64 KiB of our memory, not megabytes.
pub fn small_buffers(listener: &TcpListener) {
    for (opt, size) in [(libc::SO_SNDBUF, 64 * 1024), (libc::SO_RCVBUF, 16 * 1024)] {
        let size: libc::c_int = size;
        // SAFETY: setsockopt reads `size` (a c_int, its length given) on a
        // socket we own. Failure leaves the default, which is harmless.
        unsafe {
            libc::setsockopt(
                listener.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}

/// Serve `listener` (non-blocking) for ever, answering each request with
/// `answer(method, path)`.
pub fn run(listener: TcpListener, limits: Limits, answer: impl Fn(&str, &str) -> Response) {
    let mut conns: Vec<Conn> = Vec::new();
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut resting: Option<Instant> = None;
    let mut scratch = [0u8; HEAD_MAX];
    loop {
        let now = Instant::now();
        conns.retain(|c| c.deadline > now);
        resting = resting.filter(|&until| until > now);
        fds.clear();
        if resting.is_none() {
            fds.push(pollfd(listener.as_raw_fd(), libc::POLLIN));
        }
        let mut wake = resting;
        let mut busy = false;
        for c in &conns {
            fds.push(pollfd(c.sock.as_raw_fd(), c.interest()));
            wake = Some(wake.map_or(c.deadline, |w| w.min(c.deadline)));
            busy |= c.pending;
        }
        let timeout = if busy { 0 } else { ms_until(wake, now) };
        // SAFETY: `fds` is a live array of `fds.len()` pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            if io::Error::last_os_error().kind() != ErrorKind::Interrupted {
                // ENOMEM, or EINVAL: more descriptors than RLIMIT_NOFILE
                // now allows. Hold fewer, and rest.
                shed(&mut conns);
                std::thread::sleep(limits.accept_pause);
            }
            continue;
        }
        let now = Instant::now();
        let listening = resting.is_none();
        let offset = usize::from(listening);
        for (c, fd) in conns.iter_mut().zip(&fds[offset..]) {
            if fd.revents != 0 || c.pending {
                c.drive(now, &limits, &mut scratch, &answer);
            }
        }
        conns.retain(|c| !c.done);
        if listening && fds[0].revents != 0 {
            resting = accept(&listener, &mut conns, &limits, now);
        }
    }
}

fn pollfd(fd: libc::c_int, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// poll(2)'s timeout: whole milliseconds until `wake`, rounded up (so the
/// loop does not wake just before a deadline), or -1 for none.
fn ms_until(wake: Option<Instant>, now: Instant) -> libc::c_int {
    wake.map_or(-1, |w| {
        let ms = w.saturating_duration_since(now).as_micros().div_ceil(1000);
        libc::c_int::try_from(ms).unwrap_or(libc::c_int::MAX)
    })
}

/// Close the connection nearest its deadline, to make room; false when
/// there is none.
fn shed(conns: &mut Vec<Conn>) -> bool {
    let nearest = conns
        .iter()
        .enumerate()
        .min_by_key(|(_, c)| c.deadline)
        .map(|(i, _)| i);
    nearest.map(|i| conns.swap_remove(i)).is_some()
}

/// How accept(2) failed.
enum AcceptError {
    /// Nothing more waits.
    Empty,
    /// That connection is gone or was refused on the way; take the next.
    Skip,
    /// Out of descriptors or kernel memory.
    Exhausted,
    /// Anything else: rest and try again.
    Other,
}

fn classify(e: &io::Error) -> AcceptError {
    if e.kind() == ErrorKind::WouldBlock {
        return AcceptError::Empty;
    }
    match e.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => AcceptError::Exhausted,
        // accept(2): errors of the new connection itself, to be treated
        // like EAGAIN by retrying.
        Some(
            libc::EINTR
            | libc::ECONNABORTED
            | libc::EPROTO
            | libc::EPERM
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::ENONET
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH,
        ) => AcceptError::Skip,
        _ => AcceptError::Other,
    }
}

/// Accept what waits (at most a listen backlog's worth per turn). Returns
/// until when the listener should rest, if it should.
fn accept(
    listener: &TcpListener,
    conns: &mut Vec<Conn>,
    limits: &Limits,
    now: Instant,
) -> Option<Instant> {
    let mut just_shed = false;
    for _ in 0..128 {
        match listener.accept() {
            Ok((sock, _)) => {
                just_shed = false;
                if sock.set_nonblocking(true).is_err() {
                    continue;
                }
                let _ = sock.set_nodelay(true);
                if conns.len() >= limits.max_conns {
                    shed(conns);
                }
                conns.push(Conn::new(sock, now + limits.head_timeout));
            }
            Err(e) => match classify(&e) {
                AcceptError::Empty => return None,
                AcceptError::Skip => {}
                // Our own connections may be what took the descriptors:
                // give one back and try again, once.
                AcceptError::Exhausted if !just_shed && shed(conns) => just_shed = true,
                AcceptError::Exhausted | AcceptError::Other => {
                    return Some(now + limits.accept_pause);
                }
            },
        }
    }
    None
}

/// One client connection.
struct Conn {
    sock: TcpStream,
    /// Bytes read and not yet answered: at most [`HEAD_MAX`]. Freed when
    /// empty, so an idle connection holds no buffer.
    input: Vec<u8>,
    /// The answer being written, and how much of it is written.
    out: Vec<u8>,
    sent: usize,
    /// When the connection is closed unless it got further.
    deadline: Instant,
    /// Close once `out` is written.
    close_after: bool,
    /// The last answer is written and our side shut down: waiting (for at
    /// most `linger`) for the client to close.
    lingering: bool,
    /// The client has finished sending.
    eof: bool,
    /// A complete request waits for the next turn (this turn's share is
    /// used): poll without sleeping.
    pending: bool,
    /// Closed: to be removed.
    done: bool,
}

impl Conn {
    fn new(sock: TcpStream, deadline: Instant) -> Conn {
        Conn {
            sock,
            input: Vec::new(),
            out: Vec::new(),
            sent: 0,
            deadline,
            close_after: false,
            lingering: false,
            eof: false,
            pending: false,
            done: false,
        }
    }

    fn writing(&self) -> bool {
        self.sent < self.out.len()
    }

    fn interest(&self) -> libc::c_short {
        if self.lingering {
            // Only the close (POLLHUP) or an error, which poll reports
            // unasked; what the client still sends is not read.
            0
        } else if self.writing() {
            libc::POLLOUT
        } else {
            libc::POLLIN
        }
    }

    /// Do what the socket allows: write the pending answer, answer the
    /// next request when one is complete, read. Never blocks.
    fn drive(
        &mut self,
        now: Instant,
        limits: &Limits,
        scratch: &mut [u8; HEAD_MAX],
        answer: &impl Fn(&str, &str) -> Response,
    ) {
        self.pending = false;
        if self.lingering {
            self.done = true;
            return;
        }
        let (mut answered, mut reads) = (0, 0);
        loop {
            if self.writing() {
                match self.sock.write(&self.out[self.sent..]) {
                    Ok(0) => self.done = true,
                    Ok(n) => self.sent += n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                    Err(_) => self.done = true,
                }
                if self.done {
                    return;
                }
                if self.writing() {
                    continue;
                }
                self.out = Vec::new();
                self.sent = 0;
                if self.close_after {
                    self.lingering = true;
                    self.deadline = now + limits.linger;
                    if self.sock.shutdown(Shutdown::Write).is_err() {
                        self.done = true;
                    }
                    return;
                }
                self.deadline = now + limits.head_timeout;
            }
            let blank = http_head::leading_blank(&self.input);
            self.input.drain(..blank);
            if let Some((_, end)) = http_head::head_end(&self.input) {
                if answered == limits.per_turn {
                    self.pending = true;
                    return;
                }
                answered += 1;
                self.respond(end, now, limits, answer);
                continue;
            }
            if self.eof {
                self.done = true;
                return;
            }
            let room = HEAD_MAX - self.input.len();
            if room == 0 {
                let resp = Response::text(431, "request head over 8 KiB\n");
                self.queue(&resp, false, true, now, limits);
                self.input = Vec::new();
                continue;
            }
            if reads == limits.per_turn {
                return;
            }
            reads += 1;
            match self.sock.read(&mut scratch[..room]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    // Exactly what is needed: the buffer never outgrows HEAD_MAX.
                    self.input.reserve_exact(n);
                    self.input.extend_from_slice(&scratch[..n]);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.done = true;
                    return;
                }
            }
        }
    }

    /// Answer the request whose head is `input[..end]`.
    fn respond(
        &mut self,
        end: usize,
        now: Instant,
        limits: &Limits,
        answer: &impl Fn(&str, &str) -> Response,
    ) {
        let (resp, head_only, close) = match http_head::parse(&self.input[..end]) {
            Ok(head) => (
                answer(head.method, head.path),
                head.method == "HEAD",
                // A body is not read: the connection cannot go on.
                !head.keep_alive || head.has_body,
            ),
            Err(Refused::Malformed) => (Response::text(400, "bad request\n"), false, true),
            Err(Refused::Version) => (Response::text(505, "HTTP/1.1 only\n"), false, true),
        };
        self.input.drain(..end);
        if self.input.is_empty() {
            self.input = Vec::new();
        }
        self.queue(&resp, head_only, close, now, limits);
    }

    fn queue(
        &mut self,
        resp: &Response,
        head_only: bool,
        close: bool,
        now: Instant,
        limits: &Limits,
    ) {
        self.out.clear();
        http_head::write_response(&mut self.out, resp, head_only, close);
        self.sent = 0;
        self.close_after = close;
        self.deadline = now + limits.write_timeout;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_timeouts_round_up_and_saturate() {
        let now = Instant::now();
        assert_eq!(ms_until(None, now), -1);
        assert_eq!(ms_until(Some(now), now), 0);
        assert_eq!(ms_until(Some(now + Duration::from_micros(1500)), now), 2);
        assert_eq!(
            ms_until(Some(now + Duration::from_secs(1 << 40)), now),
            libc::c_int::MAX
        );
    }

    #[test]
    fn connections_are_capped_by_the_descriptor_limit_too() {
        let n = max_conns();
        assert!((1..=MAX_CONNS).contains(&n), "{n}");
    }

    #[test]
    fn exhaustion_and_aborts_are_told_apart() {
        let kind = |code| classify(&io::Error::from_raw_os_error(code));
        assert!(matches!(kind(libc::EMFILE), AcceptError::Exhausted));
        assert!(matches!(kind(libc::ENFILE), AcceptError::Exhausted));
        assert!(matches!(kind(libc::ENOBUFS), AcceptError::Exhausted));
        assert!(matches!(kind(libc::ECONNABORTED), AcceptError::Skip));
        assert!(matches!(kind(libc::EINTR), AcceptError::Skip));
        assert!(matches!(kind(libc::EAGAIN), AcceptError::Empty));
        assert!(matches!(kind(libc::EBADF), AcceptError::Other));
    }
}
