//! tick: the once-a-second wake-up of a quiet input. A source with nothing
//! to read for `TICK` ends its read with a `WouldBlock` error carrying the
//! private `Tick` type (`error`, `is_tick`); the pipeline takes it as
//! "nothing yet" (it serves the sink's acknowledgements, moves the resume
//! point) and reads again from where it was. The HTTP source makes it in
//! its transport (`http::tick`), stdin in its poll loop.

use std::fmt;
use std::io;
use std::time::Duration;

/// How often a quiet input wakes the main thread.
pub const TICK: Duration = Duration::from_secs(1);

/// The payload of a tick's `WouldBlock` error: known by its type, so that no
/// other `WouldBlock` (or an error that happens to say the same) is taken
/// for one.
#[derive(Debug)]
struct Tick;

impl fmt::Display for Tick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no data yet (tick)")
    }
}

impl std::error::Error for Tick {}

/// The error a read ends with when it ticks.
pub fn error() -> io::Error {
    io::Error::new(io::ErrorKind::WouldBlock, Tick)
}

/// Is this read error a tick (no data yet, the input is fine)?
pub fn is_tick(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock && err.get_ref().is_some_and(|e| e.is::<Tick>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_wouldblock_is_a_tick() {
        assert!(is_tick(&error()));
        assert!(!is_tick(&io::Error::from(io::ErrorKind::WouldBlock)));
        let same_words = io::Error::new(io::ErrorKind::WouldBlock, Tick.to_string());
        assert!(!is_tick(&same_words));
        assert!(!is_tick(&io::Error::new(io::ErrorKind::TimedOut, Tick)));
    }
}
