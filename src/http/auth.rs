//! http::auth: who the request says it is, applied on every send (as
//! vector's `Auth::apply` and xh's auth module do), not a header frozen at
//! start. This is the one place a new way of authenticating is added: a
//! variant here, its flags in `cli`, and its construction in `config::auth`.
//!
//! Tokens that expire (`--bearer-command`, OAuth2 client credentials) are
//! cached and fetched again shortly before they expire (a JWT's `exp`, an
//! OAuth2 `expires_in`, `--bearer-refresh`), and when the server answers
//! 401. Fetches are rate-limited (`MIN_INTERVAL`), and a 401 is retried at
//! once only once per connection (`Unauthorized::RetryNow`); after that the
//! usual backoff applies, so a server that refuses every token cannot make
//! ssetap hammer the token source. A fetch runs on the main thread before a
//! send and is bounded in time (`command::TIMEOUT`, `oauth2`'s). Every
//! token fetched is handed to the caller's `learn`, which adds it to the
//! secrets the log redacts.

mod command;
mod oauth2;
pub mod token;

pub use oauth2::Client as OAuth2Client;
pub use token::{base64_encode, form_encode};

use std::time::{Duration, Instant, SystemTime};
use ureq::Agent;

/// What fetching a token needs from the run.
pub struct Ctx<'a> {
    /// The stream's agent (TLS settings; a stop request shuts it down).
    pub agent: &'a Agent,
    /// Hears every token fetched (to redact it from then on).
    pub learn: &'a dyn Fn(&str),
    /// A stop request came: a token command is killed.
    pub stopped: &'a dyn Fn() -> bool,
}

/// The least time between two fetches of a token.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// How the request authenticates.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// `-u` or the URL's user: the base64 of `user:password`.
    Basic(String),
    /// `--bearer`: a token that does not change.
    Bearer(String),
    /// `--bearer-command`.
    Command(Cached<BearerCommand>),
    /// `--oauth2-token-url` and its company.
    OAuth2(Cached<OAuth2Client>),
}

/// What a 401 means for the next send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unauthorized {
    /// The credentials cannot change: the answer stands (fatal).
    Final,
    /// A new token will be fetched: send again now.
    RetryNow,
    /// A new token will be fetched, but the last one was already new:
    /// back off first.
    Backoff,
}

impl std::fmt::Debug for Auth {
    // The credentials themselves are never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Auth {
    pub fn bearer_command(command: String, every: Option<Duration>) -> Auth {
        Auth::Command(Cached::new(BearerCommand { command, every }))
    }

    pub fn oauth2(client: OAuth2Client) -> Auth {
        Auth::OAuth2(Cached::new(client))
    }

    /// What the method is called, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic(_) => "basic",
            Auth::Bearer(_) => "bearer",
            Auth::Command(_) => "--bearer-command",
            Auth::OAuth2(_) => "OAuth2",
        }
    }

    /// Set the `Authorization` header for the next send, fetching a token
    /// first if the cached one is missing or about to expire. `learn` hears
    /// every token fetched. An error is one line; the send should then wait
    /// the usual backoff.
    pub fn apply(&mut self, headers: &mut Vec<(String, String)>, ctx: &Ctx) -> Result<(), String> {
        let value = match self {
            Auth::None => return Ok(()),
            Auth::Basic(pair) => format!("Basic {pair}"),
            Auth::Bearer(token) => format!("Bearer {token}"),
            Auth::Command(c) => format!("Bearer {}", c.token(ctx)?),
            Auth::OAuth2(c) => format!("Bearer {}", c.token(ctx)?),
        };
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        headers.push(("Authorization".into(), value));
        Ok(())
    }

    /// The server answered 401: forget the token, and say what to do next.
    pub fn on_unauthorized(&mut self) -> Unauthorized {
        match self {
            Auth::None | Auth::Basic(_) | Auth::Bearer(_) => Unauthorized::Final,
            Auth::Command(c) => c.unauthorized(),
            Auth::OAuth2(c) => c.unauthorized(),
        }
    }

    /// A stream began: the credentials work, and the next 401 may be
    /// retried at once again.
    pub fn connected(&mut self) {
        match self {
            Auth::Command(c) => c.retry_now = true,
            Auth::OAuth2(c) => c.retry_now = true,
            Auth::None | Auth::Basic(_) | Auth::Bearer(_) => {}
        }
    }
}

