//! jq: the `--jq FILTER` program, embedded (jaq: `jaq-core`, `jaq-std`,
//! `jaq-json`), never a jq process. Owns compiling the program with jq
//! 1.6's builtins and semantics where jaq's differ (`compile`: a program
//! that does not compile is a usage error with jaq's message), building
//! each event's input value (`{"event", "id", "data"}` plus `"time"`,
//! exactly the object `-f json --json-data` would print), running the
//! program, and writing its outputs as `jq -c` does (`write`), or a
//! string's raw text as `jq -r` does, and the warning for the first event
//! it fails on.
//!
//! A runtime error skips the whole event: outputs are collected first (in
//! a vector reused across events) and only handed on when the program ran
//! to its end.
//!
//! What the program cannot see is not built (`need`: the paths it reads,
//! worked out from its syntax once), and outputs that are the input itself
//! or its `data` are written from the event's bytes (`raw`), so a filter
//! costs little more than `--json-data`. The programs most often run on
//! event streams (paths, literals, `select`, comparisons, object and array
//! construction…) run on a small evaluator of ssetap's (`fast`) before
//! jaq; jaq runs any event it does not handle, from scratch.

mod arith;
mod build;
mod compile;
pub mod debug;
mod doubles;
mod fast;
mod funs;
mod libm;
mod need;
mod paths;
mod pick;
#[cfg(test)]
pub(crate) use {need::Need as PickNeed, pick::Pick};
mod raw;
mod rewrite;
mod strftime;
#[cfg(test)]
mod tests;
mod write;

use crate::sse::Event;
use jaq_core::{Ctx, Native, Vars, data::JustLut};
use jaq_json::{Map, Val};
use need::{Need, Whole};
use std::rc::Rc;

pub use write::{write_json, write_output};

type Filter = jaq_core::compile::Filter<Native<JustLut<Val>>>;

/// What `--jq` asks for; `config` builds it, compiling the program once
/// (a compile error is a usage error), and the pipeline runs a copy.
#[derive(Debug, Clone)]
pub struct Options {
    /// The program, compiled.
    pub program: Program,
    /// Write a string output as its raw text (`-f data`, and Kafka's
    /// default), as `jq -r` does; else everything as compact JSON.
    pub raw: bool,
    /// Add the receive time to the input as `"time"`.
    pub timestamp: bool,
}

/// A compiled `--jq` program and the buffers its runs reuse.
pub struct Program {
    /// Shared by the copies of the program (`Clone`), as is `fast`: they
    /// do not change.
    filter: Rc<Filter>,
    /// The program on the fast evaluator, when it can run it; jaq runs
    /// what it does not handle.
    fast: Option<Rc<fast::Fast>>,
    /// What the program can see of its input: the rest of `data` is not
    /// built.
    need: Need,
    /// The outputs are the input itself or its `data`: an object among
    /// them is written from the event's bytes, not from its value.
    whole: Option<Whole>,
    /// The values of `$ENV` and `$__loc__`.
    globals: Vars<Val>,
    /// Room the input's builder reuses.
    room: build::Room,
    /// The outputs of the last run.
    outs: Vec<Val>,
    /// The most outputs, and bytes of them, one run may give:
    /// `MAX_OUTPUTS` and `MAX_HELD_BYTES` (tests set them lower).
    caps: (usize, usize),
}

