//! Proxies: the environment's (`$HTTP_PROXY`, `$NO_PROXY`, as ureq reads
//! them), `-x` in its place for every request, `-x ''` for none; a proxy
//! that is down is named in the failure, and its credentials are sent to
//! it (Proxy-Authorization) but never shown, in stderr or in `ps`.

mod common;

use common::*;
use std::time::Duration;

/// A scripted server playing an HTTP proxy: it grants the tunnel
/// (`CONNECT host:port`), then answers the request sent through it.
fn tunnel(reply: Reply) -> Server {
    Server::start(move |_, _| {
        let mut r = Reply(vec![Step::Write(
            b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec(),
        )]);
        r = r.pause(Duration::from_millis(300));
        r.0.extend(reply.clone().0);
        r
    })
}

#[test]
fn a_proxy_from_the_environment_is_used_and_no_proxy_is_respected() {
    // The scripted server plays the proxy: ureq asks it for a tunnel
    // (CONNECT host:80), then sends its request through the tunnel.
    let proxy = Server::start(|_, _| {
        let mut r = Reply(vec![Step::Write(
            b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec(),
        )]);
        r = r.pause(Duration::from_millis(300));
        r.0.extend(Reply::sse().body(event(None, None, "via proxy")).0);
        r
    });
    let mut cmd = ssetap(&["http://stream.example.invalid/feed", "--no-reconnect"]);
    cmd.env("http_proxy", proxy.url_for(""));
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "via proxy");
    let reqs = proxy.requests();
    assert_eq!(reqs[0].method, "CONNECT");
    assert_eq!(reqs[0].path, "stream.example.invalid:80");

    let direct = Server::start(|_, _| Reply::sse().body(event(None, None, "direct")));
    let mut cmd = ssetap(&[&direct.url(), "--no-reconnect"]);
    cmd.env("http_proxy", proxy.url_for(""));
    cmd.env("no_proxy", "127.0.0.1");
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "direct");
    assert_eq!(proxy.requests().len(), 1);
}

/// A proxy that is down is not the server's fault: the line names both,
/// and not the proxy's credentials.
#[test]
fn a_proxy_that_is_down_is_named_in_the_failure() {
    let port = common::probe::free_port();
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    let mut cmd = ssetap(&[&server.url(), "--max-retries", "0"]);
    cmd.env("HTTP_PROXY", format!("http://u:ProxyPw9@127.0.0.1:{port}"));
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(1);
    let at = server.addr();
    assert!(
        out.stderr.contains(&format!(
            "cannot connect to {at} through the proxy 127.0.0.1:{port}"
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("ProxyPw9"), "{}", out.stderr);
    assert!(server.requests().is_empty());
}

#[test]
fn dash_x_replaces_the_environments_proxy_and_empty_means_none() {
    let dead = format!("http://127.0.0.1:{}", common::probe::free_port());
    let proxy = tunnel(Reply::sse().body(event(None, None, "via -x")));
    let mut cmd = ssetap(&[
        "http://stream.example.invalid/feed",
        "--no-reconnect",
        "-x",
        &proxy.url_for(""),
    ]);
    cmd.env("http_proxy", &dead);
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "via -x", "{}", out.stderr);
    let reqs = proxy.requests();
    assert_eq!(reqs[0].method, "CONNECT");
    assert_eq!(reqs[0].path, "stream.example.invalid:80");

    // -x '' goes direct, whatever the environment says.
    let direct = Server::start(|_, _| Reply::sse().body(event(None, None, "direct")));
    let mut cmd = ssetap(&[&direct.url(), "--no-reconnect", "-x", ""]);
    cmd.env("http_proxy", &dead);
    cmd.env("HTTPS_PROXY", &dead);
    let out = Running::start(cmd).finish(run::LIMIT);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "direct", "{}", out.stderr);
}

#[test]
fn a_proxys_credentials_reach_it_and_nowhere_else() {
    let proxy = tunnel(Reply::sse().body(event(None, None, "x")).hold());
    let with_creds = proxy.url_for("").replace("http://", "http://pat:PxPw%217@");
    let r = Running::spawn(&[
        "http://stream.example.invalid/feed",
        "-v",
        "-x",
        &with_creds,
    ]);
    let line = r.next_line(run::LIMIT);
    assert!(line.is_some(), "no event came through the proxy");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", r.pid())).expect("cmdline");
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    r.signal(libc::SIGTERM);
    let out = r.finish(run::LIMIT);
    out.assert_code(143);
    assert!(cmdline.contains("http://pat:********@"), "{cmdline}");
    // base64("pat:PxPw!7"): ureq decodes the URL's %21.
    let reqs = proxy.requests();
    assert_eq!(
        reqs[0].header("proxy-authorization"),
        Some("Basic cGF0OlB4UHchNw==")
    );
    for secret in ["PxPw", "cGF0OlB4UHchNw"] {
        assert!(!out.stderr.contains(secret), "{}", out.stderr);
    }

    // A proxy that is down is named, its password not.
    let dead = format!(
        "http://pat:PxPw%217@127.0.0.1:{}",
        common::probe::free_port()
    );
    let out = run(&["http://h.invalid/", "-x", &dead, "--max-retries", "0", "-v"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("through the proxy 127.0.0.1:"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("PxPw"), "{}", out.stderr);
}

#[test]
fn a_proxy_that_is_not_http_or_https_is_a_usage_error() {
    for (url, says) in [
        ("socks5://127.0.0.1:1080", "no SOCKS"),
        ("http://", "not a proxy URL"),
        ("http://u:SoPw9@", "not a proxy URL"),
    ] {
        let out = run(&["http://h.invalid/", "-x", url]);
        out.assert_code(2);
        assert!(out.stderr.contains(says), "{url}: {}", out.stderr);
        assert!(!out.stderr.contains("SoPw9"), "{}", out.stderr);
    }
}
