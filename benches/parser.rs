//! The SSE parser alone (no I/O, no formatting), fed 256 KiB reads as the
//! pipeline does: `cargo bench --bench parser`. Reports bytes/s per input.

#[path = "e2e/inputs.rs"]
#[allow(dead_code)]
mod inputs;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ssetap::sse::{Item, Parser};
use std::hint::black_box;

fn parse_all(input: &[u8]) -> u64 {
    let mut parser = Parser::new(16 << 20);
    let mut events = 0u64;
    for chunk in input.chunks(256 << 10) {
        let _ = parser.feed(chunk, |item| {
            if let Item::Event(ev) = item {
                events += 1;
                black_box(ev.data);
            }
            std::ops::ControlFlow::Continue(())
        });
    }
    events
}

fn parser(c: &mut Criterion) {
    let cases = [
        ("big events", inputs::big(32)),
        ("tiny events", inputs::tiny(1_000_000)),
        ("multi-line CRLF", inputs::multiline(32)),
    ];
    let mut group = c.benchmark_group("parser");
    group.sample_size(10);
    for (name, input) in &cases {
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(*name, |b| b.iter(|| parse_all(black_box(input))));
    }
    group.finish();
}

criterion_group!(benches, parser);
criterion_main!(benches);
