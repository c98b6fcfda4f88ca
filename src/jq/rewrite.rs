//! The program's syntax made to run as jq runs it, where jaq's core does
//! otherwise: each interpolation (`"\(x)"`) written by `@text` (jq's
//! spelling of numbers), the assignments `=`, `|=`, `op=`, `//=` over
//! `setpath` as jq defines them, an operator over two streams in jq's
//! order, integer literals past 64 bits doubles, and `*`, `/`, `%` as jq
//! computes them (`defs.jq`, `arith.rs`).

use jaq_core::load::parse::{BinaryOp, Pattern, Term};
use jaq_core::path::Part;

/// Rewrite `t` as jq means it (see above); every string with interpolation
/// becomes a `@text` string: jaq writes the values it interpolates itself
/// (`1.0`, `-0.0`), `@text` as jq does.
pub(super) fn as_jq(t: &mut Term<&str>) {
    use jaq_core::load::lex::StrPart as Part_;
    match t {
        // jaq reads an integer literal past 64 bits as a big integer; jq
        // as a double (`doubles.rs`).
        Term::Num(n) if n.bytes().all(|b| b.is_ascii_digit()) && n.parse::<i64>().is_err() => {
            let lit = std::mem::replace(t, Term::Id);
            *t = Term::BinOp(
                Box::new(lit),
                BinaryOp::Pipe(None),
                Box::new(Term::Call("_ssetap_doubles", Vec::new())),
            );
        }
        Term::Id | Term::Recurse | Term::Num(_) | Term::Break(_) | Term::Var(_) => {}
        Term::Str(fmt, parts) => {
            let mut any = false;
            for part in parts.iter_mut() {
                if let Part_::Term(inner) = part {
                    any = true;
                    as_jq(inner);
                }
            }
            if any && fmt.is_none() {
                *fmt = Some("@text");
            }
        }
        Term::Arr(inner) => inner.iter_mut().for_each(|i| as_jq(i)),
        Term::Obj(entries) => {
            for (k, v) in entries {
                as_jq(k);
                v.iter_mut().for_each(as_jq);
            }
        }
        Term::Neg(inner) | Term::Label(_, inner) => as_jq(inner),
        Term::BinOp(l, op, r) => {
            if let BinaryOp::Pipe(Some(p)) = op {
                in_pattern(p);
            }
            as_jq(l);
            as_jq(r);
            if let Some(call) = assignment(l, op, r) {
                *t = call;
            } else if let Some(op) = operation(l, op, r) {
                *t = op;
            }
        }
        Term::Fold(_, xs, p, args) => {
            as_jq(xs);
            in_pattern(p);
            args.iter_mut().for_each(as_jq);
        }
        Term::TryCatch(body, catch) => {
            as_jq(body);
            catch.iter_mut().for_each(|c| as_jq(c));
        }
        Term::IfThenElse(branches, otherwise) => {
            for (cond, then) in branches {
                as_jq(cond);
                as_jq(then);
            }
            otherwise.iter_mut().for_each(|o| as_jq(o));
        }
        Term::Def(defs, rest) => {
            defs.iter_mut().for_each(|d| as_jq(&mut d.body));
            as_jq(rest);
        }
        Term::Call(_, args) => args.iter_mut().for_each(as_jq),
        Term::Path(base, path) => {
            as_jq(base);
            for (part, _) in &mut path.0 {
                match part {
                    Part::Index(i) => as_jq(i),
                    Part::Range(from, to) => {
                        from.iter_mut().for_each(as_jq);
                        to.iter_mut().for_each(as_jq);
                    }
                }
            }
        }
    }
}

/// `l = r`, `l |= r`, `l op= r` and `l //= r` as jq defines them, over
/// `setpath` (`defs.jq`): jaq's own cannot make `.a.b` in null or grow an
/// array. `l op= r` is `r as $x | l |= . op $x`.
fn assignment<'s>(
    l: &mut Term<&'s str>,
    op: &BinaryOp<&'s str>,
    r: &mut Term<&'s str>,
) -> Option<Term<&'s str>> {
    let update_op = match op {
        BinaryOp::Assign | BinaryOp::Update => None,
        BinaryOp::UpdateMath(m) => Some(BinaryOp::Math(*m)),
        BinaryOp::UpdateAlt => Some(BinaryOp::Alt),
        _ => return None,
    };
    let (l, r) = (std::mem::take(l), std::mem::take(r));
    Some(match (op, update_op) {
        (BinaryOp::Assign, _) => Term::Call("_ssetap_assign", vec![l, r]),
        (_, None) => Term::Call("_ssetap_modify", vec![l, r]),
        (_, Some(f)) => {
            let x = "$__ssetap_rhs";
            let (mut id, mut var) = (Term::Id, Term::Var(x));
            let update = operation(&mut id, &f, &mut var)
                .unwrap_or_else(|| Term::BinOp(Box::new(id), f, Box::new(var)));
            let modify = Term::Call("_ssetap_modify", vec![l, update]);
            let bind = BinaryOp::Pipe(Some(Pattern::Var(x)));
            Term::BinOp(Box::new(r), bind, Box::new(modify))
        }
    })
}

