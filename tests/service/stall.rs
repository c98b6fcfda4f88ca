//! `/healthz` when the main loop cannot move: the metrics thread answers on
//! its own, so without a check of its own it would say "ok" for ever while
//! ssetap is stuck on a write nobody takes (a Kubernetes liveness probe has
//! no watchdog behind it).

use super::*;

#[test]
fn healthz_says_stalled_once_output_is_not_read_for_a_minute() {
    // Far more than a pipe holds, then a stream that stays open.
    let big = "x".repeat(1 << 16);
    let server = Server::script(vec![
        (0..32)
            .fold(Reply::sse(), |r, _| r.body(event(None, None, &big)))
            .hold(),
    ]);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = ssetap(&[&server.url(), "--metrics", &addr, "-f", "data"]);
    // stdout is a pipe this test holds and never reads.
    let mut child = cmd.stderr(Stdio::null()).spawn().expect("spawn");
    let health = || common::probe::timed_get(port, "/healthz", Duration::from_secs(5));
    let start = Instant::now();
    while health().map(|(s, _)| s) != Ok(200) {
        assert!(start.elapsed() < Duration::from_secs(20), "never healthy");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut stalled_after = None;
    while start.elapsed() < Duration::from_secs(120) {
        if health().map(|(s, _)| s) == Ok(503) {
            stalled_after = Some(start.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = child.kill();
    let _ = child.wait();
    let after = stalled_after.expect("/healthz never said 503 while output was not read");
    assert!(
        after >= Duration::from_secs(55),
        "503 after {after:?}: too soon"
    );
}
