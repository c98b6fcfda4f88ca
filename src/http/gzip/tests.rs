use super::*;
use std::io::Write;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Hands out its bytes `step` at a time, as a network would.
struct Drip {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Drip {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Reads to the end in `size` reads: what came out, and the error if any.
fn drain(mut r: impl Read, size: usize) -> (Vec<u8>, Option<io::Error>) {
    let mut out = Vec::new();
    let mut buf = vec![0; size];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e)),
        }
    }
}

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
    let mut r = gunzip(SlowStart {
        first: true,
        data: io::Cursor::new(gz(b"data: hi\n\n")),
    });
    let mut buf = [0u8; 64];
    let err = r.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    assert_eq!(out, b"data: hi\n\n");
}

#[test]
fn members_decode_whatever_the_read_sizes() {
    let text: Vec<u8> = (0..5000u32)
        .flat_map(|i| format!("id: {i}\ndata: évènement {}\n\n", i * 7919).into_bytes())
        .collect();
    // Two members, the second with every optional header part.
    let mut body = gz(&text[..30_000]);
    let mut second = gz(&text[30_000..]);
    second[3] = 4 | 8 | 16 | 2;
    let mut head = second[..10].to_vec();
    head.extend_from_slice(&[3, 0, b'x', b'y', b'z']);
    head.extend_from_slice(b"name.sse\0a comment\0");
    let crc = {
        let mut c = Crc::new();
        c.update(&head);
        c.sum()
    };
    head.extend_from_slice(&(crc as u16).to_le_bytes());
    head.extend_from_slice(&second[10..]);
    body.extend_from_slice(&head);
    for (step, size) in [(1, 7), (3, 1), (13, 4096), (1 << 20, 1 << 16)] {
        let drip = Drip {
            data: body.clone(),
            at: 0,
            step,
        };
        let (out, err) = drain(gunzip(drip), size);
        assert!(err.is_none(), "{step}/{size}: {err:?}");
        assert!(
            out == text,
            "{step}/{size}: {} of {} bytes",
            out.len(),
            text.len()
        );
        let (theirs, _) = drain(flate2::read::MultiGzDecoder::new(&body[..]), 4096);
        assert!(theirs == text);
    }
}

#[test]
fn an_empty_body_is_an_empty_stream() {
    let (out, err) = drain(gunzip(&b""[..]), 64);
    assert!(out.is_empty() && err.is_none(), "{err:?}");
}

#[test]
fn bytes_decoded_before_damage_come_out_then_the_error() {
    let events = b"id: 1\ndata: one\n\nid: 2\ndata: two\n\n";
    let whole = gz(events);
    // A sync flush ends the deflate data written so far on a byte
    // boundary: what follows it is garbage in the same read.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(events).unwrap();
    enc.flush().unwrap();
    let mut damaged = enc.get_ref().clone();
    damaged.extend_from_slice(&[0xff; 64]);
    let mut bad_crc = whole.clone();
    let n = bad_crc.len();
    bad_crc[n - 8] ^= 1;
    let mut bad_len = whole.clone();
    bad_len[n - 1] ^= 1;
    let cases: [(&str, &[u8], &str); 5] = [
        ("garbage after a flush", &damaged, "corrupt gzip body"),
        (
            "a cut trailer",
            &whole[..n - 3],
            "ended inside a gzip trailer",
        ),
        (
            "a cut deflate stream",
            &damaged[..damaged.len() - 64],
            "ended inside deflate",
        ),
        ("a bad CRC", &bad_crc, "CRC-32 mismatch"),
        ("a bad length", &bad_len, "length mismatch"),
    ];
    for (name, body, why) in cases {
        let (out, err) = drain(gunzip(body), 1 << 16);
        assert_eq!(out, events, "{name}");
        let err = err.unwrap_or_else(|| panic!("{name}: no error"));
        assert!(err.to_string().contains(why), "{name}: {err}");
    }
}

#[test]
fn what_is_not_gzip_is_an_error_at_once() {
    for (body, why) in [
        (&b"data: not gzip\n\n"[..], "bad magic"),
        (&b"\x1f\x8b\x07"[..], "not deflate"),
        (&b"\x1f\x8b\x08\xe0"[..], "reserved"),
        (
            &b"\x1f\x8b\x08\x00garbage-garbage-garbage"[..],
            "corrupt gzip body",
        ),
        (
            &b"\x1f\x8b\x08\x08\0\0\0\0\0\0name"[..],
            "inside a gzip header",
        ),
    ] {
        let (out, err) = drain(gunzip(body), 64);
        assert!(out.is_empty());
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(why), "{body:?}: {err}");
    }
}

#[test]
fn an_endless_header_is_refused_at_its_cap() {
    let endless = io::repeat(b'n');
    let start: &[u8] = b"\x1f\x8b\x08\x08\0\0\0\0\0\0";
    let (_, err) = drain(gunzip(start.chain(endless)), 64);
    let err = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("longer than 128 KiB"), "{err}");
}
