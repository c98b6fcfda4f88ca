//! until: the `--until CONDITION` test that ends a run at a terminator
//! event (`data: [DONE]`, `event: message_stop`), and the `--fail-on
//! CONDITION` test that fails it at an error event (Anthropic's `event:
//! error`, OpenAI's `{"error":…}` data). The condition is a jq
//! program run by the `--jq` engine on the same input `--jq` sees
//! (`{"event","id","data"}`, plus `"time"` with `--timestamp`); the event
//! matches when the program's first output is true as jq counts truth
//! (neither `false` nor `null`). No output, or a runtime error, is no
//! match: a condition such as `.data.type == "done"` fails on a string
//! data, and that must not end the run, but the first failure is shown so
//! that a condition that can never hold does not go unnoticed.

use crate::jq::Program;
use crate::log::Log;
use crate::sse::Event;
use jaq_core::ValT;

#[derive(Debug, Clone)]
pub struct Until {
    /// The flag it came from, for its messages.
    flag: &'static str,
    program: Program,
    /// The program failed on an event: the error, the first time only.
    failure: Option<String>,
    warned: bool,
}

impl Until {
    /// Compile `--until`'s condition; the error is one line naming it.
    pub fn compile(text: &str) -> Result<Until, String> {
        Until::compile_for("--until", text)
    }

    /// Compile the condition `flag` gave.
    pub fn compile_for(flag: &'static str, text: &str) -> Result<Until, String> {
        let program = Program::compile(text).map_err(|e| match e.strip_prefix("--jq") {
            Some(rest) => format!("{flag}{rest}"),
            None => format!("{flag}: {e}"),
        })?;
        Ok(Until {
            flag,
            program,
            failure: None,
            warned: false,
        })
    }

    /// Does this event (the run's `place`th) end the run? A failure is
    /// said on `log`, once.
    pub fn ends(&mut self, ev: &Event<'_>, place: u64, time: Option<&[u8]>, log: &Log) -> bool {
        let end = self.matches(ev, place, time);
        if let Some(w) = self.failure.take() {
            log.warn(&w);
        }
        end
    }

    /// Does this event end the run? `time` is its `--timestamp` text.
    fn matches(&mut self, ev: &Event<'_>, place: u64, time: Option<&[u8]>) -> bool {
        let input = self.program.input(ev, time);
        match self.program.run(input) {
            Ok(outs) => outs.vals.first().is_some_and(ValT::as_bool),
            Err(why) => {
                if !self.warned {
                    self.warned = true;
                    self.failure = Some(format!(
                        "{} failed on {}: {why}; such events do not match",
                        self.flag,
                        crate::jq::event_name(ev, place)
                    ));
                }
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(kind: &'a [u8], data: &'a [u8]) -> Event<'a> {
        Event::of(kind, b"", data)
    }

    #[test]
    fn the_first_output_decides_as_jq_counts_truth() {
        let mut u = Until::compile(r#".data == "[DONE]""#).unwrap();
        assert!(u.matches(&event(b"", b"[DONE]"), 1, None));
        assert!(!u.matches(&event(b"", br#"{"choices":[]}"#), 1, None));
        let mut u = Until::compile(r#".event == "message_stop""#).unwrap();
        assert!(u.matches(&event(b"message_stop", b"{}"), 1, None));
        assert!(!u.matches(&event(b"", b"{}"), 1, None), "type message");
        // null and no output are no match; any other value is.
        let mut u = Until::compile(".data.stop").unwrap();
        assert!(!u.matches(&event(b"", br#"{"stop":null}"#), 1, None));
        assert!(u.matches(&event(b"", br#"{"stop":0}"#), 1, None));
        let mut u = Until::compile("empty").unwrap();
        assert!(!u.matches(&event(b"", b"x"), 1, None));
        let mut u = Until::compile("false, true").unwrap();
        assert!(
            !u.matches(&event(b"", b"x"), 1, None),
            "only the first output"
        );
    }

    #[test]
    fn a_failure_is_no_match_and_warned_once() {
        let mut u = Until::compile(r#".data.type == "done""#).unwrap();
        assert!(!u.matches(&event(b"", b"[DONE]"), 1, None));
        let w = u.failure.take().expect("a warning");
        assert!(w.starts_with("--until failed on event #1 (no ID)"), "{w}");
        assert!(!u.matches(&event(b"", b"[DONE]"), 1, None));
        assert_eq!(u.failure.take(), None);
        assert!(u.matches(&event(b"", br#"{"type":"done"}"#), 1, None));
    }

    #[test]
    fn a_program_that_does_not_compile_names_until() {
        let e = Until::compile(".data ==").err().unwrap();
        assert!(e.starts_with("--until: cannot compile"), "{e}");
        let e = Until::compile_for("--fail-on", ".data ==").err().unwrap();
        assert!(e.starts_with("--fail-on: cannot compile"), "{e}");
    }
}
