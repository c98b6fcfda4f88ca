//! resume::lock: one ssetap per `--state-file`. Two runs given the same file
//! would overwrite each other's ID, so a run takes an exclusive flock(2) for
//! as long as it lives, on a sidecar `<state>.lock` that holds its PID.
//!
//! Why a sidecar: the state file itself is replaced by rename on every save,
//! so a lock on it would lock an inode the next run never opens; the
//! directory may hold other streams' state files. The sidecar is never
//! removed (removing it while held would let a second run lock a new inode
//! beside the first), and a left-over one blocks nothing: the kernel drops
//! a flock when its holder exits, also after SIGKILL.

use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The lock, held until this is dropped (or the process ends).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// `<state>.lock`, beside the state file.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    state.with_file_name(name)
}

/// Take the lock for `state`, or fail naming the file and the holder's PID.
pub fn acquire(state: &Path) -> Result<Lock> {
    let path = lock_path(state);
    let cannot = || format!("cannot lock --state-file {}", state.display());
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        // Never through a planted link; never block on a planted FIFO.
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(&path)
        .map_err(|e| refine(e, &path))
        .with_context(cannot)?;
    let meta = file.metadata().with_context(cannot)?;
    if !meta.is_file() {
        bail!("{}: {} is not a regular file", cannot(), path.display());
    }
    if let Some(why) = foreign(&meta) {
        bail!("{}: {} {why}", cannot(), path.display());
    }
    if !try_flock(&file).with_context(cannot)? {
        let holder = holder_pid(&mut file);
        bail!(
            "--state-file {} is in use by another ssetap (pid {})",
            state.display(),
            holder.as_deref().unwrap_or("unknown")
        );
    }
    // Ours now: say who holds it, for the next run's message.
    let pid = format!("{}\n", std::process::id());
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(pid.as_bytes()))
        .with_context(cannot)?;
    Ok(Lock { _file: file })
}

/// Why a file another user owns is not this run's to trust, or None when
/// this user owns it. In a directory others can write to (a shared,
/// sticky /tmp), someone else's state file would choose where this run
/// resumes, and someone else's lock file would hold it off.
pub fn foreign(meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid(2) cannot fail and has no side effects.
    let me = unsafe { libc::geteuid() };
    (meta.uid() != me).then(|| {
        format!(
            "belongs to uid {}, not to this user (uid {me}): give a path in a directory of your own",
            meta.uid()
        )
    })
}

/// flock(LOCK_EX | LOCK_NB): true when taken, false when another holds it.
fn try_flock(file: &File) -> std::io::Result<bool> {
    loop {
        // SAFETY: flock(2) on a descriptor this File owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// The PID the holder wrote. It writes it just after taking the lock, so a
/// run that lost the race by microseconds may find the file still empty.
fn holder_pid(file: &mut File) -> Option<String> {
    for _ in 0..5 {
        let mut text = String::new();
        let read = file
            .seek(SeekFrom::Start(0))
            .and_then(|_| file.take(32).read_to_string(&mut text));
        if read.is_ok()
            && let Some(pid) = parse_pid(&text)
        {
            return Some(pid);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}

/// A PID as the holder wrote it; anything else is not trusted into a message.
fn parse_pid(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.len() <= 10 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.into())
}

/// ELOOP from O_NOFOLLOW says "symbolic link" as "too many levels".
fn refine(e: std::io::Error, path: &Path) -> anyhow::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        anyhow::anyhow!("{} is a symbolic link", path.display())
    } else {
        anyhow::Error::new(e).context(format!("cannot open {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_the_state_file() {
        assert_eq!(
            lock_path(Path::new("/var/lib/x/wiki.state")),
            Path::new("/var/lib/x/wiki.state.lock")
        );
        assert_eq!(lock_path(Path::new("w")), Path::new("w.lock"));
    }

    #[test]
    fn only_a_plain_pid_is_believed() {
        assert_eq!(parse_pid("1234\n").as_deref(), Some("1234"));
        assert_eq!(parse_pid(""), None);
        assert_eq!(parse_pid("12 34"), None);
        assert_eq!(parse_pid("\x1b[31m"), None);
        assert_eq!(parse_pid("12345678901"), None);
    }
}
