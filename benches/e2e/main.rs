//! The end-to-end benchmark: `cargo bench --bench e2e`.
//!
//! Serves generated SSE over HTTP on 127.0.0.1 and measures, side by side
//! in one run, curl's raw transfer, the `curl | sed` hack and ssetap's
//! output formats (median of several runs after a warm-up, as ratios to
//! curl, since this machine is shared and noisy); then the latency of a
//! lone event, memory from 130 MB to 1.3 GB, and the Kafka sink against a
//! bare producer. Prints a Markdown table (benches/RESULTS.md keeps one).
//!
//! The inputs are realistic and generated (`realistic`): Wikimedia
//! recentchange events as Wikimedia writes them, with Python's default
//! separators and pretty-printed over several `data:` lines; OpenAI-style
//! chat completion chunks; tiny events; multi-line CRLF events of 8 long
//! lines and of 3 short ones.
//!
//! Knobs: SSETAP_BENCH_RUNS (default 11: on a shared, noisy machine the
//! median of 11 rounds moves much less than that of 5), SSETAP_BENCH_QUICK=1
//! (inputs a tenth the size, no 1.3 GB run), SSETAP_BENCH_ONLY=wiki,
//! wiki-py,pretty,openai,tiny,multi,multi-small,scaling,jq,latency,kafka
//! (the sections to run; all by default), SSETAP_BENCH_DUMP=DIR (write
//! every input to DIR as NAME.sse and exit: for callgrind and for
//! comparing outputs between builds).

mod inputs;
mod jq;
mod kafka;
mod latency;
mod measure;
mod realistic;
mod serve;

use realistic::Style;

use measure::Sample;
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_ssetap");

/// Builds an input at 1/scale of its full size.
type MakeInput = fn(usize) -> Vec<u8>;

struct Verdicts(Vec<(String, bool)>);

impl Verdicts {
    fn check(&mut self, what: String, ok: bool) {
        self.0.push((what, ok));
    }
}

fn row(name: &str, s: &Sample, events: u64, bytes: u64, vs_curl: Option<f64>) {
    let secs = s.wall.as_secs_f64();
    let ratio = vs_curl.map_or("–".to_string(), |r| format!("{r:.2}×"));
    println!(
        "| {name} | {:.0} | {:.0} | {:.2} M | {:.0} | {} | {ratio} |",
        secs * 1e3,
        s.cpu.as_secs_f64() * 1e3,
        events as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6,
        mib(s.rss_kib),
    );
}

/// KiB as MiB, or a dash when GNU time was not there to measure it.
fn mib(kib: u64) -> String {
    if kib == 0 {
        "–".into()
    } else {
        format!("{:.1}", kib as f64 / 1024.0)
    }
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken.
    let quick = std::env::var_os("SSETAP_BENCH_QUICK").is_some();
    let runs: usize = std::env::var("SSETAP_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11);
    let scale = if quick { 10 } else { 1 };
    let only = std::env::var("SSETAP_BENCH_ONLY").unwrap_or_default();
    let wanted = |section: &str| only.is_empty() || only.split(',').any(|s| s.trim() == section);
    let have_curl = measure::have("curl");
    let have_sed = measure::have("sed");
    println!("# ssetap end-to-end benchmark\n");
    println!("{}\n", machine());
    println!(
        "Median of {runs} runs after a warm-up, the contenders taking turns in each round; \
         output to /dev/null; \"vs curl\" is the median over rounds of the contender's wall \
         time over curl's in the same round. Served by a thread of the bench with sendfile(2) \
         over HTTP/1.1 on 127.0.0.1; CPU is user + system time of the contender's processes (wait4); peak \
         RSS is the largest process's (GNU time).\n"
    );
    if !std::path::Path::new("/usr/bin/time").is_file() {
        println!("(peak RSS needs GNU time: apt-get install time)\n");
    }
    let mut verdicts = Verdicts(Vec::new());
    if let Some(dir) = std::env::var_os("SSETAP_BENCH_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        for (section, _, make) in all_inputs() {
            let path = dir.join(format!("{section}.sse"));
            std::fs::write(&path, make(scale)).expect("writing an input");
            println!("{}", path.display());
        }
        return;
    }
    for (section, name, make) in all_inputs() {
        if !wanted(section) {
            continue;
        }
        let body = make(scale);
        let events = inputs::count_events(&body);
        let bytes = body.len() as u64;
        let url = serve::start(Arc::new(body), 1);
        println!("## {name}: {events} events, {:.0} MB\n", bytes as f64 / 1e6);
        println!("| contender | wall ms | CPU ms | events/s | MB/s | peak RSS MiB | vs curl |");
        println!("|---|---|---|---|---|---|---|");
        // (label, flags for ssetap or None, script)
        let mut contenders: Vec<(&str, Option<&str>, String)> = Vec::new();
        if have_curl {
            contenders.push((
                "curl -sN -o /dev/null",
                None,
                format!("curl -sN -o /dev/null {url}"),
            ));
            if have_sed {
                let script = format!("curl -sN {url} | sed -n 's/^data: //p' > /dev/null");
                contenders.push(("curl -sN \\| sed", None, script));
            }
        }
        let mut formats = vec![
            ("ssetap --format data", "--format data"),
            ("ssetap (json)", ""),
        ];
        if !section.starts_with("multi") {
            formats.push(("ssetap --json-data", "--json-data"));
        }
        for (label, flags) in formats {
            let script = format!("{BIN} {url} --no-reconnect -q {flags}");
            contenders.push((label, Some(flags), script));
        }
        let scripts: Vec<String> = contenders.iter().map(|c| c.2.clone()).collect();
        let results = measure::rounds(&scripts, runs);
        let curl = have_curl.then(|| results[0].as_ref()).flatten();
        let sed = (have_curl && have_sed)
            .then(|| results[1].as_ref())
            .flatten();
        for ((label, flags, _), result) in contenders.iter().zip(&results) {
            let Some(s) = result else {
                println!("| {label} | (failed) | | | | | |");
                continue;
            };
            let vs_curl = curl.filter(|c| !std::ptr::eq(*c, s)).map(|c| s.ratio(c));
            row(label, &s.median, events, bytes, vs_curl);
            let Some(flags) = *flags else { continue };
            if s.median.rss_kib > 0 {
                verdicts.check(
                    format!(
                        "{name}, {label}: peak RSS {} MiB ≤ 10 MiB",
                        mib(s.median.rss_kib)
                    ),
                    s.median.rss_kib <= 10 * 1024,
                );
            }
            match (section, flags, vs_curl) {
                ("wiki", "--format data", Some(r)) => {
                    verdicts.check(format!("{name}, data: {r:.2}× curl ≤ 1.3×"), r <= 1.3)
                }
                ("wiki", "", Some(r)) => {
                    verdicts.check(format!("{name}, json: {r:.2}× curl ≤ 1.5×"), r <= 1.5)
                }
                ("wiki", "--json-data", Some(r)) => verdicts.check(
                    format!("{name}, --json-data: {r:.2}× curl ≤ 1.3×"),
                    r <= 1.3,
                ),
                ("multi" | "multi-small", "--format data", Some(r)) => {
                    verdicts.check(format!("{name}, data: {r:.2}× curl ≤ 1.5×"), r <= 1.5)
                }
                ("multi" | "multi-small", "", Some(r)) => {
                    verdicts.check(format!("{name}, json: {r:.2}× curl ≤ 1.6×"), r <= 1.6)
                }
                ("tiny", "", _) => {
                    let rate = events as f64 / s.median.wall.as_secs_f64();
                    verdicts.check(
                        format!("tiny events, json: {:.1} M events/s ≥ 20 M", rate / 1e6),
                        rate >= 20e6,
                    );
                }
                ("tiny", "--format data", _) => {
                    let rate = events as f64 / s.median.wall.as_secs_f64();
                    verdicts.check(
                        format!("tiny events, data: {:.1} M events/s ≥ 10 M", rate / 1e6),
                        rate >= 10e6,
                    );
                    if let Some(sed) = sed {
                        let r = s.ratio(sed);
                        verdicts.check(
                            format!("tiny events, data: {r:.2}× curl|sed ≤ 0.5×"),
                            r <= 0.5,
                        );
                    }
                }
                _ => {}
            }
        }
        println!();
    }
    if wanted("scaling") {
        scaling(quick, runs, &mut verdicts);
    }
    if wanted("jq") {
        jq::report(quick, runs, &mut verdicts);
    }
    if wanted("latency") {
        latency::report(BIN, &mut verdicts);
    }
    if wanted("kafka") {
        kafka::report(BIN, quick, runs, &mut verdicts);
    }
    println!("## Targets\n");
    for (what, ok) in &verdicts.0 {
        println!("- {} {what}", if *ok { "PASS" } else { "MISS" });
    }
}

