//! pipeline::connect: the HTTP source's loop. Each attempt sends the
//! request (on a helper thread: a TCP connect cannot be interrupted),
//! classifies the answer, reads the stream, and reports how it ended; the
//! `Reconnector` says whether and when to try again. The service hears here
//! when a stream begins and ends; while a request waits for its answer and
//! during the wait before a reconnect the loop still passes a heartbeat at
//! least once a `TICK`.
//!
//! What the server hands back is not trusted: the `Last-Event-ID` sent is
//! one that can be sent (`resume::sendable`), a `Retry-After` is cut to the
//! ceiling (`reconnect::SERVER_WAIT_MAX`), and a helper thread that cannot
//! be started (a task limit) is a failed attempt like a refused connection.

use super::{Run, StreamEnd};
use crate::control::Stop;
use crate::http::auth::Unauthorized;
use crate::http::{self, Answer, Auth, Http, SendError, Sent};
use crate::reconnect::{Disconnect, Next};
use crate::redact::{header_line, redact_url};
use crate::resume::sendable;
use crate::sse::Parser;
use anyhow::{Result, anyhow};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where a run stands after one attempt (request and stream).
enum AfterAttempt {
    /// The run is over: exit with this code.
    Exit(i32),
    /// The stream ended or never began; `reconnect` says whether to try
    /// again.
    Disconnected(Disconnect),
}

/// What sending the request on the helper thread came to.
enum SendResult {
    Response(Box<Sent>),
    Failed(SendError),
    /// The helper thread could not be started.
    NoThread(std::io::Error),
    Stopped(Stop),
}

