//! ssetap: Server-Sent Events to stdout or Kafka.
//!
//! The data flows one way: a source (`http`, or `source` for files and
//! stdin) → the parser (`sse`) → `filter` → `format`, which builds records
//! → a `sink`, driven by `pipeline`. Beside the data path: `reconnect`
//! decides when to send the request again, `resume` which last event ID is
//! safe to keep, `control` when to stop, `service` what a running ssetap
//! shows of itself (metrics, health, systemd notifications). `cli` defines
//! the flags, `config` turns them into each component's own options once,
//! `exit` maps the outcome to an exit code, `redact` keeps secrets out of
//! what is shown, `log` writes every stderr line, `cmdline` blanks secrets
//! in the process's arguments, `closed_stdout` notes a stdout closed at
//! start, `prompt` asks for a password, `docs`
//! renders the man page and completions (`--generate`).
//!
//! Only `alloc` (the binary's allocator), `cli` and `docs` (the docs tests
//! render them), `format` and `sse`
//! (the benches drive them) are public; the rest is private so that unused
//! code warns.

pub mod alloc;
pub mod cli;
mod closed_stdout;
mod cmdline;
mod config;
mod control;
mod cpu;
pub mod docs;
mod exit;
mod filter;
pub mod format;
mod http;
mod jq;
mod log;
mod pipeline;
mod prompt;
mod reconnect;
mod record;
mod redact;
mod resume;
mod service;
mod sink;
mod source;
pub mod sse;
mod stats;
mod tick;
mod tls;
mod until;
mod values;

use std::io::IsTerminal;

/// The whole program: parse the flags, run, return the exit code.
pub fn main() -> i32 {
    let cli = match parse_args() {
        Ok(cli) => {
            // clap holds its own copies now: take the secrets out of
            // what `ps` shows.
            cmdline::blank();
            cli
        }
        Err(e) if e.use_stderr() => {
            let format = if asks_for_json_log(std::env::args()) {
                log::LogFormat::Json
            } else {
                log::LogFormat::Text
            };
            let log = log::Log::with_format(format, false, false, Vec::new());
            log.error(&format!("{} (see --help)", clap_one_line(&e)));
            return exit::USAGE;
        }
        Err(e) => {
            // --help and --version; a full disk is an error, a reader that
            // has read enough (`| head`) is not.
            let written = e
                .print()
                .and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
            return match written {
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
                    let log = log::Log::with_format(log::LogFormat::Text, false, false, Vec::new());
                    log.error(&format!("writing to stdout: {err}"));
                    exit::FAILURE
                }
                _ => exit::OK,
            };
        }
    };
    if let Some(kind) = cli.generate {
        return docs::print(kind);
    }
    let var = |name: &str| std::env::var(name).ok();
    let env = config::Env {
        var: &var,
        stdout_is_terminal: std::io::stdout().is_terminal(),
        ask_password: &prompt::password,
    };
    let format = config::log_format(cli.log_format);
    let cfg = match config::Config::from_cli(cli, &env) {
        Ok(cfg) => cfg,
        Err(e) => {
            let log = log::Log::with_format(format, false, false, Vec::new());
            log.error(&exit::one_line(&e));
            return exit::code_for(&e);
        }
    };
    let log = log::Log::with_format(cfg.log_format, cfg.quiet, cfg.verbose, cfg.secrets.clone());
    for w in &cfg.warnings {
        log.warn(w);
    }
    let control = control::Control::new();
    if let Err(e) = control.install_signal_handler() {
        log.warn(&format!("cannot install the signal handlers: {e}"));
    }
    if cfg.output.is_stdout() {
        if closed_stdout::was_closed() {
            log.error("stdout is closed: nothing could be written (redirect it, e.g. > /dev/null on purpose)");
            return exit::FAILURE;
        }
        control.watch_stdout();
    }
    if let Some(limit) = cfg.duration
        && let Err(e) = control.stop_after(limit)
    {
        log.error(&format!("cannot start the --duration timer: {e}"));
        return exit::FAILURE;
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

/// The flags, parsed. `--generate` is exclusive, and a flag's `env`
/// variable counts as that flag being given: for `--generate` they are
/// ignored, so that `SSETAP_BROKERS` in the environment cannot make
/// printing the man page a usage error.
fn parse_args() -> Result<cli::Cli, clap::Error> {
    let generate = std::env::args_os()
        .skip(1)
        .any(|a| a == "--generate" || a.to_string_lossy().starts_with("--generate="));
    if !generate {
        return <cli::Cli as clap::Parser>::try_parse();
    }
    let cmd = cli::command().mut_args(|a| a.env(None));
    let mut matches = cmd.try_get_matches()?;
    <cli::Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut matches)
        .map_err(|e| e.format(&mut cli::command()))
}

