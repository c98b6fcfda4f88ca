//! config::auth: basic auth from `-u USER[:PASSWORD]` or the URL's
//! `user:password@`. A user named without a password takes it from
//! `$SSETAP_PASSWORD`; failing that it is asked for on the terminal, as
//! curl does; with no terminal to ask on it is a usage error, because
//! sending `user:` with an empty password would only fail later with a 401
//! that does not say why. `-u USER:` (or `user:@` in the URL) is an empty
//! password, given on purpose.

use super::{Env, bad};
use anyhow::{Context, Result};

/// The `Authorization` value for this user, if any; its password and the
/// encoded pair join `secrets`. `flag` says the user came from `-u`.
pub fn basic(
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
        None => match (env.ask_password)(&name).context("cannot read the password")? {
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
    Ok(Some(format!("Basic {token}")))
}

/// Standard base64 with padding, for the basic-auth header.
pub fn base64_encode(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
