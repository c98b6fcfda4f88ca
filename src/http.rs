//! http: the HTTP source. Builds the ureq agent once from the config, sends
//! the request (again on every reconnect, with Last-Event-ID), classifies the
//! response, and turns an event-stream body into a plain reader.
//!
//! Redirects are followed here, not by ureq, so that each rule is ours: at
//! most 10; a `Location` resolved as RFC 3986 says (an empty one is the same
//! URL, so a loop is caught); a redirect without one is a protocol error;
//! credentials (Authorization, Cookie and other secret headers) go only to
//! the origin they were given for; 303 (and 301/302 after a POST) turn the
//! request into a GET without a body, as curl does.
//!
//! What a response means (stream, retry, fatal) is `http::answer`; gzip is
//! decoded by `http::gzip`, lazily (see there).

use anyhow::{Context, Result};
use std::io;
use std::time::Duration;
use ureq::config::AutoHeaderValue;
use ureq::http::{self as h, Response};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::{
    ConnectProxyConnector, Connector, DefaultConnector, TcpConnector,
};
use ureq::{Agent, Body};

/// Read buffer for the body; big enough that a fast stream costs few syscalls.
pub const BODY_BUFFER: usize = 256 * 1024;

/// Everything about the HTTP request, ready to send; `config` builds it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Final header list, defaults included, `-H` applied; the
    /// `Authorization` header is `auth`'s, set on each send.
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
    pub body: Option<Vec<u8>>,
    pub cacert: Option<Vec<u8>>,
    /// `--cert`: shown to a server that asks for a client certificate.
    pub client_cert: Option<crate::tls::ClientCert>,
    pub insecure: bool,
    pub connect_timeout: Duration,
    /// None = off.
    pub idle_timeout: Option<Duration>,
    /// Accept a 200 whatever its Content-Type.
    pub any_content_type: bool,
    pub proxy: Proxy,
    /// `--resolve`: host and port pinned to addresses.
    pub resolve: Vec<resolve::Pin>,
}

/// Which proxy requests go through (`-x`).
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Proxy {
    /// `$HTTPS_PROXY`, `$HTTP_PROXY` or `$ALL_PROXY`, and `$NO_PROXY`, as
    /// ureq reads them.
    #[default]
    FromEnv,
    /// None, whatever the environment says (`-x ''`).
    Off,
    /// This one, for every request (its credentials are secrets).
    Url(String),
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proxy::FromEnv => f.write_str("FromEnv"),
            Proxy::Off => f.write_str("Off"),
            Proxy::Url(_) => f.write_str("Url(…)"),
        }
    }
}

impl Proxy {
    /// Check a `-x` URL: an HTTP or HTTPS proxy (ureq is built without
    /// SOCKS), with a host.
    pub fn parse(url: &str) -> Result<Proxy, String> {
        if url.is_empty() {
            return Ok(Proxy::Off);
        }
        let proxy = ureq::Proxy::new(url).map_err(|_| {
            "not a proxy URL (http://[USER:PASSWORD@]HOST:PORT or https://…)".to_string()
        })?;
        if !matches!(
            proxy.protocol(),
            ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
        ) {
            return Err("ssetap speaks to HTTP and HTTPS proxies only (no SOCKS)".to_string());
        }
        if proxy.host().is_empty() {
            return Err("the proxy URL has no host".to_string());
        }
        Ok(Proxy::Url(url.to_string()))
    }

    fn for_agent(&self) -> Result<Option<ureq::Proxy>> {
        Ok(match self {
            Proxy::FromEnv => ureq::Proxy::try_from_env(),
            Proxy::Off => None,
            Proxy::Url(url) => {
                Some(ureq::Proxy::new(url).map_err(|_| anyhow::anyhow!("-x: not a proxy URL"))?)
            }
        })
    }
}

#[derive(Clone)]
pub struct Http {
    agent: Agent,
    url: String,
    req: Request,
    ticking: Ticking,
}

mod answer;
pub use answer::{Answer, answer};
pub mod auth;
mod failure;
mod gzip;
pub mod redirect;
pub mod resolve;
pub mod tick;

pub use auth::Auth;
pub use failure::failure_line;
use failure::is_lookup_failure;
pub use gzip::gunzip;
use redirect::{origin, resolve};
pub use tick::Ticking;

/// The longest timeout handed to ureq: it adds timeouts to `Instant`s
/// unchecked, so `--connect-timeout 18446744073709551615s` would panic
/// there. A longer one means the same (no timeout in a lifetime).
const LONGEST_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Redirects followed per request.
pub const MAX_REDIRECTS: usize = 10;

/// A response, and the URL that gave it (after redirects).
pub struct Sent {
    pub response: Response<Body>,
    pub url: String,
    /// The redirects followed on the way, for `-v`.
    pub hops: Vec<Hop>,
}

/// One redirect followed: its status, and the request sent after it.
#[derive(Debug)]
pub struct Hop {
    pub status: u16,
    pub method: String,
    pub url: String,
}

