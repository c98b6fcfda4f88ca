use super::*;

const S: fn(u64) -> Duration = Duration::from_secs;
const MS: fn(u64) -> Duration = Duration::from_millis;

fn policy(resend: Resend) -> Policy {
    Policy {
        retry: S(3),
        retry_max: S(30),
        max_retries: None,
        resend,
    }
}

fn refused() -> Ending {
    Ending::Refused {
        why: "HTTP 503".into(),
        after: None,
    }
}

#[test]
fn first_wait_is_the_reconnection_time() {
    assert_eq!(delay(1, S(3), S(30), 0.9, None), S(3));
}

#[test]
fn waits_double_up_to_the_maximum() {
    assert_eq!(delay(2, S(3), S(30), 0.0, None), S(6));
    assert_eq!(delay(3, S(3), S(30), 0.0, None), S(12));
    assert_eq!(delay(4, S(3), S(30), 0.0, None), S(24));
    assert_eq!(delay(5, S(3), S(30), 0.0, None), S(30));
    assert_eq!(delay(1000, S(3), S(30), 0.0, None), S(30));
}

#[test]
fn jitter_shortens_by_at_most_a_quarter() {
    let d = delay(9, S(3), S(30), 0.999, None);
    assert!(d >= MS(22_500) && d < S(30), "{d:?}");
}

#[test]
fn a_longer_retry_after_wins() {
    assert_eq!(delay(7, S(3), S(30), 0.5, Some(S(120))), S(120));
    assert_eq!(delay(1, S(3), S(30), 0.5, Some(S(1))), S(1));
}

#[test]
fn a_server_retry_above_the_maximum_is_kept() {
    assert_eq!(delay(3, S(60), S(30), 0.0, None), S(60));
}

#[test]
fn a_zero_reconnection_time_still_backs_off_from_the_floor() {
    let waits: Vec<Duration> = (1..=6).map(|f| delay(f, S(0), S(30), 0.0, None)).collect();
    assert_eq!(
        waits,
        vec![MS(100), MS(200), MS(400), MS(800), MS(1600), MS(3200)]
    );
    assert_eq!(delay(40, S(0), S(30), 0.999, None), S(30));
    // Retry-After: 0 cannot make it hammer either.
    assert_eq!(delay(3, S(0), S(30), 0.0, Some(S(0))), MS(400));
}

#[test]
fn the_floor_holds_under_any_jitter_and_maximum() {
    for f in 1..30 {
        for max in [S(0), MS(50), S(30)] {
            let d = delay(f, MS(1), max, 0.999, None);
            assert!(d >= FLOOR, "{f} {max:?} {d:?}");
        }
    }
}

#[test]
fn a_server_retry_of_zero_does_not_disable_the_backoff() {
    let mut r = Reconnector::new(policy(Resend::Always));
    r.begin();
    r.set_retry(0);
    let mut total = Duration::ZERO;
    for _ in 0..10 {
        r.begin();
        match r.after(&refused(), 0.0) {
            Next::Wait(d) => total += d,
            other => panic!("{other:?}"),
        }
    }
    assert!(total >= S(30), "{total:?}");
}

