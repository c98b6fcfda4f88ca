//! Runs the built ssetap binary: with a clean environment (no proxies, no
//! SSETAP_* settings, no colour), its output read as it comes, and a time
//! limit after which it is killed and the test fails.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long any one run may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The binary with stdin closed, stdout and stderr piped, and an
/// environment that cannot change its behaviour.
pub fn ssetap(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ssetap"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        let n = name.to_string_lossy().to_ascii_uppercase();
        if n.starts_with("SSETAP_") || n.ends_with("_PROXY") || n == "NO_COLOR" {
            cmd.env_remove(&name);
        }
    }
    cmd
}

/// A finished run.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Out {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stdout as lines.
    pub fn lines(&self) -> Vec<String> {
        self.stdout().lines().map(str::to_string).collect()
    }

    /// stdout parsed as NDJSON.
    pub fn json(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
            .collect()
    }

    /// The `--stats` summary: the last stderr line that is a JSON object.
    pub fn stats(&self) -> serde_json::Value {
        let line = self
            .stderr
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no --stats line in: {}", self.stderr));
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    /// Assert the exit code, showing stderr when it differs.
    pub fn assert_code(&self, code: i32) -> &Out {
        assert_eq!(
            self.code,
            Some(code),
            "exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout()
        );
        self
    }
}

/// Run to the end (at most `LIMIT`).
/// Limit the files `cmd`'s process may write to `bytes` (`ulimit -f`, as
/// systemd's LimitFSIZE): a write past it fails with EFBIG (ssetap ignores
/// SIGXFSZ; the child ignores it too, for a run of an older binary or of
/// another tool). Stands in for a full disk in tests.
pub fn limit_file_size(cmd: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit and signal only, between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
}

pub fn run(args: &[&str]) -> Out {
    Running::start(ssetap(args)).finish(LIMIT)
}

/// Run with these bytes on stdin.
pub fn run_with_stdin(args: &[&str], input: &[u8]) -> Out {
    let mut cmd = ssetap(args);
    cmd.stdin(Stdio::piped());
    let mut r = Running::start(cmd);
    if let Some(mut stdin) = r.take_stdin() {
        use std::io::Write;
        let _ = stdin.write_all(input);
    }
    r.finish(LIMIT)
}

/// A running ssetap; stdout is read line by line as it comes.
pub struct Running {
    pub child: Child,
    pub started: Instant,
    lines: Receiver<Vec<u8>>,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<String>,
}

impl Running {
    pub fn start(mut cmd: Command) -> Running {
        let started = Instant::now();
        let mut child = cmd.spawn().expect("spawn ssetap");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take();
        let stdout = std::thread::spawn(move || {
            let mut all = Vec::new();
            if let Some(out) = out {
                let mut r = BufReader::new(out);
                loop {
                    let mut line = Vec::new();
                    match r.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            all.extend_from_slice(&line);
                            let _ = tx.send(line);
                        }
                    }
                }
            }
            all
        });
        let err = child.stderr.take();
        let stderr = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut e) = err {
                let _ = e.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        });
        Running {
            child,
            started,
            lines,
            stdout,
            stderr,
        }
    }

    pub fn spawn(args: &[&str]) -> Running {
        Running::start(ssetap(args))
    }

    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line (with its newline), or None after `wait`.
    pub fn next_line(&self, wait: Duration) -> Option<String> {
        self.lines
            .recv_timeout(wait)
            .ok()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
    }

    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, sig);
        }
    }

    /// Wait for the exit; kill it and fail past `limit` from the start.
    pub fn finish(mut self, limit: Duration) -> Out {
        drop(self.child.stdin.take());
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if self.started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "ssetap still running after {limit:?}; stderr:\n{}",
                    self.stderr.join().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.started.elapsed();
        Out {
            code: status.code(),
            elapsed,
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
        }
    }
}

/// A directory for one test's files, removed at the end.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ssetap-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write scratch file");
        p
    }

    pub fn dir(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
