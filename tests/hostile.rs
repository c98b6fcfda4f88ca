//! Hostile servers, part two: redirect loops, credentials and other hosts,
//! Retry-After as an HTTP date, auth failures, and self-signed TLS (a
//! rustls server with a CA made by the openssl command for each test).

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

#[test]
fn a_redirect_loop_ends_with_exit_1_and_a_clear_error() {
    let server = Server::start(|_, req| {
        let to = if req.path == "/a" { "/b" } else { "/a" };
        Reply::status(302, &[("Location", to)], "")
    });
    let out = run(&[&server.url_for("/a"), "--retry", "10ms"]);
    out.assert_code(1);
    assert!(
        out.stderr.to_lowercase().contains("redirect"),
        "{}",
        out.stderr
    );
    let n = server.requests().len();
    assert!(
        (2..=12).contains(&n),
        "{n} requests: a loop must stop, not reconnect"
    );
}

#[test]
fn credentials_follow_a_redirect_on_the_same_host_only() {
    let other = Server::start(|_, _| Reply::sse().body(event(None, None, "elsewhere")));
    // Same address, other name: another host as far as credentials go.
    let target = format!(
        "http://localhost:{}/stream",
        other.addr().rsplit(':').next().unwrap_or("")
    );
    let home = Server::start(move |_, req| match req.path.as_str() {
        "/same" => Reply::status(307, &[("Location", "/stream")], ""),
        "/away" => Reply::status(307, &[("Location", target.as_str())], ""),
        _ => Reply::sse().body(event(None, None, "home")),
    });
    for auth in [
        vec!["-u", "ann:Pw-9"],
        vec!["--bearer", "Tok-9"],
        vec!["-H", "Authorization: Bearer Hdr-9"],
    ] {
        let mut a = vec![home.url_for("/same")];
        a.extend(["--no-reconnect".to_string()]);
        a.extend(auth.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&a).assert_code(0);
        let same = home.requests();
        let last = same.last().expect("request");
        assert_eq!(last.path, "/stream");
        assert!(
            last.header("authorization").is_some(),
            "{auth:?}: same host keeps it"
        );

        let mut a = vec![home.url_for("/away"), "--no-reconnect".to_string()];
        a.extend(auth.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = run(&a);
        out.assert_code(0);
        assert_eq!(out.json()[0]["data"], "elsewhere");
        let away = other.requests();
        let last = away.last().expect("request on the other host");
        assert_eq!(
            last.header("authorization"),
            None,
            "{auth:?} leaked to another host"
        );
    }
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let server = Server::start(|n, _| {
        if n == 0 {
            let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
            Reply::status(503, &[("Retry-After", when.as_str())], "")
        } else {
            Reply::sse().body(event(None, None, "ok"))
        }
    });
    let out = run(&[&server.url(), "--retry", "10ms", "-n", "1"]);
    out.assert_code(0);
    let reqs = server.requests();
    let gap = reqs[1].at - reqs[0].at;
    // The date has one-second resolution: 2 to 3 s ahead.
    assert!(gap >= Duration::from_millis(1500), "gap {gap:?}");
    assert!(gap < Duration::from_secs(10), "gap {gap:?}");
}

#[test]
fn unauthorized_forbidden_and_not_found_end_at_once() {
    for status in [401, 403, 404] {
        let server = Server::start(move |_, _| Reply::status(status, &[], "go away"));
        let out = run(&[&server.url(), "--retry", "10ms"]);
        out.assert_code(1);
        assert_eq!(server.requests().len(), 1, "{status}");
        assert!(out.stderr.contains(&status.to_string()), "{}", out.stderr);
    }
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made with
/// the openssl command.
fn make_certs(dir: &Scratch) -> (PathBuf, PathBuf, PathBuf) {
    let ext = dir.write(
        "ext.cnf",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         extendedKeyUsage=serverAuth\n",
    );
    let p = |n: &str| dir.path(n).to_string_lossy().into_owned();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let steps: Vec<Vec<String>> = vec![
        [
            &["req", "-x509"][..],
            &ec,
            &["-keyout", &p("ca.key"), "-out", &p("ca.pem")],
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .chain(["-days", "2", "-subj", "/CN=ssetap test CA"].map(String::from))
        .collect(),
        [
            &["req"][..],
            &ec,
            &["-keyout", &p("srv.key"), "-out", &p("srv.csr")],
        ]
        .concat()
        .iter()
        .map(|s| s.to_string())
        .chain(["-subj", "/CN=127.0.0.1"].map(String::from))
        .collect(),
        [
            "x509",
            "-req",
            "-in",
            &p("srv.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(["-CAcreateserial", "-days", "2", "-out", &p("srv.pem")].map(String::from))
        .chain(["-extfile".to_string(), ext.to_string_lossy().into_owned()])
        .collect(),
    ];
    for args in steps {
        let out = Command::new("openssl")
            .args(&args)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (dir.path("ca.pem"), dir.path("srv.pem"), dir.path("srv.key"))
}

/// An HTTPS server that answers every connection with one SSE event.
fn tls_server(cert: &PathBuf, key: &PathBuf) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .expect("cert pem")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(key).expect("key pem");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}/stream", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let body = event(None, Some("1"), "secure");
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes());
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    url
}

#[test]
fn self_signed_tls_fails_by_default_and_works_with_cacert_or_insecure() {
    let dir = Scratch::new("tls");
    let (ca, cert, key) = make_certs(&dir);
    let url = tls_server(&cert, &key);

    let out = run(&[&url, "--retry", "10ms"]);
    out.assert_code(1);
    let err = out.stderr.to_lowercase();
    assert!(
        err.contains("certificate") || err.contains("tls"),
        "{}",
        out.stderr
    );
    assert!(
        !err.contains("reconnecting"),
        "a bad certificate is fatal: {}",
        out.stderr
    );

    let out = run(&[&url, "--no-reconnect", "--cacert", ca.to_str().unwrap()]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);

    let out = run(&[&url, "--no-reconnect", "--insecure"]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");
    assert!(out.stderr.contains("--insecure"), "warns: {}", out.stderr);
}

#[test]
fn an_unreadable_or_bad_cacert_is_one_clear_line() {
    let dir = Scratch::new("cacert");
    let junk = dir.write("junk.pem", "not a certificate\n");
    for (file, code) in [("/nonexistent/ca.pem", 1), (junk.to_str().unwrap(), 1)] {
        let out = run(&["https://127.0.0.1:9/stream", "--cacert", file]);
        out.assert_code(code);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains("cacert"), "{}", out.stderr);
    }
}