/// Peak RSS and CPU per event of `--format data` for 130 MB and 1.3 GB.
fn scaling(quick: bool, runs: usize, verdicts: &mut Verdicts) {
    println!("## Scaling: the Wikimedia stream, 130 MB and 1.3 GB, `--format data`\n");
    if quick {
        println!("(skipped in quick mode)\n");
        return;
    }
    let body = Arc::new(realistic::wikimedia(130, Style::Compact));
    let events = inputs::count_events(&body);
    println!("| stream | wall ms | CPU ns/event | peak RSS MiB |\n|---|---|---|---|");
    let mut rss = Vec::new();
    for repeat in [1, 10] {
        let url = serve::start(Arc::clone(&body), repeat);
        let runs = if repeat == 1 { runs } else { runs.min(3) };
        let Some(s) = measure::median(&format!("{BIN} {url} --no-reconnect -q -f data"), runs)
        else {
            continue;
        };
        let n = events * repeat as u64;
        println!(
            "| {} MB | {:.0} | {:.0} | {} |",
            body.len() * repeat / 1_000_000,
            s.wall.as_secs_f64() * 1e3,
            s.cpu.as_nanos() as f64 / n as f64,
            mib(s.rss_kib)
        );
        rss.push(s.rss_kib);
    }
    println!();
    if let [small, large] = rss[..] {
        verdicts.check(
            format!("RSS flat from 130 MB to 1.3 GB: {small} → {large} KiB"),
            large <= small + 512,
        );
    }
}

/// Every input of the sections above, by section: (section, title, maker).
fn all_inputs() -> [(&'static str, &'static str, MakeInput); 7] {
    [
        ("wiki", "Wikimedia recentchange, compact", |s| {
            realistic::wikimedia(130 / s, Style::Compact)
        }),
        ("wiki-py", "Wikimedia, Python's separators", |s| {
            realistic::wikimedia(130 / s, Style::Spaced)
        }),
        ("pretty", "Wikimedia, pretty-printed over data lines", |s| {
            realistic::wikimedia(130 / s, Style::Pretty)
        }),
        ("openai", "OpenAI chat completion chunks", |s| {
            realistic::openai(130 / s)
        }),
        ("tiny", "tiny events", |s| {
            inputs::tiny(3_000_000 / s as u64)
        }),
        ("multi", "multi-line CRLF, 8 lines of ~50 B", |s| {
            inputs::multiline(130 / s)
        }),
        ("multi-small", "multi-line CRLF, 3 short lines", |s| {
            realistic::multiline_small(1_500_000 / s as u64)
        }),
    ]
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{date}; nproc {nproc}; {cpu}")
}
