//! http::auth::oauth2: the OAuth2 client credentials grant (RFC 6749 §4.4),
//! for machines without a shell toolbox. The client authenticates with HTTP
//! Basic (§2.3.1: ID and secret form-encoded first); the answer is JSON
//! with `access_token`, `token_type` and `expires_in`. The request goes
//! through the stream's agent, so `--cacert` and `--insecure` apply; it is
//! bounded in time and in the size of the answer, and a failure is one
//! line, with the endpoint's `error` and `error_description` when given.

use super::token::{base64_encode, form_encode};
use std::io::Read;
use std::time::Duration;
use ureq::Agent;

/// The longest a token request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The largest token response read.
const RESPONSE_MAX: u64 = 64 * 1024;

/// `--oauth2-*`: where to ask and who asks.
#[derive(Clone)]
pub struct Client {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub scope: Option<String>,
}

/// A token the endpoint issued.
#[derive(Debug, PartialEq)]
pub struct Issued {
    pub access_token: String,
    pub expires_in: Option<Duration>,
}

impl Client {
    /// Ask the token endpoint for a token.
    pub fn fetch(&self, agent: &Agent) -> Result<Issued, String> {
        let shown = crate::redact::redact_url(&self.token_url);
        let basic = base64_encode(
            format!(
                "{}:{}",
                form_encode(&self.client_id),
                form_encode(&self.client_secret)
            )
            .as_bytes(),
        );
        let request = ureq::http::Request::builder()
            .method("POST")
            .uri(&self.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .header("Authorization", format!("Basic {basic}"))
            .header(
                "User-Agent",
                format!("ssetap/{}", env!("CARGO_PKG_VERSION")),
            )
            .body(self.form())
            .map_err(|e| format!("--oauth2-token-url {shown}: {e}"))?;
        let request = agent
            .configure_request(request)
            .timeout_global(Some(TIMEOUT))
            .build();
        let response = agent.run(request).map_err(|e| {
            format!(
                "--oauth2-token-url {shown}: {}",
                crate::http::describe_error(&e).0
            )
        })?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        let read = response
            .into_body()
            .into_reader()
            .take(RESPONSE_MAX + 1)
            .read_to_end(&mut body);
        if let Err(e) = read {
            return Err(format!(
                "--oauth2-token-url {shown}: reading the answer: {e}"
            ));
        }
        if body.len() as u64 > RESPONSE_MAX {
            return Err(format!(
                "--oauth2-token-url {shown}: the answer is longer than {} KiB",
                RESPONSE_MAX / 1024
            ));
        }
        parse(status, &body).map_err(|why| format!("--oauth2-token-url {shown}: {why}"))
    }

    fn form(&self) -> String {
        let mut form = "grant_type=client_credentials".to_string();
        if let Some(scope) = &self.scope {
            form.push_str("&scope=");
            form.push_str(&form_encode(scope));
        }
        form
    }
}

/// The token endpoint's answer: a token, or one line saying why not.
pub fn parse(status: u16, body: &[u8]) -> Result<Issued, String> {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        json.as_ref()
            .and_then(|j| j.get(name))
            .and_then(|v| v.as_str())
            .map(|s| one_line(s, 200))
    };
    if status != 200 {
        let detail = match (field("error"), field("error_description")) {
            (Some(e), Some(d)) => format!(": {e} ({d})"),
            (Some(e), None) => format!(": {e}"),
            _ => String::new(),
        };
        return Err(format!("HTTP {status}{detail}"));
    }
    let Some(json) = json.as_ref().filter(|j| j.is_object()) else {
        return Err("HTTP 200 but the answer is not a JSON object".to_string());
    };
    let Some(token) = json.get("access_token").and_then(|v| v.as_str()) else {
        return Err("the answer has no access_token".to_string());
    };
    super::token::check(token).map_err(|why| format!("the access_token is unusable ({why})"))?;
    if let Some(kind) = json.get("token_type").and_then(|v| v.as_str())
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(format!(
            "token_type {:?}: ssetap sends Bearer tokens only",
            one_line(kind, 40)
        ));
    }
    // Some servers send expires_in as a string.
    let expires_in = match json.get("expires_in") {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite())
    .map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX));
    Ok(Issued {
        access_token: token.to_string(),
        expires_in,
    })
}

fn one_line(text: &str, max: usize) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_response_is_read() {
        let ok = parse(
            200,
            br#"{"access_token":"abc.def","token_type":"bearer","expires_in":3600}"#,
        );
        assert_eq!(
            ok,
            Ok(Issued {
                access_token: "abc.def".into(),
                expires_in: Some(Duration::from_secs(3600))
            })
        );
        let text = parse(200, br#"{"access_token":"t","expires_in":"60"}"#).unwrap();
        assert_eq!(text.expires_in, Some(Duration::from_secs(60)));
        let none = parse(200, br#"{"access_token":"t"}"#).unwrap();
        assert_eq!(none.expires_in, None);
        let huge = parse(200, br#"{"access_token":"t","expires_in":1e308}"#).unwrap();
        assert_eq!(huge.expires_in, Some(Duration::MAX));
        let negative = parse(200, br#"{"access_token":"t","expires_in":-5}"#).unwrap();
        assert_eq!(negative.expires_in, Some(Duration::ZERO));
    }

    #[test]
    fn token_endpoint_errors_are_one_line() {
        assert_eq!(
            parse(
                401,
                br#"{"error":"invalid_client","error_description":"Client\nauthentication failed"}"#
            ),
            Err("HTTP 401: invalid_client (Client authentication failed)".into())
        );
        assert_eq!(parse(503, b"<html>down</html>"), Err("HTTP 503".into()));
        assert!(
            parse(200, b"not json")
                .unwrap_err()
                .contains("not a JSON object")
        );
        assert!(parse(200, b"{}").unwrap_err().contains("no access_token"));
        assert!(
            parse(200, br#"{"access_token":"t","token_type":"mac"}"#)
                .unwrap_err()
                .contains("Bearer tokens only")
        );
        assert!(parse(200, br#"{"access_token":"a b"}"#).is_err());
    }

    #[test]
    fn the_form_names_the_grant_and_scope() {
        let mut c = Client {
            token_url: "http://h/token".into(),
            client_id: "id".into(),
            client_secret: "s".into(),
            scope: None,
        };
        assert_eq!(c.form(), "grant_type=client_credentials");
        c.scope = Some("read write".into());
        assert_eq!(c.form(), "grant_type=client_credentials&scope=read+write");
    }
}
