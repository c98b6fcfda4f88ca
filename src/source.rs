//! source: the non-HTTP inputs — a file of recorded SSE, or stdin. Stdin is
//! read through poll(2) with a short timeout so that a stop request (Ctrl-C,
//! `--duration`) ends the run even while nothing arrives on the pipe, and a
//! quiet pipe ticks once a second (`tick`). The
//! HTTP source lives in `http`.

use crate::control::Control;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;
use std::sync::Arc;

pub fn file(path: &Path) -> Result<File> {
    let f = File::open(path).with_context(|| {
        let name = path.to_string_lossy();
        let hint = match &*name {
            "help" | "version" if !path.exists() => format!(" (did you mean --{name}?)"),
            _ => url_hint(&name)
                .filter(|_| !path.exists())
                .map(|url| format!(" (did you mean {url}?)"))
                .unwrap_or_default(),
        };
        format!("cannot open {}{hint}", path.display())
    })?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("{} is a directory", path.display());
    }
    Ok(f)
}

/// A name that looks like a URL without its scheme (`localhost:8080/x`,
/// `example.com/events`): the URL it probably meant.
fn url_hint(name: &str) -> Option<String> {
    let host_end = name.find('/').unwrap_or(name.len());
    let authority = &name[..host_end];
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_like = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && (host == "localhost" || host.contains('.'))
        && !host.starts_with('.')
        && !host.ends_with('.');
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    // A plain file name such as events.sse is a file, not a host.
    let looks_like_file = port.is_none() && host_end == name.len();
    (host_like && port_ok && !looks_like_file).then(|| format!("http://{name}"))
}

pub struct Stdin {
    /// A duplicate of fd 0 (closing it leaves fd 0 open), or why there is
    /// none: reported by the first read.
    fd: io::Result<File>,
    control: Arc<Control>,
}

pub fn stdin(control: Arc<Control>) -> Stdin {
    let fd = io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open stdin: {e}")));
    Stdin { fd, control }
}

impl Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let fd = match &mut self.fd {
            Ok(fd) => fd,
            Err(e) => return Err(io::Error::new(e.kind(), e.to_string())),
        };
        let since = std::time::Instant::now();
        loop {
            if self.control.stopped().is_some() {
                return Err(io::Error::other("stopped"));
            }
            if since.elapsed() >= crate::tick::TICK {
                return Err(crate::tick::error());
            }
            let mut pfd = libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, count 1.
            let ready = unsafe { libc::poll(&mut pfd, 1, 100) };
            if ready < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            if ready > 0 {
                return fd.read(buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_look_like_urls_get_a_hint() {
        let h = |s: &str| url_hint(s);
        assert_eq!(
            h("localhost:8080/events").as_deref(),
            Some("http://localhost:8080/events")
        );
        assert_eq!(
            h("example.com/v2/stream").as_deref(),
            Some("http://example.com/v2/stream")
        );
        assert_eq!(
            h("127.0.0.1:9000").as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(h("events.sse"), None);
        assert_eq!(h("dir/events.sse"), None);
        assert_eq!(h("./x.sse"), None);
        assert_eq!(h("capture"), None);
    }
}
