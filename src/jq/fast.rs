//! The fast path of `--jq`: a small evaluator for the programs people run
//! on event streams (paths with literal keys and `[]`, literals, `|`, `,`,
//! `select`, `if`, `and`/`or`/`not`, `//`, comparisons, `+ - *`, object
//! and array construction, string interpolation,
//! `@csv`/`@tsv`/`@json`/`@text`/`tojson`/`tostring`), tried
//! before jaq on each event. jaq stays the reference: what this evaluator
//! gives is what jaq gives, or nothing at all.
//!
//! A program with anything else (a definition, a variable, `?`, `try`,
//! `reduce`, `..`, slices, any other call or format) gets no fast
//! evaluator. At run time, any error or surprise is a bail-out: the
//! outputs so far are dropped and jaq runs the event from scratch (these
//! programs have no side effects), so jaq's outputs and error messages are
//! what users see. The operations on values are jaq's own (`ValT::index`
//! and `values`, `as_bool`, `Cmp::run`, `Math::run`, `Neg`) or ssetap's
//! natives (`funs.rs`, and `arith.rs` for `*`); the order of outputs is
//! jaq's (`l, r`: left first; `l op r`, `{k: l, j: r}`: for each output
//! of the left side, each of the right). Outputs are passed on by
//! reference to a callback, so nothing
//! is allocated but the values the program makes.

use super::{arith, funs};
use jaq_core::ValT;
use jaq_core::load::lex::StrPart;
use jaq_core::load::parse::{BinaryOp, Term};
use jaq_core::load::{Lexer, Parser};
use jaq_core::ops::{Cmp, Math};
use jaq_core::path::{Opt, Part};
use jaq_json::{Map, Val};
use std::rc::Rc;

/// A program the fast evaluator can run.
pub struct Fast {
    root: Node,
}

/// A step of the program; the comments give the jq it stands for.
enum Node {
    /// `.`
    Id,
    /// A literal (also `true`, `false`, `null`, `[]`, `{}`).
    Const(Val),
    /// `empty`
    Empty,
    /// `f.k1[]…` with literal keys or indices, and `[]`.
    Path(Box<Node>, Box<[Step]>),
    /// `f | g`
    Pipe(Box<Node>, Box<Node>),
    /// `f, g`
    Comma(Box<Node>, Box<Node>),
    /// `f // g`
    Alt(Box<Node>, Box<Node>),
    /// `f or g` (true: the value that stops), `f and g` (false).
    Logic(Box<Node>, bool, Box<Node>),
    Cmp(Box<Node>, Cmp, Box<Node>),
    Math(Box<Node>, Math, Box<Node>),
    /// `-f`
    Neg(Box<Node>),
    /// `if c then t else e end` (`select(f)` is `if f then . else empty`,
    /// `not` is `if . then false else true`, as jaq defines them).
    If(Box<Node>, Box<Node>, Box<Node>),
    /// `[f]`
    Arr(Box<Node>),
    /// `{k: f, …}` with literal string keys.
    Obj(Box<[(Val, Node)]>),
    /// A native of `funs.rs` (`@csv`, `@tsv`, `tojson`/`@json`,
    /// `tostring`/`@text`).
    Native(fn(&Val) -> Result<Val, Bail>),
}

/// A step of a path.
enum Step {
    /// `.[k]`
    Key(Val),
    /// `.[]`
    Each,
}

/// Not handled here: jaq runs the event.
#[derive(Debug)]
pub struct Bail;

type Res = Result<(), Bail>;
type Out<'o> = &'o mut dyn FnMut(&Val) -> Res;

/// How deeply the program's terms may nest: deeper programs run on jaq
/// (building and running the evaluator recurses once per level).
const MAX_DEPTH: usize = 100;
/// The most entries an object construction may have here.
const MAX_ENTRIES: usize = 32;

impl Fast {
    /// The fast evaluator for `text`, when all of it is in the subset
    /// (parsed and rewritten as `compile` does for jaq).
    pub fn new(text: &str) -> Option<Fast> {
        // `$__loc__` is a variable: no fast evaluator either way.
        let tokens = Lexer::new(text).lex().ok()?;
        let mut term = Parser::new(&tokens).parse(|p| p.term()).ok()?;
        super::rewrite::as_jq(&mut term);
        if too_deep(&term, MAX_DEPTH) {
            return None;
        }
        Some(Fast { root: node(&term)? })
    }

