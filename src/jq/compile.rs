//! Compiling a `--jq` program: jaq's definitions and natives, then
//! ssetap's (`defs.jq`, `funs.rs`, `libm.rs`) that give jq 1.6's builtins;
//! the program's syntax rewritten to run as jq runs it (`rewrite.rs`); the
//! global variables `$ENV` and `$__loc__`; and compile errors in one line
//! that say where (and, for what reads further inputs, why it cannot work
//! here).

use super::Filter;
use jaq_core::Compiler;
use jaq_core::load::lex::{StrPart, Tok, Token};
use jaq_core::load::parse::Def;
use jaq_core::load::{Arena, File, Lexer, Loader, Parser};
use jaq_json::{Map, Val};

/// jq 1.6 filters that read inputs besides the one being filtered.
const READS_INPUTS: [&str; 3] = ["input", "inputs", "input_line_number"];

/// A compiled program and the values of its global variables, in the
/// order `Vars::new` takes them.
pub fn compile(text: &str) -> Result<(Filter, Vec<Val>), String> {
    let (code, lines) = with_loc_variables(text)?;
    let (code, shifts) = join_surrogates(&code);
    let orig = Orig {
        text,
        shifts: &shifts,
    };
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
        // ssetap's floor/ceil/round (funs.rs) keep large doubles doubles.
        .chain(jaq_std::funs().filter(|f| !matches!(f.0, "floor" | "ceil" | "round")))
        // ssetap's `fromjson` (funs.rs) replaces jaq's, for every caller.
        .chain(jaq_json::funs().filter(|f| f.0 != "fromjson"))
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
        .map_err(|errs| load_error(&code, &orig, &errs))?;
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
        .map_err(|errs| load_error(&code, &orig, &errs))?;
    let vars = std::iter::once("$ENV").chain(names.iter().map(String::as_str));
    let filter = Compiler::default()
        .with_funs(funs)
        .with_global_vars(vars)
        .compile(modules)
        .map_err(|errs| compile_error(&code, &orig, &errs))?;
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
    super::rewrite::as_jq(&mut term);
    Some(Def {
        name: MAIN,
        args: Vec::new(),
        body: term,
    })
}

pub(super) fn ssetap_defs() -> impl Iterator<Item = jaq_core::load::parse::Def<&'static str>> {
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

/// The program as written, and where the code compiled is shorter than
/// it (`join_surrogates`): offset in the code, bytes fewer.
struct Orig<'a> {
    text: &'a str,
    shifts: &'a [(usize, usize)],
}

/// The program with each surrogate pair escape (`"\ud83d\ude00"`, as JSON
/// writes a character past U+FFFF) made the character itself: jaq's lexer
/// takes `\uXXXX` of one code point only, jq 1.6 the pair. The character is
/// shorter than its escapes: where, for errors' offsets. (A lone surrogate
/// is left to fail, as in jq.)
fn join_surrogates(code: &str) -> (String, Vec<(usize, usize)>) {
    let b = code.as_bytes();
    let (mut out, mut shifts) = (String::with_capacity(code.len()), Vec::new());
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let pair = (b.get(i + 1) == Some(&b'u') && b.get(i + 6..i + 8) == Some(b"\\u"))
            .then(|| Some((hex4(b, i + 2)?, hex4(b, i + 8)?)))
            .flatten()
            .filter(|(hi, lo)| (0xD800..0xDC00).contains(hi) && (0xDC00..0xE000).contains(lo))
            .and_then(|(hi, lo)| char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)));
        match pair {
            Some(c) => {
                out.push_str(&code[copied..i]);
                out.push(c);
                shifts.push((out.len(), 12 - c.len_utf8()));
                i += 12;
                copied = i;
            }
            // An escape's second byte never starts another (`\\u…`).
            None => i += 2,
        }
    }
    out.push_str(code.get(copied..).unwrap_or(""));
    (out, shifts)
}

/// Four hex digits at `at`, as a number.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    digits
        .iter()
        .try_fold(0u32, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
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
fn place(code: &str, orig: &Orig<'_>, at: &str) -> String {
    let o = offset(code, at);
    // Where `code` is shorter than the program, back to the program's.
    let o = o + orig
        .shifts
        .iter()
        .filter(|&&(p, _)| p <= o)
        .map(|&(_, n)| n)
        .sum::<usize>();
    let text = orig.text;
    let near: String = text.get(o..).unwrap_or("").chars().take(20).collect();
    if near.is_empty() {
        "at the end of the program".to_string()
    } else {
        format!("at offset {o} ({near:?})")
    }
}

fn load_error(code: &str, text: &Orig<'_>, errs: &jaq_core::load::Errors<&str, ()>) -> String {
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

fn compile_error(
    code: &str,
    text: &Orig<'_>,
    errs: &jaq_core::compile::Errors<&str, ()>,
) -> String {
    use jaq_core::compile::Undefined;
    let mut parts = Vec::new();
    for (_, list) in errs {
        for (name, undefined) in list {
            let at = place(code, text, name);
            parts.push(match undefined {
                Undefined::Filter(0) if READS_INPUTS.contains(name) => format!(
                    "{name} {at}: --jq runs the program on each event alone, with no \
                     further inputs to read (to combine events, pipe ssetap's output to jq)"
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
    fn surrogate_pairs_are_joined_and_errors_keep_the_programs_offsets() {
        let (code, shifts) = super::join_surrogates(r#""\ud83d\uDE00 \\ud83d\ude00 \ud83d""#);
        assert_eq!(code, r#""😀 \\ud83d\ude00 \ud83d""#);
        assert_eq!(shifts, [(5, 8)]);
        let err = super::compile(r#""\ud83d\ude00" | nosuch"#)
            .err()
            .unwrap_or_default();
        assert!(err.contains("at offset 17"), "{err}");
    }

    #[test]
    fn ssetaps_definitions_parse() {
        assert!(super::ssetap_defs().count() > 60);
    }
}
