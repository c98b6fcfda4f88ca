//! backoff: how long to wait before the next reconnect. Pure arithmetic; the
//! caller supplies the randomness.

use std::time::Duration;

/// The wait before reconnect attempt number `failures` (1 = the first try
/// after a connection ended). The first wait is the reconnection time itself,
/// as the spec says; every further consecutive failure doubles it, up to
/// `max`, and takes a random 0–25 % off (`jitter` in [0, 1)) so that many
/// clients do not reconnect in step. A server's `Retry-After` wins.
pub fn delay(
    failures: u32,
    base: Duration,
    max: Duration,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    if let Some(after) = retry_after {
        return after;
    }
    if failures <= 1 {
        return base;
    }
    let cap = max.max(base);
    let doubled = base.saturating_mul(1u32 << (failures - 1).min(20)).min(cap);
    doubled.mul_f64(1.0 - 0.25 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

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
        assert!(d >= Duration::from_millis(22_500) && d < S(30), "{d:?}");
    }

    #[test]
    fn retry_after_overrides() {
        assert_eq!(delay(7, S(3), S(30), 0.5, Some(S(120))), S(120));
    }

    #[test]
    fn a_server_retry_above_the_maximum_is_kept() {
        assert_eq!(delay(3, S(60), S(30), 0.0, None), S(60));
    }
}
