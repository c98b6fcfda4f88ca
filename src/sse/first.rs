//! first: an event's first `data` line, read together with the line after
//! it. Most events are one `data` line and a blank line, dispatched here
//! in one step straight from the chunk; a first line that another line
//! starting with `d` follows is handed to the `data:` loop (`data`) with
//! the run after it. Anything else goes through `line`, which handles
//! every case: these ways change how fast lines are taken, never what
//! they mean.

use super::{Event, Flow, Item, Parser};

/// What an event's first `data` line, with nothing pending, starts.
pub(super) enum First {
    /// The usual event: this line and the blank line after it, both whole
    /// in the chunk; the line after the blank one starts here. The event
    /// is dispatched at once (`dispatch_line`), which is what `line` and
    /// then `dispatch` would do with it, without the data's stay in
    /// `data_in_chunk` and a second pass through the loop.
    Event(usize),
    /// Multi-line data: another line starting with `d` follows, so the
    /// data loop (`data_lines`) takes this line and the run after it.
    Run,
    /// Anything else: `line` decides.
    Other,
}

impl Parser {
    /// What to do with `line` (ending at `end`, whole in the chunk) when
    /// it may be an event's first `data` line (see [`First`]).
    #[inline(always)]
    pub(super) fn first_data_line(&self, chunk: &[u8], line: &[u8], end: usize) -> First {
        if self.data_len != 0 || self.oversized || !line.starts_with(b"data:") {
            return First::Other;
        }
        let Some(after) = after_terminator(chunk, end) else {
            return First::Other;
        };
        match (chunk.get(after), after_terminator(chunk, after)) {
            (_, Some(next)) if line.len() - 5 < self.data_max => First::Event(next),
            (Some(b'd'), _) => First::Run,
            _ => First::Other,
        }
    }

    /// Dispatch the event whose one `data` line is `line` (see
    /// `First::Event`): as `dispatch` does, with the data in the chunk.
    #[inline(always)]
    pub(super) fn dispatch_line<F: FnMut(Item<'_>) -> Flow>(
        &mut self,
        line: &[u8],
        f: &mut F,
    ) -> Flow {
        let value = &line[5..];
        let data = value.strip_prefix(b" ").unwrap_or(value);
        let own = self.settle_id();
        let flow = f(Item::Event(Event {
            event_type: &self.event_type,
            id: &self.ids[usize::from(self.cur)],
            data,
            has_own_id: own,
            previous_id: &self.ids[usize::from(!self.cur)],
        }));
        // Nothing else of the event was kept (no data, not oversized).
        self.event_type.clear();
        flow
    }
}

/// Where the line after the line terminator at `at` starts, when `at` is
/// one and its end lies in the chunk (a CR needs the byte after it, to tell
/// CRLF from CR alone).
#[inline(always)]
fn after_terminator(chunk: &[u8], at: usize) -> Option<usize> {
    match chunk.get(at)? {
        b'\n' => Some(at + 1),
        b'\r' => Some(at + 1 + usize::from(*chunk.get(at + 1)? == b'\n')),
        _ => None,
    }
}
