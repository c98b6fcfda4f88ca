//! Tests of `load`, on a pair made for them (P-256, openssl; no other use).

use super::*;

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBhzCCAS2gAwIBAgIUOfR1dNZYCiBhC+2q3Ev6DFw6Vn0wCgYIKoZIzj0EAwIw\nGDEWMBQGA1UEAwwNc3NldGFwLWNsaWVudDAgFw0yNjEyMDgwMjM3NTVaGA8yMTI2\nMTExNDAyMzc1NVowGDEWMBQGA1UEAwwNc3NldGFwLWNsaWVudDBZMBMGByqGSM49\nAgEGCCqGSM49AwEHA0IABKBD5NDt31wqR8wSU6oxHpwfaiddoV1REazN2TUzJLLT\nM8ObwCkkhIxJ2MC+tF7iHcvCVwQi3QbQj81SCeC1Q76jUzBRMB0GA1UdDgQWBBSI\nsJWEEjekXG0vpvZUkEsC/FGkmzAfBgNVHSMEGDAWgBSIsJWEEjekXG0vpvZUkEsC\n/FGkmzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCdLAfbKpjF\naxwtW1O3DFbbTj35VZACQHJoHtbPf59XJgIgZy8Fv3Inf5otw7H9K6BMrE1GTJ6Q\nGTbzhvjRf1S1i68=\n-----END CERTIFICATE-----\n";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgx4IlAMtyF5NXh1k7\nf/AONArrW1/cgEC8DBAe+QBP/uqhRANCAASgQ+TQ7d9cKkfMElOqMR6cH2onXaFd\nURGszdk1MySy0zPDm8ApJISMSdjAvrRe4h3LwlcEIt0G0I/NUgngtUO+\n-----END PRIVATE KEY-----\n";
/// The same key in SEC1 form (`openssl ec`).
const KEY_SEC1: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIMeCJQDLcheTV4dZO3/wDjQK61tf3IBAvAwQHvkAT/7qoAoGCCqGSM49\nAwEHoUQDQgAEoEPk0O3fXCpHzBJTqjEenB9qJ12hXVERrM3ZNTMkstMzw5vAKSSE\njEnYwL60XuIdy8JXBCLdBtCPzVIJ4LVDvg==\n-----END EC PRIVATE KEY-----\n";
/// The same key, encrypted (`openssl pkey -aes256`).
const KEY_ENCRYPTED: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhK/CvKxbwtmgICCAAw\nDAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEPPdFGOaqgE+W8b1dpb5fXEEgZCe\nT2ZKw0hPV5gRioRuiFwI44sk4DVCOvfgFbEz/Nrvpk4FazlFRoKxMYuxXxqHd3dk\nkzz3pgPNWj1ACvhaZ+MS9kfSpHaC1YeggiRGpjxXK7khI3VeTndVqlW4CgiY/UlP\nzpGuC/xMD0f4jHWAfK/lp/Ks6l6D8fgW4fzHBGZx9kZh0IFPLaetIcuXJCpbuYI=\n-----END ENCRYPTED PRIVATE KEY-----\n";
/// Another key's certificate.
const OTHER_CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBdjCCAR2gAwIBAgIUbBpQk9d3LstJVtPLHDgo23fn1GkwCgYIKoZIzj0EAwIw\nEDEOMAwGA1UEAwwFb3RoZXIwIBcNMjYxMjA4MDMyNDU5WhgPMjEyNjExMTQwMzI0\nNTlaMBAxDjAMBgNVBAMMBW90aGVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\nzbKVlgbWsY4wlBYe0tPZmZu1DqnSR3vlwfiTcNkxjLAnwbtIVAhq80U/ZJNeJ+Ei\nGRe0XdHrQIbm67sVhBfvmqNTMFEwHQYDVR0OBBYEFH4nHF9rkP8u5BkGzVL3m8tQ\nv1GdMB8GA1UdIwQYMBaAFH4nHF9rkP8u5BkGzVL3m8tQv1GdMA8GA1UdEwEB/wQF\nMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgR0TLcI9mHJP0XJH5CDW4oKCA/yOUZ5j/\n1ZplavKwbGoCIFcmM7OjAnLUrwHwyvHy8BmjnGA5a48XjKHV1gtSRG71\n-----END CERTIFICATE-----\n";
/// Another key.
const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgizlkmlTyXNUc7Wj7\nSRKagcZ2VF3N0jrl3oFcuwqBld2hRANCAATNspWWBtaxjjCUFh7S09mZm7UOqdJH\ne+XB+JNw2TGMsCfBu0hUCGrzRT9kk14n4SIZF7Rd0etAhubruxWEF++a\n-----END PRIVATE KEY-----\n";

