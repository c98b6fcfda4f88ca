//! The core over HTTP: the built binary against scripted servers.

mod common;

use common::*;

#[test]
fn a_stream_becomes_ndjson_and_ends_with_the_no_reconnect_flag() {
    let body = event(Some("edit"), Some("1"), "a") + &event(None, None, "b\nc");
    let server = Server::script(vec![Reply::sse().body(body)]);
    let out = run(&[&server.url(), "--no-reconnect"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout(),
        "{\"event\":\"edit\",\"id\":\"1\",\"data\":\"a\"}\n{\"event\":\"message\",\"id\":\"1\",\"data\":\"b\\nc\"}\n"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].header("accept"), Some("text/event-stream"));
}
