//! pipeline: drives the data one way — source → parser → filter → formatter →
//! sink — and owns the run's lifecycle: connecting and reconnecting, limits,
//! stop requests, checkpoints for the state file, and the orderly end in
//! which everything parsed is written (or delivered) before exit.

use crate::backoff;
use crate::config::{Config, Input, values::redact_url};
use crate::control::{Control, Stop};
use crate::filter::{Filter, Verdict};
use crate::format::Formatter;
use crate::http::{self, Answer, Http};
use crate::kafka::KafkaSink;
use crate::log::{Log, header_line};
use crate::sink::Sink;
use crate::source;
use crate::sse::{Item, Parser};
use crate::state::StateFile;
use crate::stats::{Stats, Ticker};
use anyhow::{Result, anyhow};
use std::collections::VecDeque;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant, SystemTime};

/// Bytes asked for per read.
const READ_SIZE: usize = http::BODY_BUFFER;

/// How one stream (one connection, or the whole file) ended.
enum End {
    Eof,
    Lost(io::Error),
    Limit,
    Stopped(Stop),
    Failed(anyhow::Error),
}

/// Everything the parser's callback touches; the parser itself stays
/// outside so that it can lend items to this while it runs.
struct Run<'a> {
    cfg: &'a Config,
    log: &'a Log,
    control: Arc<Control>,
    filter: Filter,
    fmt: Formatter,
    sink: Sink,
    stats: Stats,
    /// Events handed to the sink so far; an event's number is its `seq`.
    seq: u64,
    /// Current reconnection time (a server's `retry:` replaces it).
    retry: Duration,
    /// This connection produced an event (resets the backoff).
    got_event: bool,
    warned_not_json: bool,
    /// Receive time of the chunk being parsed.
    now: SystemTime,
    want_time: bool,
    /// An error raised inside the parser callback.
    error: Option<anyhow::Error>,
    /// (events handed over when this ID became current, the ID).
    checkpoints: VecDeque<(u64, String)>,
    last_seen_id: Vec<u8>,
    /// The newest ID all of whose events are delivered.
    committed: String,
    state: Option<StateFile>,
    start: Instant,
    ticker: Ticker,
}

pub fn run(cfg: &Config, control: Arc<Control>, log: &Log) -> Result<i32> {
    let (state, saved_id) = match &cfg.state_file {
        Some(path) => {
            let (s, id) = StateFile::open(path)?;
            (Some(s), id)
        }
        None => (None, None),
    };
    let first_id = cfg.last_event_id.clone().or(saved_id).unwrap_or_default();
    let sink = match &cfg.kafka {
        Some(k) => Sink::Kafka(Box::new(KafkaSink::new(k, cfg.format.format, log)?)),
        None => Sink::stdout(),
    };
    let mut parser = Parser::new(cfg.max_event_size);
    parser.set_last_event_id(first_id.as_bytes());
    let mut run = Run {
        cfg,
        log,
        control,
        filter: Filter::new(&cfg.filter),
        fmt: Formatter::new(cfg.format.clone()),
        want_time: cfg.format.timestamp || cfg.kafka.is_some(),
        sink,
        stats: Stats::default(),
        seq: 0,
        retry: cfg.reconnect.retry,
        got_event: false,
        warned_not_json: false,
        now: SystemTime::now(),
        error: None,
        checkpoints: VecDeque::new(),
        last_seen_id: first_id.as_bytes().to_vec(),
        committed: first_id,
        state,
        start: Instant::now(),
        ticker: Ticker::new(),
    };
    let result = if cfg.max_events == Some(0) {
        Ok(crate::exit::OK)
    } else {
        match &cfg.input {
            Input::Url(url) => run.http_loop(&mut parser, url),
            Input::Stdin => {
                let mut input = source::stdin(Arc::clone(&run.control));
                run.one_stream(&mut parser, &mut input)
            }
            Input::File(path) => match source::file(path) {
                Ok(mut f) => run.one_stream(&mut parser, &mut f),
                Err(e) => Err(e),
            },
        }
    };
    run.finish(result)
}

