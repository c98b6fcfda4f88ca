//! guard_tests: the vector code's reads stay inside the bytes it is given.
//! Each input is placed so that it ends exactly where an inaccessible
//! (`PROT_NONE`) page begins, and, apart, so that it starts exactly where
//! one ends: a read past either end is then a SIGSEGV, not a silent pass.
//! Every length 0..=300 of several kinds of bytes (plain ASCII, escapes
//! and control bytes, high bytes, JSON with strings, escapes, non-ASCII
//! and numbers, SSE streams) goes through each route this CPU has: the
//! escapers (`escape`), the JSON scanner and validator (`json`, AVX2 and
//! AVX-512, copying or not, with the shape memory and the `jq -c` watch),
//! the UTF-8 check, the SSE parser (`sse::Parser`) and the `--jq` walk
//! (`jq::pick`). Valgrind's memcheck runs the AVX2 and scalar routes of
//! the same tests and catches what lands past a heap block (it hides
//! AVX-512).

use super::json::{self, PATH, Path};
use super::{Format, FormatOptions, Formatter};
use std::mem::ManuallyDrop;
use std::ops::ControlFlow::Continue;
use std::time::SystemTime;

/// A mapping of `PAGES` readable pages between two inaccessible ones.
struct Fence {
    base: *mut u8,
}

const PAGE: usize = 4096;
const PAGES: usize = 2;

impl Fence {
    fn new() -> Fence {
        let size = (PAGES + 2) * PAGE;
        // SAFETY: a fresh anonymous mapping; the two mprotects change only
        // pages of it.
        unsafe {
            let base = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(base, libc::MAP_FAILED, "mmap");
            let base = base.cast::<u8>();
            assert_eq!(libc::mprotect(base.cast(), PAGE, libc::PROT_NONE), 0);
            let last = base.add((PAGES + 1) * PAGE);
            assert_eq!(libc::mprotect(last.cast(), PAGE, libc::PROT_NONE), 0);
            Fence { base }
        }
    }

    /// `b` copied so that it ends at the upper guard page (`end`) or
    /// starts at the end of the lower one.
    fn place(&mut self, b: &[u8], end: bool) -> &'static [u8] {
        assert!(b.len() <= PAGES * PAGE);
        let at = match end {
            true => (PAGES + 1) * PAGE - b.len(),
            false => PAGE,
        };
        // SAFETY: `at..at + b.len()` lies in the readable pages; the slice
        // lives until the next `place` (callers drop what they made of it
        // before that) or the fence's end, never written meanwhile.
        unsafe {
            let p = self.base.add(at);
            std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len());
            std::slice::from_raw_parts(p, b.len())
        }
    }
}

impl Fence {
    /// An empty vector whose `cap` bytes of capacity end at the upper
    /// guard page: a store past its capacity is a SIGSEGV. Its memory is
    /// the fence's, not the allocator's, so it must never grow or be
    /// dropped: `cap` is what the code under test reserves (so `reserve`
    /// finds room), and `ManuallyDrop` keeps it from being freed.
    fn out(&mut self, cap: usize) -> ManuallyDrop<Vec<u8>> {
        assert!(cap <= PAGES * PAGE);
        // SAFETY: `cap` bytes before the upper guard page, in the
        // readable pages; the vector is empty, never grown (checked by
        // `unmoved`) and never dropped.
        unsafe {
            let p = self.base.add((PAGES + 1) * PAGE - cap);
            ManuallyDrop::new(Vec::from_raw_parts(p, 0, cap))
        }
    }
}

/// The vector `out` made is where it was: it was not grown.
fn unmoved(v: &[u8], cap: usize, fence: &Fence) {
    // SAFETY: the same address `out` computed.
    let p = unsafe { fence.base.add((PAGES + 1) * PAGE - cap) };
    assert_eq!(v.as_ptr(), p.cast_const(), "the vector grew");
}

impl Drop for Fence {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, with its size.
        unsafe { libc::munmap(self.base.cast(), (PAGES + 2) * PAGE) };
    }
}

