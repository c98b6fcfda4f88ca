//! service::http_head: the HTTP/1.x the `--metrics` server speaks, as pure
//! functions over bytes — where a request head ends, what its request line
//! and the few headers that matter say (`Connection`, `Content-Length`,
//! `Transfer-Encoding`), and the bytes of a response. No I/O here; the
//! loop that owns the sockets is `http_serve`.

/// The longest request head read (request line and headers): Jetty's
/// default `requestHeaderSize`. A longer one is answered 431 and closed.
pub const HEAD_MAX: usize = 8 * 1024;

/// Where the first request head in `buf` lies: `(start, end)`, `start`
/// past the empty lines a client may send between requests (RFC 9112
/// §2.2), `end` just past the blank line that ends the head. LF alone
/// ends a line as CRLF does. None while the head is incomplete.
pub fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let start = leading_blank(buf);
    let head = &buf[start..];
    for lf in memchr::memchr_iter(b'\n', head) {
        match &head[lf + 1..] {
            [b'\n', ..] => return Some((start, start + lf + 2)),
            [b'\r', b'\n', ..] => return Some((start, start + lf + 3)),
            _ => {}
        }
    }
    None
}

/// Empty lines before a request, which the loop may drop: the length of
/// the run of CR and LF at the start of `buf`.
pub fn leading_blank(buf: &[u8]) -> usize {
    buf.iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len())
}

/// What a request head asks, as far as these two paths care.
#[derive(Debug, PartialEq, Eq)]
pub struct Head<'a> {
    pub method: &'a str,
    /// The path of the target, without its query (absolute-form reduced
    /// to its path).
    pub path: &'a str,
    /// HTTP/1.1 without `Connection: close`: the client may send another
    /// request on this connection.
    pub keep_alive: bool,
    /// A body follows (`Content-Length` other than 0, or
    /// `Transfer-Encoding`). Bodies are not read: the answer closes.
    pub has_body: bool,
}

/// Why a head is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// 400: not an HTTP/1.x request head.
    Malformed,
    /// 505: an HTTP version other than 1.0 and 1.1.
    Version,
}

/// Parse one head (the bytes `head_end` delimited).
pub fn parse(head: &[u8]) -> Result<Head<'_>, Refused> {
    let mut lines = head.split(|&b| b == b'\n').map(|l| match l {
        [rest @ .., b'\r'] => rest,
        l => l,
    });
    let line = lines.next().ok_or(Refused::Malformed)?;
    let line = std::str::from_utf8(line).map_err(|_| Refused::Malformed)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed);
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(Refused::Malformed);
    }
    let keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        v if v.starts_with("HTTP/") => return Err(Refused::Version),
        _ => return Err(Refused::Malformed),
    };
    let path = path_of(target).ok_or(Refused::Malformed)?;
    let mut head = Head {
        method,
        path,
        keep_alive,
        has_body: false,
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let colon = memchr::memchr(b':', line).ok_or(Refused::Malformed)?;
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        // A name with white space (or a folded continuation line) is
        // refused, as RFC 9112 §5.1 and §5.2 ask.
        if name.is_empty() || !name.iter().copied().all(is_tchar) {
            return Err(Refused::Malformed);
        }
        if name.eq_ignore_ascii_case(b"connection") {
            let close = value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"));
            if close {
                head.keep_alive = false;
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            head.has_body |= value != b"0";
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            head.has_body = true;
        }
    }
    Ok(head)
}

/// The path of a request target: origin-form (`/metrics?x`) or
/// absolute-form (`http://host:9464/metrics`); `*` stays `*`.
fn path_of(target: &str) -> Option<&str> {
    let rest = match target.split_once("://") {
        Some((scheme, rest)) if !scheme.contains('/') => rest,
        _ => return (target.starts_with('/') || target == "*").then(|| query_cut(target)),
    };
    Some(rest.find('/').map_or("/", |i| query_cut(&rest[i..])))
}

