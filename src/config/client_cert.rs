//! config/client_cert: `--cert` and `--cert-key` made into the pair the
//! TLS connectors show (`tls::ClientCert`), with the warnings a start
//! gives about it.

use super::Cli;
use crate::tls::{ClientCert, PemFile};
use crate::values;
use anyhow::{Context, Result};

/// `--cert` and `--cert-key`, read (under the PEM cap) and checked as a
/// pair: a file that cannot be read, or a pair that cannot be used, is
/// exit 1 before anything is sent.
pub(super) fn build(cli: &Cli, warnings: &mut Vec<String>) -> Result<Option<ClientCert>> {
    let Some(cert_path) = &cli.cert else {
        return Ok(None);
    };
    let read = |flag: &str, p: &std::path::Path| {
        values::read_file_capped(p, values::caps::PEM)
            .with_context(|| format!("cannot read {flag} {}", p.display()))
    };
    let cert_bytes = read("--cert", cert_path).map_err(|e| {
        // curl's --cert FILE:PASSWORD, for an encrypted key.
        let shown = cert_path.display().to_string();
        match shown.rsplit_once(':') {
            Some((file, _)) if std::path::Path::new(file).is_file() => anyhow::anyhow!(
                "cannot read --cert {file}:[redacted]: --cert takes no :PASSWORD; give it an \
                 unencrypted key (openssl pkey -in KEY -out PLAIN) and name {file} alone"
            ),
            _ => e,
        }
    })?;
    let key_bytes = cli
        .cert_key
        .as_ref()
        .map(|p| read("--cert-key", p))
        .transpose()?;
    let (cert_shown, key_shown) = (
        cert_path.display().to_string(),
        cli.cert_key.as_ref().map(|p| p.display().to_string()),
    );
    let cert = PemFile {
        flag: "--cert",
        path: &cert_shown,
        bytes: &cert_bytes,
    };
    let key = match (&key_shown, &key_bytes) {
        (Some(path), Some(bytes)) => Some(PemFile {
            flag: "--cert-key",
            path,
            bytes,
        }),
        _ => None,
    };
    let pair = ClientCert::load(&cert, key.as_ref()).map_err(|why| anyhow::anyhow!(why))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    warnings.extend(pair.dates_warning(now, &cert_shown));
    let key_path = cli.cert_key.as_ref().unwrap_or(cert_path);
    if values::readable_by_others(key_path) {
        warnings.push(format!(
            "{} holds a private key and others can read it; chmod 600 it",
            key_path.display()
        ));
    }
    Ok(Some(pair))
}
