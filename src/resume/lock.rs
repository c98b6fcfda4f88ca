//! resume::lock: one ssetap per `--state-file`. Two runs given the same file
//! would overwrite each other's ID, so a run takes an exclusive flock(2) for
//! as long as it lives, on a sidecar `<state>.lock` that holds its PID.
//!
//! Why a sidecar: the state file itself is replaced by rename on every save,
//! so a lock on it would lock an inode the next run never opens; the
//! directory may hold other streams' state files. A left-over sidecar
//! blocks nothing: the kernel drops a flock when its holder exits, also
//! after SIGKILL.
//!
//! A flock belongs to an inode, not to a name: once `<state>.lock` is
//! removed or replaced (an operator clearing a "stale" lock, a tmpfiles
//! cleaner, the directory renamed and made again), the next run locks a
//! new file and both runs share the state. So the lock is only believed
//! while the path still names the locked inode (device and inode number,
//! which cannot be reused while this run keeps the file open): checked
//! right after flock (a file removed between open and flock is locked
//! again) and before every save (`Lock::check`; a run that lost its lock
//! stops without saving).

use anyhow::{Context, Result, bail};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The lock, held until this is dropped (or the process ends).
#[derive(Debug)]
pub struct Lock {
    /// Kept open: it holds the flock, and keeps the inode number ours.
    _file: File,
    /// The state file and its `<state>.lock`, for `check`.
    state: PathBuf,
    path: PathBuf,
    /// The locked file's device and inode number.
    id: (u64, u64),
    /// Why the lock was found lost: every later `check` fails the same
    /// way, also if the file comes back (another run may have started in
    /// between).
    lost: Option<String>,
}

/// How many times a lock file removed or replaced between open and flock
/// is opened and locked again: one such race is rare, a second one in a
/// row means something keeps replacing it.
const ATTEMPTS: usize = 5;

impl Lock {
    /// Is this run's lock still the one the next run would take? Fails,
    /// and keeps failing, once `<state>.lock` no longer names the file
    /// this run locked: a save then would write a state another run may
    /// own. One lstat(2), before each save (at most about once a second).
    pub fn check(&mut self) -> Result<()> {
        if self.lost.is_none() {
            self.lost = match names(&self.path, self.id) {
                Ok(true) => return Ok(()),
                Ok(false) => Some(format!(
                    "the lock {} was removed or replaced while this run held it: \
                     another run may be using {}; stopping without saving",
                    self.path.display(),
                    self.state.display()
                )),
                Err(e) => Some(format!(
                    "cannot check the lock {}: {e}; stopping without saving",
                    self.path.display()
                )),
            };
        }
        bail!("{}", self.lost.as_deref().unwrap_or_default())
    }
}

/// `<state>.lock`, beside the state file.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    state.with_file_name(name)
}

/// Take the lock for `state`, or fail naming the file and the holder's PID.
pub fn acquire(state: &Path) -> Result<Lock> {
    acquire_with(state, &mut |_| {})
}

/// `acquire`, with `between` called after each open and before its flock
/// (where a test removes the file, as a race would).
fn acquire_with(state: &Path, between: &mut dyn FnMut(&Path)) -> Result<Lock> {
    let path = lock_path(state);
    let cannot = || format!("cannot lock --state-file {}", state.display());
    for _ in 0..ATTEMPTS {
        let mut file = open(&path).with_context(cannot)?;
        let meta = file.metadata().with_context(cannot)?;
        if !meta.is_file() {
            bail!("{}: {} is not a regular file", cannot(), path.display());
        }
        if let Some(why) = foreign(&meta) {
            bail!("{}: {} {why}", cannot(), path.display());
        }
        between(&path);
        if !try_flock(&file).with_context(cannot)? {
            let holder = holder_pid(&mut file);
            bail!(
                "--state-file {} is in use by another ssetap (pid {})",
                state.display(),
                holder.as_deref().unwrap_or("unknown")
            );
        }
        // Removed or replaced between open and flock: this flock is on a
        // file the next run will not open. Let it go and lock what the
        // path names now.
        let id = (meta.dev(), meta.ino());
        if !names(&path, id).with_context(cannot)? {
            continue;
        }
        // Ours now: say who holds it, for the next run's message.
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(pid.as_bytes()))
            .with_context(cannot)?;
        return Ok(Lock {
            _file: file,
            state: state.to_path_buf(),
            path,
            id,
            lost: None,
        });
    }
    bail!(
        "{}: {} was removed or replaced each of {ATTEMPTS} times it was locked",
        cannot(),
        path.display()
    )
}

/// Open (or create) the lock file.
fn open(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        // Never through a planted link; never block on a planted FIFO.
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| refine(e, path))
}

