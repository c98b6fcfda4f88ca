//! config::auth's tests: every way to authenticate, through the flags.

use super::super::tests::{header, is_usage, parse, parse_asking, parse_env};
use super::base64_encode;
use crate::config::Input;

#[test]
fn basic_auth_from_flag_env_or_url_and_secrets_are_collected() {
    let cfg = parse(&["http://h/", "-u", "ann:pw1"]).unwrap();
    assert_eq!(
        header(&cfg, "authorization").as_deref(),
        Some("Basic YW5uOnB3MQ==")
    );
    assert!(cfg.secrets.contains(&"pw1".to_string()));
    let cfg = parse_env(&["http://h/", "-u", "ann"], &[("SSETAP_PASSWORD", "pw1")]).unwrap();
    assert_eq!(
        header(&cfg, "authorization").as_deref(),
        Some("Basic YW5uOnB3MQ==")
    );
    let cfg = parse(&["http://ann:pw1@h/x"]).unwrap();
    assert_eq!(cfg.input, Input::Url("http://h/x".into()));
    assert_eq!(
        header(&cfg, "authorization").as_deref(),
        Some("Basic YW5uOnB3MQ==")
    );
    assert!(cfg.secrets.contains(&"YW5uOnB3MQ==".to_string()));
}

#[test]
fn a_user_without_a_password_is_asked_for_it_or_refused() {
    let never = |_: &str| -> std::io::Result<Option<String>> { panic!("asked") };
    let typed = |u: &str| Ok(Some(format!("{u}-typed")));
    // On a terminal: asked, and the answer is a secret.
    let cfg = parse_asking(&["http://h/", "-u", "carol"], &[], &typed).unwrap();
    // base64("carol:carol-typed")
    assert_eq!(
        header(&cfg, "authorization").as_deref(),
        Some("Basic Y2Fyb2w6Y2Fyb2wtdHlwZWQ=")
    );
    assert!(cfg.secrets.contains(&"carol-typed".to_string()));
    let cfg = parse_asking(&["http://carol@h/"], &[], &typed).unwrap();
    assert_eq!(
        header(&cfg, "authorization").as_deref(),
        Some("Basic Y2Fyb2w6Y2Fyb2wtdHlwZWQ=")
    );
    // Not asked when the password is given, empty on purpose, or in the
    // environment.
    for (args, vars) in [
        (vec!["http://h/", "-u", "carol:"], vec![]),
        (vec!["http://carol:@h/"], vec![]),
        (
            vec!["http://h/", "-u", "carol"],
            vec![("SSETAP_PASSWORD", "")],
        ),
    ] {
        let cfg = parse_asking(&args, &vars, &never).unwrap();
        // base64("carol:")
        assert_eq!(
            header(&cfg, "authorization").as_deref(),
            Some("Basic Y2Fyb2w6")
        );
    }
    // No terminal: a usage error that says what to do.
    let err = parse(&["http://h/", "-u", "carol"]).unwrap_err();
    assert!(is_usage(&err), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("-u carol has no password")
            && msg.contains("SSETAP_PASSWORD")
            && msg.contains("-u carol:"),
        "{msg}"
    );
    let err = parse(&["http://carol@h/"]).unwrap_err();
    assert!(
        is_usage(&err) && err.to_string().contains("carol:@"),
        "{err}"
    );
}

#[test]
fn bearer_from_flag_or_env() {
    let cfg = parse(&["http://h/", "--bearer", "tok123"]).unwrap();
    assert_eq!(
        header(&cfg, "authorization").as_deref(),
        Some("Bearer tok123")
    );
    assert!(cfg.secrets.contains(&"tok123".to_string()));
    let cfg = parse_env(&["http://h/"], &[]).unwrap();
    assert_eq!(header(&cfg, "authorization").as_deref(), None);
}

#[test]
fn one_way_to_authenticate() {
    let tok = ["--bearer-command", "echo t"];
    for other in [
        &["-u", "ann:pw"][..],
        &["--bearer", "b"],
        &[
            "--oauth2-token-url",
            "http://h/t",
            "--oauth2-client-id",
            "i",
        ],
    ] {
        let mut args = vec!["http://h/"];
        args.extend(tok);
        args.extend(other);
        assert!(parse(&args).is_err(), "{args:?}");
    }
    // Credentials in the URL and any token flag: clap cannot see the URL.
    for token in [
        &["--bearer", "b"][..],
        &["--bearer-command", "echo t"],
        &[
            "--oauth2-token-url",
            "http://h/t",
            "--oauth2-client-id",
            "i",
        ],
    ] {
        let mut args = vec!["http://a:b@h/"];
        args.extend_from_slice(token);
        let err = parse_env(&args, &[("SSETAP_OAUTH2_CLIENT_SECRET", "s")]).unwrap_err();
        assert!(is_usage(&err), "{err}");
        let want = format!("credentials in the URL and {} would send two", token[0]);
        assert!(err.to_string().contains(&want), "{err}");
    }
    let err = parse(&[
        "http://h/",
        "--bearer-command",
        "echo t",
        "-H",
        "Authorization: x",
    ]);
    assert!(is_usage(&err.unwrap_err()));
    // -H still wins over a fixed token, as before.
    let cfg = parse(&["http://h/", "--bearer", "b", "-H", "Authorization: x"]).unwrap();
    assert_eq!(header(&cfg, "authorization").as_deref(), Some("x"));
    assert!(parse(&["http://h/", "--bearer-refresh", "1m"]).is_err());
    let err = parse(&[
        "http://h/",
        "--bearer-command",
        "x",
        "--bearer-refresh",
        "10ms",
    ]);
    assert!(is_usage(&err.unwrap_err()));
}

#[test]
fn oauth2_needs_its_id_and_a_secret_from_env_or_file() {
    let base = ["http://h/", "--oauth2-token-url", "http://h/token"];
    assert!(parse(&base).is_err(), "the client ID is required");
    let mut args = base.to_vec();
    args.extend(["--oauth2-client-id", "me"]);
    let err = parse(&args).unwrap_err();
    assert!(
        is_usage(&err) && err.to_string().contains("SSETAP_OAUTH2_CLIENT_SECRET"),
        "{err}"
    );
    let cfg = parse_env(&args, &[("SSETAP_OAUTH2_CLIENT_SECRET", "s3cret-value")]).unwrap();
    assert!(matches!(cfg.request.auth, crate::http::Auth::OAuth2(_)));
    assert!(cfg.secrets.contains(&"s3cret-value".to_string()));
    // The Basic pair on the wire is a secret too.
    let pair = base64_encode(b"me:s3cret-value");
    assert!(cfg.secrets.contains(&pair));
    let dir = std::env::temp_dir().join(format!("ssetap-oauth2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("secret");
    std::fs::write(&file, "from-file\n").unwrap();
    let f = file.display().to_string();
    args.extend(["--oauth2-client-secret-file", &f]);
    let cfg = parse(&args).unwrap();
    assert!(cfg.secrets.contains(&"from-file".to_string()));
    let _ = std::fs::remove_dir_all(&dir);
    let err = parse(&[
        "http://h/",
        "--oauth2-token-url",
        "nope",
        "--oauth2-client-id",
        "i",
    ]);
    assert!(is_usage(&err.unwrap_err()));
    // No argv flag takes the secret.
    assert!(parse(&["http://h/", "--oauth2-client-secret", "x"]).is_err());
}

#[test]
fn base64_matches_rfc4648_vectors() {
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64_encode(plain.as_bytes()), enc);
    }
}
