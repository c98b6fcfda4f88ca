//! Secrets never appear in anything ssetap writes (stdout, stderr with -v,
//! errors, --stats, the state file), however the run goes, nor in its
//! command line as ps shows it once they are read, while they do reach the
//! server they were given for. They can also come from a -H @FILE or a
//! terminal prompt instead of argv.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// A server that fails, redirects, streams one event and then refuses:
/// every code path that logs something.
fn troublesome() -> Server {
    Server::start(|n, req| match (n, req.path.as_str()) {
        (0, _) => Reply::status(500, &[], "oops"),
        (_, "/stream") => Reply::status(302, &[("Location", "/s2")], ""),
        (_, "/s2") if n < 3 => Reply::sse().body(event(None, Some("7"), "x")),
        _ => Reply::status(401, &[("WWW-Authenticate", "Basic")], "who are you"),
    })
}

/// Run, then check no byte written contains any of `secrets`.
fn assert_never_written(cmd: Command, state: &std::path::Path, secrets: &[&str]) -> Out {
    let out = Running::start(cmd).finish(run::LIMIT);
    let state = std::fs::read_to_string(state).unwrap_or_default();
    for s in secrets {
        assert!(!out.stderr.contains(s), "{s} on stderr:\n{}", out.stderr);
        assert!(!out.stdout().contains(s), "{s} on stdout");
        assert!(!state.contains(s), "{s} in the state file");
    }
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

#[test]
fn http_credentials_never_appear_in_output_logs_stats_or_state() {
    let dir = Scratch::new("secrets-http");
    let state = dir.path("s.json");
    let st = state.to_str().unwrap();
    let common = ["-v", "--stats", "--retry", "10ms", "--max-retries", "4"];
    type Case<'a> = (Vec<String>, Vec<(&'a str, &'a str)>, Vec<&'a str>, &'a str);
    let server = troublesome();
    let port = server.addr().to_string();
    let url = server.url();
    let with_creds = url.replace("http://", "http://user:UrlPw6@");
    let cases: Vec<Case> = vec![
        (
            vec![url.clone(), "-u".into(), "ann:S3cretPW1".into()],
            vec![],
            vec!["S3cretPW1", "YW5uOlMzY3JldFBXMQ"],
            "Basic YW5uOlMzY3JldFBXMQ==",
        ),
        (
            vec![url.clone(), "--bearer".into(), "Tok-secret2".into()],
            vec![],
            vec!["Tok-secret2"],
            "Bearer Tok-secret2",
        ),
        (
            vec![url.clone(), "-u".into(), "bob".into()],
            vec![("SSETAP_PASSWORD", "EnvPw3")],
            vec!["EnvPw3", "Ym9iOkVudlB3Mw"],
            "Basic Ym9iOkVudlB3Mw==",
        ),
        (
            vec![url.clone()],
            vec![("SSETAP_BEARER_TOKEN", "EnvTok4")],
            vec!["EnvTok4"],
            "Bearer EnvTok4",
        ),
        (
            vec![
                url.clone(),
                "-H".into(),
                "Authorization: Bearer HdrSecret5".into(),
                "-H".into(),
                "X-Api-Key: KeySecret5".into(),
                "-H".into(),
                "Cookie: session=CookieSecret5".into(),
            ],
            vec![],
            vec!["HdrSecret5", "KeySecret5", "CookieSecret5"],
            "Bearer HdrSecret5",
        ),
        (
            vec![with_creds],
            vec![],
            vec!["UrlPw6", "dXNlcjpVcmxQdzY"],
            "Basic dXNlcjpVcmxQdzY=",
        ),
    ];
    for (args, env, secrets, expected_auth) in cases {
        let _ = std::fs::remove_file(&state);
        // A fresh server on each case, at the address the case names.
        let server = troublesome();
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace(&port, server.addr()))
            .collect();
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(common);
        a.extend(["--state-file", st]);
        let mut cmd = ssetap(&a);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = assert_never_written(cmd, &state, &secrets);
        out.assert_code(1);
        assert!(
            out.stderr.contains("redacted"),
            "-v shows that something was hidden"
        );
        let sent = server.requests();
        assert!(
            sent.iter()
                .any(|r| r.header("authorization") == Some(expected_auth)),
            "{expected_auth} never reached the server"
        );
        assert_eq!(out.json()[0]["data"], "x");
    }
}

/// A token in the URL's query is hidden wherever it turns up, not only
/// where ssetap shows the URL: here a server echoes the request line in
/// its error body, which ssetap quotes.
#[test]
fn a_query_token_echoed_by_the_server_is_hidden() {
    let server =
        Server::start(|_, req| Reply::status(403, &[], &format!("echo: GET {}", req.path)));
    let url = server.url_for("/x?access_token=QTok-7&api_key=k%2Bey8&plain=visible9");
    for format in ["text", "json"] {
        let cmd = ssetap(&[&url, "-v", "--log-format", format]);
        let out = assert_never_written(cmd, Path::new(""), &["QTok-7", "k%2Bey8", "k+ey8"]);
        out.assert_code(1);
        assert!(out.stderr.contains("visible9"), "{}", out.stderr);
        assert!(out.stderr.contains("[redacted]"), "{}", out.stderr);
    }
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path.contains("access_token=QTok-7")),
        "the token reached the server"
    );
}

