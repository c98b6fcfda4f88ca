use super::*;
use std::io;
use std::time::SystemTime;

/// A writer that takes `room` bytes, then fails every write.
struct Full {
    taken: Vec<u8>,
    room: usize,
}

impl Full {
    /// An output that takes `room` bytes, then fails.
    fn with_room(room: usize) -> Full {
        Full {
            taken: Vec::new(),
            room,
        }
    }
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.room - self.taken.len());
        if n == 0 {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        self.taken.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Output for Full {
    fn cut_back(&mut self, extra: u64) -> Cut {
        self.taken.cut_back(extra)
    }
}

fn built<W: Output>(s: &mut Writer<W>, seq: u64, text: &str) -> Result<()> {
    let start = s.buffer().len();
    s.buffer().extend_from_slice(text.as_bytes());
    s.buffer().push(b'\n');
    let rec = Record {
        seq,
        value: Value::Built(start),
        event: None,
        time: SystemTime::UNIX_EPOCH,
        last: true,
        key: crate::record::Key::FromEvent,
    };
    s.record(&rec, &[])
}

fn verbatim<W: Output>(s: &mut Writer<W>, seq: u64, chunk: &[u8], bytes: &[u8]) -> Result<()> {
    let rec = Record {
        seq,
        value: Value::Verbatim(bytes),
        event: None,
        time: SystemTime::UNIX_EPOCH,
        last: true,
        key: crate::record::Key::FromEvent,
    };
    s.record(&rec, chunk)
}

#[test]
fn records_are_written_at_flush_and_counted_then() {
    let mut s = Writer::new(Vec::new());
    built(&mut s, 1, "a").unwrap();
    built(&mut s, 2, "b").unwrap();
    assert_eq!(s.written(), 0);
    assert!(s.get_ref().is_empty());
    s.flush().unwrap();
    assert_eq!(s.written(), 2);
    assert_eq!(s.get_ref(), b"a\nb\n");
}

#[test]
fn verbatim_bytes_in_the_chunk_are_written_from_it_in_order() {
    let one = "1".repeat(BORROW_MIN);
    let two = "2".repeat(BORROW_MIN);
    let chunk = format!("data: {one}\n\ndata: {two}\n\n").into_bytes();
    let (a, b) = (6, 6 + BORROW_MIN);
    let (c, d) = (b + 8, b + 8 + BORROW_MIN);
    let mut s = Writer::new(Vec::new());
    built(&mut s, 1, "{x}").unwrap();
    verbatim(&mut s, 2, &chunk, &chunk[a..b]).unwrap();
    verbatim(&mut s, 3, &chunk, &chunk[c..d]).unwrap();
    let elsewhere = b"three".to_vec();
    verbatim(&mut s, 4, &chunk, &elsewhere).unwrap();
    s.release(&chunk).unwrap();
    assert_eq!(s.written(), 4);
    let want = format!("{{x}}\n{one}\n{two}\nthree\n");
    assert_eq!(s.get_ref(), want.as_bytes());
}

#[test]
fn a_failed_write_never_counts_and_nothing_after_it_does() {
    let mut s = Writer::new(Full::with_room(0));
    built(&mut s, 1, "a").unwrap();
    let err = s.flush().unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot write to stdout"),
        "{err:#}"
    );
    assert_eq!(s.written(), 0);
    built(&mut s, 2, "b").unwrap();
    s.flush().unwrap();
    assert_eq!(s.written(), 0, "a later flush must not count lost records");
}

#[test]
fn a_partial_write_does_not_count_the_batch() {
    let mut s = Writer::new(Full::with_room(5));
    built(&mut s, 1, "abc").unwrap();
    s.flush().unwrap();
    assert_eq!(s.written(), 1);
    built(&mut s, 2, "def").unwrap();
    assert!(s.flush().is_err());
    assert_eq!(s.written(), 1);
    assert_eq!(
        s.get_ref().taken,
        b"abc\n",
        "the part of event 2 is taken back"
    );
}

#[test]
fn a_failed_batch_is_taken_back_to_the_last_event_counted() {
    // Two whole events and part of a third reach the output in one write.
    let mut s = Writer::new(Full::with_room(8));
    built(&mut s, 1, "a").unwrap();
    s.flush().unwrap();
    built(&mut s, 2, "bb").unwrap();
    built(&mut s, 3, "cccc").unwrap();
    assert!(s.flush().is_err());
    assert_eq!(s.written(), 1);
    assert_eq!(s.get_ref().taken, b"a\n", "the state names event 1");
}

