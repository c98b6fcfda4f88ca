//! docs: the man page and the shell completions, rendered from the clap
//! definition in `cli`. `ssetap --generate KIND` prints them, so an install
//! needs no source tree; the copies committed in `man/` and `completions/`
//! are checked against the same functions by `tests/docs.rs`.
//!
//! The man page is reproducible: no date, nothing from the build machine.

mod at_files;

use crate::cli::{self, GenerateArg};
use clap_complete::shells::{Bash, Fish, Zsh};
use std::io::{self, Write};

/// Variables ssetap reads that are not a flag's `env` (those are listed
/// from the clap definition): name and what it does.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "SSETAP_PASSWORD",
        "The password for -u USER when USER has no :PASSWORD. Keeps it out of \
         the command line, where ps shows it to every user.",
    ),
    (
        "SSETAP_OAUTH2_CLIENT_SECRET",
        "The OAuth2 client secret for --oauth2-token-url, unless \
         --oauth2-client-secret-file names a file that holds it (there is no \
         flag that takes it on the command line).",
    ),
    (
        "NO_COLOR",
        "When set and not empty, --color auto does not colour json output.",
    ),
    (
        "TERM",
        "Unset, empty or dumb: no escape sequences on the terminal (no colour \
         with --color auto, no --stats status line).",
    ),
    (
        "NOTIFY_SOCKET",
        "Set by systemd for a Type=notify service: ssetap then sends READY=1 once \
         started, WATCHDOG=1 and a STATUS= line once a second from its main loop, \
         and STOPPING=1 at the end.",
    ),
];

/// Writes what `--generate KIND` asks for to stdout; the exit code.
pub fn print(kind: GenerateArg) -> i32 {
    let text = render(kind);
    let mut out = io::stdout().lock();
    match out.write_all(&text).and_then(|()| out.flush()) {
        Ok(()) => crate::exit::OK,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => crate::exit::OK,
        Err(e) => {
            let log =
                crate::log::Log::with_format(crate::log::LogFormat::Text, false, false, Vec::new());
            log.error(&format!("writing to stdout: {e}"));
            crate::exit::FAILURE
        }
    }
}

/// The bytes of one generated file.
pub fn render(kind: GenerateArg) -> Vec<u8> {
    match kind {
        GenerateArg::Man => man_page(),
        GenerateArg::CompleteBash => {
            at_files::rewrite(&completion(Bash), clap_complete::Shell::Bash)
        }
        GenerateArg::CompleteZsh => at_files::rewrite(
            &escape_zsh_value_names(quote_value_help(&completion(Zsh), Shell::Zsh)),
            clap_complete::Shell::Zsh,
        ),
        GenerateArg::CompleteFish => {
            let fish = quote_value_help(&completion(Fish), Shell::Fish);
            at_files::rewrite(&fish, clap_complete::Shell::Fish)
        }
    }
}

/// Where each generated file is committed in the source tree.
pub const FILES: &[(GenerateArg, &str)] = &[
    (GenerateArg::Man, "man/ssetap.1"),
    (GenerateArg::CompleteBash, "completions/ssetap.bash"),
    (GenerateArg::CompleteZsh, "completions/ssetap.zsh"),
    (GenerateArg::CompleteFish, "completions/ssetap.fish"),
];

fn man_page() -> Vec<u8> {
    let man = clap_mangen::Man::new(cli::command());
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    let _ = man.render_options_section(&mut out);
    out.extend_from_slice(exit_status_section().as_bytes());
    out.extend_from_slice(environment_section().as_bytes());
    out.extend_from_slice(examples_section().as_bytes());
    let _ = man.render_version_section(&mut out);
    ascii_roff(&out)
}

/// groff reads its input as Latin-1 unless told otherwise, so a `…` in the
/// help became three invalid characters: each non-ASCII character is
/// written as roff's `\[uXXXX]` escape instead.
fn ascii_roff(page: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    for c in String::from_utf8_lossy(page).chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out.into_bytes()
}

/// Text as roff reads it: backslashes and hyphens escaped, a control
/// character at the start of a line neutralised.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// A tagged paragraph: `tag` in bold, `body` filled beneath it.
fn tagged(tag: &str, body: &str) -> String {
    format!(".TP\n\\fB{}\\fR\n{}\n", roff(tag), roff(body))
}