fn query_cut(target: &str) -> &str {
    target.split(['?', '#']).next().unwrap_or_default()
}

/// RFC 9110's `tchar`: what a method or header name is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// One answer of the server.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl Response {
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into(),
            allow: None,
        }
    }
}

/// Append `resp` to `out`: the head (with `Content-Length`, and
/// `Connection: close` when the server closes after it), then the body
/// unless the request was HEAD.
pub fn write_response(out: &mut Vec<u8>, resp: &Response, head_only: bool, close: bool) {
    use std::io::Write;
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        resp.status,
        reason(resp.status),
        resp.content_type,
        resp.body.len()
    );
    if let Some(allow) = resp.allow {
        let _ = write!(out, "Allow: {allow}\r\n");
    }
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(resp.body.as_bytes());
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_ends_at_its_blank_line_crlf_or_lf() {
        assert_eq!(
            head_end(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET"),
            Some((0, 27))
        );
        assert_eq!(head_end(b"GET / HTTP/1.1\nHost: x\n\nrest"), Some((0, 24)));
        assert_eq!(head_end(b"\r\n\r\nGET / HTTP/1.0\r\n\r\n"), Some((4, 22)));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r"), None);
        assert_eq!(head_end(b"\r\n\r\n"), None);
        assert_eq!(leading_blank(b"\r\n\nG"), 3);
    }

    #[test]
    fn a_head_found_in_every_split_is_the_same() {
        let all = b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        for cut in 0..all.len() {
            let found = head_end(&all[..cut]);
            assert_eq!(found, None, "cut at {cut}");
        }
        assert_eq!(head_end(all), Some((0, all.len())));
    }

    fn ok(head: &str) -> Head<'_> {
        parse(head.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {head:?}"))
    }

    #[test]
    fn request_lines_and_the_headers_that_matter() {
        let h = ok("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(
            (h.method, h.path, h.keep_alive, h.has_body),
            ("GET", "/metrics", true, false)
        );
        assert!(!ok("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(!ok("GET / HTTP/1.1\r\nconnection: Keep-Alive, CLOSE\r\n\r\n").keep_alive);
        assert!(ok("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n").has_body);
        assert!(!ok("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").has_body);
        assert!(ok("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").has_body);
        assert_eq!(
            ok("GET http://h:1/healthz?a HTTP/1.1\r\n\r\n").path,
            "/healthz"
        );
        assert_eq!(ok("GET http://h:1 HTTP/1.1\r\n\r\n").path, "/");
        assert_eq!(ok("OPTIONS * HTTP/1.1\r\n\r\n").path, "*");
        assert_eq!(ok("HEAD /healthz HTTP/1.1\n\n").method, "HEAD");
    }

    #[test]
    fn what_is_refused() {
        for bad in [
            "GET /metrics\r\n\r\n",
            "GET  /metrics HTTP/1.1\r\n\r\n",
            "GET metrics HTTP/1.1\r\n\r\n",
            "G(T / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / FTP/1.1\r\n\r\n",
        ] {
            assert_eq!(parse(bad.as_bytes()), Err(Refused::Malformed), "{bad:?}");
        }
        assert_eq!(parse(b"PRI * HTTP/2.0\r\n\r\n"), Err(Refused::Version));
        assert_eq!(
            parse(b"GET / \xff HTTP/1.1\r\n\r\n"),
            Err(Refused::Malformed)
        );
    }

    #[test]
    fn responses_carry_length_type_and_close() {
        let resp = Response::text(405, "use GET\n");
        let resp = Response {
            allow: Some("GET, HEAD"),
            ..resp
        };
        let mut out = Vec::new();
        write_response(&mut out, &resp, false, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: 8\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\nuse GET\n"
        );
        let mut out = Vec::new();
        write_response(&mut out, &Response::text(200, "ok\n"), true, false);
        assert!(out.ends_with(b"Content-Length: 3\r\n\r\n"), "{out:?}");
    }
}
