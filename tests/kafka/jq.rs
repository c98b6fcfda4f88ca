//! `--jq` into Kafka: a filter plus a projection, several records per
//! event, a key resolved in each output, the original event's type and ID
//! in the headers, and the resume point after an event with several
//! records.

use super::*;

#[test]
fn jq_filters_projects_and_splits_events_into_records() {
    let broker = Tansu::start();
    let dir = Scratch::new("jq");
    broker.create_topic("jq-out", 1);
    let mut text = String::new();
    for n in 1..=12 {
        text += &event(n, Some("edit"), Some(&format!("id-{n}")));
    }
    let input = dir.write("in.sse", &text);
    let state_file = dir.path("run.state");
    let b = broker.brokers();
    // Multiples of 3 dropped; odd events become two records, even ones one.
    let program = ".data as $d | select($d.n % 3 != 0) | range(0; $d.n % 2 + 1) \
                   | {n: $d.n, part: ., domain: $d.meta.domain}";
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "jq-out",
        "--jq",
        program,
        "--key",
        "/domain",
        "--state-file",
        state_file.to_str().unwrap(),
        "--stats",
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let kept: Vec<u64> = (1..=12).filter(|n| n % 3 != 0).collect();
    let want: Vec<(u64, u64)> = kept
        .iter()
        .flat_map(|&n| (0..n % 2 + 1).map(move |p| (n, p)))
        .collect();
    let s = out.stats();
    assert_eq!(s["events"].as_u64(), Some(kept.len() as u64), "{s}");
    assert_eq!(s["filtered"].as_u64(), Some(4), "{s}");
    assert_eq!(s["delivered"].as_u64(), Some(want.len() as u64), "{s}");
    // Event 12 had no output: it counts at once.
    assert_eq!(state(&state_file), "{\"last_event_id\":\"id-12\"}\n");

    let records = consume(&b, &["jq-out"], want.len(), READ_LIMIT);
    let got: Vec<(u64, u64)> = records
        .iter()
        .map(|r| {
            let v = r.value_json();
            (v["n"].as_u64().unwrap(), v["part"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(got, want, "one partition: the records in order");
    for r in &records {
        let n = r.n();
        let domain = format!("d{}.example", n % 3);
        assert_eq!(
            r.text(),
            format!(
                "{{\"n\":{n},\"part\":{},\"domain\":\"{domain}\"}}",
                r.value_json()["part"]
            )
        );
        assert_eq!(
            r.key.as_deref(),
            Some(domain.as_bytes()),
            "key from the output"
        );
        assert_eq!(r.header("sse.event"), Some(&b"edit"[..]));
        assert_eq!(r.header("sse.id"), Some(format!("id-{n}").as_bytes()));
    }
}

#[test]
fn a_string_output_is_the_raw_record_value() {
    let broker = Tansu::start();
    let dir = Scratch::new("jq-raw");
    broker.create_topic("jq-raw", 1);
    let text: String = (1..=3)
        .map(|n| event(n, None, Some(&n.to_string())))
        .collect();
    let input = dir.write("in.sse", &text);
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "jq-raw",
        "--jq",
        r#""n=\(.data.n)", .data.meta"#,
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let records = consume(&b, &["jq-raw"], 6, READ_LIMIT);
    let values: Vec<String> = records.iter().map(Record::text).collect();
    assert_eq!(
        values,
        [
            "n=1",
            r#"{"domain":"d1.example"}"#,
            "n=2",
            r#"{"domain":"d2.example"}"#,
            "n=3",
            r#"{"domain":"d0.example"}"#
        ]
    );
}

/// Filter plus ValueToKey, the README's way: the data of the events that
/// pass, copied from the event's bytes (canonical, as `jq -c`), with the
/// key read from it.
#[test]
fn a_filter_passes_the_data_on_keyed_by_a_field_of_it() {
    let broker = Tansu::start();
    let dir = Scratch::new("jq-data");
    broker.create_topic("jq-data", 1);
    let text: String = (1..=6)
        .map(|n| {
            // Odd events are not canonical (spaces, a fraction to rewrite).
            let data = if n % 2 == 1 {
                format!(
                    r#"{{ "n" : {n} , "meta" : {{ "domain" : "d{}.example" }} , "f" : 1.50 }}"#,
                    n % 3
                )
            } else {
                format!(r#"{{"n":{n},"meta":{{"domain":"d{}.example"}}}}"#, n % 3)
            };
            format!("id: {n}\ndata: {data}\n\n")
        })
        .collect();
    let input = dir.write("in.sse", &text);
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "jq-data",
        "--jq",
        "select(.data.n > 2) | .data",
        "--key",
        "/meta/domain",
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let records = consume(&b, &["jq-data"], 4, READ_LIMIT);
    let got: Vec<(String, Option<Vec<u8>>)> =
        records.iter().map(|r| (r.text(), r.key.clone())).collect();
    let want: Vec<(String, Option<Vec<u8>>)> = (3..=6)
        .map(|n| {
            let domain = format!("d{}.example", n % 3);
            let f = if n % 2 == 1 { r#","f":1.5"# } else { "" };
            (
                format!(r#"{{"n":{n},"meta":{{"domain":"{domain}"}}{f}}}"#),
                Some(domain.into_bytes()),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn an_event_jq_fails_on_goes_to_the_dead_letter_topic() {
    let broker = Tansu::start();
    let dir = Scratch::new("jq-dead");
    broker.create_topic("jq-ok", 1);
    broker.create_topic("jq-dead", 1);
    // Event 2's data is a string: `.data.n + 1` fails on it.
    let text = event(1, None, Some("1")) + "id: 2\ndata: not json\n\n" + &event(3, None, Some("3"));
    let input = dir.write("in.sse", &text);
    let state_file = dir.path("dead.state");
    let b = broker.brokers();
    let out = run(&[
        input.to_str().unwrap(),
        "-b",
        &b,
        "-t",
        "jq-ok",
        "--jq",
        "{n: (.data.n + 1)}",
        "--dead-letter-topic",
        "jq-dead",
        "--state-file",
        state_file.to_str().unwrap(),
        "--stats",
    ]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("sent to --dead-letter-topic"),
        "{}",
        out.stderr
    );
    let s = out.stats();
    assert_eq!(s["jq_errors"].as_u64(), Some(1), "{s}");
    assert_eq!(s["dead_lettered"].as_u64(), Some(1), "{s}");
    assert_eq!(state(&state_file), "{\"last_event_id\":\"3\"}\n");
    let ok: Vec<u64> = consume(&b, &["jq-ok"], 2, READ_LIMIT)
        .iter()
        .map(|r| r.value_json()["n"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(ok, [2, 4]);
    let dead = consume(&b, &["jq-dead"], 1, READ_LIMIT);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].text(), "not json");
    assert_eq!(dead[0].header("sse.id"), Some(&b"2"[..]));
    assert_eq!(dead[0].header("ssetap.topic"), Some(&b"jq-ok"[..]));
    let why = String::from_utf8_lossy(dead[0].header("ssetap.error").unwrap_or_default());
    assert!(why.starts_with("--jq: "), "{why}");
}
