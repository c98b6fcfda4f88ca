//! http::tick: wakes the main thread about once a second while a stream is
//! quiet. A transport wrapper caps each body read at `TICK`; when that cap,
//! not the idle timeout, ran out, the read ends with a `WouldBlock` error
//! the pipeline takes as "nothing yet": it serves Kafka's acknowledgements,
//! moves the resume point and returns to the read, which resumes where it
//! was (ureq keeps the call and its buffers across a failed read). The cap
//! applies only once the pipeline says a body is being read (`Ticking`), so
//! a slow response head still gets the whole idle timeout.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// How often a quiet stream wakes the main thread.
pub const TICK: Duration = Duration::from_secs(1);

/// The message of the `WouldBlock` error a tick ends a read with.
pub const TICK_MESSAGE: &str = "no data yet (tick)";

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

/// Is this read error a tick (no data yet, the stream is fine)?
pub fn is_tick(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock && err.to_string() == TICK_MESSAGE
}

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
        let cap = idle_left.map_or(TICK, |left| left.min(TICK));
        let capped = NextTimeout {
            per_read: Some(cap.into()),
            ..timeout
        };
        match self.inner.await_input(capped) {
            Ok(got) => {
                self.last_input = Instant::now();
                Ok(got)
            }
            Err(ureq::Error::Timeout(_)) if idle_left.is_none_or(|left| left > TICK) => Err(
                ureq::Error::Io(io::Error::new(io::ErrorKind::WouldBlock, TICK_MESSAGE)),
            ),
            Err(e) => Err(e),
        }
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_wouldblock_is_a_tick() {
        assert!(is_tick(&io::Error::new(
            io::ErrorKind::WouldBlock,
            TICK_MESSAGE
        )));
        assert!(!is_tick(&io::Error::from(io::ErrorKind::WouldBlock)));
        assert!(!is_tick(&io::Error::new(
            io::ErrorKind::TimedOut,
            TICK_MESSAGE
        )));
    }
}