#[test]
fn credentials_are_hidden_when_the_server_cannot_be_reached() {
    let dir = Scratch::new("secrets-refused");
    let state = dir.path("s.json");
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let url = format!("http://ann:UrlPw7@127.0.0.1:{port}/stream");
    let cmd = ssetap(&[
        &url,
        // Not --bearer: with URL credentials that is a usage error.
        "-H",
        "X-Api-Key: Tok8",
        "-v",
        "--stats",
        "--retry",
        "10ms",
        "--max-retries",
        "1",
        "--state-file",
        state.to_str().unwrap(),
    ]);
    let out = assert_never_written(cmd, &state, &["UrlPw7", "Tok8"]);
    out.assert_code(1);
}

#[test]
fn kafka_secrets_never_appear_even_with_verbose_librdkafka_logs() {
    let dir = Scratch::new("secrets-kafka");
    let props = dir.write(
        "k.properties",
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\n\
         sasl.username=svc\nsasl.password=KafkaSecret9\n",
    );
    std::fs::set_permissions(&props, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/wikimedia-recentchange.sse"
    );
    let state = dir.path("s.json");
    let cmd = ssetap(&[
        sample,
        "-b",
        "127.0.0.1:9",
        "-t",
        "events",
        "-F",
        props.to_str().unwrap(),
        "--kafka-property",
        "ssl.key.password=KeyPw10",
        "--flush-timeout",
        "2s",
        "-v",
        "--stats",
        "--state-file",
        state.to_str().unwrap(),
    ]);
    let out = assert_never_written(cmd, &state, &["KafkaSecret9", "KeyPw10"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("127.0.0.1:9"),
        "the error names the brokers"
    );
}

#[test]
fn a_secret_propertys_inner_values_stay_hidden_when_librdkafka_quotes_them() {
    // librdkafka's error quotes the value from the word it could not parse
    // on: the whole value is not in it, its secret part is.
    let dir = Scratch::new("secrets-oauthcfg");
    let state = dir.path("s.json");
    // A "broker" that takes connections and says nothing, so the token
    // failure, not a refused connection, is what the run reports.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let brokers = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });
    for format in ["text", "json"] {
        let run_once = || {
            let cmd = ssetap(&[
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/tests/data/wikimedia-recentchange.sse"
                ),
                "-b",
                &brokers,
                "-t",
                "events",
                "--kafka-property",
                "security.protocol=SASL_PLAINTEXT",
                "--kafka-property",
                "sasl.mechanisms=OAUTHBEARER",
                "--kafka-property",
                "enable.sasl.oauthbearer.unsecure.jwt=true",
                "--kafka-property",
                "sasl.oauthbearer.config=principal=svc scop=read extension_apikey=TopSecret123",
                "--log-format",
                format,
                "-v",
            ]);
            assert_never_written(cmd, &state, &["TopSecret123"])
        };
        // Under load librdkafka may give up on the silent broker before
        // it tries the token, and then quotes nothing: try again.
        let mut out = run_once();
        for _ in 0..3 {
            if out.stderr.contains("extension_apikey") {
                break;
            }
            out = run_once();
        }
        out.assert_code(1);
        assert!(
            out.stderr.contains("extension_apikey=[redacted]"),
            "{}",
            out.stderr
        );
        if format == "json" {
            // librdkafka's own lines (-v) are JSON objects like the rest.
            assert!(out.stderr.contains("librdkafka"), "{}", out.stderr);
            for line in out.stderr.lines() {
                let v: serde_json::Value =
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                assert!(v["msg"].is_string(), "{line}");
            }
        }
    }
}

