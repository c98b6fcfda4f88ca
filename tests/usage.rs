//! Bad input to the tool itself: one clear line on stderr and the
//! documented exit code (2 usage, 1 for files and state that cannot be
//! used), never a panic or a backtrace. Also --help and --version.

mod common;

use common::*;

/// stderr is one line naming the problem, with no panic or backtrace.
fn one_clear_line(out: &Out, names: &str) {
    let err = &out.stderr;
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected:\n{err}");
    assert!(lines[0].contains(names), "{names:?} not in: {err}");
    assert!(lines[0].starts_with("ssetap: error:"), "{err}");
}

#[test]
fn malformed_flags_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["x.sse", "--bogus"], "--bogus"),
        (&["x.sse", "--retry", "abc"], "abc"),
        (&["x.sse", "--retry", "-1"], "a bare number is seconds"),
        (&["x.sse", "--max-event-size", "12QB"], "12QB"),
        (&["x.sse", "--max-events", "-1"], "not a whole number"),
        (&["x.sse", "--dedup", "lots"], "not a whole number"),
        (&["x.sse", "--state-topic", "s"], "use --state-file"),
        (
            &["x.sse", "--dead-letter-topic", "d"],
            "only applies to the Kafka sink",
        ),
        (&["x.sse", "--color", "purple"], "purple"),
        (&["x.sse", "--format", "xml"], "xml"),
        (&["x.sse", "--grep", "("], "--grep"),
        (&[], "URL"),
        (&["http://h/", "-H", "X: a\r\nY: b"], "-H"),
        (&["http://h/", "-H", "no colon here"], "-H"),
        (&["ftp://example.com/stream"], "ftp"),
        // Not connected to port 80 instead, as the http crate would have it.
        (&["http://127.0.0.1:99999/stream"], "port \"99999\""),
        (&["http://u:pw@[::1]:-1/"], "port \"-1\""),
        (&["x.sse", "-b", "127.0.0.1:9"], "--topic"),
        (&["x.sse", "-t", "events"], "brokers"),
        (
            &[
                "x.sse",
                "-b",
                "h:9",
                "-t",
                "t",
                "--kafka-property",
                "novalue",
            ],
            "novalue",
        ),
        (
            &[
                "x.sse",
                "-b",
                "h:9",
                "-t",
                "t",
                "--kafka-property",
                "=hunter2",
            ],
            "no KEY",
        ),
        // librdkafka's refusals are usage errors naming what was written,
        // not librdkafka's own name (queue.buffering.max.ms).
        (
            &[
                "x.sse",
                "-b",
                "h:9",
                "-t",
                "t",
                "--kafka-property",
                "linger.ms=abc",
            ],
            "--kafka-property linger.ms: Invalid value",
        ),
        (
            &[
                "x.sse",
                "-b",
                "h:9",
                "-t",
                "t",
                "--kafka-property",
                "bogus.prop=1",
            ],
            "No such configuration property",
        ),
        (&["x.sse", "--key", "id"], "--key"),
        (
            &["x.sse", "-b", "h:9", "-t", "t", "--key", "/a~2"],
            "not a JSON pointer",
        ),
        (&["http://[::1"], "not valid"),
        (&["http://bücher.example/x"], "punycode"),
        (&["http://:8080/x"], "no host"),
        (&["x.sse", "--stats-interval", "300ms"], "--stats-interval"),
        (&["-", "-H", "@-"], "stdin"),
        (
            &["x.sse", "-b", "h:9", "-t", "s", "--state-topic", "s"],
            "--state-topic",
        ),
        (
            &["x.sse", "-b", "h:9", "-t", "t", "--dead-letter-topic", "t"],
            "--dead-letter-topic",
        ),
        (
            &[
                "x.sse",
                "-b",
                "h:9",
                "-t",
                "t",
                "--state-topic",
                "d",
                "--dead-letter-topic",
                "d",
            ],
            "a topic of its own",
        ),
        (&["x.sse", "-b", "127.0.0.1:99999", "-t", "t"], "99999"),
        (&["x.sse", "-b", "", "-t", "t"], "no broker"),
        (&["x.sse", "-b", "h:9", "-t", "bad topic"], "-t"),
    ];
    for (args, names) in cases {
        let out = run(args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        one_clear_line(&out, names);
    }
}

