//! resume::file: the `--state-file`, which keeps the last event ID across runs.
//! It holds the ID and nothing else: no URL, no header, no secret, and only
//! ever names an ID whose events were written (or acknowledged).
//!
//! Every save is a new file: created under an unpredictable name in the same
//! directory with `O_EXCL | O_NOFOLLOW` and mode 0600 (so a planted link or
//! file is never written through), fsynced, renamed over the state file,
//! then the directory is fsynced so the rename survives a crash. A symbolic
//! link at the state path is refused at open: the rename would replace the
//! link, not its target, so the next run would read another file than this
//! one wrote. A run holds `lock` for as long as it lives, and saves only
//! while the lock file is still the one it locked (`Lock::check`): once
//! it was removed or replaced, another run may own the state, and this
//! run's save fails (the pipeline then stops, exit 1) without writing.

use super::ResumeStore;
use super::lock::{self, Lock};
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The largest state file read: one ID of at most `MAX_ID_LEN` bytes,
/// JSON-escaped (`\u0001`: six bytes a byte), with room to spare.
const STATE_MAX: u64 = 8 * super::MAX_ID_LEN as u64;

pub struct StateFile {
    path: PathBuf,
    saved: Option<String>,
    last_save: Option<Instant>,
    lock: Lock,
}

/// At most one save a second while running; at exit, always.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// Random characters in a temporary file's name.
const TEMP_RANDOM: usize = 12;

impl StateFile {
    /// Opens the state file for this run: takes its lock (or fails naming
    /// the run that holds it), reads the saved ID if the file exists, and
    /// saves now as every later save will (the saved ID again, or a file of
    /// an ID's size written, synced and removed), so that a full disk, a
    /// directory that cannot be synced or a rename that is not allowed
    /// fails the start, not the first save after events were written.
    pub fn open(path: &Path) -> Result<StateFile> {
        // A directory would put the lock file beside it, outside the
        // directory the user named: refuse before anything is created.
        let dir_like = path.as_os_str().as_bytes().ends_with(b"/") || path.is_dir();
        if dir_like || path.file_name().is_none() {
            bail!("--state-file {} does not name a file", path.display());
        }
        let lock = lock::acquire(path)?;
        sweep_temps(path);
        let id = read(path)?;
        let trial = match &id {
            Some(id) => write_atomically(path, &render(id)),
            None => try_write(path),
        };
        trial.with_context(|| format!("cannot write state file {}", path.display()))?;
        Ok(StateFile {
            path: path.to_path_buf(),
            saved: id,
            last_save: None,
            lock,
        })
    }
}

impl ResumeStore for StateFile {
    fn load(&mut self) -> Result<Option<String>> {
        Ok(self.saved.clone())
    }

    /// Saves `id` if it changed and the last save is a second old (or
    /// `force`), and only while this run still holds the lock.
    fn save(&mut self, id: &str, _delivered: u64, force: bool) -> Result<()> {
        if self.saved.as_deref() == Some(id) {
            return Ok(());
        }
        if !force && self.last_save.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
            return Ok(());
        }
        self.lock.check()?;
        write_atomically(&self.path, &render(id))
            .with_context(|| format!("cannot write state file {}", self.path.display()))?;
        self.saved = Some(id.to_string());
        self.last_save = Some(Instant::now());
        Ok(())
    }
}

/// The saved ID, or None when there is no state file yet. Only a regular
/// file is read: not through a symbolic link, and never a FIFO or a device
/// that would block or never end.
fn read(path: &Path) -> Result<Option<String>> {
    let cannot = || format!("cannot read state file {}", path.display());
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => bail!(
            "--state-file {} is a symbolic link: give the path of the file itself \
             (each save replaces the state file, which would replace the link, not its target)",
            path.display()
        ),
        Err(e) => return Err(e).with_context(cannot),
    };
    let meta = file.metadata().with_context(cannot)?;
    if !meta.is_file() {
        bail!("--state-file {} is not a regular file", path.display());
    }
    if let Some(why) = lock::foreign(&meta) {
        bail!("--state-file {} {why}", path.display());
    }
    // A larger file is not one ssetap wrote, and is not read whole to find
    // that out.
    let mut bytes = Vec::new();
    file.take(STATE_MAX + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot)?;
    if bytes.len() > STATE_MAX as usize {
        bail!(
            "corrupt state file {}: over {STATE_MAX} bytes, more than an ID ssetap saves",
            path.display()
        );
    }
    let id = parse(&bytes).with_context(|| format!("corrupt state file {}", path.display()))?;
    Ok(Some(id))
}

