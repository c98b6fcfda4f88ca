//! cmdline: hides the secrets given on the command line from other users
//! once clap has read them, as curl does. `ps` and `/proc/PID/cmdline`
//! show the process's own argument memory, so that memory is overwritten
//! in place with `*` (same length): the values of `--bearer`, the password
//! of `-u USER:PASSWORD` and of `https://user:password@host`, the values of
//! `-H` headers with a secret name, and of secret `--kafka-property`
//! settings. Until then (the first milliseconds) they are visible, which is
//! why the environment and files remain the better place for them.
//!
//! Which bytes are secret is decided by [`spans`], a pure function over the
//! arguments and the clap definition. Writing them is the only unsafe code
//! here, and exists only on Linux with glibc, which hands `argc`/`argv` to
//! the functions in `.init_array` (std's own `env::args` relies on the
//! same); elsewhere [`blank`] does nothing.

use std::ops::Range;

/// What part of an option's value is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// `--bearer TOKEN`: all of it.
    Whole,
    /// `-u USER:PASSWORD`: what follows the first ':'.
    Password,
    /// `-H 'Name: value'`: the value, when the name is a secret one.
    Header,
    /// `--kafka-property key=value`: the value, when the key is secret.
    Property,
    /// A URL: the password in `user:password@`.
    Url,
    /// `-x [SCHEME://]user:password@host`: the password.
    Proxy,
    /// Nothing.
    None,
}

/// How options are spelled: long and short names of the options that take
/// a value, and what of that value is secret.
struct Options {
    long: Vec<(String, Part)>,
    short: Vec<(char, Part)>,
}

impl Options {
    fn of(cmd: &clap::Command) -> Options {
        let mut o = Options {
            long: Vec::new(),
            short: Vec::new(),
        };
        for arg in cmd.get_arguments() {
            if arg.is_positional() || !arg.get_action().takes_values() {
                continue;
            }
            let part = match arg.get_id().as_str() {
                "bearer" => Part::Whole,
                "user" => Part::Password,
                "headers" => Part::Header,
                "kafka_properties" => Part::Property,
                "proxy" => Part::Proxy,
                _ => Part::None,
            };
            if let Some(l) = arg.get_long() {
                o.long.push((l.to_string(), part));
            }
            if let Some(s) = arg.get_short() {
                o.short.push((s, part));
            }
        }
        o
    }
}

/// The secret byte ranges, as (argument index, range in that argument),
/// of arguments that clap parsed successfully with `cmd` (argv[0] first).
pub fn spans(args: &[&[u8]], cmd: &clap::Command) -> Vec<(usize, Range<usize>)> {
    let opts = Options::of(cmd);
    let mut out = Vec::new();
    let mut found = |i: usize, offset: usize, value: &[u8], part: Part| {
        if let Some(r) = secret_part(value, part) {
            out.push((i, offset + r.start..offset + r.end));
        }
        if part == Part::Url {
            for r in crate::redact::query_secrets(value) {
                out.push((i, offset + r.start..offset + r.end));
            }
        }
    };
    let mut options_end = false;
    let mut i = 1;
    while i < args.len() {
        let arg = args[i];
        if options_end || arg == b"-" || !arg.starts_with(b"-") {
            found(i, 0, arg, Part::Url);
        } else if arg == b"--" {
            options_end = true;
        } else if let Some(long) = arg.strip_prefix(b"--") {
            let (name, inline) = match long.iter().position(|&b| b == b'=') {
                Some(eq) => (&long[..eq], Some(eq + 3)),
                None => (long, None),
            };
            let part = opts
                .long
                .iter()
                .find(|(l, _)| l.as_bytes() == name)
                .map(|(_, p)| *p);
            match (part, inline) {
                (Some(p), Some(start)) => found(i, start, &arg[start..], p),
                (Some(p), None) if i + 1 < args.len() => {
                    i += 1;
                    found(i, 0, args[i], p);
                }
                _ => {}
            }
        } else {
            // A cluster of short flags; the first that takes a value takes
            // the rest of the argument (after an optional '='), or the next.
            for (at, &b) in arg.iter().enumerate().skip(1) {
                let Some(&(_, p)) = opts.short.iter().find(|(s, _)| *s as u32 == u32::from(b))
                else {
                    continue;
                };
                let mut start = at + 1;
                if arg.get(start) == Some(&b'=') {
                    start += 1;
                }
                if start < arg.len() {
                    found(i, start, &arg[start..], p);
                } else if i + 1 < args.len() {
                    i += 1;
                    found(i, 0, args[i], p);
                }
                break;
            }
        }
        i += 1;
    }
    out
}

