//! http::answer: what a response means for the run. A 200 event stream
//! (its Content-Type strict unless asked, its Content-Encoding gzip or
//! none) becomes a plain body reader; 204 ends the run; 408, 429 and 5xx
//! are tried again (after a `Retry-After`, cut by the caller); anything
//! else is fatal, with the first bytes of the body as its reason.

use super::gunzip;
use std::io::Read;
use std::time::{Duration, Instant};

/// The longest an error body is read for (its first 512 bytes).
const ERROR_BODY_WAIT: Duration = Duration::from_secs(2);
use ureq::Body;
use ureq::http::Response;

/// What a response means for the run.
pub enum Answer {
    /// 200 with text/event-stream (or any type, if asked): read events
    /// from `body`; `info` describes it, `warning` is said once.
    Stream {
        body: Box<dyn Read + Send>,
        info: String,
        warning: Option<String>,
    },
    /// 204: the server says there is nothing more; exit 0.
    NoContent,
    /// 408, 429, 5xx: try again, after `after` if the server said so.
    Retry {
        why: String,
        after: Option<Duration>,
    },
    /// Anything else: exit 1 with this message.
    Fatal(String),
}

/// The codings a Content-Encoding lists (every header of that name, in
/// order), lowercased and without `identity`: `gzip` for the one coding
/// ssetap decodes, empty for none, else the list as the server wrote it
/// (`gzip, br` is not gzip: its body is not gzip's output).
fn content_coding(value: &str) -> String {
    let codings: Vec<String> = value
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    match codings.as_slice() {
        [one] if one == "gzip" || one == "x-gzip" => "gzip".into(),
        _ => codings.join(", "),
    }
}

/// Classify a response; for a stream, set up the body reader. `offered`
/// is the request's Accept-Encoding, if it had one.
pub fn answer(resp: Response<Body>, any_content_type: bool, offered: Option<&str>) -> Answer {
    let status = resp.status().as_u16();
    let reason = resp.status().canonical_reason().unwrap_or("");
    // A header's values as text (bytes that are not UTF-8 shown as U+FFFD
    // rather than taken for no header at all).
    let values = |name: &str| -> Vec<String> {
        resp.headers()
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .collect()
    };
    let content_type = values("content-type")
        .into_iter()
        .next()
        .unwrap_or_default();
    let encoding = content_coding(&values("content-encoding").join(", "));
    match status {
        200 if any_content_type || is_event_stream(&content_type) => {
            let warning = (!is_event_stream(&content_type)).then(|| {
                format!(
                    "--ignore-content-type: reading a Content-Type '{content_type}' response as an event stream"
                )
            });
            let body = resp.into_body().into_reader();
            match encoding.as_str() {
                "" => Answer::Stream {
                    body: Box::new(body),
                    info: "200".into(),
                    warning,
                },
                "gzip" => Answer::Stream {
                    body: Box::new(gunzip(body)),
                    info: "200, gzip".into(),
                    warning,
                },
                other => {
                    // A browser's "Copy as cURL" offers br and zstd.
                    let asked = match offered {
                        Some(v) if content_coding(v) != "gzip" => format!(
                            "; the request's Accept-Encoding ({v}, from -H) offered it: \
                             leave that header out, ssetap asks for gzip itself"
                        ),
                        _ => String::new(),
                    };
                    Answer::Fatal(format!(
                        "HTTP 200 with an unsupported Content-Encoding '{other}' (ssetap decodes gzip){asked}"
                    ))
                }
            }
        }
        200 => {
            let shown = if content_type.is_empty() {
                "none".to_string()
            } else {
                format!("'{content_type}'")
            };
            let body = first_bytes(resp);
            Answer::Fatal(format!(
                "HTTP 200 but Content-Type is {shown}, not text/event-stream (--ignore-content-type accepts it){body}"
            ))
        }
        204 => Answer::NoContent,
        408 | 429 | 500..=599 => {
            let after = if status == 429 || status == 503 {
                values("retry-after")
                    .first()
                    .and_then(|v| retry_after(v, std::time::SystemTime::now()))
            } else {
                None
            };
            // The server's words say whether waiting helps (an LLM API's
            // 429 for a spent quota never clears by itself).
            let body = first_bytes(resp);
            Answer::Retry {
                why: format!("HTTP {status} {reason}{body}").replace("  ", " "),
                after,
            }
        }
        _ => {
            let body = first_bytes(resp);
            Answer::Fatal(format!("HTTP {status} {reason}{body}").replace("  ", " "))
        }
    }
}

fn is_event_stream(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
}

/// The first 512 bytes of an error body, as one line (": …"), or nothing.
/// What arrives within `ERROR_BODY_WAIT` (reads tick, so a quiet second
/// ends it too): a server that drips its error body cannot hold the run.
fn first_bytes(resp: Response<Body>) -> String {
    const MAX: usize = 512;
    let deadline = Instant::now() + ERROR_BODY_WAIT;
    let mut reader = resp.into_body().into_reader();
    let mut buf = Vec::with_capacity(MAX);
    let mut chunk = [0u8; MAX];
    while buf.len() < MAX && Instant::now() < deadline {
        match reader.read(&mut chunk[..MAX - buf.len()]) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let text: String = String::from_utf8_lossy(&buf)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// `Retry-After`: delay-seconds or an HTTP-date, relative to `now`. Seconds
/// past u64 saturate (the caller cuts every wait to its ceiling).
fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Tue, 24 Nov 2026 08:00:00 GMT").unwrap();
        assert_eq!(retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Tue, 24 Nov 2026 08:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Tue, 24 Nov 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn retry_after_cannot_overflow() {
        let now = std::time::SystemTime::UNIX_EPOCH;
        assert_eq!(
            retry_after("18446744073709551615", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(
            retry_after("99999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        assert!(retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).is_some());
    }

    #[test]
    fn event_stream_content_type_allows_parameters() {
        assert!(is_event_stream("text/event-stream"));
        assert!(is_event_stream("Text/Event-Stream; charset=utf-8"));
        assert!(!is_event_stream("text/plain"));
        assert!(!is_event_stream(""));
    }

    #[test]
    fn content_codings_are_gzip_none_or_unsupported() {
        assert_eq!(content_coding(""), "");
        assert_eq!(content_coding("identity"), "");
        assert_eq!(content_coding("GZIP"), "gzip");
        assert_eq!(content_coding("x-gzip, identity"), "gzip");
        // Two headers (joined) or a list: not gzip's output alone.
        assert_eq!(content_coding("gzip, br"), "gzip, br");
        assert_eq!(content_coding("gzip, gzip"), "gzip, gzip");
        assert_eq!(content_coding("\u{fffd}"), "\u{fffd}");
    }
}