/// A copy runs on its own: the buffers are not shared.
impl Clone for Program {
    fn clone(&self) -> Program {
        Program {
            filter: self.filter.clone(),
            fast: self.fast.clone(),
            need: self.need.clone(),
            whole: self.whole,
            globals: self.globals.clone(),
            room: build::Room::default(),
            outs: Vec::new(),
            caps: self.caps,
        }
    }
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
        let (filter, globals) = compile::compile(text)?;
        let (need, whole) = Need::plan(text);
        crate::alloc::for_jq();
        Ok(Program {
            filter: Rc::new(filter),
            fast: fast::Fast::new(text).map(Rc::new),
            need,
            whole,
            globals: Vars::new(globals),
            room: build::Room::default(),
            outs: Vec::new(),
            caps: (MAX_OUTPUTS, MAX_HELD_BYTES),
        })
    }

    /// The program with lower caps on one run's outputs, for tests.
    #[cfg(test)]
    fn with_caps(mut self, outputs: usize, bytes: usize) -> Program {
        self.caps = (outputs, bytes);
        self
    }

    /// The input of one event, built as far as this program can see it.
    pub fn input(&mut self, ev: &Event<'_>, time: Option<&[u8]>) -> Val {
        // The last run's outputs have been written: what they hold of the
        // last input's copy of its data goes, and the copy can be reused.
        self.outs.clear();
        input(ev, time, &self.need, &mut self.room)
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
        if let Some(fast) = &self.fast
            && fast.run(&input, &mut self.outs).is_ok()
        {
            return Ok(Outputs {
                vals: &self.outs,
                whole: self.whole,
            });
        }
        let ctx = Ctx::<JustLut<Val>>::new(&self.filter.lut, self.globals.clone());
        let mut held = 0usize;
        for out in self.filter.id.run((ctx, input)) {
            match out {
                Ok(v) => {
                    held = held.saturating_add(held_bytes(&v));
                    if self.outs.len() >= self.caps.0 || held > self.caps.1 {
                        self.outs.clear();
                        return Err(too_many_outputs(self.caps));
                    }
                    self.outs.push(v)
                }
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

/// The most outputs one event's run may give. Outputs are held until the
/// program ends (an error drops them all), so an endless generator
/// (`repeat(.)`, `range(infinite)`) would grow memory until the process
/// is killed, and stall the stream; past this the event fails as on any
/// runtime error. Ten million is far beyond any event's worth of records
/// (`.data[]` of a 16 MiB event, `--max-event-size`'s default, has at
/// most 8 million elements) and holds about 160 MiB of values.
pub(crate) const MAX_OUTPUTS: usize = 10_000_000;

/// The most bytes one event's outputs may hold, as `held_bytes` counts
/// them: what writing them will take, roughly, as the records are
/// written to the sink's buffer together. 256 MiB: sixteen times the
/// largest event, well below what would exhaust a small container.
pub(crate) const MAX_HELD_BYTES: usize = 256 << 20;

/// What an output counts against `MAX_HELD_BYTES`: its own slot, a
/// string's bytes, 16 per array element and 32 per object entry one level
/// down. Cheap (no walk
/// of nested values), so a program's cost does not double; deeper values
/// are bounded by the count.
fn held_bytes(v: &Val) -> usize {
    let own = std::mem::size_of::<Val>();
    let more = match v {
        Val::TStr(s) | Val::BStr(s) => s.len(),
        Val::Arr(a) => a.len().saturating_mul(16),
        Val::Obj(o) => o.len().saturating_mul(32),
        _ => 0,
    };
    own.saturating_add(more)
}

/// The error of a run that passed its `caps` (outputs, bytes).
fn too_many_outputs((outputs, bytes): (usize, usize)) -> String {
    format!(
        "the program gave more than {outputs} outputs or {} MiB of them for one event \
         (the cap on one event's outputs; is a generator endless, such as repeat or range(infinite)?)",
        bytes >> 20
    )
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
            let full = input(ev, time, &Need::all(), &mut build::Room::default());
            let v = match whole {
                Whole::Event => Some(&full),
                Whole::Data => pointer(&full, "/data"),
            };
            write_json(v.unwrap_or(&Val::Null), out);
        }
    }
}

/// An event as a warning names it: by its ID, cut short, or by its place
/// in the run (`event #17 (no ID)`) when it has none.
pub fn event_name(ev: &Event<'_>, place: u64) -> String {
    if ev.id.is_empty() {
        format!("event #{place} (no ID)")
    } else {
        let id = one_line_excerpt(&String::from_utf8_lossy(ev.id), ERROR_CHARS);
        format!("event {id:?}")
    }
}

/// The first `--jq` failure: the event by its ID, or by its place in the
/// run when it has none; an event whose data is not JSON (an LLM stream's
/// closing `[DONE]`) is a string to the program, and the warning says how
/// to pass over such events.
pub fn failure_warning(ev: &Event<'_>, place: u64, why: &str, whither: &str) -> String {
    let which = event_name(ev, place);
    let (note, hint) = if crate::format::json_span(ev.data).is_none() {
        (
            ", whose data is not JSON",
            "; `.data | objects | ...` or `select(.data != \"[DONE]\")` passes over such events",
        )
    } else {
        ("", "")
    };
    format!(
        "--jq failed on {which}{note}: {why}; such events are {whither} (--stats counts them as jq_errors){hint}"
    )
}

/// A runtime error in one line (an error value that is a string is its
/// text, as jq prints it), cut short: jaq's messages quote the value they
/// failed on, which a server can make megabytes long.
fn error_text(e: &jaq_core::Error<Val>) -> String {
    one_line_excerpt(&e.to_string(), ERROR_CHARS)
}

/// How much of a runtime error's text a warning shows.
const ERROR_CHARS: usize = 300;

/// `text` on one line, its first `max` characters and how long it was
/// when it is longer.
pub fn one_line_excerpt(text: &str, max: usize) -> String {
    let line = text.replace(['\n', '\r'], " ");
    match line.char_indices().nth(max) {
        None => line,
        Some((end, _)) => format!("{}… ({} bytes in all)", &line[..end], line.len()),
    }
}

/// The input of one event: `{"event", "id" (when it has one), "data",
/// "time" (when given)}`; `data` is embedded as JSON when it is JSON (as
/// `--json-data` decides), else a string (invalid UTF-8 replaced). Only
/// what `need` names is built, of the event and of its data: the program
/// cannot tell.
pub fn input(ev: &Event<'_>, time: Option<&[u8]>, need: &Need, room: &mut build::Room) -> Val {
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
        let data = build::data(ev.data, need, room).unwrap_or_else(|| text(ev.data));
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
