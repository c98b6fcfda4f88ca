//! The data loop against the reference model: inputs with runs of `data:`
//! lines long enough for the loop (it needs a value's 64 bytes and one more
//! in the chunk), cut everywhere, with caps that end a run inside it.

use super::super::tests::chunking::reference;
use super::super::tests::{DEF, Own, ev, feed_chunks, parse_cap};
use super::super::{Item, Parser};
use proptest::prelude::*;
use std::ops::ControlFlow::{Break, Continue};

/// Every one-cut and two-cut chunking (the second cut a few bytes on), and
/// byte by byte, gives the one-shot items, which are the reference's.
fn check_cuts(input: &[u8], max: usize) {
    let whole = parse_cap(input, max);
    assert_eq!(whole, reference(input, max), "{:?}", input.escape_ascii());
    for a in 0..=input.len() {
        for b in [a, a + 1, a + 2, a + 5, a + 64, a + 71] {
            let b = b.min(input.len());
            let mut p = Parser::new(max);
            let got = feed_chunks(&mut p, [&input[..a], &input[a..b], &input[b..]]);
            assert_eq!(got, whole, "{:?} cut at {a}, {b}", input.escape_ascii());
        }
    }
    let mut p = Parser::new(max);
    assert_eq!(feed_chunks(&mut p, input.chunks(1)), whole);
}

/// A value of `n` bytes that is not all the same (so a copy that is off by
/// one shows).
fn value(n: usize) -> Vec<u8> {
    (0..n).map(|i| b"abcdefghij:klmn opq"[i % 19]).collect()
}

#[test]
fn runs_of_data_lines_with_every_terminator_and_length() {
    for term in [&b"\r\n"[..], b"\n", b"\r"] {
        let mut input = b"id: 7\r\n".to_vec();
        // Values around the 64-byte block: shorter ones are taken by the
        // loop, longer ones end a run and start the next.
        for n in [0, 1, 5, 40, 62, 63, 64, 65, 70, 130, 3, 0] {
            input.extend_from_slice(if n % 2 == 0 { b"data: " } else { b"data:" });
            input.extend_from_slice(&value(n));
            input.extend_from_slice(term);
        }
        input.extend_from_slice(term);
        input.extend_from_slice(b"data:  two spaces\r\ndata:x\r\ndatax: no\r\ndata\r\n\r\n");
        check_cuts(&input, DEF);
    }
}

#[test]
fn a_cap_reached_inside_a_run_drops_the_event() {
    let mut input = Vec::new();
    for _ in 0..12 {
        input.extend_from_slice(b"data: ");
        input.extend_from_slice(&value(40));
        input.extend_from_slice(b"\r\n");
    }
    input.extend_from_slice(b"\r\ndata: after\r\n\r\n");
    // (Room after the last line, so the loop can take it too.)
    input.extend_from_slice(&[b':'; 80]);
    input.extend_from_slice(b"\r\n");
    // 12 lines of 41 bytes: 491 bytes of data (the last LF is none).
    // Caps just below, at and above a line's end.
    for max in [0, 39, 40, 41, 121, 122, 123, 300, 490, 491, 492] {
        check_cuts(&input, max);
    }
    assert_eq!(
        parse_cap(&input, 300),
        [
            Own::Dropped(491),
            ev("after"),
            Own::Comment([b':'; 79].to_vec())
        ]
    );
    assert_eq!(parse_cap(&input, 491).len(), 3);
    assert_eq!(parse_cap(&input, 490)[0], Own::Dropped(491));
}

#[test]
fn a_break_after_a_run_stops_at_once() {
    let mut input = Vec::new();
    for event in 0..3 {
        for _ in 0..5 {
            input.extend_from_slice(format!("data: event {event} ").as_bytes());
            input.extend_from_slice(&value(30));
            input.extend_from_slice(b"\r\n");
        }
        input.extend_from_slice(b"\r\n");
    }
    let mut p = Parser::new(DEF);
    let mut seen = Vec::new();
    let flow = p.feed(&input, |item| {
        seen.push(Own::from(item));
        Break(())
    });
    assert_eq!(flow, Break(()));
    assert_eq!(seen.len(), 1);
    let Own::Event { data, .. } = &seen[0] else {
        panic!("{seen:?}")
    };
    assert_eq!(data.split(|&c| c == b'\n').count(), 5);
    assert!(data.starts_with(b"event 0 abc"));
}

#[test]
fn a_one_line_event_is_still_dispatched_from_the_chunk() {
    // (The loop takes further lines only; a one-line event's data stays a
    // view of the chunk, so the data buffer is never used.)
    let mut input = Vec::new();
    for _ in 0..4 {
        input.extend_from_slice(b"data: ");
        input.extend_from_slice(&value(50));
        input.extend_from_slice(b"\r\n\r\n");
    }
    let mut p = Parser::new(DEF);
    let mut n = 0;
    let _ = p.feed(&input, |item| {
        assert!(matches!(item, Item::Event(e) if e.data == value(50)));
        n += 1;
        Continue(())
    });
    assert_eq!(n, 4);
    assert_eq!(p.data.capacity(), 0);
}

