//! log: everything ssetap says on stderr — connection changes, warnings,
//! `-v` headers and the live `--stats` line. Every line passes through
//! `redact`, so a secret given on the command line, in the environment or in
//! a `-F` file cannot reach the terminal, whatever error text carries it.

use std::cell::Cell;
use std::io::{IsTerminal, Write};

pub struct Log {
    quiet: bool,
    verbose: bool,
    secrets: Vec<String>,
    /// A live status line is on screen and must be cleared before a message.
    status_shown: Cell<bool>,
    stderr_tty: bool,
}

impl Log {
    pub fn new(quiet: bool, verbose: bool, mut secrets: Vec<String>) -> Log {
        // Longest first, so that a secret containing another is hidden whole.
        secrets.retain(|s| s.len() >= 3);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Log {
            quiet,
            verbose,
            secrets,
            status_shown: Cell::new(false),
            stderr_tty: std::io::stderr().is_terminal()
                || std::env::var_os("SSETAP_TEST_STDERR_TTY").is_some(),
        }
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
            self.line(msg);
        }
    }

    /// A connection message shown even with `-q`.
    pub fn notice(&self, msg: &str) {
        self.line(msg);
    }

    /// Always shown.
    pub fn warn(&self, msg: &str) {
        self.line(&format!("warning: {msg}"));
    }

    pub fn error(&self, msg: &str) {
        self.line(&format!("error: {msg}"));
    }

    /// `-v` only.
    pub fn debug(&self, msg: &str) {
        if self.verbose {
            self.line(msg);
        }
    }

    /// Replace the live status line (stderr terminal only).
    pub fn status(&self, text: &str) {
        if !self.stderr_tty {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", self.redact(text));
        let _ = err.flush();
        self.status_shown.set(true);
    }

    pub fn clear_status(&self) {
        if self.status_shown.replace(false) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }

    fn line(&self, msg: &str) {
        self.clear_status();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "ssetap: {}", self.redact(msg));
    }

    /// The text with every known secret replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "[redacted]");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