#[test]
fn a_kafka_config_file_line_librdkafka_refuses_is_named_and_its_secret_hidden() {
    let dir = Scratch::new("usage-kafka-config");
    let props = dir.write(
        "k.properties",
        "# comment\nlinger.ms=5\nsasl.oauthbearer.client.secret=Hidden42\n",
    );
    std::fs::set_permissions(&props, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let out = run(&[
        "x.sse",
        "-t",
        "t",
        "-b",
        "h:9",
        "-F",
        props.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    // (This build of librdkafka has no OIDC: the property is refused.)
    one_clear_line(&out, "k.properties:3: sasl.oauthbearer.client.secret");
    assert!(!out.stderr.contains("Hidden42"), "{}", out.stderr);
}

#[test]
fn files_named_by_flags_that_cannot_be_read_exit_1() {
    let dir = Scratch::new("usage-files");
    let corrupt = dir.write("bad.state", "{not json");
    let corrupt = corrupt.to_str().unwrap();
    // An ID fills a few KiB at most; this is not a state file ssetap wrote.
    let big = dir.write("big.state", vec![b' '; 40_000]);
    let big = big.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["http://127.0.0.1:9/", "-d", "@/nonexistent/body.json"],
            "/nonexistent/body.json",
        ),
        (
            &["http://127.0.0.1:9/", "--state-file", "/nonexistent/dir/s"],
            "/nonexistent/dir/s",
        ),
        (
            &["http://127.0.0.1:9/", "--state-file", corrupt],
            "bad.state",
        ),
        (
            &["x.sse", "-F", "/nonexistent/k.properties", "-t", "t"],
            "k.properties",
        ),
        (
            &["http://127.0.0.1:9/", "-H", "@/nonexistent/headers"],
            "/nonexistent/headers",
        ),
        (
            &["http://127.0.0.1:9/", "--cert", "/nonexistent/client.pem"],
            "/nonexistent/client.pem",
        ),
        (
            &["http://127.0.0.1:9/", "--state-file", big],
            "over 32768 bytes",
        ),
    ];
    for (args, names) in cases {
        let out = run(args);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        one_clear_line(&out, names);
    }
}

/// `/dev/zero` never ends: each file a flag names is read up to a cap
/// and refused past it, not read until memory runs out (it grew 2 GB a
/// second before).
#[test]
fn endless_files_named_by_flags_are_refused_at_their_cap() {
    let url = "http://127.0.0.1:9/";
    let cases: &[(&[&str], &str)] = &[
        (&[url, "-H", "@/dev/zero"], "over 1 MiB"),
        (&[url, "-d", "@/dev/zero"], "over 256 MiB"),
        (&[url, "--cacert", "/dev/zero"], "over 16 MiB"),
        (&[url, "--cert", "/dev/zero"], "over 16 MiB"),
        (
            &[url, "--cert", "Cargo.toml", "--cert-key", "/dev/zero"],
            "over 16 MiB",
        ),
        (&["x.sse", "-t", "t", "-F", "/dev/zero"], "over 1 MiB"),
        (
            &[
                url,
                "--oauth2-token-url",
                url,
                "--oauth2-client-id",
                "c",
                "--oauth2-client-secret-file",
                "/dev/zero",
            ],
            "over 64 KiB",
        ),
    ];
    for (args, names) in cases {
        let out = run(args);
        assert_eq!(out.code, Some(1), "{args:?}: {}", out.stderr);
        one_clear_line(&out, names);
    }
}

#[test]
fn help_shows_examples_and_exit_codes_and_version_works() {
    let out = run(&["--help"]);
    out.assert_code(0);
    let help = out.stdout();
    for needle in [
        "Examples:",
        "Exit status:",
        "130",
        "143",
        "--json-data",
        "--state-file",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}");
    }
    let out = run(&["--version"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout().trim(),
        format!("ssetap {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn durations_past_what_the_clock_holds_are_never_due_not_a_panic() {
    for v in [
        "9223372036854775807s",
        "2562047788015215h",
        "18446744073709551615s",
    ] {
        let out = run_with_stdin(&["-", "--stats-interval", v], b"data: x\n\n");
        assert_eq!(out.code, Some(0), "{v}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{v}: {}", out.stderr);
        assert_eq!(out.lines().len(), 1, "{v}");
    }
}

#[test]
fn help_and_version_on_a_full_disk_fail() {
    for flag in ["--help", "--version"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = ssetap(&[flag]).stdout(full).output().expect("run ssetap");
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("No space left"), "{flag}: {err}");
    }
}
