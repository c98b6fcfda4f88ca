//! Chunking invariance: the items do not depend on where the stream is cut
//! (every split of tricky inputs, and proptests over random ones).

use super::*;

/// Inputs whose items must not depend on where the stream is cut.
const TRICKY: &[(&[u8], usize)] = &[
    (b"data: a\r\ndata: b\r\n\r\ndata: c\r\r", DEF),
    (b"\xEF\xBB\xBFdata: x\n\n", DEF),
    (b"\xEF\xBBdata: x\n\n\xEFdata: y\n\ndata: z\n\n", DEF),
    (b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n", DEF),
    (b"\xEF\xBB\xBF\r\n\r\ndata: x\r\n\r\n", DEF),
    (b"event: e\rid: 1\rdata: l1\rdata:l2\rdata\r\r\n\n", DEF),
    (b": c1\n:c2\r\n:  c3\r:\n:\r\ndata: x\n\n", DEF),
    (
        b"retry: 123\nretry: 12x\nretry:\nretry\nretry: 99999999999999999999999\n",
        DEF,
    ),
    (b"id: 1\n\nid\n\nid: a\0b\ndata: x\n\nid: 2\ndata\n\n", DEF),
    (b"datadata: x\nretryy: 5\nDATA: y\nd: z\n:\n\n", DEF),
    (b"data: 0123456789\n\ndata: ok\n\n", 8),
    (b"data: abcdefg\n\ndata: abcdefgh\n\ndata\ndata\n\n", 8),
    (b"data: abc\ndata: defg\n\nid: 12345678901\ndata: x\n\n", 8),
    (
        b"event: longlongname\ndata: y\n\n:0123456789\n: ok\n\nid: 123456789\0\n\n",
        8,
    ),
    (b"data: 12\r\ndata: 34\r\nid: 5\r\n\r\ndata: x\r\n", 4),
    (b"data:x\n\n", 0),
];

#[test]
fn items_are_the_same_whatever_the_chunking() {
    for &(input, max) in TRICKY {
        let whole = parse_cap(input, max);
        assert_eq!(whole, reference(input, max), "{:?}", input.escape_ascii());
        for cut in 0..=input.len() {
            let mut p = Parser::new(max);
            let got = feed_chunks(&mut p, [&input[..cut], &input[cut..]]);
            assert_eq!(got, whole, "{:?} cut at {cut}", input.escape_ascii());
        }
        let mut p = Parser::new(max);
        let got = feed_chunks(&mut p, input.chunks(1));
        assert_eq!(got, whole, "{:?} byte by byte", input.escape_ascii());
    }
}

/// A naive whole-stream model of the rules: strip one BOM, split the whole
/// input into terminated lines, interpret each.
pub(in crate::sse) fn reference(input: &[u8], max: usize) -> Vec<Own> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut lines = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < input.len() {
        if input[i] == b'\n' || input[i] == b'\r' {
            lines.push(&input[start..i]);
            if input[i] == b'\r' && input.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
            start = i + 1;
        }
        i += 1;
    }
    let mut out = Vec::new();
    let (mut data, mut size, mut over_len, mut over) = (Vec::new(), 0usize, 0usize, false);
    let (mut ty, mut id_buf, mut own) = (Vec::new(), Vec::new(), false);
    for line in lines {
        if line.is_empty() {
            // The last event ID string is the buffer as of this blank line.
            if over {
                out.push(Own::Dropped(size.saturating_sub(1).max(over_len)));
            } else if !data.is_empty() {
                data.pop();
                out.push(Own::Event {
                    ty: ty.clone(),
                    id: id_buf.clone(),
                    data: data.clone(),
                    own_id: own,
                });
            }
            (data, size, over_len, over, ty, own) = (vec![], 0, 0, false, vec![], false);
            continue;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(c) => (&line[..c], &line[c + 1..]),
            None => (line, &line[..0]),
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match name {
            b"" if value.len() <= max => out.push(Own::Comment(value.to_vec())),
            b"data" => {
                size += value.len() + 1;
                over |= size > max + 1;
                if over {
                    data.clear();
                } else {
                    data.extend_from_slice(value);
                    data.push(b'\n');
                }
            }
            b"event" | b"id" if value.contains(&0) && name == b"id" => {}
            b"event" | b"id" if value.len() > max => {
                over = true;
                over_len = over_len.max(value.len());
                data.clear();
            }
            b"event" => ty = value.to_vec(),
            b"id" => (id_buf, own) = (value.to_vec(), true),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |ms, &d| {
                    ms.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                out.push(Own::Retry(ms));
            }
            _ => {}
        }
    }
    out
}

/// Tokens that make parsing interesting, repeated to weigh them.
fn token() -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(vec![
        &b":"[..],
        b":",
        b"\r",
        b"\r",
        b"\n",
        b"\n",
        b"\r\n",
        b" ",
        b" ",
        b"d",
        b"a",
        b"t",
        b"data",
        b"data",
        b"data:",
        b"data: ",
        b"id",
        b"id:",
        b"event",
        b"retry",
        b"retry:",
        b"\xEF",
        b"\xBB",
        b"\xBF",
        b"\xEF\xBB\xBF",
        b"\0",
        b"\xFF",
        b"1",
        b"9",
        b"x",
        b"\t",
    ])
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(token(), 0..150).prop_map(|tokens| tokens.concat())
}

/// Cut `input` at the given positions (in any order, repeats allowed).
fn cut<'a>(input: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
    at.push(0);
    at.push(input.len());
    at.sort_unstable();
    at.windows(2).map(|w| &input[w[0]..w[1]]).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_chunking_gives_the_one_shot_items(
        input in stream(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        max in prop_oneof![Just(DEF), 0usize..16],
    ) {
        let whole = parse_cap(&input, max);
        prop_assert_eq!(&whole, &reference(&input, max));
        let mut p = Parser::new(max);
        let got = feed_chunks(&mut p, cut(&input, &cuts));
        prop_assert_eq!(got, whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        input in prop::collection::vec(any::<u8>(), 0..400),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        max in prop_oneof![Just(DEF), 0usize..64],
    ) {
        let whole = parse_cap(&input, max);
        let mut p = Parser::new(max);
        prop_assert_eq!(feed_chunks(&mut p, cut(&input, &cuts)), whole);
    }
}
