//! The man page and shell completions are generated from the clap
//! definition and committed; this test fails when they are stale.
//! Regenerate with: SSETAP_UPDATE_DOCS=1 cargo test --test docs

use clap_complete::shells::{Bash, Fish, Zsh};
use std::path::Path;

fn man_page() -> Vec<u8> {
    let cmd = ssetap::cli::command();
    let man = clap_mangen::Man::new(cmd);
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    out.extend_from_slice(extra_section("EXAMPLES", ssetap::cli::EXAMPLES).as_bytes());
    out.extend_from_slice(extra_section("EXIT STATUS", ssetap::cli::EXIT_STATUS).as_bytes());
    man.render_version_section(&mut out).unwrap();
    out
}

/// A section from one of the --help texts: its first line is the heading
/// in --help, the rest is kept as preformatted text.
fn extra_section(title: &str, text: &str) -> String {
    let body: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.trim_start_matches("  ")
                .replace('\\', "\\e")
                .replace('-', "\\-")
        })
        .map(|l| {
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l
            }
        })
        .collect();
    format!(".SH \"{title}\"\n.nf\n{}\n.fi\n", body.join("\n"))
}

fn completion(shell: impl clap_complete::Generator) -> Vec<u8> {
    let mut cmd = ssetap::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "ssetap", &mut out);
    out
}

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
fn man_page_is_fresh() {
    ensure("man/ssetap.1", man_page());
}

#[test]
fn completions_are_fresh() {
    ensure("completions/ssetap.bash", completion(Bash));
    ensure("completions/ssetap.zsh", completion(Zsh));
    ensure("completions/ssetap.fish", completion(Fish));
}

#[test]
fn help_lists_examples_and_exit_codes() {
    let help = ssetap::cli::command().render_long_help().to_string();
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("130"), "{help}");
    let man = String::from_utf8(man_page()).unwrap();
    assert!(man.contains(".SH \"EXIT STATUS\""));
    assert!(man.contains("\\-\\-max\\-events") || man.contains("max\\-events"));
}
