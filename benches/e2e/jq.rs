//! The `--jq` section: on the Wikimedia stream as Wikimedia writes it
//! (compact), with Python's default separators, and pretty-printed over
//! several `data:` lines, side by side in one run: `--json-data`, `--jq .`,
//! a filter that passes whole events, select-and-project, object and
//! `@tsv` programs, and the select-and-project program through
//! `ssetap --json-data | jq -c` (Debian's jq) and `| jaq -c` (when jaq is
//! installed); then peak RSS of `--jq` at 130 MB and 1.3 GB.

use crate::realistic::{self, Style};
use crate::{BIN, Verdicts, inputs, measure, mib, row, serve};
use std::sync::Arc;

const PROGRAM: &str = r#"select(.data.meta.domain == "en.wikipedia.org") | .data.title"#;
/// A filter that passes whole events on (Kafka Connect's Filter SMT).
const FILTER: &str = r#"select(.data.type == "edit")"#;
/// Small values built from a few fields.
const OBJECT: &str = "{t: .data.title, u: .data.user}";
const TSV: &str = ".data | [.user, .wiki] | @tsv";

pub fn report(quick: bool, runs: usize, verdicts: &mut Verdicts) {
    let scale = if quick { 10 } else { 1 };
    let version = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|_| "not installed".into())
    };
    let have_jaq = measure::have("jaq");
    let styles = [
        ("compact", Style::Compact),
        ("Python's separators", Style::Spaced),
        ("pretty-printed", Style::Pretty),
    ];
    println!(
        "PROGRAM is `{PROGRAM}`, FILTER `{FILTER}`, OBJECT `{OBJECT}`, TSV `{TSV}`; \
         jq is Debian's {}, jaq {}.\n",
        version("jq"),
        if have_jaq {
            version("jaq")
        } else {
            "not installed".into()
        }
    );
    let quoted = format!("'{PROGRAM}'");
    for (style_name, style) in styles {
        let body = Arc::new(realistic::wikimedia(130 / scale, style));
        let events = inputs::count_events(&body);
        let bytes = body.len() as u64;
        let url = serve::start(Arc::clone(&body), 1);
        println!(
            "## --jq, Wikimedia {style_name}: {events} events, {:.0} MB\n",
            bytes as f64 / 1e6
        );
        println!(
            "| contender | wall ms | CPU ms | events/s | MB/s | peak RSS MiB | vs --json-data |"
        );
        println!("|---|---|---|---|---|---|---|");
        let ours = |flags: &str| format!("{BIN} {url} --no-reconnect -q {flags}");
        let mut scripts = vec![
            ("ssetap --json-data", ours("--json-data")),
            ("ssetap --jq .", ours("--jq .")),
            ("ssetap --jq FILTER", ours(&format!("--jq '{FILTER}'"))),
            ("ssetap --jq PROGRAM", ours(&format!("--jq {quoted}"))),
            ("ssetap --jq OBJECT", ours(&format!("--jq '{OBJECT}'"))),
            ("ssetap --jq TSV", ours(&format!("--jq '{TSV}'"))),
            (
                "ssetap --json-data \\| jq -c PROGRAM",
                format!("{} | jq -c {quoted}", ours("--json-data")),
            ),
        ];
        if have_jaq {
            scripts.push((
                "ssetap --json-data \\| jaq -c PROGRAM",
                format!("{} | jaq -c {quoted}", ours("--json-data")),
            ));
        }
        let all: Vec<String> = scripts.iter().map(|s| s.1.clone()).collect();
        let results = measure::rounds(&all, runs);
        let base = results[0].as_ref();
        for ((label, _), r) in scripts.iter().zip(&results) {
            match r {
                Some(s) => row(label, &s.median, events, bytes, base.map(|b| s.ratio(b))),
                None => println!("| {label} | (failed) | | | | | |"),
            }
        }
        println!();
        if let (Some(identity), Some(base)) = (&results[1], base) {
            let r = identity.ratio(base);
            let c = identity.median.cpu.as_secs_f64() / base.median.cpu.as_secs_f64();
            verdicts.check(
                format!("{style_name}: --jq . costs {r:.2}× --json-data (CPU {c:.2}×) ≤ 2×"),
                r <= 2.0,
            );
        }
        if let (Some(ours), Some(pipe)) = (&results[3], &results[6]) {
            let r = pipe.ratio(ours);
            verdicts.check(
                format!("{style_name}: --jq PROGRAM {r:.2}× faster than --json-data | jq -c ≥ 5×"),
                r >= 5.0,
            );
        }
        if let (Some(ours), Some(Some(pipe))) = (&results[3], results.get(7)) {
            let r = pipe.ratio(ours);
            verdicts.check(
                format!("{style_name}: --jq PROGRAM {r:.2}× faster than --json-data | jaq -c > 1×"),
                r > 1.0,
            );
        }
        if quick || style != Style::Compact {
            continue;
        }
        let mut rss = Vec::new();
        for repeat in [1, 10] {
            let url = serve::start(Arc::clone(&body), repeat);
            let script = format!("{BIN} {url} --no-reconnect -q --jq {quoted}");
            if let Some(s) = measure::median(&script, if repeat == 1 { runs.min(3) } else { 1 }) {
                rss.push(s.rss_kib);
            }
        }
        if let [small, large] = rss[..] {
            verdicts.check(
                format!("--jq peak RSS {} MiB ≤ 16 MiB", mib(small.max(large))),
                small.max(large) <= 16 * 1024,
            );
            verdicts.check(
                format!("--jq RSS flat from 130 MB to 1.3 GB: {small} → {large} KiB"),
                large <= small + 512,
            );
        }
    }
}
