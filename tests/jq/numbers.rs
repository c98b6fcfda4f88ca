//! Doubles in `--jq` outputs are spelled as Debian's jq 1.6 spells them,
//! checked on thousands of doubles from a fixed seed: bit patterns of every
//! magnitude, and short binary fractions (`m × 2^e`), where two shortest
//! spellings are often equally near and jq takes the even one.

use super::common::*;
use std::process::{Command, Stdio};

/// splitmix64: a fixed sequence, no dependency.
struct Seq(u64);

impl Seq {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn doubles(n: usize) -> Vec<f64> {
    let mut seq = Seq(20261207);
    let mut out = vec![
        700000000000000.2,
        4000000000000.0313,
        (1u64 << 50) as f64 + 0.25,
    ];
    while out.len() < n {
        let r = seq.next();
        let x = if out.len() % 2 == 0 {
            f64::from_bits(r)
        } else {
            let m = (r >> 11) as f64;
            let e = (seq.next() % 90) as i32 - 70;
            m * 2f64.powi(e)
        };
        if x.is_finite() {
            out.push(x);
        }
    }
    out
}

/// Each `x` of `xs` as an event's data `[x]`, run through `program` by
/// ssetap (on `.data`) and by jq: their lines, one per double.
fn both(program: &str, xs: &[f64]) -> (Vec<String>, Vec<String>) {
    let input: String = xs
        .iter()
        .map(|x| event(None, None, &format!("[{x:e}]")))
        .collect();
    let ours = run_with_stdin(
        &["-", "--jq", &format!(".data | {program}")],
        input.as_bytes(),
    );
    ours.assert_code(0);
    let mut child = Command::new("jq")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("jq (apt-get install jq)");
    let text: String = xs.iter().map(|x| format!("[{x:e}]\n")).collect();
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(text.as_bytes());
    });
    let theirs = child.wait_with_output().expect("jq");
    let _ = writer.join();
    let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
    let theirs: Vec<String> = theirs.lines().map(str::to_string).collect();
    assert_eq!(ours.lines().len(), xs.len());
    assert_eq!(theirs.len(), xs.len());
    (ours.lines(), theirs)
}

fn assert_same(xs: &[f64], ours: &[String], theirs: &[String]) {
    let differ: Vec<String> = xs
        .iter()
        .zip(ours.iter().zip(theirs))
        .filter(|(_, (o, t))| o != t)
        .map(|(x, (o, t))| format!("{x:e}: ssetap {o}, jq {t}"))
        .collect();
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ[..differ.len().min(20)].join("\n")
    );
}

#[test]
fn doubles_are_spelled_as_jq_spells_them() {
    let xs = doubles(20_000);
    let (ours, theirs) = both(".[0]", &xs);
    assert_same(&xs, &ours, &theirs);
    assert_eq!(theirs[0], "700000000000000.2");
    assert_eq!(theirs[1], "4000000000000.0312");
}

/// jq's floor, ceil and round give doubles: of a large one, written with
/// 17 significant digits (`1e+300`), not every digit (as big integers
/// were, about one double in four).
#[test]
fn floor_ceil_and_round_are_doubles_as_jq_has_them() {
    let xs = doubles(6_000);
    let (ours, theirs) = both("[.[0] | floor, ceil, round]", &xs);
    assert_same(&xs, &ours, &theirs);
}
