//! pipeline: drives the data one way — source → parser → filter → records →
//! sink — and owns the run's lifecycle: limits, stop requests, the resume
//! point, and the orderly end in which everything parsed is written (or
//! delivered) before exit. After each chunk the ledger learns the last
//! event ID, and the sink says what is written or acknowledged; only that
//! moves the resume point.
//!
//! Here: the read loop and what each parsed item becomes. Beside it:
//! `connect` (the HTTP side: requests, answers, reconnects, following
//! `reconnect`'s decisions), `records` (an event or comment built as a
//! record), `jq_stage` (`--jq` between filter and sink) and `resume` (the
//! resume point's bookkeeping and store).

mod connect;
mod jq_stage;
mod records;
mod resume;

use crate::config::{Config, Input};
use crate::control::{Control, Stop};
use crate::filter::{Filter, Verdict};
use crate::format::Formatter;
use crate::log::Log;
use crate::reconnect::Reconnector;
use crate::service::Service;
use crate::sink::Sink;
use crate::source;
use crate::sse::{Event, Item, Parser};
use crate::stats::Stats;
use crate::until::Until;
use anyhow::{Result, anyhow};
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::SystemTime;

use jq_stage::JqStage;
use resume::Resume;

/// Bytes asked for per read.
const READ_SIZE: usize = crate::http::BODY_BUFFER;

/// How reading one stream (one connection, or the whole file) stopped.
enum StreamEnd {
    Eof,
    Lost(io::Error),
    Limit,
    Stopped(Stop),
    Failed(anyhow::Error),
}

/// The two conditions a run checks on every event.
#[derive(Clone, Copy)]
enum Condition {
    Until,
    FailOn,
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
    /// `--fail-on`: the condition that fails the run at its event.
    fail_on: Option<Until>,
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

/// What the parser callback notes about the chunk being parsed.
struct ChunkState {
    /// Its receive time.
    now: SystemTime,
    /// An error raised inside the callback.
    error: Option<anyhow::Error>,
    /// This connection produced an event (resets the backoff).
    got_event: bool,
    /// `--fail-on` matched: the last event ID before its event, which the
    /// resume point may name (the parser's own has moved past it).
    failed_after: Option<Vec<u8>>,
}

pub fn run(cfg: &Config, control: Arc<Control>, log: &Log) -> Result<i32> {
    let (mut run, first_id) = match Run::open(cfg, Arc::clone(&control), log) {
        Ok(opened) => opened,
        // A signal while the start waited (on brokers that do not answer
        // yet, say): the run was stopped, not failed, and nothing was read.
        Err(e) => match control.stopped() {
            Some(stop @ crate::control::Stop::Signal(_)) => return Ok(stop.exit_code()),
            _ => return Err(e),
        },
    };
    let mut parser = Parser::new(cfg.max_event_size);
    parser.set_last_event_id(first_id.as_bytes());
    run.service.ready();
    let result = if cfg.max_events == Some(0) {
        Ok(crate::exit::OK)
    } else {
        run.read_input(&mut parser)
    };
    run.finish(result)
}

impl<'a> Run<'a> {
    /// Start the service, find the resume point, open the sink and take
    /// copies of the compiled `--jq` and `--until`; also returns the ID the
    /// parser starts from.
    fn open(cfg: &'a Config, control: Arc<Control>, log: &'a Log) -> Result<(Run<'a>, String)> {
        let service = Service::start(cfg, log)?;
        let (resume, first_id) = Resume::start(cfg, log)?;
        let mut sink = Sink::open(&cfg.output, log)?;
        if cfg.state.is_some() {
            sink.count_durable()?;
        }
        let jq = JqStage::new(cfg, &sink)?;
        let until = cfg.until.clone();
        let fail_on = cfg.fail_on.clone();
        let run = Run {
            cfg,
            log,
            control,
            filter: Filter::new(&cfg.filter),
            fmt: Formatter::new(cfg.format.clone()),
            jq,
            until,
            fail_on,
            sink,
            stats: Stats::default(),
            resume,
            reconnect: Reconnector::new(cfg.reconnect.clone()),
            chunk: ChunkState {
                now: SystemTime::now(),
                error: None,
                got_event: false,
                failed_after: None,
            },
            service,
            line_open: false,
        };
        Ok((run, first_id))
    }

