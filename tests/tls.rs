//! TLS certificates as users make them: a self-signed certificate trusted
//! with --cacert (as curl does).

mod common;

use common::*;
use std::path::PathBuf;

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

    let out = run(&[&url, "--no-reconnect", "--insecure"]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], "secure");
}
