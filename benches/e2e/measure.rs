//! Runs one contender and measures it: wall time, CPU time (user + system
//! of the process and everything it waited for, from wait4) and peak RSS.
//!
//! The peak RSS comes from GNU time (`/usr/bin/time -f %M`), not from our
//! own wait4: Linux carries the parent's high-water mark into a forked
//! child across exec, and this process holds the inputs (hundreds of MB).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub wall: Duration,
    pub cpu: Duration,
    /// Peak resident set of the largest process, KiB.
    pub rss_kib: u64,
}

/// Run `sh -c script` with stdout to /dev/null; None when it fails.
pub fn run(script: &str) -> Option<Sample> {
    let rss_file = std::env::temp_dir().join(format!("ssetap-bench-rss-{}", std::process::id()));
    let gnu_time = std::path::Path::new("/usr/bin/time").is_file();
    let mut cmd = if gnu_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M", "-o"])
            .arg(&rss_file)
            .args(["sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    let started = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .ok()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child with valid pointers.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = started.elapsed();
    if rc != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        eprintln!("  failed ({status:#x}): {script}");
        return None;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Some(Sample {
        wall,
        cpu: tv(ru.ru_utime) + tv(ru.ru_stime),
        rss_kib: std::fs::read_to_string(&rss_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0),
    })
}

/// One warm-up, then the median (by wall time) of `runs` runs; the RSS is
/// the largest seen.
pub fn median(script: &str, runs: usize) -> Option<Sample> {
    run(script)?;
    let mut all: Vec<Sample> = (0..runs).map(|_| run(script)).collect::<Option<_>>()?;
    let rss = all.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    all.sort_by_key(|s| s.wall);
    let mut m = all[all.len() / 2];
    let mut cpus: Vec<Duration> = all.iter().map(|s| s.cpu).collect();
    cpus.sort();
    m.cpu = cpus[cpus.len() / 2];
    m.rss_kib = rss;
    Some(m)
}

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
