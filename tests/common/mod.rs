//! Shared by the integration tests: a scripted HTTP server on 127.0.0.1
//! (`server`), a runner for the built binary (`run`), and certificates and
//! an HTTPS server (`tls`), and Debian's jq (`debian_jq`). Each test file uses part of it.
#![allow(dead_code, unused_imports)]

pub mod debian_jq;
pub mod probe;
pub mod run;
pub mod server;
pub mod tls;

pub use debian_jq::debian_jq;
pub use run::{Out, Running, Scratch, limit_file_size, run, run_with_stdin, ssetap};
pub use server::{Reply, Request, Server, Step};
pub use tls::{
    make_certs, make_client_cert, openssl, openssl_line, self_signed_ec, tls_server,
    tls_server_paced, tls_server_wanting_client_cert, tls_server_with_client_ca,
};

/// One event in SSE text: optional type and id, then data lines.
pub fn event(kind: Option<&str>, id: Option<&str>, data: &str) -> String {
    let mut s = String::new();
    if let Some(k) = kind {
        s.push_str(&format!("event: {k}\n"));
    }
    if let Some(id) = id {
        s.push_str(&format!("id: {id}\n"));
    }
    for line in data.split('\n') {
        s.push_str(&format!("data: {line}\n"));
    }
    s.push('\n');
    s
}

/// The last event ID a state file holds.
pub fn saved_id(state: &std::path::Path) -> String {
    let text = std::fs::read_to_string(state).expect("state file");
    let v: serde_json::Value = serde_json::from_str(&text).expect("state is JSON");
    v["last_event_id"].as_str().expect("an ID").to_string()
}