fn file<'a>(flag: &'static str, bytes: &'a str) -> PemFile<'a> {
    PemFile {
        flag,
        path: if flag == "--cert" { "c.pem" } else { "k.pem" },
        bytes: bytes.as_bytes(),
    }
}

#[test]
fn a_certificate_and_its_key_in_one_file_or_two() {
    let both = format!("{CERT}{KEY}");
    let pair = load(&file("--cert", &both), None).unwrap();
    assert_eq!(pair.chain.len(), 1);
    let pair = load(&file("--cert", CERT), Some(&file("--cert-key", KEY))).unwrap();
    assert_eq!(pair.chain.len(), 1);
    // SEC1 ("EC PRIVATE KEY") is read as well as PKCS#8.
    load(&file("--cert", CERT), Some(&file("--cert-key", KEY_SEC1))).unwrap();
    // --cert-key wins over a key in the certificate's file.
    let with_other = format!("{CERT}{OTHER_KEY}");
    load(&file("--cert", &with_other), Some(&file("--cert-key", KEY))).unwrap();
}

#[test]
fn each_fault_is_one_line_naming_the_file() {
    let err = |cert: &str, key: Option<&str>| {
        let key = key.map(|k| file("--cert-key", k));
        load(&file("--cert", cert), key.as_ref()).unwrap_err()
    };
    assert_eq!(
        err(CERT, None),
        "--cert c.pem: no private key in the file; give it with --cert-key FILE"
    );
    assert_eq!(err(KEY, None), "--cert c.pem: no certificate in the file");
    assert_eq!(err("", None), "--cert c.pem: no certificate in the file");
    assert_eq!(
        err(CERT, Some(CERT)),
        "--cert-key k.pem: no private key in the file"
    );
    assert_eq!(
        err(CERT, Some(OTHER_KEY)),
        "--cert c.pem and --cert-key k.pem: the private key is not the certificate's"
    );
    let both_other = format!("{CERT}{OTHER_KEY}");
    assert_eq!(
        err(&both_other, None),
        "--cert c.pem: the private key is not the certificate's"
    );
    // Its key's certificate after another: the order is named.
    let misordered = format!("{OTHER_CERT}{CERT}");
    assert_eq!(
        err(&misordered, Some(KEY)),
        "--cert c.pem and --cert-key k.pem: the private key is not the certificate's: \
         it is a later certificate's; put the client's own first"
    );
    let encrypted = err(CERT, Some(KEY_ENCRYPTED));
    assert!(
        encrypted.starts_with("--cert-key k.pem: the private key is encrypted"),
        "{encrypted}"
    );
    let broken = CERT.replace("MII", "M!I");
    assert_eq!(err(&broken, None), "--cert c.pem: not a valid PEM file");
    for e in [err(CERT, Some(OTHER_KEY)), encrypted] {
        assert!(!e.contains("MII") && !e.contains('\n'), "{e}");
    }
}

#[test]
fn a_certificate_out_of_its_dates_is_a_warning() {
    let pair = load(&file("--cert", &format!("{CERT}{KEY}")), None).unwrap();
    // Made on 2026-12-08 for 100 years.
    assert_eq!(pair.dates_warning(1_800_000_000, "c.pem"), None);
    let before = pair.dates_warning(1_000_000_000, "c.pem").unwrap();
    assert!(
        before.starts_with("--cert c.pem is not valid before 2026-12-"),
        "{before}"
    );
    let after = pair
        .dates_warning(u64::from(u32::MAX) * 2, "c.pem")
        .unwrap();
    assert!(
        after.starts_with("--cert c.pem expired at 2126-"),
        "{after}"
    );
}

#[test]
fn debug_never_shows_the_key() {
    let pair = load(&file("--cert", &format!("{CERT}{KEY}")), None).unwrap();
    let shown = format!("{pair:?}");
    assert_eq!(shown, "ClientCert(1 certificates, key …)");
    assert!(pair.clone().chain == pair.chain);
}
