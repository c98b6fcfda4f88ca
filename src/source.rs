//! source: the non-HTTP inputs — a file of recorded SSE, or stdin. Stdin is
//! read through poll(2) with a short timeout so that a stop request (Ctrl-C,
//! `--duration`) ends the run even while nothing arrives on the pipe. The
//! HTTP source lives in `http`.

use crate::control::Control;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{self, Read};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::path::Path;
use std::sync::Arc;

pub fn file(path: &Path) -> Result<File> {
    let f = File::open(path).with_context(|| {
        let hint = if path.to_string_lossy().contains('.')
            && !path.exists()
            && !path.to_string_lossy().contains('/')
        {
            " (URLs start with http:// or https://)"
        } else {
            ""
        };
        format!("cannot open {}{hint}", path.display())
    })?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("{} is a directory", path.display());
    }
    Ok(f)
}

pub struct Stdin {
    fd: ManuallyDrop<File>,
    control: Arc<Control>,
}

pub fn stdin(control: Arc<Control>) -> Stdin {
    // SAFETY: fd 0 stays open for the life of the process; ManuallyDrop
    // keeps us from closing it.
    let fd = ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
    Stdin { fd, control }
}

impl Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.control.stopped().is_some() {
                return Err(io::Error::other("stopped"));
            }
            let mut pfd = libc::pollfd {
                fd: 0,
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
                return self.fd.read(buf);
            }
        }
    }
}