    /// The input the flags name, read to its end (a URL: reconnecting).
    fn read_input(&mut self, parser: &mut Parser) -> Result<i32> {
        match &self.cfg.input {
            Input::Url(url) => self.http_loop(parser, url),
            Input::Stdin => {
                let mut input = source::stdin(Arc::clone(&self.control));
                self.one_stream(parser, &mut input)
            }
            Input::File(path) => match source::file(path) {
                Ok(mut f) => self.one_stream(parser, &mut f),
                Err(e) => Err(e),
            },
        }
    }
}

impl Run<'_> {
    /// A file or stdin: one stream, read to its end.
    fn one_stream(&mut self, parser: &mut Parser, input: &mut dyn Read) -> Result<i32> {
        self.service.connected();
        let mut buf = vec![0u8; READ_SIZE];
        match self.read_stream(parser, input, &mut buf) {
            StreamEnd::Eof | StreamEnd::Limit => Ok(crate::exit::OK),
            StreamEnd::Stopped(stop) => Ok(stop.exit_code()),
            StreamEnd::Lost(e) => Err(anyhow!(e).context("cannot read the input")),
            StreamEnd::Failed(e) => Err(e),
        }
    }

    /// Read and parse until the stream ends, a limit is reached or a stop
    /// is requested.
    fn read_stream(
        &mut self,
        parser: &mut Parser,
        input: &mut dyn Read,
        buf: &mut [u8],
    ) -> StreamEnd {
        let want_time = self.cfg.format.timestamp || self.sink.wants_time();
        loop {
            let n = match input.read(buf) {
                Ok(0) => {
                    parser.reset();
                    return StreamEnd::Eof;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if crate::tick::is_tick(&e) => match self.quiet() {
                    Some(end) => return end,
                    None => continue,
                },
                Err(e) => {
                    parser.reset();
                    return match self.control.stopped() {
                        Some(stop) => StreamEnd::Stopped(stop),
                        None => StreamEnd::Lost(e),
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
            self.write_program_debug();
            // Output may still lie in the chunk, which the next read reuses.
            if let Err(e) = self.sink.release(chunk) {
                self.chunk.error.get_or_insert(e);
            }
            match self.chunk.failed_after.take() {
                Some(before) => self.note_id(&before),
                None => self.note_id(parser.last_event_id()),
            }
            if let Some(e) = self.chunk.error.take() {
                return StreamEnd::Failed(e);
            }
            if let Err(e) = self.checkpoint() {
                return StreamEnd::Failed(e);
            }
            if flow.is_break() {
                return StreamEnd::Limit;
            }
            if let Some(stop) = self.control.stopped() {
                return StreamEnd::Stopped(stop);
            }
        }
    }

    /// A tick on a quiet stream: catch up with acknowledgements; the
    /// stream ends only if that fails or a stop was asked for.
    fn quiet(&mut self) -> Option<StreamEnd> {
        if let Err(e) = self.checkpoint() {
            return Some(StreamEnd::Failed(e));
        }
        self.control.stopped().map(StreamEnd::Stopped)
    }

    fn item(&mut self, item: Item<'_>, chunk: &[u8]) -> ControlFlow<()> {
        let is_event = matches!(item, Item::Event(_));
        let result = match item {
            Item::Event(ev) => {
                self.chunk.got_event = true;
                if ev.has_own_id
                    && crate::resume::may_outgrow(ev.id)
                    && !crate::resume::sendable(ev.id)
                {
                    // The ledger hears of IDs once a read: give it the one
                    // before this over-long one, or a sendable ID earlier
                    // in this read is lost. (Only length is checked here,
                    // where every event passes; see `may_outgrow`.)
                    self.note_id(ev.previous_id);
                }
                // Both tested here first: the calls are for runs that
                // have a condition (not inlined, they cost ~50
                // instructions an event when called for nothing).
                if self.fail_on.is_some()
                    && let Some(failure) = self.fails_on(&ev)
                {
                    self.chunk.error.get_or_insert(failure);
                    // The ID before this event: the one it replaced, or,
                    // with no `id:` of its own, the one it carries (its
                    // `previous_id` is only kept for an event with its own).
                    let before = if ev.has_own_id { ev.previous_id } else { ev.id };
                    self.chunk.failed_after = Some(before.to_vec());
                    return ControlFlow::Break(());
                }
                if self.until.is_some() && self.until_ends(&ev) {
                    return ControlFlow::Break(());
                }
                if !self.passes(&ev) {
                    return ControlFlow::Continue(());
                }
                self.hand_over(&ev, chunk)
            }
            Item::Comment(text) => {
                self.stats.comments += 1;
                if !self.cfg.comments {
                    return ControlFlow::Continue(());
                }
                self.comment(text, chunk)
            }
            Item::Retry(ms) => {
                self.server_retry(ms);
                return ControlFlow::Continue(());
            }
            Item::Dropped { data, line } => {
                self.stats.dropped += 1;
                let cap = self.cfg.max_event_size;
                let what = if line > 0 {
                    let line_cap = cap.min(crate::sse::LINE_MAX);
                    format!(
                        "an id or event line of {line} bytes (over {line_cap}, the most one may hold)"
                    )
                } else {
                    format!("{data} bytes of data (over --max-event-size {cap})")
                };
                self.log.warn(&format!("dropped an event with {what}"));
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

    /// `--until` sees every event, before the filter: the terminator is not
    /// written, and the resume point moves past it as past a filtered event.
    fn until_ends(&mut self, ev: &Event<'_>) -> bool {
        self.holds(Condition::Until, ev)
    }

    /// `--fail-on`, on every event before `--until`: the error that fails
    /// the run at this one, naming it and showing its type and data.
    fn fails_on(&mut self, ev: &Event<'_>) -> Option<anyhow::Error> {
        if !self.holds(Condition::FailOn, ev) {
            return None;
        }
        let place = self.stats.events_seen().saturating_add(1);
        Some(anyhow!(
            "--fail-on matched {} of type {:?}: {}",
            crate::jq::event_name(ev, place),
            String::from_utf8_lossy(ev.kind()),
            crate::jq::one_line_excerpt(&String::from_utf8_lossy(ev.data), 300)
        ))
    }

    /// Does this condition (when given) hold for the event, the run's next?
    fn holds(&mut self, which: Condition, ev: &Event<'_>) -> bool {
        let condition = match which {
            Condition::Until => &mut self.until,
            Condition::FailOn => &mut self.fail_on,
        };
        let Some(condition) = condition else {
            return false;
        };
        let stamp = self
            .cfg
            .format
            .timestamp
            .then(|| self.fmt.time_text(self.chunk.now));
        let place = self.stats.events_seen().saturating_add(1);
        condition.ends(ev, place, stamp, self.log)
    }

    /// What the `--jq`, `--until` and `--fail-on` programs wrote with
    /// `debug` or `stderr` while this read's events ran.
    fn write_program_debug(&self) {
        let (lines, dropped) = crate::jq::debug::take();
        for line in &lines {
            self.log.program(line);
        }
        if dropped > 0 {
            self.log.warn(&format!(
                "{dropped} lines that programs wrote with debug or stderr were dropped \
                 (at most 1000 a read)"
            ));
        }
    }

    /// Does the event pass the filter? Counts those that do not.
    fn passes(&mut self, ev: &Event<'_>) -> bool {
        match self.filter.check(ev) {
            Verdict::Pass => true,
            Verdict::Filtered => {
                self.stats.filtered += 1;
                false
            }
            Verdict::Duplicate => {
                self.stats.duplicates += 1;
                false
            }
        }
    }

    /// The server's `retry:` field: the reconnect delay from now on (cut to
    /// the ceiling, and said once, if longer).
    fn server_retry(&mut self, ms: u64) {
        if let Some(cut) = self.reconnect.set_retry(ms) {
            self.log.warn(&format!(
                "the server's retry: field asks for {ms} ms{}; reconnects wait {} instead ({}; said once)",
                if ms == u64::MAX { " or more" } else { "" },
                connect::show_duration(cut),
                connect::ceiling_note()
            ));
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
        let asked = self.control.stats_asked();
        self.service
            .checkpoint(&self.stats, self.reconnect.retry(), self.log, asked);
    }

    fn fill_stats(&mut self) {
        self.stats.acks = self.sink.acks();
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
