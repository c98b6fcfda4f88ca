//! Latency of a lone event: a server sends 1,000 events a second, each
//! carrying its send time; a reader on ssetap's stdout pipe records arrival
//! minus send time.

use crate::Verdicts;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const EVENTS: u32 = 5000;

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

pub fn report(bin: &str, verdicts: &mut Verdicts) {
    println!("## Latency at 1,000 events/s ({EVENTS} events, `--format data` into a pipe)\n");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/stream", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let Ok((mut conn, _)) = listener.accept() else {
            return;
        };
        let _ = conn.set_nodelay(true);
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
        if conn.write_all(head).is_err() {
            return;
        }
        let start = Instant::now();
        for i in 0..EVENTS {
            let due = start + Duration::from_millis(u64::from(i) + 100);
            while let Some(left) = due.checked_duration_since(Instant::now()) {
                if left > Duration::from_micros(200) {
                    std::thread::sleep(left - Duration::from_micros(150));
                } else {
                    std::hint::spin_loop();
                }
            }
            let ev = format!("data: {}\n\n", now_ns());
            if conn.write_all(ev.as_bytes()).is_err() {
                return;
            }
        }
    });
    let mut child = match Command::new(bin)
        .args([&url, "--no-reconnect", "-q", "-f", "data"])
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("(cannot run ssetap: {e})\n");
            return;
        }
    };
    let mut lat: Vec<u128> = Vec::with_capacity(EVENTS as usize);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let arrived = now_ns();
            if let Ok(sent) = line.trim().parse::<u128>() {
                lat.push(arrived.saturating_sub(sent));
            }
        }
    }
    let _ = child.wait();
    if lat.is_empty() {
        println!("(no events arrived)\n");
        return;
    }
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize] as f64 / 1e3;
    let (p50, p99, max) = (pct(0.5), pct(0.99), *lat.last().unwrap_or(&0) as f64 / 1e3);
    println!("| events | p50 µs | p99 µs | max µs |\n|---|---|---|---|");
    println!("| {} | {p50:.0} | {p99:.0} | {max:.0} |\n", lat.len());
    verdicts.check(format!("latency p99 {p99:.0} µs ≤ 1000 µs"), p99 <= 1000.0);
}
