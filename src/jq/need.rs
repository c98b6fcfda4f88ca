//! Which parts of its input a `--jq` program can see, worked out once from
//! the program's syntax, so that each event's `data` is built only as far
//! as the program can look (a projection pushed down into the JSON
//! scanner: `select(.data.meta.domain == "x") | .data.title` needs two
//! members of `data`, not all forty).
//!
//! The analysis is conservative. It follows paths of literal keys from the
//! program's input (`.data.meta.domain`) through `|`, `,`, `//`, `select`,
//! `if`, `try`, operators and constructors; any value that flows anywhere
//! else (a function such as `keys` or `tojson`, an operator, the program's
//! output) is needed whole. Anything it does not know (variables, `def`,
//! `reduce`, assignments, labels) makes it give up: the whole input is
//! built, as without the analysis. Indexing an object with a literal key is
//! the one operation that cannot tell a pruned object from a whole one, and
//! it is the only one that sees a pruned object.

use jaq_core::load::lex::StrPart;
use jaq_core::load::parse::{BinaryOp, Term};
use jaq_core::load::{Lexer, Parser};
use jaq_core::path::Part;

pub use super::raw::Whole;

/// A tree of the input's object members a program may read: a node that is
/// `whole` is needed with everything below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Need {
    pub whole: bool,
    pub kids: Vec<(Vec<u8>, Need)>,
}

impl Need {
    /// Everything.
    pub fn all() -> Need {
        Need {
            whole: true,
            kids: Vec::new(),
        }
    }

    /// What `program` needs of its input when every output is written
    /// from its value; everything when the analysis cannot tell (or the
    /// program does not parse: compiling reports that). The program itself
    /// uses [`Need::plan`].
    #[cfg(test)]
    pub fn of(program: &str) -> Need {
        let Some((mut walk, out)) = walked(program) else {
            return Need::all();
        };
        walk.whole(&out);
        if walk.gave_up { Need::all() } else { walk.need }
    }

    /// What `program` needs of its input when an output that is the input
    /// itself or its `data` is written from the event's bytes (`raw`):
    /// then that part is built only as deep as the program looks into it
    /// (an object there is built, with the members the program reads, so
    /// that it stays an object to the program).
    pub fn plan(program: &str) -> (Need, Option<Whole>) {
        let Some((mut walk, out)) = walked(program) else {
            return (Need::all(), None);
        };
        let whole = match &out {
            Src::Root(path) if path.is_empty() => Some(Whole::Event),
            Src::Root(path) if path.len() == 1 && path[0] == b"data" => {
                walk.need.ensure(b"data");
                Some(Whole::Data)
            }
            _ => {
                walk.whole(&out);
                None
            }
        };
        if walk.gave_up || walk.need.whole {
            return (Need::all(), None);
        }
        (walk.need, whole)
    }

    /// A member that is needed as what it is (an object, an array, a
    /// string...) though not necessarily with its members.
    pub fn ensure(&mut self, key: &[u8]) {
        if !self.whole && !self.kids.iter().any(|(k, _)| k == key) {
            self.kids.push((key.to_vec(), Need::default()));
        }
    }

    /// The node for member `key`, when it is needed (every member of a
    /// whole node is, whole).
    pub fn kid(&self, key: &[u8]) -> Option<&Need> {
        if self.whole {
            return Some(self);
        }
        // The first byte first: most keys differ there, without a call to
        // compare the rest.
        let first = key.first();
        self.kids
            .iter()
            .find(|(k, _)| k.first() == first && k == key)
            .map(|(_, n)| n)
    }

    /// Everything at `path` (keys) is needed.
    pub fn add(&mut self, path: &[Vec<u8>]) {
        if self.whole {
            return;
        }
        let Some((first, rest)) = path.split_first() else {
            self.whole = true;
            self.kids.clear();
            return;
        };
        let at = match self.kids.iter().position(|(k, _)| k == first) {
            Some(at) => at,
            None => {
                self.kids.push((first.clone(), Need::default()));
                self.kids.len() - 1
            }
        };
        self.kids[at].1.add(rest);
    }
}

/// The program walked from its input: what it needs so far and where its
/// outputs come from; None when it does not parse.
fn walked(program: &str) -> Option<(Walk, Src)> {
    let tokens = Lexer::new(program).lex().ok()?;
    let term = Parser::new(&tokens).parse(|p| p.term()).ok()?;
    let mut walk = Walk {
        need: Need::default(),
        gave_up: false,
    };
    let out = walk.term(&term, &Src::Root(Vec::new()));
    Some((walk, out))
}

/// Where a term's outputs come from: the subtree of the program's input at
/// a path of literal keys, or values made only of what is already needed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Src {
    Root(Vec<Vec<u8>>),
    Made,
}

struct Walk {
    need: Need,
    gave_up: bool,
}

impl Walk {
    /// The value is needed whole.
    fn whole(&mut self, src: &Src) {
        if let Src::Root(path) = src {
            self.need.add(path);
        }
    }

    fn give_up(&mut self) -> Src {
        self.gave_up = true;
        Src::Made
    }

