//! pipeline::jq_stage: `--jq` between the filter and the sink — the
//! compiled program, each of its outputs built as a record in the sink's
//! buffer (keyed by the sink's `key_pointer` when it has one), and what
//! becomes of an event the program fails on.

use super::Run;
use crate::config::Config;
use crate::jq;
use crate::record::Key;
use crate::sink::{Record, Sink, Value};
use crate::sse::Event;
use anyhow::Result;

/// `--jq`: the program, where each output's key is built, and
/// whether a failure was already reported.
pub(super) struct JqStage {
    program: jq::Program,
    /// The sink keys records by this pointer, resolved in each output.
    key_pointer: Option<String>,
    key: Vec<u8>,
    warned: bool,
}

impl JqStage {
    /// `--jq`, compiled, reading the sink's key pointer if it has one.
    pub(super) fn new(cfg: &Config, sink: &Sink) -> Result<Option<JqStage>> {
        let Some(opts) = &cfg.jq else {
            return Ok(None);
        };
        let mut program = opts.program.clone();
        let key_pointer = sink.key_pointer().map(str::to_string);
        if let Some(p) = &key_pointer {
            program.reads_key(p);
        }
        Ok(Some(JqStage {
            program,
            key_pointer,
            key: Vec::new(),
            warned: false,
        }))
    }
}

impl Run<'_> {
    /// `--jq`: one event that passed the filter becomes one record per
    /// output of the program, all with its number; none drops it (counted
    /// as filtered), a failure skips it (counted as a jq error).
    pub(super) fn hand_over_jq(&mut self, ev: &Event<'_>, chunk: &[u8]) -> Result<()> {
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
                let first = !std::mem::replace(&mut stage.warned, true);
                return self.jq_failed(ev, &why, first);
            }
        };
        if outs.vals.is_empty() {
            self.stats.filtered += 1;
            return Ok(());
        }
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
            let key = match &stage.key_pointer {
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

    /// The program failed on `ev`: count it, warn the `first` time, and
    /// hand it to the sink as rejected if the sink takes such events.
    fn jq_failed(&mut self, ev: &Event<'_>, why: &str, first: bool) -> Result<()> {
        self.stats.jq_errors += 1;
        let rejects_to = self.sink.rejects_to();
        if first {
            let whither = match rejects_to {
                Some(place) => format!("sent to {place}"),
                None => "skipped".to_string(),
            };
            // This one is counted already (as a jq error).
            let place = self.stats.events_seen();
            self.log
                .warn(&jq::failure_warning(ev, place, why, &whither));
        }
        if rejects_to.is_some() {
            return self.reject(ev, format!("--jq: {why}"));
        }
        Ok(())
    }
}