#[test]
fn max_retries_allows_n_reconnects_then_gives_up() {
    let mut r = Reconnector::new(Policy {
        max_retries: Some(2),
        ..policy(Resend::Always)
    });
    for _ in 0..2 {
        r.begin();
        assert!(matches!(r.after(&refused(), 0.0), Next::Wait(_)));
    }
    r.begin();
    match r.after(&refused(), 0.0) {
        Next::GiveUp(msg) => assert!(msg.contains("giving up after 2 retries"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.reconnects(), 2);
}

#[test]
fn one_retry_is_singular() {
    let mut r = Reconnector::new(Policy {
        max_retries: Some(1),
        ..policy(Resend::Always)
    });
    r.begin();
    r.after(&refused(), 0.0);
    r.begin();
    match r.after(&refused(), 0.0) {
        Next::GiveUp(msg) => assert!(msg.contains("after 1 retry "), "{msg}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn progress_resets_the_backoff() {
    let mut r = Reconnector::new(policy(Resend::Always));
    for _ in 0..3 {
        r.begin();
        r.after(&refused(), 0.0);
    }
    r.progress();
    r.begin();
    assert_eq!(r.after(&Ending::Ended, 0.0), Next::Wait(S(3)));
}

#[test]
fn a_one_shot_request_ends_with_its_stream() {
    let mut r = Reconnector::new(policy(Resend::OneShot));
    r.begin();
    assert!(matches!(r.after(&Ending::Ended, 0.0), Next::Done(_)));
    match r.after(&Ending::Lost("connection reset".into()), 0.0) {
        Next::GiveUp(msg) => assert!(msg.contains("--reconnect to resend"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // Before any stream, a refusal is retried: nothing was streamed yet.
    assert!(matches!(r.after(&refused(), 0.0), Next::Wait(_)));
}

#[test]
fn no_reconnect_ends_cleanly_or_fails() {
    let mut r = Reconnector::new(policy(Resend::Never));
    r.begin();
    assert!(matches!(r.after(&Ending::Ended, 0.0), Next::Done(_)));
    assert!(matches!(r.after(&refused(), 0.0), Next::GiveUp(_)));
}

#[test]
fn reconnects_are_requests_after_the_first() {
    let mut r = Reconnector::new(policy(Resend::Always));
    assert_eq!(r.reconnects(), 0);
    r.begin();
    assert_eq!(r.reconnects(), 0);
    r.begin();
    assert_eq!(r.reconnects(), 1);
}

#[test]
fn server_waits_are_cut_to_the_ceiling() {
    assert_eq!(cap(S(31_536_000), S(3600)), (S(3600), true));
    assert_eq!(cap(S(3600), S(3600)), (S(3600), false));
    assert_eq!(cap(S(7), S(3600)), (S(7), false));
    let r = Reconnector::new(policy(Resend::Always));
    assert_eq!(r.ceiling(), SERVER_WAIT_MAX);
    assert_eq!(r.server_wait(S(u64::MAX)), (SERVER_WAIT_MAX, true));
    let long = Reconnector::new(Policy {
        retry_max: S(7200),
        ..policy(Resend::Always)
    });
    assert_eq!(long.ceiling(), S(7200), "--retry-max raises the ceiling");
}

#[test]
fn a_huge_retry_field_is_cut_and_said_once() {
    let mut r = Reconnector::new(policy(Resend::Always));
    assert_eq!(r.set_retry(u64::MAX), Some(SERVER_WAIT_MAX));
    assert_eq!(r.retry(), SERVER_WAIT_MAX);
    assert_eq!(r.set_retry(u64::MAX), None, "said once");
    assert_eq!(r.set_retry(5000), None);
    assert_eq!(r.retry(), S(5));
    r.begin();
    r.set_retry(u64::MAX);
    for _ in 0..40 {
        r.begin();
        match r.after(&refused(), 0.999) {
            Next::Wait(d) => assert!(d <= SERVER_WAIT_MAX, "{d:?}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_huge_retry_after_is_cut_even_if_not_capped_before() {
    let mut r = Reconnector::new(policy(Resend::Always));
    r.begin();
    let huge = Ending::Refused {
        why: "HTTP 503".into(),
        after: Some(Duration::MAX),
    };
    assert_eq!(r.after(&huge, 0.0), Next::Wait(SERVER_WAIT_MAX));
}

#[test]
fn delays_never_overflow_whatever_the_numbers() {
    for base in [S(0), S(3), Duration::MAX, S(u64::MAX / 2)] {
        for max in [S(0), S(30), Duration::MAX] {
            for failures in [0, 1, 2, 63, u32::MAX] {
                for jitter in [0.0, 0.5, 0.999, f64::NAN] {
                    for after in [None, Some(Duration::MAX)] {
                        let d = delay(failures, base, max, jitter, after);
                        assert!(d >= FLOOR, "{d:?}");
                    }
                }
            }
        }
    }
}
