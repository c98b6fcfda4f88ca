//! pipeline: drives the data one way — source → parser → filter → records →
//! sink — and owns the run's lifecycle: limits, stop requests, the resume
//! point, and the orderly end in which everything parsed is written (or
//! delivered) before exit. The HTTP side (requests, answers, reconnects) is
//! in `pipeline::connect`; the decisions it follows are `reconnect`'s.
//!
//! Each event that passes the filter becomes records: its value built by
//! the formatter at the end of the sink's buffer, or (stdout, `-f data`)
//! the data where it lies in the read buffer. After each chunk the ledger
//! learns the last event ID, and the sink says what is written or
//! acknowledged; only that moves the resume point.

mod connect;

use crate::config::{Config, Input, StateStore};
use crate::control::{Control, Stop};
use crate::filter::{Filter, Verdict};
use crate::format::Formatter;
use crate::jq;
use crate::kafka::{KafkaSink, StateTopic};
use crate::log::Log;
use crate::reconnect::Reconnector;
use crate::record::Key;
use crate::resume::{CheckpointStore, Ledger, StateFile};
use crate::service::Service;
use crate::sink::{Record, Sink, Value};
use crate::source;
use crate::sse::{Event, Item, Parser};
use crate::stats::Stats;
use crate::until::Until;
use anyhow::{Result, anyhow};
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::SystemTime;

/// Bytes asked for per read.
const READ_SIZE: usize = crate::http::BODY_BUFFER;

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
    jq: Option<JqStage>,
    /// `--until`: the condition that ends the run at its event.
    until: Option<Until>,
    sink: Sink,
    /// Counters; `stats.events` is also the number of the last event
    /// handed to the sink (its `seq`).
    stats: Stats,
    resume: Resume,
    reconnect: Reconnector,
    chunk: ChunkState,
    /// Status line, stats lines, metrics, systemd.
    service: Service,
    /// `-j`: the last output did not end with an LF (a terminal then gets
    /// one at the end, so that what follows starts on its own line).
    line_open: bool,
}

/// The resume point: which last event ID is safe, and where it is kept.
struct Resume {
    ledger: Ledger,
    store: Option<Box<dyn CheckpointStore>>,
    /// The store holds (or the run started from) a non-empty ID. Until then
    /// an empty ID is not saved: a record saying "no resume point" could
    /// only ever hide a real one.
    anchored: bool,
    /// An ID that cannot be sent as Last-Event-ID was seen (said once).
    warned_unsendable: bool,
}

impl Resume {
    /// The sink has delivered every event up to `delivered`: move the safe
    /// ID and save it (at most once a second unless `force`).
    fn catch_up(&mut self, delivered: u64, force: bool) -> Result<()> {
        self.ledger.advance(delivered);
        let id = self.ledger.safe_id();
        if id.is_empty() && !self.anchored {
            return Ok(());
        }
        self.anchored = true;
        match &mut self.store {
            Some(store) => store.save(id, delivered, force),
            None => Ok(()),
        }
    }
}

/// What the parser callback notes about the chunk being parsed.
struct ChunkState {
    /// Its receive time.
    now: SystemTime,
    /// An error raised inside the callback.
    error: Option<anyhow::Error>,
    /// This connection produced an event (resets the backoff).
    got_event: bool,
}

/// `--jq`: the program, where each output's Kafka key is built, and
/// whether a failure was already reported.
struct JqStage {
    program: jq::Program,
    key: Vec<u8>,
    warned: bool,
}

