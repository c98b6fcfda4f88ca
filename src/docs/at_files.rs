//! at_files: completion of `@FILE` values. `-d`, `--json` and `-H` take
//! either text or `@FILE`, which clap_complete cannot say: it offered file
//! names as the text itself (`-d Cargo.toml`, a body of ten letters) and
//! nothing after an `@`. Each shell's script is rewritten so that a value
//! that starts with `@` completes the file names after it, and other text
//! completes nothing.

use clap_complete::Shell;

/// The options whose value may be `@FILE`: (short, long, value name).
const AT_FILE: &[(Option<char>, &str, &str)] = &[
    (Some('d'), "data", "DATA|@FILE"),
    (None, "json", "DATA|@FILE"),
    (Some('H'), "header", "HEADER"),
];

/// The generated script with `@FILE` completion for `AT_FILE`'s options.
pub fn rewrite(script: &[u8], shell: Shell) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(script).into_owned();
    match shell {
        Shell::Bash => {
            let generic = "COMPREPLY=($(compgen -f \"${cur}\"))";
            let at = "if [[ \"${cur}\" == @* ]]; then\n                        \
                      COMPREPLY=($(compgen -f -P @ -- \"${cur#@}\"))\n                    fi";
            for &(short, long, _) in AT_FILE {
                let names = short.map(|s| format!("-{s}")).into_iter();
                for name in names.chain([format!("--{long}")]) {
                    let case = format!("                {name})\n                    {generic}");
                    let with = format!("                {name})\n                    {at}");
                    text = text.replace(&case, &with);
                }
            }
        }
        Shell::Zsh => {
            for &(_, _, value) in AT_FILE {
                text = text.replace(
                    &format!("]:{value}:_default'"),
                    &format!("]:{value}:{{compset -P @ && _files}}'"),
                );
            }
        }
        Shell::Fish => {
            let mut out = String::from(FISH_HELPER);
            for line in text.lines() {
                out.push_str(line);
                let takes_at = AT_FILE
                    .iter()
                    .any(|&(_, long, _)| line.contains(&format!(" -l {long} -d ")));
                if takes_at && line.ends_with(" -r") {
                    out.push_str(" -f -a '(__ssetap_at_files)'");
                }
                out.push('\n');
            }
            text = out;
        }
        _ => {}
    }
    text.into_bytes()
}

/// fish: the files after a token's leading `@`, each with the `@`.
const FISH_HELPER: &str = "\
function __ssetap_at_files
    set -l token (commandline -ct)
    string match -q -- '@*' $token; or return
    for path in (__fish_complete_path (string sub -s 2 -- $token))
        printf '@%s\\n' $path
    end
end
";
