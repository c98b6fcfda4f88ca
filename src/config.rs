//! config: turns the clap arguments into a plain `Config`, once. Everything
//! the rest of the program needs is decided and validated here; no other
//! module sees clap types. Malformed flags become `UsageError` (exit 2);
//! files named by flags that cannot be read are I/O errors (exit 1).

use crate::cli::{Cli, ColorArg, FormatArg};
use crate::exit::UsageError;
use crate::format::{Format, FormatOptions};
use crate::http::Request;
use crate::reconnect::{Policy, Resend};
use crate::sink::kafka;
use crate::values::{self, HeaderArg};
use crate::{filter, jq};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Where the stream comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// An http(s) URL, without credentials (those are in `Request::basic`).
    Url(String),
    Stdin,
    File(PathBuf),
}

/// Where the records go; defined beside the sinks (`sink::Output`), which
/// depend on no configuration.
pub use crate::sink::Output;

#[derive(Debug, Clone)]
pub struct Config {
    pub input: Input,
    pub request: Request,
    pub reconnect: Policy,
    pub format: FormatOptions,
    pub comments: bool,
    pub filter: filter::Options,
    pub max_events: Option<u64>,
    pub duration: Option<Duration>,
    pub max_event_size: usize,
    pub last_event_id: Option<String>,
    /// Where the resume point is kept, if anywhere.
    pub state: Option<StateStore>,
    pub output: Output,
    /// `--jq`: the program run on each event (it replaces the format's
    /// shaping of events; `format` still says how strings are written).
    pub jq: Option<jq::Options>,
    /// `-j`: no newline after each output (stdout only).
    pub join_output: bool,
    /// `--until`: the condition that ends the run, compiled.
    pub until: Option<crate::until::Until>,
    /// `--fail-on`: the condition that fails the run, compiled.
    pub fail_on: Option<crate::until::Until>,
    /// Stdout is a terminal (the live status line must make way for output).
    pub stdout_is_terminal: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub stats: bool,
    /// `--stats-interval`.
    pub stats_interval: Option<Duration>,
    pub log_format: crate::log::LogFormat,
    /// `--metrics`: where to serve /metrics and /healthz.
    pub metrics: Option<std::net::SocketAddr>,
    /// Secret strings (passwords, tokens) that must never be printed.
    pub secrets: Vec<String>,
    /// Warnings found while reading the configuration, shown at start.
    pub warnings: Vec<String>,
}

/// Where the resume point is kept (one place per run).
#[derive(Debug, Clone)]
pub enum StateStore {
    File(PathBuf),
    Topic(kafka::StateOptions),
}

impl StateStore {
    /// Where the resume point is kept, as the flags name it.
    pub fn describe(&self) -> String {
        match self {
            StateStore::File(path) => format!("--state-file {}", path.display()),
            StateStore::Topic(t) => format!("--state-topic {:?}, key {:?}", t.topic, t.key),
        }
    }
}

/// What `from_cli` needs from the outside world, so it stays testable.
pub struct Env<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub stdout_is_terminal: bool,
    /// Ask for USER's password on the terminal (`prompt::password`); None
    /// when there is no terminal.
    pub ask_password: &'a dyn Fn(&str) -> std::io::Result<Option<String>>,
}

