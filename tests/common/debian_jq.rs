//! Debian's jq, the reference `--jq` is compared with.

use std::process::{Command, Stdio};

/// What `jq -c` (`-rc` when `raw`) writes for `program` on `input`: all of
/// an event's outputs, or none when the program fails on it, as `--jq`
/// skips an event it fails on.
pub fn debian_jq(program: &str, input: &[u8], raw: bool) -> String {
    let mut child = Command::new("jq")
        .arg(if raw { "-rc" } else { "-c" })
        .arg(format!("try ([{program}] | .[]) catch empty"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jq (apt-get install jq)");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("jq");
    let _ = writer.join();
    assert!(
        out.status.success(),
        "jq {program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}
