//! cli: the one clap definition of every flag. `--help`, the man page and
//! the shell completions (`--generate`, committed in `man/` and
//! `completions/`) are all generated from it; nothing else documents a flag.
//!
//! Conventions: every option taking a value has an explicit uppercase
//! `value_name`; short flags are spelled out; defaults live here, validation
//! and interpretation live in `config`.

use crate::values;
use clap::{ArgAction, ArgGroup, Parser, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

mod auth;
pub use auth::AuthArgs;
mod kafka;
pub use kafka::KafkaArgs;

pub const EXAMPLES: &str = "\
Examples:
  ssetap https://stream.wikimedia.org/v2/stream/recentchange --json-data | jq -r .data.title
  ssetap https://stream.wikimedia.org/v2/stream/recentchange --jq 'select(.data.type == \"edit\")' \\
      --max-events 1000 --duration 10m > edits.ndjson
  ssetap -d @request.json -H 'Content-Type: application/json' --bearer \"$TOKEN\" \\
      --jq '.data.choices[0].delta.content // empty' -j --until '.data == \"[DONE]\"' \\
      https://api.openai.com/v1/chat/completions
  ssetap --format sse URL > capture.sse;  ssetap capture.sse;  curl -sN URL | ssetap -
  ssetap URL -b localhost:9092 -t 'sse.{event}' --key /meta/domain --state-file wiki.state";

pub const EXIT_STATUS: &str = "\
Exit status:
  0    done: --max-events, --until or --duration reached, 204 No Content, end of
       file or stdin, end of stream with --no-reconnect or of a one-shot request
       (with a body), stdout closed by its reader
  1    failure: fatal HTTP status or content type, retries exhausted, I/O error,
       Kafka delivery failure, an event --fail-on matches
  2    usage: bad flags or arguments
  129  hung up by SIGHUP (everything parsed was written first)
  130  interrupted by SIGINT (likewise)
  143  terminated by SIGTERM (likewise)
  A second signal while the first is being handled exits at once, with the
  first signal's code (the same signal again within a second, as timeout
  sends it, is the same request). SIGUSR1 writes a stats line on stderr.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// One JSON object per line: {"event":…,"id":…,"data":…}
    Json,
    /// The data field alone, one event per line (multi-line data stays multi-line)
    Data,
    /// Canonical SSE text, which ssetap reads back unchanged
    Sse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// Server-Sent Events to stdout or Kafka, parsed as a browser's EventSource does
///
/// Connects to an SSE endpoint (or reads recorded SSE from a file or stdin),
/// parses the stream exactly as the WHATWG spec says, filters and formats the
/// events, and writes them to stdout (NDJSON for jq, raw data, or canonical
/// SSE) or into Apache Kafka. It reconnects with Last-Event-ID and backoff, and
/// never loses an event it has parsed.
#[derive(Debug, Parser)]
#[command(
    name = "ssetap",
    version,
    group(ArgGroup::new("body").multiple(false)),
    // Any of these sends records to a sink other than stdout; a new sink's
    // flag joins the list, and the flags that only apply to stdout
    // conflict with the group.
    group(ArgGroup::new("sink").multiple(true).args(["brokers", "topic", "kafka_config", "kafka_properties"])),
    after_help = format!("{EXAMPLES}\n\n{EXIT_STATUS}"),
    max_term_width = 100,
    // `--retry -1` is a bad value, said by the value's parser, not an
    // unknown flag '-1'.
    allow_negative_numbers = true
)]
pub struct Cli {
    /// An http(s) URL to connect to, a file of recorded SSE, or - for stdin.
    // Required, except beside the exclusive --generate (clap then leaves it
    // out, hence the Option).
    #[arg(value_name = "URL|FILE|-", required = true)]
    pub input: Option<String>,

