//! tls: how ssetap checks a server's certificate and how it words TLS
//! failures.
//!
//! ureq 3.5 takes only root certificates in its `TlsConfig`, and webpki
//! refuses a self-signed certificate as a server's own (`CaUsedAsEndEntity`:
//! `openssl req -x509` makes it CA:TRUE). So with `--cacert` (and without
//! `--insecure`) the agent gets its own connector chain: ureq's CONNECT-proxy
//! and TCP connectors, then `CacertTls` (in `transport`), a rustls client
//! whose verifier ([`CacertVerifier`]) first runs the usual webpki checks
//! against the file's certificates and, when they fail, accepts a server
//! certificate that is byte-for-byte one of the file's, after checking its
//! host name and its dates itself (as curl does; `der` reads the dates).
//! Handshake signatures are always checked. Without `--cacert`, or with
//! `--insecure`, ureq's own connector is used, unchanged.
//!
//! [`describe`] turns a rustls error inside a `ureq::Error` into one line.

mod client_cert;
mod der;
mod transport;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, OtherError, RootCertStore,
    SignatureScheme,
};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use ureq::config::Config;
use ureq::tls::RootCerts;

pub use client_cert::{ClientCert, PemFile};
use der::validity;
pub use transport::CacertTls;

/// With `--cacert` (and verification on), the TLS link of the connector
/// chain that checks certificates our way; None means ureq's own (the
/// platform verifier, or none with `--insecure`).
/// `client` is `--cert`'s pair, shown to a server that asks for one.
pub fn cacert_connector(
    config: &Config,
    client: Option<&ClientCert>,
) -> anyhow::Result<Option<CacertTls>> {
    let tls = config.tls_config();
    let certs = match tls.root_certs() {
        RootCerts::Specific(certs) if !tls.disable_verification() => certs
            .iter()
            .map(|c| CertificateDer::from(c.der().to_vec()))
            .collect::<Vec<_>>(),
        _ => return Ok(None),
    };
    let verifier = CacertVerifier::new(certs)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let client = match client {
        // `ClientCert::load` checked the pair with rustls.
        Some(c) => builder.with_client_auth_cert(c.chain.clone(), c.key.clone_key())?,
        None => builder.with_no_client_auth(),
    };
    Ok(Some(CacertTls(Arc::new(client))))
}

/// Checks a server certificate against the `--cacert` file.
#[derive(Debug)]
pub struct CacertVerifier {
    /// webpki with the file's certificates as roots; None when none of
    /// them can be a root (then only the byte-identical path can pass).
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pinned: Vec<CertificateDer<'static>>,
    algs: WebPkiSupportedAlgorithms,
}

impl CacertVerifier {
    pub fn new(certs: Vec<CertificateDer<'static>>) -> anyhow::Result<CacertVerifier> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algs = provider.signature_verification_algorithms;
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(certs.iter().cloned());
        let webpki = if roots.is_empty() {
            None
        } else {
            Some(WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build()?)
        };
        Ok(CacertVerifier {
            webpki,
            pinned: certs,
            algs,
        })
    }
}

impl ServerCertVerifier for CacertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let err = match &self.webpki {
            Some(webpki) => {
                match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                    Ok(ok) => return Ok(ok),
                    Err(e) => e,
                }
            }
            None => CertificateError::UnknownIssuer.into(),
        };
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            verify_pinned(end_entity, server_name, now)?;
            return Ok(ServerCertVerified::assertion());
        }
        Err(match err {
            Error::InvalidCertificate(CertificateError::UnknownIssuer) => not_in_cacert(),
            Error::InvalidCertificate(CertificateError::Other(ref o)) if is_ca_as_end_entity(o) => {
                not_in_cacert()
            }
            other => other,
        })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// A certificate the user put in the `--cacert` file: its dates and the
