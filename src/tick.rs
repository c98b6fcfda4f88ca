//! tick: the once-a-second wake-up of a quiet input. A source with nothing
//! to read for `TICK` ends its read with this `WouldBlock` error; the
//! pipeline takes it as "nothing yet" (it serves Kafka's acknowledgements,
//! moves the resume point) and reads again from where it was. The HTTP
//! source makes it in its transport (`http::tick`), stdin in its poll loop.

use std::io;
use std::time::Duration;

/// How often a quiet input wakes the main thread.
pub const TICK: Duration = Duration::from_secs(1);

const MESSAGE: &str = "no data yet (tick)";

/// The error a read ends with when it ticks.
pub fn error() -> io::Error {
    io::Error::new(io::ErrorKind::WouldBlock, MESSAGE)
}

/// Is this read error a tick (no data yet, the input is fine)?
pub fn is_tick(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock && err.to_string() == MESSAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_wouldblock_is_a_tick() {
        assert!(is_tick(&error()));
        assert!(!is_tick(&io::Error::from(io::ErrorKind::WouldBlock)));
        assert!(!is_tick(&io::Error::new(io::ErrorKind::TimedOut, MESSAGE)));
    }
}
