//! The HTTP/1.1 the `--metrics` endpoint speaks to a well-meaning client:
//! a head split over two writes, keep-alive, HEAD, 405 with `Allow`, 404,
//! pipelined requests answered in order, `Connection: close`, and 400 for
//! what is not HTTP.

use super::*;

/// An answer's head, read byte by byte off a kept-alive connection.
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("answer head");
        head.push(byte[0]);
    }
    String::from_utf8(head).expect("UTF-8 head")
}

/// One answer: status, head, and the body its Content-Length gives.
fn read_answer(s: &mut TcpStream) -> (u16, String, String) {
    let head = read_head(s);
    let status = head.split(' ').nth(1).and_then(|v| v.parse().ok());
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Content-Length in {head:?}"));
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).expect("answer body");
    (
        status.expect("status"),
        head,
        String::from_utf8(body).expect("UTF-8 body"),
    )
}

#[test]
fn metrics_speaks_http_1_1_keep_alive_head_and_errors() {
    let (_server, run, port) = connected_with_metrics();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // A head in two writes; the connection stays open after the answer.
    s.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    s.write_all(b"st: a\r\n\r\n").unwrap();
    let (status, head, body) = read_answer(&mut s);
    assert_eq!((status, body.as_str()), (200, "ok: connected\n"), "{head}");
    assert!(!head.contains("Connection: close"), "{head}");
    // HEAD: the length of the body, without it.
    s.write_all(b"HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let head = read_head(&mut s);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    assert!(!head.contains("Content-Length: 0\r\n"), "{head}");
    // Wrong method, wrong path, then two pipelined requests, the second
    // asking to close.
    s.write_all(
        b"POST /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\n\r\n\
          GET /metrics HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let (status, head, _) = read_answer(&mut s);
    assert_eq!(status, 405, "{head}");
    assert!(head.contains("Allow: GET, HEAD\r\n"), "{head}");
    assert_eq!(read_answer(&mut s).0, 404);
    let (status, _, body) = read_answer(&mut s);
    assert_eq!(status, 200);
    assert!(body.contains("\nssetap_connected 1\n"), "{body}");
    let (status, head, _) = read_answer(&mut s);
    assert_eq!(status, 200);
    assert!(head.contains("Connection: close\r\n"), "{head}");
    assert_eq!(s.read(&mut [0u8; 1]).ok(), Some(0), "closed after the last");
    // Not HTTP: 400, and the connection closes.
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"HELLO\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).expect("400 and close");
    assert!(text.starts_with("HTTP/1.1 400 "), "{text}");
    stop(run);
}
