//! TLS certificates as users make them: a self-signed certificate trusted
//! with --cacert (as curl does), one for another name, an expired one, an
//! unknown issuer with and without --cacert, and https:// to a server that
//! speaks plain HTTP. Each failure is one line and ends the run (exit 1).

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost
/// -addext subjectAltName=… -days 1`: CA:TRUE, as openssl makes it.
fn self_signed(dir: &Scratch, name: &str, san: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.path(&format!("{name}.pem")),
        dir.path(&format!("{name}.key")),
    );
    let p = |p: &PathBuf| p.to_string_lossy().into_owned();
    let mut args: Vec<String> = "req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1"
        .split_whitespace()
        .map(String::from)
        .collect();
    args.extend(["-addext".into(), format!("subjectAltName={san}")]);
    args.extend(["-keyout".into(), p(&key), "-out".into(), p(&cert)]);
    openssl(&args);
    (cert, key)
}

/// A self-signed certificate for localhost and 127.0.0.1 that was valid
/// on 2020-01-01 only (OpenSSL 3.0's `req` cannot back-date, `ca` can).
fn expired_self_signed(dir: &Scratch) -> (PathBuf, PathBuf) {
    let s = |p: PathBuf| p.to_string_lossy().into_owned();
    dir.write("index.txt", "");
    dir.write("serial", "01\n");
    let cnf = dir.write(
        "ca.cnf",
        format!(
            "[ca]\ndefault_ca = d\n[d]\ndatabase = {}\nnew_certs_dir = {}\nserial = {}\n\
             default_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n\
             [p]\ncommonName = supplied\n",
            s(dir.path("index.txt")),
            s(dir.dir().to_path_buf()),
            s(dir.path("serial")),
        ),
    );
    let (csr, key, cert) = (
        dir.path("old.csr"),
        dir.path("old.key"),
        dir.path("old.pem"),
    );
    let args = "req -new -newkey rsa:2048 -nodes -subj /CN=localhost \
                -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
                -addext basicConstraints=critical,CA:TRUE -keyout";
    let mut a: Vec<String> = args.split_whitespace().map(String::from).collect();
    a.extend([s(key.clone()), "-out".into(), s(csr.clone())]);
    openssl(&a);
    let args = "ca -batch -notext -selfsign -startdate 20200101000000Z \
                -enddate 20200102000000Z -config";
    let mut a: Vec<String> = args.split_whitespace().map(String::from).collect();
    a.extend([
        s(cnf),
        "-keyfile".into(),
        s(key.clone()),
        "-in".into(),
        s(csr),
    ]);
    a.extend(["-out".into(), s(cert.clone())]);
    openssl(&a);
    (cert, key)
}

/// stderr is one `ssetap: error:` line, and the run did not reconnect.
fn one_fatal_line(out: &Out) -> String {
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains("reconnecting"), "{}", out.stderr);
    out.stderr.clone()
}