    /// Run on `input`, appending the outputs to `outs`; on a bail-out
    /// `outs` is left as it was.
    pub fn run(&self, input: &Val, outs: &mut Vec<Val>) -> Res {
        let start = outs.len();
        let done = eval(&self.root, input, &mut |v| {
            outs.push(v.clone());
            Ok(())
        });
        if done.is_err() {
            outs.truncate(start);
        }
        done
    }
}

/// Whether `t` nests deeper than `budget` (looking no deeper than that).
fn too_deep(t: &Term<&str>, budget: usize) -> bool {
    let Some(b) = budget.checked_sub(1) else {
        return true;
    };
    let deep = |t: &Term<&str>| too_deep(t, b);
    match t {
        Term::Arr(Some(f)) | Term::Neg(f) => deep(f),
        Term::Str(_, parts) => parts
            .iter()
            .any(|p| matches!(p, StrPart::Term(f) if deep(f))),
        Term::Obj(entries) => entries
            .iter()
            .any(|(k, v)| deep(k) || v.as_ref().is_some_and(deep)),
        Term::BinOp(l, _, r) => deep(l) || deep(r),
        Term::IfThenElse(branches, otherwise) => {
            branches.iter().any(|(c, t)| deep(c) || deep(t))
                || otherwise.as_deref().is_some_and(deep)
        }
        Term::Call(_, args) => args.iter().any(deep),
        Term::Path(base, path) => {
            deep(base)
                || path
                    .0
                    .iter()
                    .any(|(p, _)| matches!(p, Part::Index(i) if deep(i)))
        }
        // Nothing else is in the subset.
        _ => false,
    }
}

fn node(t: &Term<&str>) -> Option<Node> {
    let sub = |t: &Term<&str>| node(t).map(Box::new);
    Some(match t {
        Term::Id => Node::Id,
        Term::Num(n) => Node::Const(match n.parse::<isize>() {
            Ok(i) => Val::from(i),
            // Past 64 bits a double, as jaq's path has it (`doubles.rs`).
            Err(_) => super::doubles::doubles(Val::from_num(n).ok()?),
        }),
        Term::Str(fmt, parts) => string(*fmt, parts)?,
        Term::Arr(None) => Node::Const(Val::from_iter(std::iter::empty())),
        Term::Arr(Some(f)) => Node::Arr(sub(f)?),
        Term::Obj(entries) => object(entries)?,
        Term::Neg(f) => match *sub(f)? {
            Node::Const(c) => Node::Const((-c).ok()?),
            f => Node::Neg(Box::new(f)),
        },
        Term::BinOp(l, op, r) => {
            let (l, r) = (sub(l)?, sub(r)?);
            match op {
                BinaryOp::Pipe(None) => Node::Pipe(l, r),
                BinaryOp::Comma => Node::Comma(l, r),
                BinaryOp::Alt => Node::Alt(l, r),
                BinaryOp::Or => Node::Logic(l, true, r),
                BinaryOp::And => Node::Logic(l, false, r),
                BinaryOp::Cmp(c) => Node::Cmp(l, *c, r),
                BinaryOp::Math(m @ (Math::Add | Math::Sub | Math::Mul)) => Node::Math(l, *m, r),
                _ => return None,
            }
        }
        Term::IfThenElse(branches, otherwise) => {
            let mut acc = match otherwise {
                Some(e) => sub(e)?,
                None => Box::new(Node::Id),
            };
            for (c, then) in branches.iter().rev() {
                acc = Box::new(Node::If(sub(c)?, sub(then)?, acc));
            }
            *acc
        }
        Term::Call(name, args) => call(name, args)?,
        Term::Path(base, path) if path.0.len() <= MAX_DEPTH => {
            let mut steps = Vec::with_capacity(path.0.len());
            for (part, opt) in &path.0 {
                match (part, opt) {
                    (Part::Index(i), Opt::Essential) => steps.push(Step::Key(constant(i)?)),
                    (Part::Range(None, None), Opt::Essential) => steps.push(Step::Each),
                    _ => return None,
                }
            }
            Node::Path(sub(base)?, steps.into())
        }
        _ => return None,
    })
}

