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

/// The runs of one contender: the median sample (by wall time; CPU time
/// its own median; the largest RSS seen) and every wall time by round.
pub struct Series {
    pub median: Sample,
    pub walls: Vec<Duration>,
}

impl Series {
    /// The median over rounds of this contender's wall time over `base`'s
    /// in the same round: pairs taken close together, so a busy spell of
    /// the machine weighs on both alike.
    pub fn ratio(&self, base: &Series) -> f64 {
        let mut r: Vec<f64> = self
            .walls
            .iter()
            .zip(&base.walls)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// Runs each script once as a warm-up, then `runs` rounds in which every
/// script runs once in turn. A script that fails gets `None`.
pub fn rounds(scripts: &[String], runs: usize) -> Vec<Option<Series>> {
    let mut samples: Vec<Option<Vec<Sample>>> = scripts
        .iter()
        .map(|s| run(s).map(|_| Vec::with_capacity(runs)))
        .collect();
    for _ in 0..runs {
        for (script, all) in scripts.iter().zip(&mut samples) {
            if let Some(v) = all {
                match run(script) {
                    Some(s) => v.push(s),
                    None => *all = None,
                }
            }
        }
    }
    samples
        .into_iter()
        .map(|all| {
            let all = all.filter(|v| !v.is_empty())?;
            let walls = all.iter().map(|s| s.wall).collect();
            Some(Series {
                median: median_of(all),
                walls,
            })
        })
        .collect()
}

/// One warm-up, then the median (by wall time) of `runs` runs.
pub fn median(script: &str, runs: usize) -> Option<Sample> {
    rounds(&[script.to_string()], runs)
        .pop()
        .flatten()
        .map(|s| s.median)
}

/// The median by wall time, with the median CPU time and the largest RSS.
fn median_of(mut all: Vec<Sample>) -> Sample {
    let rss = all.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let mut cpus: Vec<Duration> = all.iter().map(|s| s.cpu).collect();
    cpus.sort();
    all.sort_by_key(|s| s.wall);
    let mut m = all[all.len() / 2];
    m.cpu = cpus[cpus.len() / 2];
    m.rss_kib = rss;
    m
}

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
