use super::*;
use crate::sink::kafka::KeySpec;
use clap::Parser as _;

fn kafka_of(cfg: &Config) -> &crate::sink::kafka::Options {
    match &cfg.output {
        Output::Kafka(k) => k,
        Output::Stdout => panic!("the output is stdout, not Kafka"),
    }
}

pub(super) fn parse(args: &[&str]) -> Result<Config> {
    parse_env(args, &[])
}

pub(super) fn parse_env(args: &[&str], vars: &[(&str, &str)]) -> Result<Config> {
    parse_asking(args, vars, &|_| Ok(None))
}

/// With a terminal that answers `ask(user)`.
pub(super) fn parse_asking(
    args: &[&str],
    vars: &[(&str, &str)],
    ask: &dyn Fn(&str) -> std::io::Result<Option<String>>,
) -> Result<Config> {
    let mut argv = vec!["ssetap"];
    argv.extend_from_slice(args);
    // As in main: clap's errors are usage errors.
    let cli = Cli::try_parse_from(argv).map_err(|e| bad(e.to_string()))?;
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let var = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Config::from_cli(
        cli,
        &Env {
            var: &var,
            stdout_is_terminal: false,
            ask_password: ask,
        },
    )
}

/// A header as the first send has it (`Authorization` from the auth,
/// which needs no network for the static kinds tested here).
pub(super) fn header(cfg: &Config, name: &str) -> Option<String> {
    let mut headers = cfg.request.headers.clone();
    let agent = ureq::Agent::new_with_defaults();
    let mut auth = cfg.request.auth.clone();
    let ctx = crate::http::auth::Ctx {
        agent: &agent,
        learn: &|_| {},
        stopped: &|| false,
    };
    auth.apply(&mut headers, &ctx).unwrap();
    headers
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

pub(super) fn is_usage(err: &anyhow::Error) -> bool {
    crate::exit::code_for(err) == crate::exit::USAGE
}

#[test]
fn defaults_for_a_plain_get() {
    let cfg = parse(&["http://h/s"]).unwrap();
    assert_eq!(cfg.input, Input::Url("http://h/s".into()));
    assert_eq!(cfg.request.method, "GET");
    assert_eq!(header(&cfg, "accept").as_deref(), Some("text/event-stream"));
    assert_eq!(header(&cfg, "cache-control").as_deref(), Some("no-cache"));
    assert_eq!(header(&cfg, "accept-encoding").as_deref(), Some("gzip"));
    assert!(
        header(&cfg, "user-agent")
            .as_deref()
            .unwrap()
            .starts_with("ssetap/")
    );
    assert_eq!(cfg.request.connect_timeout, Duration::from_secs(10));
    assert_eq!(cfg.request.idle_timeout, Some(Duration::from_secs(300)));
    assert_eq!(cfg.reconnect.retry, Duration::from_secs(3));
    assert_eq!(cfg.reconnect.retry_max, Duration::from_secs(30));
    assert_eq!(cfg.max_event_size, 16 << 20);
    assert_eq!(cfg.format.format, Format::Json);
    assert!(!cfg.format.color);
    assert!(cfg.output.is_stdout());
}

#[test]
fn inputs_are_urls_files_or_stdin() {
    assert_eq!(parse(&["-"]).unwrap().input, Input::Stdin);
    assert_eq!(
        parse(&["cap.sse"]).unwrap().input,
        Input::File("cap.sse".into())
    );
    let err = parse(&["ftp://h/x"]).unwrap_err();
    assert!(
        is_usage(&err) && err.to_string().contains("unsupported URL scheme"),
        "{err}"
    );
}

#[test]
fn user_headers_override_and_remove_defaults() {
    let cfg = parse(&[
        "http://h/",
        "-H",
        "User-Agent: me/1",
        "-H",
        "Accept-Encoding:",
        "-H",
        "X-A: 1",
    ])
    .unwrap();
    assert_eq!(header(&cfg, "user-agent").as_deref(), Some("me/1"));
    assert_eq!(header(&cfg, "accept-encoding").as_deref(), None);
    assert_eq!(header(&cfg, "x-a").as_deref(), Some("1"));
    assert!(is_usage(
        &parse(&["http://h/", "-H", "X: a\r\nY: b"]).unwrap_err()
    ));
}

#[test]
fn no_compression_drops_accept_encoding() {
    let cfg = parse(&["http://h/", "--no-compression"]).unwrap();
    assert_eq!(header(&cfg, "accept-encoding").as_deref(), None);
}

#[test]
fn headers_from_a_file_one_per_line() {
    let dir = std::env::temp_dir().join(format!("ssetap-hfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("h.txt");
    std::fs::write(&file, "X-Api-Key: k3y-from-file\r\n\nAccept:\n").unwrap();
    let at = format!("@{}", file.display());
    let cfg = parse(&["http://h/", "-H", &at, "-H", "X-B: 2"]).unwrap();
    assert_eq!(header(&cfg, "x-api-key").as_deref(), Some("k3y-from-file"));
    assert_eq!(header(&cfg, "accept").as_deref(), None);
    assert_eq!(header(&cfg, "x-b").as_deref(), Some("2"));
    assert!(cfg.secrets.contains(&"k3y-from-file".to_string()));
    // The file is mode 0644 by default: others can read the key.
    assert!(cfg.warnings.iter().any(|w| w.contains("chmod 600")));

    std::fs::write(&file, "X-A: 1\nnot a header\n").unwrap();
    let err = parse(&["http://h/", "-H", &at]).unwrap_err();
    assert!(is_usage(&err), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("-H {at}: line 2: expected 'Name: value'")),
        "{err}"
    );
    let err = parse(&["http://h/", "-H", "@/nonexistent/h.txt"]).unwrap_err();
    assert!(
        !is_usage(&err) && format!("{err:#}").contains("/nonexistent/h.txt"),
        "{err:#}"
    );
    let err = parse(&["-", "-H", "@-"]).unwrap_err();
    assert!(is_usage(&err) && err.to_string().contains("stdin"), "{err}");
    let err = parse(&["http://h/", "-d", "@-", "-H", "@-"]).unwrap_err();
    assert!(is_usage(&err) && err.to_string().contains("stdin"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stats_interval_is_at_least_a_second() {
    for short in ["300ms", "0", "999ms"] {
        let err = parse(&["http://h/", "--stats-interval", short]).unwrap_err();
        assert!(is_usage(&err), "{short}: {err}");
        assert!(err.to_string().contains("at least 1s"), "{err}");
    }
    let cfg = parse(&["http://h/", "--stats-interval", "1500ms"]).unwrap();
    assert_eq!(cfg.stats_interval, Some(Duration::from_millis(1500)));
}

#[test]
fn data_makes_a_post_unless_a_method_is_given() {
    let cfg = parse(&["http://h/", "-d", "{\"a\":1}"]).unwrap();
    assert_eq!(cfg.request.method, "POST");
    assert_eq!(cfg.request.body.as_deref(), Some(&b"{\"a\":1}"[..]));
    let cfg = parse(&["http://h/", "-d", "x", "-X", "PUT"]).unwrap();
    assert_eq!(cfg.request.method, "PUT");
    let err = parse(&["http://h/", "-d", "@/nonexistent/req.json"]).unwrap_err();
    assert!(
        !is_usage(&err) && format!("{err:#}").contains("/nonexistent/req.json"),
        "{err:#}"
    );
    assert!(is_usage(&parse(&["http://h/", "-X", "GE T"]).unwrap_err()));
}

#[test]
fn bad_values_are_usage_errors_naming_the_flag() {
    for (args, flag) in [
        (vec!["http://h/", "--retry", "soon"], "--retry"),
        (
            vec!["http://h/", "--max-event-size", "big"],
            "--max-event-size",
        ),
        (vec!["http://h/", "--grep", "("], "--grep"),
        (vec!["http://h/", "--duration", "x"], "--duration"),
        (vec!["http://h/", "--dedup", "0"], "--dedup"),
        (vec!["http://h/", "--key", "id"], "--key"),
    ] {
        let err = parse(&args).unwrap_err();
        assert!(is_usage(&err), "{args:?}: {err}");
        assert!(err.to_string().contains(flag), "{args:?}: {err}");
    }
}

#[test]
fn idle_timeout_and_duration_zero_are_off() {
    let cfg = parse(&["http://h/", "--idle-timeout", "0", "--duration", "0s"]).unwrap();
    assert_eq!(cfg.request.idle_timeout, None);
    assert_eq!(cfg.duration, None);
}

#[test]
fn event_types_split_on_commas() {
    let cfg = parse(&["-", "-e", "edit,new", "-e", "log"]).unwrap();
    let types: Vec<&[u8]> = cfg.filter.events.iter().map(|e| e.as_slice()).collect();
    assert_eq!(types, vec![&b"edit"[..], b"new", b"log"]);
}

#[test]
fn color_follows_the_terminal_and_no_color() {
    let cli = || Cli::try_parse_from(["ssetap", "-"]).unwrap();
    let xterm = |n: &str| (n == "TERM").then(|| "xterm-256color".to_string());
    let tty = Env {
        var: &xterm,
        stdout_is_terminal: true,
        ask_password: &|_| Ok(None),
    };
    assert!(Config::from_cli(cli(), &tty).unwrap().format.color);
    // A terminal that takes no escapes: TERM dumb (Emacs's shell), or unset.
    let dumb = |n: &str| (n == "TERM").then(|| "dumb".to_string());
    let none = |_: &str| None;
    for var in [&dumb as &dyn Fn(&str) -> Option<String>, &none] {
        let tty_dumb = Env {
            var,
            stdout_is_terminal: true,
            ask_password: &|_| Ok(None),
        };
        assert!(!Config::from_cli(cli(), &tty_dumb).unwrap().format.color);
    }
    let no_color = |n: &str| match n {
        "NO_COLOR" => Some("1".to_string()),
        "TERM" => Some("xterm".to_string()),
        _ => None,
    };
    let tty_nc = Env {
        var: &no_color,
        stdout_is_terminal: true,
        ask_password: &|_| Ok(None),
    };
    assert!(!Config::from_cli(cli(), &tty_nc).unwrap().format.color);
    assert!(parse(&["-", "--color", "always"]).unwrap().format.color);
    assert!(
        !parse(&["-", "--color", "always", "-f", "data"])
            .unwrap()
            .format
            .color
    );
}

#[test]
fn kafka_needs_a_topic_and_brokers_and_defaults_to_data() {
    let cfg = parse(&["http://h/", "-b", "k:9092", "-t", "t"]).unwrap();
    let k = kafka_of(&cfg);
    assert_eq!(cfg.format.format, Format::Data);
    assert!(k.properties.contains(&("acks".into(), "all".into())));
    assert!(
        k.properties
            .contains(&("enable.idempotence".into(), "true".into()))
    );
    assert!(
        k.properties
            .contains(&("bootstrap.servers".into(), "k:9092".into()))
    );
    assert!(is_usage(
        &parse(&["http://h/", "-b", "k:9092"]).unwrap_err()
    ));
    assert!(is_usage(&parse(&["http://h/", "-t", "t"]).unwrap_err()));
    let cfg = parse(&[
        "http://h/",
        "-b",
        "k:1",
        "-t",
        "t",
        "--key",
        "/meta/domain",
        "-f",
        "json",
    ])
    .unwrap();
    assert_eq!(kafka_of(&cfg).key, KeySpec::Pointer("/meta/domain".into()));
    assert_eq!(cfg.format.format, Format::Json);
}

#[test]
fn kafka_config_file_and_properties_merge_in_order() {
    let path = std::env::temp_dir().join(format!("ssetap-cfg-{}.properties", std::process::id()));
    std::fs::write(
        &path,
        // An editor's byte order mark does not take the first key with it.
        "\u{feff}bootstrap.servers=f:1\n# comment\nsasl.password = hunter22\n\nacks=1\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let cfg = parse(&[
        "http://h/",
        "-F",
        p,
        "-t",
        "t",
        "--kafka-property",
        "acks=all",
    ])
    .unwrap();
    let k = kafka_of(&cfg);
    let last = |key: &str| {
        k.properties
            .iter()
            .rev()
            .find(|(n, _)| n == key)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(last("bootstrap.servers").as_deref(), Some("f:1"));
    assert_eq!(last("acks").as_deref(), Some("all"));
    assert!(cfg.secrets.contains(&"hunter22".to_string()));
    std::fs::write(&path, "no equals sign\n").unwrap();
    assert!(is_usage(
        &parse(&["http://h/", "-F", p, "-t", "t"]).unwrap_err()
    ));
    let _ = std::fs::remove_file(&path);
}