/// Runs `f` on `b` placed at both fences.
fn fenced(fence: &mut Fence, b: &[u8], f: &mut impl FnMut(&[u8])) {
    for end in [true, false] {
        f(fence.place(b, end));
    }
}

/// Inputs of length `len` of each kind.
fn inputs(len: usize, rng: &mut fastrand::Rng) -> Vec<Vec<u8>> {
    let pick = |rng: &mut fastrand::Rng, set: &[u8]| set[rng.usize(..set.len())];
    let special: &[u8] = b"\"\\\x00\x1f\n\r\t\x7f\x80\xff\xc3\xa9az{}[]:, 0-.e";
    let mut all = vec![
        vec![b'a'; len],
        vec![b'"'; len],
        (0..len).map(|_| pick(rng, special)).collect(),
        (0..len).map(|_| rng.u8(..)).collect(),
        string_of(len, rng),
        array_of(len, rng),
        sse_of(len, rng),
    ];
    // A realistic event cut to `len`, from its start and from its end.
    let event = event_text(rng);
    let n = len.min(event.len());
    all.push(event[..n].to_vec());
    all.push(event[event.len() - n..].to_vec());
    all
}

/// A JSON object `{"k":"..."}` exactly `len` bytes long (a plain string
/// below 8), whose string holds escapes, non-ASCII and plain text.
fn string_of(len: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let (open, close): (&[u8], &[u8]) = match len {
        0..8 => (b"\"", b""),
        _ => (b"{\"k\":\"", b"\"}"),
    };
    let mut t = open.to_vec();
    let body = len.saturating_sub(open.len() + close.len());
    let pieces: [&[u8]; 8] = [
        b"x",
        b"\\n",
        b"\\\"",
        b"\\u00e9",
        "é".as_bytes(),
        b" ",
        b"1",
        b"\\\\",
    ];
    while t.len() < open.len() + body {
        let p = pieces[rng.usize(..pieces.len())];
        match t.len() + p.len() <= open.len() + body {
            true => t.extend_from_slice(p),
            false => t.push(b'y'),
        }
    }
    t.extend_from_slice(close);
    t.truncate(len);
    t
}

/// A JSON array of numbers and literals exactly `len` bytes long (cut
/// where it does not fit).
fn array_of(len: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let items: [&[u8]; 7] = [b"0", b"-12", b"3.5e-2", b"true", b"null", b"1234567", b"[]"];
    let mut t = b"[".to_vec();
    while t.len() + 8 < len {
        t.extend_from_slice(items[rng.usize(..items.len())]);
        t.push(b',');
    }
    while t.len() + 2 < len {
        t.push(b' ');
    }
    t.extend_from_slice(b"0]");
    t.truncate(len);
    t
}

/// An SSE stream cut to `len` bytes: data lines (short and long, LF, CR
/// and CRLF), other fields, comments and blank lines.
fn sse_of(len: usize, rng: &mut fastrand::Rng) -> Vec<u8> {
    let lines: [&[u8]; 9] = [
        b"data: {\"a\":1}\n",
        b"data:x\r\n",
        b"data: a longer line of data, longer than one block of sixty-four bytes\n",
        b"event: e\r",
        b"id: 7\n",
        b": comment\n",
        b"\n",
        b"\r\n",
        b"data\n",
    ];
    let mut t = Vec::new();
    while t.len() < len {
        t.extend_from_slice(lines[rng.usize(..lines.len())]);
    }
    t.truncate(len);
    t
}

/// A realistic event's data (a change feed's record), a little varied.
fn event_text(rng: &mut fastrand::Rng) -> Vec<u8> {
    let n = rng.u32(..1_000_000);
    format!(
        r#"{{"$schema":"/mediawiki/recentchange/1.0.0","meta":{{"uri":"https://en.wikipedia.org/wiki/Caf%C3%A9","id":"5b1c-{n}","dt":"2024-01-01T00:00:00Z","offset":{n}}},"id":{n},"type":"edit","title":"Café \"Zürich\"","comment":"fix\ttypo\n\\ \u00e9 \ud83d\ude00","minor":false,"length":{{"old":-1.5e3,"new":0.25}},"tags":[null,true,"日本語"]}}"#
    )
    .into_bytes()
}

