//! sink::stdout: the stdout sink, a `Writer` over a descriptor of our own
//! (stdout's buffer is bypassed). When the run keeps a resume point and
//! stdout is a regular file, a record counts as written only once it is on
//! disk: the file's data is synced (fdatasync) at most once a second and
//! at the end, before the resume point may name it. Without that, a crash
//! or a power cut could leave a saved state naming events that were still
//! in the page cache (the state file itself is synced on every save), and
//! the next run would resume after them.

use super::{Record, Writer};
use anyhow::{Result, anyhow};
use std::fs::File;
use std::time::{Duration, Instant};

/// How often the file is synced while records come.
const SYNC_EVERY: Duration = Duration::from_secs(1);

pub struct Stdout {
    out: Writer<File>,
    disk: Option<Disk>,
}

/// The file stdout is, when records count once on disk.
struct Disk {
    file: File,
    /// Every record of the events numbered up to this one is on disk.
    synced: u64,
    last: Option<Instant>,
}

impl Stdout {
    pub fn open() -> Result<Stdout> {
        Ok(Stdout {
            out: Writer::new(own_stdout()?),
            disk: None,
        })
    }

    /// A resume point is kept: when stdout is a regular file, count a
    /// record as written once it is on disk. Pipes, terminals and
    /// /dev/null have no disk to wait for.
    pub fn count_on_disk(&mut self) -> Result<()> {
        let file = own_stdout()?;
        if file.metadata().is_ok_and(|m| m.file_type().is_file()) {
            self.disk = Some(Disk {
                file,
                synced: 0,
                last: None,
            });
        }
        Ok(())
    }

    #[inline]
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        self.out.buffer()
    }

    #[inline(always)]
    pub fn record(&mut self, rec: &Record<'_>, chunk: &[u8]) -> Result<()> {
        self.out.record(rec, chunk)
    }

    pub fn release(&mut self, chunk: &[u8]) -> Result<()> {
        self.out.release(chunk)
    }

    /// Write what is pending; sync it if a second has passed.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()?;
        self.sync(false)
    }

    /// At exit: write and sync everything; what was written is synced
    /// even when the rest cannot be written, so the state may name it.
    pub fn close(&mut self) -> Result<()> {
        let flushed = self.out.flush();
        self.sync(true)?;
        flushed
    }

    /// Every record of the events numbered up to this one is written (and
    /// on disk, when that is asked).
    pub fn written(&self) -> u64 {
        match &self.disk {
            Some(d) => d.synced,
            None => self.out.written(),
        }
    }

    fn sync(&mut self, force: bool) -> Result<()> {
        let Some(d) = &mut self.disk else {
            return Ok(());
        };
        let written = self.out.written();
        if d.synced == written || (!force && d.last.is_some_and(|t| t.elapsed() < SYNC_EVERY)) {
            return Ok(());
        }
        d.file
            .sync_data()
            .map_err(|e| anyhow!("cannot sync stdout to its disk: {e}"))?;
        d.synced = written;
        d.last = Some(Instant::now());
        Ok(())
    }
}

fn own_stdout() -> Result<File> {
    use std::os::fd::AsFd;
    let fd = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| anyhow!("cannot use stdout: {e}"))?;
    Ok(File::from(fd))
}
