//! A scripted HTTP/1.1 server on 127.0.0.1 for the integration tests.
//!
//! One thread accepts connections and gives each its own thread; for each
//! request (numbered in arrival order) the test's handler returns a `Reply`: a list of steps (write bytes, pause,
//! close, reset, or hold the socket open and move on). Every request is
//! recorded, so tests can check what ssetap sent (headers, body,
//! `Last-Event-ID`) and when it connected.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request line arrived.
    pub at: Instant,
}

impl Request {
    /// The value of header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does on one connection, in order.
#[derive(Clone, Debug)]
pub enum Step {
    Write(Vec<u8>),
    Pause(Duration),
    /// Write these bytes one at a time with this pause after each.
    Drip(Vec<u8>, Duration),
    /// Close the connection (FIN); the same as running out of steps.
    Close,
    /// Close with a TCP reset (RST) instead of FIN.
    Reset,
    /// Keep the socket open without writing until the server is dropped.
    Hold,
}

/// The reply to one request: a list of steps.
#[derive(Clone, Debug, Default)]
pub struct Reply(pub Vec<Step>);

impl Reply {
    /// A `200` event-stream head; add the body with `.body(…)`.
    pub fn sse() -> Reply {
        Reply::head(200, &[("Content-Type", "text/event-stream")])
    }

    /// A status line and headers, without a body yet (no Content-Length,
    /// so the body runs to the close).
    pub fn head(status: u16, headers: &[(&str, &str)]) -> Reply {
        let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (n, v) in headers {
            h.push_str(&format!("{n}: {v}\r\n"));
        }
        // Each connection serves one request (a client must not reuse it).
        h.push_str("Connection: close\r\n\r\n");
        Reply(vec![Step::Write(h.into_bytes())])
    }

    /// A complete response with a Content-Length body.
    pub fn status(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        let len = body.len().to_string();
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.push(("Content-Length", &len));
        Reply::head(status, &all).body(body)
    }

    pub fn body(mut self, bytes: impl AsRef<[u8]>) -> Reply {
        self.0.push(Step::Write(bytes.as_ref().to_vec()));
        self
    }

    pub fn pause(mut self, d: Duration) -> Reply {
        self.0.push(Step::Pause(d));
        self
    }

    pub fn drip(mut self, bytes: impl AsRef<[u8]>, each: Duration) -> Reply {
        self.0.push(Step::Drip(bytes.as_ref().to_vec(), each));
        self
    }

    pub fn reset(mut self) -> Reply {
        self.0.push(Step::Reset);
        self
    }

    pub fn hold(mut self) -> Reply {
        self.0.push(Step::Hold);
        self
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

type Handler = Box<dyn FnMut(usize, &Request) -> Reply + Send>;

pub struct Server {
    addr: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serve each request with `handler(n, request)`, n counting from 0.
    pub fn start(handler: impl FnMut(usize, &Request) -> Reply + Send + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr").to_string();
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, flag) = (Arc::clone(&requests), Arc::clone(&stop));
        let handler: Handler = Box::new(handler);
        let thread = std::thread::spawn(move || serve(listener, handler, reqs, flag));
        Server {
            addr,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The nth connection gets `replies[n]`; later ones are closed at once.
    pub fn script(replies: Vec<Reply>) -> Server {
        Server::start(move |n, _| replies.get(n).cloned().unwrap_or_default())
    }

    /// `http://127.0.0.1:PORT/stream`
    pub fn url(&self) -> String {
        self.url_for("/stream")
    }

    pub fn url_for(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    listener: TcpListener,
    handler: Handler,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
) {
    // Each connection has its own thread, so that a client that gives up
    // on a slow or held connection finds the next one answered at once.
    let handler = Arc::new(Mutex::new((handler, 0usize)));
    let mut threads = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let conn = match listener.accept() {
            Ok((c, _)) => c,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
        };
        let (handler, requests, stop) = (
            Arc::clone(&handler),
            Arc::clone(&requests),
            Arc::clone(&stop),
        );
        threads.push(std::thread::spawn(move || {
            connection(conn, &handler, &requests, &stop)
        }));
    }
    for t in threads {
        let _ = t.join();
    }
}

fn connection(
    mut conn: TcpStream,
    handler: &Mutex<(Handler, usize)>,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_nodelay(true);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    let reply = {
        let Ok(mut h) = handler.lock() else { return };
        let n = h.1;
        h.1 += 1;
        if let Ok(mut r) = requests.lock() {
            r.push(req.clone());
        }
        (h.0)(n, &req)
    };
    if let Some(held) = play(conn, reply, stop) {
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(held);
    }
}

/// Carry out the steps; returns the socket when it is to be held open.
fn play(mut conn: TcpStream, reply: Reply, stop: &AtomicBool) -> Option<TcpStream> {
    for step in reply.0 {
        if stop.load(Ordering::SeqCst) {
            return None;
        }
        match step {
            Step::Write(bytes) => {
                if conn.write_all(&bytes).is_err() {
                    return None;
                }
            }
            Step::Pause(d) => sleep_unless(d, stop),
            Step::Drip(bytes, each) => {
                for b in bytes {
                    if conn.write_all(&[b]).is_err() || stop.load(Ordering::SeqCst) {
                        return None;
                    }
                    sleep_unless(each, stop);
                }
            }
            Step::Close => break,
            Step::Reset => {
                // SO_LINGER 0 makes close() send RST.
                set_linger_zero(&conn);
                return None;
            }
            Step::Hold => return Some(conn),
        }
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Write);
    // Let the client read to the end before the socket goes away.
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = conn.read(&mut [0u8; 64]);
    None
}

fn sleep_unless(d: Duration, stop: &AtomicBool) {
    let until = Instant::now() + d;
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        std::thread::sleep((until - Instant::now()).min(Duration::from_millis(10)));
    }
}

fn set_linger_zero(conn: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket we own, with a correctly sized struct.
    unsafe {
        libc::setsockopt(
            conn.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Read one request: head, then a Content-Length or chunked body.
fn read_request(conn: &mut TcpStream) -> Option<Request> {
    let at = Instant::now();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
        if head.len() > 1 << 20 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
        at,
    };
    if let Some(len) = req.header("content-length") {
        let len: usize = len.parse().ok()?;
        let mut body = vec![0u8; len];
        conn.read_exact(&mut body).ok()?;
        req.body = body;
    } else if req
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        req.body = read_chunked(conn)?;
    }
    Some(req)
}

fn read_chunked(conn: &mut TcpStream) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            conn.read_exact(&mut byte).ok()?;
            line.push(byte[0]);
        }
        let size = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        let mut chunk = vec![0u8; size + 2];
        conn.read_exact(&mut chunk).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
