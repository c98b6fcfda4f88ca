//! der: the validity dates of a DER certificate, read by hand: webpki
//! checks them but does not expose them, and the --cacert path needs them
//! for a certificate it accepts without a chain.

/// notBefore and notAfter (Unix seconds) of a DER certificate.
pub fn validity(cert: &[u8]) -> Option<(u64, u64)> {
    let mut input = cert;
    let mut outer = expect(&mut input, 0x30)?;
    let mut tbs = expect(&mut outer, 0x30)?;
    let (mut tag, _) = tlv(&mut tbs)?;
    if tag == 0xa0 {
        // The version; the serial number follows.
        (tag, _) = tlv(&mut tbs)?;
    }
    if tag != 0x02 {
        return None;
    }
    expect(&mut tbs, 0x30)?; // signature algorithm
    expect(&mut tbs, 0x30)?; // issuer
    let mut validity = expect(&mut tbs, 0x30)?;
    let not_before = time(&mut validity)?;
    let not_after = time(&mut validity)?;
    Some((not_before, not_after))
}

/// One tag-length-value; returns the tag and the value, advancing `input`.
fn tlv<'a>(input: &mut &'a [u8]) -> Option<(u8, &'a [u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, after) = rest.split_at(n);
        rest = after;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    if rest.len() < len {
        return None;
    }
    let (value, after) = rest.split_at(len);
    *input = after;
    Some((tag, value))
}

fn expect<'a>(input: &mut &'a [u8], want: u8) -> Option<&'a [u8]> {
    match tlv(input)? {
        (tag, value) if tag == want => Some(value),
        _ => None,
    }
}

/// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), as Unix
/// seconds (0 for a time before 1970).
fn time(input: &mut &[u8]) -> Option<u64> {
    let (tag, value) = tlv(input)?;
    let text = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |s: &str| s.parse::<i64>().ok();
    let (year, rest) = match (tag, text.len()) {
        (0x17, 12) => {
            let yy = num(&text[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &text[2..])
        }
        (0x18, 14) => (num(&text[..4])?, &text[4..]),
        _ => return None,
    };
    let [month, day, hour, min, sec] = [0, 2, 4, 6, 8].map(|i| num(&rest[i..i + 2]).unwrap_or(-1));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + min * 60 + sec;
    Some(u64::try_from(secs).unwrap_or(0))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_to_unix_seconds() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2020, 1, 2), 18_263);
        let mut utc: &[u8] = b"\x17\x0d200102000000Z";
        assert_eq!(time(&mut utc), Some(1_577_923_200));
        let mut gen_time: &[u8] = b"\x18\x0f20500101000000Z";
        assert_eq!(time(&mut gen_time), Some(2_524_608_000));
        let mut old: &[u8] = b"\x17\x0d690101000000Z";
        assert_eq!(time(&mut old), Some(0));
        for bad in [
            &b"\x17\x0d201302000000Z"[..],
            b"\x17\x0d2001020000001",
            b"\x17\x02Z",
        ] {
            let mut b = bad;
            assert_eq!(time(&mut b), None, "{bad:?}");
        }
    }

    #[test]
    fn validity_is_read_from_a_certificate() {
        // Certificate { TBS { [0] v3, serial, alg, issuer, validity, ... } }
        let validity = b"\x30\x1e\x17\x0d200101000000Z\x17\x0d200102000000Z";
        let mut tbs = b"\xa0\x03\x02\x01\x02\x02\x01\x01\x30\x00\x30\x00".to_vec();
        tbs.extend_from_slice(validity);
        let mut cert = vec![0x30, tbs.len() as u8];
        cert.extend_from_slice(&tbs);
        let mut outer = vec![0x30, 0x81, cert.len() as u8];
        outer.extend_from_slice(&cert);
        assert_eq!(validity_of(&outer), Some((1_577_836_800, 1_577_923_200)));
        assert_eq!(validity_of(&outer[..outer.len() - 1]), None);
        assert_eq!(validity_of(b"junk"), None);
    }

    fn validity_of(der: &[u8]) -> Option<(u64, u64)> {
        validity(der)
    }
}
