//! The man page and shell completions are generated from the clap
//! definition (`ssetap --generate KIND`, `ssetap::docs`) and committed;
//! these tests fail when the committed copies are stale, and check that the
//! installed binary prints the same bytes.
//! Regenerate with: SSETAP_UPDATE_DOCS=1 cargo test --test docs

mod common;

use ssetap::cli::GenerateArg;
use ssetap::docs::{FILES, render};
use std::path::Path;

fn ensure(path: &str, fresh: Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let current = std::fs::read(&path).unwrap_or_default();
    if current == fresh {
        return;
    }
    if std::env::var_os("SSETAP_UPDATE_DOCS").is_some() {
        std::fs::write(&path, fresh).unwrap();
        return;
    }
    panic!(
        "{} is stale: it no longer matches the clap definition in src/cli.rs.\n\
         Regenerate it with: SSETAP_UPDATE_DOCS=1 cargo test --test docs",
        path.display()
    );
}

#[test]
fn committed_man_page_and_completions_are_fresh() {
    for (kind, path) in FILES {
        ensure(path, render(*kind));
    }
}

#[test]
fn the_binary_prints_each_file() {
    for (kind, arg) in [
        (GenerateArg::Man, "man"),
        (GenerateArg::CompleteBash, "complete-bash"),
        (GenerateArg::CompleteZsh, "complete-zsh"),
        (GenerateArg::CompleteFish, "complete-fish"),
    ] {
        let out = common::run(&["--generate", arg]);
        out.assert_code(0);
        assert!(out.stderr.is_empty(), "{arg}: {}", out.stderr);
        assert!(
            out.stdout == render(kind),
            "--generate {arg} differs from docs::render"
        );
    }
}

#[test]
fn generate_ignores_the_environment_and_refuses_other_arguments() {
    // SSETAP_BROKERS counts as -b to clap; --generate must not see it.
    let mut cmd = common::ssetap(&["--generate=man"]);
    cmd.env("SSETAP_BROKERS", "localhost:9092")
        .env("SSETAP_BEARER_TOKEN", "t0ken");
    let out = common::Running::start(cmd).finish(common::run::LIMIT);
    out.assert_code(0);
    assert!(out.stdout().starts_with(".ie"), "{}", out.stdout());
    assert!(!out.stdout().contains("t0ken"));

    let out = common::run(&["--generate", "man", "http://127.0.0.1:9/"]);
    out.assert_code(2);
    assert!(out.stderr.contains("--generate"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let out = common::run(&["--generate", "powershell"]);
    out.assert_code(2);
    assert!(out.stderr.contains("complete-fish"), "{}", out.stderr);
    // Without --generate the input is still required.
    let out = common::run(&[]);
    out.assert_code(2);
    assert!(out.stderr.contains("URL|FILE|-"), "{}", out.stderr);
}

#[test]
fn help_lists_examples_and_exit_codes_and_no_env_values() {
    let help = ssetap::cli::command().render_long_help().to_string();
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("130"), "{help}");
    assert!(help.contains("--generate <KIND>"), "{help}");
    // An unset variable is not shown as "NAME=", a set one not at all.
    assert!(help.contains("[env: SSETAP_BROKERS]"), "{help}");
    assert!(!help.contains("SSETAP_BROKERS="), "{help}");
    let man = String::from_utf8(render(GenerateArg::Man)).unwrap();
    for section in [
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH EXAMPLES",
        ".SH OPTIONS",
    ] {
        assert!(man.contains(section), "{section}");
    }
    assert!(man.contains("\\-\\-max\\-events"));
}

/// Every `SSETAP_*` variable the sources name (tests' hooks aside) is in
/// the man page's ENVIRONMENT section.
#[test]
fn environment_section_names_every_variable_the_code_reads() {
    let man = String::from_utf8(render(GenerateArg::Man)).unwrap();
    let env = man
        .split(".SH ENVIRONMENT")
        .nth(1)
        .and_then(|s| s.split(".SH ").next())
        .expect("an ENVIRONMENT section");
    let mut names = std::collections::BTreeSet::new();
    collect_names(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut names,
    );
    assert!(names.contains("SSETAP_BROKERS"), "{names:?}");
    for name in &names {
        assert!(
            env.contains(&format!("\\fB{}\\fR", name.replace('-', "\\-"))),
            "{name} is read by ssetap but not in the man page's ENVIRONMENT; \
             add it to docs::ENVIRONMENT (or give its flag env = …)"
        );
    }
}

fn collect_names(dir: &Path, names: &mut std::collections::BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_names(&path, names);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("SSETAP_") {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.starts_with("SSETAP_TEST_") && name.len() > "SSETAP_".len() {
                names.insert(name);
            }
        }
    }
}

