//! jq 1.6's builtins in `--jq`: every name/arity in Debian's jq's
//! `builtins` compiles (but those that read further inputs, which fail
//! with a reason), and a corpus that calls each of them on inputs of every
//! kind, compared with Debian's jq line by line.

use super::audit::AUDIT;
use super::common::*;
use super::corpus::{CORPUS, NOT_AS_DEBIAN};
use std::process::{Command, Stdio};

/// jq's input, wrapped so that its errors are `"ERR"`, one array per input.
fn program_for_jq(program: &str) -> String {
    format!("try [{program}] catch \"ERR\"")
}

fn events(inputs: &[&str]) -> String {
    inputs.iter().map(|i| event(None, None, i)).collect()
}

fn jq_on(program: &str, inputs: &[&str]) -> String {
    let mut child = Command::new("jq")
        .args(["-c", &program_for_jq(program)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jq (apt-get install jq)");
    let text = inputs.join("\n");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().expect("jq");
    let _ = writer.join();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        text.push_str(&format!(
            "(jq failed: {})",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    text
}

#[test]
fn the_corpus_agrees_with_debians_jq() {
    let mut mismatches = Vec::new();
    let mut seen = 0;
    for (program, inputs) in CORPUS.iter().chain(AUDIT) {
        let wrapped = format!("try [.data | {program}] catch \"ERR\"");
        let ours = run_with_stdin(&["-", "--jq", &wrapped], events(inputs).as_bytes());
        let theirs = jq_on(program, inputs);
        let ours_text = ours.stdout();
        let (ours_lines, theirs_lines): (Vec<&str>, Vec<&str>) =
            (ours_text.lines().collect(), theirs.lines().collect());
        for (i, input) in inputs.iter().enumerate() {
            seen += 1;
            let o = ours_lines.get(i).copied().unwrap_or("(nothing)");
            let t = theirs_lines.get(i).copied().unwrap_or("(nothing)");
            let expected = NOT_AS_DEBIAN
                .iter()
                .find(|(p, inp, _)| p == program && inp == input)
                .map_or(t, |(_, _, ours)| ours);
            if o != expected {
                mismatches.push(format!(
                    "{program} <- {input}\n  ssetap: {o}\n  jq:     {t}"
                ));
            }
        }
        if ours_lines.len() != inputs.len() {
            mismatches.push(format!("{program}: {ours_text}{}", ours.stderr));
        }
    }
    assert!(seen > 150, "{seen}");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Debian's jq's `builtins`: "name/arity".
fn debians_builtins() -> Vec<String> {
    let out = Command::new("jq")
        .args(["-nr", "builtins[]"])
        .output()
        .expect("jq (apt-get install jq)");
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    assert!(names.len() > 200, "{names:?}");
    names
}

/// A call of `name/arity` with `.` for each argument.
fn call(name_arity: &str) -> String {
    let (name, arity) = name_arity.split_once('/').expect("name/arity");
    let arity: usize = arity.parse().expect("arity");
    if arity == 0 {
        name.to_string()
    } else {
        format!("{name}({})", vec!["."; arity].join("; "))
    }
}

const READS_INPUTS: [&str; 3] = ["input/0", "inputs/0", "input_line_number/0"];

#[test]
fn every_jq_1_6_builtin_compiles_but_those_that_read_other_inputs() {
    let names = debians_builtins();
    // One program that calls them all (never run: `empty` comes first);
    // a name that does not compile is listed in the error.
    let calls: Vec<String> = names
        .iter()
        .filter(|n| !READS_INPUTS.contains(&n.as_str()))
        .map(|n| call(n))
        .collect();
    let program = format!("empty | ({})", calls.join(", "));
    let out = run(&["-", "--jq", &program]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for name in READS_INPUTS {
        let out = run(&["-", "--jq", &format!(".data | {}", call(name))]);
        out.assert_code(2);
        assert!(out.stderr.contains("no further inputs"), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
    let out = run(&["-", "--jq", "$__prog_args"]);
    out.assert_code(2);
    assert!(out.stderr.contains("no arguments"), "{}", out.stderr);
}

#[test]
fn builtins_lists_debians_but_those_that_read_other_inputs() {
    let mut expected = debians_builtins();
    expected.retain(|n| !READS_INPUTS.contains(&n.as_str()));
    let out = run_with_stdin(
        &["-", "--jq", "builtins | sort | .[]", "-f", "data"],
        event(None, None, "{}").as_bytes(),
    );
    out.assert_code(0);
    assert_eq!(out.lines(), expected);
}
