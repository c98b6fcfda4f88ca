//! TEMPORARY STUB (replaced by the real formatter).
use crate::sse::Event;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Data,
    Sse,
}
#[derive(Debug, Clone)]
pub struct FormatOptions {
    pub format: Format,
    pub json_data: bool,
    pub timestamp: bool,
    pub color: bool,
}
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub not_json: bool,
}
pub struct Formatter {
    opts: FormatOptions,
}
impl Formatter {
    pub fn new(opts: FormatOptions) -> Formatter {
        Formatter { opts }
    }
    pub fn format(&self) -> Format {
        self.opts.format
    }
    pub fn event(
        &mut self,
        ev: &Event<'_>,
        _time: std::time::SystemTime,
        out: &mut Vec<u8>,
    ) -> Outcome {
        out.extend_from_slice(ev.data);
        out.push(b'\n');
        Outcome::default()
    }
    pub fn comment(&mut self, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(text);
    }
}
