//! values: parsing of flag values — durations, sizes, `--key`, headers,
//! URLs. Pure functions, each returning a message that names the problem;
//! the typed ones are clap value parsers (clap names the flag), the rest
//! are used by `config`.

use crate::redact::redact_url;
use crate::sink::kafka::KeySpec;
use std::time::Duration;

/// `10s`, `500ms`, `1h30m` (humantime), or a bare number of seconds (`2.5`).
/// A clap value parser: clap names the flag in its error.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    const EXAMPLES: &str = "examples: 10s, 500ms, 1h30m, 2.5";
    if let Ok(secs) = text.parse::<f64>() {
        return if (0.0..1e12).contains(&secs) {
            Ok(Duration::from_secs_f64(secs))
        } else {
            Err(format!(
                "not a duration (a bare number is seconds, from 0 to under 1e12; {EXAMPLES})"
            ))
        };
    }
    humantime::parse_duration(text).map_err(|e| format!("not a duration ({e}; {EXAMPLES})"))
}

/// A count: a whole number from 0 up. A clap value parser, for its words
/// (the standard library's say "invalid digit found in string").
pub fn count<N: TryFrom<u64>>(text: &str) -> Result<N, String> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a whole number (0 or more)".to_string());
    }
    let too_large = || format!("too large (at most {})", u64::MAX);
    let n: u64 = t.parse().map_err(|_| too_large())?;
    N::try_from(n).map_err(|_| too_large())
}

/// `16MiB`, `512KiB`, `1M` (binary: K, M, G, KiB, MiB, GiB), `1MB` (decimal:
/// KB, MB, GB) or a bare number of bytes. A clap value parser.
pub fn size(text: &str) -> Result<usize, String> {
    let bad = || "not a size (examples: 16MiB, 512KiB, 1000000)".to_string();
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num.parse().map_err(|_| bad())?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).filter(|&v| v > 0).ok_or_else(bad)
}

/// `--key`: none, id, event, or a JSON pointer. A clap value parser.
pub fn key(text: &str) -> Result<KeySpec, String> {
    match text {
        "none" => Ok(KeySpec::None),
        "id" => Ok(KeySpec::Id),
        "event" => Ok(KeySpec::Event),
        p if p.starts_with('/') => {
            // RFC 6901: `~` only as `~0` (a ~) or `~1` (a /).
            let bad_tilde = p
                .split('~')
                .skip(1)
                .any(|after| !after.starts_with(['0', '1']));
            if bad_tilde {
                return Err(format!(
                    "{p:?} is not a JSON pointer: write ~ as ~0 and / inside a name as ~1"
                ));
            }
            Ok(KeySpec::Pointer(p.to_string()))
        }
        p => {
            let mut why =
                "expected none, id, event or a JSON pointer like /meta/domain".to_string();
            if p.ends_with(".pem") || p.ends_with(".key") {
                why.push_str("; a TLS client certificate's key is --cert-key");
            }
            Err(why)
        }
    }
}

/// A regex syntax error on one line: regex's own message puts a caret under
/// the pattern on a second line, which a one-line message would misalign,
/// so the caret becomes a column number.
pub fn regex_error(e: &regex::Error) -> String {
    let regex::Error::Syntax(text) = e else {
        return e.to_string();
    };
    let lines: Vec<&str> = text.lines().collect();
    let caret = lines.iter().position(|l| l.trim_start().starts_with('^'));
    let msg = lines.iter().find_map(|l| l.strip_prefix("error: "));
    match (caret, msg) {
        (Some(c), Some(msg)) if c > 0 => {
            let pattern = lines[c - 1];
            let indent = pattern.len() - pattern.trim_start().len();
            let column = lines[c].find('^').unwrap_or(indent).saturating_sub(indent) + 1;
            format!("{msg} at column {column} of {:?}", pattern.trim_start())
        }
        _ => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// What a `-H` argument asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderArg {
    /// `Name: value` (or `Name;` for an empty value).
    Set(String, String),
    /// `Name:` with nothing after it removes a default header, as in curl.
    Remove(String),
}

pub fn header(text: &str) -> Result<HeaderArg, String> {
    if text.contains(['\r', '\n']) {
        let name = text.split(':').next().unwrap_or("").trim();
        return Err(format!(
            "-H: header {name:?} contains a CR or LF, which would split the request"
        ));
    }
    let valid_name = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    if let Some(name) = text.strip_suffix(';')
        && valid_name(name)
    {
        return Ok(HeaderArg::Set(name.to_string(), String::new()));
    }
    let Some((name, value)) = text.split_once(':') else {
        return Err("-H: expected 'Name: value' (found no colon)".to_string());
    };
    let name = name.trim();
    if !valid_name(name) {
        return Err(format!("-H: invalid header name {name:?}"));
    }
    let value = value.trim();
    if value.is_empty() {
        return Ok(HeaderArg::Remove(name.to_string()));
    }
    if value.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(format!(
            "-H: header {name} has a control character in its value"
        ));
    }
    Ok(HeaderArg::Set(name.to_string(), value.to_string()))
}