    /// A value used for what it is (an operand, an element, an output).
    fn used(&mut self, t: &Term<&str>, input: &Src) {
        let out = self.term(t, input);
        self.whole(&out);
    }

    /// Outputs that may come from either source.
    fn either(&mut self, a: Src, b: Src) -> Src {
        if a == b {
            return a;
        }
        self.whole(&a);
        self.whole(&b);
        Src::Made
    }

    fn term(&mut self, t: &Term<&str>, input: &Src) -> Src {
        if self.gave_up {
            return Src::Made;
        }
        match t {
            Term::Id => input.clone(),
            Term::Num(_) => Src::Made,
            Term::Str(_, parts) => {
                for part in parts {
                    if let StrPart::Term(t) = part {
                        self.used(t, input);
                    }
                }
                Src::Made
            }
            Term::Arr(item) => {
                if let Some(t) = item {
                    self.used(t, input);
                }
                Src::Made
            }
            Term::Obj(entries) => {
                for (k, v) in entries {
                    self.entry(k, v.as_ref(), input);
                }
                Src::Made
            }
            Term::Neg(t) => {
                self.used(t, input);
                Src::Made
            }
            Term::Path(base, path) => {
                let mut src = self.term(base, input);
                for (part, _) in &path.0 {
                    src = self.part(src, part, input);
                }
                src
            }
            Term::BinOp(l, op, r) => self.binop(l, op, r, input),
            Term::TryCatch(t, catch) => {
                let out = self.term(t, input);
                match catch {
                    // An error's value is made of what raised it, which
                    // was used whole.
                    Some(c) => {
                        let caught = self.term(c, &Src::Made);
                        self.either(out, caught)
                    }
                    None => out,
                }
            }
            Term::IfThenElse(branches, otherwise) => {
                let mut out: Option<Src> = None;
                for (cond, then) in branches {
                    self.used(cond, input);
                    let o = self.term(then, input);
                    out = Some(match out {
                        Some(prev) => self.either(prev, o),
                        None => o,
                    });
                }
                let last = match otherwise {
                    Some(e) => self.term(e, input),
                    None => input.clone(),
                };
                match out {
                    Some(prev) => self.either(prev, last),
                    None => last,
                }
            }
            Term::Call(name, args) => self.call(name, args, input),
            Term::Recurse => {
                self.whole(input);
                Src::Made
            }
            Term::Var(_) | Term::Def(..) | Term::Fold(..) | Term::Label(..) | Term::Break(_) => {
                self.give_up()
            }
        }
    }

    fn entry(&mut self, k: &Term<&str>, v: Option<&Term<&str>>, input: &Src) {
        match (literal(k), v) {
            (Some(_), Some(v)) => self.used(v, input),
            // `{a}` is `{a: .a}`.
            (Some(key), None) => {
                let src = index(input, key);
                self.whole(&src);
            }
            (None, _) if matches!(k, Term::Var(_)) => {
                self.give_up();
            }
            (None, v) => {
                self.used(k, input);
                match v {
                    Some(v) => self.used(v, input),
                    None => self.whole(input),
                }
            }
        }
    }

    /// One part of a path applied to `src`; index and range terms are
    /// evaluated on the path's own input.
    fn part(&mut self, src: Src, part: &Part<Term<&str>>, input: &Src) -> Src {
        if let Part::Index(k) = part
            && let Some(key) = literal(k)
        {
            return index(&src, key);
        }
        match part {
            Part::Index(i) => self.used(i, input),
            Part::Range(from, to) => {
                for t in [from, to].into_iter().flatten() {
                    self.used(t, input);
                }
            }
        }
        self.whole(&src);
        Src::Made
    }

    fn binop(&mut self, l: &Term<&str>, op: &BinaryOp<&str>, r: &Term<&str>, input: &Src) -> Src {
        match op {
            BinaryOp::Pipe(None) => {
                let mid = self.term(l, input);
                self.term(r, &mid)
            }
            BinaryOp::Comma | BinaryOp::Alt => {
                let a = self.term(l, input);
                let b = self.term(r, input);
                self.either(a, b)
            }
            BinaryOp::Or | BinaryOp::And | BinaryOp::Math(_) | BinaryOp::Cmp(_) => {
                self.used(l, input);
                self.used(r, input);
                Src::Made
            }
            _ => self.give_up(),
        }
    }

    /// `select(f)` passes its input on; a few constants ignore it; any
    /// other function may look at all of its input (and runs its
    /// arguments only on values made from it).
    fn call(&mut self, name: &str, args: &[Term<&str>], input: &Src) -> Src {
        match (name, args) {
            ("select", [f]) => {
                self.used(f, input);
                input.clone()
            }
            ("empty" | "null" | "true" | "false" | "nan" | "infinite", []) => Src::Made,
            _ => {
                self.whole(input);
                Src::Made
            }
        }
    }
}

fn index(src: &Src, key: Vec<u8>) -> Src {
    match src {
        Src::Root(path) => {
            let mut path = path.clone();
            path.push(key);
            Src::Root(path)
        }
        Src::Made => Src::Made,
    }
}