    // ---- HTTP request ----
    /// Add a request header, 'Name: value' (repeatable; overrides a default
    /// header of the same name), or @FILE: one header per line, as in curl
    /// (@- for stdin). Put API keys in a file: ps shows the command line.
    #[arg(
        short = 'H',
        long = "header",
        value_name = "HEADER",
        help_heading = "Request"
    )]
    pub headers: Vec<String>,

    #[command(flatten)]
    pub auth: AuthArgs,

    /// HTTP method, any token as in curl (default GET, or POST with a body).
    #[arg(
        short = 'X',
        long = "request",
        value_name = "METHOD",
        help_heading = "Request"
    )]
    pub method: Option<String>,

    /// Request body, or @FILE to read it from a file (@- for stdin; at most
    /// 256 MiB); --data-binary is the same. A request with a body is sent
    /// once: the end of its stream ends the run (see --reconnect).
    #[arg(
        short = 'd',
        long,
        alias = "data-binary",
        value_name = "DATA|@FILE",
        group = "body",
        help_heading = "Request"
    )]
    pub data: Option<String>,

    /// Request body taken as it is, a leading @ included, as curl's
    /// --data-raw (what a browser's "Copy as cURL" writes).
    #[arg(long, value_name = "DATA", group = "body", help_heading = "Request")]
    pub data_raw: Option<String>,

    /// Request body as --data, sent with Content-Type: application/json
    /// unless -H sets one, as curl's --json (Accept stays text/event-stream).
    #[arg(
        long,
        value_name = "DATA|@FILE",
        group = "body",
        help_heading = "Request"
    )]
    pub json: Option<String>,

    /// Accepted as curl's flag, which a browser's "Copy as cURL" may write:
    /// gzip is asked for already.
    #[arg(long, conflicts_with = "no_compression", help_heading = "Request")]
    pub compressed: bool,

    /// Send every request through this HTTP(S) proxy,
    /// http://[USER:PASSWORD@]HOST:PORT, as curl's -x, instead of
    /// $HTTPS_PROXY, $HTTP_PROXY or $ALL_PROXY ($NO_PROXY applies to those
    /// only); '' for none.
    #[arg(short = 'x', long, value_name = "URL", help_heading = "Request")]
    pub proxy: Option<String>,

    /// Connect to ADDR for HOST:PORT instead of looking HOST up, as curl's
    /// --resolve: the Host header and the TLS name stay HOST (a backend
    /// behind a load balancer, a name DNS does not have yet). Repeatable;
    /// HOST * stands for any host, and the first match wins.
    #[arg(
        long,
        value_name = "HOST:PORT:ADDR[,ADDR...]",
        value_parser = crate::http::resolve::Pin::parse,
        help_heading = "Request"
    )]
    pub resolve: Vec<crate::http::resolve::Pin>,

    /// Do not ask for gzip (no Accept-Encoding header). Use it when a server
    /// that compresses without flushing delays events.
    #[arg(long, help_heading = "Request")]
    pub no_compression: bool,

    /// Accept a 200 response whatever its Content-Type (e.g. a .sse file on a
    /// static server), with a warning. Default: only text/event-stream.
    #[arg(long, help_heading = "Request")]
    pub ignore_content_type: bool,

    /// Trust the CA certificates in this PEM file instead of the system's; a
    /// self-signed server certificate in it is trusted as itself, as in curl
    /// (its name and dates are still checked).
    #[arg(long, value_name = "FILE", help_heading = "Request")]
    pub cacert: Option<PathBuf>,

    /// Present this client certificate (PEM; a chain, the client's own
    /// first) to a server that asks for one: mutual TLS. The file may also
    /// hold the private key; else give --cert-key. Read once, at start.
    #[arg(long, value_name = "FILE", help_heading = "Request")]
    pub cert: Option<PathBuf>,

    /// The private key of --cert (PEM: PKCS#8, RSA or EC; not encrypted).
    #[arg(long, value_name = "FILE", requires = "cert", help_heading = "Request")]
    pub cert_key: Option<PathBuf>,

    /// Do not verify TLS certificates (warns on stderr).
    #[arg(short = 'k', long, help_heading = "Request")]
    pub insecure: bool,

    /// Give up connecting after this long (e.g. 10s, 500ms; a bare number is
    /// seconds); 0 turns it off.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        value_parser = values::duration,
        help_heading = "Request"
    )]
    pub connect_timeout: Duration,

    /// Reconnect when no byte at all (comments included) arrived for this long,
    /// or none of the request could be sent; 0 turns it off.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        value_parser = values::duration,
        help_heading = "Request"
    )]
    pub idle_timeout: Duration,

    // ---- reconnecting ----
    /// Reconnection time; a server's 'retry:' field replaces it. No wait is
    /// shorter than 100ms, and the floor doubles with consecutive failures.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "3s",
        value_parser = values::duration,
        help_heading = "Reconnect"
    )]
    pub retry: Duration,

    /// Upper bound of the backoff, which doubles (with jitter) on consecutive
    /// failures. A server's 'retry:' or Retry-After may ask for longer, up
    /// to 1h or this, whichever is longer (a longer wait is cut, with a
    /// warning).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        value_parser = values::duration,
        help_heading = "Reconnect"
    )]
    pub retry_max: Duration,

    /// Reconnect at most N times (N+1 requests in all), then exit 1. Default:
    /// unlimited; 0 exits at the first failure, as curl does.
    #[arg(long, value_name = "N", value_parser = values::count::<u64>, help_heading = "Reconnect")]
    pub max_retries: Option<u64>,

    /// Exit when the stream ends instead of reconnecting.
    #[arg(long, help_heading = "Reconnect")]
    pub no_reconnect: bool,

    /// Send a request with a body (-d) again when its stream ends or is lost,
    /// with Last-Event-ID, as for GET (e.g. long-lived POST or REPORT
    /// subscriptions). Without it such a request is sent once.
    #[arg(long, conflicts_with = "no_reconnect", help_heading = "Reconnect")]
    pub reconnect: bool,

    /// Send this Last-Event-ID on the first request (overrides --state-file).
    #[arg(long, value_name = "ID", help_heading = "Reconnect")]
    pub last_event_id: Option<String>,

    /// Keep the last event ID here across runs: read at start, replaced
    /// atomically once the events up to it were written (or acknowledged by
    /// Kafka). One run per file: a second one exits 1 (the lock is PATH.lock).
    #[arg(long, value_name = "PATH", help_heading = "Reconnect")]
    pub state_file: Option<PathBuf>,

    /// Keep the resume point in this Kafka topic instead of a file (with -b):
    /// read at start, written once Kafka acknowledged the events up to it.
    /// Create it with 1 partition and cleanup.policy=compact.
    #[arg(
        long,
        value_name = "TOPIC",
        conflicts_with = "state_file",
        help_heading = "Reconnect"
    )]
    pub state_topic: Option<String>,

    /// This stream's key in --state-topic [default: the URL without
    /// credentials and the -t template].
    #[arg(
        long,
        value_name = "KEY",
        requires = "state_topic",
        help_heading = "Reconnect"
    )]
    pub state_key: Option<String>,

    // ---- filtering and output ----
    /// Output format [default: json; data with --brokers].
    #[arg(
        short = 'f',
        long,
        value_enum,
        value_name = "FORMAT",
        help_heading = "Output"
    )]
    pub format: Option<FormatArg>,

    /// Embed data that parses as JSON as JSON instead of a string (json).
    #[arg(long, help_heading = "Output")]
    pub json_data: bool,

    /// Add "time": the receive time, RFC 3339 UTC with milliseconds (json).
    #[arg(long, help_heading = "Output")]
    pub timestamp: bool,

    /// Colour json output like jq. auto: only when stdout is a terminal
    /// (TERM set and not dumb) and NO_COLOR is unset.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        conflicts_with = "sink",
        help_heading = "Output"
    )]
    pub color: ColorArg,

    /// Also output comment lines (json: {"comment":…}); stdout only.
    #[arg(long, conflicts_with = "sink", help_heading = "Output")]
    pub comments: bool,

    /// Only events of this type (repeatable or comma-separated; the default
    /// type is 'message').
    #[arg(
        short = 'e',
        long = "event",
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "Output"
    )]
    pub events: Vec<String>,

    /// Only events whose data matches this regular expression.
    #[arg(long, value_name = "REGEX", help_heading = "Output")]
    pub grep: Option<String>,

    /// Drop an event whose own id field matches one of the last N IDs seen
    /// (replays after a reconnect). The IDs kept take at most 64 MiB (about
    /// 500,000 UUIDs), the oldest forgotten first. Off by default.
    #[arg(long, value_name = "N", value_parser = values::count::<usize>, help_heading = "Output")]
    pub dedup: Option<usize>,

    /// Run this jq program (jaq, embedded) on each event that passed -e,
    /// --grep and --dedup. Its input is {"event","id","data"} (plus "time"
    /// with --timestamp), data parsed as JSON when it is JSON; each output is
    /// one record (compact JSON; with -f data, and in Kafka, a string is
    /// written raw; with -j, always); no output drops the event (counted as
    /// filtered, in --stats and ssetap_filtered_total, as -e and --grep
    /// count theirs). An event the program fails on is skipped (counted as
    /// jq_errors), or sent to --dead-letter-topic.
    #[arg(long, value_name = "FILTER", help_heading = "Output")]
    pub jq: Option<String>,

    /// Write each output with no newline after it, as jq -j: with --jq a
    /// string is written raw (-j implies jq's -r), anything else as compact
    /// JSON; -f data writes the data alone. For LLM token streams. Stdout
    /// only, not with -f sse or --comments.
    #[arg(
        short = 'j',
        long,
        conflicts_with = "comments",
        help_heading = "Output"
    )]
    pub join_output: bool,

    /// Exit 0 after N events (counted after filtering).
    #[arg(
        short = 'n',
        long,
        value_name = "N",
        value_parser = values::count::<u64>,
        help_heading = "Output"
    )]
    pub max_events: Option<u64>,

    /// End the run (exit 0, everything before it written or delivered,
    /// state saved) at the first event for which this jq condition is true,
    /// e.g. '.data == "[DONE]"' or '.event == "message_stop"'. It sees every
    /// event before -e, --grep, --dedup and --jq, as --jq's input; the
    /// matching event is not written, and the resume point moves past it.
    /// An event it fails on does not match (the first failure is a warning).
    #[arg(long, value_name = "CONDITION", help_heading = "Output")]
    pub until: Option<String>,

    /// Fail the run (exit 1, everything before it written or delivered,
    /// state saved) at the first event for which this jq condition is true,
    /// showing its type and data: an error a server sends inside the
    /// stream, e.g. '.event == "error"' (Anthropic) or
    /// '.data | objects | has("error")' (OpenAI). It sees every event, as
    /// --until does and before it; the event is not written, and the resume
    /// point stays before it.
    #[arg(long, value_name = "CONDITION", help_heading = "Output")]
    pub fail_on: Option<String>,

    /// Exit 0 after this long (e.g. 10m, 1h30m); 0 turns it off, as in
    /// timeout(1).
    #[arg(long, value_name = "DURATION", value_parser = values::duration, help_heading = "Output")]
    pub duration: Option<Duration>,

    /// Drop (with a warning) events whose data is larger than this (e.g.
    /// 16MiB, 512KiB, 1000000), or whose id or event line is larger than
    /// this or 1MiB, whichever is less.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "16MiB",
        value_parser = values::size,
        help_heading = "Output"
    )]
    pub max_event_size: usize,

    #[command(flatten)]
    pub kafka: KafkaArgs,

    // ---- diagnostics ----
    /// No connection messages on stderr (warnings and errors still appear).
    #[arg(short = 'q', long, help_heading = "Diagnostics")]
    pub quiet: bool,

    /// Also show request and response headers (credentials redacted).
    #[arg(short = 'v', long, action = ArgAction::SetTrue, conflicts_with = "quiet", help_heading = "Diagnostics")]
    pub verbose: bool,

    /// Print a JSON summary to stderr at exit, and a live status line when
    /// stderr is a terminal.
    #[arg(long, help_heading = "Diagnostics")]
    pub stats: bool,

    /// Also print the --stats JSON line every DURATION (e.g. 1m; at least
    /// 1s), terminal or not; implies --stats.
    #[arg(long, value_name = "DURATION", value_parser = values::duration, help_heading = "Service")]
    pub stats_interval: Option<Duration>,

    /// How stderr lines look: text, or json (one {"time","level","msg"}
    /// object per line, secrets redacted; a --stats line is
    /// {"msg":"stats","stats":{…}}).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value = "text",
        help_heading = "Service"
    )]
    pub log_format: LogFormatArg,

    /// Serve Prometheus metrics at http://ADDR/metrics (ADDR: 127.0.0.1:9464,
    /// or :9464 for every interface), and GET /healthz: 200 while connected
    /// or reconnecting for less than twice --retry-max, else 503 with the
    /// reason; 503 too when the main loop has not moved for a minute (past
    /// --flush-timeout with Kafka), stuck on output nobody reads. Counters: ssetap_events_total, ssetap_bytes_total,
    /// ssetap_comments_total, ssetap_filtered_total, ssetap_dropped_total,
    /// ssetap_duplicates_total, ssetap_jq_errors_total,
    /// ssetap_reconnects_total, and with Kafka
    /// ssetap_kafka_delivered_total, ssetap_kafka_failed_total (and
    /// ssetap_dead_lettered_total with --dead-letter-topic). Gauges:
    /// ssetap_connected (0/1), ssetap_kafka_in_flight (Kafka),
    /// ssetap_last_event_timestamp_seconds (lag = now minus this),
    /// ssetap_retry_seconds, ssetap_build_info{version}. The figures are at
    /// most a second old and those at exit equal --stats.
    #[arg(long, value_name = "ADDR", value_parser = values::listen_addr, help_heading = "Service")]
    pub metrics: Option<std::net::SocketAddr>,

    // ---- install ----
    /// Print the man page (man) or a shell completion script (complete-bash,
    /// complete-zsh, complete-fish) to stdout and exit, so that an install
    /// needs no source tree: ssetap --generate man > ssetap.1
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        exclusive = true,
        help_heading = "Install"
    )]
    pub generate: Option<GenerateArg>,
}

/// What `--generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateArg {
    Man,
    CompleteBash,
    CompleteZsh,
    CompleteFish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

/// The clap command, for the man page and completions generators.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        super::command().debug_assert();
    }
}
