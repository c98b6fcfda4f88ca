//! http::redirect: where a redirect leads — a `Location` resolved against
//! the URL that gave it, as RFC 3986 §5.2 says — and which origin a URL
//! belongs to, for the rule that credentials stay with theirs.

/// `reference` (a Location header) resolved against `base`, as RFC 3986
/// §5.2 says: an empty reference is the base itself (without fragment).
/// Where it leads must have a usable port (`bad_port`).
pub fn resolve(base: &str, reference: &str) -> Result<String, String> {
    let url = join(base, reference)?;
    match bad_port(&url) {
        Some(why) => Err(why),
        None => Ok(url),
    }
}

fn join(base: &str, reference: &str) -> Result<String, String> {
    let base = base.split('#').next().unwrap_or(base);
    let reference = reference.split('#').next().unwrap_or(reference);
    let lower = reference.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(reference.to_string());
    }
    if let Some((scheme, _)) = reference.split_once(':')
        && !scheme.is_empty()
        && !scheme.contains(['/', '?'])
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return Err(format!("unsupported scheme in {reference:?}"));
    }
    let scheme_end = base.find("://").ok_or("the base URL has no scheme")? + 3;
    let auth_end = base[scheme_end..]
        .find(['/', '?'])
        .map_or(base.len(), |i| scheme_end + i);
    let (origin, rest) = base.split_at(auth_end);
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    let joined = if reference.is_empty() {
        return Ok(base.to_string());
    } else if let Some(net) = reference.strip_prefix("//") {
        format!("{}{net}", &base[..scheme_end])
    } else if reference.starts_with('/') {
        format!("{origin}{}", remove_dots(reference))
    } else if let Some(q) = reference.strip_prefix('?') {
        format!("{origin}{path}?{q}")
    } else {
        let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
        let (ref_path, ref_query) = match reference.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (reference, None),
        };
        let merged = remove_dots(&format!("{dir}{ref_path}"));
        match ref_query {
            Some(q) => format!("{origin}{merged}?{q}"),
            None => format!("{origin}{merged}"),
        }
    };
    Ok(joined)
}

/// RFC 3986 §5.2.4 for a path (a query, if any, stays as it is).
fn remove_dots(path: &str) -> String {
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = p.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut joined = out.join("/");
    if !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    match q {
        Some(q) => format!("{joined}?{q}"),
        None => joined,
    }
}

/// Scheme, host and port of a URL, lowercased: where credentials may go.
pub fn origin(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let host = &url[start..end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    format!("{}{}", &url[..start], host).to_ascii_lowercase()
}

/// Why the port of a URL's authority cannot be used, if it cannot: it is
/// not digits, or past 65535. The `http` crate would drop such a port and
/// ureq would connect to the scheme's default instead (`h:99999` → `h:80`),
/// so it is an error before any connection. An empty port (`h:/`) is the
/// default, as RFC 3986 allows.
pub fn bad_port(url: &str) -> Option<String> {
    let authority = origin(url);
    let host = authority.split_once("://").map_or(&*authority, |(_, h)| h);
    let after_bracket = host.rfind(']').map_or(0, |i| i + 1);
    let port = &host[after_bracket..];
    let port = &port[port.rfind(':')? + 1..];
    let usable = port.is_empty()
        || (port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok());
    (!usable).then(|| format!("port {port:?} is not a number from 0 to 65535"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_past_65535_or_not_digits_are_bad() {
        for good in [
            "http://h/",
            "http://h:8080/x",
            "http://h:/x",
            "https://[::1]:443/",
            "http://[::1]/",
            "http://u:p@h:1/",
            "http://h:65535",
        ] {
            assert_eq!(bad_port(good), None, "{good}");
        }
        for bad in [
            "http://h:65536/",
            "http://h:99999/",
            "http://h:-1/",
            "http://h:80x/",
            "http://[::1]:123456/",
            "http://u:p@h:1e3?q",
        ] {
            assert!(bad_port(bad).is_some(), "{bad}");
        }
        assert_eq!(
            bad_port("http://u:secret@h:99999/").as_deref(),
            Some("port \"99999\" is not a number from 0 to 65535")
        );
    }

    #[test]
    fn locations_resolve_as_rfc_3986_says() {
        let base = "http://h:8/a/b/c?q=1#f";
        let r = |l: &str| resolve(base, l).unwrap();
        assert_eq!(r(""), "http://h:8/a/b/c?q=1");
        assert_eq!(r("d"), "http://h:8/a/b/d");
        assert_eq!(r("./d?x"), "http://h:8/a/b/d?x");
        assert_eq!(r("../d"), "http://h:8/a/d");
        assert_eq!(r("../../../../d"), "http://h:8/d");
        assert_eq!(r("/x/./y/../z"), "http://h:8/x/z");
        assert_eq!(r("?z=2"), "http://h:8/a/b/c?z=2");
        assert_eq!(r("//other/p"), "http://other/p");
        assert_eq!(r("HTTPS://x/y"), "HTTPS://x/y");
        assert_eq!(r("#frag"), "http://h:8/a/b/c?q=1");
        assert!(resolve(base, "ftp://x/").is_err());
        assert_eq!(resolve("http://h", "s").unwrap(), "http://h/s");
    }

    #[test]
    fn credentials_stay_with_their_origin() {
        assert_eq!(origin("http://U:p@H:8/x"), origin("http://h:8/y?z"));
        assert_ne!(origin("http://h:8/"), origin("http://h:9/"));
        assert_ne!(origin("http://h/"), origin("https://h/"));
    }
}