#[test]
fn records_of_an_event_written_before_the_failure_are_taken_back_too() {
    let mut s = Writer::new(Full::with_room(9));
    let part = |s: &mut Writer<Full>, seq: u64, text: &str, last: bool| {
        let start = s.buffer().len();
        s.buffer().extend_from_slice(text.as_bytes());
        let rec = Record {
            seq,
            value: Value::Built(start),
            event: None,
            time: SystemTime::UNIX_EPOCH,
            last,
            key: crate::record::Key::FromEvent,
        };
        s.record(&rec, &[])
    };
    part(&mut s, 1, "a\n", true).unwrap();
    part(&mut s, 2, "b1\n", false).unwrap();
    s.flush().unwrap();
    assert_eq!(s.written(), 1);
    part(&mut s, 2, "b2\n", false).unwrap();
    part(&mut s, 2, "b3\n", true).unwrap();
    assert!(s.flush().is_err());
    assert_eq!(s.written(), 1);
    assert_eq!(s.get_ref().taken, b"a\n", "event 2's first records go too");
}

#[test]
fn borrowed_bytes_are_counted_exactly_when_taken_back() {
    let one = "1".repeat(BORROW_MIN);
    let two = "2".repeat(BORROW_MIN);
    let chunk = format!("data: {one}\n\ndata: {two}\n\n").into_bytes();
    let (a, b) = (6, 6 + BORROW_MIN);
    let (c, d) = (b + 8, b + 8 + BORROW_MIN);
    let mut s = Writer::new(Full::with_room(2 * BORROW_MIN));
    built(&mut s, 1, "x").unwrap();
    s.flush().unwrap();
    verbatim(&mut s, 2, &chunk, &chunk[a..b]).unwrap();
    verbatim(&mut s, 3, &chunk, &chunk[c..d]).unwrap();
    assert!(s.release(&chunk).is_err());
    assert_eq!(s.get_ref().taken, b"x\n");
}

#[test]
fn a_failed_writev_does_not_count() {
    let chunk = vec![b'x'; 600];
    let mut s = Writer::new(Full::with_room(100));
    verbatim(&mut s, 1, &chunk, &chunk[..300]).unwrap();
    assert!(s.release(&chunk).is_err());
    assert_eq!(s.written(), 0);
}

#[test]
fn a_full_buffer_is_written_mid_chunk() {
    let mut s = Writer::new(Vec::new());
    let big = "y".repeat(HIGH_WATER);
    built(&mut s, 1, &big).unwrap();
    assert_eq!(s.written(), 1);
    assert_eq!(s.get_ref().len(), HIGH_WATER + 1);
}

#[test]
fn several_records_of_one_event_count_once_all_are_written() {
    let mut s = Writer::new(Vec::new());
    built(&mut s, 1, "a").unwrap();
    built(&mut s, 1, "b").unwrap();
    s.flush().unwrap();
    assert_eq!(s.written(), 1);
}

#[test]
fn an_event_counts_as_written_only_with_its_last_record() {
    let mut s = Writer::new(Vec::new());
    let part = |s: &mut Writer<Vec<u8>>, seq: u64, last: bool| {
        let start = s.buffer().len();
        s.buffer().extend_from_slice(b"x\n");
        let rec = Record {
            seq,
            value: Value::Built(start),
            event: None,
            time: SystemTime::UNIX_EPOCH,
            last,
            key: crate::record::Key::FromEvent,
        };
        s.record(&rec, &[]).unwrap();
    };
    part(&mut s, 1, false);
    s.flush().unwrap();
    assert_eq!(s.written(), 0);
    part(&mut s, 1, true);
    part(&mut s, 2, false);
    s.flush().unwrap();
    assert_eq!(s.written(), 1);
    part(&mut s, 2, true);
    s.flush().unwrap();
    assert_eq!(s.written(), 2);
    assert_eq!(s.get_ref().len(), 8);
}

#[test]
fn short_verbatim_bytes_are_copied_long_ones_get_an_iovec() {
    let chunk = b"data: one\n\n".to_vec();
    let mut s = Writer::new(Vec::new());
    verbatim(&mut s, 1, &chunk, &chunk[6..9]).unwrap();
    assert!(s.pieces.is_empty(), "{:?}", s.pieces);
    let long = vec![b'y'; BORROW_MIN];
    verbatim(&mut s, 2, &long, &long[..]).unwrap();
    assert_eq!(s.pieces.len(), 2, "{:?}", s.pieces);
    s.release(&long).unwrap();
    assert_eq!(s.get_ref().len(), 4 + BORROW_MIN + 1);
}

#[test]
fn a_file_is_cut_only_where_our_last_write_ended() {
    let path = std::env::temp_dir().join(format!("ssetap-cut-{}", std::process::id()));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"whole\npart").unwrap();
    assert!(matches!(f.cut_back(4), Cut::Done));
    f.write_all(b"next\npa").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"whole\nnext\npa", "no hole");
    // Someone else appends: the end is no longer ours.
    let mut other = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    other.write_all(b"theirs\n").unwrap();
    assert!(matches!(f.cut_back(2), Cut::Grown));
    assert_eq!(std::fs::read(&path).unwrap(), b"whole\nnext\npatheirs\n");
    let _ = std::fs::remove_file(&path);
    let mut null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    assert!(matches!(null.cut_back(1), Cut::NotAFile));
}