/// Each route on `b`; the vector routes' answers must be the portable ones.
/// Counts the texts accepted as JSON in `ACCEPTED`.
fn every_route(b: &[u8]) {
    // The escapers.
    let mut want = Vec::new();
    super::escape::tests::portable(&mut want, b);
    for (name, escape) in super::escape::tests::escapers() {
        let mut got = Vec::new();
        // SAFETY: `escapers` lists only what this CPU can run.
        let ascii = unsafe { escape(&mut got, b) };
        assert_eq!((ascii, &got), (b.is_ascii(), &want), "{name}: {b:?}");
    }
    // The scanner, and the validator by each route.
    let scan = json::scan(b, &mut ());
    let text = scan.filter(|_| super::is_utf8(b));
    ACCEPTED.set(ACCEPTED.get() + usize::from(text.is_some()));
    for (name, found) in json::validate_each(b) {
        assert_eq!(found.map(|(s, _)| s), scan, "validator {name}: {b:?}");
        if let Some((_, ascii)) = found {
            assert_eq!(ascii, b.is_ascii(), "validator {name}: {b:?}");
        }
    }
    assert_eq!(json::validate_text(b), text, "{b:?}");
    assert_eq!(super::json_span(b), text.map(|s| (s.start, s.end)));
    // The copying validator by each path, and the `jq -c` watch.
    for path in [Path::Best, Path::NoShape, Path::Avx2] {
        PATH.set(path);
        let mut out = b"x".to_vec();
        let got = json::validate_text_into(b, &mut out);
        let canon = super::copy_if_as_jq_writes_it(b, &mut Vec::new());
        PATH.set(Path::Best);
        assert_eq!(got, text, "{path:?}: {b:?}");
        match got {
            Some(_) => assert_eq!(&out[1..], b, "{path:?}"),
            None => assert_eq!(out, b"x", "{path:?}"),
        }
        if text.is_none() {
            assert!(matches!(
                canon,
                super::Canonical::NotJson | super::Canonical::Unknown
            ));
        }
    }
    assert_eq!(super::is_utf8(b), std::str::from_utf8(b).is_ok(), "{b:?}");
    let mut lossy = Vec::new();
    super::push_text(&mut lossy, b);
    assert_eq!(lossy, String::from_utf8_lossy(b).as_bytes());
    super::push_json_text(&mut Vec::new(), b);
    // Every output format of an event with this data.
    let ev = crate::sse::ev(b"e", b"1", b);
    for format in [Format::Json, Format::Data, Format::Sse] {
        for (json_data, color) in [(false, false), (true, false), (true, true)] {
            let opts = FormatOptions {
                format,
                json_data,
                timestamp: true,
                color,
            };
            let mut out = Vec::new();
            Formatter::new(opts).event(&ev, SystemTime::UNIX_EPOCH, &mut out);
        }
    }
}