/// host name still have to fit.
fn verify_pinned(
    cert: &CertificateDer<'_>,
    name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), Error> {
    let (not_before, not_after) =
        validity(cert.as_ref()).ok_or(Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let at = |secs: u64| UnixTime::since_unix_epoch(Duration::from_secs(secs));
    if now.as_secs() < not_before {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: at(not_before),
        }
        .into());
    }
    if now.as_secs() > not_after {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: at(not_after),
        }
        .into());
    }
    let parsed = ParsedCertificate::try_from(cert)?;
    rustls::client::verify_server_name(&parsed, name)
}

fn is_ca_as_end_entity(o: &OtherError) -> bool {
    matches!(
        o.0.downcast_ref::<webpki::Error>(),
        Some(webpki::Error::CaUsedAsEndEntity)
    )
}

/// With `--cacert`: the server's certificate is neither in the file nor
/// issued by a certificate in it.
#[derive(Debug)]
struct NotInCacert;

impl fmt::Display for NotInCacert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the certificate is not in the --cacert file and not issued by one in it")
    }
}

impl std::error::Error for NotInCacert {}

fn not_in_cacert() -> Error {
    CertificateError::Other(OtherError(Arc::new(NotInCacert))).into()
}

/// A server's `certificate_required` alert, as said when no `--cert` was
/// given (`with_cert` words it when one was).
pub const ASKS_FOR_CERT: &str =
    "the server asks for a client certificate (mutual TLS): give it with --cert FILE";

/// A server's `handshake_failure` alert, as said when no `--cert` was given.
pub const HANDSHAKE_FAILED: &str = "the TLS handshake failed (the server's alert: handshake \
     failure): it may want a client certificate (--cert FILE), or a TLS version or cipher \
     ssetap does not offer";

/// `describe`'s line for a run that gave `--cert`: rustls sends no
/// certificate to a server that accepts none of the key's signature
/// kinds (an EC key to a server that takes only RSA), which then says
/// it got none.
pub fn with_cert(text: String) -> String {
    if text == ASKS_FOR_CERT || text == HANDSHAKE_FAILED {
        "the server wants a client certificate but takes none of the kind --cert has: its \
         key's signature algorithms are not among those the server accepts (or the TLS \
         version or cipher is not shared)"
            .to_string()
    } else {
        text
    }
}

/// A refusal alert as its RFC 8446 name says it.
fn alert_words(alert: rustls::AlertDescription) -> &'static str {
    use rustls::AlertDescription as A;
    match alert {
        A::BadCertificate => "bad certificate",
        A::UnsupportedCertificate => "unsupported certificate",
        A::CertificateRevoked => "certificate revoked",
        A::CertificateExpired => "certificate expired",
        A::UnknownCA => "unknown CA",
        A::AccessDenied => "access denied",
        _ => "certificate unknown",
    }
}

/// The rustls error inside a ureq error: ureq passes it as is, or inside
/// the I/O error of the handshake.
fn rustls_error(err: &ureq::Error) -> Option<&Error> {
    match err {
        ureq::Error::Rustls(e) => Some(e),
        ureq::Error::Io(e) => e.get_ref()?.downcast_ref::<Error>(),
        _ => None,
    }
}

