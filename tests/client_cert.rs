//! Mutual TLS: `--cert` (with the key in the same file or in `--cert-key`)
//! opens a server that wants a client certificate, through both of
//! ssetap's TLS connectors (`--cacert`'s own, and ureq's under `-k`); a
//! certificate the server refuses is one fatal line; a pair that cannot be
//! used is exit 1 before anything is sent, and never quotes the key.

mod common;

use common::*;
use std::net::TcpListener;
use std::path::Path;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_client_certificate_opens_a_server_that_wants_one() {
    let dir = Scratch::new("mtls-ok");
    let (ca, srv, srv_key) = make_certs(&dir);
    let (client, client_key) = make_client_cert(&dir, "client");
    let url = tls_server_with_client_ca(&srv, &srv_key, &ca);
    let own_len = {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_file(&client).unwrap().len()
    };
    let want = format!("secure, client certificate of {own_len} bytes");

    // Two files, through --cacert's connector.
    let out = run(&[
        &url,
        "--no-reconnect",
        "--cacert",
        s(&ca),
        "--cert",
        s(&client),
        "--cert-key",
        s(&client_key),
    ]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], want.as_str());
    // openssl wrote the key 0600: no warning. Made readable, it warns.
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&client_key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = [
        &url,
        "--no-reconnect",
        "--cacert",
        s(&ca),
        "--cert",
        s(&client),
    ];
    let out = run(&[&args[..], &["--cert-key", s(&client_key)]].concat());
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("holds a private key and others can read it; chmod 600 it"),
        "{}",
        out.stderr
    );

    // One file holding both (as curl's --cert takes it), through ureq's own
    // connector (-k).
    let both = dir.write(
        "both.pem",
        std::fs::read_to_string(&client).unwrap() + &std::fs::read_to_string(&client_key).unwrap(),
    );
    let out = run(&[&url, "--no-reconnect", "-k", "--cert", s(&both)]);
    out.assert_code(0);
    assert_eq!(out.json()[0]["data"], want.as_str());

    // Without one, the way out is named.
    let out = run(&[&url, "--retry", "10ms", "--cacert", s(&ca)]);
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("give it with --cert FILE"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_certificate_the_server_refuses_ends_the_run_in_one_line() {
    let dir = Scratch::new("mtls-refused");
    let (ca, srv, srv_key) = make_certs(&dir);
    let url = tls_server_with_client_ca(&srv, &srv_key, &ca);
    // Self-signed: not issued by the CA the server trusts.
    let (stranger, stranger_key) = self_signed_ec(&dir, "stranger", None);
    let out = run(&[
        &url,
        "--retry",
        "10ms",
        "--cacert",
        s(&ca),
        "--cert",
        s(&stranger),
        "--cert-key",
        s(&stranger_key),
    ]);
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!out.stderr.contains("reconnecting"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the server refused the client certificate"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_pair_that_cannot_be_used_is_exit_1_before_anything_is_sent() {
    let dir = Scratch::new("mtls-bad");
    make_certs(&dir);
    let (client, client_key) = make_client_cert(&dir, "client");
    let (_, other_key) = make_client_cert(&dir, "other");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("https://{}/", listener.local_addr().unwrap());
    let key_text = std::fs::read_to_string(&other_key).unwrap();
    let key_body = key_text.lines().nth(1).unwrap();

    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--cert", s(&client), "--cert-key", s(&other_key)],
            "the private key is not the certificate's".into(),
        ),
        (
            vec!["--cert", s(&client)],
            format!(
                "--cert {}: no private key in the file; give it with --cert-key FILE",
                s(&client)
            ),
        ),
        (
            vec!["--cert", s(&client_key)],
            "no certificate in the file".into(),
        ),
        (
            vec!["--cert", s(&client), "--cert-key", "/nonexistent/k.pem"],
            "cannot read --cert-key /nonexistent/k.pem".into(),
        ),
    ];
    for (flags, want) in cases {
        let mut args = vec![url.as_str(), "--max-retries", "0"];
        args.extend(flags);
        let out = run(&args);
        out.assert_code(1);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(&want), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains(key_body), "{}", out.stderr);
    }
    assert!(listener.accept().is_err(), "nothing connected");

    // An encrypted key, in either form, says how to decrypt it; a DER
    // file is named as such, with the conversion; a key rustls cannot sign
    // with says which kinds it can.
    let (cert, key) = (s(&client), s(&client_key));
    let (enc, legacy, der) = (
        dir.path("enc.key"),
        dir.path("legacy.key"),
        dir.path("client.der"),
    );
    let (enc, legacy, der) = (s(&enc), s(&legacy), s(&der));
    let (weak, weak_key) = (dir.path("weak.pem"), dir.path("weak.key"));
    let (weak, weak_key) = (s(&weak), s(&weak_key));
    let pass = "-aes256 -passout pass:x";
    openssl_line(&format!("pkey -in {key} -out {enc} {pass}"));
    openssl_line(&format!("genrsa -traditional -out {legacy} {pass} 2048"));
    openssl_line(&format!("x509 -in {cert} -outform der -out {der}"));
    openssl_line(&format!(
        "req -x509 -newkey rsa:1024 -nodes -subj /CN=weak -days 2 -keyout {weak_key} -out {weak}"
    ));
    for (flags, says) in [
        (
            ["--cert", cert, "--cert-key", enc],
            &["is encrypted", "openssl pkey"][..],
        ),
        (["--cert", cert, "--cert-key", legacy], &["is encrypted"]),
        (["--cert", der, "--cert-key", key], &["it looks like DER"]),
        (
            ["--cert", weak, "--cert-key", weak_key],
            &["RSA of 2048 bits or more"],
        ),
    ] {
        let out = run(&[&[url.as_str()][..], &flags].concat());
        out.assert_code(1);
        for said in says {
            assert!(out.stderr.contains(said), "{flags:?}: {}", out.stderr);
        }
    }

    // curl's FILE:PASSWORD is named as such, and the password not shown.
    let with_pass = format!("{}:hunter2", s(&client));
    let out = run(&[&url, "--cert", &with_pass, "--cert-key", enc]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("--cert takes no :PASSWORD"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);

    // --cert-key alone is a usage error, and so is --key (Kafka's) without
    // Kafka, which names --cert-key for the TLS key.
    run(&[&url, "--cert-key", s(&client_key)]).assert_code(2);
    for key in [s(&client_key), "client.key"] {
        let out = run(&[&url, "--key", key]);
        out.assert_code(2);
        assert!(out.stderr.contains("is --cert-key"), "{}", out.stderr);
    }
}