fn render(id: &str) -> Vec<u8> {
    let mut out = serde_json::json!({ "last_event_id": id })
        .to_string()
        .into_bytes();
    out.push(b'\n');
    out
}

fn parse(bytes: &[u8]) -> Result<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).context("not JSON")?;
    match v.get("last_event_id").and_then(|id| id.as_str()) {
        Some(id) => Ok(id.to_string()),
        None => bail!("no \"last_event_id\" string in it"),
    }
}

/// A generator seeded from the OS's randomness (std's `RandomState` keys):
/// fastrand's own seed is the clock, which another user can narrow down.
fn unpredictable() -> fastrand::Rng {
    use std::hash::BuildHasher;
    let seed = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
    fastrand::Rng::with_seed(seed)
}

/// `<state>.tmp.<random>`, beside the state file.
fn temp_path(path: &Path, rng: &mut fastrand::Rng) -> PathBuf {
    let mut name: OsString = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp.");
    name.push(
        (0..TEMP_RANDOM)
            .map(|_| rng.alphanumeric())
            .collect::<String>(),
    );
    path.with_file_name(name)
}

/// Remove temporary files a killed run left beside `path` (a SIGKILL
/// between creating one and renaming it: one in a few hundred kills),
/// which would otherwise pile up over months of restarts. Only with the
/// lock held (no other run of ours writes there), only names of our own
/// shape, only regular files this user owns; a link is left alone.
fn sweep_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut prefix = name.as_bytes().to_vec();
    prefix.extend_from_slice(b".tmp.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let ours = file_name
            .as_bytes()
            .strip_prefix(prefix.as_slice())
            .is_some_and(|r| r.len() == TEMP_RANDOM && r.iter().all(u8::is_ascii_alphanumeric));
        let plain = entry
            .path()
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_file() && lock::foreign(&m).is_none());
        if ours && plain {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A new, empty, private file beside `path`. `O_EXCL | O_NOFOLLOW`: whatever
/// already has the name (a file, a planted symbolic link) is left alone and
/// another name is tried.
fn create_temp(path: &Path, rng: &mut fastrand::Rng) -> std::io::Result<(PathBuf, File)> {
    let mut tries = 0;
    loop {
        let tmp = temp_path(path, rng);
        let opened = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp);
        match opened {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 100 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (tmp, mut f) = create_temp(path, &mut unpredictable())?;
    let result = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    drop(f);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(path)
}

/// With no state file yet: what a save does, short of the rename (which
/// would leave a state file with no ID in it): a file as large as the
/// largest save, written, synced and removed, then the directory synced.
fn try_write(path: &Path) -> std::io::Result<()> {
    let (tmp, mut f) = create_temp(path, &mut unpredictable())?;
    let written = f
        .write_all(&render(&"-".repeat(super::MAX_ID_LEN)))
        .and_then(|()| f.sync_all());
    drop(f);
    let removed = std::fs::remove_file(&tmp);
    written.and(removed).and_then(|()| sync_dir(path))
}

/// fsync the state file's directory, so that the rename is on disk too.
/// A file system that cannot sync a directory (EINVAL) has nothing to add.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match File::open(dir).and_then(|d| d.sync_all()) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "ssetap-state-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn saves_and_reads_back() {
        let p = dir().join("a.state");
        let _ = std::fs::remove_file(&p);
        let mut s = StateFile::open(&p).unwrap();
        assert_eq!(s.load().unwrap(), None);
        s.save("42", 0, true).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "{\"last_event_id\":\"42\"}\n"
        );
        drop(s); // the run ends, and with it its lock
        let mut s = StateFile::open(&p).unwrap();
        assert_eq!(s.load().unwrap().as_deref(), Some("42"));
    }

    #[test]
    fn saves_at_most_once_a_second_unless_forced() {
        let p = dir().join("b.state");
        let mut s = StateFile::open(&p).unwrap();
        s.save("1", 0, false).unwrap();
        s.save("2", 0, false).unwrap();
        assert!(std::fs::read_to_string(&p).unwrap().contains("\"1\""));
        s.save("3", 0, true).unwrap();
        assert!(std::fs::read_to_string(&p).unwrap().contains("\"3\""));
    }

    #[test]
    fn a_corrupt_file_is_an_error_that_names_it() {
        let p = dir().join("c.state");
        std::fs::write(&p, "garbage").unwrap();
        let err = StateFile::open(&p).err().unwrap();
        assert!(format!("{err:#}").contains("corrupt state file"), "{err:#}");
    }

    #[test]
    fn a_directory_is_refused_before_anything_is_created() {
        let d = dir().join("k");
        std::fs::create_dir_all(&d).unwrap();
        for p in [d.clone(), d.join("")] {
            let err = StateFile::open(&p).err().unwrap();
            assert!(
                format!("{err:#}").contains("does not name a file"),
                "{err:#}"
            );
        }
        assert!(!dir().join("k.lock").exists());
    }

    #[test]
    fn an_unwritable_directory_is_found_at_open() {
        let p = Path::new("/nonexistent-dir-ssetap/x.state");
        let err = StateFile::open(p).err().unwrap();
        assert!(
            format!("{err:#}").contains("cannot lock --state-file /nonexistent-dir-ssetap/x.state"),
            "{err:#}"
        );
    }

    #[test]
    fn a_second_run_on_the_same_file_is_refused_until_the_first_ends() {
        let p = dir().join("d.state");
        let first = StateFile::open(&p).unwrap();
        // flock belongs to an open file, so a second open conflicts even
        // inside one process.
        let err = StateFile::open(&p).err().unwrap();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "--state-file {} is in use by another ssetap (pid {})",
                p.display(),
                std::process::id()
            )
        );
        drop(first);
        StateFile::open(&p).unwrap();
    }

    #[test]
    fn a_run_whose_lock_file_was_removed_saves_nothing_more() {
        let p = dir().join("l.state");
        let mut s = StateFile::open(&p).unwrap();
        s.save("1", 0, true).unwrap();
        std::fs::remove_file(lock::lock_path(&p)).unwrap();
        // Within the second: not a save yet, so nothing to refuse.
        s.save("2", 0, false).unwrap();
        for _ in 0..2 {
            let err = s.save("2", 0, true).unwrap_err();
            assert!(
                format!("{err:#}").contains("stopping without saving"),
                "{err:#}"
            );
        }
        assert_eq!(read(&p).unwrap().as_deref(), Some("1"));
    }

    #[test]
    fn a_symbolic_link_at_the_state_path_is_refused_and_left_alone() {
        let d = dir();
        let target = d.join("e-target");
        std::fs::write(&target, "{\"last_event_id\":\"theirs\"}").unwrap();
        let p = d.join("e.state");
        let _ = std::fs::remove_file(&p);
        std::os::unix::fs::symlink(&target, &p).unwrap();
        let err = StateFile::open(&p).err().unwrap();
        assert!(format!("{err:#}").contains("is a symbolic link"), "{err:#}");
        assert!(std::fs::symlink_metadata(&p).unwrap().is_symlink());
    }

    #[test]
    fn a_fifo_at_the_state_path_is_refused_without_blocking() {
        let p = dir().join("f.state");
        let _ = std::fs::remove_file(&p);
        let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
        // SAFETY: mkfifo(3) with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = StateFile::open(&p).err().unwrap();
        assert!(format!("{err:#}").contains("not a regular file"), "{err:#}");
    }

    #[test]
    fn a_saved_file_is_private_and_no_temporary_file_is_left() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir().join("g");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("g.state");
        let mut s = StateFile::open(&p).unwrap();
        s.save("1", 0, true).unwrap();
        s.save("2", 0, true).unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mut names: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["g.state", "g.state.lock"]);
    }

    #[test]
    fn temporary_names_are_random_and_beside_the_state_file() {
        let mut rng = fastrand::Rng::with_seed(1);
        let a = temp_path(Path::new("/s/w.state"), &mut rng);
        let b = temp_path(Path::new("/s/w.state"), &mut rng);
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("/s")));
        let name = a.file_name().unwrap().to_str().unwrap();
        let random = name.strip_prefix("w.state.tmp.").unwrap();
        assert_eq!(random.len(), TEMP_RANDOM);
        assert!(random.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn a_link_planted_at_a_guessed_temporary_name_is_not_written_through() {
        let d = dir();
        let target = d.join("h-target");
        std::fs::write(&target, "precious").unwrap();
        let p = d.join("h.state");
        // The attacker guessed the first name exactly.
        let guessed = temp_path(&p, &mut fastrand::Rng::with_seed(9));
        let _ = std::fs::remove_file(&guessed);
        std::os::unix::fs::symlink(&target, &guessed).unwrap();
        let (tmp, mut f) = create_temp(&p, &mut fastrand::Rng::with_seed(9)).unwrap();
        assert_ne!(tmp, guessed);
        f.write_all(b"ours").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        assert!(std::fs::symlink_metadata(&guessed).unwrap().is_symlink());
        std::fs::remove_file(tmp).unwrap();
    }
}