/// Does `path` name the file `id` (device, inode)? Not when it is gone (or
/// a directory on the way is), nor when it is another file, a symbolic
/// link included (lstat: the lock is never opened through one).
fn names(path: &Path, id: (u64, u64)) -> std::io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok((m.dev(), m.ino()) == id),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                || e.raw_os_error() == Some(libc::ENOTDIR) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Why a file another user owns is not this run's to trust, or None when
/// this user owns it. In a directory others can write to (a shared,
/// sticky /tmp), someone else's state file would choose where this run
/// resumes, and someone else's lock file would hold it off.
pub fn foreign(meta: &std::fs::Metadata) -> Option<String> {
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

    /// A fresh directory of this test's own.
    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ssetap-lock-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn lost_line(state: &Path) -> String {
        format!(
            "the lock {}.lock was removed or replaced while this run held it: \
             another run may be using {}; stopping without saving",
            state.display(),
            state.display()
        )
    }

    #[test]
    fn a_lock_whose_file_is_still_there_passes_the_check() {
        let state = dir("kept").join("s");
        let mut lock = acquire(&state).unwrap();
        lock.check().unwrap();
        lock.check().unwrap();
    }

    #[test]
    fn a_removed_lock_file_fails_the_check_for_good() {
        let d = dir("removed");
        let state = d.join("s");
        let mut lock = acquire(&state).unwrap();
        // Kept under another name, to put it back below.
        std::fs::hard_link(lock_path(&state), d.join("kept")).unwrap();
        std::fs::remove_file(lock_path(&state)).unwrap();
        let err = lock.check().unwrap_err();
        assert_eq!(format!("{err:#}"), lost_line(&state));
        // Back again: another run may have started in between.
        std::fs::rename(d.join("kept"), lock_path(&state)).unwrap();
        assert_eq!(
            format!("{:#}", lock.check().unwrap_err()),
            lost_line(&state)
        );
    }

    #[test]
    fn a_lock_file_replaced_by_another_runs_fails_the_check() {
        let state = dir("replaced").join("s");
        let mut first = acquire(&state).unwrap();
        std::fs::remove_file(lock_path(&state)).unwrap();
        // What the audit saw: the next run locks a new file at the path.
        let mut second = acquire(&state).unwrap();
        second.check().unwrap();
        assert_eq!(
            format!("{:#}", first.check().unwrap_err()),
            lost_line(&state)
        );
    }

    #[test]
    fn a_state_directory_renamed_and_made_again_fails_the_check() {
        let d = dir("moved");
        let state = d.join("sub").join("s");
        std::fs::create_dir(d.join("sub")).unwrap();
        let mut lock = acquire(&state).unwrap();
        std::fs::rename(d.join("sub"), d.join("sub.old")).unwrap();
        assert!(lock.check().is_err(), "the directory is gone");
        std::fs::create_dir(d.join("sub")).unwrap();
        assert_eq!(
            format!("{:#}", lock.check().unwrap_err()),
            lost_line(&state)
        );
    }

    #[test]
    fn a_lock_file_removed_between_open_and_flock_is_locked_again() {
        let state = dir("race").join("s");
        let mut opens = 0;
        let mut lock = acquire_with(&state, &mut |p| {
            opens += 1;
            if opens == 1 {
                std::fs::remove_file(p).unwrap();
            }
        })
        .unwrap();
        assert_eq!(opens, 2);
        lock.check().unwrap();
        // The file at the path is the one held: a second run is refused.
        let err = acquire(&state).unwrap_err();
        assert!(
            format!("{err:#}").contains("is in use by another ssetap"),
            "{err:#}"
        );
    }

    #[test]
    fn a_lock_file_that_keeps_being_replaced_is_given_up_on() {
        let state = dir("churn").join("s");
        let err = acquire_with(&state, &mut |p| std::fs::remove_file(p).unwrap()).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "cannot lock --state-file {}: {}.lock was removed or replaced each of {ATTEMPTS} times it was locked",
                state.display(),
                state.display()
            )
        );
    }

    #[test]
    fn a_link_at_the_lock_path_is_refused_and_left_alone() {
        let d = dir("link");
        let state = d.join("s");
        std::fs::write(d.join("target"), "precious").unwrap();
        std::os::unix::fs::symlink(d.join("target"), lock_path(&state)).unwrap();
        let err = acquire(&state).unwrap_err();
        assert!(
            format!("{err:#}").contains("s.lock is a symbolic link"),
            "{err:#}"
        );
        assert_eq!(
            std::fs::read_to_string(d.join("target")).unwrap(),
            "precious"
        );
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
