//! `--resolve HOST:PORT:ADDR`, as curl's: a name no resolver has reaches
//! the pinned address, with the `Host` header, TLS's server name and the
//! certificate check still HOST's; a redirect to another pinned name is
//! followed; a malformed pin is a usage error.

mod common;

use common::*;

#[test]
fn a_pinned_name_reaches_its_address_and_keeps_its_host_header() {
    let port_of = |s: &Server| s.addr().rsplit(':').next().unwrap().to_string();
    let target = Server::script(vec![Reply::sse().body(event(None, Some("1"), "pinned"))]);
    let other = port_of(&target);
    // A redirect to another name, pinned by the wildcard.
    let location = format!("http://other.invalid:{other}/next");
    let server = Server::script(vec![Reply::status(307, &[("Location", &location)], "")]);
    let port = port_of(&server);
    let url = format!("http://stream.invalid:{port}/stream");
    let out = run(&[
        &url,
        "--no-reconnect",
        "--max-retries",
        "0",
        "--resolve",
        &format!("stream.invalid:{port}:127.0.0.1"),
        "--resolve",
        &format!("*:{other}:127.0.0.1"),
        "-v",
    ]);
    out.assert_code(0);
    // -v says where each request went, and the redirect between them, as
    // curl -v -L does.
    for said in [
        format!("* stream.invalid:{port} goes to 127.0.0.1 (--resolve)"),
        format!("< HTTP 307: following it to {location}"),
        format!("* other.invalid:{other} goes to 127.0.0.1 (--resolve)"),
        format!("> GET {location}"),
    ] {
        assert!(out.stderr.contains(&said), "{said}: {}", out.stderr);
    }
    assert_eq!(out.json()[0]["data"], "pinned");
    assert_eq!(
        server.requests()[0].header("host"),
        Some(format!("stream.invalid:{port}").as_str())
    );
    assert_eq!(
        target.requests()[0].header("host"),
        Some(format!("other.invalid:{other}").as_str())
    );
}

#[test]
fn tls_checks_the_certificate_against_the_pinned_name() {
    let dir = Scratch::new("resolve-tls");
    let (cert, key) = self_signed_ec(&dir, "stream.invalid", Some("stream.invalid"));
    let url = tls_server(&cert, &key);
    let port = url.rsplit(':').next().unwrap().trim_end_matches("/stream");
    let pinned = format!("https://stream.invalid:{port}/stream");
    let pin = format!("stream.invalid:{port}:127.0.0.1");
    let cacert = cert.to_str().unwrap();
    let out = run(&[
        &pinned,
        "--no-reconnect",
        "--resolve",
        &pin,
        "--cacert",
        cacert,
    ]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");
    // By its address the same server's certificate does not fit.
    let out = run(&[&url, "--max-retries", "0", "--cacert", cacert]);
    out.assert_code(1);
    assert!(out.stderr.contains("stream.invalid"), "{}", out.stderr);
}

#[test]
fn a_malformed_pin_is_one_usage_line() {
    for (pin, says) in [
        ("stream.invalid:443", "expected HOST:PORT:ADDR"),
        ("stream.invalid:99999:127.0.0.1", "is not a port"),
        ("stream.invalid:443:localhost", "is not an IP address"),
    ] {
        let out = run(&["http://stream.invalid/", "--resolve", pin]);
        out.assert_code(2);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(says), "{pin}: {}", out.stderr);
    }
}

/// Through a proxy (`-x`) the proxy looks the URL's name up, as in curl:
/// a pin for it is said not to be used.
#[test]
fn a_pin_for_a_name_the_proxy_looks_up_is_said_to_be_unused() {
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", refused.local_addr().unwrap());
    drop(refused);
    let out = run(&[
        "http://stream.invalid:80/",
        "--resolve",
        "stream.invalid:80:127.0.0.1",
        "-x",
        &proxy,
        "--max-retries",
        "0",
    ]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains("--resolve: the URL's host is looked up by the proxy"),
        "{}",
        out.stderr
    );
    // A pin for the proxy's own name is used: no such warning.
    let out = run(&[
        "http://stream.invalid:80/",
        "--resolve",
        "proxy.invalid:3128:127.0.0.1",
        "-x",
        "http://proxy.invalid:3128",
        "--max-retries",
        "0",
    ]);
    assert!(!out.stderr.contains("--resolve:"), "{}", out.stderr);
}
