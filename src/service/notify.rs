//! service::notify: systemd's notification socket (`$NOTIFY_SOCKET`, a
//! path or `@` and an abstract name), sent to without ever blocking. The
//! messages come from the main loop, so a manager that does not read its
//! socket (busy, or a socket someone else bound) must not park the data
//! path: a message that finds the socket's queue full is dropped, as is
//! one that finds no socket. A dropped `WATCHDOG=1` is what the watchdog
//! is for.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

pub struct Notifier {
    addr: SocketAddr,
}

impl Notifier {
    /// The socket `$NOTIFY_SOCKET` names; None when it is unset or not an
    /// address a datagram can go to.
    pub fn from_env() -> Option<Notifier> {
        let name = std::env::var_os("NOTIFY_SOCKET")?;
        let addr = match name.as_bytes().strip_prefix(b"@") {
            Some(abstract_name) => SocketAddr::from_abstract_name(abstract_name),
            None => SocketAddr::from_pathname(&name),
        };
        addr.ok().map(|addr| Notifier { addr })
    }

    /// Send `KEY=VALUE` assignments, one a line; best effort, never
    /// waiting. A value cannot add an assignment of its own: line breaks
    /// in it are sent as spaces.
    pub fn send(&self, assignments: &[(&str, &str)]) {
        let mut message = String::new();
        for (key, value) in assignments {
            message.push_str(key);
            message.push('=');
            message.extend(value.chars().map(|c| if c == '\n' { ' ' } else { c }));
            message.push('\n');
        }
        let Ok(sock) = UnixDatagram::unbound() else {
            return;
        };
        if sock.set_nonblocking(true).is_ok() {
            let _ = sock.send_to_addr(message.as_bytes(), &self.addr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_socket_nobody_reads_never_blocks_a_send() {
        let dir = std::env::temp_dir().join(format!("ssetap-notify-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("deaf.sock");
        let _ = std::fs::remove_file(&path);
        let deaf = UnixDatagram::bind(&path).expect("bind");
        let notifier = Notifier {
            addr: SocketAddr::from_pathname(&path).expect("addr"),
        };
        let started = Instant::now();
        // Far more than any queue holds (net.unix.max_dgram_qlen: 10–512).
        for _ in 0..5000 {
            notifier.send(&[("WATCHDOG", "1"), ("STATUS", "a\nREADY=1")]);
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        let mut buf = [0u8; 256];
        let n = deaf.recv(&mut buf).expect("the first ones arrived");
        assert_eq!(&buf[..n], b"WATCHDOG=1\nSTATUS=a READY=1\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