/// A call to one of jaq's or ssetap's definitions or natives, which are
/// the ones called: the program defines nothing (a `def` gets no fast
/// evaluator). `proptests` checks that these are still their
/// definitions.
fn call(name: &str, args: &[Term<&str>]) -> Option<Node> {
    let native = |f| Some(Node::Native(f));
    match (name, args) {
        ("select", [f]) => Some(Node::If(
            Box::new(node(f)?),
            Box::new(Node::Id),
            Box::new(Node::Empty),
        )),
        ("_ssetap_mul", [l, r]) => Some(Node::Math(
            Box::new(node(l)?),
            Math::Mul,
            Box::new(node(r)?),
        )),
        ("empty", []) => Some(Node::Empty),
        ("not", []) => Some(Node::If(
            Box::new(Node::Id),
            Box::new(Node::Const(Val::Bool(false))),
            Box::new(Node::Const(Val::Bool(true))),
        )),
        ("true", []) => Some(Node::Const(Val::Bool(true))),
        ("false", []) => Some(Node::Const(Val::Bool(false))),
        ("null", []) => Some(Node::Const(Val::Null)),
        ("@csv", []) => native(|v| funs::csv(v).map_err(|_| Bail)),
        ("@tsv", []) => native(|v| funs::tsv(v).map_err(|_| Bail)),
        ("tojson" | "@json", []) => native(|v| Ok(funs::tojson(v))),
        ("tostring" | "@text", []) => native(|v| Ok(funs::tostring(v))),
        _ => None,
    }
}

/// The value of a term that is a literal (a key or an index).
fn constant(t: &Term<&str>) -> Option<Val> {
    match node(t)? {
        Node::Const(c) => Some(c),
        _ => None,
    }
}

/// A string: its parts joined as jaq joins them (`+`, the first part's
/// outputs varying slowest), each interpolated value written by the
/// format (`@text` when none is named: the rewrite names it), literal
/// parts joined at once.
fn string(fmt: Option<&str>, parts: &[StrPart<&str, Term<&str>>]) -> Option<Node> {
    let mut nodes = Vec::with_capacity(parts.len());
    for part in parts {
        nodes.push(match part {
            StrPart::Str(s) => Node::Const(Val::from(s.to_string())),
            StrPart::Char(c) => Node::Const(Val::from(c.to_string())),
            StrPart::Term(f) => Node::Pipe(Box::new(node(f)?), Box::new(call(fmt?, &[])?)),
        });
    }
    let mut acc = nodes
        .pop()
        .unwrap_or_else(|| Node::Const(Val::from(String::new())));
    while let Some(x) = nodes.pop() {
        acc = match (x, acc) {
            (Node::Const(a), Node::Const(b)) => Node::Const((a + b).ok()?),
            (x, acc) => Node::Math(Box::new(x), Math::Add, Box::new(acc)),
        };
    }
    Some(acc)
}

/// `{k: f, "k": f, k, "k"}` (jaq's `{k}` is `{k: .k}`); the value of
/// `{k1: f1} + {k2: f2} + …` is that of inserting each in turn.
fn object(entries: &[(Term<&str>, Option<Term<&str>>)]) -> Option<Node> {
    if entries.is_empty() {
        return Some(Node::Const(Val::obj(Map::default())));
    }
    if entries.len() > MAX_ENTRIES {
        return None;
    }
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let key = constant(k)?;
        if !matches!(key, Val::TStr(_)) {
            return None;
        }
        let value = match v {
            Some(v) => node(v)?,
            None => Node::Path(Box::new(Node::Id), Box::new([Step::Key(key.clone())])),
        };
        out.push((key, value));
    }
    Some(Node::Obj(out.into()))
}

