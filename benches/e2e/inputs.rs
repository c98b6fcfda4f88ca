//! The bench's synthetic inputs, generated in memory: tiny events and
//! multi-line data with CRLF line endings (the e2e bench's), and for the
//! parser bench Wikimedia-like big events (ASCII, compact, a 560-byte run
//! of `x`) and JSON events each of another shape. The e2e bench's
//! realistic inputs are in `realistic.rs`.

/// ~900-byte JSON events with `event:` and `id:` lines, about `mb` MB.
#[allow(dead_code)]
pub fn big(mb: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(mb << 20);
    let pad = "x".repeat(560);
    let mut n = 0u64;
    while out.len() < mb << 20 {
        n += 1;
        let kind = ["edit", "new", "log", "categorize"][(n % 4) as usize];
        out.extend_from_slice(
            format!(
                "event: {kind}\nid: [{{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"offset\":{n}}}]\n\
                 data: {{\"$schema\":\"/mediawiki/recentchange/1.0.0\",\"meta\":{{\"uri\":\"https://en.wikipedia.org/wiki/Page_{n}\",\
                 \"domain\":\"en.wikipedia.org\",\"dt\":\"2026-11-24T07:00:00Z\"}},\"id\":{n},\"type\":\"{kind}\",\
                 \"title\":\"Page {n}\",\"comment\":\"/* Section */ fix typo\",\"user\":\"Editor{}\",\"bot\":false,\
                 \"length\":{{\"old\":1234,\"new\":1240}},\"pad\":\"{pad}\"}}\n\n",
                n % 97
            )
            .as_bytes(),
        );
    }
    out
}

/// `data: {"seq":N}` events.
pub fn tiny(count: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(count as usize * 20);
    for n in 0..count {
        out.extend_from_slice(format!("data: {{\"seq\":{n}}}\n\n").as_bytes());
    }
    out
}

/// Multi-line data, CRLF line endings, about `mb` MB.
pub fn multiline(mb: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(mb << 20);
    let mut n = 0u64;
    while out.len() < mb << 20 {
        n += 1;
        out.extend_from_slice(format!("id: {n}\r\n").as_bytes());
        for line in 0..8 {
            out.extend_from_slice(
                format!("data: line {line} of event {n}, some text to carry along\r\n").as_bytes(),
            );
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// JSON events of a few hundred bytes, each of a shape drawn at random (1 to 25
/// members, of numbers, literals, strings, arrays and objects, nested up
/// to three deep), about `mb` MB: the case a validator that remembers the
/// last shape gains nothing on. (Only the parser bench formats it.)
#[allow(dead_code)]
pub fn varied(mb: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(mb << 20);
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let mut n = 0u64;
    while out.len() < mb << 20 {
        n += 1;
        out.extend_from_slice(format!("id: {n}\ndata: {{").as_bytes());
        for member in 0..=next(24) {
            if member > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("\"key{member}\":").as_bytes());
            value(&mut out, &mut next, 0);
        }
        out.extend_from_slice(b"}\n\n");
    }
    out
}

#[allow(dead_code)]
fn value(out: &mut Vec<u8>, next: &mut impl FnMut(u64) -> u64, depth: u32) {
    match next(if depth < 3 { 10 } else { 7 }) {
        0..=2 => out.extend_from_slice(next(1 << 30).to_string().as_bytes()),
        3 => out.extend_from_slice([&b"true"[..], b"false", b"null"][next(3) as usize]),
        4..=6 => {
            out.push(b'"');
            out.extend(std::iter::repeat_n(b's', next(40) as usize));
            out.push(b'"');
        }
        7 | 8 => {
            out.push(b'[');
            for i in 0..next(5) {
                if i > 0 {
                    out.push(b',');
                }
                value(out, next, depth + 1);
            }
            out.push(b']');
        }
        _ => {
            out.push(b'{');
            for i in 0..next(5) {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(format!("\"k{i}\":").as_bytes());
                value(out, next, depth + 1);
            }
            out.push(b'}');
        }
    }
}

/// How many events an input holds (blank lines that end one).
pub fn count_events(input: &[u8]) -> u64 {
    let lf = input.windows(2).filter(|w| w == b"\n\n").count();
    let crlf = input.windows(4).filter(|w| w == b"\r\n\r\n").count();
    (lf + crlf) as u64
}