pub fn run(cfg: &Config, control: Arc<Control>, log: &Log) -> Result<i32> {
    let service = Service::start(cfg, log)?;
    let mut store = open_store(cfg, log)?;
    let saved = match &mut store {
        Some(s) => s.load()?,
        None => None,
    };
    let saved = saved.filter(|id| usable_saved_id(id, cfg, log));
    let first_id = resume_point(cfg, saved, log);
    let sink = match &cfg.kafka {
        Some(k) => Sink::Kafka(Box::new(KafkaSink::new(k, log)?)),
        None => Sink::stdout()?,
    };
    let jq = match &cfg.jq {
        Some(opts) => {
            let mut program = jq::Program::compile(&opts.filter).map_err(anyhow::Error::msg)?;
            if let Some(crate::kafka::KeySpec::Pointer(p)) = cfg.kafka.as_ref().map(|k| &k.key) {
                program.reads_key(p);
            }
            Some(JqStage {
                program,
                key: Vec::new(),
                warned: false,
            })
        }
        None => None,
    };
    let until = match &cfg.until {
        Some(text) => Some(Until::compile(text).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let mut parser = Parser::new(cfg.max_event_size);
    parser.set_last_event_id(first_id.as_bytes());
    let mut run = Run {
        cfg,
        log,
        control,
        filter: Filter::new(&cfg.filter),
        fmt: Formatter::new(cfg.format.clone()),
        jq,
        until,
        sink,
        stats: Stats::default(),
        resume: Resume {
            ledger: Ledger::new(&first_id),
            store,
            anchored: !first_id.is_empty(),
            warned_unsendable: false,
        },
        reconnect: Reconnector::new(cfg.reconnect.clone()),
        chunk: ChunkState {
            now: SystemTime::now(),
            error: None,
            got_event: false,
        },
        service,
        line_open: false,
    };
    run.service.ready();
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

/// Can the saved resume point be sent as `Last-Event-ID`? One that cannot
/// (saved by an older ssetap) is passed over with a warning, as if there
/// were none, rather than failing every start.
fn usable_saved_id(id: &str, cfg: &Config, log: &Log) -> bool {
    let Some(why) = crate::resume::unsendable(id.as_bytes()) else {
        return true;
    };
    let whence = cfg
        .state
        .as_ref()
        .map_or_else(|| "the resume point".to_string(), StateStore::describe);
    log.warn(&format!(
        "{whence} holds an event ID that cannot be sent as Last-Event-ID ({why}): \
         starting without one, from the live edge"
    ));
    false
}

/// The resume point's store, if the run keeps one.
fn open_store(cfg: &Config, log: &Log) -> Result<Option<Box<dyn CheckpointStore>>> {
    Ok(match (&cfg.state, &cfg.kafka) {
        (Some(StateStore::File(path)), _) => Some(Box::new(StateFile::open(path)?)),
        (Some(StateStore::Topic(t)), Some(k)) => {
            log.debug(&format!("--state-topic \"{}\", key {:?}", t.topic, t.key));
            let topic = StateTopic::open(&k.properties, t.clone(), k.flush_timeout)?;
            Some(Box::new(topic))
        }
        _ => None,
    })
}

/// The ID the run starts from (`--last-event-id` over the saved one; empty
/// for none), said once at normal verbosity when there is a store.
fn resume_point(cfg: &Config, saved: Option<String>, log: &Log) -> String {
    let saved = saved.filter(|id| !id.is_empty());
    let Some(store) = &cfg.state else {
        return cfg.last_event_id.clone().unwrap_or_default();
    };
    let (id, from) = match &cfg.last_event_id {
        Some(id) => (id.clone(), "--last-event-id".to_string()),
        None => (saved.unwrap_or_default(), store.describe()),
    };
    if id.is_empty() {
        log.info(&format!(
            "no resume point in {from}: starting from the live edge"
        ));
    } else {
        log.info(&format!("resuming after event ID {id} (from {from})"));
    }
    id
}

impl Run<'_> {
    /// A file or stdin: one stream, read to its end.
    fn one_stream(&mut self, parser: &mut Parser, input: &mut dyn Read) -> Result<i32> {
        self.service.connected();
        let mut buf = vec![0u8; READ_SIZE];
        match self.read_stream(parser, input, &mut buf) {
            End::Eof | End::Limit => Ok(crate::exit::OK),
            End::Stopped(stop) => Ok(stop.exit_code()),
            End::Lost(e) => Err(anyhow!(e).context("cannot read the input")),
            End::Failed(e) => Err(e),
        }
    }

    /// Read and parse until the stream ends, a limit is reached or a stop
    /// is requested.
    fn read_stream(&mut self, parser: &mut Parser, input: &mut dyn Read, buf: &mut [u8]) -> End {
        let want_time = self.cfg.format.timestamp || self.cfg.kafka.is_some();
        loop {
            let n = match input.read(buf) {
                Ok(0) => {
                    parser.reset();
                    return End::Eof;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if crate::tick::is_tick(&e) => {
                    // A quiet stream: catch up with acknowledgements.
                    if let Err(e) = self.checkpoint() {
                        return End::Failed(e);
                    }
                    if let Some(stop) = self.control.stopped() {
                        return End::Stopped(stop);
                    }
                    continue;
                }
                Err(e) => {
                    parser.reset();
                    return match self.control.stopped() {
                        Some(stop) => End::Stopped(stop),
                        None => End::Lost(e),
                    };
                }
            };
            self.stats.bytes += n as u64;
            if want_time {
                self.chunk.now = SystemTime::now();
            }
            let chunk = &buf[..n];
            self.service.before_output(self.log);
            let flow = parser.feed(chunk, |item| self.item(item, chunk));
            // Output may still lie in the chunk, which the next read reuses.
            if let Err(e) = self.sink.release(chunk) {
                self.chunk.error.get_or_insert(e);
            }
            self.note_id(parser.last_event_id());
            if let Some(e) = self.chunk.error.take() {
                return End::Failed(e);
            }
            if let Err(e) = self.checkpoint() {
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
        let is_event = matches!(item, Item::Event(_));
        let result = match item {
            Item::Event(ev) => {
                self.chunk.got_event = true;
                // --until sees every event, before the filter: the
                // terminator is not written, and the resume point moves
                // past it as past a filtered event.
                if let Some(until) = &mut self.until {
                    let stamp = self
                        .cfg
                        .format
                        .timestamp
                        .then(|| self.fmt.time_text(self.chunk.now));
                    if until.ends(&ev, stamp, self.log) {
                        return ControlFlow::Break(());
                    }
                }
                match self.filter.check(&ev) {
                    Verdict::Pass => self.hand_over(&ev, chunk),
                    Verdict::Filtered => {
                        self.stats.filtered += 1;
                        return ControlFlow::Continue(());
                    }
                    Verdict::Duplicate => {
                        self.stats.duplicates += 1;
                        return ControlFlow::Continue(());
                    }
                }
            }
            Item::Comment(text) => {
                self.stats.comments += 1;
                if !self.cfg.comments {
                    return ControlFlow::Continue(());
                }
                self.comment(text, chunk)
            }
            Item::Retry(ms) => {
                if let Some(cut) = self.reconnect.set_retry(ms) {
                    self.log.warn(&format!(
                        "the server's retry: field asks for {ms} ms{}; reconnects wait {} instead ({}; said once)",
                        if ms == u64::MAX { " or more" } else { "" },
                        connect::show_duration(cut),
                        connect::ceiling_note()
                    ));
                }
                return ControlFlow::Continue(());
            }
            Item::Dropped { size } => {
                self.stats.dropped += 1;
                self.log.warn(&format!(
                    "dropped an event with {size} or more bytes of data (over --max-event-size {})",
                    self.cfg.max_event_size
                ));
                return ControlFlow::Continue(());
            }
        };
        if let Err(e) = result {
            self.chunk.error = Some(e);
            return ControlFlow::Break(());
        }
        if is_event && self.cfg.max_events == Some(self.stats.events) {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// The parser's last event ID, after a read: the ledger takes it (or
    /// passes over it, if it cannot be sent as Last-Event-ID: said once).
    fn note_id(&mut self, id: &[u8]) {
        let handed = self.stats.events;
        if !self.resume.ledger.note(handed, id) || self.resume.warned_unsendable {
            return;
        }
        self.resume.warned_unsendable = true;
        let why = crate::resume::unsendable(id).unwrap_or_default();
        self.log.warn(&format!(
            "the server gave an event ID that cannot be sent as Last-Event-ID ({why}): {}, by event {handed} of this run; \
             reconnects send, and the resume point keeps, the last ID that can be ({}), so events since may come again (said once)",
            crate::resume::show_id(id),
            crate::resume::show_id(self.resume.ledger.usable_id().as_bytes()),
        ));
    }

    /// One event that passed the filter becomes its record.
    #[inline]
    fn hand_over(&mut self, ev: &Event<'_>, chunk: &[u8]) -> Result<()> {
        if self.jq.is_some() {
            return self.hand_over_jq(ev, chunk);
        }
        let seq = self.stats.events + 1;
        let time = self.chunk.now;
        let join = self.cfg.join_output;
        let value = if !join && self.sink.takes_verbatim() && self.fmt.is_verbatim(ev) {
            Value::Verbatim(ev.data)
        } else {
            let buf = self.sink.buffer();
            let start = buf.len();
            let outcome = self.fmt.event(ev, time, buf);
            if join {
                // -j: the formatter's LF goes.
                buf.pop();
                if buf.len() > start {
                    self.line_open = buf.last() != Some(&b'\n');
                }
            }
            if outcome.not_json {
                self.not_json(ev.data);
            }
            Value::Built(start)
        };
        let rec = Record {
            seq,
            value,
            event: Some(ev),
            time,
            last: true,
            key: Key::FromEvent,
        };
        // Counted before the sink answers: a record it refuses still numbers
        // its event, so the ledger never takes that event's ID as covered.
        self.stats.events = seq;
        self.sink.record(&rec, chunk)
    }

    /// `--jq`: one event that passed the filter becomes one record per
    /// output of the program, all with its number; none drops it (counted
    /// as filtered), a failure skips it (counted as a jq error).
    fn hand_over_jq(&mut self, ev: &Event<'_>, chunk: &[u8]) -> Result<()> {
        let Some(stage) = &mut self.jq else {
            return Ok(());
        };
        let opts = self.cfg.jq.as_ref();
        let raw = opts.is_some_and(|o| o.raw);
        let join = self.cfg.join_output;
        let line_open = &mut self.line_open;
        let time = self.chunk.now;
        let stamp = opts
            .is_some_and(|o| o.timestamp)
            .then(|| self.fmt.time_text(time));
        let input = stage.program.input(ev, stamp);
        let outs = match stage.program.run(input) {
            Ok(outs) => outs,
            Err(why) => {
                self.stats.jq_errors += 1;
                let dead = self.sink.has_dead_letters();
                if !stage.warned {
                    stage.warned = true;
                    let whither = if dead {
                        "sent to --dead-letter-topic"
                    } else {
                        "skipped"
                    };
                    // Every event so far, this one included, went one of
                    // these ways.
                    let st = &self.stats;
                    let place = [st.filtered, st.duplicates, st.dropped, st.jq_errors]
                        .iter()
                        .fold(st.events, |a, &b| a.saturating_add(b));
                    self.log
                        .warn(&jq::failure_warning(ev, place, &why, whither));
                }
                if dead {
                    return self.dead_letter(ev, format!("--jq: {why}"));
                }
                return Ok(());
            }
        };
        if outs.vals.is_empty() {
            self.stats.filtered += 1;
            return Ok(());
        }
        let pointer = match self.cfg.kafka.as_ref().map(|k| &k.key) {
            Some(crate::kafka::KeySpec::Pointer(p)) => Some(p.as_str()),
            _ => None,
        };
        let seq = self.stats.events + 1;
        for (i, v) in outs.vals.iter().enumerate() {
            let buf = self.sink.buffer();
            let start = buf.len();
            outs.write(v, ev, stamp, raw, buf);
            if !join {
                buf.push(b'\n');
            } else if buf.len() > start {
                *line_open = buf.last() != Some(&b'\n');
            }
            let key = match pointer {
                Some(p) => {
                    stage.key.clear();
                    Key::Given(jq::key_of(v, p, &mut stage.key).then_some(stage.key.as_slice()))
                }
                None => Key::FromEvent,
            };
            let rec = Record {
                seq,
                value: Value::Built(start),
                event: Some(ev),
                time,
                last: i + 1 == outs.vals.len(),
                key,
            };
            self.sink.record(&rec, chunk)?;
        }
        self.stats.events = seq;
        Ok(())
    }

    fn comment(&mut self, text: &[u8], chunk: &[u8]) -> Result<()> {
        let buf = self.sink.buffer();
        let start = buf.len();
        self.fmt.comment(text, buf);
        let rec = Record {
            seq: self.stats.events,
            value: Value::Built(start),
            event: None,
            time: self.chunk.now,
            last: true,
            key: Key::FromEvent,
        };
        self.sink.record(&rec, chunk)
    }

    /// An event that failed in `--jq` goes, formatted as without it, to the
    /// dead-letter topic; it counts as delivered once that is acknowledged.
    fn dead_letter(&mut self, ev: &Event<'_>, why: String) -> Result<()> {
        let seq = self.stats.events + 1;
        let time = self.chunk.now;
        let buf = self.sink.buffer();
        let start = buf.len();
        self.fmt.event(ev, time, buf);
        let rec = Record {
            seq,
            value: Value::Built(start),
            event: Some(ev),
            time,
            last: true,
            key: Key::FromEvent,
        };
        self.stats.events = seq;
        self.sink.dead_letter(&rec, why)
    }

    /// `--json-data` met data that is not JSON: count it, and say so once
    /// (not for the `[DONE]` that OpenAI-style streams end with).
    fn not_json(&mut self, data: &[u8]) {
        self.stats.not_json += 1;
        if data != b"[DONE]" && !self.service.warned_not_json {
            self.service.warned_not_json = true;
            self.log.warn(
                "--json-data: an event's data is not JSON; it stays a string (--stats counts them)",
            );
        }
    }

    /// No complete event is waiting: flush the sink, move the resume point
    /// to what is delivered, save it (at most once a second), and let the
    /// service publish (metrics, watchdog, status and stats lines). Runs
    /// after every chunk, before every reconnect wait, and at least once a
    /// `TICK` on a quiet stream.
    fn checkpoint(&mut self) -> Result<()> {
        self.sink.flush()?;
        self.resume.catch_up(self.sink.delivered(), false)?;
        self.heartbeat();
        if let Some(note) = self.filter.type_notice(self.service.elapsed(), false) {
            self.log.warn(&note);
        }
        Ok(())
    }

    /// The service's part of a checkpoint, also run while a request waits
    /// for its answer.
    fn heartbeat(&mut self) {
        self.fill_stats();
        self.service
            .checkpoint(&self.stats, self.reconnect.retry(), self.log);
    }

    fn fill_stats(&mut self) {
        self.stats.kafka = self.sink.kafka_counts();
        self.stats.reconnects = self.reconnect.reconnects();
    }

    /// The orderly end: write or deliver what is pending, save the state,
    /// print the summary. Runs whatever ended the run; every failure is
    /// reported, the first one decides the message of the exit.
    fn finish(mut self, result: Result<i32>) -> Result<i32> {
        self.service.before_output(self.log);
        if self.line_open && self.cfg.stdout_is_terminal {
            self.sink.buffer().push(b'\n');
        }
        let closed = self.sink.close();
        let saved = self.resume.catch_up(self.sink.delivered(), true);
        self.log.clear_status();
        let mut failures: Vec<anyhow::Error> = Vec::new();
        let code = match result {
            Ok(code) => Some(code),
            Err(e) if crate::exit::is_broken_pipe(&e) => Some(crate::exit::OK),
            Err(e) => {
                failures.push(e);
                None
            }
        };
        for e in [closed.err(), saved.err()].into_iter().flatten() {
            let line = crate::exit::one_line(&e);
            let known = failures.iter().any(|f| crate::exit::one_line(f) == line);
            if !crate::exit::is_broken_pipe(&e) && !known {
                failures.push(e);
            }
        }
        if let Some(note) = self.filter.type_notice(self.service.elapsed(), true) {
            self.log.warn(&note);
        }
        self.fill_stats();
        self.service.stopping(&self.stats, self.reconnect.retry());
        if self.cfg.stats {
            let errors: Vec<String> = failures
                .iter()
                .map(|e| self.log.redact(&crate::exit::one_line(e)))
                .collect();
            self.log
                .stats(&self.stats.summary_value(self.service.elapsed(), &errors));
        }
        let mut failures = failures.into_iter();
        match (failures.next(), code) {
            (Some(first), _) => {
                for other in failures {
                    self.log.error(&crate::exit::one_line(&other));
                }
                Err(first)
            }
            (None, code) => Ok(code.unwrap_or(crate::exit::FAILURE)),
        }
    }
}