/// Pass each output of `n` on `v` to `out`, in jaq's order.
fn eval(n: &Node, v: &Val, out: Out<'_>) -> Res {
    match n {
        Node::Id => out(v),
        Node::Const(c) => out(c),
        Node::Empty => Ok(()),
        Node::Path(base, steps) => eval(base, v, &mut |x| walk(x, steps, &mut *out)),
        Node::Pipe(l, r) => eval(l, v, &mut |x| eval(r, x, &mut *out)),
        Node::Comma(l, r) => {
            eval(l, v, &mut *out)?;
            eval(r, v, out)
        }
        Node::Alt(l, r) => {
            // jaq: the truthy outputs of `l`, or else those of `r`.
            let mut any = false;
            eval(l, v, &mut |x| {
                if x.as_bool() {
                    any = true;
                    out(x)
                } else {
                    Ok(())
                }
            })?;
            if any { Ok(()) } else { eval(r, v, out) }
        }
        Node::Logic(l, stop, r) => eval(l, v, &mut |x| {
            if x.as_bool() == *stop {
                out(&Val::Bool(*stop))
            } else {
                eval(r, v, &mut |y| out(&Val::Bool(y.as_bool())))
            }
        }),
        Node::Cmp(l, op, r) => eval(l, v, &mut |x| {
            eval(r, v, &mut |y| out(&Val::Bool(op.run(x, y))))
        }),
        Node::Math(l, op, r) => eval(l, v, &mut |x| {
            eval(r, v, &mut |y| {
                let z = match op {
                    Math::Mul => arith::multiply(x.clone(), y.clone()),
                    _ => op.run(x.clone(), y.clone()),
                };
                out(&z.map_err(|_| Bail)?)
            })
        }),
        Node::Neg(f) => eval(f, v, &mut |x| out(&(-x.clone()).map_err(|_| Bail)?)),
        Node::If(c, then, otherwise) => eval(c, v, &mut |x| {
            eval(if x.as_bool() { then } else { otherwise }, v, &mut *out)
        }),
        Node::Arr(f) => {
            let mut items = Vec::new();
            eval(f, v, &mut |x| {
                items.push(x.clone());
                Ok(())
            })?;
            out(&Val::Arr(Rc::new(items)))
        }
        Node::Obj(entries) => fill(entries, v, None, 0, out),
        Node::Native(f) => out(&f(v)?),
    }
}

/// `x.k1[]…` as jaq's `ValT::index` and `ValT::values` give it, read in
/// place where they only look up (an object's member, null's) or go
/// through (`[]` of an array or object, in its order).
fn walk(at: &Val, steps: &[Step], out: Out<'_>) -> Res {
    let Some((step, rest)) = steps.split_first() else {
        return out(at);
    };
    match (step, at) {
        (Step::Key(k), Val::Obj(o)) => match o.get(k) {
            Some(member) => walk(member, rest, out),
            None => walk(&Val::Null, rest, out),
        },
        (Step::Key(_), Val::Null) => walk(at, rest, out),
        (Step::Key(k), _) => walk(&at.clone().index(k).map_err(|_| Bail)?, rest, out),
        (Step::Each, Val::Arr(a)) => a.iter().try_for_each(|x| walk(x, rest, &mut *out)),
        (Step::Each, Val::Obj(o)) => o.values().try_for_each(|x| walk(x, rest, &mut *out)),
        (Step::Each, _) => Err(Bail),
    }
}

/// The values chosen so far for an object's entries, last first.
struct Chosen<'c> {
    val: &'c Val,
    prev: Option<&'c Chosen<'c>>,
}

/// Each combination of the entries' outputs (the first entry's varying
/// slowest), as an object.
fn fill(
    entries: &[(Val, Node)],
    v: &Val,
    chosen: Option<&Chosen<'_>>,
    depth: usize,
    out: Out<'_>,
) -> Res {
    let Some((_, f)) = entries.get(depth) else {
        let mut vals: [Option<&Val>; MAX_ENTRIES] = [None; MAX_ENTRIES];
        for (i, c) in std::iter::successors(chosen, |c| c.prev).enumerate() {
            vals[depth - 1 - i] = Some(c.val);
        }
        let mut map = Map::with_capacity_and_hasher(entries.len(), Default::default());
        for ((k, _), val) in entries.iter().zip(vals) {
            map.insert(k.clone(), val.ok_or(Bail)?.clone());
        }
        return out(&Val::obj(map));
    };
    eval(f, v, &mut |x| {
        let here = Chosen {
            val: x,
            prev: chosen,
        };
        fill(entries, v, Some(&here), depth + 1, &mut *out)
    })
}

#[cfg(test)]
#[path = "fast_proptests.rs"]
mod proptests;