fn bad(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

impl Config {
    pub fn from_cli(cli: Cli, env: &Env) -> Result<Config> {
        let mut secrets = Vec::new();
        // clap requires it unless --generate, which never reaches here.
        let Some(input_arg) = cli.input.as_deref() else {
            return Err(bad("a URL, a FILE or - is required"));
        };
        let input = match input_arg {
            "-" => Input::Stdin,
            s if s.contains("://") => {
                let parts = values::http_url(s).map_err(bad)?;
                if let Some((_, Some(p))) = &parts.user {
                    secrets.push(p.clone());
                }
                secrets.extend(parts.query_secrets);
                Input::Url(parts.url)
            }
            s => Input::File(PathBuf::from(s)),
        };
        let url_user = match values::http_url(input_arg) {
            Ok(p) => p.user,
            Err(_) => None,
        };
        let mut warnings = Vec::new();
        let request = build_request(&cli, &input, url_user, env, &mut secrets, &mut warnings)?;

        let resend = match (cli.no_reconnect, cli.reconnect, request.body.is_some()) {
            (true, _, _) => Resend::Never,
            (_, false, true) => Resend::OneShot,
            (_, true, false) => {
                warnings
                    .push("--reconnect: a request without a body reconnects anyway".to_string());
                Resend::Always
            }
            _ => Resend::Always,
        };
        // The one place the flags choose the sink; every rule below that
        // depends on it asks `output`.
        let output = match kafka_sink::build(
            &cli.kafka,
            cli.state_topic.as_deref(),
            &mut secrets,
            &mut warnings,
        )? {
            Some(k) => Output::Kafka(k),
            None => Output::Stdout,
        };
        let format = match (cli.format, &output) {
            (Some(FormatArg::Json), _) => Format::Json,
            (Some(FormatArg::Data), _) => Format::Data,
            (Some(FormatArg::Sse), _) => Format::Sse,
            (None, Output::Stdout) => Format::Json,
            (None, Output::Kafka(_)) => Format::Data,
        };
        let jq = build_jq(&cli, format)?;
        if cli.join_output && !output.is_stdout() {
            return Err(bad(
                "-j/--join-output only applies to stdout (a record has no newline to leave out)",
            ));
        }
        if cli.join_output && format == Format::Sse {
            return Err(bad(
                "-j/--join-output: -f sse needs the blank line that ends each event; use -f data or json",
            ));
        }
        let until = match &cli.until {
            Some(u) => Some(crate::until::Until::compile(u).map_err(bad)?),
            None => None,
        };
        let fail_on = cli
            .fail_on
            .as_deref()
            .map(|f| crate::until::Until::compile_for("--fail-on", f))
            .transpose()
            .map_err(bad)?;
        if format != Format::Json && jq.is_none() {
            for (set, flag) in [
                (cli.json_data, "--json-data"),
                (cli.timestamp, "--timestamp"),
            ] {
                if set {
                    return Err(bad(format!(
                        "{flag} only applies to -f json (the output here is -f {})",
                        format.name()
                    )));
                }
            }
        }
        let no_color = (env.var)("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = format == Format::Json
            && output.is_stdout()
            && jq.is_none()
            && match cli.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => {
                    env.stdout_is_terminal
                        && !no_color
                        && crate::log::takes_escapes((env.var)("TERM").as_deref())
                }
            };

        let grep = cli
            .grep
            .as_deref()
            .map(|re| {
                regex::bytes::Regex::new(re).map_err(|e| {
                    bad(format!(
                        "--grep: invalid regular expression: {}",
                        values::regex_error(&e)
                    ))
                })
            })
            .transpose()?;
        let mut events = Vec::new();
        for e in &cli.events {
            let e = e.trim();
            if e.is_empty() {
                return Err(bad("-e/--event: empty event type"));
            }
            events.push(e.as_bytes().to_vec());
        }
        if cli.stats_interval.is_some_and(|d| d < crate::tick::TICK) {
            // Stats lines come from the main loop, which a quiet stream
            // wakes once a TICK: a shorter interval could not be kept.
            return Err(bad("--stats-interval: must be at least 1s"));
        }
        if let Some(why) = cli
            .last_event_id
            .as_deref()
            .and_then(|id| crate::resume::unsendable(id.as_bytes()))
        {
            return Err(bad(format!(
                "--last-event-id: cannot be sent as a Last-Event-ID header ({why})"
            )));
        }
        if cli.dedup == Some(0) {
            return Err(bad("--dedup: N must be at least 1"));
        }
        if let (Input::Stdin, Some((flag, "@-", true))) = (&input, body_flag(&cli)) {
            return Err(bad(format!("{flag} @- and the input - both want stdin")));
        }

        let state = state_store(&cli, &input, &output);
        Ok(Config {
            input,
            request: Request {
                connect_timeout: cli.connect_timeout,
                idle_timeout: (!cli.idle_timeout.is_zero()).then_some(cli.idle_timeout),
                ..request
            },
            reconnect: Policy {
                retry: cli.retry,
                retry_max: cli.retry_max.max(cli.retry),
                max_retries: cli.max_retries,
                resend,
            },
            format: FormatOptions {
                format,
                json_data: cli.json_data,
                timestamp: cli.timestamp,
                color,
            },
            comments: cli.comments,
            filter: filter::Options {
                events,
                grep,
                dedup: cli.dedup,
            },
            max_events: cli.max_events,
            duration: cli.duration.filter(|d| !d.is_zero()),
            max_event_size: cli.max_event_size,
            last_event_id: cli.last_event_id,
            state,
            output,
            jq,
            join_output: cli.join_output,
            until,
            fail_on,
            stdout_is_terminal: env.stdout_is_terminal,
            quiet: cli.quiet,
            verbose: cli.verbose,
            stats: cli.stats || cli.stats_interval.is_some(),
            stats_interval: cli.stats_interval,
            log_format: log_format(cli.log_format),
            metrics: cli.metrics,
            secrets,
            warnings,
        })
    }
}

pub fn log_format(arg: crate::cli::LogFormatArg) -> crate::log::LogFormat {
    match arg {
        crate::cli::LogFormatArg::Text => crate::log::LogFormat::Text,
        crate::cli::LogFormatArg::Json => crate::log::LogFormat::Json,
    }
}

fn build_request(
    cli: &Cli,
    input: &Input,
    url_user: Option<(String, Option<String>)>,
    env: &Env,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Request> {
    let mut headers: Vec<(String, String)> = vec![
        ("Accept".into(), "text/event-stream".into()),
        ("Cache-Control".into(), "no-cache".into()),
        (
            "User-Agent".into(),
            format!("ssetap/{}", env!("CARGO_PKG_VERSION")),
        ),
    ];
    if !cli.no_compression {
        headers.push(("Accept-Encoding".into(), "gzip".into()));
    }
    let user = cli
        .auth
        .user
        .as_ref()
        .map(|u| match u.split_once(':') {
            Some((name, pass)) => (name.to_string(), Some(pass.to_string())),
            None => (u.clone(), None),
        })
        .or(url_user);
    let mut auth = auth::build(&cli.auth, user, env, secrets, warnings)?;
    let stdin_user = match (input, body_flag(cli)) {
        (Input::Stdin, _) => Some("the input -".to_string()),
        (_, Some((flag, "@-", true))) => Some(format!("{flag} @-")),
        _ => None,
    };
    if cli.json.is_some() {
        // Before the user's headers, which may replace or remove it.
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    for h in headers::read(&cli.headers, stdin_user.as_deref(), warnings)? {
        if let HeaderArg::Set(name, _) | HeaderArg::Remove(name) = &h
            && name.eq_ignore_ascii_case("authorization")
        {
            auth = auth::replaced_by_header(auth)?;
        }
        match h {
            HeaderArg::Set(name, value) => {
                headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                if crate::redact::is_secret_name(&name) && !value.is_empty() {
                    secrets.push(value.clone());
                }
                headers.push((name, value));
            }
            HeaderArg::Remove(name) => headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name)),
        }
    }
    let body = match body_flag(cli) {
        None => None,
        Some((flag, "@-", true)) => {
            let body = values::read_capped(std::io::stdin(), values::caps::BODY)
                .with_context(|| format!("cannot read {flag} from stdin"))?;
            Some(body)
        }
        Some((flag, d, true)) if d.starts_with('@') => {
            let path = &d[1..];
            let body = values::read_file_capped(path, values::caps::BODY)
                .with_context(|| format!("cannot read {flag} file {path}"))?;
            Some(body)
        }
        Some((_, d, _)) => Some(d.as_bytes().to_vec()),
    };
    let method = match &cli.method {
        Some(m) => {
            if m.is_empty()
                || !m
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            {
                return Err(bad(format!("-X: invalid HTTP method {m:?}")));
            }
            m.clone()
        }
        None if body.is_some() => "POST".into(),
        None => "GET".into(),
    };
    let proxy = match &cli.proxy {
        None => crate::http::Proxy::FromEnv,
        Some(url) => {
            let proxy =
                crate::http::Proxy::parse(url).map_err(|why| bad(format!("-x/--proxy: {why}")))?;
            if let Some(span) = crate::redact::password_span(url.as_bytes()) {
                // ureq decodes it; an error could quote either form.
                let pass = &url[span];
                secrets.extend([pass.to_string(), values::percent_decode(pass)]);
            }
            proxy
        }
    };
    let cacert = cli
        .cacert
        .as_ref()
        .map(|p| {
            values::read_file_capped(p, values::caps::PEM)
                .with_context(|| format!("cannot read --cacert {}", p.display()))
        })
        .transpose()?;
    let client_cert = client_cert::build(cli, warnings)?;
    // Through a proxy, the proxy looks the URL's name up (as in curl).
    if let (crate::http::Proxy::Url(_), Input::Url(url)) = (&proxy, input)
        && crate::http::resolve::shown(&cli.resolve, url).is_some()
    {
        warnings.push(
            "--resolve: the URL's host is looked up by the proxy (-x), not here, so its pin \
             is not used (a pin for the proxy's own name is)"
                .to_string(),
        );
    }
    Ok(Request {
        method,
        headers,
        auth,
        body,
        cacert,
        client_cert,
        insecure: cli.insecure,
        connect_timeout: Duration::ZERO,
        idle_timeout: None,
        any_content_type: cli.ignore_content_type,
        proxy,
        resolve: cli.resolve.clone(),
    })
}

/// The request body's flag (clap allows one): its name, its text, and
/// whether a leading `@` names a file (not for `--data-raw`, as in curl).
fn body_flag(cli: &Cli) -> Option<(&'static str, &str, bool)> {
    if let Some(d) = &cli.data_raw {
        return Some(("--data-raw", d, false));
    }
    if let Some(d) = &cli.json {
        return Some(("--json", d, true));
    }
    cli.data.as_deref().map(|d| ("--data", d, true))
}

/// `--state-file`, or `--state-topic` with its key (clap keeps them apart;
/// `kafka_sink::build` refuses the topic without the Kafka sink).
fn state_store(cli: &Cli, input: &Input, output: &Output) -> Option<StateStore> {
    if let Some(path) = &cli.state_file {
        return Some(StateStore::File(path.clone()));
    }
    let (topic, Output::Kafka(k)) = (cli.state_topic.as_ref()?, output) else {
        return None;
    };
    let url = match input {
        Input::Url(u) => crate::redact::redact_url(u),
        Input::File(p) => p.display().to_string(),
        Input::Stdin => "-".to_string(),
    };
    Some(StateStore::Topic(kafka::StateOptions {
        topic: topic.clone(),
        key: cli
            .state_key
            .clone()
            .unwrap_or_else(|| kafka::default_key(&url, &k.topic)),
        url,
        data_topic: k.topic.clone(),
    }))
}

/// `--jq`: the program must compile; its outputs are json or raw strings
/// (`-f data`), never SSE.
fn build_jq(cli: &Cli, format: Format) -> Result<Option<jq::Options>> {
    let Some(filter) = &cli.jq else {
        return Ok(None);
    };
    if format == Format::Sse {
        return Err(bad(
            "--jq writes JSON (-f json) or raw strings (-f data), not -f sse",
        ));
    }
    if cli.comments {
        return Err(bad("--comments does not go with --jq"));
    }
    Ok(Some(jq::Options {
        program: jq::Program::compile(filter).map_err(bad)?,
        // jq -j implies -r.
        raw: format == Format::Data || cli.join_output,
        timestamp: cli.timestamp,
    }))
}

mod auth;
mod client_cert;
mod headers;
mod kafka_sink;
#[cfg(test)]
mod tests;
