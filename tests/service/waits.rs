//! `/healthz` while ssetap waits as a server asked (`Retry-After`,
//! `retry:`): honouring a long wait is no outage, so a liveness probe must
//! not restart the process, which would ask again at once.

use super::*;

#[test]
fn healthz_stays_ok_through_a_wait_the_server_asked_for() {
    let server = Server::script(vec![Reply::status(503, &[("Retry-After", "25")], "busy")]);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let run = Running::spawn(&[&server.url(), "--metrics", &addr, "--retry-max", "1s", "-q"]);
    let start = Instant::now();
    while server.requests().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(10), "no request");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Past twice --retry-max and past the least tolerance (10 s), within
    // the 25 s the server asked for.
    std::thread::sleep(Duration::from_secs(13));
    let (status, line) = get(port, "/healthz").expect("healthz");
    assert_eq!(status, 200, "{line}");
    assert!(line.starts_with("ok: reconnecting"), "{line}");
    assert_eq!(server.requests().len(), 1, "the wait is honoured");
    stop(run);
}