/// The text of a string literal without interpolation (`"a"`, `a` in
/// `.a`, `"a\"b"`).
fn literal(t: &Term<&str>) -> Option<Vec<u8>> {
    let Term::Str(None, parts) = t else {
        return None;
    };
    let mut out = String::new();
    for part in parts {
        match part {
            StrPart::Str(s) => out.push_str(s),
            StrPart::Char(c) => out.push(*c),
            StrPart::Term(_) => return None,
        }
    }
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The needed paths, as `a.b` strings, `*` for everything.
    fn paths(program: &str) -> Vec<String> {
        fn walk(n: &Need, at: &str, out: &mut Vec<String>) {
            if n.whole {
                out.push(if at.is_empty() { "*".into() } else { at.into() });
                return;
            }
            for (k, kid) in &n.kids {
                let k = String::from_utf8_lossy(k);
                let next = if at.is_empty() {
                    k.into_owned()
                } else {
                    format!("{at}.{k}")
                };
                walk(kid, &next, out);
            }
        }
        let mut out = Vec::new();
        walk(&Need::of(program), "", &mut out);
        out.sort();
        out
    }

    #[test]
    fn literal_paths_through_select_and_pipes() {
        assert_eq!(
            paths(r#"select(.data.meta.domain == "en.wikipedia.org") | .data.title"#),
            ["data.meta.domain", "data.title"]
        );
        assert_eq!(paths(".data | .a.b, .c"), ["data.a.b", "data.c"]);
        assert_eq!(paths(r#".data."x y" | {k: .z}"#), ["data.x y.z"]);
        assert_eq!(paths("{title: .data.title, id}"), ["data.title", "id"]);
        assert_eq!(paths(".data.a // .data.b"), ["data.a", "data.b"]);
        assert_eq!(
            paths("if .data.a then .data.b else .event end"),
            ["data.a", "data.b", "event"]
        );
        assert_eq!(paths("try .data.a"), ["data.a"]);
        assert_eq!(paths(r#""\(.data.a)-\(.id)""#), ["data.a", "id"]);
        assert_eq!(paths("empty"), Vec::<String>::new());
    }

    #[test]
    fn values_used_as_values_are_needed_whole() {
        assert_eq!(paths(".data.items | length"), ["data.items"]);
        assert_eq!(paths(".data.items[]"), ["data.items"]);
        assert_eq!(paths(".data.items[0].x"), ["data.items"]);
        assert_eq!(paths(".data[.id]"), ["data", "id"]);
        assert_eq!(paths(".data | keys"), ["data"]);
        assert_eq!(paths(".data | to_entries"), ["data"]);
        assert_eq!(paths(".data | map(.x)"), ["data"]);
        assert_eq!(paths(".data | select(has(\"x\"))"), ["data"]);
        assert_eq!(paths(".data | .."), ["data"]);
        assert_eq!(paths(".data.a + 1"), ["data.a"]);
        assert_eq!(paths("[.data.a, .data.b]"), ["data.a", "data.b"]);
        assert_eq!(paths("{(.data.k): .data.v}"), ["data.k", "data.v"]);
        // What a function makes of its input is covered by its input.
        assert_eq!(paths(".data.s | split(\",\") | .[0]"), ["data.s"]);
    }

    #[test]
    fn outputs_that_are_the_input_or_its_data_are_not_built() {
        let plan = |p: &str| {
            let (need, whole) = Need::plan(p);
            let mut kids: Vec<String> = need
                .kids
                .iter()
                .map(|(k, n)| {
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(k),
                        if n.whole { "*" } else { "" }
                    )
                })
                .collect();
            kids.sort();
            (need.whole, kids, whole)
        };
        assert_eq!(plan("."), (false, vec![], Some(Whole::Event)));
        assert_eq!(
            plan(r#"select(.data.type == "edit")"#),
            (false, vec!["data".into()], Some(Whole::Event))
        );
        assert_eq!(
            plan(r#"select(.event == "x") | .data"#),
            (
                false,
                vec!["data".into(), "event*".into()],
                Some(Whole::Data)
            )
        );
        assert_eq!(plan(".data.meta").2, None);
        assert_eq!(plan(".data, .").2, None);
        assert_eq!(plan("keys"), (true, vec![], None));
        assert_eq!(plan(". as $x | $x"), (true, vec![], None));
        assert_eq!(plan(".data | tojson"), (false, vec!["data*".into()], None));
    }

    #[test]
    fn what_it_cannot_follow_needs_everything() {
        for p in [
            ".",
            "keys",
            "tojson",
            ". as $x | $x.data",
            "def f: .data; f",
            "reduce .data.items[] as $i (0; . + $i)",
            ".data.a = 1",
            ".data.a |= 1",
            "label $out | .data",
            "$__loc__",
            "getpath([\"data\", \"a\"])",
            "{$__loc__}",
            "..",
            "if .data.a then .data end",
            "not valid (",
        ] {
            assert_eq!(paths(p), ["*"], "{p}");
        }
    }
}