/// The secret range within one value.
fn secret_part(value: &[u8], part: Part) -> Option<Range<usize>> {
    let after = |sep: u8| {
        let at = value.iter().position(|&b| b == sep)?;
        Some(at + 1..value.len()).filter(|r| !r.is_empty())
    };
    let name_is = |sep: u8, secret: fn(&str) -> bool| {
        let at = value.iter().position(|&b| b == sep)?;
        secret(String::from_utf8_lossy(&value[..at]).trim()).then_some(())
    };
    match part {
        Part::Whole => Some(0..value.len()).filter(|r| !r.is_empty()),
        Part::Password => after(b':'),
        Part::Header if value.starts_with(b"@") => None,
        Part::Header => name_is(b':', crate::redact::is_secret_name).and_then(|()| after(b':')),
        Part::Property => {
            name_is(b'=', crate::redact::is_secret_property).and_then(|()| after(b'='))
        }
        Part::Url => url_password(value),
        Part::Proxy => crate::redact::password_span(value),
        Part::None => None,
    }
}

/// The password of `http(s)://user:password@host/…` (an argument without
/// one of these schemes is a file name, whatever it holds).
fn url_password(value: &[u8]) -> Option<Range<usize>> {
    let lower = value.to_ascii_lowercase();
    [&b"http://"[..], b"https://"]
        .iter()
        .any(|s| lower.starts_with(s))
        .then(|| crate::redact::password_span(value))?
}

