//! exit: the documented exit codes, and the one place an error becomes one.

use std::fmt;

/// Exit codes, as documented in `--help`, the man page and the README. A
/// stop by a signal exits 128 + its number (`control::Stop::exit_code`):
/// 130 for SIGINT, 143 for SIGTERM.
pub const OK: i32 = 0;
pub const FAILURE: i32 = 1;
pub const USAGE: i32 = 2;

/// A problem with the command line itself: exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Exit code for an error that ended the run.
pub fn code_for(err: &anyhow::Error) -> i32 {
    if err.downcast_ref::<UsageError>().is_some() {
        USAGE
    } else {
        FAILURE
    }
}

/// True when the error chain says stdout's reader went away (`| head`):
/// that is a normal end, exit 0 without a message.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// One line for stderr: the error and its causes, joined by ": ".
pub fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for (i, cause) in err.chain().enumerate() {
        let text = cause.to_string();
        if i > 0 {
            if line.contains(&text) {
                continue;
            }
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn usage_errors_exit_2_and_others_exit_1() {
        assert_eq!(code_for(&UsageError("bad flag".into()).into()), USAGE);
        assert_eq!(code_for(&anyhow::anyhow!("io")), FAILURE);
    }

    #[test]
    fn broken_pipe_is_found_through_context() {
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let err = Err::<(), _>(io).context("writing stdout").unwrap_err();
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }

    #[test]
    fn one_line_joins_causes_without_repeats() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let err = Err::<(), _>(io).context("cannot read x").unwrap_err();
        assert_eq!(one_line(&err), "cannot read x: No such file");
    }
}
