//! resume::file: the `--state-file`, which keeps the last event ID across runs.
//! It is replaced atomically (temp file in the same directory, fsync, rename)
//! and only ever names an ID whose events were written (or acknowledged).
//! It holds the ID and nothing else: no URL, no header, no secret.

use super::CheckpointStore;
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct StateFile {
    path: PathBuf,
    saved: Option<String>,
    last_save: Option<Instant>,
}

/// At most one save a second while running; at exit, always.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

impl StateFile {
    /// Opens the state file: reads the saved ID if the file exists, and checks
    /// now that its directory is writable, so that a run does not fail later.
    pub fn open(path: &Path) -> Result<StateFile> {
        let id = match std::fs::read(path) {
            Ok(bytes) => Some(
                parse(&bytes).with_context(|| format!("corrupt state file {}", path.display()))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read state file {}", path.display()));
            }
        };
        let probe = temp_path(path);
        std::fs::File::create(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
            .with_context(|| format!("cannot write state file {}", path.display()))?;
        Ok(StateFile {
            path: path.to_path_buf(),
            saved: id,
            last_save: None,
        })
    }
}

impl CheckpointStore for StateFile {
    fn load(&mut self) -> Result<Option<String>> {
        Ok(self.saved.clone())
    }

    /// Saves `id` if it changed and the last save is a second old (or `force`).
    fn save(&mut self, id: &str, _delivered: u64, force: bool) -> Result<()> {
        if self.saved.as_deref() == Some(id) {
            return Ok(());
        }
        if !force && self.last_save.is_some_and(|t| t.elapsed() < MIN_INTERVAL) {
            return Ok(());
        }
        write_atomically(&self.path, &render(id))
            .with_context(|| format!("cannot write state file {}", self.path.display()))?;
        self.saved = Some(id.to_string());
        self.last_save = Some(Instant::now());
        Ok(())
    }
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

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
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
    fn an_unwritable_directory_is_found_at_open() {
        let p = Path::new("/nonexistent-dir-ssetap/x.state");
        let err = StateFile::open(p).err().unwrap();
        assert!(
            format!("{err:#}").contains("cannot write state file"),
            "{err:#}"
        );
    }
}