/// EXIT STATUS from `cli::EXIT_STATUS`, the --help text: each "  CODE  text"
/// line (with its deeper-indented continuation lines) becomes a tagged
/// paragraph, filled by man; a line at the list's own indent that starts
/// with no code is a closing paragraph.
fn exit_status_section() -> String {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut after = String::new();
    for line in cli::EXIT_STATUS.lines().skip(1) {
        let Some(item) = line.strip_prefix("  ") else {
            continue;
        };
        let continues = item.starts_with(' ');
        let text = item.trim();
        let code = text.split_whitespace().next().unwrap_or_default();
        if continues || !after.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            let target = match entries.last_mut() {
                Some((_, body)) if continues && after.is_empty() => body,
                _ => &mut after,
            };
            if !target.is_empty() {
                target.push(' ');
            }
            target.push_str(text);
        } else {
            let body = text[code.len()..].trim_start().to_string();
            entries.push((code.to_string(), body));
        }
    }
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    for (code, body) in &entries {
        out.push_str(&tagged(code, body));
    }
    if !after.is_empty() {
        out.push_str(&format!(".PP\n{}\n", roff(&after)));
    }
    out
}

/// ENVIRONMENT: the flags' `env` variables from the clap definition, then
/// the others ssetap reads.
fn environment_section() -> String {
    let mut out = String::from(".SH ENVIRONMENT\n");
    let cmd = cli::command();
    for arg in cmd.get_arguments() {
        let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else {
            continue;
        };
        let value = arg
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let body =
            format!("Used as --{long}{value} when that flag is not given; see --{long} above.");
        out.push_str(&tagged(&env.to_string_lossy(), &body));
    }
    for (name, body) in ENVIRONMENT {
        out.push_str(&tagged(name, body));
    }
    out
}

/// EXAMPLES from `cli::EXAMPLES`, one command a line, unfilled.
fn examples_section() -> String {
    let body: Vec<String> = cli::EXAMPLES
        .lines()
        .skip(1)
        .map(|l| roff(l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    format!(".SH EXAMPLES\n.nf\n{}\n.fi\n", body.join("\n"))
}

/// clap_complete writes a value name into zsh's `_arguments` spec as it
/// is, and a colon in it (`HOST:PORT[,...]`, `USER[:PASSWORD]`) ends the
/// spec's message early: `-b <TAB>` failed. Escape those colons.
fn escape_zsh_value_names(zsh: Vec<u8>) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(&zsh).into_owned();
    for arg in cli::command().get_arguments() {
        for name in arg.get_value_names().unwrap_or_default() {
            let name = name.as_str();
            if name.contains(':') {
                let escaped = name.replace(':', "\\:");
                text = text.replace(&format!("]:{name}:"), &format!("]:{escaped}:"));
            }
        }
    }
    text.into_bytes()
}

fn completion(shell: impl clap_complete::Generator) -> Vec<u8> {
    let mut cmd = cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "ssetap", &mut out);
    out
}

#[derive(Clone, Copy)]
enum Shell {
    Zsh,
    Fish,
}

impl Shell {
    /// What opens a list of possible values, what ends a value and starts
    /// its help, the endings of an item line (the last item's first, an
    /// item within the list's last), and what must be escaped in the help
    /// (zsh's help has `$` escaped already).
    fn list_syntax(
        self,
    ) -> (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [char],
    ) {
        match self {
            // -a "VALUE\t'HELP'<newline>…VALUE\t'HELP'"
            Shell::Fish => (" -a \"", "\\t'", &["'\"", "'"], &['"', '$']),
            // :((VALUE\:"HELP"<newline>…VALUE\:"HELP"))' \
            Shell::Zsh => (":((", "\\:\"", &["\"))' \\", "\"))'", "\""], &['"']),
        }
    }
}