/// Why a request got no response to classify.
#[derive(Debug)]
pub enum SendError {
    /// ureq's error (network, TLS, …), and the URL it happened at.
    Ureq(ureq::Error, String),
    /// The server's answer breaks the protocol: fatal, with this message.
    Protocol(String),
}

impl Http {
    pub fn new(url: &str, req: &Request) -> Result<Http> {
        let roots = match &req.cacert {
            Some(pem) => {
                let mut certs = Vec::new();
                for item in ureq::tls::parse_pem(pem) {
                    if let PemItem::Certificate(c) =
                        item.context("--cacert: not a valid PEM file")?
                    {
                        certs.push(c);
                    }
                }
                if certs.is_empty() {
                    anyhow::bail!("--cacert: no certificate found in the file");
                }
                RootCerts::new_with_certs(
                    &certs.iter().map(Certificate::to_owned).collect::<Vec<_>>(),
                )
            }
            None => RootCerts::PlatformVerifier,
        };
        let tls = TlsConfig::builder()
            .root_certs(roots)
            .client_cert(
                req.client_cert
                    .as_ref()
                    .map(crate::tls::ClientCert::for_ureq),
            )
            .disable_verification(req.insecure)
            .build();
        let config = Agent::config_builder()
            .proxy(req.proxy.for_agent()?)
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .allow_non_standard_methods(true)
            // 0 turns it off, as for --idle-timeout (and curl): ureq would
            // take it as no time at all, which no TLS handshake fits in.
            .timeout_connect(
                (!req.connect_timeout.is_zero()).then(|| req.connect_timeout.min(LONGEST_TIMEOUT)),
            )
            .timeout_per_read(req.idle_timeout.map(|t| t.min(LONGEST_TIMEOUT)))
            // A server that stops reading a large body (-d @FILE) would
            // otherwise park the send for ever: no byte moving either way
            // for the idle timeout is the same failure.
            .timeout_per_write(req.idle_timeout.map(|t| t.min(LONGEST_TIMEOUT)))
            // No connection is kept for the next request: a reconnect comes
            // after a stream ended, when a kept-alive connection is the one
            // a server is likeliest to have dropped (the attempt would fail
            // with a reset and count against --max-retries).
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            .tls_config(tls)
            .build();
        let ticking = Ticking::default();
        let tick = tick::TickConnector(ticking.clone());
        let pinned = resolve::Pinned::new(req.resolve.clone());
        let agent = match crate::tls::cacert_connector(&config, req.client_cert.as_ref())? {
            Some(tls) => {
                let chain = ().chain(ConnectProxyConnector::default());
                let chain = chain.chain(TcpConnector::default()).chain(tls);
                Agent::with_parts(config, chain.chain(tick), pinned)
            }
            None => {
                let chain = DefaultConnector::new().chain(tick);
                Agent::with_parts(config, chain, pinned)
            }
        };
        Ok(Http {
            agent,
            url: url.to_string(),
            req: req.clone(),
            ticking,
        })
    }

    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// The agent for a request of our own between streams (a token):
    /// body reads must not tick for it.
    pub fn quiet_agent(&self) -> &Agent {
        self.ticking.set(false);
        &self.agent
    }

    /// `HOST:PORT` of the proxy (from `*_PROXY`, as ureq reads it) a
    /// request to `url` goes through, if one does.
    pub fn proxy_for(&self, url: &str) -> Option<String> {
        let proxy = self.agent.config().proxy()?;
        let uri = url.parse::<h::Uri>().ok()?;
        (!proxy.is_no_proxy(&uri)).then(|| format!("{}:{}", proxy.host(), proxy.port()))
    }

    /// The URL requests start at (not redacted).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A response body is being read (a stream, or the first bytes of an
    /// error's body): let quiet reads tick (see `tick`). Every `send` turns
    /// it off again for the next response head.
    pub fn start_ticking(&self) {
        self.ticking.set(true);
    }

    /// The request line and headers as sent, for `-v` (not yet redacted).
    pub fn describe(&self, headers: &[(String, String)]) -> Vec<String> {
        let mut lines = vec![format!("{} {}", self.req.method, self.url)];
        for (n, v) in headers {
            lines.push(format!("{n}: {v}"));
        }
        lines
    }

    /// `describe_error` for this agent's requests: with `--cert`, a server
    /// that says it got no certificate is worded for that.
    pub fn describe_error(&self, err: &ureq::Error) -> (String, bool) {
        let (text, fatal) = describe_error(err);
        match self.req.client_cert {
            Some(_) => (crate::tls::with_cert(text), fatal),
            None => (text, fatal),
        }
    }

    /// With `-v`: where `--resolve` sends a request to `url`, if it does.
    pub fn pinned(&self, url: &str) -> Option<String> {
        resolve::shown(&self.req.resolve, url)
    }

