//! control: how a run is asked to stop from outside the data path — SIGINT,
//! SIGTERM, SIGHUP, the `--duration` timer, and stdout's reader going away
//! (`| head`). It owns the signal handlers and the side threads that turn
//! these into a stop request: a flag plus a wake-up for whatever the main
//! thread is blocked in — `ureq::Agent::shutdown` for a socket read, a
//! condvar for the backoff sleep; the connect wait and the stdin reader poll
//! the flag. The main thread notices the flag and ends the run the normal
//! way, so what was parsed is still written. A second signal exits at once,
//! with the first signal's code, except the same signal again within a
//! second: `timeout` and a kill of the process group deliver one stop
//! twice. SIGUSR1 asks for a stats line, as dd's does; SIGUSR2 and
//! SIGXFSZ are ignored (a file past `ulimit -f` is then a write error,
//! said in one line). None of these threads touches data.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::FileTypeExt;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The signals that ask a run to stop.
const SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Why a run was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `--duration` ran out: a normal end.
    Duration,
    /// Stdout is a pipe whose reader went away: a normal end, as for a
    /// write that meets the broken pipe.
    OutputClosed,
    /// SIGINT, SIGTERM or SIGHUP, by number.
    Signal(i32),
}

impl Stop {
    /// 0 for the duration limit and a closed stdout, 128 + the signal
    /// number for a signal.
    pub fn exit_code(self) -> i32 {
        match self {
            Stop::Duration | Stop::OutputClosed => crate::exit::OK,
            Stop::Signal(n) => 128 + n,
        }
    }

    fn from_code(code: i32) -> Option<Stop> {
        match code {
            0 => None,
            -1 => Some(Stop::Duration),
            -2 => Some(Stop::OutputClosed),
            n => Some(Stop::Signal(n)),
        }
    }

    fn code(self) -> i32 {
        match self {
            Stop::Duration => -1,
            Stop::OutputClosed => -2,
            Stop::Signal(n) => n,
        }
    }
}

#[derive(Default)]
pub struct Control {
    stop: AtomicI32,
    /// SIGUSR1 came: write a stats line at the next checkpoint.
    stats_asked: Arc<AtomicBool>,
    agent: Mutex<Option<ureq::Agent>>,
    sleeping: Mutex<()>,
    wake: Condvar,
}

impl Control {
    pub fn new() -> Arc<Control> {
        Arc::new(Control::default())
    }

