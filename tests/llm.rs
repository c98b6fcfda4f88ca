//! LLM token streams: `--until` ends a run at the stream's terminator
//! (`data: [DONE]`, `event: message_stop`) while the server keeps the
//! connection open, and `-j` writes the tokens as they are typed. The
//! servers send chunks shaped as OpenAI's chat completions and Anthropic's
//! messages streams send them (role, content deltas with non-ASCII text,
//! finish reason, usage, the terminator), then hold the socket.

mod common;

use common::{Reply, Running, Scratch, Server, event, run, saved_id, ssetap};
use std::time::Duration;

/// The answer both servers type, in pieces.
const PIECES: [&str; 5] = ["Grüß dich", ", wörld", "! 👋\n", "Zweite ", "Zeile."];

fn answer() -> String {
    PIECES.concat()
}

/// An OpenAI-style chat completions stream: a role chunk, content deltas
/// (a pause after the line break, to see the first line come out alone),
/// a finish_reason chunk, a usage chunk, `[DONE]`, and then nothing, with
/// the connection held open.
fn openai_reply() -> Reply {
    let chunk = |delta: &str, finish: &str| {
        format!(
            r#"{{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733560000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]}}"#
        )
    };
    let mut r = Reply::sse().body(event(
        None,
        None,
        &chunk(
            r#"{"role":"assistant","content":"","refusal":null}"#,
            "null",
        ),
    ));
    for (i, piece) in PIECES.iter().enumerate() {
        let delta = serde_json::json!({ "content": piece }).to_string();
        r = r.body(event(None, None, &chunk(&delta, "null")));
        if i == 2 {
            r = r.pause(Duration::from_millis(1500));
        }
    }
    let usage = r#"{"id":"chatcmpl-7","object":"chat.completion.chunk","created":1733560000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}"#;
    r.body(event(None, None, &chunk("{}", r#""stop""#)))
        .body(event(None, None, usage))
        .body("data: [DONE]\n\n")
        .hold()
}

/// An Anthropic-style messages stream, with its `ping`, ending in
/// `message_stop` and then held open.
fn anthropic_reply() -> Reply {
    let start = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#;
    let mut r = Reply::sse()
        .body(event(Some("message_start"), None, start))
        .body(event(
            Some("content_block_start"),
            None,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ))
        .body(event(Some("ping"), None, r#"{"type": "ping"}"#));
    for piece in PIECES {
        let delta = serde_json::json!({
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": piece}
        });
        r = r.body(event(Some("content_block_delta"), None, &delta.to_string()));
    }
    r.body(event(
        Some("content_block_stop"),
        None,
        r#"{"type":"content_block_stop","index":0}"#,
    ))
    .body(event(
        Some("message_delta"),
        None,
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}"#,
    ))
    .body(event(
        Some("message_stop"),
        None,
        r#"{"type":"message_stop"}"#,
    ))
    .hold()
}

const REQUEST: &str =
    r#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hallo"}]}"#;

/// The POST with its body, JSON type and bearer token reached the server.
fn assert_request(server: &Server) {
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "sent once");
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].body, REQUEST.as_bytes());
    assert_eq!(reqs[0].header("content-type"), Some("application/json"));
    assert_eq!(reqs[0].header("authorization"), Some("Bearer x"));
}

#[test]
fn openai_stream_prints_the_answer_as_typed_and_ends_at_done() {
    let server = Server::script(vec![openai_reply()]);
    let dir = Scratch::new("llm-openai");
    let req = dir.write("req.json", REQUEST);
    let body = format!("@{}", req.display());
    let r = Running::spawn(&[
        &server.url(),
        "-d",
        &body,
        "-H",
        "Content-Type: application/json",
        "--bearer",
        "x",
        "--jq",
        ".data.choices[0].delta.content // empty",
        "-j",
        "--until",
        r#".data == "[DONE]""#,
    ]);
    // The first line is out while the server still pauses before the rest.
    let first = r.next_line(Duration::from_secs(10));
    assert_eq!(first.as_deref(), Some("Grüß dich, wörld! 👋\n"));
    let out = r.finish(Duration::from_secs(30));
    out.assert_code(0);
    assert_eq!(
        out.stdout(),
        answer(),
        "exactly the answer, no newlines added"
    );
    assert!(
        out.elapsed < Duration::from_secs(10),
        "ended at [DONE], not at --idle-timeout: {:?}",
        out.elapsed
    );
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    assert_request(&server);
}

#[test]
fn anthropic_stream_ends_at_message_stop() {
    let server = Server::script(vec![anthropic_reply()]);
    let out = run(&[
        &server.url(),
        "-d",
        REQUEST,
        "-H",
        "Content-Type: application/json",
        "--bearer",
        "x",
        "--jq",
        ".data.delta.text // empty",
        "-j",
        "--until",
        r#".event == "message_stop""#,
        "--stats",
    ]);
    out.assert_code(0);
    assert_eq!(out.stdout(), answer());
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    // Every event before message_stop passed to --jq: the text deltas are
    // written, the rest gave no output (filtered); message_stop is not.
    let stats = out.stats();
    assert_eq!(stats["events"], 5);
    assert_eq!(stats["filtered"], 5);
    assert_request(&server);
}

#[test]
fn until_sees_events_that_e_removes() {
    let server = Server::script(vec![anthropic_reply()]);
    let out = run(&[
        &server.url(),
        "-e",
        "content_block_delta",
        "--jq",
        ".data.delta.text",
        "-j",
        "--until",
        r#".event == "message_stop""#,
    ]);
    out.assert_code(0);
    assert_eq!(out.stdout(), answer());
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
}

#[test]
fn without_jq_j_joins_the_data_or_the_json() {
    let body: String = ["Hel", "lo", " wo", "rld"]
        .iter()
        .map(|t| event(None, None, t))
        .collect::<String>()
        + &event(Some("done"), None, "");
    let server = Server::script(vec![
        Reply::sse().body(&body).hold(),
        Reply::sse().body(&body).hold(),
    ]);
    let until = r#".event == "done""#;
    let out = run(&[&server.url(), "-f", "data", "-j", "--until", until]);
    out.assert_code(0);
    assert_eq!(out.stdout(), "Hello world");
    // json, as jq -j writes it: compact objects with nothing between.
    let out = run(&[&server.url(), "-j", "-n", "2"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout(),
        r#"{"event":"message","data":"Hel"}{"event":"message","data":"lo"}"#
    );
}

#[test]
fn the_terminator_is_not_written_and_the_state_moves_past_it() {
    let mut body = String::new();
    for i in 1..=3 {
        body.push_str(&event(
            None,
            Some(&i.to_string()),
            &format!("{{\"n\":{i}}}"),
        ));
    }
    body.push_str(&event(Some("end"), Some("4"), "{}"));
    body.push_str(&event(None, Some("5"), r#"{"n":5}"#));
    let server = Server::script(vec![Reply::sse().body(&body).hold()]);
    let dir = Scratch::new("llm-state");
    let state = dir.path("s.json");
    let out = run(&[
        &server.url(),
        "--until",
        r#".event == "end""#,
        "--state-file",
        state.to_str().unwrap_or_default(),
        "-f",
        "data",
    ]);
    out.assert_code(0);
    assert_eq!(out.lines(), [r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#]);
    assert_eq!(
        saved_id(&state),
        "4",
        "a restart resumes after the terminator"
    );
}

#[test]
fn an_until_that_fails_on_an_event_does_not_end_the_run_and_is_said_once() {
    let body = event(None, None, "[DONE]")
        + &event(None, None, "[DONE]")
        + &event(None, None, r#"{"type":"other"}"#)
        + &event(None, None, r#"{"type":"done"}"#)
        + &event(None, None, r#"{"type":"after"}"#);
    let server = Server::script(vec![Reply::sse().body(&body).hold()]);
    let out = run(&[
        &server.url(),
        "-f",
        "data",
        "--until",
        r#".data.type == "done""#,
    ]);
    out.assert_code(0);
    assert_eq!(out.lines(), ["[DONE]", "[DONE]", r#"{"type":"other"}"#]);
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("--until failed"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    // Named as --jq names an event without an ID: by its place.
    assert!(
        warnings[0].contains("--until failed on event #1 (no ID)"),
        "{}",
        out.stderr
    );
}

#[test]
fn j_and_until_refuse_what_they_cannot_do() {
    let cases: [(&[&str], &str); 4] = [
        (&["-", "-j", "-f", "sse"], "-f sse"),
        (&["-", "-j", "-b", "127.0.0.1:1", "-t", "t"], "stdout"),
        (&["-", "-j", "--comments"], "--comments"),
        (&["-", "--until", ".data =="], "--until: cannot compile"),
    ];
    for (args, says) in cases {
        let out = ssetap(args).output().expect("run ssetap");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
}

/// An API's 429 says whether waiting helps (a spent quota never clears
/// by itself): its body is in the retry line and in the final error.
#[test]
fn a_429s_explanation_is_shown_when_retrying_and_giving_up() {
    let quota =
        r#"{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}"#;
    let server = Server::start(move |_, _| Reply::status(429, &[], quota));
    let out = run(&[
        &server.url(),
        "-d",
        "{}",
        "--retry",
        "10ms",
        "--max-retries",
        "1",
    ]);
    out.assert_code(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines
            .iter()
            .filter(|l| l.contains("insufficient_quota"))
            .count()
            >= 2,
        "{}",
        out.stderr
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("HTTP 429 Too Many Requests: {")),
        "{}",
        out.stderr
    );
}

/// OpenAI's Responses API names each event by its type and ends with
/// `response.completed`; the README's example picks the text deltas.
#[test]
fn openai_responses_stream_gives_the_text_deltas() {
    let ev = |kind: &str, n: usize, rest: &str| {
        event(
            Some(kind),
            None,
            &format!(r#"{{"type":"{kind}","sequence_number":{n}{rest}}}"#),
        )
    };
    let resp =
        r#","response":{"id":"resp_1","object":"response","status":"in_progress","output":[]}"#;
    let mut r = Reply::sse()
        .body(ev("response.created", 0, resp))
        .body(ev("response.in_progress", 1, resp))
        .body(ev(
            "response.output_item.added",
            2,
            r#","output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","content":[],"role":"assistant"}"#,
        ))
        .body(ev(
            "response.content_part.added",
            3,
            r#","item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}"#,
        ));
    for (i, piece) in PIECES.iter().enumerate() {
        let delta = serde_json::to_string(piece).expect("json");
        let rest = format!(
            r#","item_id":"msg_1","output_index":0,"content_index":0,"delta":{delta},"logprobs":[]"#
        );
        r = r.body(ev("response.output_text.delta", 4 + i, &rest));
    }
    let text = serde_json::to_string(&answer()).expect("json");
    r = r
        .body(ev(
            "response.output_text.done",
            9,
            &format!(r#","item_id":"msg_1","output_index":0,"content_index":0,"text":{text}"#),
        ))
        .body(ev(
            "response.completed",
            10,
            r#","response":{"id":"resp_1","status":"completed","usage":{"input_tokens":9,"output_tokens":9}}"#,
        ))
        .hold();
    let server = Server::script(vec![r]);
    let out = run(&[
        &server.url(),
        "--json",
        r#"{"model":"MODEL","stream":true,"input":"Hallo"}"#,
        "--bearer",
        "x",
        "--jq",
        r#"select(.event == "response.output_text.delta") | .data.delta"#,
        "-j",
        "--until",
        r#".event == "response.completed""#,
    ]);
    out.assert_code(0);
    assert_eq!(out.stdout(), answer());
    assert!(out.elapsed < Duration::from_secs(10), "{:?}", out.elapsed);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let reqs = server.requests();
    assert_eq!(reqs[0].header("content-type"), Some("application/json"));
}

/// Gemini's `streamGenerateContent?alt=sse` writes CRLF line ends and
/// Python's spaced JSON, has no terminator and ends the response: a
/// one-shot request's run ends there, exit 0. Its API key, in a header
/// or the query, is a secret.
#[test]
fn gemini_stream_ends_with_the_response() {
    let mut body = String::new();
    for (i, piece) in PIECES.iter().enumerate() {
        let finish = if i + 1 == PIECES.len() {
            r#", "finishReason": "STOP""#
        } else {
            ""
        };
        let text = serde_json::to_string(piece).expect("json");
        body.push_str(&format!(
            "data: {{\"candidates\": [{{\"content\": {{\"parts\": [{{\"text\": {text}}}], \"role\": \"model\"}}{finish}, \"index\": 0}}], \"usageMetadata\": {{\"promptTokenCount\": 3}}, \"modelVersion\": \"gemini-x\"}}\r\n\r\n"
        ));
    }
    let server = Server::script(vec![Reply::sse().body(&body)]);
    let url = server.url_for("/v1beta/models/MODEL:streamGenerateContent?alt=sse&key=GemKey42");
    let out = run(&[
        &url,
        "--json",
        r#"{"contents":[{"parts":[{"text":"Hallo"}]}]}"#,
        "--jq",
        ".data.candidates[0].content.parts[0].text // empty",
        "-j",
        "-v",
    ]);
    out.assert_code(0);
    assert_eq!(out.stdout(), answer());
    assert!(!out.stderr.contains("GemKey42"), "{}", out.stderr);
    let reqs = server.requests();
    assert_eq!(reqs[0].method, "POST");
    assert!(reqs[0].path.ends_with("key=GemKey42"), "{}", reqs[0].path);
}