    /// The headers of the next send, before `auth` adds its own.
    pub fn headers(&self, last_event_id: &str) -> Vec<(String, String)> {
        let mut headers = self.req.headers.clone();
        if !last_event_id.is_empty()
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("last-event-id"))
        {
            headers.push(("Last-Event-ID".into(), last_event_id.into()));
        }
        headers
    }

    /// Send the request and wait for the response head, following
    /// redirects. Blocking; the pipeline runs it on a helper thread so that
    /// a stop request does not wait for a slow connect.
    pub fn send(&self, mut headers: Vec<(String, String)>) -> Result<Sent, SendError> {
        self.ticking.set(false);
        let mut url = self.url.clone();
        let mut method = self.req.method.clone();
        let mut body = self.req.body.as_deref();
        let mut hops = Vec::new();
        for _ in 0..=MAX_REDIRECTS {
            let resp = self
                .send_one(&method, &url, &headers, body)
                .map_err(|e| SendError::Ureq(e, url.clone()))?;
            let status = resp.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return Ok(Sent {
                    response: resp,
                    url,
                    hops,
                });
            }
            let location = resp
                .headers()
                .get("location")
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
            let Some(location) = location else {
                let reason = resp.status().canonical_reason().unwrap_or("");
                return Err(SendError::Protocol(format!(
                    "{}: HTTP {status} {reason} without a Location header",
                    crate::redact::redact_url(&url)
                )));
            };
            let next = resolve(&url, &location).map_err(|why| {
                SendError::Protocol(format!(
                    "{}: HTTP {status} to an unusable Location: {why}",
                    crate::redact::redact_url(&url)
                ))
            })?;
            if origin(&next) != origin(&url) {
                headers.retain(|(n, _)| !crate::redact::is_secret_name(n));
            }
            if status == 303 || (matches!(status, 301 | 302) && method == "POST") {
                method = "GET".into();
                body = None;
            }
            hops.push(Hop {
                status,
                method: method.clone(),
                url: next.clone(),
            });
            url = next;
        }
        Err(SendError::Protocol(format!(
            "{}: too many redirects (more than {MAX_REDIRECTS}; a redirect loop?)",
            crate::redact::redact_url(&url)
        )))
    }

    fn send_one(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<Response<Body>, ureq::Error> {
        let mut builder = h::Request::builder().method(method).uri(url);
        for (n, v) in headers {
            builder = builder.header(n, v);
        }
        match body {
            Some(body) => self.agent.run(builder.body(body)?),
            // ureq would send these methods' missing body chunked (a
            // `0` chunk), which some servers refuse: an empty body of
            // length 0, as a browser sends.
            None if matches!(method, "POST" | "PUT" | "PATCH") => {
                self.agent.run(builder.body(&b""[..])?)
            }
            None => self.agent.run(builder.body(())?),
        }
    }
}

/// Is this error from an idle timeout (no byte for --idle-timeout)?
pub fn is_timeout(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::TimedOut
        || err
            .get_ref()
            .and_then(|e| e.downcast_ref::<ureq::Error>())
            .is_some_and(|e| matches!(e, ureq::Error::Timeout(_)))
}

/// A one-line reason for a failed request, with a hint where one helps.
pub fn describe_error(err: &ureq::Error) -> (String, bool) {
    use ureq::Error as E;
    if let Some(text) = crate::tls::describe(err) {
        return (text, true);
    }
    // A fixed answer of the server (or our own setup) fails the same way
    // every time: fatal. Network failures are worth another try.
    let fatal = matches!(
        err,
        E::TooManyRedirects
            | E::RedirectFailed
            | E::BadUri(_)
            | E::InvalidProxyUrl
            | E::Http(_)
            | E::Protocol(_)
            | E::LargeResponseHeader(..)
            | E::RequireHttpsOnly(_)
            | E::Tls(_)
            | E::TlsRequired
    );
    let mut text = match err {
        E::TooManyRedirects => "too many redirects (more than 10; a redirect loop?)".to_string(),
        E::Timeout(t) => format!("timed out ({t})"),
        E::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    };
    let tls_verify = text.contains("certificate") || text.contains("UnknownIssuer");
    if tls_verify {
        text = format!(
            "TLS certificate verification failed: {text} (trust its CA with --cacert FILE, or skip checks with --insecure)"
        );
    }
    (text, fatal || tls_verify)
}

/// Did this error happen before the request could have reached the server
/// (resolving, connecting)? Only then may a request with a body be sent
/// again without `--reconnect`.
pub fn before_sending(err: &ureq::Error) -> bool {
    use ureq::Error as E;
    use ureq::Timeout as T;
    match err {
        E::HostNotFound | E::ConnectionFailed => true,
        E::Timeout(t) => matches!(t, T::Resolve | T::Connect),
        E::Io(e) => {
            matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::HostUnreachable
                    | io::ErrorKind::NetworkUnreachable
                    | io::ErrorKind::AddrNotAvailable
            ) || is_lookup_failure(e)
                // No socket could be made: nothing was sent.
                || matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
        }
        _ => false,
    }
}
