//! client_cert: `--cert` and `--cert-key`, the certificate ssetap shows a
//! server that asks for one (mutual TLS). Read from PEM at start and
//! checked there (a certificate, a private key rustls can sign with, the
//! key belonging to the certificate), so a bad pair is one line before
//! anything is sent, and ureq's connector, which panics on a pair rustls
//! refuses, never sees one.
//!
//! The key is a secret: `Debug` never shows it, and no message quotes the
//! files' contents.

use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fmt;

/// A certificate chain (the client's own first) and its private key.
pub struct ClientCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The same pair as ureq's connector takes it (ureq builds its key
    /// only from PEM, so it is read from the same bytes).
    ureq: ureq::tls::ClientCert,
}

impl Clone for ClientCert {
    fn clone(&self) -> ClientCert {
        ClientCert {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            ureq: self.ureq.clone(),
        }
    }
}

impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientCert({} certificates, key …)", self.chain.len())
    }
}

/// A PEM file as a flag named it: the flag, the path as given, its bytes.
pub struct PemFile<'a> {
    pub flag: &'static str,
    pub path: &'a str,
    pub bytes: &'a [u8],
}

impl PemFile<'_> {
    fn name(&self) -> String {
        format!("{} {}", self.flag, self.path)
    }
}

impl ClientCert {
    /// The pair from `cert` (certificates, and the key unless `key` is
    /// given) and `key`; or one line that says what is wrong with which file.
    pub fn load(cert: &PemFile, key: Option<&PemFile>) -> Result<ClientCert, String> {
        load(cert, key)
    }

    /// A warning when the certificate is not valid at `now` (Unix
    /// seconds): the server will likely refuse it, but it decides (the
    /// clock here may be the one that is wrong).
    pub fn dates_warning(&self, now: u64, shown: &str) -> Option<String> {
        let (not_before, not_after) = super::der::validity(self.chain.first()?)?;
        let date = |t: u64| {
            super::date(rustls::pki_types::UnixTime::since_unix_epoch(
                std::time::Duration::from_secs(t),
            ))
        };
        if now > not_after {
            Some(format!("--cert {shown} expired at {}", date(not_after)))
        } else if now < not_before {
            Some(format!(
                "--cert {shown} is not valid before {}",
                date(not_before)
            ))
        } else {
            None
        }
    }

    /// For ureq's `TlsConfig` (its own connector: the platform's roots, or
    /// `--insecure`).
    pub fn for_ureq(&self) -> ureq::tls::ClientCert {
        self.ureq.clone()
    }
}

fn load(cert: &PemFile, key: Option<&PemFile>) -> Result<ClientCert, String> {
    let (chain, own_key) = read(cert)?;
    if chain.is_empty() {
        return Err(no_certificate(cert));
    }
    let found = match key {
        Some(file) => {
            let (_, found) = read(file)?;
            found.ok_or_else(|| no_key(file, ""))?
        }
        None => own_key.ok_or_else(|| no_key(cert, "; give it with --cert-key FILE"))?,
    };
    check(&chain, &found).map_err(|e| {
        // The key may belong to a later certificate of the chain: the
        // client's own must come first.
        let later = (1..chain.len()).any(|i| check(&chain[i..i + 1], &found).is_ok());
        let e = match later {
            true => format!("{e}: it is a later certificate's; put the client's own first"),
            false => e,
        };
        match key {
            Some(k) => format!("{} and {}: {e}", cert.name(), k.name()),
            None => format!("{}: {e}", cert.name()),
        }
    })?;
    let ureq_key = ureq::tls::parse_pem(key.unwrap_or(cert).bytes)
        .find_map(|item| match item {
            Ok(ureq::tls::PemItem::PrivateKey(k)) => Some(k),
            _ => None,
        })
        .ok_or_else(|| no_key(key.unwrap_or(cert), ""))?;
    let ureq_chain: Vec<_> = chain
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c).to_owned())
        .collect();
    Ok(ClientCert {
        ureq: ureq::tls::ClientCert::new_with_certs(&ureq_chain, ureq_key),
        chain,
        key: found,
    })
}

/// The certificates and the first private key in one PEM file.
#[allow(clippy::type_complexity)]
fn read(
    file: &PemFile,
) -> Result<(Vec<CertificateDer<'static>>, Option<PrivateKeyDer<'static>>), String> {
    let mut chain = Vec::new();
    let mut key = None;
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(file.bytes) {
        let (kind, der) = item.map_err(|_| match encrypted(file.bytes) {
            // The old encrypted form has headers PEM sections may not.
            true => encrypted_key(file),
            false => format!("{}: not a valid PEM file", file.name()),
        })?;
        let found = match kind {
            SectionKind::Certificate => {
                chain.push(CertificateDer::from(der));
                continue;
            }
            SectionKind::PrivateKey => PrivateKeyDer::Pkcs8(der.into()),
            SectionKind::RsaPrivateKey => PrivateKeyDer::Pkcs1(der.into()),
            SectionKind::EcPrivateKey => PrivateKeyDer::Sec1(der.into()),
            _ => continue,
        };
        key.get_or_insert(found);
    }
    Ok((chain, key))
}

/// Does the file hold an encrypted key (`ENCRYPTED PRIVATE KEY`, or the
/// old form's `Proc-Type: 4,ENCRYPTED`)?
fn encrypted(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"ENCRYPTED").is_some()
}

fn encrypted_key(file: &PemFile) -> String {
    format!(
        "{}: the private key is encrypted, and ssetap reads only unencrypted keys \
         (decrypt it to a file only its user can read: openssl pkey -in KEY -out PLAIN)",
        file.name()
    )
}

fn no_key(file: &PemFile, hint: &str) -> String {
    // An encrypted key is a PEM section rustls does not read.
    if encrypted(file.bytes) {
        encrypted_key(file)
    } else {
        format!("{}: no private key in the file{hint}", file.name())
    }
}

/// Why a file holds no certificate, where its bytes say: DER (a
/// certificate, or PKCS#12, both start with a SEQUENCE) is not PEM.
fn no_certificate(file: &PemFile) -> String {
    let der = file.bytes.first() == Some(&0x30) && !file.bytes.starts_with(b"-----");
    let hint = if der {
        " (it looks like DER or PKCS#12: convert it to PEM with openssl x509 -inform der, \
         or openssl pkcs12 -nodes)"
    } else {
        ""
    };
    format!("{}: no certificate in the file{hint}", file.name())
}

/// What rustls says of the pair: the key's kind, and that it belongs to
/// the first certificate.
fn check(chain: &[CertificateDer<'static>], key: &PrivateKeyDer<'static>) -> Result<(), String> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::sign::CertifiedKey::from_der(chain.to_vec(), key.clone_key(), &provider)
        .map(|_| ())
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                "the private key is not the certificate's".to_string()
            }
            rustls::Error::General(_) => "the private key is of a kind ssetap cannot sign with \
                 (it takes RSA of 2048 bits or more, ECDSA P-256 or P-384, and Ed25519)"
                .to_string(),
            other => format!("the certificate and key cannot be used ({other})"),
        })
}

#[cfg(test)]
mod tests;