/// An http(s) URL split into the URL without credentials and the credentials
/// it carried (`https://user:pass@host/` → basic auth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    pub url: String,
    pub user: Option<(String, Option<String>)>,
    /// The values of credential-like query parameters, as written and
    /// percent-decoded: secrets for the log.
    pub query_secrets: Vec<String>,
}

pub fn http_url(text: &str) -> Result<UrlParts, String> {
    let lower = text.to_ascii_lowercase();
    let scheme_len = if lower.starts_with("http://") {
        7
    } else if lower.starts_with("https://") {
        8
    } else {
        let scheme = text.split("://").next().unwrap_or(text);
        return Err(format!(
            "unsupported URL scheme '{scheme}': ssetap reads http:// and https:// URLs, files, or - (stdin)"
        ));
    };
    if text.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err("the URL contains whitespace or control characters".to_string());
    }
    let rest = &text[scheme_len..];
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let (user, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let (u, p) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(percent_decode(p))),
                None => (userinfo, None),
            };
            (Some((percent_decode(u), p)), host)
        }
        None => (None, authority),
    };
    if host.is_empty() || host.starts_with(':') {
        return Err(format!("the URL has no host: {}", redact_url(text)));
    }
    if !host.is_ascii() {
        return Err(format!(
            "the URL's host is not ASCII: give its ASCII (punycode, xn--…) form: {}",
            redact_url(text)
        ));
    }
    let url = format!("{}{}{}", &text[..scheme_len], host, &rest[auth_end..]);
    if let Some(why) = crate::http::redirect::bad_port(&url) {
        return Err(format!("the URL's {why}: {}", redact_url(&url)));
    }
    // What the HTTP layer would refuse at the first request (`http://[::1`,
    // a bad character) is a usage error now, not a failed connection.
    if let Err(e) = url.parse::<ureq::http::Uri>() {
        return Err(format!("the URL is not valid ({e}): {}", redact_url(&url)));
    }
    let query_secrets = crate::redact::query_secrets(url.as_bytes())
        .into_iter()
        .flat_map(|r| [url[r.clone()].to_string(), percent_decode(&url[r])])
        .collect();
    Ok(UrlParts {
        url,
        user,
        query_secrets,
    })
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The most ssetap reads of a file a flag names (or of stdin for `@-`),
/// so that `/dev/zero`, or a log given by mistake, is an error rather
/// than all the memory there is.
pub mod caps {
    /// `-d @FILE`: a request body (an LLM request with images is tens of MB).
    pub const BODY: usize = 256 << 20;
    /// `-H @FILE`, `-F FILE`: lines of headers or properties.
    pub const LINES: usize = 1 << 20;
    /// `--cacert FILE`: a PEM bundle (the system's is about 200 KB).
    pub const PEM: usize = 16 << 20;
    /// `--oauth2-client-secret-file FILE`.
    pub const SECRET: usize = 64 << 10;
}

/// All of `reader`, if it holds at most `cap` bytes; else an error that
/// says so, having read no more than `cap + 1`.
pub fn read_capped(reader: impl std::io::Read, cap: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    reader
        .take(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("over {}, the most ssetap reads for it", show_size(cap)),
        ));
    }
    Ok(bytes)
}

/// The file at `path`, read with `read_capped`.
pub fn read_file_capped(path: impl AsRef<std::path::Path>, cap: usize) -> std::io::Result<Vec<u8>> {
    read_capped(std::fs::File::open(path)?, cap)
}

