//! sink::writer: records to a byte stream (`Writer`: stdout in the
//! binary, any `Write` in tests). Records collect in one buffer, written with one
//! `write` when the pipeline says no further complete event is waiting (or
//! the buffer is full), so a busy stream costs few syscalls and a quiet one
//! shows each event at once.
//!
//! A `Value::Verbatim` record whose bytes lie in the chunk being parsed is
//! not copied: the sink notes where it lies and writes it from there with
//! `writev`, before the pipeline reads the next chunk (`release`).
//!
//! `written()` only moves when a write returned success for everything
//! pending, and only past events all of whose records were taken (one
//! event may be several records: `--jq`); after a failed write nothing
//! more counts as written.
//!
//! When a write fails part-way (a full disk), the output may end in part
//! of an event; `cut` takes those bytes back where the output is a regular
//! file we alone have been writing to, so that the file ends where the
//! resume point says and the next run (`>>`) starts on a line of its own.

mod cut;

use super::{Record, Value};
use anyhow::{Context, Result};
pub use cut::{Cut, Output};
use std::io::{IoSlice, Write};

/// Write once this much is buffered, even mid-chunk.
const HIGH_WATER: usize = 64 * 1024;

/// At most this many pieces per `writev` (Linux allows 1024).
const MAX_PIECES: usize = 512;

/// Verbatim bytes this long or longer are written from the chunk; shorter
/// ones are cheaper to copy than to give their own `iovec`.
const BORROW_MIN: usize = 256;

pub struct Writer<W> {
    out: W,
    buf: Vec<u8>,
    /// What to write, in order, when some of it lies in the chunk: pieces
    /// of `buf` and of the chunk (empty when everything is in `buf`).
    pieces: Vec<Piece>,
    /// Where in `buf` the bytes not yet in `pieces` start.
    buf_from: usize,
    /// Bytes of output in the chunk (the rest is in `buf`).
    borrowed: usize,
    /// Bytes of output before the pending ones (all written), and where in
    /// that count the last record ended, the last whole event ended, and
    /// the last event counted as written ended.
    base: u64,
    record_end: u64,
    complete_end: u64,
    written_end: u64,
    /// The event number of the last record taken, the last event all of
    /// whose records were taken, and the last one known to be written.
    taken: u64,
    complete: u64,
    written: u64,
    /// A write failed: what was pending is lost to this run, and nothing
    /// after it counts as written.
    failed: bool,
}

/// A stretch of output: bytes of the buffer or of the chunk.
#[derive(Debug, Clone, Copy)]
enum Piece {
    Buf(usize, usize),
    Chunk(usize, usize),
}

impl<W: Output> Writer<W> {
    pub fn new(out: W) -> Writer<W> {
        Writer {
            out,
            buf: Vec::with_capacity(HIGH_WATER * 2),
            pieces: Vec::new(),
            buf_from: 0,
            borrowed: 0,
            base: 0,
            record_end: 0,
            complete_end: 0,
            written_end: 0,
            taken: 0,
            complete: 0,
            written: 0,
            failed: false,
        }
    }

    #[inline]
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Take one record: its value is already at the end of the buffer, or
    /// is verbatim bytes (from the chunk where possible).
    #[inline(always)]
    pub fn record(&mut self, rec: &Record<'_>, chunk: &[u8]) -> Result<()> {
        if let Value::Verbatim(bytes) = rec.value
            && (bytes.len() < BORROW_MIN || !self.borrow(chunk, bytes))
        {
            self.buf.extend_from_slice(bytes);
            self.buf.push(b'\n');
        }
        let end = self.base + self.pending() as u64;
        if rec.seq > self.taken {
            // A new event: the one before it is whole, up to the end of
            // the record before this one.
            self.complete = self.taken;
            self.complete_end = self.record_end;
            self.taken = rec.seq;
        }
        if rec.last {
            self.complete = self.taken;
            self.complete_end = end;
        }
        self.record_end = end;
        if self.pending() >= HIGH_WATER || self.pieces.len() >= MAX_PIECES {
            self.write_out(chunk)?;
        }
        Ok(())
    }

