//! sink::writer::cut: taking back the bytes of a part-written event after a
//! failed write, so that a file holds only whole events. Only a regular
//! file can be cut, and only when it ends exactly where our own last write
//! ended: if it grew since (another process appends to it too), the bytes
//! past the resume point are no longer its last ones and it is left alone.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};

/// What became of the bytes past the last whole event.
#[derive(Debug)]
pub enum Cut {
    /// Taken back (or there were none): the output ends with a whole event.
    Done,
    /// Not a regular file (a pipe, a terminal, a socket): what it took is
    /// gone to its reader.
    NotAFile,
    /// A file that does not end where our last write ended (another
    /// process wrote to it since): left as it is.
    Grown,
    /// A file that could not be cut.
    Failed(std::io::Error),
}

/// Where the stdout `Writer` writes: a `Write` that can take back its last
/// bytes after a failed write.
pub trait Output: Write {
    /// Take back the last `extra` bytes this output took from us.
    fn cut_back(&mut self, extra: u64) -> Cut;
}

impl Output for File {
    fn cut_back(&mut self, extra: u64) -> Cut {
        if extra == 0 {
            return Cut::Done;
        }
        let size = match self.metadata() {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => return Cut::NotAFile,
            Err(e) => return Cut::Failed(e),
        };
        // After a write, even with O_APPEND (`>>`), the offset is where the
        // write ended; with `1<>` it may lie before the file's end.
        let ours = match self.stream_position() {
            Ok(p) => p,
            Err(e) => return Cut::Failed(e),
        };
        let Some(cut) = ours.checked_sub(extra).filter(|_| size == ours) else {
            return Cut::Grown;
        };
        // The offset goes back too, so that whoever writes next on this
        // descriptor (`{ ssetap URL; echo; } > f`) leaves no hole.
        match self
            .set_len(cut)
            .and_then(|()| self.seek(SeekFrom::Start(cut)))
        {
            Ok(_) => Cut::Done,
            Err(e) => Cut::Failed(e),
        }
    }
}

impl Output for Vec<u8> {
    fn cut_back(&mut self, extra: u64) -> Cut {
        let keep = usize::try_from(extra)
            .ok()
            .and_then(|n| self.len().checked_sub(n));
        match keep {
            Some(keep) => {
                self.truncate(keep);
                Cut::Done
            }
            None => Cut::Grown,
        }
    }
}
