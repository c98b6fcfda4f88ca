//! How an event becomes a Kafka record's topic and key: pure functions over
//! the event, no producer involved.

use crate::sse::Event;
use anyhow::{Result, bail};
use std::borrow::Cow;

/// How a record's key is chosen (`--key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySpec {
    None,
    Id,
    Event,
    /// A JSON pointer into the data parsed as JSON.
    Pointer(String),
}

/// The placeholder in `-t` that routes each event type to its own topic.
pub const EVENT_PLACEHOLDER: &str = "{event}";

/// Kafka's limit on a topic name's length.
const MAX_TOPIC_LEN: usize = 249;

/// The topic for an event of type `kind`: the `-t` template with
/// `{event}` replaced. A name Kafka would reject is an error, never
/// silently changed.
pub fn topic<'t>(template: &'t str, kind: &[u8]) -> Result<Cow<'t, str>> {
    if !template.contains(EVENT_PLACEHOLDER) {
        return Ok(Cow::Borrowed(template));
    }
    let kind_text = String::from_utf8_lossy(kind);
    let name = template.replace(EVENT_PLACEHOLDER, &kind_text);
    if let Err(why) = check_topic(&name) {
        bail!(
            "event type {kind_text:?} gives the topic name {name:?} (from -t {template:?}), \
             which Kafka does not allow: {why}; filter such events out with -e"
        );
    }
    Ok(Cow::Owned(name))
}

/// Checks `-t` once at start: the name itself, or with `{event}` the parts
/// around it (as if the type were a plain word).
pub fn check_template(template: &str) -> Result<()> {
    let sample = template.replace(EVENT_PLACEHOLDER, "x");
    if let Err(why) = check_topic(&sample) {
        bail!("-t {template:?} is not a legal Kafka topic name: {why}");
    }
    Ok(())
}

/// Kafka's rule for topic names.
fn check_topic(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name == "." || name == ".." {
        return Err("it must not be empty, \".\" or \"..\"");
    }
    if name.len() > MAX_TOPIC_LEN {
        return Err("it is longer than 249 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err("only the characters a-z A-Z 0-9 . _ - are allowed");
    }
    Ok(())
}

/// The `sse.id` header's value: the event's ID, unless it is empty or
/// longer than `resume::MAX_ID_LEN`. A record must not fail on its ID
/// alone: a megabyte of ID would push it past `message.max.bytes`, and an
/// ID that long cannot be a resume point anyway. (Control bytes are fine
/// in a Kafka header.)
pub fn id_header(id: &[u8]) -> Option<&[u8]> {
    (!id.is_empty() && id.len() <= crate::resume::MAX_ID_LEN).then_some(id)
}

/// The record key `--key` asks for, if the event has one.
pub fn key<'e>(spec: &KeySpec, ev: &Event<'e>) -> Option<Cow<'e, [u8]>> {
    match spec {
        KeySpec::None => None,
        KeySpec::Id => (!ev.id.is_empty()).then_some(Cow::Borrowed(ev.id)),
        KeySpec::Event => Some(Cow::Borrowed(if ev.event_type.is_empty() {
            b"message".as_slice()
        } else {
            ev.event_type
        })),
        KeySpec::Pointer(p) => {
            let data: serde_json::Value = serde_json::from_slice(ev.data).ok()?;
            Some(Cow::Owned(match data.pointer(p)? {
                serde_json::Value::String(s) => s.as_bytes().to_vec(),
                other => other.to_string().into_bytes(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(event_type: &'a [u8], id: &'a [u8], data: &'a [u8]) -> Event<'a> {
        Event::of(event_type, id, data)
    }

    #[test]
    fn the_id_header_is_left_out_when_empty_or_over_long() {
        let max = crate::resume::MAX_ID_LEN;
        assert_eq!(id_header(b""), None);
        assert_eq!(id_header(b"a\x01b"), Some(&b"a\x01b"[..]));
        assert!(id_header(&vec![b'x'; max]).is_some());
        assert_eq!(id_header(&vec![b'x'; max + 1]), None);
    }

    #[test]
    fn a_topic_without_the_placeholder_is_used_as_is() {
        assert_eq!(topic("events", b"x").unwrap(), "events");
    }

    #[test]
    fn the_placeholder_takes_the_event_type() {
        assert_eq!(topic("sse.{event}", b"edit").unwrap(), "sse.edit");
        assert_eq!(topic("{event}-{event}", b"a").unwrap(), "a-a");
    }

    #[test]
    fn an_illegal_routed_name_is_an_error_naming_the_type() {
        let err = topic("sse.{event}", b"bad type").unwrap_err().to_string();
        assert!(err.contains("\"bad type\""), "{err}");
        assert!(err.contains("\"sse.bad type\""), "{err}");
        assert!(err.contains("a-z A-Z 0-9 . _ -"), "{err}");
        assert!(topic("{event}", "é".as_bytes()).is_err());
        assert!(topic("{event}", b"..").is_err());
        assert!(topic("t.{event}", &[b'a'; 248]).is_err());
        assert!(topic("t{event}", &[b'a'; 248]).is_ok());
    }

    #[test]
    fn templates_are_checked_at_start() {
        assert!(check_template("sse.{event}").is_ok());
        assert!(check_template("a_b-c.D9").is_ok());
        let err = check_template("my topic").unwrap_err().to_string();
        assert!(err.contains("\"my topic\""), "{err}");
        assert!(check_template("a/{event}").is_err());
        assert!(check_template("..").is_err());
        assert!(check_template(&"a".repeat(250)).is_err());
    }

    #[test]
    fn key_none_id_and_event() {
        let e = ev(b"", b"42", b"{}");
        assert_eq!(key(&KeySpec::None, &e), None);
        assert_eq!(key(&KeySpec::Id, &e).as_deref(), Some(&b"42"[..]));
        assert_eq!(key(&KeySpec::Event, &e).as_deref(), Some(&b"message"[..]));
        let e = ev(b"edit", b"", b"{}");
        assert_eq!(key(&KeySpec::Id, &e), None);
        assert_eq!(key(&KeySpec::Event, &e).as_deref(), Some(&b"edit"[..]));
    }

    #[test]
    fn key_pointer_takes_strings_bare_and_other_values_as_json() {
        let data = br#"{"meta":{"domain":"en.wikipedia.org","n":7,"o":{"a":[1, 2]}},"z":null}"#;
        let e = ev(b"", b"", data);
        let k = |p: &str| key(&KeySpec::Pointer(p.into()), &e).map(|k| k.into_owned());
        assert_eq!(k("/meta/domain").as_deref(), Some(&b"en.wikipedia.org"[..]));
        assert_eq!(k("/meta/n").as_deref(), Some(&b"7"[..]));
        assert_eq!(k("/meta/o").as_deref(), Some(&br#"{"a":[1,2]}"#[..]));
        assert_eq!(k("/z").as_deref(), Some(&b"null"[..]));
        assert_eq!(k("/missing"), None);
        let not_json = ev(b"", b"", b"hello");
        assert_eq!(key(&KeySpec::Pointer("/a".into()), &not_json), None);
    }
}
