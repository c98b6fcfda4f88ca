//! `--fail-on CONDITION`: an error a server sends inside the stream (an
//! LLM API's overload, mid-answer) fails the run, exit 1, instead of
//! ending it as a short answer with exit 0. What came before is written,
//! the error's type and data are one line on stderr, the event is not
//! written and the resume point stays before it.

mod common;

use common::{Reply, Scratch, Server, event, run, saved_id};

/// Anthropic's shape: deltas, then `event: error` (as its API sends an
/// overload mid-stream), and the end of the response.
fn anthropic_with_error() -> Reply {
    let delta = |text: &str| {
        serde_json::json!({
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": text}
        })
        .to_string()
    };
    Reply::sse()
        .body(event(
            Some("message_start"),
            None,
            r#"{"type":"message_start","message":{"id":"msg_1"}}"#,
        ))
        .body(event(Some("content_block_delta"), None, &delta("Grüß ")))
        .body(event(Some("content_block_delta"), None, &delta("dich")))
        .body(event(
            Some("error"),
            None,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ))
}

#[test]
fn an_error_event_mid_answer_fails_the_run_after_what_came_before() {
    let server = Server::script(vec![anthropic_with_error()]);
    let args = [
        server.url(),
        "-d".into(),
        "{}".into(),
        "--jq".into(),
        ".data.delta.text // empty".into(),
        "-j".into(),
        "--until".into(),
        r#".event == "message_stop""#.into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // Without it, the short answer looks like a whole one: the response
    // ended, exit 0.
    let out = run(&args);
    out.assert_code(0);
    assert_eq!(out.stdout(), "Grüß dich");

    let server = Server::script(vec![anthropic_with_error()]);
    let url = server.url();
    let mut with = args.clone();
    with[0] = &url;
    with.extend(["--fail-on", r#".event == "error""#]);
    let out = run(&with);
    out.assert_code(1);
    assert_eq!(out.stdout(), "Grüß dich");
    let err = out.stderr.trim_end();
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("ssetap: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        err.contains(r#"--fail-on matched event #4 (no ID) of type "error""#),
        "{err}"
    );
    assert!(err.contains("overloaded_error"), "{err}");
    assert_eq!(
        server.requests().len(),
        1,
        "a one-shot request, not re-sent"
    );
}

#[test]
fn openai_error_data_fails_and_done_passes_quietly() {
    let chunk = r#"{"choices":[{"index":0,"delta":{"content":"Hi"}}]}"#;
    let error = r#"{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}"#;
    let ok = Server::script(vec![
        Reply::sse()
            .body(event(None, None, chunk))
            .body(event(None, None, "[DONE]"))
            .hold(),
    ]);
    let failing = Server::script(vec![
        Reply::sse()
            .body(event(None, None, chunk))
            .body(event(None, None, error))
            .hold(),
    ]);
    let run_on = |url: &str| {
        run(&[
            url,
            "-d",
            "{}",
            "--jq",
            ".data.choices[0].delta.content // empty",
            "-j",
            "--until",
            r#".data == "[DONE]""#,
            "--fail-on",
            r#".data | objects | has("error")"#,
        ])
    };
    // [DONE] is a string: the condition gives no output, and no warning.
    let out = run_on(&ok.url());
    out.assert_code(0);
    assert_eq!(out.stdout(), "Hi");
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);

    let out = run_on(&failing.url());
    out.assert_code(1);
    assert_eq!(out.stdout(), "Hi");
    assert!(out.stderr.contains("server_error"), "{}", out.stderr);
}

#[test]
fn the_resume_point_stays_before_the_failing_event() {
    let mut body = String::new();
    for i in 1..=2 {
        body.push_str(&event(
            None,
            Some(&i.to_string()),
            &format!("{{\"n\":{i}}}"),
        ));
    }
    body.push_str(&event(Some("error"), Some("3"), r#"{"why":"maintenance"}"#));
    body.push_str(&event(None, Some("4"), r#"{"n":4}"#));
    let server = Server::script(vec![Reply::sse().body(&body).hold()]);
    let dir = Scratch::new("fail-on-state");
    let state = dir.path("s.json");
    let out = run(&[
        &server.url(),
        "--fail-on",
        r#".event == "error""#,
        "--state-file",
        state.to_str().unwrap_or_default(),
        "-f",
        "data",
    ]);
    out.assert_code(1);
    assert_eq!(out.lines(), [r#"{"n":1}"#, r#"{"n":2}"#]);
    assert!(
        out.stderr.contains(r#"event "3" of type "error""#),
        "{}",
        out.stderr
    );
    assert_eq!(saved_id(&state), "2", "a restart sees the error again");
    assert_eq!(
        server.requests().len(),
        1,
        "a GET stream is not reconnected"
    );
}

/// An error event without an `id:` of its own carries the ID before it,
/// which is where the resume point stays: also when it comes first after
/// a resume, with the resumed ID as the only one.
#[test]
fn an_error_event_without_an_id_keeps_the_id_before_it() {
    let ids = |ids: &[&str]| -> String {
        ids.iter()
            .map(|i| event(None, Some(i), &format!("e{i}")))
            .collect()
    };
    let error = event(Some("error"), None, "boom");
    for (body, resume, want) in [
        (ids(&["1", "2"]) + &error, None, "2"),
        (ids(&["1"]) + &error, None, "1"),
        (ids(&["7", "8", "9"]) + &error, None, "9"),
        (error.clone(), Some("5"), "5"),
        (event(None, None, "a") + &error, Some("5"), "5"),
    ] {
        let server = Server::script(vec![Reply::sse().body(&body).hold()]);
        let dir = Scratch::new("fail-on-noid");
        let state = dir.path("s.json");
        if let Some(id) = resume {
            std::fs::write(&state, format!("{{\"last_event_id\":\"{id}\"}}")).unwrap();
        }
        let out = run(&[
            &server.url(),
            "--fail-on",
            r#".event == "error""#,
            "--state-file",
            state.to_str().unwrap_or_default(),
        ]);
        out.assert_code(1);
        assert_eq!(saved_id(&state), want, "{body:?} after {resume:?}");
    }
}

#[test]
fn a_condition_that_does_not_compile_is_a_usage_error() {
    let out = run(&["-", "--fail-on", ".event =="]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("--fail-on: cannot compile"),
        "{}",
        out.stderr
    );
}
