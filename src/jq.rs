//! jq: the `--jq FILTER` program, embedded (jaq: `jaq-core`, `jaq-std`,
//! `jaq-json`), never a jq process. Owns compiling the program (a program
//! that does not compile is a usage error with jaq's message), building
//! each event's input value (`{"event", "id", "data"}` plus `"time"`,
//! exactly the object `-f json --json-data` would print), running the
//! program, and writing its outputs as `jq -c` does (`write`), or a
//! string's raw text as `jq -r` does.
//!
//! A runtime error skips the whole event: outputs are collected first (in
//! a vector reused across events) and only handed on when the program ran
//! to its end.
//!
//! What the program cannot see is not built (`need`: the paths it reads,
//! worked out from its syntax once), and outputs that are the input itself
//! or its `data` are written from the event's bytes (`raw`), so a filter
//! costs little more than `--json-data`.

mod build;
mod need;
mod raw;
#[cfg(test)]
mod tests;
mod write;

use crate::sse::Event;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, Vars, data::JustLut};
use jaq_json::{Map, Val};
use need::{Need, Whole};

pub use write::{write_json, write_output};

type Filter = jaq_core::compile::Filter<Native<JustLut<Val>>>;

/// What `--jq` asks for; `config` builds it (and checks that the program
/// compiles), the pipeline compiles it for its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The program's text.
    pub filter: String,
    /// Write a string output as its raw text (`-f data`, and Kafka's
    /// default), as `jq -r` does; else everything as compact JSON.
    pub raw: bool,
    /// Add the receive time to the input as `"time"`.
    pub timestamp: bool,
}

/// A compiled `--jq` program and the buffers its runs reuse.
pub struct Program {
    filter: Filter,
    /// What the program can see of its input: the rest of `data` is not
    /// built.
    need: Need,
    /// The outputs are the input itself or its `data`: an object among
    /// them is written from the event's bytes, not from its value.
    whole: Option<Whole>,
    /// Room the input's builder reuses.
    vals: Vec<Val>,
    /// The outputs of the last run.
    outs: Vec<Val>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("jq::Program")
    }
}

impl Program {
    /// Compile `text`; the error is one line in jaq's words, with where it
    /// is in the program.
    pub fn compile(text: &str) -> Result<Program, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let file = File {
            code: text,
            path: (),
        };
        let modules = loader
            .load(&arena, file)
            .map_err(|errs| load_error(text, &errs))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| compile_error(text, &errs))?;
        let (need, whole) = Need::plan(text);
        Ok(Program {
            filter,
            need,
            whole,
            vals: Vec::new(),
            outs: Vec::new(),
        })
    }

    /// The input of one event, built as far as this program can see it.
    pub fn input(&mut self, ev: &Event<'_>, time: Option<&[u8]>) -> Val {
        input(ev, time, &self.need, &mut self.vals)
    }

    /// Outputs are also read at `pointer` (`--key /pointer`): what is
    /// there is built whole.
    pub fn reads_key(&mut self, pointer: &str) {
        let mut path: Vec<Vec<u8>> = match self.whole {
            Some(Whole::Data) => vec![b"data".to_vec()],
            _ => Vec::new(),
        };
        if let Some(tokens) = pointer_tokens(pointer) {
            path.extend(tokens.map(String::into_bytes));
        }
        self.need.add(&path);
    }

    /// Run the program on one input: all its outputs, in order, or the
    /// first error (then there are no outputs at all).
    pub fn run(&mut self, input: Val) -> Result<Outputs<'_>, String> {
        self.outs.clear();
        let ctx = Ctx::<JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        for out in self.filter.id.run((ctx, input)) {
            match out {
                Ok(v) => self.outs.push(v),
                Err(exn) => {
                    self.outs.clear();
                    return Err(match exn.get_err() {
                        Ok(e) => error_text(&e),
                        Err(_) => "halt is not supported in --jq".to_string(),
                    });
                }
            }
        }
        Ok(Outputs {
            vals: &self.outs,
            whole: self.whole,
        })
    }
}

/// One run's outputs, and how to write them.
pub struct Outputs<'p> {
    pub vals: &'p [Val],
    whole: Option<Whole>,
}

impl Outputs<'_> {
    /// Append output `v` of the run on `ev`'s input as `write_output`
    /// would: an output that is the input or its `data` (an object, built
    /// only in part) from the event's bytes.
    pub fn write(
        &self,
        v: &Val,
        ev: &Event<'_>,
        time: Option<&[u8]>,
        raw: bool,
        out: &mut Vec<u8>,
    ) {
        let (Some(whole), Val::Obj(_)) = (self.whole, v) else {
            return write_output(v, raw, out);
        };
        let done = match whole {
            Whole::Event => raw::write_event(ev, time, out),
            Whole::Data => raw::write_data(ev.data, out),
        };
        if !done {
            let full = input(ev, time, &Need::all(), &mut Vec::new());
            let v = match whole {
                Whole::Event => Some(&full),
                Whole::Data => pointer(&full, "/data"),
            };
            write_json(v.unwrap_or(&Val::Null), out);
        }
    }
}

