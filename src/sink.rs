//! sink: where formatted events go — stdout or Kafka. The only module that
//! writes data. Stdout gets one buffer of formatted events, written with one
//! `write` when the pipeline says no further complete event is waiting (or
//! the buffer is full), so a busy stream costs few syscalls and a quiet one
//! shows each event at once.
//!
//! Output that is the input's own bytes (`--format data` of a one-line
//! event that is valid UTF-8) is not copied into that buffer: the sink
//! notes where it lies in the chunk being parsed and writes it from there
//! with `writev`, before the pipeline reads the next chunk (`release`).

use crate::format::{Formatter, Outcome};
use crate::kafka::KafkaSink;
use crate::sse::Event;
use crate::stats::KafkaCounts;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{IoSlice, Write};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::time::SystemTime;

/// Write to stdout once this much is buffered, even mid-chunk.
const HIGH_WATER: usize = 64 * 1024;

/// Data this long or longer is written from the chunk rather than copied;
/// shorter data is cheaper to copy than to give its own `iovec`.
const BORROW_MIN: usize = 256;

/// At most this many pieces per `writev` (Linux allows 1024).
const MAX_PIECES: usize = 512;

pub enum Sink {
    Stdout(Stdout),
    Kafka(Box<KafkaSink>),
}

pub struct Stdout {
    /// fd 1, unbuffered: we buffer ourselves. ManuallyDrop: never close it.
    out: ManuallyDrop<File>,
    buf: Vec<u8>,
    /// What to write, in order, when some of it lies in the chunk: pieces
    /// of `buf` and of the chunk (empty when everything is in `buf`).
    pieces: Vec<Piece>,
    /// Where in `buf` the bytes not yet in `pieces` start.
    buf_from: usize,
    /// Bytes of output in the chunk (the rest is in `buf`).
    borrowed: usize,
    /// Sequence number of the last event handed over, and of the last one
    /// known to be written.
    handed: u64,
    written: u64,
}

impl Sink {
    pub fn stdout() -> Sink {
        // SAFETY: fd 1 is open for the life of the process (or writes to it
        // fail with EBADF, which we report); ManuallyDrop keeps us from
        // closing it.
        let out = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
        Sink::Stdout(Stdout {
            out,
            buf: Vec::with_capacity(HIGH_WATER * 2),
            pieces: Vec::new(),
            buf_from: 0,
            borrowed: 0,
            handed: 0,
            written: 0,
        })
    }

    /// Hand one event (number `seq`) to the sink; `chunk` is the input
    /// being parsed, which the event's data may lie in.
    #[inline]
    pub fn event(
        &mut self,
        ev: &Event<'_>,
        chunk: &[u8],
        seq: u64,
        time: SystemTime,
        fmt: &mut Formatter,
    ) -> Result<Outcome> {
        match self {
            Sink::Stdout(s) => {
                let outcome = if ev.data.len() >= BORROW_MIN
                    && s.borrow(chunk, ev.data, || fmt.is_verbatim(ev))
                {
                    Outcome::default()
                } else {
                    fmt.event(ev, time, &mut s.buf)
                };
                s.handed = seq;
                if s.buf.len() + s.borrowed >= HIGH_WATER || s.pieces.len() >= MAX_PIECES {
                    s.write_out(chunk)?;
                }
                Ok(outcome)
            }
            Sink::Kafka(k) => k.event(ev, seq, time, fmt),
        }
    }

    /// Comments go to stdout only; Kafka records are events.
    pub fn comment(&mut self, text: &[u8], chunk: &[u8], fmt: &mut Formatter) -> Result<()> {
        if let Sink::Stdout(s) = self {
            fmt.comment(text, &mut s.buf);
            if s.buf.len() + s.borrowed >= HIGH_WATER {
                s.write_out(chunk)?;
            }
        }
        Ok(())
    }

    /// The pipeline is done with `chunk`: write what still lies in it.
    pub fn release(&mut self, chunk: &[u8]) -> Result<()> {
        match self {
            Sink::Stdout(s) if !s.pieces.is_empty() => s.write_out(chunk),
            _ => Ok(()),
        }
    }

    /// No further complete event is waiting upstream: make what was handed
    /// over visible (stdout: write it; Kafka: serve delivery reports).
    pub fn flush(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.write_out(&[]),
            Sink::Kafka(k) => k.poll(),
        }
    }

    /// Every event numbered up to this one is written (or acknowledged).
    pub fn delivered(&self) -> u64 {
        match self {
            Sink::Stdout(s) => s.written,
            Sink::Kafka(k) => k.delivered(),
        }
    }

    /// At exit: deliver everything still pending (Kafka: within the flush
    /// timeout); an error names what was not delivered.
    pub fn close(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.write_out(&[]),
            Sink::Kafka(k) => k.close(),
        }
    }

    pub fn kafka_counts(&self) -> Option<KafkaCounts> {
        match self {
            Sink::Stdout(_) => None,
            Sink::Kafka(k) => Some(k.counts()),
        }
    }
}

/// A stretch of output: bytes of the buffer or of the chunk.
#[derive(Debug, Clone, Copy)]
enum Piece {
    Buf(usize, usize),
    Chunk(usize, usize),
}

impl Stdout {
    /// Note `data` and an LF as output, if `data` lies in `chunk` and
    /// `verbatim` says that is its output.
    fn borrow(&mut self, chunk: &[u8], data: &[u8], verbatim: impl FnOnce() -> bool) -> bool {
        let Some(start) = (data.as_ptr() as usize).checked_sub(chunk.as_ptr() as usize) else {
            return false;
        };
        let end = start + data.len();
        if end > chunk.len() || !verbatim() {
            return false;
        }
        self.end_buf_piece();
        if chunk.get(end) == Some(&b'\n') {
            self.pieces.push(Piece::Chunk(start, end + 1));
        } else {
            // The LF is ours: it starts the next piece of the buffer.
            self.pieces.push(Piece::Chunk(start, end));
            self.buf.push(b'\n');
        }
        self.borrowed += data.len();
        true
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
        let result = if self.pieces.is_empty() {
            self.out.write_all(&self.buf)
        } else {
            self.end_buf_piece();
            self.write_pieces(chunk)
        };
        self.buf.clear();
        self.pieces.clear();
        self.buf_from = 0;
        self.borrowed = 0;
        result.context("cannot write to stdout")?;
        self.written = self.handed;
        Ok(())
    }

    fn write_pieces(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = self
            .pieces
            .iter()
            .map(|p| match *p {
                Piece::Buf(a, b) => IoSlice::new(&self.buf[a..b]),
                Piece::Chunk(a, b) => IoSlice::new(&chunk[a..b]),
            })
            .collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match self.out.write_vectored(rest) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