/// Overwrite the secret parts of this process's arguments with `*`. Call
/// it once clap has copied them, before any other thread starts; nothing
/// may read `std::env::args` after it.
pub fn blank() {
    let Some(args) = saved::args() else {
        return;
    };
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    for (i, range) in spans(&refs, &crate::cli::command()) {
        saved::overwrite(i, range);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod saved {
    use std::ffi::{CStr, c_char, c_int};
    use std::ops::Range;
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

    static ARGC: AtomicUsize = AtomicUsize::new(0);
    static ARGV: AtomicPtr<*mut c_char> = AtomicPtr::new(std::ptr::null_mut());

    /// glibc calls each function in `.init_array` with (argc, argv, envp)
    /// before `main`; this one notes where the arguments live.
    #[used]
    #[unsafe(link_section = ".init_array.00099")]
    static SAVE: extern "C" fn(c_int, *mut *mut c_char, *const *const c_char) = save;

    extern "C" fn save(argc: c_int, argv: *mut *mut c_char, _env: *const *const c_char) {
        ARGC.store(usize::try_from(argc).unwrap_or(0), Ordering::Relaxed);
        ARGV.store(argv, Ordering::Relaxed);
    }

    /// A copy of the arguments as they are in memory now.
    pub fn args() -> Option<Vec<Vec<u8>>> {
        // Referring to SAVE keeps its object file, and so the
        // `.init_array` entry, in the link.
        let _ = std::hint::black_box(&SAVE);
        let argv = ARGV.load(Ordering::Relaxed);
        if argv.is_null() {
            return None;
        }
        let argc = ARGC.load(Ordering::Relaxed);
        // SAFETY: glibc passed argv with argc valid entries, each a
        // NUL-terminated string the process owns for its whole life.
        let args = (0..argc)
            .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes().to_vec())
            .collect();
        Some(args)
    }

    /// Overwrite bytes `range` of argument `i` with `*`, within its length.
    pub fn overwrite(i: usize, range: Range<usize>) {
        let argv = ARGV.load(Ordering::Relaxed);
        if argv.is_null() || i >= ARGC.load(Ordering::Relaxed) {
            return;
        }
        // SAFETY: as in `args`; the strings are writable (the kernel put
        // them on our stack), no reference to them is alive (std copies
        // them when asked), and the write stays before the NUL.
        unsafe {
            let arg = *argv.add(i);
            let len = CStr::from_ptr(arg).count_bytes();
            let end = range.end.min(len);
            if range.start < end {
                std::ptr::write_bytes(arg.add(range.start).cast::<u8>(), b'*', end - range.start);
            }
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod saved {
    pub fn args() -> Option<Vec<Vec<u8>>> {
        None
    }

    pub fn overwrite(_: usize, _: std::ops::Range<usize>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments with their secret parts starred.
    fn starred(args: &[&str]) -> Vec<String> {
        let mut all = vec!["ssetap"];
        all.extend_from_slice(args);
        let mut bytes: Vec<Vec<u8>> = all.iter().map(|a| a.as_bytes().to_vec()).collect();
        let refs: Vec<&[u8]> = all.iter().map(|a| a.as_bytes()).collect();
        for (i, r) in spans(&refs, &crate::cli::command()) {
            bytes[i][r].fill(b'*');
        }
        bytes[1..]
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn bearer_tokens_are_hidden_in_every_spelling() {
        assert_eq!(
            starred(&["http://h/", "--bearer", "tok1", "-v"]),
            ["http://h/", "--bearer", "****", "-v"]
        );
        assert_eq!(starred(&["--bearer=tok1", "x"]), ["--bearer=****", "x"]);
    }

    #[test]
    fn only_the_password_of_a_user_is_hidden() {
        assert_eq!(starred(&["-u", "ann:pw", "x"]), ["-u", "ann:**", "x"]);
        assert_eq!(starred(&["-uann:pw", "x"]), ["-uann:**", "x"]);
        assert_eq!(starred(&["-u=ann:pw", "x"]), ["-u=ann:**", "x"]);
        assert_eq!(starred(&["-vuann:pw", "x"]), ["-vuann:**", "x"]);
        assert_eq!(starred(&["-vu", "ann:pw", "x"]), ["-vu", "ann:**", "x"]);
        assert_eq!(starred(&["--user=ann:p:w", "x"]), ["--user=ann:***", "x"]);
        assert_eq!(starred(&["-u", "ann", "x"]), ["-u", "ann", "x"]);
    }

    #[test]
    fn url_passwords_are_hidden_wherever_the_url_stands() {
        assert_eq!(
            starred(&["https://ann:pw@h:8/p?q=a@b", "-v"]),
            ["https://ann:**@h:8/p?q=a@b", "-v"]
        );
        assert_eq!(starred(&["--", "HTTP://a:b@h/"]), ["--", "HTTP://a:*@h/"]);
        assert_eq!(starred(&["http://ann@h/"]), ["http://ann@h/"]);
        assert_eq!(starred(&["http://h/x:y@z"]), ["http://h/x:y@z"]);
    }

    #[test]
    fn secret_headers_and_kafka_properties_are_hidden() {
        assert_eq!(
            starred(&["-H", "X-Api-Key: k1", "-HAccept: a/b", "-H", "@f", "x"]),
            ["-H", "X-Api-Key:***", "-HAccept: a/b", "-H", "@f", "x"]
        );
        assert_eq!(
            starred(&[
                "x",
                "--kafka-property",
                "sasl.password=pw",
                "--kafka-property=acks=1"
            ]),
            [
                "x",
                "--kafka-property",
                "sasl.password=**",
                "--kafka-property=acks=1"
            ]
        );
    }

    #[test]
    fn values_of_other_options_are_left_alone() {
        assert_eq!(
            starred(&["x", "-e", "a:b", "-d", "http://a:b@h/", "-vX", "u:v"]),
            ["x", "-e", "a:b", "-d", "http://a:b@h/", "-vX", "u:v"]
        );
    }
}
