//! http::auth::command: runs `--bearer-command` (`sh -c CMD`) and takes its
//! trimmed stdout as the token, as kubectl's exec credential plugins and
//! git's credential helpers do. The run is bounded: stdin is closed, stdout
//! is capped, and a command that outlives `TIMEOUT` is killed with its
//! whole process group (a `sh -c` leaves its children behind otherwise).
//! A failure is one line: the exit status and the first line of stderr.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The longest a token command may run.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The most stdout a token command may print.
const STDOUT_MAX: u64 = 64 * 1024;

/// The most stderr kept (only its first line is shown).
const STDERR_MAX: u64 = 4096;

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
    let out = child.stdout.take().map(|s| drain(s, STDOUT_MAX + 1));
    let err = child.stderr.take().map(|s| drain(s, STDERR_MAX));
    let deadline = Instant::now() + timeout;
    let status = loop {
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
    // A child of the command may still hold the pipes open: wait a moment
    // for the output, not for it.
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.and_then(|rx| rx.recv_timeout(Duration::from_secs(1)).ok())
            .unwrap_or_default()
    };
    let (stdout, stderr) = (collect(out), collect(err));
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
    if stdout.len() as u64 > STDOUT_MAX {
        return Err(format!(
            "--bearer-command printed more than {} KiB; a token is expected",
            STDOUT_MAX / 1024
        ));
    }
    let Ok(text) = String::from_utf8(stdout) else {
        return Err("--bearer-command printed something that is not UTF-8 text".to_string());
    };
    let token = text.trim().to_string();
    super::token::check(&token).map_err(|why| format!("--bearer-command printed {why}"))?;
    Ok(token)
}

/// Read up to `max` bytes of a pipe on a thread of its own (so that a full
/// pipe cannot block the command), then keep draining it.
fn drain(mut pipe: impl Read + Send + 'static, max: u64) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("bearer-command".into())
        .spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.by_ref().take(max).read_to_end(&mut buf);
            let _ = tx.send(buf);
            let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        });
    // Without the thread the output is lost: the command's result then
    // reads as "no token", which is said.
    drop(spawned);
    rx
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