impl Run<'_> {
    /// A file or stdin: one stream, read to its end.
    fn one_stream(&mut self, parser: &mut Parser, input: &mut dyn Read) -> Result<i32> {
        let mut buf = vec![0u8; READ_SIZE];
        match self.pump(parser, input, &mut buf) {
            End::Eof | End::Limit => Ok(crate::exit::OK),
            End::Stopped(stop) => Ok(stop.exit_code()),
            End::Lost(e) => Err(anyhow!(e).context("cannot read the input")),
            End::Failed(e) => Err(e),
        }
    }

    fn http_loop(&mut self, parser: &mut Parser, url: &str) -> Result<i32> {
        let http = Http::new(url, &self.cfg.request)?;
        self.control.watch_agent(http.agent());
        if self.cfg.request.insecure {
            self.log
                .warn("--insecure: TLS certificates are not verified");
        }
        let shown = redact_url(url);
        let mut buf = vec![0u8; READ_SIZE];
        let mut requests: u64 = 0;
        let mut failures: u32 = 0;
        loop {
            if let Some(stop) = self.control.stopped() {
                return Ok(stop.exit_code());
            }
            requests += 1;
            let last_id = String::from_utf8_lossy(parser.last_event_id()).into_owned();
            if self.log.verbose() {
                let lines = http.describe(&last_id);
                self.log.debug(&format!("> {}", redact_url(&lines[0])));
                for line in &lines[1..] {
                    if let Some((n, v)) = line.split_once(": ") {
                        self.log.debug(&header_line(">", n, v));
                    }
                }
            }
            let (retry_after, why, clean_end) = match self.connect(&http, &last_id) {
                Connect::Stopped(stop) => return Ok(stop.exit_code()),
                Connect::Failed(err) => {
                    let (text, fatal) = http::describe_error(&err);
                    if fatal {
                        return Err(anyhow!("{shown}: {text}"));
                    }
                    (None, format!("cannot connect: {text}"), false)
                }
                Connect::Response(resp) => {
                    self.show_response(&resp);
                    match http::answer(*resp) {
                        Answer::Stream(mut body, info) => {
                            self.log.info(&format!("connected to {shown} ({info})"));
                            self.got_event = false;
                            parser.reset();
                            let end = self.pump(parser, &mut body, &mut buf);
                            if self.got_event {
                                failures = 0;
                            }
                            match end {
                                End::Limit => return Ok(crate::exit::OK),
                                End::Stopped(stop) => return Ok(stop.exit_code()),
                                End::Failed(e) => return Err(e),
                                End::Eof => (None, "the server ended the stream".to_string(), true),
                                End::Lost(e) if http::is_timeout(&e) => {
                                    let idle = self.cfg.request.idle_timeout.unwrap_or_default();
                                    let idle = humantime::format_duration(idle);
                                    (None, format!("no data for {idle} (--idle-timeout)"), false)
                                }
                                End::Lost(e) => (None, format!("connection lost: {e}"), false),
                            }
                        }
                        Answer::NoContent => {
                            self.log
                                .info("HTTP 204 No Content: the server has no more events");
                            return Ok(crate::exit::OK);
                        }
                        Answer::Retry { why, after } => (after, why, false),
                        Answer::Fatal(msg) => return Err(anyhow!("{shown}: {msg}")),
                    }
                }
            };
            if let Some(stop) = self.control.stopped() {
                return Ok(stop.exit_code());
            }
            if !self.cfg.reconnect.enabled {
                if clean_end {
                    self.log.info(&format!("{why} (--no-reconnect)"));
                    return Ok(crate::exit::OK);
                }
                return Err(anyhow!("{shown}: {why}"));
            }
            if let Some(max) = self.cfg.reconnect.max_retries
                && requests > max
            {
                return Err(anyhow!(
                    "{shown}: {why}; giving up after {max} retries (--max-retries)"
                ));
            }
            failures += 1;
            let delay = backoff::delay(
                failures,
                self.retry,
                self.cfg.reconnect.retry_max,
                fastrand::f64(),
                retry_after,
            );
            self.log.info(&format!(
                "{why}; reconnecting in {} (attempt {})",
                show_duration(delay),
                requests + 1
            ));
            self.stats.reconnects += 1;
            self.settle()?;
            if let Some(stop) = self.control.sleep(delay) {
                return Ok(stop.exit_code());
            }
        }
    }

    /// Send the request on a helper thread and wait for the response head,
    /// checking for stop requests: ureq cannot interrupt a TCP connect.
    fn connect(&self, http: &Http, last_id: &str) -> Connect {
        let (tx, rx) = mpsc::channel();
        let h = http.clone();
        let id = last_id.to_string();
        std::thread::spawn(move || {
            let _ = tx.send(h.send(&id));
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(Ok(resp)) => return Connect::Response(Box::new(resp)),
                Ok(Err(e)) => {
                    return match self.control.stopped() {
                        Some(stop) => Connect::Stopped(stop),
                        None => Connect::Failed(e),
                    };
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(stop) = self.control.stopped() {
                        return Connect::Stopped(stop);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Connect::Failed(ureq::Error::ConnectionFailed);
                }
            }
        }
    }

    fn show_response(&self, resp: &ureq::http::Response<ureq::Body>) {
        if !self.log.verbose() {
            return;
        }
        self.log
            .debug(&format!("< {:?} {}", resp.version(), resp.status()));
        for (name, value) in resp.headers() {
            self.log.debug(&header_line(
                "<",
                name.as_str(),
                &String::from_utf8_lossy(value.as_bytes()),
            ));
        }
    }

    /// Read and parse until the stream ends, a limit is reached or a stop
    /// is requested.
    fn pump(&mut self, parser: &mut Parser, input: &mut dyn Read, buf: &mut [u8]) -> End {
        loop {
            let n = match input.read(buf) {
                Ok(0) => {
                    parser.reset();
                    return End::Eof;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    parser.reset();
                    return match self.control.stopped() {
                        Some(stop) => End::Stopped(stop),
                        None => End::Lost(e),
                    };
                }
            };
            self.stats.bytes += n as u64;
            if self.want_time {
                self.now = SystemTime::now();
            }
            let chunk = &buf[..n];
            let flow = parser.feed(chunk, |item| self.item(item, chunk));
            // Output may still lie in the chunk, which the next read reuses.
            if let Err(e) = self.sink.release(chunk) {
                self.error.get_or_insert(e);
            }
            self.note_id(parser.last_event_id());
            if let Some(e) = self.error.take() {
                return End::Failed(e);
            }
            if let Err(e) = self.settle() {
                return End::Failed(e);
            }
            if flow.is_break() {
                return End::Limit;
            }
            if let Some(stop) = self.control.stopped() {
                return End::Stopped(stop);
            }
        }
    }

    fn item(&mut self, item: Item<'_>, chunk: &[u8]) -> ControlFlow<()> {
        match item {
            Item::Event(ev) => {
                self.got_event = true;
                match self.filter.check(&ev) {
                    Verdict::Pass => {}
                    Verdict::Filtered => {
                        self.stats.filtered += 1;
                        return ControlFlow::Continue(());
                    }
                    Verdict::Duplicate => {
                        self.stats.duplicates += 1;
                        return ControlFlow::Continue(());
                    }
                }
                self.seq += 1;
                match self
                    .sink
                    .event(&ev, chunk, self.seq, self.now, &mut self.fmt)
                {
                    Ok(outcome) => {
                        if outcome.not_json {
                            self.stats.not_json += 1;
                            if !self.warned_not_json {
                                self.warned_not_json = true;
                                self.log.warn(
                                    "--json-data: an event's data is not JSON; it stays a string (--stats counts them)",
                                );
                            }
                        }
                    }
                    Err(e) => {
                        self.error = Some(e);
                        return ControlFlow::Break(());
                    }
                }
                self.stats.events += 1;
                if self.cfg.max_events == Some(self.stats.events) {
                    return ControlFlow::Break(());
                }
            }
            Item::Comment(text) => {
                self.stats.comments += 1;
                if self.cfg.comments
                    && let Err(e) = self.sink.comment(text, chunk, &mut self.fmt)
                {
                    self.error = Some(e);
                    return ControlFlow::Break(());
                }
            }
            Item::Retry(ms) => self.retry = Duration::from_millis(ms),
            Item::Dropped { size } => {
                self.stats.dropped += 1;
                self.log.warn(&format!(
                    "dropped an event with {size} or more bytes of data (over --max-event-size {})",
                    self.cfg.max_event_size
                ));
            }
        }
        ControlFlow::Continue(())
    }

    /// Remember that the last event ID became `id` after the events handed
    /// over so far.
    fn note_id(&mut self, id: &[u8]) {
        if id != self.last_seen_id.as_slice() {
            self.last_seen_id.clear();
            self.last_seen_id.extend_from_slice(id);
            self.checkpoints
                .push_back((self.seq, String::from_utf8_lossy(id).into_owned()));
        }
    }

    /// No complete event is waiting: flush the sink, move the committed ID
    /// forward to what is delivered, save it (at most once a second), and
    /// refresh the live status line.
    fn settle(&mut self) -> Result<()> {
        self.sink.flush()?;
        self.commit();
        if let Some(state) = &mut self.state {
            state.save(&self.committed, false)?;
        }
        if self.cfg.stats && self.log.stderr_is_terminal() && self.ticker.due() {
            self.stats.kafka = self.sink.kafka_counts();
            self.log
                .status(&self.stats.status_line(self.start.elapsed()));
        }
        Ok(())
    }

    fn commit(&mut self) {
        let delivered = self.sink.delivered();
        while self
            .checkpoints
            .front()
            .is_some_and(|(seq, _)| *seq <= delivered)
        {
            if let Some((_, id)) = self.checkpoints.pop_front() {
                self.committed = id;
            }
        }
    }

    /// The orderly end: write or deliver what is pending, save the state,
    /// print the summary. Runs whatever ended the run.
    fn finish(mut self, result: Result<i32>) -> Result<i32> {
        let closed = self.sink.close();
        self.commit();
        let saved = match &mut self.state {
            Some(state) => state.save(&self.committed, true),
            None => Ok(()),
        };
        self.log.clear_status();
        if self.cfg.stats {
            self.stats.kafka = self.sink.kafka_counts();
            let summary = self.stats.summary(self.start.elapsed());
            eprintln!("{summary}");
        }
        let code = result?;
        closed?;
        saved?;
        Ok(code)
    }
}

enum Connect {
    Response(Box<ureq::http::Response<ureq::Body>>),
    Failed(ureq::Error),
    Stopped(Stop),
}

fn show_duration(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
    }
}
