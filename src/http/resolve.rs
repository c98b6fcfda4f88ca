//! resolve: `--resolve HOST:PORT:ADDR[,ADDR…]`, as curl's: connections to
//! HOST:PORT go to ADDR without a lookup, while the URL (and so the `Host`
//! header, TLS's server name and the certificate check) still says HOST.
//! It applies to every connection ssetap makes: the stream's, a redirect's,
//! a proxy's, an OAuth2 token URL's. Anything not pinned is looked up by
//! ureq's resolver, as before.

use std::net::{IpAddr, SocketAddr};
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// One `--resolve`: a host (lowercase, no brackets; `*` for any) and port,
/// and where to connect instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    host: String,
    port: u16,
    addrs: Vec<IpAddr>,
}

/// At most this many addresses in one `--resolve` (ureq keeps 16).
const MOST_ADDRS: usize = 16;

impl Pin {
    /// `HOST:PORT:ADDR[,ADDR…]`; an IPv6 address in brackets or bare.
    pub fn parse(text: &str) -> Result<Pin, String> {
        let form = "expected HOST:PORT:ADDR[,ADDR...], e.g. example.org:443:127.0.0.1";
        // curl's `+HOST` only changes how long its cache keeps the entry.
        let text = text.strip_prefix('+').unwrap_or(text);
        let (host, rest) = match text.strip_prefix('[') {
            Some(v6) => {
                let (host, rest) = v6.split_once(']').ok_or(form)?;
                (host, rest.strip_prefix(':').ok_or(form)?)
            }
            None => text.split_once(':').ok_or(form)?,
        };
        let (port, addrs) = rest.split_once(':').ok_or(form)?;
        if host.is_empty()
            || host
                .bytes()
                .any(|b| b"/@ ".contains(&b) || b.is_ascii_control())
        {
            return Err(format!("{host:?} is not a host name; {form}"));
        }
        if host.contains('*') && host != "*" {
            return Err(format!(
                "{host:?}: only * alone stands for any host (there are no patterns)"
            ));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("{port:?} is not a port (1 to 65535); {form}"))?;
        let addrs = addrs
            .split(',')
            .map(|a| {
                let bare = a.strip_prefix('[').and_then(|a| a.strip_suffix(']'));
                bare.unwrap_or(a)
                    .parse::<IpAddr>()
                    .map_err(|_| format!("{a:?} is not an IP address; {form}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if addrs.len() > MOST_ADDRS {
            return Err(format!("at most {MOST_ADDRS} addresses for one HOST:PORT"));
        }
        Ok(Pin {
            host: host.to_ascii_lowercase(),
            port,
            addrs,
        })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        self.port == port && (self.host == "*" || self.host.eq_ignore_ascii_case(host))
    }
}

/// ureq's resolver with the pins in front (the first pin that matches wins,
/// as in curl).
#[derive(Debug, Default)]
pub struct Pinned {
    pins: Vec<Pin>,
    lookup: DefaultResolver,
}

impl Pinned {
    pub fn new(pins: Vec<Pin>) -> Pinned {
        Pinned {
            pins,
            lookup: DefaultResolver::default(),
        }
    }

    fn pinned(&self, host: &str, port: u16) -> Option<&[IpAddr]> {
        pinned(&self.pins, host, port)
    }
}

/// The addresses the first pin for this host and port gives, if any.
fn pinned<'a>(pins: &'a [Pin], host: &str, port: u16) -> Option<&'a [IpAddr]> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let pin = pins.iter().find(|p| p.matches(host, port))?;
    Some(&pin.addrs)
}

/// A URI's port, or its scheme's.
fn port_of(uri: &Uri) -> Option<u16> {
    uri.port_u16().or(match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    })
}

/// With `-v`: where a pin sends `url`'s host and port, as curl's `-v`
/// says it; None when no pin applies.
pub fn shown(pins: &[Pin], url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    let (host, port) = (uri.host()?, port_of(&uri)?);
    let addrs: Vec<String> = pinned(pins, host, port)?
        .iter()
        .map(IpAddr::to_string)
        .collect();
    Some(format!(
        "* {host}:{port} goes to {} (--resolve)",
        addrs.join(", ")
    ))
}

impl Resolver for Pinned {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let port = port_of(uri);
        let pinned = match (uri.host(), port) {
            (Some(host), Some(port)) => self.pinned(host, port).map(|a| (a, port)),
            _ => None,
        };
        let Some((addrs, port)) = pinned else {
            return self.lookup.resolve(uri, config, timeout);
        };
        let mut out = self.empty();
        for &ip in addrs.iter().take(MOST_ADDRS) {
            out.push(SocketAddr::new(ip, port));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curls_forms_parse() {
        let pin = Pin::parse("Stream.Example:8443:127.0.0.1,::1").unwrap();
        assert_eq!(pin.host, "stream.example");
        assert_eq!(pin.port, 8443);
        assert_eq!(
            pin.addrs,
            [
                "127.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        let v6 = Pin::parse("[fe80::1]:80:[::1]").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("fe80::1", 80));
        assert_eq!(v6.addrs, ["::1".parse::<IpAddr>().unwrap()]);
        assert_eq!(Pin::parse("*:443:10.0.0.1").unwrap().host, "*");
        assert_eq!(
            Pin::parse("+a.example:443:10.0.0.1").unwrap().host,
            "a.example"
        );
    }

    #[test]
    fn bad_forms_say_what_was_expected() {
        for (text, says) in [
            ("example.org", "expected HOST:PORT:ADDR"),
            ("example.org:443", "expected HOST:PORT:ADDR"),
            (":443:127.0.0.1", "is not a host name"),
            ("example.org:0:127.0.0.1", "is not a port"),
            ("example.org:65536:127.0.0.1", "is not a port"),
            ("example.org:https:127.0.0.1", "is not a port"),
            ("example.org:443:localhost", "is not an IP address"),
            ("example.org:443:127.0.0.1,", "is not an IP address"),
            ("[::1:443:127.0.0.1", "expected HOST:PORT:ADDR"),
            ("*.example:443:127.0.0.1", "only * alone"),
            ("a\x1bb:443:127.0.0.1", "is not a host name"),
        ] {
            let err = Pin::parse(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        let many = format!("h:1:{}", vec!["10.0.0.1"; 17].join(","));
        assert!(Pin::parse(&many).unwrap_err().contains("at most 16"));
    }

    #[test]
    fn the_first_pin_for_the_host_and_port_wins() {
        let pins = Pinned::new(vec![
            Pin::parse("a.example:443:10.0.0.1").unwrap(),
            Pin::parse("*:443:10.0.0.2").unwrap(),
            Pin::parse("[::1]:80:10.0.0.3").unwrap(),
        ]);
        let ip = |s: &str| vec![s.parse::<IpAddr>().unwrap()];
        assert_eq!(
            pins.pinned("A.example", 443).map(<[_]>::to_vec),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(
            pins.pinned("b.example", 443).map(<[_]>::to_vec),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            pins.pinned("[::1]", 80).map(<[_]>::to_vec),
            Some(ip("10.0.0.3"))
        );
        assert_eq!(pins.pinned("a.example", 80), None);
        assert_eq!(
            shown(&pins.pins, "https://A.example/stream").as_deref(),
            Some("* A.example:443 goes to 10.0.0.1 (--resolve)")
        );
        assert_eq!(shown(&pins.pins, "http://a.example/"), None);
    }
}
