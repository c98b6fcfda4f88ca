//! log: everything ssetap says on stderr — connection changes, warnings,
//! `-v` headers, the `--stats` lines and the live status line. Every line
//! passes through `redact`, so a secret given on the command line, in the
//! environment or in a `-F` file cannot reach the terminal, whatever error
//! text carries it; nor can a token learned while running (`add_secret`:
//! a refreshed bearer token), which joins the list before it is sent. And every line passes through `escape`: control
//! characters (C0 but tab, DEL, C1) are written as `\x1b` or `\u{9b}`, so
//! no byte a server chose (an event ID sent back as `Last-Event-ID`, a
//! header shown by `-v`, an error text) can set the terminal's title,
//! clear the screen or forge another line. This is the one place stderr
//! is written, so it is the one place that escapes. A message past
//! `MSG_MAX` bytes is cut (after redaction, so no secret is cut in half):
//! a server's text in it (an event type, an ID, an error body) may be as
//! long as an event, and a line stays a line.
//!
//! `--log-format json` makes every line one JSON object for journald, Loki
//! or Datadog: `{"time":RFC 3339 UTC,"level":…,"msg":…}`, levels `debug`,
//! `info`, `notice`, `warning` and `error`; a `--stats` line is
//! `{"time","level":"info","msg":"stats","stats":{…}}`. The message is
//! redacted before it is encoded, and there is no live status line.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::time::SystemTime;

/// The longest message a line carries; past it the rest is cut and
/// counted.
const MSG_MAX: usize = 4096;

/// How stderr lines look (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `ssetap: message`, as a person reads it.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

pub struct Log {
    format: LogFormat,
    quiet: bool,
    verbose: bool,
    /// Longest first: the secrets given at start and those `learned`. The
    /// log is the main thread's (other threads hand it their text, or use
    /// their own `Log`).
    secrets: RefCell<Vec<String>>,
    /// The secrets given at start, kept for the whole run.
    given: Vec<String>,
    /// Tokens learned while running, newest last, at most `LEARNED_MAX`:
    /// a token refreshed every second for months must not grow the list
    /// (nor the time each line's redaction takes).
    learned: RefCell<std::collections::VecDeque<String>>,
    /// Lines dropped since the last one written
    /// (`dropped_as_stderr_is_full`).
    dropped: Cell<u64>,
    /// A live status line is on screen and must be cleared before a message.
    status_shown: Cell<bool>,
    stderr_tty: bool,
}

impl Log {
    #[cfg(test)]
    pub fn new(quiet: bool, verbose: bool, secrets: Vec<String>) -> Log {
        Log::with_format(LogFormat::Text, quiet, verbose, secrets)
    }

    pub fn with_format(
        format: LogFormat,
        quiet: bool,
        verbose: bool,
        mut secrets: Vec<String>,
    ) -> Log {
        tidy(&mut secrets);
        Log {
            format,
            quiet,
            verbose,
            given: secrets.clone(),
            learned: RefCell::default(),
            secrets: RefCell::new(secrets),
            status_shown: Cell::new(false),
            dropped: Cell::new(0),
            stderr_tty: (std::io::stderr().is_terminal()
                && takes_escapes(std::env::var("TERM").ok().as_deref()))
                || std::env::var_os("SSETAP_TEST_STDERR_TTY").is_some(),
        }
    }

    /// A log for a component that keeps its own (a sink's, which outlives
    /// the borrow of this one): the same format and levels, this log's
    /// secrets given at start and `extra`.
    pub fn sibling(&self, extra: Vec<String>) -> Log {
        let mut secrets = self.given.clone();
        secrets.extend(extra);
        let mut log = Log::with_format(self.format, self.quiet, self.verbose, secrets);
        log.stderr_tty = self.stderr_tty;
        log
    }

    pub fn is_json(&self) -> bool {
        self.format == LogFormat::Json
    }

    pub fn verbose(&self) -> bool {
        self.verbose
    }

