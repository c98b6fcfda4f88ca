//! `strftime`/`strflocaltime` formats as glibc reads them (jq 1.6 calls
//! glibc's `strftime`, in the C locale), rewritten for jaq's formatter
//! (jiff's `strtime`), which differs: its `%c` and `%x` are its own
//! locale-free forms, it knows conversions glibc does not (`%N`, `%q`,
//! `%Q`, `%f`, `%:z`…: glibc copies those as they are) and it refuses the
//! `E` and `O` modifiers and what it does not know (glibc copies them).

/// The conversions glibc knows (`%%` aside).
const GLIBC: &[u8] = b"aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ";
/// Those that glibc takes with `E` (which changes nothing in the C locale).
const WITH_E: &[u8] = b"cCnpPrRstTuxXyYzZ";
/// Those that glibc takes with `O` (likewise).
const WITH_O: &[u8] = b"bBCdegGhHIjklmMnpPrRsStTuUVwWyzZ";

/// `fmt` as glibc reads it, written for jiff's formatter: each conversion
/// glibc does not take is text (its `%` doubled), `%c` and `%x` are the C
/// locale's forms, `E`/`O` are dropped where glibc takes them, and the
/// `#` flag is as glibc's (names in capitals; `%#p` `pm`; `%#Z` in small
/// letters, which only `utc` can say here: the zone's name is jiff's).
pub(super) fn glibc_format(fmt: &str, utc: bool) -> String {
    let b = fmt.as_bytes();
    let mut out = String::with_capacity(fmt.len() + 8);
    let mut i = 0;
    while i < b.len() {
        let Some(rel) = b[i..].iter().position(|&c| c == b'%') else {
            out.push_str(&fmt[i..]);
            break;
        };
        out.push_str(&fmt[i..i + rel]);
        let start = i + rel;
        let mut j = start + 1;
        while j < b.len() && b"_-0^#".contains(&b[j]) {
            j += 1;
        }
        let flags = &fmt[start + 1..j];
        let w = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let width = &fmt[w..j];
        let modifier = match b.get(j) {
            Some(&m @ (b'E' | b'O')) => {
                j += 1;
                Some(m)
            }
            _ => None,
        };
        let Some(&conv) = b.get(j) else {
            // A `%` at the end: glibc copies what is left as it is.
            literal(&mut out, &fmt[start..]);
            break;
        };
        let taken = conv == b'%' && modifier.is_none()
            || GLIBC.contains(&conv)
                && match modifier {
                    None => true,
                    Some(b'E') => WITH_E.contains(&conv),
                    Some(_) => WITH_O.contains(&conv),
                };
        if !taken {
            // glibc copies the directive up to its last byte, which may
            // start a multi-byte character: copy up to a boundary.
            let mut end = j + 1;
            while !fmt.is_char_boundary(end) {
                end += 1;
            }
            literal(&mut out, &fmt[start..end]);
            i = end;
            continue;
        }
        i = j + 1;
        let upper = flags.contains('^');
        let swap = flags.contains('#');
        let plain: String = flags.chars().filter(|&c| c != '#').collect();
        match conv {
            // The C locale's forms.
            b'c' => {
                let case = if upper || swap { "^" } else { "" };
                out.push_str(&format!("%{case}a %{case}b %e %H:%M:%S %Y"));
            }
            b'x' => out.push_str("%m/%d/%y"),
            b'X' => out.push_str("%H:%M:%S"),
            b'a' | b'A' | b'b' | b'B' | b'h' if swap && !upper => {
                out.push_str(&format!("%^{plain}{width}{}", conv as char));
            }
            b'p' if swap => out.push_str(&format!("%{plain}{width}P")),
            b'Z' if swap && utc => out.push_str("utc"),
            _ => out.push_str(&format!("%{plain}{width}{}", conv as char)),
        }
    }
    out
}

/// `text` as it is, for jiff's formatter.
fn literal(out: &mut String, text: &str) {
    out.push_str(&text.replace('%', "%%"));
}

#[cfg(test)]
mod tests {
    use super::glibc_format;

    #[test]
    fn what_glibc_does_not_know_is_text() {
        for (fmt, jiff) in [
            ("%Q", "%%Q"),
            (
                "%q %N %f %i %J %K %L %v %o %+",
                "%%q %%N %%f %%i %%J %%K %%L %%v %%o %%+",
            ),
            ("%E", "%%E"),
            ("%O", "%%O"),
            ("%Ed %Oa", "%%Ed %%Oa"),
            ("%:z", "%%:z"),
            ("%3N", "%%3N"),
            ("%", "%%"),
            ("abc%", "abc%%"),
            ("%é", "%%é"),
            ("%%", "%%"),
        ] {
            assert_eq!(glibc_format(fmt, true), jiff, "{fmt}");
        }
    }

    #[test]
    fn the_c_locale_and_glibcs_modifiers_and_flags() {
        for (fmt, jiff) in [
            ("%c", "%a %b %e %H:%M:%S %Y"),
            ("%Ec", "%a %b %e %H:%M:%S %Y"),
            ("%x|%Ex|%X", "%m/%d/%y|%m/%d/%y|%H:%M:%S"),
            ("%Ez %Oz %EY %Od %-d %_5e", "%z %z %Y %d %-d %_5e"),
            ("%#a %#B %#p %#Z %#d", "%^a %^B %P utc %d"),
        ] {
            assert_eq!(glibc_format(fmt, true), jiff, "{fmt}");
        }
        assert_eq!(glibc_format("%#Z", false), "%Z");
    }
}