thread_local! {
    static ACCEPTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The `--jq` walk over `b` itself (not a padded copy), when it is JSON,
/// and a program's input built from an event with this data.
fn walk(b: &'static [u8], program: &mut crate::jq::Program) {
    drop(program.input(&crate::sse::ev(b"", b"", b), None));
    if super::json_span(b).is_none() {
        return;
    }
    let src = bytes::Bytes::from_static(b);
    let mut vals = Vec::new();
    let need = crate::jq::PickNeed::all();
    let v = crate::jq::Pick::new(&src, &mut vals).value(&need);
    drop(v);
}

/// The SSE parser over `b` as one chunk, and cut in two at every third
/// place, each part fenced on its own; the items must not depend on the cut.
fn parse(fence: &mut Fence, second: &mut Fence, b: &[u8]) {
    let want = items(&[b]);
    for end in [true, false] {
        assert_eq!(items(&[fence.place(b, end)]), want, "{b:?}");
    }
    for cut in (0..=b.len()).step_by(3) {
        let chunks = [fence.place(&b[..cut], true), second.place(&b[cut..], true)];
        assert_eq!(items(&chunks), want, "cut at {cut}: {b:?}");
    }
}

/// What the parser makes of `chunks`, fed in turn, written out.
fn items(chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut p = crate::sse::Parser::new(1 << 10);
    for c in chunks {
        let _ = p.feed(c, |item| {
            out.extend_from_slice(format!("{item:?}|").as_bytes());
            Continue(())
        });
    }
    out
}

#[test]
fn every_route_reads_only_its_input_at_every_length() {
    let mut fence = Fence::new();
    let mut rng = fastrand::Rng::with_seed(17);
    let mut program = crate::jq::Program::compile(".").expect("a program");
    for len in 0..=300 {
        for b in inputs(len, &mut rng) {
            fenced(&mut fence, &b, &mut every_route);
            for end in [true, false] {
                walk(fence.place(&b, end), &mut program);
            }
        }
    }
    // Texts that are JSON are read to their end (a refused one may not
    // be): at most lengths two kinds are, at each fence.
    assert!(ACCEPTED.get() > 2 * 2 * 250, "{}", ACCEPTED.get());
}

/// The escapers and the copying validator store only within the room
/// they reserve: their output vector's capacity ends at a guard page.
fn stores_within_reserve(out: &mut Fence, b: &[u8]) {
    let n = b.len();
    let mut want = Vec::new();
    super::escape::tests::portable(&mut want, b);
    for (name, escape) in super::escape::tests::escapers() {
        // What each reserves: six bytes a byte, and its slack.
        let slack = match name {
            "avx2" => 64,
            "avx512" => 128,
            _ if n < 32 => 64,
            _ => 128,
        };
        let cap = 6 * n + slack;
        let mut v = out.out(cap);
        // SAFETY: `escapers` lists only what this CPU can run.
        unsafe { escape(&mut v, b) };
        unmoved(&v, cap, out);
        assert_eq!(&v[..], &want[..], "{name}");
    }
    for path in [Path::Best, Path::NoShape, Path::Avx2] {
        PATH.set(path);
        let cap = n + 64;
        let mut v = out.out(cap);
        let got = json::validate_text_into(b, &mut v);
        unmoved(&v, cap, out);
        let mut v = out.out(cap);
        super::copy_if_as_jq_writes_it(b, &mut v);
        unmoved(&v, cap, out);
        PATH.set(Path::Best);
        let _ = got;
    }
}

#[test]
fn stores_stay_within_the_room_reserved() {
    let mut fence = Fence::new();
    let mut out = Fence::new();
    let mut rng = fastrand::Rng::with_seed(20);
    for len in 0..=300 {
        for b in inputs(len, &mut rng) {
            fenced(&mut fence, &b, &mut |b| stores_within_reserve(&mut out, b));
        }
    }
}

#[test]
fn the_parser_reads_only_its_chunks_at_every_length() {
    let (mut fence, mut second) = (Fence::new(), Fence::new());
    let mut rng = fastrand::Rng::with_seed(18);
    for len in 0..=300 {
        let b = sse_of(len, &mut rng);
        parse(&mut fence, &mut second, &b);
    }
}

#[test]
fn long_texts_at_the_fence() {
    // Texts of several blocks: the validator's quiet-string loop, the
    // escapers' segments and the shape memory, near both fences.
    let mut fence = Fence::new();
    let mut rng = fastrand::Rng::with_seed(19);
    for len in [1000, 4095, 4096, 4097, 5000, 8000, PAGES * PAGE] {
        let long = "y".repeat(len);
        let mut texts = vec![
            format!(r#"{{"s":"{long}"}}"#).into_bytes(),
            long.into_bytes(),
        ];
        // Events in an array, about `len` bytes.
        let mut events = b"[".to_vec();
        while events.len() < len {
            events.extend_from_slice(&event_text(&mut rng));
            events.extend_from_slice(b",\n");
        }
        events.truncate(events.len() - 2);
        events.push(b']');
        texts.push(events);
        texts.push(string_of(len, &mut rng));
        texts.push(array_of(len, &mut rng));
        for mut t in texts {
            t.truncate(PAGES * PAGE);
            for n in [
                t.len(),
                t.len().saturating_sub(1),
                t.len().saturating_sub(63),
            ] {
                fenced(&mut fence, &t[..n], &mut every_route);
            }
        }
    }
}