/// An arithmetic or comparing operation as jq evaluates it: the right side
/// first, each of its outputs with every output of the left (jaq varies
/// the right side fastest); `*`, `/` and `%` as jq computes them.
fn operation<'s>(
    l: &mut Term<&'s str>,
    op: &BinaryOp<&'s str>,
    r: &mut Term<&'s str>,
) -> Option<Term<&'s str>> {
    use jaq_core::ops::Math;
    let special = match op {
        BinaryOp::Math(Math::Mul) => Some("_ssetap_mul"),
        BinaryOp::Math(Math::Div) => Some("_ssetap_div"),
        BinaryOp::Math(Math::Rem) => Some("_ssetap_mod"),
        BinaryOp::Math(_) | BinaryOp::Cmp(_) => None,
        _ => return None,
    };
    let in_order = single(l) || single(r);
    if in_order && special.is_none() {
        // One side gives one output: jaq's order is jq's.
        return None;
    }
    let (l, r) = (std::mem::take(l), std::mem::take(r));
    if in_order && let Some(name) = special {
        return Some(Term::Call(name, vec![l, r]));
    }
    let (lv, rv) = ("$__ssetap_l", "$__ssetap_r");
    let apply = match special {
        Some(name) => Term::Call(name, vec![Term::Var(lv), Term::Var(rv)]),
        None => Term::BinOp(Box::new(Term::Var(lv)), op.clone(), Box::new(Term::Var(rv))),
    };
    let inner = Term::BinOp(
        Box::new(l),
        BinaryOp::Pipe(Some(Pattern::Var(lv))),
        Box::new(apply),
    );
    Some(Term::BinOp(
        Box::new(r),
        BinaryOp::Pipe(Some(Pattern::Var(rv))),
        Box::new(inner),
    ))
}

/// Whether `t` surely gives at most one output (false when unsure).
fn single(t: &Term<&str>) -> bool {
    use jaq_core::load::lex::StrPart as Part_;
    match t {
        Term::Id | Term::Num(_) | Term::Var(_) | Term::Arr(_) => true,
        Term::Str(_, parts) => parts.iter().all(|p| match p {
            Part_::Term(t) => single(t),
            _ => true,
        }),
        Term::Neg(t) => single(t),
        Term::Obj(entries) => entries
            .iter()
            .all(|(k, v)| single(k) && v.as_ref().is_none_or(single)),
        Term::Path(base, path) => {
            single(base)
                && path.0.iter().all(|(part, _)| match part {
                    Part::Index(i) => single(i),
                    Part::Range(None, None) => false,
                    Part::Range(from, to) => {
                        from.as_ref().is_none_or(single) && to.as_ref().is_none_or(single)
                    }
                })
        }
        Term::BinOp(l, op, r) => {
            !matches!(op, BinaryOp::Comma | BinaryOp::Pipe(Some(_))) && single(l) && single(r)
        }
        Term::Call(name, args) => {
            args.is_empty()
                && matches!(
                    *name,
                    "length"
                        | "tostring"
                        | "tonumber"
                        | "type"
                        | "keys"
                        | "not"
                        | "tojson"
                        | "ascii_downcase"
                        | "ascii_upcase"
                        | "floor"
                        | "ceil"
                        | "round"
                        | "utf8bytelength"
                        | "add"
                        | "sort"
                        | "reverse"
                        | "now"
                )
        }
        _ => false,
    }
}

fn in_pattern(p: &mut Pattern<&str>) {
    match p {
        Pattern::Var(_) => {}
        Pattern::Arr(ps) => ps.iter_mut().for_each(in_pattern),
        Pattern::Obj(entries) => {
            for (k, v) in entries {
                as_jq(k);
                in_pattern(v);
            }
        }
    }
}
