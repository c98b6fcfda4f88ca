//! data: a tight loop over consecutive `data:` lines.
//!
//! Multi-line data is the one place where a stream has many lines in a row
//! that all do the same thing: append their value and an LF to the data
//! buffer. Going through `line` and `field` for each costs a field dispatch
//! and per-line state kept in memory; here a run of such lines is taken in
//! one loop that keeps the buffer's length in a register and finds each
//! line's end with one 64-byte mask from its value's start, the same 64
//! bytes it then copies into the buffer as one fixed-size block.
//!
//! The loop takes only what it can take without any of the parser's rarer
//! states: a further `data:` line of a pending event (the first is left to
//! `line`, which keeps a one-line event in the chunk) that is not oversized,
//! whose value is shorter than 64 bytes, whose value and terminator and one
//! byte after it (to tell CRLF from CR) lie in the chunk, and which keeps
//! the data within the cap. Anything else ends the run and is left to
//! `line`, which handles every case: the loop changes how fast lines are
//! taken, never what they mean.

use super::ends::full_mask;
use super::{Parser, append_line};

/// The bytes the loop reads from a value's start: its mask and its copy.
const BLOCK: usize = 64;

impl Parser {
    /// Take the run of further `data:` lines that starts at `pos` (a line
    /// start, no partial line), as far as the loop can (see the module
    /// comment); returns where the first line not taken starts (`pos` if
    /// none was).
    ///
    /// Not inlined: `lines` calls it once a run, and the loop gets the
    /// registers to itself.
    #[inline(never)]
    pub(super) fn data_lines(&mut self, chunk: &[u8], mut pos: usize) -> usize {
        // A line is taken only if `pos <= limit`: then its value's block
        // (from at most `pos + 6`) and the byte after it are in the chunk.
        let Some(limit) = chunk.len().checked_sub(6 + BLOCK + 1) else {
            return pos;
        };
        if self.oversized || pos > limit || chunk[pos..pos + 5] != *b"data:" {
            return pos;
        }
        // The pending data is now to be appended to: it must be in the buffer.
        self.keep_data(chunk);
        let max = self.max;
        let buf = &mut self.data;
        let mut len = buf.len();
        debug_assert_eq!(len, self.data_len);
        let mut base = buf.as_mut_ptr();
        let mut cap = buf.capacity();
        while pos <= limit {
            let head = &chunk[pos..pos + 6];
            if head[..5] != *b"data:" {
                break;
            }
            let start = pos + 5 + usize::from(head[5] == b' ');
            let Some(block) = chunk[start..].first_chunk::<BLOCK>() else {
                break;
            };
            let mask = full_mask(block);
            if mask == 0 {
                break;
            }
            let n = mask.trailing_zeros() as usize;
            let total = len + n + 1;
            if total > max {
                break;
            }
            if cap - len >= BLOCK {
                // SAFETY: `base` is the buffer's pointer and `cap` its
                // capacity (both re-read after any reallocation), `len` its
                // initialised length; the BLOCK bytes written at `len` lie
                // within the capacity (checked above) and come from
                // `block`, in the caller's chunk, which is not the buffer.
                // Bytes up to `len + n + 1` are then initialised: the `n`
                // of the value (n < BLOCK), then the LF.
                unsafe {
                    let dst = base.add(len);
                    std::ptr::copy_nonoverlapping(block.as_ptr(), dst, BLOCK);
                    dst.add(n).write(b'\n');
                }
            } else {
                // SAFETY: the first `len` bytes are initialised (as above).
                unsafe { buf.set_len(len) };
                append_line(buf, chunk, start, n, max);
                base = buf.as_mut_ptr();
                cap = buf.capacity();
            }
            len = total;
            let end = start + n;
            pos = end + 1 + usize::from(chunk[end] == b'\r' && chunk[end + 1] == b'\n');
        }
        // SAFETY: the first `len` bytes are initialised (see above), and
        // `len` is within the capacity.
        unsafe { buf.set_len(len) };
        self.data_len = len;
        pos
    }
}

#[cfg(test)]
mod tests;
