//! ssetap: Server-Sent Events to stdout or Kafka.
//!
//! The data flows one way: a source (`http`, or `source` for files and
//! stdin) → the parser (`sse`) → `filter` → `format`, which builds records
//! → a `sink`, driven by `pipeline`. Beside the data path: `reconnect`
//! decides when to send the request again, `resume` which last event ID is
//! safe to keep, `control` when to stop. `cli` defines the flags, `config`
//! turns them into each component's own options once, `exit` maps the
//! outcome to an exit code, `redact` keeps secrets out of what is shown.

pub mod cli;
pub mod config;
pub mod control;
pub mod exit;
pub mod filter;
pub mod format;
pub mod http;
pub mod jq;
pub mod kafka;
pub mod log;
pub mod pipeline;
pub mod reconnect;
pub mod record;
pub mod redact;
pub mod resume;
pub mod sink;
pub mod source;
pub mod sse;
pub mod stats;
pub mod tick;
pub mod tls;
pub mod values;

use std::io::IsTerminal;

/// The whole program: parse the flags, run, return the exit code.
pub fn main() -> i32 {
    let cli = match <cli::Cli as clap::Parser>::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            eprintln!("ssetap: error: {} (see --help)", clap_one_line(&e));
            return exit::USAGE;
        }
        Err(e) => {
            // --help and --version.
            let _ = e.print();
            return exit::OK;
        }
    };
    let var = |name: &str| std::env::var(name).ok();
    let env = config::Env {
        var: &var,
        stdout_is_terminal: std::io::stdout().is_terminal(),
    };
    let cfg = match config::Config::from_cli(cli, &env) {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("ssetap: error: {}", exit::one_line(&e));
            return exit::code_for(&e);
        }
    };
    let log = log::Log::new(cfg.quiet, cfg.verbose, cfg.secrets.clone());
    for w in &cfg.warnings {
        log.warn(w);
    }
    let control = control::Control::new();
    if let Err(e) = control.install_signal_handler() {
        log.warn(&format!("cannot install the signal handlers: {e}"));
    }
    if cfg.kafka.is_none() {
        control.watch_stdout();
    }
    if let Some(limit) = cfg.duration {
        control.stop_after(limit);
    }
    match pipeline::run(&cfg, control, &log) {
        Ok(code) => code,
        Err(e) if exit::is_broken_pipe(&e) => exit::OK,
        Err(e) => {
            log.error(&exit::one_line(&e));
            exit::code_for(&e)
        }
    }
}

/// clap's message as one line: its first paragraph (without the tips and
/// the usage block), lines joined.
fn clap_one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.split("\n\n").next().unwrap_or_default();
    let joined = first.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .strip_prefix("error: ")
        .unwrap_or(&joined)
        .to_string()
}
