//! http::gzip: the gzip decoder for response bodies, ours rather than
//! ureq's: flate2's decoder parses the gzip header eagerly when it is
//! constructed, and ureq constructs it as soon as
//! the headers arrive; a read timeout in that first read is turned into a
//! clean end of body. We construct the decoder behind a gate that answers
//! `WouldBlock` until the first compressed bytes are buffered, so the header
//! is parsed lazily and every later error reaches us.

use super::BODY_BUFFER;
use std::io::{self, BufRead, BufReader, Read};

/// A gzip decoder that parses the header only once bytes are there.
pub fn gunzip<R: Read>(body: R) -> impl Read {
    let gate = LazyStart {
        inner: BufReader::with_capacity(BODY_BUFFER, body),
        open: false,
    };
    let mut decoder = flate2::bufread::MultiGzDecoder::new(gate);
    decoder.get_mut().open = true;
    decoder
}

struct LazyStart<R> {
    inner: BufReader<R>,
    open: bool,
}

impl<R: Read> Read for LazyStart<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for LazyStart<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.open {
            self.inner.fill_buf()
        } else if self.inner.buffer().is_empty() {
            Err(io::ErrorKind::WouldBlock.into())
        } else {
            Ok(self.inner.buffer())
        }
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A reader that returns a timeout first, then the bytes: the decoder
    /// must not have read at construction, and the timeout must surface.
    struct SlowStart {
        first: bool,
        data: io::Cursor<Vec<u8>>,
    }

    impl Read for SlowStart {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.first {
                self.first = false;
                return Err(io::ErrorKind::TimedOut.into());
            }
            self.data.read(buf)
        }
    }

    #[test]
    fn gunzip_reads_nothing_until_asked_and_reports_timeouts() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"data: hi\n\n").unwrap();
        let gz = enc.finish().unwrap();
        let mut r = gunzip(SlowStart {
            first: true,
            data: io::Cursor::new(gz),
        });
        let mut buf = [0u8; 64];
        let err = r.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"data: hi\n\n");
    }

    #[test]
    fn gunzip_reports_corrupt_input() {
        let mut r = gunzip(&b"\x1f\x8b\x08\x00garbage-garbage-garbage"[..]);
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
    }
}
