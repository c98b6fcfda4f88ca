//! redact: what counts as a secret, and how things that may hold one are
//! shown: header and parameter names, librdkafka properties, URLs, `-v`
//! header lines. The log's own redaction of known secret values uses the
//! list `config` collects with these rules.

/// The URL as it may be shown: no userinfo, and the values of query
/// parameters that look like credentials replaced.
pub fn redact_url(text: &str) -> String {
    let (base, fragment) = match text.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (text, None),
    };
    let mut shown = match base.find("://") {
        Some(i) => {
            let rest = &base[i + 3..];
            let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
            match rest[..auth_end].rsplit_once('@') {
                Some((_, host)) => format!("{}{}{}", &base[..i + 3], host, &rest[auth_end..]),
                None => base.to_string(),
            }
        }
        None => base.to_string(),
    };
    if let Some(q) = shown.find('?') {
        let query: Vec<String> = shown[q + 1..]
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret_name(k) => format!("{k}=[redacted]"),
                _ => pair.to_string(),
            })
            .collect();
        shown = format!("{}?{}", &shown[..q], query.join("&"));
    }
    if let Some(f) = fragment {
        shown.push('#');
        shown.push_str(f);
    }
    shown
}

/// Where the values of credential-like query parameters lie in an
/// `http(s)://` URL (`?access_token=…&sig=…`, names as `is_secret_name`
/// says): what `redact_url` hides when it shows the URL, and what the log
/// and the command line hide wherever else the value turns up (a server
/// that echoes the request in an error body).
pub fn query_secrets(url: &[u8]) -> Vec<std::ops::Range<usize>> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if !(lower.starts_with(b"http://") || lower.starts_with(b"https://")) {
        return Vec::new();
    }
    let end = url.iter().position(|&b| b == b'#').unwrap_or(url.len());
    let Some(q) = url[..end].iter().position(|&b| b == b'?') else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = q + 1;
    for pair in url[q + 1..end].split(|&b| b == b'&') {
        if let Some(eq) = pair.iter().position(|&b| b == b'=')
            && eq + 1 < pair.len()
            && is_secret_name(&String::from_utf8_lossy(&pair[..eq]))
        {
            out.push(at + eq + 1..at + pair.len());
        }
        at += pair.len() + 1;
    }
    out
}

/// Header or parameter names whose values are credentials: any name that
/// contains one of these words (case-insensitive). Broad on purpose — a
/// header wrongly hidden costs a `[redacted]` in `-v` and its absence after
/// a cross-origin redirect; one wrongly shown leaks a credential
/// (`CB-ACCESS-PASSPHRASE`, `X-Credential`, `X-Jwt`, `X-Hmac`…).
/// The password's bytes in a URL's `user:password@` (after an optional
/// `scheme://`, up to the first `/`, `?` or `#`), if it has one.
pub fn password_span(url: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = url
        .windows(3)
        .position(|w| w == b"://")
        .map_or(0, |at| at + 3);
    let rest = &url[start..];
    let end = rest
        .iter()
        .position(|b| b"/?#".contains(b))
        .unwrap_or(rest.len());
    let at = rest[..end].iter().rposition(|&b| b == b'@')?;
    let colon = rest[..at].iter().position(|&b| b == b':')?;
    Some(start + colon + 1..start + at).filter(|r| !r.is_empty())
}

pub fn is_secret_name(name: &str) -> bool {
    const WORDS: [&str; 12] = [
        "key",
        "token",
        "secret",
        "pass",
        "credential",
        "auth",
        "jwt",
        "hmac",
        "signature",
        "sig",
        "session",
        "cookie",
    ];
    let n = name.to_ascii_lowercase();
    WORDS.iter().any(|w| n.contains(w))
}

/// A header line for `-v`: credential-bearing header values are replaced.
pub fn header_line(prefix: &str, name: &str, value: &str) -> String {
    if is_secret_name(name) {
        let scheme = value
            .split_once(' ')
            .map(|(s, _)| format!("{s} "))
            .unwrap_or_default();
        let scheme = if matches!(scheme.trim(), "Basic" | "Bearer" | "Digest") {
            scheme
        } else {
            String::new()
        };
        format!("{prefix} {name}: {scheme}[redacted]")
    } else {
        format!("{prefix} {name}: {value}")
    }
}

/// librdkafka properties whose values are credentials: never printed, and
/// redacted from anything printed. The named ones are those librdkafka
/// itself marks sensitive; the patterns catch the rest (and Java-client
/// names such as sasl.jaas.config that people paste into -F files).
pub fn is_secret_property(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    matches!(
        n.as_str(),
        "sasl.username" | "sasl.oauthbearer.config" | "ssl_key" | "basic.auth.user.info"
    ) || ["password", "secret", "passphrase", "jaas"]
        .iter()
        .any(|w| n.contains(w))
        || (n.ends_with(".pem") && n.contains("key"))
}

