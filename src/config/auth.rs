//! config::auth: basic auth from `-u USER[:PASSWORD]` or the URL's
//! `user:password@`, a bearer token (`--bearer`), a token command
//! (`--bearer-command`), or OAuth2 client credentials (`--oauth2-*`), made
//! into the `http::Auth` that sets the header on every send. A user named without a password takes it from
//! `$SSETAP_PASSWORD`; failing that it is asked for on the terminal, as
//! curl does; with no terminal to ask on it is a usage error, because
//! sending `user:` with an empty password would only fail later with a 401
//! that does not say why. `-u USER:` (or `user:@` in the URL) is an empty
//! password, given on purpose.

use super::{Env, bad};
use crate::cli::AuthArgs;
use crate::http::Auth;
use crate::http::auth::OAuth2Client;
use anyhow::{Context, Result};

/// The one way this run authenticates; every secret known now joins
/// `secrets`. `user` is `-u`'s, or else the URL's: clap keeps `-u` and the
/// token flags apart, but cannot see the URL.
pub fn build(
    cli: &AuthArgs,
    user: Option<(String, Option<String>)>,
    env: &Env,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Auth> {
    let token = token(cli, env, secrets, warnings)?;
    if let Some((flag, _)) = &token
        && user.is_some()
    {
        return Err(bad(format!(
            "credentials in the URL and {flag} would send two Authorization headers; use one"
        )));
    }
    if let Some(pair) = basic(user, cli.user.is_some(), env, secrets)? {
        return Ok(Auth::Basic(pair));
    }
    Ok(token.map_or(Auth::None, |(_, auth)| auth))
}

/// A method that sends a token, with the flag that chose it. A new method
/// is one more flag here.
fn token(
    cli: &AuthArgs,
    env: &Env,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<(&'static str, Auth)>> {
    if let Some(token) = &cli.bearer {
        crate::http::auth::token::check(token)
            .map_err(|why| bad(format!("--bearer: an unusable token ({why})")))?;
        secrets.push(token.clone());
        return Ok(Some(("--bearer", Auth::Bearer(token.clone()))));
    }
    if let Some(command) = &cli.bearer_command {
        if command.trim().is_empty() {
            return Err(bad("--bearer-command: empty command"));
        }
        if cli
            .bearer_refresh
            .is_some_and(|d| d < std::time::Duration::from_secs(1))
        {
            return Err(bad("--bearer-refresh: must be at least 1s"));
        }
        let auth = Auth::bearer_command(command.clone(), cli.bearer_refresh);
        return Ok(Some(("--bearer-command", auth)));
    }
    if let Some(url) = &cli.oauth2_token_url {
        let client = oauth2(cli, url, env, secrets, warnings)?;
        return Ok(Some(("--oauth2-token-url", Auth::oauth2(client))));
    }
    Ok(None)
}

/// `-H Authorization…` was given too: it wins over `-u` and `--bearer` (as
/// in curl), but a token that refreshes itself would silently not be sent.
pub fn replaced_by_header(auth: Auth) -> Result<Auth> {
    match auth {
        Auth::Command(_) | Auth::OAuth2(_) => Err(bad(format!(
            "-H Authorization and {} both set the Authorization header; use one",
            auth.name()
        ))),
        Auth::None | Auth::Basic(_) | Auth::Bearer(_) => Ok(Auth::None),
    }
}

fn oauth2(
    cli: &AuthArgs,
    url: &str,
    env: &Env,
    secrets: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<OAuth2Client> {
    let parts =
        crate::values::http_url(url).map_err(|e| bad(format!("--oauth2-token-url: {e}")))?;
    if parts.user.is_some() {
        return Err(bad(
            "--oauth2-token-url: credentials in the URL; the client ID and secret have flags of their own",
        ));
    }
    let client_id = cli.oauth2_client_id.clone().unwrap_or_default();
    if client_id.is_empty() {
        return Err(bad("--oauth2-client-id: empty client ID"));
    }
    let secret = match &cli.oauth2_client_secret_file {
        Some(path) => {
            let text = crate::values::read_file_capped(path, crate::values::caps::SECRET)
                .and_then(crate::values::text)
                .with_context(|| {
                    format!("cannot read --oauth2-client-secret-file {}", path.display())
                })?;
            if crate::values::readable_by_others(path) {
                warnings.push(format!(
                    "{} holds a secret and others can read it; chmod 600 it",
                    path.display()
                ));
            }
            text.trim_end_matches(['\r', '\n']).to_string()
        }
        None => (env.var)("SSETAP_OAUTH2_CLIENT_SECRET").ok_or_else(|| {
            bad("--oauth2-token-url needs the client secret: set SSETAP_OAUTH2_CLIENT_SECRET or give --oauth2-client-secret-file")
        })?,
    };
    if secret.is_empty() {
        return Err(bad("the OAuth2 client secret is empty"));
    }
    secrets.push(secret.clone());
    // What goes on the wire (HTTP Basic of the form-encoded pair).
    let pair = format!(
        "{}:{}",
        crate::http::auth::form_encode(&client_id),
        crate::http::auth::form_encode(&secret)
    );
    secrets.push(base64_encode(pair.as_bytes()));
    Ok(OAuth2Client {
        token_url: parts.url,
        client_id,
        client_secret: secret,
        scope: cli.oauth2_scope.clone(),
    })
}

/// The encoded `user:password` for this user, if any; its password and
/// the encoded pair join `secrets`. `flag` says the user came from `-u`.
fn basic(
    user: Option<(String, Option<String>)>,
    flag: bool,
    env: &Env,
    secrets: &mut Vec<String>,
) -> Result<Option<String>> {
    let Some((name, pass)) = user else {
        return Ok(None);
    };
    let pass = match pass.or_else(|| (env.var)("SSETAP_PASSWORD")) {
        Some(p) => p,
        None => match (env.ask_password)(&name)
            .map_err(|e| bad(format!("cannot read the password: {e}")))?
        {
            Some(p) => p,
            None => {
                let (given, empty) = if flag {
                    (format!("-u {name}"), format!("-u {name}:"))
                } else {
                    (
                        format!("the URL's user {name}"),
                        format!("{name}:@ in the URL"),
                    )
                };
                return Err(bad(format!(
                    "{given} has no password and there is no terminal to ask for it: \
                     set SSETAP_PASSWORD (or write {empty} for an empty one)"
                )));
            }
        },
    };
    if !pass.is_empty() {
        secrets.push(pass.clone());
    }
    let token = base64_encode(format!("{name}:{pass}").as_bytes());
    secrets.push(token.clone());
    Ok(Some(token))
}

pub use crate::http::auth::base64_encode;

#[cfg(test)]
mod tests;
