//! The `--jq` section: on the big-event stream, side by side in one run,
//! `--json-data`, `--jq .`, the embedded select-and-project program, and
//! the same program through `ssetap --json-data | jq -c` (Debian's jq);
//! then peak RSS of `--jq` at 130 MB and 1.3 GB.

use crate::{BIN, Verdicts, inputs, measure, mib, row, serve};
use std::sync::Arc;

const PROGRAM: &str = r#"select(.data.meta.domain == "en.wikipedia.org") | .data.title"#;
/// A filter that passes whole events on (Kafka Connect's Filter SMT).
const FILTER: &str = r#"select(.data.type == "edit")"#;

pub fn report(quick: bool, runs: usize, verdicts: &mut Verdicts) {
    let scale = if quick { 10 } else { 1 };
    let body = Arc::new(inputs::big(130 / scale));
    let events = inputs::count_events(&body);
    let bytes = body.len() as u64;
    let url = serve::start(Arc::clone(&body), 1);
    let jq_version = std::process::Command::new("jq")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "not installed".into());
    println!(
        "## --jq on the big events: {events} events, {:.0} MB\n",
        bytes as f64 / 1e6
    );
    println!("PROGRAM is `{PROGRAM}`, FILTER `{FILTER}`; jq is Debian's {jq_version}.\n");
    println!("| contender | wall ms | CPU ms | events/s | MB/s | peak RSS MiB | vs --json-data |");
    println!("|---|---|---|---|---|---|---|");
    let quoted = format!("'{PROGRAM}'");
    let scripts = [
        (
            "ssetap --json-data",
            format!("{BIN} {url} --no-reconnect -q --json-data"),
        ),
        (
            "ssetap --jq .",
            format!("{BIN} {url} --no-reconnect -q --jq ."),
        ),
        (
            "ssetap --jq PROGRAM",
            format!("{BIN} {url} --no-reconnect -q --jq {quoted}"),
        ),
        (
            "ssetap --jq FILTER",
            format!("{BIN} {url} --no-reconnect -q --jq '{FILTER}'"),
        ),
        (
            "ssetap --json-data \\| jq -c PROGRAM",
            format!("{BIN} {url} --no-reconnect -q --json-data | jq -c {quoted}"),
        ),
    ];
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
        verdicts.check(format!("--jq . costs {r:.2}× --json-data ≤ 2×"), r <= 2.0);
    }
    if let (Some(ours), Some(pipe)) = (&results[2], &results[4]) {
        let r = pipe.ratio(ours);
        verdicts.check(
            format!("--jq PROGRAM {r:.2}× faster than --json-data | jq -c ≥ 3×"),
            r >= 3.0,
        );
    }
    if quick {
        return;
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
