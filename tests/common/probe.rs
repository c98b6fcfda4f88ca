//! Looking at a running ssetap from outside: a free loopback port for
//! `--metrics`, one timed `GET` on a fresh connection, and the process's
//! threads, descriptors and resident memory from /proc.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A loopback port nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// `GET path` on a new connection to 127.0.0.1:`port` (HTTP/1.1,
/// `Connection: close`): the status and how long the whole answer took
/// from the connect, or why there was none within `limit`.
pub fn timed_get(port: u16, path: &str, limit: Duration) -> Result<(u16, Duration), String> {
    let start = Instant::now();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, limit).map_err(|e| format!("connect: {e}"))?;
    let left = limit
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1));
    s.set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(left)).map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut text = Vec::new();
    s.read_to_end(&mut text)
        .map_err(|e| format!("read after {:?}: {e}", start.elapsed()))?;
    let took = start.elapsed();
    let text = String::from_utf8_lossy(&text);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {text:?}"))?;
    Ok((status, took))
}

/// What a process holds, from /proc.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub threads: u64,
    pub fds: usize,
    pub rss_kib: u64,
}

impl Figures {
    pub fn of(pid: u32) -> Figures {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
        };
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("/proc fd")
            .count();
        Figures {
            threads: field("Threads:"),
            fds,
            rss_kib: field("VmRSS:"),
        }
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} threads, {} fds, RSS {:.1} MiB",
            self.threads,
            self.fds,
            self.rss_kib as f64 / 1024.0
        )
    }
}

/// A pids cgroup (v1) that holds a process with no room for one more
/// thread, as systemd's `TasksMax` does; None where cgroups cannot be made
/// (not root, no cgroup v1 pids controller).
pub struct TaskLimit(std::path::PathBuf);

impl TaskLimit {
    pub fn new(name: &str) -> Option<TaskLimit> {
        let dir = std::path::Path::new("/sys/fs/cgroup/pids")
            .join(format!("ssetap-test-{name}-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        Some(TaskLimit(dir))
    }

    /// Move `pid` (all its threads) in and allow no more tasks than now.
    pub fn hold(&self, pid: u32) -> bool {
        let set = |file: &str, value: &str| std::fs::write(self.0.join(file), value).is_ok();
        if !set("cgroup.procs", &pid.to_string()) {
            return false;
        }
        let now = std::fs::read_to_string(self.0.join("pids.current")).unwrap_or_default();
        set("pids.max", now.trim())
    }

    pub fn lift(&self) {
        let _ = std::fs::write(self.0.join("pids.max"), "max");
    }
}

impl Drop for TaskLimit {
    /// Lift the limit and remove the cgroup, first moving back to the root
    /// whatever a failed test left in it (a cgroup with members stays).
    fn drop(&mut self) {
        self.lift();
        let procs = std::fs::read_to_string(self.0.join("cgroup.procs")).unwrap_or_default();
        let root = self.0.with_file_name("cgroup.procs");
        for pid in procs.lines() {
            let _ = std::fs::write(&root, pid);
        }
        let _ = std::fs::remove_dir(&self.0);
    }
}
