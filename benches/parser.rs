//! The SSE parser alone (no I/O, no formatting), fed 256 KiB reads as the
//! pipeline does, and the formatter alone on the parsed big events:
//! `cargo bench --bench parser`. Reports bytes/s of input per case.

#[path = "e2e/inputs.rs"]
#[allow(dead_code)]
mod inputs;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ssetap::format::{Format, FormatOptions, Formatter};
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

/// The big events, parsed once: (type, id, data) of each.
fn parsed(input: &[u8]) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let mut parser = Parser::new(16 << 20);
    let mut events = Vec::new();
    let _ = parser.feed(input, |item| {
        if let Item::Event(ev) = item {
            events.push((ev.event_type.to_vec(), ev.id.to_vec(), ev.data.to_vec()));
        }
        std::ops::ControlFlow::Continue(())
    });
    events
}

fn formatter(c: &mut Criterion) {
    // 1 MB of events, formatted 32 times: like the pipeline, which formats
    // an event just after parsing it, the input is in cache.
    for (group_name, input) in [
        ("format big events", inputs::big(1)),
        ("format tiny events", inputs::tiny(50_000)),
        ("format multi-line events", inputs::multiline(1)),
        ("format varied-shape events", inputs::varied(1)),
    ] {
        format_group(c, group_name, &input);
    }
}

fn format_group(c: &mut Criterion, group_name: &str, input: &[u8]) {
    let events = parsed(input);
    let mut group = c.benchmark_group(group_name);
    group.sample_size(10);
    group.throughput(Throughput::Bytes(32 * input.len() as u64));
    for (name, format, json_data) in [
        ("json", Format::Json, false),
        ("json-data", Format::Json, true),
        ("data", Format::Data, false),
    ] {
        let mut fmt = Formatter::new(FormatOptions {
            format,
            json_data,
            timestamp: false,
            color: false,
        });
        let mut out = Vec::with_capacity(256 << 10);
        let now = std::time::SystemTime::now();
        group.bench_function(name, |b| {
            b.iter(|| {
                for (event_type, id, data) in events.iter().cycle().take(32 * events.len()) {
                    let ev = ssetap::sse::Event {
                        event_type,
                        id,
                        data,
                        has_own_id: true,
                        previous_id: b"",
                    };
                    let _ = fmt.event(&ev, now, &mut out);
                    if out.len() >= 64 << 10 {
                        black_box(&out);
                        out.clear();
                    }
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parser, formatter);
criterion_main!(benches);