    pub fn stderr_is_terminal(&self) -> bool {
        self.stderr_tty
    }

    /// Connection changes: suppressed by `-q`.
    pub fn info(&self, msg: &str) {
        if !self.quiet {
            self.line("info", msg);
        }
    }

    /// A connection message shown even with `-q`.
    pub fn notice(&self, msg: &str) {
        self.line("notice", msg);
    }

    /// Always shown.
    pub fn warn(&self, msg: &str) {
        self.line("warning", msg);
    }

    pub fn error(&self, msg: &str) {
        self.line("error", msg);
    }

    /// `-v` only.
    pub fn debug(&self, msg: &str) {
        if self.verbose {
            self.line("debug", msg);
        }
    }

    /// A `--stats` summary: the JSON line itself, or (json) inside one.
    pub fn stats(&self, summary: &serde_json::Value) {
        self.clear_status();
        let text = match self.format {
            LogFormat::Text => self.redact(&summary.to_string()),
            LogFormat::Json => {
                let redacted = self.redact(&summary.to_string());
                let stats = serde_json::from_str(&redacted).unwrap_or(serde_json::Value::Null);
                self.object("info", "stats", Some(&stats))
            }
        };
        if self.dropped_as_stderr_is_full() {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", escape_json(&text));
    }

    /// Is stderr a pipe that cannot take a line now (a logger that stopped
    /// reading)? Then the line is counted as dropped, rather than the data
    /// path stopped; the next line that can be written says how many went.
    /// Terminals and files are always ready. Only errors wait (the run is
    /// ending: its reason must not be lost).
    fn dropped_as_stderr_is_full(&self) -> bool {
        let mut pfd = libc::pollfd {
            fd: libc::STDERR_FILENO,
            events: libc::POLLOUT,
            revents: 0,
        };
        // A signal may interrupt even a poll that does not wait; ask again.
        let ready = loop {
            // SAFETY: one valid pollfd, count 1, no wait.
            let ready = unsafe { libc::poll(&mut pfd, 1, 0) };
            if ready >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break ready;
            }
        };
        // Not ready, or poll failed for another reason: a write could block.
        let full = ready <= 0;
        if full {
            self.dropped.set(self.dropped.get().saturating_add(1));
        }
        full
    }

