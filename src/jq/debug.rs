//! debug: what `debug`, `debug(msg)` and `stderr` in a program write. jq
//! writes it to stderr at once; here the natives only note it, and the
//! pipeline writes the noted lines through the log after each read
//! (`Run::write_program_debug`), so that a stderr pipe nobody reads
//! cannot stop the events, and `--log-format json` wraps them as it does
//! every other line. At most `MOST_LINES` lines (and `MOST_BYTES`) wait
//! between two reads; more are counted as dropped, so a program that
//! calls `debug` in a loop cannot fill memory.

use std::cell::RefCell;

const MOST_LINES: usize = 1000;
const MOST_BYTES: usize = 1 << 20;

#[derive(Default)]
struct Noted {
    lines: Vec<String>,
    bytes: usize,
    dropped: u64,
}

thread_local! {
    static NOTED: RefCell<Noted> = RefCell::default();
}

/// Note one line a program wrote.
pub(super) fn note(line: String) {
    NOTED.with_borrow_mut(|n| {
        if n.lines.len() >= MOST_LINES || n.bytes.saturating_add(line.len()) > MOST_BYTES {
            n.dropped = n.dropped.saturating_add(1);
        } else {
            n.bytes += line.len();
            n.lines.push(line);
        }
    });
}

/// The lines noted since the last call, and how many were dropped.
pub fn take() -> (Vec<String>, u64) {
    NOTED.with_borrow_mut(|n| {
        if n.lines.is_empty() && n.dropped == 0 {
            return (Vec::new(), 0);
        }
        let taken = std::mem::take(n);
        (taken.lines, taken.dropped)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_until_taken_and_a_flood_is_counted() {
        assert_eq!(take(), (Vec::new(), 0));
        note("one".into());
        note("two".into());
        assert_eq!(take(), (vec!["one".to_string(), "two".to_string()], 0));
        for i in 0..MOST_LINES + 5 {
            note(i.to_string());
        }
        let (lines, dropped) = take();
        assert_eq!((lines.len(), dropped), (MOST_LINES, 5));
        note("x".repeat(MOST_BYTES + 1));
        assert_eq!(take(), (Vec::new(), 1));
    }
}