/// Where a token comes from.
pub trait Fetch {
    /// A new token, and how long it lives if known; or one line saying
    /// why not.
    fn fetch(&self, ctx: &Ctx) -> Result<(String, Option<Duration>), String>;

    /// Fetch again this often whatever the token says.
    fn every(&self) -> Option<Duration> {
        None
    }
}

/// `--bearer-command CMD` and `--bearer-refresh`.
#[derive(Clone)]
pub struct BearerCommand {
    pub command: String,
    pub every: Option<Duration>,
}

impl Fetch for BearerCommand {
    fn fetch(&self, ctx: &Ctx) -> Result<(String, Option<Duration>), String> {
        let token = command::run(&self.command, command::TIMEOUT, ctx.stopped)?;
        let life = token::jwt_lifetime(&token, SystemTime::now());
        Ok((token, life))
    }

    fn every(&self) -> Option<Duration> {
        self.every
    }
}

impl Fetch for OAuth2Client {
    fn fetch(&self, ctx: &Ctx) -> Result<(String, Option<Duration>), String> {
        let issued = oauth2::Client::fetch(self, ctx.agent)?;
        let life = issued
            .expires_in
            .or_else(|| token::jwt_lifetime(&issued.access_token, SystemTime::now()));
        Ok((issued.access_token, life))
    }
}

/// A token source with its current token.
#[derive(Clone)]
pub struct Cached<F> {
    source: F,
    token: Option<String>,
    /// When to fetch again before sending; None = only after a 401.
    renew_at: Option<Instant>,
    last_fetch: Option<Instant>,
    /// A 401 may be retried at once (not yet done since the last stream).
    retry_now: bool,
}

impl<F: Fetch> Cached<F> {
    fn new(source: F) -> Cached<F> {
        Cached {
            source,
            token: None,
            renew_at: None,
            last_fetch: None,
            retry_now: true,
        }
    }

    /// The token to send now.
    fn token(&mut self, ctx: &Ctx) -> Result<&str, String> {
        let now = Instant::now();
        if self.token.is_some() && self.renew_at.is_none_or(|at| now < at) {
            return Ok(self.token.as_deref().unwrap_or_default());
        }
        if let Some(last) = self.last_fetch {
            std::thread::sleep(MIN_INTERVAL.saturating_sub(last.elapsed()));
        }
        self.token = None;
        self.last_fetch = Some(Instant::now());
        let (token, life) = self.source.fetch(ctx)?;
        (ctx.learn)(&token);
        let got = Instant::now();
        self.renew_at = token::use_for(life, self.source.every()).and_then(|d| got.checked_add(d));
        Ok(self.token.insert(token))
    }

