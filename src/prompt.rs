//! prompt: asks for the password of `-u USER` on the terminal, as curl
//! does — `Enter host password for user 'USER':` written to and read from
//! the controlling terminal (`/dev/tty`) with echo off, so it works with
//! stdin and stderr redirected too. A process without a controlling
//! terminal (a service, cron, `docker run` without `-t`) is not asked;
//! `config` then refuses the flag instead of sending an empty password.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsRawFd;

/// The password typed (without its newline), or None when there is no
/// terminal to ask on.
pub fn password(user: &str) -> io::Result<Option<String>> {
    let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty") else {
        return Ok(None);
    };
    let mut out = &tty;
    let line = {
        // Echo off first, then the prompt: turning it off flushes pending
        // input, which would drop what is typed as soon as the prompt shows.
        let _quiet = EchoOff::new(&tty)?;
        write!(out, "Enter host password for user '{user}':")?;
        out.flush()?;
        let mut line = String::new();
        let read = BufReader::new(&tty).read_line(&mut line)?;
        if read == 0 {
            // Ctrl-D on an empty line: a cancel, not an empty password.
            let _ = writeln!(out);
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "nothing typed (end of input)",
            ));
        }
        line
    };
    // The newline typed was not echoed.
    writeln!(out)?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(Some(line.strip_suffix('\r').unwrap_or(line).to_string()))
}

/// Echo turned off on a terminal while this lives, then restored.
struct EchoOff<'a> {
    tty: &'a File,
    saved: libc::termios,
}

impl<'a> EchoOff<'a> {
    /// Echo off, or an error: a password is never read while it shows.
    fn new(tty: &'a File) -> io::Result<EchoOff<'a>> {
        let fd = tty.as_raw_fd();
        let failed = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("cannot turn off the terminal's echo ({e}); set SSETAP_PASSWORD"),
            )
        };
        // SAFETY: termios is plain data; tcgetattr fills it for an open fd.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(failed(io::Error::last_os_error()));
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: a termios tcgetattr filled, changed in one flag.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) } != 0 {
            return Err(failed(io::Error::last_os_error()));
        }
        Ok(EchoOff { tty, saved })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        // Nothing to do if this fails: the terminal is going away.
        // SAFETY: restores the settings read in `new` on the same fd.
        unsafe { libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSAFLUSH, &self.saved) };
    }
}
