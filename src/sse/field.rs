//! field: what a complete line's field is, and the small checks on its
//! value (an ID's NUL, `retry`'s digits) that `line` and `partial` share.

use memchr::memchr;

/// The longest known field name (`retry`); a longer one is an unknown field.
pub(super) const NAME_CAP: usize = 5;

/// What a line's field name selects (`Comment`: the line starts with a colon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Data,
    Event,
    Id,
    Retry,
    Comment,
    Unknown,
}

impl Field {
    pub(super) fn from_name(name: &[u8]) -> Field {
        match name {
            b"data" => Field::Data,
            b"event" => Field::Event,
            b"id" => Field::Id,
            b"retry" => Field::Retry,
            _ => Field::Unknown,
        }
    }
}

/// The field of a non-empty line and its value (before the one leading
/// space is stripped): the line split at its first colon, or all name and
/// an empty value when it has none. The known names are checked first, so
/// the usual line costs no search through its value.
#[inline]
pub(super) fn split_field(line: &[u8]) -> (Field, &[u8]) {
    const KNOWN: [(&[u8], Field); 5] = [
        (b"data:", Field::Data),
        (b"id:", Field::Id),
        (b"event:", Field::Event),
        (b"retry:", Field::Retry),
        (b":", Field::Comment),
    ];
    for (prefix, field) in KNOWN {
        if let Some(value) = line.strip_prefix(prefix) {
            return (field, value);
        }
    }
    match memchr(b':', line) {
        None => (Field::from_name(line), &line[line.len()..]),
        Some(colon) => (Field::from_name(&line[..colon]), &line[colon + 1..]),
    }
}

/// Whether `value` holds a NUL. An ID is usually short (a counter, a
/// timestamp): a plain loop over it costs less than `memchr`'s call.
#[inline]
pub(super) fn has_nul(value: &[u8]) -> bool {
    if value.len() <= 16 {
        value.iter().fold(false, |nul, &b| nul | (b == 0))
    } else {
        memchr(0, value).is_some()
    }
}

/// Fold ASCII digits into a saturating millisecond count; `None` once a
/// non-digit is seen.
pub(super) fn retry_digits(acc: Option<u64>, digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(acc?, |ms, &d| {
        d.is_ascii_digit()
            .then(|| ms.saturating_mul(10).saturating_add(u64::from(d - b'0')))
    })
}