    fn unauthorized(&mut self) -> Unauthorized {
        self.token = None;
        if std::mem::replace(&mut self.retry_now, false) {
            Unauthorized::RetryNow
        } else {
            Unauthorized::Backoff
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Hands out "t1", "t2", … each living `life`.
    struct Counter(Cell<u32>, Option<Duration>);

    impl Fetch for Counter {
        fn fetch(&self, _: &Ctx) -> Result<(String, Option<Duration>), String> {
            self.0.set(self.0.get() + 1);
            Ok((format!("t{}", self.0.get()), self.1))
        }
    }

    fn with_ctx<T>(learn: &dyn Fn(&str), f: impl FnOnce(&Ctx) -> T) -> T {
        let agent = Agent::new_with_defaults();
        f(&Ctx {
            agent: &agent,
            learn,
            stopped: &|| false,
        })
    }

    #[test]
    fn a_token_is_cached_until_a_401() {
        let mut c = Cached::new(Counter(Cell::new(0), None));
        let learned = std::cell::RefCell::new(Vec::new());
        let learn = |t: &str| learned.borrow_mut().push(t.to_string());
        with_ctx(&learn, |ctx| {
            assert_eq!(c.token(ctx).unwrap(), "t1");
            assert_eq!(c.token(ctx).unwrap(), "t1");
            assert_eq!(c.unauthorized(), Unauthorized::RetryNow);
            assert_eq!(c.token(ctx).unwrap(), "t2");
            // The new token is refused too: back off, and fetch after.
            assert_eq!(c.unauthorized(), Unauthorized::Backoff);
            assert_eq!(c.unauthorized(), Unauthorized::Backoff);
            assert_eq!(c.token(ctx).unwrap(), "t3");
        });
        assert_eq!(*learned.borrow(), ["t1", "t2", "t3"]);
    }

    #[test]
    fn fetches_are_at_least_a_second_apart() {
        let mut c = Cached::new(Counter(Cell::new(0), Some(Duration::ZERO)));
        let start = Instant::now();
        with_ctx(&|_| {}, |ctx| {
            for _ in 0..3 {
                c.token(ctx).unwrap();
            }
        });
        assert!(start.elapsed() >= 2 * MIN_INTERVAL, "{:?}", start.elapsed());
        assert_eq!(c.source.0.get(), 3);
    }

    #[test]
    fn a_token_is_fetched_again_before_it_expires() {
        let mut c = Cached::new(Counter(Cell::new(0), Some(Duration::from_secs(3600))));
        with_ctx(&|_| {}, |ctx| c.token(ctx).map(|_| ())).unwrap();
        let at = c.renew_at.expect("a renewal time");
        let left = at - Instant::now();
        assert!(left > Duration::from_secs(3500) && left < Duration::from_secs(3571));
    }

    #[test]
    fn headers_get_one_authorization() {
        let mut headers = vec![("authorization".to_string(), "old".to_string())];
        let mut auth = Auth::Bearer("abc".into());
        with_ctx(&|_| {}, |ctx| auth.apply(&mut headers, ctx)).unwrap();
        assert_eq!(headers, [("Authorization".into(), "Bearer abc".into())]);
        assert_eq!(auth.on_unauthorized(), Unauthorized::Final);
        assert_eq!(format!("{auth:?}"), "bearer");
    }

    #[test]
    fn a_failing_command_is_one_line() {
        let c = BearerCommand {
            command: "echo 'no such vault' >&2; echo more >&2; exit 3".into(),
            every: None,
        };
        assert_eq!(
            with_ctx(&|_| {}, |ctx| c.fetch(ctx)).unwrap_err(),
            "--bearer-command failed (exit 3): no such vault"
        );
        let c = BearerCommand {
            command: "printf '  tok.en\\n'".into(),
            every: None,
        };
        assert_eq!(with_ctx(&|_| {}, |ctx| c.fetch(ctx)).unwrap().0, "tok.en");
        let c = BearerCommand {
            command: "echo '{\"token\": 1}'".into(),
            every: None,
        };
        let err = with_ctx(&|_| {}, |ctx| c.fetch(ctx)).unwrap_err();
        assert!(err.contains("more than one word"), "{err}");
    }

    #[test]
    fn a_slow_command_is_killed() {
        let start = Instant::now();
        let err = command::run("sleep 30", Duration::from_millis(300), &|| false).unwrap_err();
        assert!(err.contains("timed out"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
        let start = Instant::now();
        let err = command::run("sleep 30", command::TIMEOUT, &|| true).unwrap_err();
        assert!(err.contains("stopped"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