    /// Replace the live status line (stderr terminal only).
    pub fn status(&self, text: &str) {
        if !self.stderr_tty || self.is_json() {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", escape(&self.redact(text)));
        let _ = err.flush();
        self.status_shown.set(true);
    }

    /// Clear the live status line; true when one was on screen.
    pub fn clear_status(&self) -> bool {
        let shown = self.status_shown.replace(false);
        if shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
        shown
    }

    /// A line a `--jq` program wrote (`debug`, `stderr`): bare in text
    /// logs, as jq writes it; a `"debug"` line in JSON ones. Redacted, cut
    /// and escaped as every line is, and dropped rather than waited for.
    pub fn program(&self, text: &str) {
        self.line("program", text);
    }

    fn line(&self, level: &str, msg: &str) {
        self.clear_status();
        if level != "error" && self.dropped_as_stderr_is_full() {
            return;
        }
        let dropped = self.dropped.replace(0);
        if dropped > 0 {
            self.write_line(
                "warning",
                &format!("{dropped} log lines were dropped: stderr was not being read"),
            );
        }
        self.write_line(level, msg);
    }

    fn write_line(&self, level: &str, msg: &str) {
        let text = match self.format {
            LogFormat::Text if matches!(level, "warning" | "error") => {
                format!("ssetap: {level}: {}", escape(&self.shown(msg)))
            }
            LogFormat::Text if level == "program" => escape(&self.shown(msg)).into_owned(),
            LogFormat::Text => format!("ssetap: {}", escape(&self.shown(msg))),
            LogFormat::Json if level == "program" => {
                escape_json(&self.object("debug", msg, None)).into_owned()
            }
            LogFormat::Json => escape_json(&self.object(level, msg, None)).into_owned(),
        };
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{text}");
    }

    /// `{"time","level","msg"}` in this order (serde_json's map would sort
    /// the keys), with the message redacted, and `"stats"` last when given.
    fn object(&self, level: &str, msg: &str, stats: Option<&serde_json::Value>) -> String {
        let time = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        let text = |s: &str| serde_json::Value::from(s).to_string();
        let mut line = format!(
            "{{\"time\":{},\"level\":{},\"msg\":{}",
            text(&time),
            text(level),
            text(&self.shown(msg))
        );
        if let Some(stats) = stats {
            line.push_str(&format!(",\"stats\":{stats}"));
        }
        line.push('}');
        line
    }

    /// A secret learned while running (a new token): redacted from every
    /// line written from now on, until `LEARNED_MAX` newer ones replace it.
    pub fn add_secret(&self, secret: &str) {
        let mut learned = self.learned.borrow_mut();
        if learned.iter().any(|s| s == secret) || self.given.iter().any(|s| s == secret) {
            return;
        }
        learned.push_back(secret.to_string());
        if learned.len() > LEARNED_MAX {
            learned.pop_front();
        }
        let mut secrets = self.given.clone();
        secrets.extend(learned.iter().cloned());
        tidy(&mut secrets);
        *self.secrets.borrow_mut() = secrets;
    }

    /// A message as a line carries it: redacted, then cut to `MSG_MAX`.
    fn shown(&self, msg: &str) -> String {
        let mut text = self.redact(msg);
        if text.len() > MSG_MAX {
            let mut end = MSG_MAX;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let cut = text.len() - end;
            text.truncate(end);
            let _ = write!(text, "… ({cut} more bytes)");
        }
        text
    }

    /// The text with every known secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.secrets.borrow().iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[redacted]");
            }
        }
        out
    }
}

/// How many learned tokens are kept for redaction: the current one and
/// those before it, which a server could still echo for a while.
const LEARNED_MAX: usize = 16;

/// Longest first, so that a secret containing another is hidden whole;
/// too short ones would destroy ordinary text.
fn tidy(secrets: &mut Vec<String>) {
    secrets.retain(|s| s.len() >= 3);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
}

/// Whether a terminal of this `TERM` takes escape sequences (colour, the
/// status line's line clearing): not when it is unset, empty or `dumb`
/// (Emacs's shell buffers, some CI consoles), as ripgrep and ls decide.
pub fn takes_escapes(term: Option<&str>) -> bool {
    term.is_some_and(|t| !t.is_empty() && t != "dumb")
}

/// Characters a terminal may act on: C0 controls but tab, DEL, C1 (which
/// some terminals take as escape sequences when UTF-8 encoded), and the
/// bidirectional formatting characters.
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c) || is_bidi(c)
}

