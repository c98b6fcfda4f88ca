//! A tansu broker (Apache-Kafka-compatible, in-memory storage) for one test,
//! on a free loopback port. Killed when the guard drops, and by the kernel
//! if the test process dies first (PR_SET_PDEATHSIG). Each test gets its own
//! broker: it starts in milliseconds, and the fault tests pause theirs.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Tansu {
    child: Child,
    port: u16,
    bin: PathBuf,
}

/// The tansu binary: $SSETAP_TANSU, else `tansu` on PATH, else
/// ~/.cargo/bin/tansu. Missing is a failure, not a skip: these tests are
/// the only check that the sink works against a real broker.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SSETAP_TANSU") {
        return PathBuf::from(p);
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("tansu"))
            .find(|p| p.is_file())
    });
    if let Some(p) = on_path {
        return p;
    }
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu"));
    match home {
        Some(p) if p.is_file() => p,
        _ => panic!(
            "tansu (the Kafka-compatible test broker) was not found: set SSETAP_TANSU, put it \
             on PATH, or install it with `cargo install tansu --version 0.6.0 --locked \
             --features dynostore` (.ci/test does this)"
        ),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Tansu {
    pub fn start() -> Tansu {
        let bin = binary();
        // Another process may take the port between our probe and tansu's
        // bind; try a few.
        for _ in 0..5 {
            let port = free_port();
            let url = format!("tcp://127.0.0.1:{port}");
            let mut cmd = Command::new(&bin);
            cmd.args(["broker", "--storage-engine", "memory://tansu/"])
                .args(["--listener-url", &url, "--advertised-listener-url", &url])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            // SAFETY: prctl is async-signal-safe; nothing else runs between
            // fork and exec.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            let child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start tansu ({}): {e}", bin.display()));
            let mut t = Tansu {
                child,
                port,
                bin: bin.clone(),
            };
            if t.wait_ready() {
                return t;
            }
        }
        panic!("tansu did not start listening on a loopback port (5 tries)");
    }

    fn wait_ready(&mut self) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The `-b` value.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Topics are not created automatically.
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = Command::new(&self.bin)
            .args(["topic", "create", name])
            .args(["--broker", &format!("tcp://127.0.0.1:{}", self.port)])
            .args(["--partitions", &partitions.to_string()])
            .output()
            .expect("tansu topic create");
        assert!(
            out.status.success(),
            "tansu topic create {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// SIGSTOP: the broker keeps its sockets but answers nothing.
    pub fn pause(&self) {
        self.signal(libc::SIGSTOP);
    }

    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, sig);
        }
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        // SIGKILL works on a stopped process too.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