/// What to redact for a secret property's value: the value, and the value
/// of each `key=value` word in it (`sasl.oauthbearer.config`'s
/// `extension_apikey=…`, `sasl.jaas.config`'s `password="…";`), since
/// librdkafka's errors quote the value from a word on. Keys that name
/// nothing secret (a principal, a scope, a lifetime) keep their values
/// visible.
pub fn secret_values(value: &str) -> Vec<String> {
    const PUBLIC: [&str; 5] = [
        "principal",
        "principalclaimname",
        "scope",
        "scopeclaimname",
        "lifeseconds",
    ];
    let mut out = vec![value.to_string()];
    for word in value.split_whitespace() {
        let Some((k, v)) = word.split_once('=') else {
            continue;
        };
        let v = v
            .trim_end_matches(';')
            .trim_matches(|c| c == '"' || c == '\'');
        if !v.is_empty() && !PUBLIC.contains(&k.to_ascii_lowercase().as_str()) {
            out.push(v.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_urls_password_is_found_with_or_without_a_scheme() {
        let pw = |url: &str| password_span(url.as_bytes()).map(|r| url[r].to_string());
        assert_eq!(pw("http://u:p%40ss@h:8/x"), Some("p%40ss".into()));
        assert_eq!(pw("u:pass@proxy:3128"), Some("pass".into()));
        assert_eq!(pw("https://u:a:b@h/"), Some("a:b".into()));
        assert_eq!(pw("http://u@h/"), None);
        assert_eq!(pw("http://u:@h/"), None);
        assert_eq!(pw("http://h/path@x:y"), None);
        assert_eq!(pw("proxy:3128"), None);
    }

    #[test]
    fn a_secret_propertys_inner_values_are_secrets_too() {
        assert_eq!(
            secret_values("principal=svc scope=read extension_apikey=TOPSECRET123"),
            [
                "principal=svc scope=read extension_apikey=TOPSECRET123",
                "TOPSECRET123"
            ]
        );
        let jaas = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="u1" password="p@ss";"#;
        assert_eq!(secret_values(jaas)[1..], ["u1", "p@ss"]);
        assert_eq!(secret_values("hunter2"), ["hunter2"]);
    }

    #[test]
    fn query_secrets_are_the_values_of_credential_parameters() {
        let url = "https://h/p?a=1&access_token=T0K&sig=&x=2&API_KEY=k%2By#frag?token=no";
        let found: Vec<&str> = query_secrets(url.as_bytes())
            .into_iter()
            .map(|r| &url[r])
            .collect();
        assert_eq!(found, ["T0K", "k%2By"]);
        assert!(query_secrets(b"file?token=x").is_empty());
        assert!(query_secrets(b"http://h/").is_empty());
    }

    #[test]
    fn shown_urls_hide_credentials() {
        assert_eq!(
            redact_url("https://u:p@h/x?a=1&api_key=s3&token=t#f"),
            "https://h/x?a=1&api_key=[redacted]&token=[redacted]#f"
        );
        assert_eq!(redact_url("http://h/?page=2"), "http://h/?page=2");
    }

    #[test]
    fn credential_headers_are_hidden_in_verbose_lines() {
        assert_eq!(
            header_line(">", "Authorization", "Bearer abc"),
            "> Authorization: Bearer [redacted]"
        );
        assert_eq!(
            header_line(">", "X-Api-Key", "abc"),
            "> X-Api-Key: [redacted]"
        );
        assert_eq!(
            header_line("<", "Content-Type", "text/event-stream"),
            "< Content-Type: text/event-stream"
        );
    }

    #[test]
    fn any_name_with_a_credential_word_is_secret() {
        for name in [
            "Authorization",
            "Proxy-Authorization",
            "Cookie",
            "Set-Cookie",
            "X-Api-Key",
            "api-key",
            "X-Auth-Token",
            "CB-ACCESS-PASSPHRASE",
            "CB-ACCESS-SIGN",
            "X-Credential",
            "X-Jwt",
            "X-Hmac",
            "X-Signature",
            "X-Session-Id",
            "Ocp-Apim-Subscription-Key",
            "x-password",
            "client_secret",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "Accept",
            "Content-Type",
            "Last-Event-ID",
            "User-Agent",
            "Cache-Control",
            "Accept-Encoding",
            "page",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn kafka_secret_properties() {
        assert!(is_secret_property("sasl.password"));
        assert!(is_secret_property("ssl.key.password"));
        assert!(is_secret_property("sasl.jaas.config"));
        assert!(!is_secret_property("bootstrap.servers"));
    }
}
