//! An HTTP server on 127.0.0.1 that answers every request with a
//! close-delimited `text/event-stream` body: `repeat` copies of a prepared
//! buffer, sent from a file with sendfile(2), so that the kernel copies
//! from the page cache and the server is not the bottleneck (check curl's
//! MB/s in the tables: a slow server flatters every ratio).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::sync::Arc;

pub fn start(body: Arc<Vec<u8>>, repeat: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/stream", listener.local_addr().expect("addr"));
    let path = std::env::temp_dir().join(format!(
        "ssetap-bench-{}-{}.sse",
        std::process::id(),
        listener.local_addr().map_or(0, |a| a.port())
    ));
    std::fs::write(&path, &body[..]).expect("writing the bench input");
    // Open once and unlinked at once: nothing is left in /tmp; sendfile
    // with an offset of its own never moves the shared file position.
    let file = Arc::new(std::fs::File::open(&path).expect("opening the bench input"));
    let _ = std::fs::remove_file(&path);
    let len = body.len();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let file = Arc::clone(&file);
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
                    let mut off: libc::off_t = 0;
                    while (off as usize) < len {
                        // SAFETY: two open descriptors and a valid offset.
                        let n = unsafe {
                            libc::sendfile(
                                conn.as_raw_fd(),
                                file.as_raw_fd(),
                                &mut off,
                                len - off as usize,
                            )
                        };
                        if n <= 0 {
                            return;
                        }
                    }
                }
            });
        }
    });
    url
}
