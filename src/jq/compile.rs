//! Compiling a `--jq` program: jaq's definitions and natives, then
//! ssetap's (`defs.jq`, `funs.rs`) that give jq 1.6's builtins, the global
//! variables `$ENV` and `$__loc__`, and compile errors in one line that say
//! where (and, for what reads further inputs, why it cannot work here).

use super::Filter;
use jaq_core::Compiler;
use jaq_core::load::lex::{StrPart, Tok, Token};
use jaq_core::load::parse::{BinaryOp, Def, Pattern, Term};
use jaq_core::load::{Arena, File, Lexer, Loader, Parser};
use jaq_core::path::Part;
use jaq_json::{Map, Val};

/// jq 1.6 filters that read inputs besides the one being filtered.
const READS_INPUTS: [&str; 3] = ["input", "inputs", "input_line_number"];

/// A compiled program and the values of its global variables, in the
/// order `Vars::new` takes them.
pub fn compile(text: &str) -> Result<(Filter, Vec<Val>), String> {
    let (code, lines) = with_loc_variables(text)?;
    let names: Vec<String> = lines.iter().map(|&l| loc_name(l)).collect();
    let mut globals = vec![env()];
    globals.extend(lines.iter().map(|&line| {
        let mut m = Map::default();
        m.insert(text_val("file"), text_val("<top-level>"));
        m.insert(text_val("line"), Val::from(line as isize));
        Val::obj(m)
    }));

    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .chain(ssetap_defs());
    let funs = super::libm::funs()
        .chain(jaq_core::funs())
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .chain(super::funs::funs());
    // Loaded as written first, for its errors; then, parsed again, with
    // each interpolation (`"\(x)"`) written by `@text` (jq's spelling of
    // numbers, not jaq's), as the body of a definition the program calls.
    let arena = Arena::default();
    Loader::new(std::iter::empty())
        .load(
            &arena,
            File {
                code: code.as_str(),
                path: (),
            },
        )
        .map_err(|errs| load_error(&code, text, &errs))?;
    let main = main_def(&code);
    // (jaq's definitions live for ever, the program's as long as `code`.)
    let mut all: Vec<Def<&str>> = Vec::new();
    for d in defs {
        all.push(d);
    }
    let code_run = match main {
        Some(main) => {
            all.push(main);
            MAIN
        }
        None => code.as_str(),
    };
    let loader = Loader::new(all);
    let file = File {
        code: code_run,
        path: (),
    };
    let modules = loader
        .load(&arena, file)
        .map_err(|errs| load_error(&code, text, &errs))?;
    let vars = std::iter::once("$ENV").chain(names.iter().map(String::as_str));
    let filter = Compiler::default()
        .with_funs(funs)
        .with_global_vars(vars)
        .compile(modules)
        .map_err(|errs| compile_error(&code, text, &errs))?;
    Ok((filter, globals))
}

/// The program with each `$__loc__` made a variable of its own line, of
/// the same length (so that offsets in errors stay the program's), and
/// those lines.
fn with_loc_variables(text: &str) -> Result<(String, Vec<usize>), String> {
    let locs = loc_lines(text)?;
    let mut code = text.as_bytes().to_vec();
    for &(at, line) in &locs {
        code[at..at + LOC.len()].copy_from_slice(loc_name(line).as_bytes());
    }
    let code =
        String::from_utf8(code).map_err(|_| "--jq: cannot compile the program".to_string())?;
    let mut lines: Vec<usize> = locs.iter().map(|&(_, line)| line).collect();
    lines.sort_unstable();
    lines.dedup();
    Ok((code, lines))
}

/// The program as the body of a definition, each interpolation written by
/// `@text`; None when it is more than a term (a module directive).
fn main_def(code: &str) -> Option<Def<&str>> {
    let tokens = Lexer::new(code).lex().ok()?;
    let mut term = Parser::new(&tokens).parse(|p| p.term()).ok()?;
    interpolate_with_text(&mut term);
    Some(Def {
        name: MAIN,
        args: Vec::new(),
        body: term,
    })
}