/// fish itself reads the committed completions: the value descriptions come
/// through whole (clap_complete leaves their double quotes unescaped).
/// Skipped where fish is not installed.
#[test]
fn fish_reads_the_value_descriptions_whole() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/ssetap.fish");
    let out = match std::process::Command::new("fish")
        .arg("--no-config")
        .arg("-c")
        .arg("source $argv[1]; complete -C 'ssetap --format '")
        .arg(&script)
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipped: no fish here");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("json\tOne JSON object per line: {\"event\":…,\"id\":…,\"data\":…}\n"),
        "{text}"
    );
    assert!(text.contains("sse\tCanonical SSE text"), "{text}");
}

/// What a shell offers for a command line, by running it on the committed
/// completions; None where the shell is not installed.
fn offered(shell: &str, line: &str) -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let words: Vec<&str> = line.split(' ').collect();
    let mut cmd = std::process::Command::new(shell);
    cmd.current_dir(root);
    match shell {
        "bash" => {
            let last = words.len() - 1;
            cmd.arg("-c").arg(format!(
                "source completions/ssetap.bash; COMP_WORDS=({line}); COMP_CWORD={last}; \
                 _ssetap ssetap '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                words[last],
                words[last - 1]
            ));
        }
        "fish" => {
            cmd.args(["--no-config", "-c"]).arg(format!(
                "source completions/ssetap.fish; complete -C '{line}'"
            ));
        }
        _ => {
            // zsh reads a completion function named for the command.
            let dir = common::Scratch::new("zsh-fpath");
            dir.write(
                "_ssetap",
                std::fs::read_to_string(root.join("completions/ssetap.zsh")).ok()?,
            );
            cmd.arg("-f")
                .arg("tests/helpers/zsh_complete.zsh")
                .arg(dir.dir())
                .arg(root)
                .arg(line)
                .arg("@Cargo.");
            let out = cmd.output().ok()?;
            return Some(String::from_utf8_lossy(&out.stdout).into_owned());
        }
    }
    let out = cmd.output().ok()?;
    assert!(out.status.success(), "{shell}: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `-d`, `--json` and `-H` take text or `@FILE`: after an `@` each shell
/// completes file names, and for text it offers none (clap_complete alone
/// offered file names as the text, and nothing after an `@`). A shell that
/// is not installed is skipped.
#[test]
fn at_file_values_complete_file_names_in_every_shell() {
    for shell in ["bash", "fish"] {
        let Some(files) = offered(shell, "ssetap -d @Carg") else {
            eprintln!("skipped: no {shell} here");
            continue;
        };
        assert!(files.contains("@Cargo.toml\n"), "{shell}: {files:?}");
        let headers = offered(shell, "ssetap -H @src/cl").unwrap_or_default();
        assert!(headers.contains("@src/cli.rs\n"), "{shell}: {headers:?}");
        let json = offered(shell, "ssetap --json @Carg").unwrap_or_default();
        assert!(json.contains("@Cargo.lock\n"), "{shell}: {json:?}");
        let text = offered(shell, "ssetap -d Carg").unwrap_or_default();
        assert!(!text.contains("Cargo"), "{shell}: {text:?}");
    }
    match offered("zsh", "ssetap -d @Carg") {
        // The common prefix of Cargo.toml and Cargo.lock, typed in.
        Some(screen) => assert!(screen.contains("ssetap -d @Cargo."), "zsh: {screen:?}"),
        None => eprintln!("skipped: no zsh here"),
    }
}
