//! The bench's inputs, generated in memory: Wikimedia-like big events, tiny
//! events, and multi-line data with CRLF line endings.

/// ~900-byte JSON events with `event:` and `id:` lines, about `mb` MB.
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

/// How many events an input holds (blank lines that end one).
pub fn count_events(input: &[u8]) -> u64 {
    let lf = input.windows(2).filter(|w| w == b"\n\n").count();
    let crlf = input.windows(4).filter(|w| w == b"\r\n\r\n").count();
    (lf + crlf) as u64
}