/// The bidirectional formatting characters, which reorder how the rest of
/// a line is shown (a server's text could make an error line read as
/// something else): escaped like controls.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text as it may reach a terminal: each control character written as
/// `\x1b` (C0, DEL) or `\u{9b}` (C1). Backslashes stay as they are, so
/// ordinary text (paths, regexes) reads the same.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c as u32 {
            n if n < 0x80 && is_control(c) => {
                let _ = write!(out, "\\x{n:02x}");
            }
            n if is_control(c) => {
                let _ = write!(out, "\\u{{{n:x}}}");
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A serialized JSON line with DEL and C1 written as `\u007f`…`\u009f`
/// (serde_json escapes only C0). Those characters can only stand inside
/// strings there, so the line stays valid JSON with the same value.
fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_control) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_control(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_for_the_terminal() {
        assert_eq!(
            escape("> Last-Event-ID: \x1b]0;pwned\x07\x1b[2J"),
            "> Last-Event-ID: \\x1b]0;pwned\\x07\\x1b[2J"
        );
        assert_eq!(
            escape("a\r\nb\x7f\u{9b}2J\u{85}"),
            "a\\x0d\\x0ab\\x7f\\u{9b}2J\\u{85}"
        );
        // Tab, printable Unicode and backslashes are left alone, unallocated.
        assert!(matches!(escape("a\tb é \\x1b ✓"), Cow::Borrowed(_)));
        assert_eq!(escape("\u{a0}\u{100}"), "\u{a0}\u{100}");
        // Bidirectional overrides would reorder the rest of the line.
        assert_eq!(escape("ok\u{202e}txt.exe"), "ok\\u{202e}txt.exe");
        assert_eq!(escape("\u{2066}\u{200f}"), "\\u{2066}\\u{200f}");
        assert_eq!(escape_json("\"a\u{202e}b\""), "\"a\\u202eb\"");
    }

    #[test]
    fn long_messages_are_cut_after_redaction() {
        let secret = "s3cr3t-token-value";
        let log = Log::new(false, false, vec![secret.to_string()]);
        // A secret across the cut is redacted whole, never half shown.
        let msg = format!(
            "{}{secret}{}",
            "é".repeat(MSG_MAX / 2 - 4),
            "x".repeat(1 << 20)
        );
        let shown = log.shown(&msg);
        assert!(!shown.contains("s3cr"), "{}", &shown[MSG_MAX - 20..]);
        assert!(shown.len() < MSG_MAX + 40, "{}", shown.len());
        assert!(
            shown.ends_with(" more bytes)"),
            "{}",
            &shown[MSG_MAX - 20..]
        );
        assert_eq!(log.shown("short"), "short");
    }

    #[test]
    fn json_lines_escape_del_and_c1_and_keep_their_value() {
        let v = serde_json::json!({"msg": "x\u{1b}[2J\u{9b}y\u{7f}"});
        let line = escape_json(&v.to_string()).into_owned();
        assert!(line.is_ascii(), "{line}");
        assert!(!line.contains('\u{1b}'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), v);
    }

    #[test]
    fn secrets_are_redacted_longest_first() {
        let log = Log::new(
            false,
            false,
            vec!["pass".into(), "password123".into(), "x".into()],
        );
        assert_eq!(
            log.redact("user password123 and pass"),
            "user [redacted] and [redacted]"
        );
        // Too short to redact without destroying ordinary text.
        assert_eq!(log.redact("x marks"), "x marks");
    }

    #[test]
    fn secrets_learned_later_are_redacted_too() {
        let log = Log::new(false, false, vec!["first-token".into()]);
        assert_eq!(log.redact("a fresh-token"), "a fresh-token");
        log.add_secret("fresh-token");
        log.add_secret("fresh-token");
        log.add_secret("fresh-token-2");
        assert_eq!(
            log.redact("first-token fresh-token fresh-token-2"),
            "[redacted] [redacted] [redacted]"
        );
        assert_eq!(log.secrets.borrow().len(), 3);
        // A token refreshed for months keeps the list short: the newest
        // LEARNED_MAX, and the ones given at start, always.
        for n in 0..1000 {
            log.add_secret(&format!("token-{n:04}"));
        }
        assert_eq!(log.secrets.borrow().len(), 1 + LEARNED_MAX);
        assert_eq!(
            log.redact("first-token token-0999 token-0984 token-0983"),
            "[redacted] [redacted] [redacted] token-0983"
        );
    }

    #[test]
    fn json_objects_are_redacted_before_encoding() {
        let log = Log::with_format(LogFormat::Json, false, false, vec!["se\"cret".into()]);
        let line = log.object("warning", "token se\"cret refused", None);
        assert!(
            line.starts_with("{\"time\":\""),
            "keys in the documented order: {line}"
        );
        assert!(line.contains("\",\"level\":\"warning\",\"msg\":"), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["msg"], "token [redacted] refused");
        assert_eq!(v["level"], "warning");
        assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
}