/// `--log-format json` among arguments clap refused, so that even that
/// error is a JSON line.
fn asks_for_json_log(args: impl Iterator<Item = String>) -> bool {
    let mut prev = String::new();
    for arg in args {
        if arg == "--log-format=json" || (prev == "--log-format" && arg == "json") {
            return true;
        }
        prev = arg;
    }
    false
}

/// clap's message as one line: its first paragraph (without the usage
/// block), lines joined, and its suggestion of a similar flag or value
/// ("did you mean '--json-data'?"), which the folding must not lose.
fn clap_one_line(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let text = e.render().to_string();
    let first = text.split("\n\n").next().unwrap_or_default();
    let joined = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut line = joined
        .strip_prefix("error: ")
        .unwrap_or(&joined)
        .to_string();
    // A flag of curl's or jq's gets what ssetap does instead, not clap's
    // nearest spelling (-N is not -n).
    let hint = match (e.kind(), e.get(ContextKind::InvalidArg)) {
        (clap::error::ErrorKind::UnknownArgument, Some(ContextValue::String(arg))) => {
            habit_hint(arg)
        }
        _ => None,
    };
    if let Some(hint) = hint {
        return format!("{line}; {hint}");
    }
    for kind in [ContextKind::SuggestedArg, ContextKind::SuggestedValue] {
        let similar = match e.get(kind) {
            Some(ContextValue::String(s)) => vec![s.clone()],
            Some(ContextValue::Strings(v)) => v.clone(),
            _ => continue,
        };
        let quoted: Vec<String> = similar.iter().map(|s| format!("'{s}'")).collect();
        let list = match quoted.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            Some((last, _)) => last.clone(),
            None => continue,
        };
        line.push_str(&format!("; did you mean {list}?"));
    }
    line
}

/// What ssetap does instead of a curl or jq flag its users reach for.
fn habit_hint(arg: &str) -> Option<&'static str> {
    let short = |c: char| {
        arg.len() >= 2 && arg.starts_with('-') && !arg.starts_with("--") && arg[1..].starts_with(c)
    };
    Some(match arg {
        _ if arg == "--raw-output" || short('r') => {
            "--jq's strings are written raw with -f data (or -j, as jq -j), JSON otherwise"
        }
        _ if arg == "--silent" || short('s') => {
            "ssetap prints only connection changes on stderr; -q hides those too"
        }
        _ if arg == "--no-buffer" || short('N') => {
            "ssetap never buffers: each event is written as it comes"
        }
        _ if arg == "--output" || short('o') => "redirect stdout instead: > FILE",
        _ if arg == "--location" || short('L') => "redirects are followed already",
        _ if arg == "--max-time" || short('m') => "--duration ends the run after a time",
        _ if arg == "--compact-output" || short('c') => "JSON output is compact already",
        _ if arg == "--include" || short('i') => "-v shows the response head on stderr",
        _ if arg == "--user-agent" || short('A') => "set it with -H 'User-Agent: …'",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::clap_one_line;
    use clap::Parser;

    fn error(args: &[&str]) -> String {
        let mut all = vec!["ssetap"];
        all.extend_from_slice(args);
        match crate::cli::Cli::try_parse_from(all) {
            Ok(_) => panic!("{args:?} parsed"),
            Err(e) => clap_one_line(&e),
        }
    }

    #[test]
    fn a_misspelled_flag_keeps_the_suggestion() {
        assert_eq!(
            error(&["URL", "--jsondata"]),
            "unexpected argument '--jsondata' found; did you mean '--json-data'?"
        );
        let line = error(&["URL", "-f", "jsn"]);
        assert!(line.ends_with("; did you mean 'json'?"), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn jqs_raw_output_flag_points_to_f_data() {
        for arg in ["-r", "--raw-output"] {
            let line = error(&["URL", "--jq", ".data", arg]);
            assert!(line.contains("-f data"), "{line}");
        }
        assert!(!error(&["URL", "--bogus"]).contains("-f data"));
    }

    #[test]
    fn curl_and_jq_habits_get_what_ssetap_does_instead() {
        for (arg, says) in [
            ("-s", "-q"),
            ("-N", "never buffers"),
            ("-o", "> FILE"),
            ("-L", "followed already"),
            ("-m", "--duration"),
            ("-c", "compact already"),
            ("--user-agent", "User-Agent"),
        ] {
            let line = error(&["URL", arg, "x"]);
            assert!(line.contains(says), "{arg}: {line}");
            assert!(!line.contains("did you mean"), "{arg}: {line}");
        }
    }
}