fn ssetap_defs() -> impl Iterator<Item = jaq_core::load::parse::Def<&'static str>> {
    jaq_core::load::parse(include_str!("defs.jq"), |p| p.defs())
        .unwrap_or_default()
        .into_iter()
}

fn text_val(s: &str) -> Val {
    Val::utf8_str(s.as_bytes().to_vec())
}

/// `$ENV`: the process environment (names and values that are not UTF-8
/// are read with replacement characters).
fn env() -> Val {
    let vars = std::env::vars_os().map(|(k, v)| {
        let k = k.to_string_lossy().into_owned().into_bytes();
        let v = v.to_string_lossy().into_owned().into_bytes();
        (Val::utf8_str(k), Val::utf8_str(v))
    });
    Val::obj(vars.collect())
}

const LOC: &str = "$__loc__";

/// The definition that holds the program.
const MAIN: &str = "_ssetap_main";

/// Make every string with interpolation a `@text` string: jaq writes the
/// values it interpolates itself (`1.0`, `-0.0`), `@text` as jq does.
fn interpolate_with_text(t: &mut Term<&str>) {
    use jaq_core::load::lex::StrPart as Part_;
    match t {
        Term::Id | Term::Recurse | Term::Num(_) | Term::Break(_) | Term::Var(_) => {}
        Term::Str(fmt, parts) => {
            let mut any = false;
            for part in parts.iter_mut() {
                if let Part_::Term(inner) = part {
                    any = true;
                    interpolate_with_text(inner);
                }
            }
            if any && fmt.is_none() {
                *fmt = Some("@text");
            }
        }
        Term::Arr(inner) => inner.iter_mut().for_each(|i| interpolate_with_text(i)),
        Term::Obj(entries) => {
            for (k, v) in entries {
                interpolate_with_text(k);
                v.iter_mut().for_each(interpolate_with_text);
            }
        }
        Term::Neg(inner) | Term::Label(_, inner) => interpolate_with_text(inner),
        Term::BinOp(l, op, r) => {
            if let BinaryOp::Pipe(Some(p)) = op {
                in_pattern(p);
            }
            interpolate_with_text(l);
            interpolate_with_text(r);
            if let Some(call) = assignment(l, op, r) {
                *t = call;
            } else if let Some(op) = operation(l, op, r) {
                *t = op;
            }
        }
        Term::Fold(_, xs, p, args) => {
            interpolate_with_text(xs);
            in_pattern(p);
            args.iter_mut().for_each(interpolate_with_text);
        }
        Term::TryCatch(body, catch) => {
            interpolate_with_text(body);
            catch.iter_mut().for_each(|c| interpolate_with_text(c));
        }
        Term::IfThenElse(branches, otherwise) => {
            for (cond, then) in branches {
                interpolate_with_text(cond);
                interpolate_with_text(then);
            }
            otherwise.iter_mut().for_each(|o| interpolate_with_text(o));
        }
        Term::Def(defs, rest) => {
            defs.iter_mut()
                .for_each(|d| interpolate_with_text(&mut d.body));
            interpolate_with_text(rest);
        }
        Term::Call(_, args) => args.iter_mut().for_each(interpolate_with_text),
        Term::Path(base, path) => {
            interpolate_with_text(base);
            for (part, _) in &mut path.0 {
                match part {
                    Part::Index(i) => interpolate_with_text(i),
                    Part::Range(from, to) => {
                        from.iter_mut().for_each(interpolate_with_text);
                        to.iter_mut().for_each(interpolate_with_text);
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
/// the right side fastest); `/` and `%` as jq computes them.
fn operation<'s>(
    l: &mut Term<&'s str>,
    op: &BinaryOp<&'s str>,
    r: &mut Term<&'s str>,
) -> Option<Term<&'s str>> {
    use jaq_core::ops::Math;
    let special = match op {
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
                interpolate_with_text(k);
                in_pattern(v);
            }
        }
    }
}

/// The variable that stands for `$__loc__` on `line`: as long as `LOC`.
fn loc_name(line: usize) -> String {
    format!("$__l{line:04x}")
}

/// Where `$__loc__` is used (byte offset, line from 1); a program that does
/// not lex has none (compiling reports why).
fn loc_lines(text: &str) -> Result<Vec<(usize, usize)>, String> {
    if !text.contains(LOC) {
        return Ok(Vec::new());
    }
    let Ok(tokens) = Lexer::new(text).lex() else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    find_locs(text, &tokens, &mut found);
    for &(_, line) in &found {
        if line > 0xffff {
            return Err(format!(
                "--jq: cannot compile the program: $__loc__ on line {line} (at most 65535)"
            ));
        }
    }
    Ok(found)
}

fn find_locs(text: &str, tokens: &[Token<&str>], found: &mut Vec<(usize, usize)>) {
    for Token(s, tok) in tokens {
        match tok {
            Tok::Var if *s == LOC => {
                let at = offset(text, s);
                let line = 1 + text[..at].matches('\n').count();
                found.push((at, line));
            }
            Tok::Block(inner) => find_locs(text, inner, found),
            Tok::Str(parts) => {
                for part in parts {
                    if let StrPart::Term(t) = part {
                        find_locs(text, std::slice::from_ref(t), found);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The byte offset of `at` (a slice of `code`) in `code`.
fn offset(code: &str, at: &str) -> usize {
    (at.as_ptr() as usize)
        .checked_sub(code.as_ptr() as usize)
        .filter(|&o| o <= code.len())
        .unwrap_or(code.len())
}

/// "at offset N" and a glimpse of the program (`text`, of which `code` is
/// the compiled copy) from there.
fn place(code: &str, text: &str, at: &str) -> String {
    let o = offset(code, at);
    let near: String = text.get(o..).unwrap_or("").chars().take(20).collect();
    if near.is_empty() {
        "at the end of the program".to_string()
    } else {
        format!("at offset {o} ({near:?})")
    }
}

fn load_error(code: &str, text: &str, errs: &jaq_core::load::Errors<&str, ()>) -> String {
    use jaq_core::load::Error;
    use jaq_core::load::lex::Expect as Lex;
    let mut parts = Vec::new();
    for (_, e) in errs {
        match e {
            Error::Io(ios) => parts.extend(ios.iter().map(|(p, why)| format!("{p}: {why}"))),
            Error::Lex(lexes) => {
                for (expect, at) in lexes {
                    let what = match expect {
                        Lex::Delim(d) => format!("a closing delimiter for {d}"),
                        other => other.as_str().to_string(),
                    };
                    parts.push(format!("expected {what} {}", place(code, text, at)));
                }
            }
            Error::Parse(parses) => {
                for (expect, at) in parses {
                    let found = if at.is_empty() {
                        "at the end of the program".to_string()
                    } else {
                        place(code, text, at)
                    };
                    parts.push(format!("expected {} {found}", expect.as_str()));
                }
            }
        }
    }
    format!("--jq: cannot compile the program: {}", parts.join("; "))
}

fn compile_error(code: &str, text: &str, errs: &jaq_core::compile::Errors<&str, ()>) -> String {
    use jaq_core::compile::Undefined;
    let mut parts = Vec::new();
    for (_, list) in errs {
        for (name, undefined) in list {
            let at = place(code, text, name);
            parts.push(match undefined {
                Undefined::Filter(0) if READS_INPUTS.contains(name) => format!(
                    "{name} {at} reads further inputs, and --jq runs the program on \
                     each event alone (use `reduce`/`foreach` over a value, or pipe \
                     the output to jq)"
                ),
                Undefined::Var if *name == "$__prog_args" => {
                    format!("$__prog_args {at}: --jq programs have no arguments")
                }
                Undefined::Filter(n) => format!("undefined filter {name}/{n} {at}"),
                other => format!("undefined {} {name} {at}", other.as_str()),
            });
        }
    }
    format!("--jq: cannot compile the program: {}", parts.join("; "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ssetaps_definitions_parse() {
        assert!(super::ssetap_defs().count() > 60);
    }
}
