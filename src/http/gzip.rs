//! http::gzip: the gzip decoder for response bodies, ours rather than
//! ureq's or flate2's `MultiGzDecoder`, for two reasons:
//! - nothing is read until the first `read`: flate2's decoder parses the
//!   header when it is built, and a read timeout there ended the body
//!   silently;
//! - bytes decoded before damage are delivered: flate2's `read` drops what
//!   the failing call had decoded, so events that arrived complete in the
//!   same read as corrupt bytes were lost. Here the decoded bytes are
//!   returned and the error comes with the next read, as a browser
//!   dispatches the events it decoded before the network error.
//!
//! The framing (RFC 1952: header, deflate, CRC-32 and length; members one
//! after another) is ours; deflate is flate2's `Decompress`.

use super::BODY_BUFFER;
use flate2::{Crc, Decompress, FlushDecompress, Status};
use std::io::{self, BufRead, BufReader, Read};

/// A header's optional parts (a file name, a comment) have no length
/// limit in the format; ours is generous and keeps a server from making
/// the header memory grow.
const HEADER_MAX: usize = 128 * 1024;

/// A gzip decoder that reads nothing until asked.
pub fn gunzip<R: Read>(body: R) -> impl Read {
    Gunzip {
        input: BufReader::with_capacity(BODY_BUFFER, body),
        part: Part::Header(Vec::new()),
        inflate: Decompress::new(false),
        crc: Crc::new(),
        error: None,
    }
}

enum Part {
    /// The bytes of a member's header seen so far (none: the body may end
    /// here).
    Header(Vec<u8>),
    Deflate,
    /// The bytes of a member's trailer seen so far.
    Trailer(Vec<u8>),
    End,
}

struct Gunzip<R> {
    input: BufReader<R>,
    part: Part,
    inflate: Decompress,
    crc: Crc,
    /// An error met after some bytes were decoded in the same call: the
    /// next read reports it.
    error: Option<io::Error>,
}

fn corrupt(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("corrupt gzip body: {why}"),
    )
}

/// The length of the gzip header at the start of `h`, once `h` holds all
/// of it; `None` while more bytes are needed.
fn header_len(h: &[u8]) -> io::Result<Option<usize>> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if h.first().is_some_and(|&b| b != 0x1f) || h.get(1).is_some_and(|&b| b != 0x8b) {
        return Err(corrupt("not gzip (bad magic bytes)"));
    }
    if h.get(2).is_some_and(|&b| b != 8) {
        return Err(corrupt("not deflate"));
    }
    let Some(&flags) = h.get(3) else {
        return Ok(None);
    };
    if flags & 0xe0 != 0 {
        return Err(corrupt("reserved header flags set"));
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(len) = h.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let Some(rest) = h.get(at..) else {
                return Ok(None);
            };
            match memchr::memchr(0, rest) {
                Some(nul) => at += nul + 1,
                None => return Ok(None),
            }
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok((h.len() >= at).then_some(at))
}

impl<R: Read> Gunzip<R> {
    /// Moves header bytes into `seen` until the header is whole.
    fn header(&mut self) -> io::Result<()> {
        let Part::Header(seen) = &mut self.part else {
            return Ok(());
        };
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                if seen.is_empty() {
                    // An empty body, or nothing after the last member.
                    self.part = Part::End;
                    return Ok(());
                }
                return Err(corrupt("the body ended inside a gzip header"));
            }
            let before = seen.len();
            seen.extend_from_slice(available);
            if let Some(len) = header_len(seen)? {
                self.input.consume(len - before);
                self.part = Part::Deflate;
                return Ok(());
            }
            let n = available.len();
            self.input.consume(n);
            if seen.len() > HEADER_MAX {
                return Err(corrupt("gzip header longer than 128 KiB"));
            }
        }
    }

    /// Moves the 8 trailer bytes into `seen` and checks them.
    fn trailer(&mut self) -> io::Result<()> {
        let Part::Trailer(seen) = &mut self.part else {
            return Ok(());
        };
        while seen.len() < 8 {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Err(corrupt("the body ended inside a gzip trailer"));
            }
            let n = available.len().min(8 - seen.len());
            seen.extend_from_slice(&available[..n]);
            self.input.consume(n);
        }
        let word = |i: usize| u32::from_le_bytes([seen[i], seen[i + 1], seen[i + 2], seen[i + 3]]);
        if word(0) != self.crc.sum() {
            return Err(corrupt("CRC-32 mismatch"));
        }
        if word(4) != self.crc.amount() {
            return Err(corrupt("length mismatch"));
        }
        // Another member may follow.
        self.inflate.reset(false);
        self.crc.reset();
        self.part = Part::Header(Vec::new());
        Ok(())
    }

    /// Decodes into `buf`: how many bytes, with the error met after them
    /// if any.
    fn deflate(&mut self, buf: &mut [u8]) -> (usize, Option<io::Error>) {
        loop {
            let available = match self.input.fill_buf() {
                Ok([]) => return (0, Some(corrupt("the body ended inside deflate data"))),
                Ok(available) => available,
                Err(e) => return (0, Some(e)),
            };
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(available, buf, FlushDecompress::None);
            // The totals move by at most the slices' lengths.
            let consumed = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            self.input.consume(consumed);
            self.crc.update(&buf[..produced]);
            match status {
                Ok(Status::StreamEnd) => {
                    self.part = Part::Trailer(Vec::with_capacity(8));
                    return (produced, None);
                }
                Ok(_) if produced > 0 => return (produced, None),
                Ok(_) if consumed > 0 => continue,
                Ok(_) => return (0, Some(corrupt("deflate data makes no progress"))),
                Err(e) => return (produced, Some(corrupt(&e.to_string()))),
            }
        }
    }
}

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.part {
                Part::Header(_) => self.header()?,
                Part::Trailer(_) => self.trailer()?,
                Part::End => return Ok(0),
                Part::Deflate => match self.deflate(buf) {
                    (0, Some(e)) => return Err(e),
                    (n, e) if n > 0 => {
                        self.error = e;
                        return Ok(n);
                    }
                    // The member ended with no byte in this call.
                    _ => continue,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests;
