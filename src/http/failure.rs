//! http::failure: the one line that says why a request got no response
//! worth another try, naming the host and port it was sent to (after
//! redirects), so that a wrong port or a name that does not resolve is
//! plain from the retry line.

use super::{before_sending, describe_error};
use std::io;
use ureq::http as h;

/// The retry line for a failure that is worth another try, naming the
/// host and port it happened at (after redirects, `url`): "cannot connect
/// to HOST:PORT: why" when the request never left, else "no response from
/// HOST:PORT: why". With a proxy (`via`, its host and port), the line says
/// so: a proxy that is down is not the server's fault.
pub fn failure_line(err: &ureq::Error, url: &str, via: Option<&str>) -> String {
    use ureq::Error as E;
    let at = match via {
        Some(proxy) => format!("{} through the proxy {proxy}", host_port(url)),
        None => host_port(url),
    };
    let (text, _) = describe_error(err);
    let text = match err {
        E::Io(e) if is_lookup_failure(e) => format!("the name does not resolve ({e})"),
        // Ours, not the server's: say so, or the line blames the server.
        E::Io(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
            format!("this process is out of file descriptors ({e}; see ulimit -n)")
        }
        E::Io(e) => e.to_string(),
        E::ConnectionFailed => "the connection failed".to_string(),
        _ => text,
    };
    if before_sending(err) {
        format!("cannot connect to {at}: {text}")
    } else {
        format!("no response from {at}: {text}")
    }
}

/// `HOST:PORT` of a URL, the port the scheme's default when not given.
pub fn host_port(url: &str) -> String {
    let Ok(uri) = url.parse::<h::Uri>() else {
        return crate::redact::redact_url(url);
    };
    let host = uri.host().unwrap_or_default();
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    format!("{host}:{port}")
}

/// Did resolving a name fail? The standard library's resolver gives these
/// no `ErrorKind` of their own, only this message (getaddrinfo's error
/// after it).
pub(super) fn is_lookup_failure(e: &io::Error) -> bool {
    e.to_string()
        .starts_with("failed to lookup address information")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_lines_name_the_host_and_port() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let line = failure_line(&ureq::Error::Io(refused), "http://127.0.0.1:9/s", None);
        assert!(
            line.starts_with("cannot connect to 127.0.0.1:9: "),
            "{line}"
        );
        let lookup =
            io::Error::other("failed to lookup address information: Name or service not known");
        let line = failure_line(&ureq::Error::Io(lookup), "https://nosuch.invalid/s", None);
        assert_eq!(
            line,
            "cannot connect to nosuch.invalid:443: the name does not resolve \
             (failed to lookup address information: Name or service not known)"
        );
        let line = failure_line(&ureq::Error::HostNotFound, "http://u:pw@x.invalid/", None);
        assert_eq!(line, "cannot connect to x.invalid:80: host not found");
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        let line = failure_line(&ureq::Error::Io(emfile), "http://h:9/s", None);
        assert!(
            line.starts_with("cannot connect to h:9: this process is out of file descriptors"),
            "{line}"
        );
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        let line = failure_line(&ureq::Error::Io(reset), "http://[::1]:8080/", None);
        assert!(line.starts_with("no response from [::1]:8080: "), "{line}");
    }
}
