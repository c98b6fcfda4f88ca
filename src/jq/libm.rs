//! jq's math builtins from the C library, as jq calls them: jaq's come
//! from a Rust port of musl's, whose last digit sometimes differs from
//! glibc's (`cbrt`, `tgamma`, `lgamma`, `exp10`…). With glibc only;
//! elsewhere jaq's stay. These natives come first, so they stand in for
//! jaq's of the same name.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub use linux::funs;

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn funs<D: for<'a> jaq_core::DataT<V<'a> = jaq_json::Val>>()
-> impl Iterator<Item = jaq_core::native::Fun<D>> {
    std::iter::empty()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod linux {
    use jaq_core::native::{Filter, Fun, bome, run, v};
    use jaq_core::{DataT, RunPtr};
    use jaq_json::Val;
    use std::ffi::c_int;

    // The C library's functions of numbers: no pointers, no state.
    unsafe extern "C" {
        safe fn acos(x: f64) -> f64;
        safe fn acosh(x: f64) -> f64;
        safe fn asin(x: f64) -> f64;
        safe fn asinh(x: f64) -> f64;
        safe fn atan(x: f64) -> f64;
        safe fn atanh(x: f64) -> f64;
        // Rust's runtime brings a `cbrt` of its own, which the linker
        // takes first; glibc's is also `cbrtf64`.
        #[link_name = "cbrtf64"]
        safe fn cbrt(x: f64) -> f64;
        safe fn cos(x: f64) -> f64;
        safe fn cosh(x: f64) -> f64;
        safe fn erf(x: f64) -> f64;
        safe fn erfc(x: f64) -> f64;
        safe fn exp(x: f64) -> f64;
        safe fn exp10(x: f64) -> f64;
        safe fn exp2(x: f64) -> f64;
        safe fn expm1(x: f64) -> f64;
        safe fn j0(x: f64) -> f64;
        safe fn j1(x: f64) -> f64;
        // Not `lgamma`, which also sets the global `signgam` (a data race
        // should two threads call it): the sign goes where it is told.
        fn lgamma_r(x: f64, sign: *mut c_int) -> f64;
        safe fn log(x: f64) -> f64;
        safe fn log10(x: f64) -> f64;
        safe fn log1p(x: f64) -> f64;
        safe fn log2(x: f64) -> f64;
        safe fn sin(x: f64) -> f64;
        safe fn sinh(x: f64) -> f64;
        safe fn tan(x: f64) -> f64;
        safe fn tanh(x: f64) -> f64;
        safe fn tgamma(x: f64) -> f64;
        safe fn y0(x: f64) -> f64;
        safe fn y1(x: f64) -> f64;
        safe fn atan2(y: f64, x: f64) -> f64;
        safe fn hypot(x: f64, y: f64) -> f64;
        safe fn pow(x: f64, y: f64) -> f64;
        safe fn jn(n: c_int, x: f64) -> f64;
        safe fn yn(n: c_int, x: f64) -> f64;
    }

    /// glibc's `lgamma`, without its write to the global `signgam`.
    fn lgamma(x: f64) -> f64 {
        let mut sign: c_int = 0;
        // SAFETY: `sign` is a live c_int, which lgamma_r writes.
        unsafe { lgamma_r(x, &mut sign) }
    }

    type Error = jaq_core::Error<Val>;

    fn num(v: &Val) -> Result<f64, Error> {
        use jaq_std::ValT as _;
        match v {
            Val::Num(_) => v
                .as_f64()
                .ok_or_else(|| Error::str(format_args!("{v} number required"))),
            _ => Err(Error::str(format_args!("{v} number required"))),
        }
    }

    fn order(v: &Val) -> Result<c_int, Error> {
        let f = num(v)?;
        if f.is_finite() && f.abs() <= f64::from(c_int::MAX) {
            Ok(f as c_int)
        } else {
            Err(Error::str(format_args!("{v} is not a valid order")))
        }
    }

    macro_rules! f_f {
        ($name:ident) => {
            (stringify!($name), v(0), |cv| {
                bome(num(&cv.1).map(|x| Val::from($name(x))))
            })
        };
    }

    macro_rules! ff_f {
        ($name:ident) => {
            (stringify!($name), v(2), |mut cv| {
                let b = cv.0.pop_var();
                let a = cv.0.pop_var();
                bome(num(&a).and_then(|a| Ok(Val::from($name(a, num(&b)?)))))
            })
        };
    }

    macro_rules! if_f {
        ($name:ident) => {
            (stringify!($name), v(2), |mut cv| {
                let x = cv.0.pop_var();
                let n = cv.0.pop_var();
                bome(order(&n).and_then(|n| Ok(Val::from($name(n, num(&x)?)))))
            })
        };
    }

    pub fn funs<D: for<'a> DataT<V<'a> = Val>>() -> impl Iterator<Item = Fun<D>> {
        natives().into_vec().into_iter().map(run)
    }

    fn natives<D: for<'a> DataT<V<'a> = Val>>() -> Box<[Filter<RunPtr<D>>]> {
        Box::new([
            f_f!(acos),
            f_f!(acosh),
            f_f!(asin),
            f_f!(asinh),
            f_f!(atan),
            f_f!(atanh),
            f_f!(cbrt),
            f_f!(cos),
            f_f!(cosh),
            f_f!(erf),
            f_f!(erfc),
            f_f!(exp),
            f_f!(exp10),
            f_f!(exp2),
            f_f!(expm1),
            f_f!(j0),
            f_f!(j1),
            f_f!(lgamma),
            f_f!(log),
            f_f!(log10),
            f_f!(log1p),
            f_f!(log2),
            f_f!(sin),
            f_f!(sinh),
            f_f!(tan),
            f_f!(tanh),
            f_f!(tgamma),
            f_f!(y0),
            f_f!(y1),
            ff_f!(atan2),
            ff_f!(hypot),
            ff_f!(pow),
            if_f!(jn),
            if_f!(yn),
        ])
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn lgamma_is_glibcs_from_any_thread() {
            // ln Γ(1/2) = ln √π, ln |Γ(-1/2)| = ln 2√π; Γ(1) = Γ(2) = 1.
            let half = std::f64::consts::PI.sqrt().ln();
            let each = || {
                for _ in 0..1000 {
                    assert!((super::lgamma(0.5) - half).abs() < 1e-15);
                    assert!((super::lgamma(-0.5) - (half + 2f64.ln())).abs() < 1e-15);
                    assert_eq!((super::lgamma(1.0), super::lgamma(2.0)), (0.0, 0.0));
                }
            };
            std::thread::scope(|s| {
                s.spawn(each);
                each();
            });
        }
    }
}