/// A runtime error in one line (an error value that is a string is its
/// text, as jq prints it).
fn error_text(e: &jaq_core::Error<Val>) -> String {
    let text = e.to_string();
    text.replace(['\n', '\r'], " ")
}

/// The input of one event: `{"event", "id" (when it has one), "data",
/// "time" (when given)}`; `data` is embedded as JSON when it is JSON (as
/// `--json-data` decides), else a string (invalid UTF-8 replaced). Only
/// what `need` names is built, of the event and of its data: the program
/// cannot tell.
pub fn input(ev: &Event<'_>, time: Option<&[u8]>, need: &Need, vals: &mut Vec<Val>) -> Val {
    let mut map = Map::with_capacity_and_hasher(
        if need.whole { 4 } else { need.kids.len() },
        Default::default(),
    );
    if need.kid(b"event").is_some() {
        map.insert(key(b"event"), text(ev.kind()));
    }
    if !ev.id.is_empty() && need.kid(b"id").is_some() {
        map.insert(key(b"id"), text(ev.id));
    }
    if let Some(need) = need.kid(b"data") {
        let data = build::data(ev.data, need, vals).unwrap_or_else(|| text(ev.data));
        map.insert(key(b"data"), data);
    }
    if let Some(t) = time
        && need.kid(b"time").is_some()
    {
        map.insert(key(b"time"), text(t));
    }
    Val::obj(map)
}

fn key(name: &'static [u8]) -> Val {
    Val::utf8_str(name)
}

/// A string value of `b`, decoded as UTF-8 with replacement.
fn text(b: &[u8]) -> Val {
    if crate::format::is_utf8(b) {
        Val::utf8_str(b.to_vec())
    } else {
        Val::utf8_str(String::from_utf8_lossy(b).into_owned().into_bytes())
    }
}

/// The value a JSON pointer (RFC 6901, as `--key /a/b`) points to.
pub fn pointer<'v>(v: &'v Val, pointer: &str) -> Option<&'v Val> {
    let mut at = v;
    for token in pointer_tokens(pointer)? {
        at = match at {
            Val::Obj(o) => o
                .iter()
                .find(|(k, _)| matches!(k, Val::TStr(s) if s.as_ref() == token.as_bytes()))
                .map(|(_, v)| v)?,
            Val::Arr(a) => {
                let digits_ok = token == "0" || !token.starts_with('0');
                let i: usize = token.parse().ok().filter(|_| digits_ok)?;
                a.get(i)?
            }
            _ => return None,
        };
    }
    Some(at)
}

/// The reference tokens of a JSON pointer (`~1` read as `/`, `~0` as
/// `~`); None when it is not one (not empty, not starting with `/`).
fn pointer_tokens(pointer: &str) -> Option<impl Iterator<Item = String> + '_> {
    let rest = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?),
    };
    let tokens = rest.into_iter().flat_map(|r| r.split('/'));
    Some(tokens.map(|t| t.replace("~1", "/").replace("~0", "~")))
}

/// A Kafka key from an output: `--key /pointer` resolved in it, a string
/// as its text, anything else as compact JSON. False when it points to
/// nothing (the record then has no key).
pub fn key_of(v: &Val, ptr: &str, out: &mut Vec<u8>) -> bool {
    match pointer(v, ptr) {
        Some(k) => {
            write_output(k, true, out);
            true
        }
        None => false,
    }
}

/// The byte offset of `at` (a slice of `code`) in `code`.
fn offset(code: &str, at: &str) -> usize {
    (at.as_ptr() as usize)
        .checked_sub(code.as_ptr() as usize)
        .filter(|&o| o <= code.len())
        .unwrap_or(code.len())
}

/// "at offset N" and a glimpse of the program from there.
fn place(code: &str, at: &str) -> String {
    let o = offset(code, at);
    let near: String = code[o..].chars().take(20).collect();
    if near.is_empty() {
        "at the end of the program".to_string()
    } else {
        format!("at offset {o} ({near:?})")
    }
}

fn load_error(code: &str, errs: &jaq_core::load::Errors<&str, ()>) -> String {
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
                    parts.push(format!("expected {what} {}", place(code, at)));
                }
            }
            Error::Parse(parses) => {
                for (expect, at) in parses {
                    let found = if at.is_empty() {
                        "at the end of the program".to_string()
                    } else {
                        place(code, at)
                    };
                    parts.push(format!("expected {} {found}", expect.as_str()));
                }
            }
        }
    }
    format!("--jq: cannot compile the program: {}", parts.join("; "))
}

fn compile_error(code: &str, errs: &jaq_core::compile::Errors<&str, ()>) -> String {
    let mut parts = Vec::new();
    for (_, list) in errs {
        for (name, undefined) in list {
            let arity = match undefined {
                jaq_core::compile::Undefined::Filter(n) => format!("/{n}"),
                _ => String::new(),
            };
            parts.push(format!(
                "undefined {} {name}{arity} {}",
                undefined.as_str(),
                place(code, name)
            ));
        }
    }
    format!("--jq: cannot compile the program: {}", parts.join("; "))
}
