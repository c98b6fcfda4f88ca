//! Realistic inputs for the e2e bench, generated (seeded, no network):
//! Wikimedia recentchange events as Wikimedia sends them (compact, ~30
//! members, four event shapes with their own fields, numbers, nested
//! `meta`, short strings, non-ASCII titles and users in a share of events,
//! HTML with escaped quotes in `parsedcomment`), the same events written
//! with Python's default separators (`", "`, `": "`) and pretty-printed
//! over several `data:` lines (Python's `indent=2`), OpenAI-style chat
//! completion chunks, and small multi-line CRLF events.
//!
//! Text stays UTF-8 in every style (`ensure_ascii=False`, as Wikimedia and
//! most servers write it): `\uXXXX` for non-ASCII is not modelled.

/// A JSON value, written in one of three styles.
enum J {
    Int(i64),
    Bool(bool),
    Null,
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No whitespace (`JSON.stringify`, Wikimedia).
    Compact,
    /// Python's `json.dumps` default separators.
    Spaced,
    /// Python's `json.dumps(indent=2)`: one `data:` line per JSON line.
    Pretty,
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write(v: &J, style: Style, depth: usize, out: &mut String) {
    let (comma, colon) = match style {
        Style::Compact => (",", ":"),
        Style::Spaced => (", ", ": "),
        Style::Pretty => (",", ": "),
    };
    let newline = |out: &mut String, d: usize| {
        if style == Style::Pretty {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', 2 * d));
        }
    };
    match v {
        J::Int(n) => out.push_str(&n.to_string()),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Null => out.push_str("null"),
        J::Str(s) => write_str(s, out),
        J::Arr(a) if a.is_empty() => out.push_str("[]"),
        J::Obj(o) if o.is_empty() => out.push_str("{}"),
        J::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(comma);
                }
                newline(out, depth + 1);
                write(x, style, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        J::Obj(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(comma);
                }
                newline(out, depth + 1);
                write_str(k, out);
                out.push_str(colon);
                write(x, style, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

/// xorshift64: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// (domain, wiki, share in percent, title words)
const WIKIS: [(&str, &str, u64, &[&str]); 8] = [
    (
        "en.wikipedia.org",
        "enwiki",
        35,
        &[
            "List", "of", "Battle", "River", "Station", "Album", "Election", "Church",
        ],
    ),
    ("www.wikidata.org", "wikidatawiki", 25, &[]),
    (
        "commons.wikimedia.org",
        "commonswiki",
        15,
        &["File:IMG", "Category:Churches", "File:Bahnhof", "File:DSC"],
    ),
    (
        "de.wikipedia.org",
        "dewiki",
        8,
        &[
            "Straße",
            "in",
            "München",
            "Bürgermeister",
            "Kölner",
            "Brücke",
        ],
    ),
    (
        "fr.wikipedia.org",
        "frwiki",
        6,
        &[
            "Église",
            "Saint-Étienne",
            "de",
            "Liste",
            "élections",
            "château",
        ],
    ),
    (
        "ja.wikipedia.org",
        "jawiki",
        4,
        &["東京都", "の", "歴史", "駅", "日本", "アニメ"],
    ),
    (
        "ru.wikipedia.org",
        "ruwiki",
        4,
        &["Москва", "Список", "река", "Улица", "станция"],
    ),
    (
        "zh.wikipedia.org",
        "zhwiki",
        3,
        &["北京", "历史", "列表", "车站", "中国"],
    ),
];

const USERS: [&str; 10] = [
    "Editor",
    "WikiGnome",
    "Müller",
    "Пользователь",
    "ユーザー",
    "InternetArchiveBot",
    "Citation bot",
    "Jean-Émile",
    "2001:db8::",
    "192.0.2.",
];

const SECTIONS: [&str; 6] = [
    "History",
    "Early life",
    "Geschichte",
    "Références",
    "歴史",
    "Career",
];

fn title(rng: &mut Rng, words: &[&str], n: u64) -> String {
    if words.is_empty() {
        return format!("Q{}", 1000 + n % 120_000_000);
    }
    let k = 1 + rng.below(4) as usize;
    let mut t: Vec<&str> = (0..k).map(|_| rng.pick(words)).collect();
    let num = (n % 9000).to_string();
    if rng.chance(40) {
        t.push(&num);
    }
    t.join(" ")
}

/// One recentchange event of the given kind.
fn recentchange(rng: &mut Rng, n: u64) -> J {
    let mut roll = rng.below(100);
    let &(domain, wiki, _, words) = WIKIS
        .iter()
        .find(|w| {
            let hit = roll < w.2;
            roll = roll.saturating_sub(w.2);
            hit
        })
        .unwrap_or(&WIKIS[0]);
    let kind = match rng.below(100) {
        0..=64 => "edit",
        65..=74 => "new",
        75..=89 => "categorize",
        _ => "log",
    };
    let title = title(rng, words, n);
    let url_title = title.replace(' ', "_");
    let server = format!("https://{domain}");
    let uri = format!("{server}/wiki/{url_title}");
    let base_user = USERS[rng.below(USERS.len() as u64) as usize];
    let user = if base_user.ends_with(':') || base_user.ends_with('.') {
        format!("{base_user}{}", rng.below(255))
    } else {
        format!("{base_user}{}", rng.below(500))
    };
    let bot = base_user.ends_with("bot") || base_user.ends_with("Bot");
    let section = rng.pick(&SECTIONS);
    let (comment, parsed) = match kind {
        "categorize" => (
            format!("[[:{title}]] added to category"),
            format!(
                "<a href=\"/wiki/{url_title}\" title=\"{title}\">{title}</a> added to category"
            ),
        ),
        "log" => (
            "Spam: adding external links".to_string(),
            "Spam: adding external links".to_string(),
        ),
        _ if rng.chance(20) => (String::new(), String::new()),
        _ if rng.chance(5) => (
            format!("/* {section} */ \"quoted\" wording"),
            format!(
                "<span dir=\"auto\"><span class=\"autocomment\">→\u{200e}{section}: </span> \"quoted\" wording</span>"
            ),
        ),
        _ => (
            format!("/* {section} */ fix typo"),
            format!(
                "<span dir=\"auto\"><span class=\"autocomment\"><a href=\"/wiki/{url_title}#{section}\" title=\"{title}\">→\u{200e}{section}</a>: </span> fix typo</span>"
            ),
        ),
    };
    let ts = 1_765_090_000 + n as i64 / 50;
    let offset = 5_179_000_000 + n as i64;
    let s = |t: &str| J::Str(t.to_string());
    let mut m: Vec<(&'static str, J)> = vec![
        ("$schema", s("/mediawiki/recentchange/1.0.0")),
        (
            "meta",
            J::Obj(vec![
                ("uri", J::Str(uri)),
                (
                    "request_id",
                    J::Str(format!(
                        "{:016x}-{:04x}",
                        n.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        n % 65536
                    )),
                ),
                (
                    "id",
                    J::Str(format!(
                        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                        n as u32,
                        rng.below(65536),
                        rng.below(4096),
                        rng.below(4096),
                        rng.below(1 << 48)
                    )),
                ),
                ("domain", s(domain)),
                ("stream", s("mediawiki.recentchange")),
                (
                    "dt",
                    J::Str(format!(
                        "2026-12-07T08:{:02}:{:02}.{:03}Z",
                        (n / 60) % 60,
                        n % 60,
                        n % 1000
                    )),
                ),
                ("topic", s("eqiad.mediawiki.recentchange")),
                ("partition", J::Int(0)),
                ("offset", J::Int(offset)),
            ]),
        ),
    ];
    if kind != "log" || rng.chance(50) {
        m.push(("id", J::Int(1_800_000_000 + n as i64)));
    }
    m.push(("type", s(kind)));
    m.push((
        "namespace",
        J::Int(match kind {
            "categorize" => 14,
            "log" => 2,
            _ => 0,
        }),
    ));
    m.push(("title", J::Str(title.clone())));
    m.push(("title_url", J::Str(format!("{server}/wiki/{url_title}"))));
    m.push(("comment", J::Str(comment)));
    m.push(("timestamp", J::Int(ts)));
    m.push(("user", J::Str(user)));
    m.push(("bot", J::Bool(bot)));
    if kind == "edit" || kind == "new" {
        let old = 1000 + rng.below(90_000) as i64;
        let rev = 1_260_000_000 + n as i64;
        m.push((
            "notify_url",
            J::Str(format!("{server}/w/index.php?diff={rev}&oldid={}", rev - 7)),
        ));
        m.push(("minor", J::Bool(rng.chance(30))));
        m.push(("patrolled", J::Bool(rng.chance(60))));
        if kind == "edit" {
            m.push((
                "length",
                J::Obj(vec![
                    ("old", J::Int(old)),
                    ("new", J::Int(old + rng.below(400) as i64 - 100)),
                ]),
            ));
            m.push((
                "revision",
                J::Obj(vec![("old", J::Int(rev - 7)), ("new", J::Int(rev))]),
            ));
        } else {
            m.push(("length", J::Obj(vec![("new", J::Int(old))])));
            m.push(("revision", J::Obj(vec![("new", J::Int(rev))])));
        }
    }
    if kind == "log" {
        m.push(("log_id", J::Int(170_000_000 + n as i64)));
        let (ty, action) = [
            ("block", "block"),
            ("delete", "delete"),
            ("newusers", "create"),
            ("patrol", "patrol"),
        ][rng.below(4) as usize];
        m.push(("log_type", s(ty)));
        m.push(("log_action", s(action)));
        let params = match ty {
            "block" => J::Obj(vec![
                ("duration", s("1 week")),
                ("flags", J::Arr(vec![s("nocreate"), s("noautoblock")])),
                ("sitewide", J::Bool(true)),
            ]),
            "patrol" => J::Obj(vec![
                ("curid", J::Int(1_260_000_000 + n as i64)),
                ("previd", J::Int(1_259_999_000 + n as i64)),
                ("auto", J::Int(0)),
            ]),
            _ => J::Arr(Vec::new()),
        };
        m.push(("log_params", params));
        m.push((
            "log_action_comment",
            J::Str(format!("{action}ed [[{title}]]")),
        ));
    }
    m.push(("server_url", J::Str(server)));
    m.push(("server_name", s(domain)));
    m.push(("server_script_path", s("/w")));
    m.push(("wiki", s(wiki)));
    m.push(("parsedcomment", J::Str(parsed)));
    if rng.chance(2) {
        m.push(("tags", J::Null));
    }
    J::Obj(m)
}

/// Wikimedia's EventStreams framing around recentchange events, about `mb`
/// MB, in `style`.
pub fn wikimedia(mb: usize, style: Style) -> Vec<u8> {
    let mut rng = Rng(0x5EED_0000_0000_0027);
    let mut out = String::with_capacity(mb << 20);
    let mut json = String::new();
    let mut n = 0u64;
    while out.len() < mb << 20 {
        n += 1;
        let v = recentchange(&mut rng, n);
        json.clear();
        write(&v, style, 0, &mut json);
        out.push_str("event: message\n");
        out.push_str(&format!(
            "id: [{{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"timestamp\":{}}},{{\"topic\":\"codfw.mediawiki.recentchange\",\"partition\":0,\"offset\":-1}}]\n",
            1_765_090_000_000 + n * 17
        ));
        for line in json.split('\n') {
            out.push_str("data: ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
    out.into_bytes()
}

const TOKENS: [&str; 16] = [
    " the", " of", " and", " to", "ing", " a", " in", " is", " that", " for", "é", " на", "。",
    " data", "\n", " \"",
];

/// OpenAI-style chat completion chunks (`data:` only, one token each), a
/// `[DONE]` after each completion of ~300 tokens; about `mb` MB.
pub fn openai(mb: usize) -> Vec<u8> {
    let mut rng = Rng(0x0A1C_0000_0000_0027);
    let mut out = String::with_capacity(mb << 20);
    let mut completion = 0u64;
    while out.len() < mb << 20 {
        completion += 1;
        let id = format!(
            "chatcmpl-{:020x}",
            completion.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        );
        let created = 1_765_090_000 + completion;
        let chunk = |delta: J, finish: J, out: &mut String| {
            let v = J::Obj(vec![
                ("id", J::Str(id.clone())),
                ("object", J::Str("chat.completion.chunk".into())),
                ("created", J::Int(created as i64)),
                ("model", J::Str("gpt-4o-mini-2024-07-18".into())),
                ("system_fingerprint", J::Str("fp_0ba0d124f1".into())),
                (
                    "choices",
                    J::Arr(vec![J::Obj(vec![
                        ("index", J::Int(0)),
                        ("delta", delta),
                        ("logprobs", J::Null),
                        ("finish_reason", finish),
                    ])]),
                ),
            ]);
            out.push_str("data: ");
            write(&v, Style::Compact, 0, out);
            out.push_str("\n\n");
        };
        let role = J::Obj(vec![
            ("role", J::Str("assistant".into())),
            ("content", J::Str(String::new())),
            ("refusal", J::Null),
        ]);
        chunk(role, J::Null, &mut out);
        for _ in 0..200 + rng.below(200) {
            let token = rng.pick(&TOKENS).to_string();
            chunk(J::Obj(vec![("content", J::Str(token))]), J::Null, &mut out);
        }
        chunk(J::Obj(Vec::new()), J::Str("stop".into()), &mut out);
        out.push_str("data: [DONE]\n\n");
    }
    out.into_bytes()
}

/// Small multi-line CRLF events: `event:`, `id:` and three short data
/// lines (~90 bytes an event), where per-line and per-event costs rule.
pub fn multiline_small(count: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(count as usize * 90);
    for n in 0..count {
        out.extend_from_slice(
            format!(
                "event: update\r\nid: {n}\r\ndata: line one of {n}\r\ndata: line two\r\ndata: {{\"n\":{n}}}\r\n\r\n"
            )
            .as_bytes(),
        );
    }
    out
}
