//! TLS for the integration tests: certificates made with the openssl
//! command, and an HTTPS server (rustls) that answers every connection with
//! one SSE event.

use super::{Scratch, event};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// Run the openssl command; the test fails if it does.
pub fn openssl<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `openssl` with a command line split at spaces (the scratch paths
/// tests put in it have none).
pub fn openssl_line(line: &str) {
    openssl(&line.split_whitespace().collect::<Vec<_>>());
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made with
/// the openssl command.
pub fn make_certs(dir: &Scratch) -> (PathBuf, PathBuf, PathBuf) {
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
        openssl(&args);
    }
    (dir.path("ca.pem"), dir.path("srv.pem"), dir.path("srv.key"))
}

/// A client certificate for `name`, issued by the CA `make_certs` made in
/// `dir`, and its key: (cert, key).
pub fn make_client_cert(dir: &Scratch, name: &str) -> (PathBuf, PathBuf) {
    let ext = dir.write(
        &format!("{name}.cnf"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    );
    let p = |n: &str| dir.path(n).to_string_lossy().into_owned();
    let (csr, cert, key) = (
        p(&format!("{name}.csr")),
        p(&format!("{name}.pem")),
        p(&format!("{name}.key")),
    );
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    openssl(&args(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &key,
        "-out",
        &csr,
        "-subj",
        &format!("/CN={name}"),
    ]));
    openssl(&args(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        &cert,
        "-extfile",
        &ext.to_string_lossy(),
    ]));
    (PathBuf::from(cert), PathBuf::from(key))
}

/// A self-signed P-256 certificate for `name` (its CN, and its DNS name
/// unless `None`), valid two days: (cert, key).
pub fn self_signed_ec(dir: &Scratch, name: &str, dns: Option<&str>) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.path(&format!("{name}.pem")),
        dir.path(&format!("{name}.key")),
    );
    let mut args: Vec<String> = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
                                 -nodes -days 2 -subj"
        .split_whitespace()
        .map(String::from)
        .collect();
    args.push(format!("/CN={name}"));
    if let Some(dns) = dns {
        args.extend(["-addext".into(), format!("subjectAltName=DNS:{dns}")]);
    }
    let p = |p: &PathBuf| p.to_string_lossy().into_owned();
    args.extend(["-keyout".into(), p(&key), "-out".into(), p(&cert)]);
    openssl(&args);
    (cert, key)
}

/// An HTTPS server that answers every connection with one SSE event.
pub fn tls_server(cert: &Path, key: &Path) -> String {
    tls_server_paced(cert, key, None)
}

/// Like `tls_server`; with `pause`, a second event ("late") follows the
/// first after that long on the same connection.
pub fn tls_server_paced(cert: &Path, key: &Path, pause: Option<Duration>) -> String {
    serve_tls(cert, key, pause, None)
}

/// Like `tls_server`, but asking every client for a certificate (signed by
/// the server's own, which no client here has).
pub fn tls_server_wanting_client_cert(cert: &Path, key: &Path) -> String {
    serve_tls(cert, key, None, Some(cert))
}

/// An HTTPS server that wants a client certificate issued by `client_ca`;
/// its event's data then says how many bytes the client's own had.
pub fn tls_server_with_client_ca(cert: &Path, key: &Path, client_ca: &Path) -> String {
    serve_tls(cert, key, None, Some(client_ca))
}

fn serve_tls(cert: &Path, key: &Path, pause: Option<Duration>, client_ca: Option<&Path>) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .expect("cert pem")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(key).expect("key pem");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = if let Some(ca) = client_ca {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(ca).expect("client CA pem") {
            roots.add(c.expect("client CA")).expect("root");
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("client verifier");
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(certs, key).expect("server config");
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
                let data = match tls.conn.peer_certificates() {
                    Some([own, ..]) => format!("secure, client certificate of {} bytes", own.len()),
                    _ => "secure".to_string(),
                };
                let body = event(None, Some("1"), &data);
                let late = pause.map(|_| event(None, Some("2"), "late"));
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len() + late.as_ref().map_or(0, String::len)
                );
                let _ = tls.write_all(resp.as_bytes());
                if let (Some(pause), Some(late)) = (pause, late) {
                    let _ = tls.flush();
                    std::thread::sleep(pause);
                    let _ = tls.write_all(late.as_bytes());
                }
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    url
}
