//! A one-connection SSE server on a loopback port, scripted by the test:
//! it answers the first request with a 200 event-stream head, then writes
//! whatever the test sends, and a keep-alive comment every 100 ms in between
//! (as real servers do, and so that ssetap reads, and serves Kafka's
//! delivery reports, while no event comes). Dropping the sender ends the
//! stream.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct SseServer {
    pub url: String,
    /// Set when the test ends the stream, for a server still waiting for
    /// its client.
    stop: Arc<AtomicBool>,
    tx: Option<Sender<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl SseServer {
    pub fn start() -> SseServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/stream", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let gone = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&gone);
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut conn = loop {
                match listener.accept() {
                    Ok((conn, _)) => break conn,
                    // Leave when the test is done without a client.
                    Err(_) if gone.load(Ordering::SeqCst) => return,
                    Err(_) if start.elapsed() > Duration::from_secs(60) => return,
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            };
            let _ = conn.set_nonblocking(false);
            let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match conn.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => return,
                }
            }
            let ok = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
            if conn.write_all(ok).is_err() {
                return;
            }
            loop {
                let bytes = match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(bytes) => bytes,
                    Err(RecvTimeoutError::Timeout) => b":\n".to_vec(),
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                if conn.write_all(&bytes).is_err() {
                    return;
                }
            }
            let _ = conn.shutdown(Shutdown::Both);
        });
        SseServer {
            url,
            stop,
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    /// Write these bytes to the stream (false once the client is gone).
    pub fn send(&self, bytes: impl Into<Vec<u8>>) -> bool {
        self.tx
            .as_ref()
            .is_some_and(|tx| tx.send(bytes.into()).is_ok())
    }

    /// End the stream (close the connection) once everything sent is
    /// written, and wait for the thread.
    pub fn finish(mut self) {
        self.tx = None;
        self.join();
    }

    fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SseServer {
    fn drop(&mut self) {
        self.tx = None;
        self.stop.store(true, Ordering::SeqCst);
        self.join();
    }
}