/// clap_complete puts each possible value's help inside a double-quoted
/// word without escaping the double quotes in it, so `{"event":…}` ends the
/// word early (and in fish a `$` would expand). Escape them within those
/// helps only; everything else is left as clap_complete writes it, and a
/// line that does not look as expected is left alone.
fn quote_value_help(script: &[u8], shell: Shell) -> Vec<u8> {
    let (open, sep, ends, special) = shell.list_syntax();
    let text = String::from_utf8_lossy(script);
    let mut out = String::with_capacity(text.len() + 64);
    let mut in_list = false;
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let (head, item) = if in_list {
            ("", body)
        } else {
            match body.find(open) {
                Some(at) if body[at + open.len()..].contains(sep) => body.split_at(at + open.len()),
                _ => (body, ""),
            }
        };
        out.push_str(head);
        if !item.is_empty() || in_list {
            let parsed = item.find(sep).and_then(|at| {
                let (value, rest) = item.split_at(at + sep.len());
                ends.iter().enumerate().find_map(|(i, end)| {
                    rest.strip_suffix(end)
                        .map(|help| (value, help, *end, i + 1 < ends.len()))
                })
            });
            match parsed {
                Some((value, help, end, last)) => {
                    out.push_str(value);
                    for c in help.chars() {
                        if special.contains(&c) {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push_str(end);
                    in_list = !last;
                }
                None => {
                    out.push_str(item);
                    in_list = false;
                }
            }
        }
        out.push_str(newline);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(kind: GenerateArg) -> String {
        String::from_utf8(render(kind)).unwrap()
    }

    #[test]
    fn man_page_has_no_date() {
        let man = text(GenerateArg::Man);
        let th = man.lines().find(|l| l.starts_with(".TH")).unwrap();
        assert_eq!(
            th.trim_end(),
            ".TH ssetap 1  \"ssetap 0.1.0\"".replace("0.1.0", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn exit_status_entries_are_tagged_paragraphs_with_their_continuations() {
        let s = exit_status_section();
        assert!(s.contains(".TP\n\\fB0\\fR\ndone: \\-\\-max\\-events, \\-\\-until or \\-\\-duration reached, 204 No Content, end of file or stdin,"), "{s}");
        assert!(
            s.contains(".TP\n\\fB143\\fR\nterminated by SIGTERM (likewise)\n"),
            "{s}"
        );
        assert!(s.contains(".PP\nA second signal while the first is being handled exits at once, with the first signal's code (the same signal again within a second, as timeout sends it, is the same request). SIGUSR1 writes a stats line on stderr.\n"), "{s}");
        // No continuation line became an entry or kept its indent.
        assert_eq!(s.matches(".TP").count(), 6, "{s}");
        assert!(!s.contains("\n "), "{s}");
    }

    #[test]
    fn environment_lists_every_variable() {
        let s = environment_section();
        for name in [
            "SSETAP_BEARER_TOKEN",
            "SSETAP_BROKERS",
            "SSETAP_PASSWORD",
            "NO_COLOR",
            "NOTIFY_SOCKET",
        ] {
            assert!(s.contains(&format!("\\fB{name}\\fR")), "{name}: {s}");
        }
        assert!(
            s.contains("Used as \\-\\-brokers HOST:PORT[,...] when that flag is not given; see \\-\\-brokers above."),
            "{s}"
        );
    }

    #[test]
    fn roff_neutralises_control_lines() {
        assert_eq!(roff(".data"), "\\&.data");
        assert_eq!(roff("'x' -a \\b"), "\\&'x' \\-a \\eb");
    }

    #[test]
    fn fish_value_help_keeps_its_double_quotes() {
        let fish = text(GenerateArg::CompleteFish);
        assert!(
            fish.contains(r#"json\t'One JSON object per line: {\"event\":…,\"id\":…,\"data\":…}'"#),
            "{fish}"
        );
        // The list still closes, and plain helps are unchanged.
        assert!(
            fish.contains("sse\\t'Canonical SSE text, which ssetap reads back unchanged'\"\n"),
            "{fish}"
        );
        assert!(fish.contains("-a \"auto\\t''\n"), "{fish}");
    }

    #[test]
    fn zsh_value_help_keeps_its_double_quotes() {
        let zsh = text(GenerateArg::CompleteZsh);
        assert!(
            zsh.contains(
                r#"json\:"One JSON object per line\: {\"event\"\:…,\"id\"\:…,\"data\"\:…}""#
            ),
            "{zsh}"
        );
    }

    #[test]
    fn the_man_page_is_ascii_with_roff_escapes() {
        let man = text(GenerateArg::Man);
        assert!(man.is_ascii());
        assert!(man.contains(r"\[u2026]"), "the help's ellipses");
    }

    #[test]
    fn zsh_value_names_keep_their_colons_escaped() {
        let zsh = text(GenerateArg::CompleteZsh);
        assert!(zsh.contains(r"]:HOST\:PORT[,...]:_default"), "{zsh}");
        assert!(zsh.contains(r"]:USER[\:PASSWORD]:_default"), "{zsh}");
        assert!(!zsh.contains("]:HOST:PORT"), "{zsh}");
    }

    #[test]
    fn escaping_touches_only_the_value_lists() {
        let fish = "complete -c x -l a -d 'say \"hi\"' -r\ncomplete -c x -l f -r -f -a \"a\\t'say \"hi\" $HOME'\nb\\t''\"\n";
        let got = String::from_utf8(quote_value_help(fish.as_bytes(), Shell::Fish)).unwrap();
        assert_eq!(
            got,
            "complete -c x -l a -d 'say \"hi\"' -r\ncomplete -c x -l f -r -f -a \"a\\t'say \\\"hi\\\" \\$HOME'\nb\\t''\"\n"
        );
    }
}
