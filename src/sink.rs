//! sink: where formatted events go — stdout or Kafka. The only module that
//! writes data. Stdout gets one buffer of formatted events, written with one
//! `write` when the pipeline says no further complete event is waiting (or
//! the buffer is full), so a busy stream costs few syscalls and a quiet one
//! shows each event at once.

use crate::format::{Formatter, Outcome};
use crate::kafka::KafkaSink;
use crate::sse::Event;
use crate::stats::KafkaCounts;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::time::SystemTime;

/// Write to stdout once this much is buffered, even mid-chunk.
const HIGH_WATER: usize = 64 * 1024;

pub enum Sink {
    Stdout(Stdout),
    Kafka(Box<KafkaSink>),
}

pub struct Stdout {
    /// fd 1, unbuffered: we buffer ourselves. ManuallyDrop: never close it.
    out: ManuallyDrop<File>,
    buf: Vec<u8>,
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
            handed: 0,
            written: 0,
        })
    }

    /// Hand one event (number `seq`) to the sink.
    pub fn event(
        &mut self,
        ev: &Event<'_>,
        seq: u64,
        time: SystemTime,
        fmt: &mut Formatter,
    ) -> Result<Outcome> {
        match self {
            Sink::Stdout(s) => {
                let outcome = fmt.event(ev, time, &mut s.buf);
                s.handed = seq;
                if s.buf.len() >= HIGH_WATER {
                    s.write_out()?;
                }
                Ok(outcome)
            }
            Sink::Kafka(k) => k.event(ev, seq, time, fmt),
        }
    }

    /// Comments go to stdout only; Kafka records are events.
    pub fn comment(&mut self, text: &[u8], fmt: &mut Formatter) -> Result<()> {
        if let Sink::Stdout(s) = self {
            fmt.comment(text, &mut s.buf);
            if s.buf.len() >= HIGH_WATER {
                s.write_out()?;
            }
        }
        Ok(())
    }

    /// No further complete event is waiting upstream: make what was handed
    /// over visible (stdout: write it; Kafka: serve delivery reports).
    pub fn flush(&mut self) -> Result<()> {
        match self {
            Sink::Stdout(s) => s.write_out(),
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
            Sink::Stdout(s) => s.write_out(),
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

impl Stdout {
    fn write_out(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            let result = self.out.write_all(&self.buf);
            self.buf.clear();
            result.context("cannot write to stdout")?;
        }
        self.written = self.handed;
        Ok(())
    }
}