/// Text of `read_capped`, which must be UTF-8.
pub fn text(bytes: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

fn show_size(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// A file that users other than its owner may read (group or other read
/// bit set); false when its mode cannot be read.
pub fn readable_by_others(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

/// `--metrics`: `HOST:PORT` with an IP address (`127.0.0.1:9464`,
/// `[::1]:9464`), `localhost:PORT`, or `:PORT` for every interface.
pub fn listen_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::{Ipv4Addr, SocketAddr};
    let s = s.trim();
    let bad = || format!("expected HOST:PORT such as 127.0.0.1:9464 or :9464, got {s:?}");
    let port = |p: &str| p.parse::<u16>().map_err(|_| bad());
    if let Some(p) = s.strip_prefix(':') {
        return Ok(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port(p)?)));
    }
    if let Some(p) = s.strip_prefix("localhost:") {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port(p)?)));
    }
    s.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_readable_by_others_only_with_a_group_or_other_read_bit() {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::temp_dir().join(format!("ssetap-mode-{}", std::process::id()));
        std::fs::write(&path, "x").expect("write");
        let set = |mode| std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode));
        set(0o600).expect("chmod");
        assert!(!readable_by_others(&path));
        set(0o640).expect("chmod");
        assert!(readable_by_others(&path));
        set(0o604).expect("chmod");
        assert!(readable_by_others(&path));
        let _ = std::fs::remove_file(&path);
        assert!(!readable_by_others(&path));
    }

    #[test]
    fn counts_are_whole_numbers_in_words() {
        assert_eq!(count::<u64>("17"), Ok(17));
        assert_eq!(count::<u64>(" 0 "), Ok(0));
        for bad in ["abc", "-1", "1.5", "", "+3", "1e3"] {
            assert_eq!(
                count::<u64>(bad),
                Err("not a whole number (0 or more)".to_string()),
                "{bad}"
            );
        }
        assert_eq!(
            count::<u64>("99999999999999999999999"),
            Err("too large (at most 18446744073709551615)".to_string())
        );
    }

    #[test]
    fn durations_accept_humantime_and_bare_seconds() {
        assert_eq!(duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        let err = duration("soon").unwrap_err();
        assert!(err.starts_with("not a duration"), "{err}");
        assert!(duration("-1").is_err());
        // A bare number out of range says so, not "time unit needed".
        let err = duration("99999999999999").unwrap_err();
        assert!(err.contains("a bare number is seconds"), "{err}");
        assert!(duration("nan").is_err());
    }

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(size("16MiB"), Ok(16 << 20));
        assert_eq!(size("512KiB"), Ok(512 << 10));
        assert_eq!(size("1M"), Ok(1 << 20));
        assert_eq!(size("1MB"), Ok(1_000_000));
        assert_eq!(size("1000"), Ok(1000));
        assert!(size("0").is_err());
        assert!(size("lots").is_err());
        assert!(size("1XB").is_err());
        assert!(size("99999999999999999999G").is_err());
    }

    #[test]
    fn regex_errors_name_the_column() {
        let pattern = String::from("a(b");
        let e = regex::Regex::new(&pattern).unwrap_err();
        assert_eq!(regex_error(&e), "unclosed group at column 2 of \"a(b\"");
    }

    #[test]
    fn keys() {
        assert_eq!(key("none"), Ok(KeySpec::None));
        assert_eq!(key("id"), Ok(KeySpec::Id));
        assert_eq!(key("event"), Ok(KeySpec::Event));
        assert_eq!(key("/a/b"), Ok(KeySpec::Pointer("/a/b".into())));
        assert_eq!(key("/a~0b~1c"), Ok(KeySpec::Pointer("/a~0b~1c".into())));
        assert!(key("/a~2").is_err() && key("/a~").is_err());
        assert!(key("meta").is_err());
    }

    #[test]
    fn headers_parse_like_curl() {
        assert_eq!(
            header("Accept: text/plain"),
            Ok(HeaderArg::Set("Accept".into(), "text/plain".into()))
        );
        assert_eq!(
            header("X-Empty;"),
            Ok(HeaderArg::Set("X-Empty".into(), String::new()))
        );
        assert_eq!(header("Accept:"), Ok(HeaderArg::Remove("Accept".into())));
        assert!(header("X: a\r\nEvil: 1").unwrap_err().contains("CR or LF"));
        assert!(header("X: a\nEvil: 1").is_err());
        assert!(header("no colon").is_err());
        assert!(header("Bad Name: v").is_err());
        assert!(header("X: a\u{1}b").is_err());
    }

    #[test]
    fn urls_lose_their_credentials() {
        let p = http_url("https://ann:s%40cret@example.com:8443/v2?x=1").unwrap();
        assert_eq!(p.url, "https://example.com:8443/v2?x=1");
        assert_eq!(p.user, Some(("ann".into(), Some("s@cret".into()))));
        let p = http_url("http://127.0.0.1:9/").unwrap();
        assert_eq!(p.url, "http://127.0.0.1:9/");
        assert_eq!(p.user, None);
        assert!(
            http_url("ftp://x/")
                .unwrap_err()
                .contains("unsupported URL scheme 'ftp'")
        );
        assert!(http_url("http:///path").is_err());
        assert!(http_url("http://a b/").is_err());
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_addr(":9464").unwrap().to_string(), "0.0.0.0:9464");
        assert_eq!(
            listen_addr("localhost:1").unwrap().to_string(),
            "127.0.0.1:1"
        );
        assert_eq!(listen_addr("[::1]:80").unwrap().to_string(), "[::1]:80");
        assert!(listen_addr("9464").is_err());
        assert!(listen_addr("example.com:80").is_err());
        assert!(listen_addr(":99999").is_err());
    }
}
