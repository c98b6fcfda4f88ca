//! Numbers past what ssetap keeps exact, as jq 1.6 holds them: doubles.
//! jaq makes an integer too large for 64 bits a big integer (a literal,
//! `tonumber`, `fromjson`, and `floor`/`ceil`/`round` of a large double),
//! which it writes in full (`1e300 | floor` was 301 digits); jq has only
//! doubles, and writes those with 17 significant digits (`1e+300`). The
//! README promises exact integers up to 2^63 and doubles past that.

use jaq_json::{Num, Val};

/// A big integer (past 64 bits) as the nearest double: its decimal digits
/// read as one, which rounds correctly (no dependency on num-traits).
pub(super) fn big_to_f64(digits: &impl std::fmt::Display) -> f64 {
    digits.to_string().parse::<f64>().unwrap_or(f64::NAN)
}

/// `v` with every big integer in it a double; what has none is returned as
/// it is (no copy).
pub(super) fn doubles(v: Val) -> Val {
    if !has_big(&v) {
        return v;
    }
    match v {
        Val::Num(Num::BigInt(i)) => Val::from(big_to_f64(&i)),
        Val::Arr(a) => Val::Arr(std::rc::Rc::new(a.iter().cloned().map(doubles).collect())),
        Val::Obj(o) => Val::obj(
            o.iter()
                .map(|(k, x)| (k.clone(), doubles(x.clone())))
                .collect(),
        ),
        other => other,
    }
}

/// Whether `v` holds a big integer anywhere. (Its depth is bounded:
/// `fromjson` takes at most 256 levels.)
fn has_big(v: &Val) -> bool {
    match v {
        Val::Num(Num::BigInt(_)) => true,
        Val::Arr(a) => a.iter().any(has_big),
        Val::Obj(o) => o.values().any(has_big),
        _ => false,
    }
}

/// 2^53: from here on not every integer is a double, and jq writes an
/// integral double with 17 significant digits (`1e+16`), not in full.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// `floor`, `ceil` and `round` (`f`) as jq 1.6 computes them: of a double,
/// a double. It is kept an integer where that is the same number written
/// the same way (below 2^53 in magnitude, and not -0), since jaq indexes
/// and counts (`.[x | floor]`, `limit`) only with integers.
pub(super) fn integral(v: &Val, f: fn(f64) -> f64) -> Result<Val, Val> {
    let x = match v {
        Val::Num(Num::Int(_) | Num::BigInt(_)) => return Ok(v.clone()),
        Val::Num(Num::Float(f)) => *f,
        Val::Num(Num::Dec(d)) => d.parse::<f64>().unwrap_or(f64::NAN),
        _ => return Err(v.clone()),
    };
    let r = f(x);
    // In range, `r as isize` is exact: r is integral and below 2^53.
    if r.abs() < EXACT && !(r == 0.0 && r.is_sign_negative()) {
        Ok(Val::from(r as isize))
    } else {
        Ok(Val::from(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(v: &Val) -> String {
        let mut out = Vec::new();
        super::super::write::write_json(v, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn floor_ceil_round_of_large_doubles_stay_doubles() {
        let floor = |x: f64| written(&integral(&Val::from(x), f64::floor).unwrap_or(Val::Null));
        assert_eq!(floor(1e300), "1e+300");
        assert_eq!(floor(1e19), "1e+19");
        assert_eq!(floor(-1e19), "-1e+19");
        assert_eq!(floor(9.3e18), "9.3e+18");
        assert_eq!(floor(1e16), "1e+16");
        assert_eq!(floor(4.5e15 + 0.5), "4500000000000000");
        assert_eq!(floor(2.5), "2");
        assert_eq!(floor(-0.5), "-1");
        // -0 stays -0, as jq writes it.
        let ceil = written(&integral(&Val::from(-0.5), f64::ceil).unwrap_or(Val::Null));
        assert_eq!(ceil, "-0");
        // Below 2^53 it is an integer, which jaq can index with.
        assert!(matches!(
            integral(&Val::from(3.7), f64::floor),
            Ok(Val::Num(Num::Int(3)))
        ));
        assert!(integral(&Val::Null, f64::floor).is_err());
    }

    #[test]
    fn big_integers_become_doubles_deep_inside() {
        let parsed = jaq_json::read::parse_single(
            br#"[12345678901234567890,{"a":1e2,"b":100000000000000000000}]"#,
        )
        .unwrap_or(Val::Null);
        assert!(has_big(&parsed));
        let v = doubles(parsed);
        assert!(!has_big(&v));
        assert_eq!(written(&v), r#"[12345678901234567000,{"a":100,"b":1e+20}]"#);
    }
}
