//! http::auth::token: the pure parts of a token that expires — when to fetch
//! a new one (a JWT's `exp`, an OAuth2 `expires_in`, `--bearer-refresh`),
//! base64url for reading a JWT's payload, and the form encoding of an OAuth2
//! request. Nothing here is verified: a JWT's signature is the server's
//! business; ssetap only reads `exp` to know when to ask again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest margin before an expiry: a token is fetched again this long
/// (or a tenth of its life, if shorter) before it expires, so that a
/// request is not sent with a token that expires on the way.
const MARGIN_MAX: Duration = Duration::from_secs(30);

/// A lifetime longer than this is as good as none (and cannot overflow an
/// `Instant`).
const LIFE_MAX: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How long a token may be used before a new one is fetched, from when it
/// was received: its `lifetime` less the margin. None = until a 401.
pub fn use_for(lifetime: Option<Duration>, every: Option<Duration>) -> Option<Duration> {
    let by_expiry = lifetime
        .filter(|l| *l <= LIFE_MAX)
        .map(|l| l.saturating_sub((l / 10).min(MARGIN_MAX)));
    match (by_expiry, every) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The time left until a JWT's `exp` (zero if past), or None when the token
/// is not a JWT with a numeric `exp`.
pub fn jwt_lifetime(token: &str, now: SystemTime) -> Option<Duration> {
    let exp = jwt_exp(token)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    let left = exp - now;
    if !left.is_finite() || left <= 0.0 {
        return Some(Duration::ZERO);
    }
    Some(
        Duration::try_from_secs_f64(left)
            .unwrap_or(LIFE_MAX)
            .min(LIFE_MAX),
    )
}

/// A JWT's `exp` claim (seconds since the epoch), unverified.
fn jwt_exp(token: &str) -> Option<f64> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let json = base64url_decode(payload)?;
    let claims: serde_json::Value = serde_json::from_slice(&json).ok()?;
    claims.get("exp")?.as_f64().filter(|e| e.is_finite())
}

/// Standard base64 with padding (HTTP Basic).
pub fn base64_encode(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// base64url (RFC 4648 §5), padding optional, as in a JWT.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `application/x-www-form-urlencoded` for one name or value (RFC 6749
/// appendix B: also how the client ID and secret are encoded before they
/// go into HTTP Basic).
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A token as it can go into a header: no whitespace or control
/// characters inside (a command that prints JSON or two lines is a
/// mistake better said at once than sent), and only visible ASCII, as a
/// bearer token is: the header layer refuses anything else, and that
/// refusal would end the run where a bad token must only back off.
pub fn check(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        return Err("empty");
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("more than one word");
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("a character a header cannot carry: only visible ASCII");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let enc = base64_encode(payload.as_bytes())
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', "");
        format!("eyJhbGciOiJIUzI1NiJ9.{enc}.c2ln")
    }

    #[test]
    fn jwt_exp_is_read_without_verification() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let t = jwt(r#"{"sub":"x","exp":1000060}"#);
        assert_eq!(jwt_lifetime(&t, now), Some(Duration::from_secs(60)));
        assert_eq!(
            jwt_lifetime(&jwt(r#"{"exp":999000}"#), now),
            Some(Duration::ZERO)
        );
        assert_eq!(jwt_lifetime(&jwt(r#"{"sub":"x"}"#), now), None);
        assert_eq!(jwt_lifetime(&jwt(r#"{"exp":"soon"}"#), now), None);
        assert_eq!(jwt_lifetime("opaque-token", now), None);
        assert_eq!(jwt_lifetime("a.!!!.c", now), None);
        assert_eq!(jwt_lifetime("a.b.c.d", now), None);
    }

    #[test]
    fn weird_exp_values_are_clamped() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(jwt_lifetime(&jwt(r#"{"exp":1e300}"#), now), Some(LIFE_MAX));
        assert_eq!(
            jwt_lifetime(&jwt(r#"{"exp":-1e300}"#), now),
            Some(Duration::ZERO)
        );
        assert_eq!(use_for(Some(LIFE_MAX * 2), None), None);
    }

    #[test]
    fn tokens_are_fetched_again_before_they_expire() {
        let h = Duration::from_secs(3600);
        assert_eq!(use_for(Some(h), None), Some(h - MARGIN_MAX));
        // A short life keeps nine tenths of it.
        assert_eq!(
            use_for(Some(Duration::from_secs(1)), None),
            Some(Duration::from_millis(900))
        );
        assert_eq!(use_for(Some(Duration::ZERO), None), Some(Duration::ZERO));
        assert_eq!(use_for(None, None), None);
        let m = Duration::from_secs(60);
        assert_eq!(use_for(None, Some(m)), Some(m));
        assert_eq!(use_for(Some(h), Some(m)), Some(m));
    }

    #[test]
    fn base64url_with_and_without_padding() {
        assert_eq!(base64url_decode("aGk").unwrap(), b"hi");
        assert_eq!(base64url_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert!(base64url_decode("a b").is_none());
    }

    #[test]
    fn form_encoding_of_names_and_values() {
        assert_eq!(form_encode("abc-1.2_3*"), "abc-1.2_3*");
        assert_eq!(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(form_encode("s3:cr+t"), "s3%3Acr%2Bt");
    }

    #[test]
    fn a_token_is_one_word() {
        assert!(check("abc.def-_~+/=").is_ok());
        assert!(check("").is_err());
        assert!(check("two words").is_err());
        assert!(check("two\nlines").is_err());
        assert!(check("{\"a\": 1}").is_err());
        assert_eq!(
            check("tokén"),
            Err("a character a header cannot carry: only visible ASCII")
        );
    }
}