#[test]
fn the_loop_takes_lines_whose_end_lies_in_a_whole_block() {
    // Blocks are counted from where the run starts; a line of any length
    // is taken when its end lies in a whole block of the chunk (and a CR's
    // next byte is in the chunk, to tell CRLF from CR).
    use super::{Portable, run};
    for head in [&b"data: "[..], b"data:"] {
        for n in [0, 1, 57, 58, 59, 62, 63, 64, 130] {
            for term in [&b"\r\n"[..], b"\n", b"\r"] {
                let line = [head, &value(n), term].concat();
                let end = line.len() - term.len();
                for room in [0, 1, 80] {
                    let input = [&line[..], &vec![b'x'; room]].concat();
                    let whole = (end / 64 + 1) * 64 <= input.len();
                    let taken = whole && (term != b"\r" || end + 1 < input.len());
                    let mut buf = Vec::new();
                    let got = run(Portable, &mut buf, &input, 0, DEF);
                    let what = format!("{:?} + {room}", line.escape_ascii());
                    assert_eq!(got, if taken { line.len() } else { 0 }, "{what}");
                    let want = if taken {
                        [&value(n)[..], b"\n"].concat()
                    } else {
                        vec![]
                    };
                    assert_eq!(buf, want, "{what}");
                }
            }
        }
    }
}

#[test]
fn a_crlf_split_by_a_block_edge_does_not_end_a_run() {
    // The LF of a CRLF whose CR ends a block is no line end of its own: a
    // long run of CRLF lines is taken whole.
    use super::{Portable, run};
    let mut input = Vec::new();
    for n in 0..60 {
        input.extend_from_slice(b"data: ");
        input.extend_from_slice(&value(n % 17));
        input.extend_from_slice(b"\r\n");
    }
    let run_len = input.len();
    assert!((0..run_len).any(|i| i % 64 == 63 && input[i] == b'\r'));
    input.extend_from_slice(&[b'x'; 80]);
    let mut buf = Vec::new();
    assert_eq!(run(Portable, &mut buf, &input, 0, DEF), run_len);
    assert_eq!(buf.iter().filter(|&&c| c == b'\n').count(), 60);
}

/// One line of a data-heavy stream.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let prefix = prop::sample::select(vec![
        &b"data: "[..],
        b"data: ",
        b"data: ",
        b"data:",
        b"data:  ",
        b"id: ",
        b"event: ",
        b": ",
        b"dat: ",
        b"",
    ]);
    let byte = prop::sample::select(b"ab :\t\0\xFFz".to_vec());
    let term = prop::sample::select(vec![&b"\r\n"[..], b"\r\n", b"\n", b"\r"]);
    let field = (prefix, prop::collection::vec(byte, 0..90), term.clone())
        .prop_map(|(p, v, t)| [p, &v[..], t].concat());
    // A blank line ends an event now and then.
    prop_oneof![6 => field, 1 => term.prop_map(<[u8]>::to_vec)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn data_heavy_streams_give_the_reference_items_whatever_the_chunking(
        lines in prop::collection::vec(line(), 0..40),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
        max in prop_oneof![Just(DEF), 0usize..600],
    ) {
        let input = lines.concat();
        let whole = parse_cap(&input, max);
        prop_assert_eq!(&whole, &reference(&input, max));
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
        at.push(0);
        at.push(input.len());
        at.sort_unstable();
        let chunks = at.windows(2).map(|w| &input[w[0]..w[1]]);
        let mut p = Parser::new(max);
        prop_assert_eq!(feed_chunks(&mut p, chunks), whole);
    }
}

/// The portable loop and the AVX2 one take the same lines to the same
/// buffer, from every start, with caps and buffer sizes that stop them.
#[test]
fn the_portable_loop_agrees_with_the_avx2_one() {
    use super::{Portable, run};
    let mut rng = fastrand::Rng::with_seed(16);
    for _ in 0..3000 {
        let mut input = Vec::new();
        while input.len() < 400 {
            input.extend_from_slice([&b"data: "[..], b"data:", b"id: "][rng.usize(..3)]);
            for _ in 0..rng.usize(0..80) {
                let kinds = if rng.u8(..8) == 0 { 9 } else { 3 };
                input.push(b"ab \t:\r\n\0\xFF"[rng.usize(..kinds)]);
            }
            input.extend_from_slice([&b"\r\n"[..], b"\n", b"\r"][rng.usize(..3)]);
        }
        let max = [DEF, rng.usize(..600)][rng.usize(..2)];
        let mut buf = Vec::with_capacity(rng.usize(..200));
        buf.extend_from_slice(b"pending\n");
        let pos = rng.usize(..input.len());
        let mut want = buf.clone();
        let end = run(Portable, &mut want, &input, pos, max);
        assert!(want.len() <= max.max(8));
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = super::avx2::Avx2::detect() {
            let mut got = buf.clone();
            assert_eq!(super::avx2::run(avx2, &mut got, &input, pos, max), end);
            assert_eq!(got, want);
        }
    }
}
