//! `*`, `/` and `%` as jq 1.6 computes them, where jaq's operators differ
//! or cannot be trusted with a number the stream chose: a string times a
//! number repeats it as jq does (`"ab" * 2.5` is `"abab"`, a count below
//! one is null) and fails past jq's longest string instead of asking for
//! more memory than there is (jaq's repeat aborts the process); `/` fails
//! on a zero divisor; `%` takes both sides as integers.

use super::funs::{Error, ValR, named};
use jaq_json::Val;

/// The longest string jq can hold (its length is kept in 31 bits); a
/// repeat that would pass it fails, as in jq 1.7.
const MAX_REPEAT: usize = i32::MAX as usize;

/// `l * r`: a string times a number (either side) is repeated as jq 1.6
/// does it; numbers and objects (a deep merge) are jaq's; other kinds
/// fail in jq's words.
pub(super) fn multiply(l: Val, r: Val) -> ValR {
    match (&l, &r) {
        (s @ (Val::TStr(_) | Val::BStr(_)), n @ Val::Num(_))
        | (n @ Val::Num(_), s @ (Val::TStr(_) | Val::BStr(_))) => repeat(s, count(n)),
        (Val::Num(_), Val::Num(_)) | (Val::Obj(_), Val::Obj(_)) => l * r,
        _ => Err(Error::str(format_args!(
            "{} and {} cannot be multiplied",
            named(&l),
            named(&r)
        ))),
    }
}

/// How many times jq 1.6 writes a string multiplied by `n`: it appends
/// `(int)(n - 1)` copies to the first, so the count is cut toward zero
/// after taking one away; a number outside `int` (or NaN) becomes
/// `INT_MIN` there, so no copies (null). None is null.
fn count(n: &Val) -> Option<usize> {
    use jaq_std::ValT as _;
    let m = n.as_f64().unwrap_or(f64::NAN) - 1.0;
    if !(m > f64::from(i32::MIN) - 1.0 && m < f64::from(i32::MAX) + 1.0) {
        return None;
    }
    let extra = m.trunc();
    (extra >= 0.0).then(|| extra as usize + 1)
}

fn repeat(s: &Val, count: Option<usize>) -> ValR {
    let Some(count) = count else {
        return Ok(Val::Null);
    };
    let (Val::TStr(b) | Val::BStr(b)) = s else {
        return Ok(Val::Null);
    };
    match b.len().checked_mul(count) {
        Some(len) if len <= MAX_REPEAT => Ok(match s {
            Val::BStr(_) => Val::byte_str(b.repeat(count)),
            _ => Val::utf8_str(b.repeat(count)),
        }),
        _ => Err(Error::str("Repeat string result too long")),
    }
}

fn zero_divisor(l: &Val, r: &Val) -> Error {
    Error::str(format_args!(
        "{} and {} cannot be divided because the divisor is zero",
        named(l),
        named(r)
    ))
}

/// `l / r`: jq fails on a zero divisor (jaq gives infinity).
pub(super) fn divide(l: Val, r: Val) -> ValR {
    use jaq_std::ValT as _;
    if let (Val::Num(_), Val::Num(_)) = (&l, &r)
        && r.as_f64() == Some(0.0)
    {
        return Err(zero_divisor(&l, &r));
    }
    l / r
}

/// `l % r`: jq takes both as integers (cut toward zero) and fails on a
/// zero divisor.
pub(super) fn modulo(l: Val, r: Val) -> ValR {
    use jaq_std::ValT as _;
    let (Val::Num(_), Val::Num(_)) = (&l, &r) else {
        return l % r;
    };
    let int = |v: &Val| v.as_f64().map(|f| f as i64).unwrap_or(0);
    let (a, b) = (int(&l), int(&r));
    if b == 0 {
        return Err(zero_divisor(&l, &r));
    }
    Ok(Val::from(a.checked_rem(b).unwrap_or(0) as isize))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(f: f64) -> Val {
        Val::from(f)
    }

    #[test]
    fn a_string_is_repeated_as_jq_1_6_counts() {
        for (n, want) in [
            (3.0, Some(3)),
            (2.5, Some(2)),
            (1.0000001, Some(1)),
            (0.5, Some(1)),
            (0.0, None),
            (-0.5, None),
            (-3.0, None),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (2147483648.0, Some(2147483648)),
            (2147483649.0, None),
            (1e18, None),
        ] {
            assert_eq!(count(&num(n)), want, "{n}");
        }
        assert_eq!(count(&Val::from(i64::MAX as isize)), None);
    }

    #[test]
    fn a_repeat_past_jqs_longest_string_fails_without_asking_for_it() {
        let ab = Val::utf8_str(b"ab".to_vec());
        let long = multiply(ab.clone(), num(2147483648.0));
        assert!(format!("{:?}", long.err()).contains("too long"));
        let edge = multiply(Val::utf8_str(Vec::new()), num(2147483648.0));
        assert_eq!(edge.ok(), Some(Val::utf8_str(Vec::new())));
        assert_eq!(
            multiply(num(2.0), ab.clone()).ok(),
            Some(Val::utf8_str(b"abab".to_vec()))
        );
        let bytes = multiply(Val::byte_str(b"\xff".to_vec()), num(2.0));
        assert_eq!(bytes.ok(), Some(Val::byte_str(b"\xff\xff".to_vec())));
    }

    #[test]
    fn other_kinds_are_jaqs_or_fail_in_jqs_words() {
        assert_eq!(multiply(num(1.5), num(2.0)).ok(), Some(num(3.0)));
        let err = multiply(Val::Null, Val::utf8_str(b"ab".to_vec())).err();
        assert!(
            format!("{err:?}").contains("null (null) and string"),
            "{err:?}"
        );
    }
}