/// One line for a TLS failure that ends the run (a certificate that does
/// not verify, a server that does not speak TLS); None for anything else.
pub fn describe(err: &ureq::Error) -> Option<String> {
    const FAILED: &str = "TLS certificate verification failed";
    const SKIP: &str = "skip checks with --insecure";
    let cert = match rustls_error(err)? {
        Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            return Some("the server did not answer TLS (is the URL http://?)".into());
        }
        Error::InvalidCertificate(cert) => cert,
        // The same answer every time: fatal, not a network failure.
        Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
            return Some(ASKS_FOR_CERT.into());
        }
        // OpenSSL under TLS 1.2 says this for a client certificate it
        // wanted and did not get, and for a version or cipher no side
        // shares: the same answer every time either way.
        Error::AlertReceived(rustls::AlertDescription::HandshakeFailure) => {
            return Some(HANDSHAKE_FAILED.into());
        }
        // What a server answers a client certificate it does not accept
        // (rustls, OpenSSL and Go use these): the same every time.
        Error::AlertReceived(
            alert @ (rustls::AlertDescription::BadCertificate
            | rustls::AlertDescription::UnsupportedCertificate
            | rustls::AlertDescription::CertificateRevoked
            | rustls::AlertDescription::CertificateExpired
            | rustls::AlertDescription::CertificateUnknown
            | rustls::AlertDescription::UnknownCA
            | rustls::AlertDescription::AccessDenied),
        ) => {
            return Some(format!(
                "the server refused the client certificate (TLS alert: {}; see --cert)",
                alert_words(*alert)
            ));
        }
        _ => return None,
    };
    let text = match cert {
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "{FAILED}: the certificate is not valid for {}; it is for {} ({SKIP})",
            expected.to_str(),
            names(presented)
        ),
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "{FAILED}: the certificate expired at {} ({SKIP})",
            date(*not_after)
        ),
        CertificateError::Expired => format!("{FAILED}: the certificate has expired ({SKIP})"),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "{FAILED}: the certificate is not valid before {} ({SKIP})",
            date(*not_before)
        ),
        CertificateError::Other(o) if o.0.is::<NotInCacert>() => {
            format!("{FAILED}: {} ({SKIP})", o.0)
        }
        CertificateError::UnknownIssuer => format!(
            "{FAILED}: the certificate's issuer is not trusted \
             (trust its CA with --cacert FILE, or {SKIP})"
        ),
        CertificateError::Other(o) if is_ca_as_end_entity(o) => format!(
            "{FAILED}: the certificate is self-signed or a CA's \
             (trust it with --cacert FILE, or {SKIP})"
        ),
        other => format!(
            "{FAILED}: {} ({SKIP})",
            Error::InvalidCertificate(other.clone())
        ),
    };
    Some(text)
}

/// webpki's names (`DnsName("a.example")`, `IpAddress(127.0.0.1)`) as a
/// list: `a.example, 127.0.0.1`.
fn names(presented: &[String]) -> String {
    if presented.is_empty() {
        return "no host name".into();
    }
    presented
        .iter()
        .map(|n| {
            let inner = n
                .strip_prefix("DnsName(")
                .or_else(|| n.strip_prefix("IpAddress("))
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or(n);
            inner.trim_matches('"').to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn date(t: UnixTime) -> String {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(t.as_secs());
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_read_plainly() {
        let presented = vec![
            "DnsName(\"other.example\")".to_string(),
            "IpAddress(10.0.0.1)".to_string(),
            "DirectoryName".to_string(),
        ];
        assert_eq!(names(&presented), "other.example, 10.0.0.1, DirectoryName");
        assert_eq!(names(&[]), "no host name");
    }

    fn text(e: Error) -> String {
        describe(&ureq::Error::Rustls(e)).unwrap_or_default()
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let name = CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("127.0.0.1").unwrap(),
            presented: vec!["DnsName(\"other.example\")".into()],
        };
        let t = text(name.into());
        assert!(
            t.contains("127.0.0.1") && t.contains("other.example"),
            "{t}"
        );

        let expired = CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(1_577_923_200)),
        };
        let t = text(expired.into());
        assert!(t.contains("expired at 2020-01-02T00:00:00Z"), "{t}");

        let t = text(CertificateError::UnknownIssuer.into());
        assert!(t.contains("--cacert") && t.contains("--insecure"), "{t}");
        let t = text(not_in_cacert());
        assert!(
            t.contains("--cacert file") && !t.contains("--cacert FILE"),
            "{t}"
        );

        let t = text(rustls::InvalidMessage::InvalidContentType.into());
        assert_eq!(t, "the server did not answer TLS (is the URL http://?)");
        assert_eq!(
            describe(&ureq::Error::Rustls(Error::HandshakeNotComplete)),
            None
        );
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            Error::from(CertificateError::UnknownIssuer),
        );
        assert!(describe(&ureq::Error::Io(io)).is_some());
    }
}