    /// The caller is done with `chunk`: write what lies in it.
    pub fn release(&mut self, chunk: &[u8]) -> Result<()> {
        if self.pieces.is_empty() {
            return Ok(());
        }
        self.write_out(chunk)
    }

    /// Write everything pending (nothing may lie in a chunk any more).
    pub fn flush(&mut self) -> Result<()> {
        self.write_out(&[])
    }

    /// Every record of the events numbered up to this one was written.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The writer, for tests.
    #[cfg(test)]
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Note `bytes` and an LF as output, if `bytes` lie in `chunk`.
    fn borrow(&mut self, chunk: &[u8], bytes: &[u8]) -> bool {
        let Some(start) = (bytes.as_ptr() as usize).checked_sub(chunk.as_ptr() as usize) else {
            return false;
        };
        let end = start + bytes.len();
        if end > chunk.len() {
            return false;
        }
        self.end_buf_piece();
        if chunk.get(end) == Some(&b'\n') {
            self.pieces.push(Piece::Chunk(start, end + 1));
            self.borrowed += bytes.len() + 1;
        } else {
            // The LF is ours: it starts the next piece of the buffer.
            self.pieces.push(Piece::Chunk(start, end));
            self.buf.push(b'\n');
            self.borrowed += bytes.len();
        }
        true
    }

    /// Bytes of output not yet written.
    fn pending(&self) -> usize {
        self.buf.len() + self.borrowed
    }

    /// The buffer's bytes since the last piece become a piece.
    fn end_buf_piece(&mut self) {
        if self.buf_from < self.buf.len() {
            self.pieces.push(Piece::Buf(self.buf_from, self.buf.len()));
        }
        self.buf_from = self.buf.len();
    }

    /// Write everything pending; `chunk` is the input the pieces refer to.
    fn write_out(&mut self, chunk: &[u8]) -> Result<()> {
        let pending = self.pending() as u64;
        let mut sent = 0;
        let result = if self.failed {
            // The failure was reported when it happened; drop the rest.
            Ok(())
        } else if self.pieces.is_empty() {
            write_counted(&mut self.out, &self.buf, &mut sent)
        } else {
            self.end_buf_piece();
            self.write_pieces(chunk, &mut sent)
        };
        self.buf.clear();
        self.pieces.clear();
        self.buf_from = 0;
        self.borrowed = 0;
        if self.failed {
            return Ok(());
        }
        if let Err(e) = result {
            self.failed = true;
            // What reached the output past the last event counted as
            // written: part of an event, or events not counted.
            let extra = (self.base + sent).saturating_sub(self.written_end);
            let why = match self.out.cut_back(extra) {
                Cut::Done | Cut::NotAFile => "cannot write to stdout".to_string(),
                Cut::Grown => "cannot write to stdout (its file ends in part of an event, \
                    left as it is: another process wrote to it since)"
                    .to_string(),
                Cut::Failed(c) => {
                    format!(
                        "cannot write to stdout (nor cut its file back to the last whole event: {c})"
                    )
                }
            };
            return Err(e).context(why);
        }
        self.base += pending;
        self.written = self.complete;
        self.written_end = self.complete_end;
        Ok(())
    }

    fn write_pieces(&mut self, chunk: &[u8], sent: &mut u64) -> std::io::Result<()> {
        let mut slices = Vec::with_capacity(self.pieces.len());
        for p in &self.pieces {
            let (bytes, a, b) = match *p {
                Piece::Buf(a, b) => (&self.buf[..], a, b),
                Piece::Chunk(a, b) => (chunk, a, b),
            };
            match bytes.get(a..b) {
                Some(s) => slices.push(IoSlice::new(s)),
                None => return Err(std::io::Error::other("output refers to a released chunk")),
            }
        }
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match self.out.write_vectored(rest) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    *sent += n as u64;
                    IoSlice::advance_slices(&mut rest, n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// `write_all`, counting in `sent` what the output took.
fn write_counted(out: &mut impl Write, mut bytes: &[u8], sent: &mut u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match out.write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                *sent += n as u64;
                bytes = bytes.get(n..).unwrap_or_default();
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
