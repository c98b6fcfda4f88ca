//! A JWT from `--bearer-command` is fetched again before its `exp`:
//! reused while good, replaced before it expires, never sent expired.

use super::*;

/// base64url of `text`, without padding (a JWT's segments).
fn b64url(text: &str) -> String {
    base64(text.as_bytes())
        .replace('+', "-")
        .replace('/', "_")
        .replace('=', "")
}

fn unb64url(text: &str) -> Vec<u8> {
    let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            _ => 63,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn a_jwt_is_fetched_again_before_its_exp() {
    assert_eq!(unb64url(&b64url("{\"exp\":1}")), b"{\"exp\":1}");
    // Each stream is short; the token lives 3–4 s: reused while good,
    // replaced before it expires.
    let sse = Server::start(|_, req| {
        let payload = bearer(req).split('.').nth(1).unwrap_or("");
        let claims: serde_json::Value =
            serde_json::from_slice(&unb64url(payload)).unwrap_or_default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        match claims["exp"].as_f64() {
            Some(exp) if exp > now => three_more(req),
            _ => Reply::status(401, &[], "expired"),
        }
    });
    let dir = Scratch::new("auth-jwt");
    let runs = dir.path("runs");
    let header = b64url(r#"{"alg":"none"}"#);
    let cmd = format!(
        "echo run >> {runs}; n=$(wc -l < {runs}); \
         p=$(printf '{{\"n\":%d,\"exp\":%d}}' $n $(( $(date +%s) + 4 )) | base64 | tr '+/' '-_' | tr -d '=\\n'); \
         echo \"{header}.$p.c2ln\"",
        runs = runs.display()
    );
    let out = run(&[
        &sse.url(),
        "--bearer-command",
        &cmd,
        "--duration",
        "10s",
        "--retry",
        "200ms",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let reqs = sse.requests();
    let refused = reqs.iter().filter(|r| three_more_refused(r)).count();
    assert!(
        refused <= 1,
        "{refused} requests with an expired token:\n{}",
        out.stderr
    );
    let n = std::fs::read_to_string(&runs)
        .unwrap_or_default()
        .lines()
        .count();
    // About one run per 3–4 s, not one per request.
    assert!(
        (3..=6).contains(&n),
        "the command ran {n} times for {} requests",
        reqs.len()
    );
    assert!(reqs.len() >= 5, "{} requests", reqs.len());
    let ids = ids(&out);
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
}

/// Was this request's JWT expired when it arrived?
fn three_more_refused(req: &Request) -> bool {
    let payload = bearer(req).split('.').nth(1).unwrap_or("");
    let claims: serde_json::Value = serde_json::from_slice(&unb64url(payload)).unwrap_or_default();
    let at = SystemTime::now()
        .checked_sub(req.at.elapsed())
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    claims["exp"].as_f64().is_none_or(|exp| exp <= at)
}
