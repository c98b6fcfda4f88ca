//! config::headers: the `-H` arguments. Each is a header (`Name: value`,
//! `Name:` to remove a default, `Name;` for an empty value) or, as in
//! curl, `@FILE`: one header per line (empty lines skipped, CRLF line ends
//! accepted; `@-` reads stdin), so that API keys need not stand on the
//! command line. A bad line is a usage error naming the file and line; a
//! file that cannot be read is an I/O error, as for `-d @FILE`.

use super::bad;
use crate::values::{self, HeaderArg};
use anyhow::{Context, Result};

/// Every header the `-H` arguments ask for, in order. `stdin_user` names
/// what else reads stdin, if anything (then `@-` is refused).
pub fn read(
    args: &[String],
    stdin_user: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Vec<HeaderArg>> {
    let mut out = Vec::new();
    for arg in args {
        let Some(path) = arg.strip_prefix('@') else {
            out.push(values::header(arg).map_err(bad)?);
            continue;
        };
        let text = if path == "-" {
            if let Some(other) = stdin_user {
                return Err(bad(format!("-H @- and {other} both want stdin")));
            }
            values::read_capped(std::io::stdin(), values::caps::LINES)
                .and_then(values::text)
                .context("cannot read -H @- from stdin")?
        } else {
            values::read_file_capped(path, values::caps::LINES)
                .and_then(values::text)
                .with_context(|| format!("cannot read -H file {path}"))?
        };
        let from_file = lines(&text).map_err(|e| bad(format!("-H @{path}: {e}")))?;
        let secret = from_file
            .iter()
            .any(|h| matches!(h, HeaderArg::Set(n, v) if crate::redact::is_secret_name(n) && !v.is_empty()));
        if secret && path != "-" && values::readable_by_others(std::path::Path::new(path)) {
            warnings.push(format!(
                "-H @{path} holds secret headers and others can read it; chmod 600 it"
            ));
        }
        out.extend(from_file);
    }
    Ok(out)
}

/// The headers of a header file's text, or which line is wrong and why.
fn lines(text: &str) -> Result<Vec<HeaderArg>, String> {
    let mut out = Vec::new();
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let header = values::header(line).map_err(|e| {
            let why = e.strip_prefix("-H: ").unwrap_or(&e);
            format!("line {}: {why}", n + 1)
        })?;
        out.push(header);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_file_is_one_header_per_line_as_curl_reads_it() {
        let got = lines("X-Api-Key: k1\r\n\r\nAccept:\n  \nX-Empty;\nX-A: b").unwrap();
        assert_eq!(
            got,
            [
                HeaderArg::Set("X-Api-Key".into(), "k1".into()),
                HeaderArg::Remove("Accept".into()),
                HeaderArg::Set("X-Empty".into(), String::new()),
                HeaderArg::Set("X-A".into(), "b".into()),
            ]
        );
        assert_eq!(lines("").unwrap(), []);
    }

    #[test]
    fn a_bad_line_is_named() {
        let e = lines("X-A: 1\n\nno colon here\n").unwrap_err();
        assert_eq!(e, "line 3: expected 'Name: value' (found no colon)");
        let e = lines("Bad Name: v").unwrap_err();
        assert!(e.starts_with("line 1: invalid header name"), "{e}");
    }
}