/// `openssl s_server` on a free port of 127.0.0.1 with these arguments,
/// once it accepts connections; killed when dropped.
struct SServer(std::process::Child, u16);

impl SServer {
    fn start(args: &[&str]) -> SServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let child = std::process::Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-www",
                "-accept",
                &format!("127.0.0.1:{port}"),
            ])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(std::time::Instant::now() < until, "s_server did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        SServer(child, port)
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// OpenSSL under TLS 1.2 answers a missing certificate, and one of a key
/// kind it does not take, with handshake_failure: fatal at once, naming
/// --cert, not retried for ever as a network failure.
#[test]
fn a_tls12_server_that_wants_a_certificate_is_fatal_at_once_too() {
    let dir = Scratch::new("mtls-tls12");
    let (ca, srv, srv_key) = make_certs(&dir);
    let (client, client_key) = make_client_cert(&dir, "client");
    let server = SServer::start(&[
        "-tls1_2",
        "-Verify",
        "1",
        "-verify_return_error",
        "-CAfile",
        s(&ca),
        "-cert",
        s(&srv),
        "-key",
        s(&srv_key),
        // The client's key is EC: a server that takes only RSA signatures.
        "-client_sigalgs",
        "RSA+SHA256",
    ]);
    let url = format!("https://127.0.0.1:{}/", server.1);
    let out = run(&[&url, "--retry", "10ms", "--cacert", s(&ca)]);
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("the TLS handshake failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--cert FILE"), "{}", out.stderr);

    let with = [
        &url,
        "--retry",
        "10ms",
        "--cacert",
        s(&ca),
        "--cert",
        s(&client),
    ];
    let out = run(&[&with[..], &["--cert-key", s(&client_key)]].concat());
    out.assert_code(1);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("takes none of the kind --cert has"),
        "{}",
        out.stderr
    );
}
