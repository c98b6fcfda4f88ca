//! http::auth::command: runs `--bearer-command` (`sh -c CMD`) and takes its
//! trimmed stdout as the token, as kubectl's exec credential plugins and
//! git's credential helpers do. The run is bounded: stdin is closed, stdout
//! is capped, and a command that outlives `TIMEOUT` is killed with its
//! whole process group (a `sh -c` leaves its children behind otherwise).
//! Its pipes are read on the calling thread, without blocking: a child the
//! command leaves running with stdout open neither hides what the command
//! printed nor keeps a thread of ours waiting.
//! A failure is one line: the exit status and the first line of stderr.

use std::io::{ErrorKind, Read};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a token command may run.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The most stdout a token command may print.
const STDOUT_MAX: usize = 64 * 1024;

/// The most stderr kept (only its first line is shown).
const STDERR_MAX: usize = 4096;

/// Run `cmd` and return its trimmed stdout, or one line saying why not.
/// `stopped` ends it early (a stop request must not wait for it).
pub fn run(cmd: &str, timeout: Duration, stopped: &dyn Fn() -> bool) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("--bearer-command: cannot run sh: {e}"))?;
    // Both pipes are read here, without blocking, between looks at the
    // command: no thread to outlive it, and a full pipe never blocks it.
    let mut out = Pipe::new(child.stdout.take(), STDOUT_MAX + 1);
    let mut err = Pipe::new(child.stderr.take(), STDERR_MAX);
    let deadline = Instant::now() + timeout;
    let status = loop {
        out.pump();
        err.pump();
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                break Err(format!(
                    "--bearer-command timed out after {}s (killed)",
                    timeout.as_secs()
                ));
            }
            Ok(None) if stopped() => break Err("--bearer-command: stopped".to_string()),
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("--bearer-command: cannot wait for it: {e}")),
        }
    };
    let status = match status {
        Ok(status) => status,
        Err(why) => {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
            return Err(why);
        }
    };
    // What the command printed before it exited is in the pipes. A child
    // it left behind may hold them open: wait a moment for their end, not
    // for that child; then they are closed (dropped) all the same.
    let grace = Instant::now() + Duration::from_secs(1);
    while !(out.pump() & err.pump()) && Instant::now() < grace {
        std::thread::sleep(Duration::from_millis(10));
    }
    let (stdout, stderr) = (out.bytes, err.bytes);
    if !status.success() {
        let why = match status.code() {
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_string(),
        };
        let first = String::from_utf8_lossy(&stderr)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| format!(": {}", l.chars().take(300).collect::<String>()))
            .unwrap_or_default();
        return Err(format!("--bearer-command failed ({why}){first}"));
    }
    if stdout.len() > STDOUT_MAX {
        return Err(format!(
            "--bearer-command printed more than {} KiB; a token is expected",
            STDOUT_MAX / 1024
        ));
    }
    let Ok(text) = String::from_utf8(stdout) else {
        return Err("--bearer-command printed something that is not UTF-8 text".to_string());
    };
    let token = text.trim().to_string();
    super::token::check(&token).map_err(|why| {
        format!("--bearer-command printed an unusable token ({why}; print only the token)")
    })?;
    Ok(token)
}

/// One of the command's pipes, read without blocking: the first `max`
/// bytes are kept, the rest read and dropped.
struct Pipe<R> {
    pipe: Option<R>,
    bytes: Vec<u8>,
    max: usize,
}

impl<R: Read + AsRawFd> Pipe<R> {
    fn new(pipe: Option<R>, max: usize) -> Pipe<R> {
        // A pipe that cannot be made non-blocking is not read (its output
        // is then missing, which reads as "no token" and is said).
        let pipe = pipe.filter(|p| set_nonblocking(p.as_raw_fd()));
        Pipe {
            pipe,
            bytes: Vec::new(),
            max,
        }
    }

    /// Read what is there; true once the pipe is at its end (or unusable).
    fn pump(&mut self) -> bool {
        let Some(pipe) = &mut self.pipe else {
            return true;
        };
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let room = self.max.saturating_sub(self.bytes.len());
                    self.bytes.extend_from_slice(&chunk[..n.min(room)]);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(_) => break,
            }
        }
        self.pipe = None;
        true
    }
}

/// O_NONBLOCK on a descriptor this process owns; false if it failed.
fn set_nonblocking(fd: std::os::fd::RawFd) -> bool {
    // SAFETY: fcntl(2) F_GETFL/F_SETFL on a descriptor owned by the caller.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == 0
    }
}

fn kill_group(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group,
        // which `process_group(0)` made the command's own.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}
