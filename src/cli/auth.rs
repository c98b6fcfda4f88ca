//! cli::auth: the flags that choose how a request authenticates, flattened
//! into `Cli` under the "Request" heading. `config::auth` makes them into
//! the one `http::Auth` of a run; a new method adds its flags here and its
//! case there.

use crate::values;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[group(skip)]
pub struct AuthArgs {
    /// Basic auth. Without ':PASSWORD', the password comes from
    /// $SSETAP_PASSWORD, else is asked for on the terminal; with no terminal
    /// that is an error (USER: sends an empty password). Not with --bearer
    /// (one Authorization header).
    #[arg(
        short = 'u',
        long,
        value_name = "USER[:PASSWORD]",
        conflicts_with = "bearer",
        help_heading = "Request"
    )]
    pub user: Option<String>,

    /// Send 'Authorization: Bearer TOKEN'. Prefer $SSETAP_BEARER_TOKEN: a
    /// token given here is blanked from the command line only once read.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SSETAP_BEARER_TOKEN",
        hide_env_values = true,
        help_heading = "Request"
    )]
    pub bearer: Option<String>,

    /// Run CMD (with sh -c) and send its trimmed stdout as a bearer token;
    /// run it again when the server answers 401 (then send again at once,
    /// once), and before the token expires when it is a JWT with 'exp'.
    /// For gcloud, az, vault, or curl to a token endpoint. A command that
    /// fails (or runs over 30s) is one line and the usual backoff.
    #[arg(
        long,
        value_name = "CMD",
        conflicts_with_all = ["user", "bearer", "oauth2_token_url"],
        help_heading = "Request"
    )]
    pub bearer_command: Option<String>,

    /// Also run --bearer-command this often, whatever the token says.
    #[arg(
        long,
        value_name = "DURATION",
        requires = "bearer_command",
        value_parser = values::duration,
        help_heading = "Request"
    )]
    pub bearer_refresh: Option<Duration>,

    /// Get bearer tokens with OAuth2 client credentials (RFC 6749 4.4) from
    /// this token endpoint, cached until shortly before 'expires_in' and
    /// fetched again on a 401. Needs --oauth2-client-id, and the secret in
    /// $SSETAP_OAUTH2_CLIENT_SECRET or --oauth2-client-secret-file.
    #[arg(
        long,
        value_name = "URL",
        requires = "oauth2_client_id",
        conflicts_with_all = ["user", "bearer"],
        help_heading = "Request"
    )]
    pub oauth2_token_url: Option<String>,

    /// The OAuth2 client ID.
    #[arg(
        long,
        value_name = "ID",
        requires = "oauth2_token_url",
        help_heading = "Request"
    )]
    pub oauth2_client_id: Option<String>,

    /// Read the OAuth2 client secret from this file (never from the command
    /// line; else it comes from $SSETAP_OAUTH2_CLIENT_SECRET).
    #[arg(
        long,
        value_name = "FILE",
        requires = "oauth2_token_url",
        help_heading = "Request"
    )]
    pub oauth2_client_secret_file: Option<PathBuf>,

    /// The OAuth2 scope to ask for (space-separated, as the server names
    /// them).
    #[arg(
        long,
        value_name = "SCOPE",
        requires = "oauth2_token_url",
        help_heading = "Request"
    )]
    pub oauth2_scope: Option<String>,
}