    /// Route SIGINT, SIGTERM and SIGHUP here. The handler itself only notes
    /// the first signal (or exits, on a later one); a small thread woken by
    /// signal-hook turns the first into a stop request, which needs locks,
    /// and wakes what the main thread waits in. Without that thread (a task
    /// limit at start) `stopped` still sees the signal, at the main loop's
    /// next check: within a second, as every wait is cut into ticks.
    pub fn install_signal_handler(self: &Arc<Self>) -> io::Result<()> {
        // SAFETY: setting a signal's disposition to ignore; no handler runs.
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            libc::signal(libc::SIGUSR2, libc::SIG_IGN);
        }
        signal_hook::flag::register(SIGUSR1, Arc::clone(&self.stats_asked))?;
        for sig in SIGNALS {
            // SAFETY: the action runs inside a signal handler; it only reads
            // the monotonic clock (clock_gettime), does a compare-exchange on
            // a static atomic and, on a later signal, calls `_exit`
            // (signal_hook::low_level::exit): all async-signal-safe. It is
            // registered before `Signals` below, so signal-hook runs it first
            // and the thread finds FIRST set.
            unsafe {
                signal_hook::low_level::register(sig, move || {
                    if let Some(code) = on_signal(&FIRST, sig, monotonic_ms()) {
                        signal_hook::low_level::exit(code);
                    }
                })?;
            }
        }
        let Ok(mut signals) = signal_hook::iterator::Signals::new(SIGNALS) else {
            return Ok(());
        };
        let control = Arc::clone(self);
        // A thread that cannot start: see above.
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    let first = first_signal(FIRST.load(Ordering::SeqCst)).unwrap_or(sig);
                    control.request(Stop::Signal(first));
                }
            });
        Ok(())
    }

    /// Did SIGUSR1 ask for a stats line since the last call?
    pub fn stats_asked(&self) -> bool {
        self.stats_asked.swap(false, Ordering::Relaxed)
    }

    /// When stdout is a pipe or socket, end the run (exit 0) as soon as its
    /// reader goes away, even while no event comes to write: `ssetap URL |
    /// head -n 1` on a quiet stream. A side thread waits in poll(2) for
    /// POLLERR/POLLHUP, which a pipe reports to the writer once the read end
    /// is closed. Files, /dev/null and terminals are left alone (poll says
    /// nothing for the first two; a terminal's hang-up comes as SIGHUP).
    pub fn watch_stdout(self: &Arc<Self>) {
        let Ok(fd) = io::stdout().as_fd().try_clone_to_owned() else {
            return;
        };
        let out = File::from(fd);
        let watched = out.metadata().is_ok_and(|m| {
            let kind = m.file_type();
            kind.is_fifo() || kind.is_socket()
        });
        if !watched {
            return;
        }
        let control = Arc::clone(self);
        let _ = std::thread::Builder::new()
            .name("stdout-watch".into())
            .spawn(move || {
                if reader_gone(&out) {
                    control.request(Stop::OutputClosed);
                }
            });
    }

    /// End the run after `limit` (the `--duration` flag), from a timer
    /// thread. A limit past what the clock can count never comes, so needs
    /// no thread; a thread that cannot be started is an error.
    pub fn stop_after(self: &Arc<Self>, limit: Duration) -> io::Result<()> {
        let control = Arc::clone(self);
        let Some(deadline) = Instant::now().checked_add(limit) else {
            return Ok(());
        };
        std::thread::Builder::new()
            .name("duration".into())
            .spawn(move || {
                while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                    if left.is_zero() || control.stopped().is_some() {
                        break;
                    }
                    std::thread::sleep(left);
                }
                control.request(Stop::Duration);
            })?;
        Ok(())
    }

    /// Ask the run to stop; the first reason wins.
    pub fn request(&self, why: Stop) {
        if self
            .stop
            .compare_exchange(0, why.code(), Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return;
        }
        if let Some(agent) = lock(&self.agent).take() {
            agent.shutdown();
        }
        let _guard = lock(&self.sleeping);
        self.wake.notify_all();
    }

    pub fn stopped(&self) -> Option<Stop> {
        stop_from(
            self.stop.load(Ordering::SeqCst),
            FIRST.load(Ordering::SeqCst),
        )
    }

    /// The agent whose sockets a stop request should shut down.
    pub fn watch_agent(&self, agent: &ureq::Agent) {
        *lock(&self.agent) = Some(agent.clone());
        // A stop that came before the agent existed must still reach it.
        if self.stopped().is_some()
            && let Some(agent) = lock(&self.agent).take()
        {
            agent.shutdown();
        }
    }

    /// Sleep for `d` unless a stop request comes first; returns it if so.
    /// A `d` past what the clock can count sleeps until a stop request.
    pub fn sleep(&self, d: Duration) -> Option<Stop> {
        let deadline = Instant::now().checked_add(d);
        let mut guard = lock(&self.sleeping);
        loop {
            if let Some(stop) = self.stopped() {
                return Some(stop);
            }
            let left = match deadline {
                Some(at) => at
                    .checked_duration_since(Instant::now())
                    .filter(|l| !l.is_zero())?,
                None => Duration::from_secs(3600),
            };
            guard = match self.wake.wait_timeout(guard, left) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The first stop signal to arrive and when (`pack`), 0 before any.
/// Process-wide, as signal dispositions are.
static FIRST: AtomicU64 = AtomicU64::new(0);

/// A repeat of the first signal within this long is the same request.
const REPEAT_MS: u64 = 1000;

/// Signal `sig` at `ms` (monotonic milliseconds) in one word, never 0.
fn pack(sig: i32, ms: u64) -> u64 {
    (ms << 8) | (sig as u64 & 0xff)
}

/// The signal `pack` noted, if any.
fn first_signal(packed: u64) -> Option<i32> {
    (packed != 0).then_some((packed & 0xff) as i32)
}

/// The stop asked for (`Stop::code`), or else the signal the handler noted
/// (`first`, packed) that no thread has turned into a request.
fn stop_from(code: i32, first: u64) -> Option<Stop> {
    Stop::from_code(code).or_else(|| first_signal(first).map(Stop::Signal))
}

/// Milliseconds of the monotonic clock; async-signal-safe.
fn monotonic_ms() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let ms = u64::try_from(t.tv_nsec / 1_000_000).unwrap_or(0);
    secs.saturating_mul(1000).saturating_add(ms) & (u64::MAX >> 8)
}

/// What the handler does with signal `sig` at `now` (monotonic ms): the
/// first one is noted in `first` (None: the thread requests the stop); the
/// same signal again within `REPEAT_MS` is the same request, delivered
/// twice (`timeout` signals the child, then its group); any other later
/// one means the user asked twice and something is stuck, so exit now
/// with the code of the first.
fn on_signal(first: &AtomicU64, sig: i32, now: u64) -> Option<i32> {
    match first.compare_exchange(0, pack(sig, now), Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) => None,
        Err(prev) => {
            let prev_sig = first_signal(prev).unwrap_or(sig);
            let at = prev >> 8;
            if prev_sig == sig && now.saturating_sub(at) < REPEAT_MS {
                return None;
            }
            Some(Stop::Signal(prev_sig).exit_code())
        }
    }
}