/// Wait until `server` has had `n` requests (ssetap has parsed its flags
/// by then), at most 20 s.
fn wait_for_requests(server: &Server, n: usize) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.requests().len() < n {
        assert!(std::time::Instant::now() < until, "no request arrived");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn secrets_on_the_command_line_are_blanked_in_proc_cmdline() {
    let server = Server::start(|_, _| Reply::sse().hold());
    let url = server.url();
    let with_creds = url.replace("http://", "http://ann:UrlPw11@");
    type Case<'a> = (Vec<String>, Vec<&'a str>, &'a str);
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let cases: Vec<Case> = vec![
        (
            s(&[&url, "--bearer", "BearerTok12"]),
            vec!["BearerTok12"],
            "--bearer ***********",
        ),
        (
            s(&[&url, "--bearer=BearerTok13"]),
            vec!["BearerTok13"],
            "--bearer=***********",
        ),
        (
            s(&[&url, "-u", "ann:UserPw14"]),
            vec!["UserPw14"],
            "-u ann:********",
        ),
        (
            s(&[&url, "-quann:UserPw15"]),
            vec!["UserPw15"],
            "-quann:********",
        ),
        (
            s(&[&format!("{url}?access_token=QueryTok17&n=1")]),
            vec!["QueryTok17"],
            "?access_token=**********&n=1",
        ),
        (
            s(&[&with_creds, "-H", "X-Api-Key: HdrKey16", "-H", "X-Plain: 1"]),
            vec!["UrlPw11", "HdrKey16"],
            "http://ann:*******@",
        ),
    ];
    for (n, (args, secrets, shown)) in cases.into_iter().enumerate() {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = Running::spawn(&a);
        wait_for_requests(&server, n + 1);
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", r.pid())).expect("cmdline");
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        r.signal(libc::SIGTERM);
        r.finish(run::LIMIT).assert_code(143);
        for secret in secrets {
            assert!(!cmdline.contains(secret), "{secret} in {cmdline}");
        }
        assert!(cmdline.contains(shown), "{shown:?} not in {cmdline}");
    }
    // The secrets still reached the server.
    let auth: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_string))
        .collect();
    assert_eq!(auth[0].as_deref(), Some("Bearer BearerTok12"));
    assert_eq!(auth[1].as_deref(), Some("Bearer BearerTok13"));
    // base64("ann:UserPw14")
    assert_eq!(auth[2].as_deref(), Some("Basic YW5uOlVzZXJQdzE0"));
    let last = server.requests().pop().expect("request");
    assert_eq!(last.header("x-api-key"), Some("HdrKey16"));
    assert_eq!(last.header("x-plain"), Some("1"));
}

#[test]
fn a_header_file_keeps_api_keys_off_the_command_line_and_out_of_logs() {
    let dir = Scratch::new("secrets-hfile");
    let file = dir.write(
        "headers",
        "X-Api-Key: FileKey21\r\nCB-ACCESS-PASSPHRASE: Phrase22\r\n\r\nX-Plain: shown\r\n",
    );
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let at = format!("@{}", file.display());
    let server = Server::start(|_, _| Reply::sse().body(event(None, None, "x")));
    let out = run(&[&server.url(), "-H", &at, "-v", "--no-reconnect"]);
    out.assert_code(0);
    for secret in ["FileKey21", "Phrase22"] {
        assert!(!out.stderr.contains(secret), "{}", out.stderr);
    }
    assert!(
        out.stderr.contains("> X-Api-Key: [redacted]"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("> X-Plain: shown"), "{}", out.stderr);
    assert!(!out.stderr.contains("chmod"), "a 0600 file is fine");
    // The same from stdin.
    let out = run_with_stdin(
        &[&server.url(), "-H", "@-", "--no-reconnect"],
        b"X-Api-Key: StdinKey23\n",
    );
    out.assert_code(0);
    let reqs = server.requests();
    assert_eq!(reqs[0].header("x-api-key"), Some("FileKey21"));
    assert_eq!(reqs[0].header("cb-access-passphrase"), Some("Phrase22"));
    assert_eq!(reqs[0].header("x-plain"), Some("shown"));
    assert_eq!(reqs[1].header("x-api-key"), Some("StdinKey23"));

    // A line that is not a header: exit 2 naming the file and the line.
    let bad = dir.write("bad", "X-A: 1\nnot a header\n");
    let out = run(&[&server.url(), "-H", &format!("@{}", bad.display())]);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains(&format!("-H @{}: line 2:", bad.display())),
        "{}",
        out.stderr
    );
    // A file that cannot be read: exit 1, as for -d @FILE.
    let out = run(&[&server.url(), "-H", "@/nonexistent/headers"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("/nonexistent/headers"),
        "{}",
        out.stderr
    );
    assert_eq!(server.requests().len(), 2, "no request after a bad -H file");
}

#[test]
fn any_header_named_like_a_credential_is_hidden_and_stays_with_its_origin() {
    let other = Server::start(|_, _| Reply::sse().body(event(None, None, "elsewhere")));
    let target = format!(
        "http://localhost:{}/stream",
        other.addr().rsplit(':').next().unwrap_or("")
    );
    let home = Server::start(move |_, _| Reply::status(307, &[("Location", target.as_str())], ""));
    let names = ["CB-ACCESS-PASSPHRASE", "X-Credential", "X-Jwt", "X-Hmac"];
    let mut args = vec![home.url(), "--no-reconnect".into(), "-v".into()];
    for (i, n) in names.iter().enumerate() {
        args.extend(["-H".to_string(), format!("{n}: Cred-{i}-value")]);
    }
    args.extend(["-H".to_string(), "X-Plain: plain".to_string()]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&a);
    out.assert_code(0);
    assert!(!out.stderr.contains("-value"), "{}", out.stderr);
    let home_req = &home.requests()[0];
    let away = &other.requests()[0];
    for n in names {
        assert!(home_req.header(n).is_some(), "{n} reached its origin");
        assert_eq!(away.header(n), None, "{n} leaked to another host");
    }
    assert_eq!(away.header("x-plain"), Some("plain"));
}