#[test]
fn cacert_trusts_the_self_signed_certificate_it_holds() {
    let dir = Scratch::new("tls-self");
    let (cert, key) = self_signed(&dir, "self", "DNS:localhost,IP:127.0.0.1");
    let url = tls_server(&cert, &key);
    let by_name = url.replace("127.0.0.1", "localhost");
    for url in [&url, &by_name] {
        let out = run(&[url, "--no-reconnect", "--cacert", cert.to_str().unwrap()]);
        out.assert_code(0);
        assert_eq!(out.json()[0]["data"], "secure", "{url}");
    }

    // Without --cacert it is still refused, with the way out.
    let out = run(&[&url, "--retry", "10ms"]);
    let err = one_fatal_line(&out);
    assert!(err.contains("self-signed"), "{err}");
    assert!(
        err.contains("--cacert FILE") && err.contains("--insecure"),
        "{err}"
    );

    let out = run(&[&url, "--no-reconnect", "--insecure"]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");

    // --connect-timeout 0 turns the timeout off; it used to leave no time
    // for the handshake at all, and every https attempt timed out.
    let cacert = cert.to_str().unwrap();
    let args = [
        &url[..],
        "--no-reconnect",
        "--cacert",
        cacert,
        "--connect-timeout",
        "0",
    ];
    let out = run(&args);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");
}

/// A server that wants a client certificate says no the same way every
/// time: one fatal line, not a retry for ever as a network failure.
#[test]
fn a_server_wanting_a_client_certificate_is_fatal_at_once() {
    let dir = Scratch::new("tls-client-cert");
    let (cert, key) = self_signed(&dir, "self", "DNS:localhost,IP:127.0.0.1");
    let url = tls_server_wanting_client_cert(&cert, &key);
    let out = run(&[&url, "--retry", "10ms", "--cacert", cert.to_str().unwrap()]);
    let err = one_fatal_line(&out);
    assert!(err.contains("client certificate"), "{err}");
}

#[test]
fn a_self_signed_certificate_for_another_name_fails_naming_both() {
    let dir = Scratch::new("tls-other");
    let (cert, key) = self_signed(&dir, "other", "DNS:other.example,DNS:www.other.example");
    let url = tls_server(&cert, &key);
    let out = run(&[&url, "--retry", "10ms", "--cacert", cert.to_str().unwrap()]);
    let err = one_fatal_line(&out);
    assert!(err.contains("not valid for 127.0.0.1"), "{err}");
    assert!(
        err.contains("other.example, www.other.example"),
        "the certificate's names: {err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn an_expired_self_signed_certificate_fails_saying_when_it_expired() {
    let dir = Scratch::new("tls-expired");
    let (cert, key) = expired_self_signed(&dir);
    let url = tls_server(&cert, &key);
    let out = run(&[&url, "--retry", "10ms", "--cacert", cert.to_str().unwrap()]);
    let err = one_fatal_line(&out);
    assert!(
        err.contains("the certificate expired at 2020-01-02T00:00:00Z"),
        "{err}"
    );
}

#[test]
fn an_unknown_issuer_suggests_cacert_only_when_it_was_not_given() {
    let dir = Scratch::new("tls-issuer");
    let (_ca, cert, key) = make_certs(&dir);
    let url = tls_server(&cert, &key);

    let out = run(&[&url, "--retry", "10ms"]);
    let err = one_fatal_line(&out);
    assert!(err.contains("issuer is not trusted"), "{err}");
    assert!(
        err.contains("--cacert FILE") && err.contains("--insecure"),
        "{err}"
    );

    // A --cacert file that holds neither the CA nor the certificate.
    let (unrelated, _) = self_signed(&dir, "unrelated", "DNS:localhost");
    let out = run(&[
        &url,
        "--retry",
        "10ms",
        "--cacert",
        unrelated.to_str().unwrap(),
    ]);
    let err = one_fatal_line(&out);
    assert!(err.contains("not in the --cacert file"), "{err}");
    assert!(
        !err.contains("--cacert FILE"),
        "no second --cacert hint: {err}"
    );
    assert!(err.contains("--insecure"), "{err}");
}

#[test]
fn https_to_a_plain_http_server_says_so_once() {
    // A plain HTTP server answers a TLS hello as nginx does: 400. (The
    // scripted Server waits for a blank line a TLS hello never has.)
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&connections);
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = tcp.read(&mut [0u8; 4096]);
            let _ = tcp.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\
                  Content-Length: 11\r\nConnection: close\r\n\r\nbad request",
            );
        }
    });
    let url = format!("https://{addr}/stream");
    let out = run(&[&url, "--retry", "10ms", "--max-retries", "3"]);
    let err = one_fatal_line(&out);
    assert!(
        err.contains("the server did not answer TLS (is the URL http://?)"),
        "{err}"
    );
    assert!(!err.contains("InvalidContentType"), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "not retried");
}