/// Wait until `out` (a pipe or socket) reports that its reader is gone.
/// False when poll fails or reports the descriptor invalid.
fn reader_gone(out: &File) -> bool {
    loop {
        let mut pfd = libc::pollfd {
            fd: out.as_raw_fd(),
            // POLLERR and POLLHUP are always reported; nothing else is wanted.
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd for a descriptor we own, count 1.
        let ready = unsafe { libc::poll(&mut pfd, 1, -1) };
        if ready < 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return false;
        }
        if pfd.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
            return true;
        }
        if pfd.revents != 0 {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_ends_early_on_a_stop_request() {
        let c = Control::new();
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            c2.request(Stop::Signal(2));
        });
        let start = Instant::now();
        assert_eq!(c.sleep(Duration::from_secs(30)), Some(Stop::Signal(2)));
        assert!(start.elapsed() < Duration::from_secs(10));
        t.join().unwrap();
    }

    #[test]
    fn the_first_reason_wins() {
        let c = Control::new();
        c.request(Stop::Duration);
        c.request(Stop::Signal(15));
        assert_eq!(c.stopped(), Some(Stop::Duration));
        assert_eq!(Stop::Duration.exit_code(), 0);
        assert_eq!(Stop::Signal(15).exit_code(), 143);
    }

    #[test]
    fn a_closed_stdout_is_a_normal_end_and_every_reason_round_trips() {
        assert_eq!(Stop::OutputClosed.exit_code(), 0);
        assert_eq!(Stop::Signal(libc::SIGHUP).exit_code(), 129);
        assert_eq!(Stop::Signal(libc::SIGINT).exit_code(), 130);
        for stop in [Stop::Duration, Stop::OutputClosed, Stop::Signal(2)] {
            assert_eq!(Stop::from_code(stop.code()), Some(stop));
        }
        let c = Control::new();
        c.request(Stop::OutputClosed);
        c.request(Stop::Signal(2));
        assert_eq!(c.stopped(), Some(Stop::OutputClosed));
    }

    #[test]
    fn a_second_signal_exits_with_the_first_signals_code() {
        let t = 5_000;
        let first = AtomicU64::new(0);
        assert_eq!(on_signal(&first, libc::SIGINT, t), None);
        assert_eq!(
            first_signal(first.load(Ordering::SeqCst)),
            Some(libc::SIGINT)
        );
        assert_eq!(on_signal(&first, libc::SIGTERM, t + 10), Some(130));
        assert_eq!(on_signal(&first, libc::SIGHUP, t + 5_000), Some(130));
        let first = AtomicU64::new(0);
        assert_eq!(on_signal(&first, libc::SIGTERM, t), None);
        assert_eq!(on_signal(&first, libc::SIGINT, t), Some(143));
        // The same signal again within a second is one request (timeout,
        // a kill of the process group); after that it forces the exit.
        let first = AtomicU64::new(0);
        assert_eq!(on_signal(&first, libc::SIGHUP, t), None);
        assert_eq!(on_signal(&first, libc::SIGHUP, t), None);
        assert_eq!(on_signal(&first, libc::SIGHUP, t + 999), None);
        assert_eq!(on_signal(&first, libc::SIGHUP, t + 1_000), Some(129));
        // The clock at 0 still packs to a noted signal.
        assert_eq!(first_signal(pack(libc::SIGTERM, 0)), Some(libc::SIGTERM));
        assert_eq!(first_signal(0), None);
    }

    #[test]
    fn a_signal_the_thread_never_saw_still_stops_the_run() {
        // A task limit at start: the handler noted SIGTERM, no thread
        // turned it into a request.
        assert_eq!(stop_from(0, pack(libc::SIGTERM, 7)), Some(Stop::Signal(15)));
        assert_eq!(stop_from(0, 0), None);
        // A request that came first stands.
        let duration = Stop::Duration.code();
        assert_eq!(
            stop_from(duration, pack(libc::SIGTERM, 7)),
            Some(Stop::Duration)
        );
    }

    #[test]
    fn a_pipe_whose_reader_closed_is_seen_as_gone() {
        let (reader, writer) = io::pipe().unwrap();
        let writer = File::from(std::os::fd::OwnedFd::from(writer));
        drop(reader);
        assert!(reader_gone(&writer));
    }

    #[test]
    fn durations_past_the_clock_do_not_panic() {
        let c = Control::new();
        c.stop_after(Duration::MAX).unwrap();
        let c2 = Arc::clone(&c);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            c2.request(Stop::Signal(15));
        });
        assert_eq!(c.sleep(Duration::MAX), Some(Stop::Signal(15)));
        t.join().unwrap();
    }

    #[test]
    fn sleep_without_a_request_sleeps() {
        let c = Control::new();
        assert_eq!(c.sleep(Duration::from_millis(20)), None);
    }
}
