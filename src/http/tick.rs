//! http::tick: wakes the main thread about once a second while a stream is
//! quiet. A transport wrapper caps each body read at `TICK`; when that cap,
//! not the idle timeout, ran out, the read ends with `crate::tick`'s error,
//! which the pipeline takes as "nothing yet", and the next read resumes
//! where this one was (ureq keeps the call and its buffers across a failed
//! read). The cap
//! applies only once the pipeline says a body is being read (`Ticking`), so
//! a slow response head still gets the whole idle timeout.
//!
//! While a body is read, a reset connection is also made an error ureq
//! passes on: ureq takes a reset as the close that ends a body without
//! framing, so a stream cut by a reset would read as one the server ended
//! (and a one-shot request's run as a success).

use crate::tick::TICK;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// Whether body reads tick now; shared by the agent's transports and the
/// pipeline.
#[derive(Debug, Clone, Default)]
pub struct Ticking(Arc<AtomicBool>);

impl Ticking {
    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed);
    }

    fn on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The shortest read: one look at the socket before an idle timeout.
const LAST_LOOK: std::time::Duration = std::time::Duration::from_millis(50);

/// The last link of the connector chain: wraps the transport.
#[derive(Debug)]
pub struct TickConnector(pub Ticking);

impl<In: Transport> Connector<In> for TickConnector {
    type Out = TickTransport<In>;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| TickTransport {
            inner,
            ticking: self.0.clone(),
            last_input: Instant::now(),
        }))
    }
}

#[derive(Debug)]
pub struct TickTransport<T> {
    inner: T,
    ticking: Ticking,
    last_input: Instant,
}

impl<T: Transport> TickTransport<T> {
    /// One read of at most `cap`; input restarts the idle count.
    fn read(
        &mut self,
        timeout: NextTimeout,
        cap: std::time::Duration,
    ) -> Result<bool, ureq::Error> {
        let capped = NextTimeout {
            per_read: Some(cap.into()),
            ..timeout
        };
        let got = self.inner.await_input(capped)?;
        self.last_input = Instant::now();
        Ok(got)
    }
}

impl<T: Transport> Transport for TickTransport<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        if !self.ticking.on() {
            let got = self.inner.await_input(timeout)?;
            self.last_input = Instant::now();
            return Ok(got);
        }
        // The idle timeout counts from the last input, not from this read.
        let idle_left = timeout
            .per_read
            .filter(|idle| !idle.is_not_happening())
            .map(|idle| idle.saturating_sub(self.last_input.elapsed()));
        // At least a short read: after the process was paused (SIGSTOP, a
        // suspended machine) the idle time may be spent before this read
        // begins, while the socket holds what the server sent meanwhile.
        let cap = idle_left.map_or(TICK, |left| left.clamp(LAST_LOOK, TICK));
        let result = match self.read(timeout, cap) {
            Err(ureq::Error::Timeout(_)) if idle_left.is_none_or(|left| left > TICK) => {
                return Err(ureq::Error::Io(crate::tick::error()));
            }
            // The idle time is spent, but a process paused inside this
            // read wakes to a timeout even with data waiting: one last look.
            Err(ureq::Error::Timeout(_)) => self.read(timeout, LAST_LOOK),
            other => other,
        };
        match result {
            Err(ureq::Error::Io(e)) if is_reset(&e) => Err(ureq::Error::Io(reset_error())),
            other => other,
        }
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

/// A reset, as an error of a kind ureq does not take for the body's end.
fn reset_error() -> io::Error {
    io::Error::other("the connection was reset")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_becomes_an_error_ureq_passes_on() {
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert!(is_reset(&reset));
        assert!(is_reset(&io::Error::from(io::ErrorKind::ConnectionAborted)));
        assert!(!is_reset(&io::Error::from(io::ErrorKind::TimedOut)));
        // The kinds ureq's body reader takes for a close (run.rs): none of them.
        let kind = reset_error().kind();
        assert!(!matches!(
            kind,
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
        ));
    }
}