impl Run<'_> {
    pub(super) fn http_loop(&mut self, parser: &mut Parser, url: &str) -> Result<i32> {
        let http = Http::new(url, &self.cfg.request)?;
        self.control.watch_agent(http.agent());
        if self.cfg.request.insecure {
            self.log
                .warn("--insecure: TLS certificates are not verified");
        }
        let shown = redact_url(url);
        let mut buf = vec![0u8; super::READ_SIZE];
        let mut auth = self.cfg.request.auth.clone();
        loop {
            let disconnect = match self.attempt(&http, &mut auth, parser, &mut buf)? {
                AfterAttempt::Exit(code) => return Ok(code),
                AfterAttempt::Disconnected(disconnect) => disconnect,
            };
            let why = self.log.redact(disconnect_text(&disconnect));
            self.service.disconnected(&why);
            if let Some(stop) = self.control.stopped() {
                return Ok(stop.exit_code());
            }
            match self.reconnect.after(&disconnect, fastrand::f64()) {
                Next::Done(why) => {
                    self.log.info(&why);
                    return Ok(crate::exit::OK);
                }
                Next::GiveUp(why) => return Err(anyhow!("{shown}: {why}")),
                Next::Wait(delay) => {
                    self.say_retry(&disconnect, delay);
                    self.service.reconnect_wait(delay);
                    self.checkpoint()?;
                    if let Some(stop) = self.wait(delay)? {
                        return Ok(stop.exit_code());
                    }
                }
            }
        }
    }

    /// Sleep before a reconnect, a `TICK` at a time with a checkpoint
    /// between, unless a stop request comes first.
    fn wait(&mut self, delay: Duration) -> Result<Option<Stop>> {
        // No deadline the clock can hold (a --retry-max of centuries): wait
        // until stopped.
        let deadline = Instant::now().checked_add(delay);
        loop {
            let left = match deadline {
                Some(at) => at.saturating_duration_since(Instant::now()),
                None => crate::tick::TICK,
            };
            if left.is_zero() {
                return Ok(None);
            }
            if let Some(stop) = self.control.sleep(left.min(crate::tick::TICK)) {
                return Ok(Some(stop));
            }
            self.checkpoint()?;
        }
    }

    /// One request, and the stream it gives.
    fn attempt(
        &mut self,
        http: &Http,
        auth: &mut Auth,
        parser: &mut Parser,
        buf: &mut [u8],
    ) -> Result<AfterAttempt> {
        let sent = loop {
            match self.send(http, auth, parser)? {
                Err(attempt) => return Ok(attempt),
                Ok(sent) if sent.response.status() == 401 => match auth.on_unauthorized() {
                    Unauthorized::Final => break sent,
                    Unauthorized::RetryNow => {
                        self.show_response(&sent.response);
                        self.log.info(&format!(
                            "HTTP 401 Unauthorized: fetching a new token ({}) and sending again",
                            auth.name()
                        ));
                    }
                    Unauthorized::Backoff => {
                        self.show_response(&sent.response);
                        let why = format!(
                            "HTTP 401 Unauthorized, also with a new token ({})",
                            auth.name()
                        );
                        return Ok(AfterAttempt::Disconnected(Disconnect::Refused {
                            why,
                            after: None,
                        }));
                    }
                },
                Ok(sent) => break sent,
            }
        };
        self.answered(http, auth, parser, buf, *sent)
    }

    /// The server answered: stream the body, or say why there is none.
    fn answered(
        &mut self,
        http: &Http,
        auth: &mut Auth,
        parser: &mut Parser,
        buf: &mut [u8],
        sent: Sent,
    ) -> Result<AfterAttempt> {
        self.show_response(&sent.response);
        let shown = redact_url(&sent.url);
        // Body reads from here on tick: an error body is read for at most
        // a few seconds, and a stream's quiet reads wake the main loop.
        http.start_ticking();
        let offered = self.cfg.request.headers.iter().find_map(|(n, v)| {
            n.eq_ignore_ascii_case("accept-encoding")
                .then_some(v.as_str())
        });
        match http::answer(sent.response, self.cfg.request.any_content_type, offered) {
            Answer::Stream {
                mut body,
                info,
                warning,
            } => {
                if let Some(w) = warning
                    && !self.reconnect.ever_streamed()
                {
                    self.log.warn(&w);
                }
                self.log.info(&format!("connected to {shown} ({info})"));
                self.reconnect.streaming();
                auth.connected();
                self.service.connected();
                self.stream(parser, &mut body, buf)
            }
            Answer::NoContent => {
                self.log
                    .info("HTTP 204 No Content: the server has no more events");
                Ok(AfterAttempt::Exit(crate::exit::OK))
            }
            Answer::Retry { why, after } => {
                let after = after.map(|asked| self.server_wait(&shown, &why, asked));
                Ok(AfterAttempt::Disconnected(Disconnect::Refused {
                    why,
                    after,
                }))
            }
            Answer::Fatal(msg) => Err(anyhow!("{shown}: {msg}")),
        }
    }

    /// Send the request with fresh credentials and wait for the response
    /// head; `Err` is how the attempt ended without one.
    fn send(
        &mut self,
        http: &Http,
        auth: &mut Auth,
        parser: &mut Parser,
    ) -> Result<Result<Box<Sent>, AfterAttempt>> {
        if let Some(stop) = self.control.stopped() {
            return Ok(Err(AfterAttempt::Exit(stop.exit_code())));
        }
        self.reconnect.begin();
        let last_id = self.last_id(parser);
        let mut headers = http.headers(&last_id);
        let (log, control) = (self.log, &self.control);
        let ctx = http::auth::Ctx {
            agent: http.quiet_agent(),
            learn: &|token| log.add_secret(token),
            stopped: &|| control.stopped().is_some(),
        };
        let applied = auth.apply(&mut headers, &ctx);
        if let Some(stop) = self.control.stopped() {
            return Ok(Err(AfterAttempt::Exit(stop.exit_code())));
        }
        if let Err(why) = applied {
            return Ok(Err(AfterAttempt::Disconnected(Disconnect::Refused {
                why,
                after: None,
            })));
        }
        self.show_request(http, &headers);
        let ended = |disconnect| Ok(Err(AfterAttempt::Disconnected(disconnect)));
        match self.connect(http, headers) {
            SendResult::Stopped(stop) => Ok(Err(AfterAttempt::Exit(stop.exit_code()))),
            SendResult::Failed(SendError::Protocol(msg)) => Err(anyhow!(msg)),
            SendResult::Failed(SendError::Ureq(err, at)) => {
                let (text, fatal) = http.describe_error(&err);
                if fatal {
                    return Err(anyhow!("{}: {text}", redact_url(&at)));
                }
                let why = http::failure_line(&err, &at, http.proxy_for(&at).as_deref());
                ended(if http::before_sending(&err) {
                    Disconnect::Refused { why, after: None }
                } else {
                    Disconnect::Lost(why)
                })
            }
            SendResult::NoThread(e) => {
                let why = format!(
                    "cannot start a thread to connect: {e} (a task limit, such as systemd's TasksMax?)"
                );
                ended(Disconnect::Refused { why, after: None })
            }
            SendResult::Response(sent) => {
                self.show_hops(http, &sent.hops);
                Ok(Ok(sent))
            }
        }
    }

    /// With `-v`: each redirect followed, and the request sent after it
    /// (its headers are the first request's, less secrets to another
    /// origin), as `curl -v -L` shows them.
    fn show_hops(&self, http: &Http, hops: &[http::Hop]) {
        if !self.log.verbose() {
            return;
        }
        for http::Hop {
            status,
            method,
            url: next,
        } in hops
        {
            let shown = redact_url(next);
            self.log
                .debug(&format!("< HTTP {status}: following it to {shown}"));
            if let Some(pin) = http.pinned(next) {
                self.log.debug(&pin);
            }
            self.log.debug(&format!("> {method} {shown}"));
        }
    }

    /// The `Last-Event-ID` to send: the parser's last event ID if it can be
    /// sent, else the newest one that can (the ledger's), which the parser
    /// then takes as its own, so that events of the new stream without an
    /// `id:` report the ID the request named.
    fn last_id(&mut self, parser: &mut Parser) -> String {
        if sendable(parser.last_event_id()) {
            return String::from_utf8_lossy(parser.last_event_id()).into_owned();
        }
        self.note_id(parser.last_event_id());
        let usable = self.resume.ledger.usable_id().to_string();
        parser.set_last_event_id(usable.as_bytes());
        usable
    }

    /// A `Retry-After` of `asked`, cut to the ceiling (and said) if longer.
    fn server_wait(&self, shown: &str, why: &str, asked: Duration) -> Duration {
        let (wait, cut) = self.reconnect.server_wait(asked);
        if cut {
            self.log.warn(&format!(
                "{shown}: {why}: the server's Retry-After asks for {}s; waiting {} instead ({})",
                asked.as_secs(),
                show_duration(wait),
                ceiling_note()
            ));
        }
        wait
    }

    /// Read one response body to its end.
    fn stream(
        &mut self,
        parser: &mut Parser,
        body: &mut dyn std::io::Read,
        buf: &mut [u8],
    ) -> Result<AfterAttempt> {
        self.chunk.got_event = false;
        parser.reset();
        let end = self.read_stream(parser, body, buf);
        if self.chunk.got_event {
            self.reconnect.progress();
        }
        Ok(AfterAttempt::Disconnected(match end {
            StreamEnd::Limit => return Ok(AfterAttempt::Exit(crate::exit::OK)),
            StreamEnd::Stopped(stop) => return Ok(AfterAttempt::Exit(stop.exit_code())),
            StreamEnd::Failed(e) => return Err(e),
            StreamEnd::Eof => Disconnect::Ended,
            StreamEnd::Lost(e) if http::is_timeout(&e) => {
                let idle = self.cfg.request.idle_timeout.unwrap_or_default();
                let idle = humantime::format_duration(idle);
                Disconnect::Lost(format!("no data for {idle} (--idle-timeout)"))
            }
            StreamEnd::Lost(e) => Disconnect::Lost(format!("connection lost: {}", lost_why(&e))),
        }))
    }

    /// Say that a reconnect is coming. With `-q`, a run that never reached
    /// a stream still shows its first failure and every tenth, so that a
    /// wrong port does not look like a hang.
    ///
    /// The first failure of a run that never reached a stream says that
    /// ssetap keeps trying, and how not to (curl gives up at once; a bridge
    /// under systemd should ride out a server that is not up yet, and the
    /// same command behaves the same at a terminal and in a unit).
    fn say_retry(&self, disconnect: &Disconnect, delay: Duration) {
        let why = disconnect_text(disconnect);
        let attempt = self.reconnect.reconnects() + 2;
        let failures = self.reconnect.failures();
        let hint = if !self.reconnect.ever_streamed()
            && failures == 1
            && self.reconnect.max_retries().is_none()
        {
            "; retrying until it streams: Ctrl-C stops, --max-retries 0 fails at once"
        } else {
            ""
        };
        let line = format!(
            "{why}; reconnecting in {} (attempt {attempt}{hint})",
            show_duration(delay)
        );
        if !self.reconnect.ever_streamed() && failures % 10 == 1 {
            self.log.notice(&line);
        } else {
            self.log.info(&line);
        }
    }

    /// Send the request on a helper thread and wait for the response head,
    /// checking for stop requests.
    fn connect(&mut self, http: &Http, headers: Vec<(String, String)>) -> SendResult {
        let (tx, rx) = mpsc::channel();
        let h = http.clone();
        let spawned = std::thread::Builder::new()
            .name("connect".into())
            .spawn(move || {
                let _ = tx.send(h.send(headers));
            });
        if let Err(e) = spawned {
            return SendResult::NoThread(e);
        }
        loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(Ok(sent)) => return SendResult::Response(Box::new(sent)),
                Ok(Err(e)) => {
                    return match self.control.stopped() {
                        Some(stop) => SendResult::Stopped(stop),
                        None => SendResult::Failed(e),
                    };
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(stop) = self.control.stopped() {
                        return SendResult::Stopped(stop);
                    }
                    self.heartbeat();
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // The helper thread ended without an answer (it
                    // panicked, say in a thread of its own ureq could not
                    // start): a failed attempt.
                    let err = ureq::Error::ConnectionFailed;
                    return SendResult::Failed(SendError::Ureq(err, http.url().to_string()));
                }
            }
        }
    }

    fn show_request(&self, http: &Http, headers: &[(String, String)]) {
        if !self.log.verbose() {
            return;
        }
        if let Some(pin) = http.pinned(http.url()) {
            self.log.debug(&pin);
        }
        let lines = http.describe(headers);
        self.log.debug(&format!("> {}", redact_url(&lines[0])));
        for line in &lines[1..] {
            if let Some((n, v)) = line.split_once(": ") {
                self.log.debug(&header_line(">", n, v));
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
}

fn disconnect_text(disconnect: &Disconnect) -> &str {
    match disconnect {
        Disconnect::Ended => "the server ended the stream",
        Disconnect::Lost(why) | Disconnect::Refused { why, .. } => why.as_str(),
    }
}

/// Why a body's read failed, in words: ureq says only "Peer disconnected"
/// when the connection closes before the chunked or Content-Length framing
/// ended.
fn lost_why(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof && e.to_string() == "Peer disconnected" {
        "closed before the body's end".to_string()
    } else {
        e.to_string()
    }
}

/// What the ceiling of a server's waits is, for the line that says one
/// was cut.
pub(super) fn ceiling_note() -> String {
    format!(
        "the longest wait a server can ask for is {}, or --retry-max if longer",
        show_duration(crate::reconnect::SERVER_WAIT_MAX)
    )
}

pub(super) fn show_duration(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
    }
}
