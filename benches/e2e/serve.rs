//! An HTTP server on 127.0.0.1 that answers every request with a
//! close-delimited `text/event-stream` body written as fast as the socket
//! takes it: `repeat` copies of a prepared buffer.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

pub fn start(body: Arc<Vec<u8>>, repeat: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/stream", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let body = Arc::clone(&body);
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
                if conn.write_all(resp).is_err() {
                    return;
                }
                for _ in 0..repeat {
                    if conn.write_all(&body).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}
