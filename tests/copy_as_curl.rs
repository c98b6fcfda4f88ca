//! A request copied from a browser's developer tools ("Copy as cURL")
//! runs with `curl` replaced by `ssetap`: `--data-raw` (an `@` is text),
//! `--compressed`, `--data-binary` and curl's `--json` are taken as curl
//! takes them; `-b`, which is ssetap's Kafka brokers, says where a
//! cookie goes instead, and a coding only the browser's Accept-Encoding
//! offered (br, zstd) is named with the fix.

mod common;

use common::*;

fn answer() -> Reply {
    Reply::sse().body(event(None, Some("1"), r#"{"delta":"Hi"}"#))
}

#[test]
fn chromes_and_firefoxs_copy_as_curl_run_as_ssetap() {
    let body = r#"{"messages":[{"role":"user","content":"mail me @home"}],"stream":true}"#;
    // Chrome writes lower-case headers and --data-raw; Firefox adds
    // --compressed, -X POST and its own Accept-Encoding.
    let chrome: &[&str] = &[
        "-H",
        "accept: text/event-stream",
        "-H",
        "accept-language: en-US,en;q=0.9",
        "-H",
        "content-type: application/json",
        "-H",
        "user-agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0",
        "--data-raw",
        body,
    ];
    let firefox: &[&str] = &[
        "--compressed",
        "-X",
        "POST",
        "-H",
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0",
        "-H",
        "Accept: text/event-stream",
        "-H",
        "Accept-Encoding: gzip, deflate, br, zstd",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Connection: keep-alive",
        "--data-raw",
        body,
    ];
    for (browser, flags) in [("chrome", chrome), ("firefox", firefox)] {
        let server = Server::script(vec![answer()]);
        let url = server.url();
        let mut args = vec![url.as_str()];
        args.extend_from_slice(flags);
        let out = run(&args);
        out.assert_code(0);
        assert_eq!(
            out.lines(),
            [r#"{"event":"message","id":"1","data":"{\"delta\":\"Hi\"}"}"#]
        );
        let req = &server.requests()[0];
        assert_eq!(req.method, "POST", "{browser}");
        assert_eq!(String::from_utf8_lossy(&req.body), body, "{browser}");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert!(
            req.header("user-agent")
                .is_some_and(|a| a.contains("Mozilla"))
        );
        // One Accept, the browser's (the same as ssetap's own).
        let accepts = req.headers.iter().filter(|(n, _)| n == "accept").count();
        assert_eq!(accepts, 1, "{browser}: {:?}", req.headers);
    }
}

#[test]
fn data_raw_json_and_data_binary_are_curls() {
    let dir = Scratch::new("copy-as-curl");
    let file = dir.write("req.json", "{\"q\": \"from a file\"}\n");
    let at_file = format!("@{}", file.display());
    let cases: &[(&[&str], &str, Option<&str>)] = &[
        // --data-raw sends an @ as it is; -d and --data-binary read the file.
        (&["--data-raw", "@not-a-file"], "@not-a-file", None),
        (
            &["--data-binary", &at_file],
            "{\"q\": \"from a file\"}\n",
            None,
        ),
        // --json reads a file as -d does and says the body is JSON…
        (
            &["--json", &at_file],
            "{\"q\": \"from a file\"}\n",
            Some("application/json"),
        ),
        // …unless -H says otherwise, or removes the header.
        (
            &[
                "--json",
                "{}",
                "-H",
                "Content-Type: application/vnd.api+json",
            ],
            "{}",
            Some("application/vnd.api+json"),
        ),
        (&["--json", "{}", "-H", "Content-Type:"], "{}", None),
    ];
    for (flags, want_body, want_type) in cases {
        let server = Server::script(vec![answer()]);
        let url = server.url();
        let mut args = vec![url.as_str(), "-f", "data"];
        args.extend_from_slice(flags);
        let out = run(&args);
        out.assert_code(0);
        assert_eq!(
            out.stdout(),
            "{\"delta\":\"Hi\"}\n",
            "{flags:?}: {}",
            out.stderr
        );
        let req = &server.requests()[0];
        assert_eq!(req.method, "POST", "{flags:?}");
        assert_eq!(String::from_utf8_lossy(&req.body), *want_body, "{flags:?}");
        assert_eq!(req.header("content-type"), *want_type, "{flags:?}");
        assert_eq!(req.header("accept"), Some("text/event-stream"), "{flags:?}");
    }
}

#[test]
fn one_body_flag_and_a_cookie_in_b_are_usage_errors() {
    for (flags, says) in [
        (&["-d", "a", "--json", "b"][..], "cannot be used with"),
        (
            &["--data-raw", "a", "--data-binary", "b"][..],
            "cannot be used with",
        ),
        (
            &["--compressed", "--no-compression"][..],
            "cannot be used with",
        ),
    ] {
        let mut args = vec!["http://127.0.0.1:9/"];
        args.extend_from_slice(flags);
        let out = run(&args);
        out.assert_code(2);
        assert!(out.stderr.contains(says), "{flags:?}: {}", out.stderr);
    }
    // Chrome writes cookies with -b, which is ssetap's --brokers.
    let out = run(&["http://127.0.0.1:9/", "-b", "session=SeCrEt42; theme=dark"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("-H 'Cookie: NAME=VALUE'"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("SeCrEt42"), "{}", out.stderr);
}

#[test]
fn a_coding_the_browsers_accept_encoding_offered_is_named_with_the_fix() {
    let br = || {
        Reply::head(
            200,
            &[
                ("Content-Type", "text/event-stream"),
                ("Content-Encoding", "br"),
            ],
        )
        .body([0x8b, 0x02, 0x80])
    };
    let server = Server::script(vec![br(), br()]);
    let out = run(&[
        &server.url(),
        "-H",
        "Accept-Encoding: gzip, deflate, br, zstd",
        "--compressed",
    ]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("unsupported Content-Encoding 'br' (ssetap decodes gzip); the request's Accept-Encoding (gzip, deflate, br, zstd, from -H) offered it: leave that header out"),
        "{}",
        out.stderr
    );
    // Without the header, the server alone is to blame: no advice.
    let out = run(&[&server.url()]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("'br' (ssetap decodes gzip)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("from -H"), "{}", out.stderr);
}
