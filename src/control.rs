//! control: how a run is asked to stop from outside the data path — SIGINT,
//! SIGTERM and the `--duration` timer. A stop request is a flag plus a wake-up
//! for whatever the main thread is blocked in: `ureq::Agent::shutdown` for a
//! socket read, a condvar for the backoff sleep. The main thread notices the
//! flag and ends the run the normal way, so what was parsed is still written.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Why a run was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `--duration` ran out: a normal end.
    Duration,
    /// SIGINT, SIGTERM or SIGHUP, by number.
    Signal(i32),
}

impl Stop {
    /// 0 for the duration limit, 128 + the signal number for a signal.
    pub fn exit_code(self) -> i32 {
        match self {
            Stop::Duration => crate::exit::OK,
            Stop::Signal(n) => 128 + n,
        }
    }

    fn from_code(code: i32) -> Option<Stop> {
        match code {
            0 => None,
            -1 => Some(Stop::Duration),
            n => Some(Stop::Signal(n)),
        }
    }

    fn code(self) -> i32 {
        match self {
            Stop::Duration => -1,
            Stop::Signal(n) => n,
        }
    }
}

#[derive(Default)]
pub struct Control {
    stop: AtomicI32,
    agent: Mutex<Option<ureq::Agent>>,
    sleeping: Mutex<()>,
    wake: Condvar,
}

impl Control {
    pub fn new() -> Arc<Control> {
        Arc::new(Control::default())
    }

    /// Route SIGINT/SIGTERM here. A second signal exits at once: the user
    /// asked twice, and something is stuck.
    pub fn install_signal_handler(self: &Arc<Self>) -> anyhow::Result<()> {
        let control = Arc::clone(self);
        ctrlc::try_set_handler(move || {
            if let Some(Stop::Signal(_)) = control.stopped() {
                std::process::exit(last_signal().exit_code());
            }
            control.request(last_signal());
        })?;
        Ok(())
    }

    /// End the run after `limit` (the `--duration` flag), from a timer thread.
    pub fn stop_after(self: &Arc<Self>, limit: Duration) {
        let control = Arc::clone(self);
        let deadline = Instant::now() + limit;
        std::thread::spawn(move || {
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                if left.is_zero() || control.stopped().is_some() {
                    break;
                }
                std::thread::sleep(left);
            }
            control.request(Stop::Duration);
        });
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
        Stop::from_code(self.stop.load(Ordering::SeqCst))
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
    pub fn sleep(&self, d: Duration) -> Option<Stop> {
        let deadline = Instant::now() + d;
        let mut guard = lock(&self.sleeping);
        loop {
            if let Some(stop) = self.stopped() {
                return Some(stop);
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .filter(|l| !l.is_zero())?;
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

/// The signal that fired last: ctrlc's handler does not say which one, so
/// `install_signal_markers` records SIGTERM and SIGHUP in front of it; no
/// mark means SIGINT.
fn last_signal() -> Stop {
    match MARKED.load(Ordering::SeqCst) {
        0 => Stop::Signal(libc::SIGINT),
        n => Stop::Signal(n),
    }
}

static MARKED: AtomicI32 = AtomicI32::new(0);
static PREVIOUS: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];
const MARKED_SIGNALS: [libc::c_int; 2] = [libc::SIGTERM, libc::SIGHUP];

extern "C" fn mark(sig: libc::c_int) {
    MARKED.store(sig, Ordering::SeqCst);
    let slot = MARKED_SIGNALS.iter().position(|&s| s == sig).unwrap_or(0);
    let prev = PREVIOUS[slot].load(Ordering::SeqCst);
    if prev != 0 {
        // SAFETY: PREVIOUS holds the address of the plain (non-SA_SIGINFO)
        // handler that sigaction reported, ctrlc's; calling it is what the
        // kernel would have done.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(prev) };
        f(sig);
    }
}

/// Put a marker in front of ctrlc's SIGTERM and SIGHUP handlers. Call after
/// `install_signal_handler`.
pub fn install_signal_markers() {
    for (slot, &sig) in MARKED_SIGNALS.iter().enumerate() {
        // SAFETY: we read the current disposition and, when it is a plain
        // handler, install ours with the same flags and mask; ours only
        // touches atomics and then calls the previous handler.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction == libc::SIG_DFL
                || old.sa_sigaction == libc::SIG_IGN
                || old.sa_flags & libc::SA_SIGINFO != 0
            {
                continue;
            }
            PREVIOUS[slot].store(old.sa_sigaction, Ordering::SeqCst);
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = mark as extern "C" fn(libc::c_int) as usize;
            new.sa_flags = old.sa_flags;
            new.sa_mask = old.sa_mask;
            libc::sigaction(sig, &new, std::ptr::null_mut());
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
    fn sleep_without_a_request_sleeps() {
        let c = Control::new();
        assert_eq!(c.sleep(Duration::from_millis(20)), None);
    }
}
