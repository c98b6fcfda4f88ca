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
        let _quiet = EchoOff::new(&tty);
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
    saved: Option<libc::termios>,
}

impl<'a> EchoOff<'a> {
    fn new(tty: &'a File) -> EchoOff<'a> {
        let fd = tty.as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it for an open fd.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        let saved = (unsafe { libc::tcgetattr(fd, &mut t) } == 0).then_some(t);
        if let Some(mut quiet) = saved {
            quiet.c_lflag &= !libc::ECHO;
            // SAFETY: a termios tcgetattr filled, changed in one flag.
            unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) };
        }
        EchoOff { tty, saved }
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            // SAFETY: restores the settings read in `new` on the same fd.
            unsafe { libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSAFLUSH, t) };
        }
    }
}
