//! closed_stdout: whether stdout was closed when the process started
//! (`ssetap URL >&-`). Rust's runtime opens /dev/null on a closed fd 0, 1
//! or 2 before `main`, where events would vanish with exit 0 and the resume
//! point moved past them; so the descriptor is looked at before that, on
//! Linux with glibc, from `.init_array` as `cmdline` does. Elsewhere
//! [`was_closed`] says no.

/// Stdout was not an open descriptor when the process started.
pub fn was_closed() -> bool {
    at_start::closed()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod at_start {
    use std::ffi::{c_char, c_int};
    use std::sync::atomic::{AtomicBool, Ordering};

    static CLOSED: AtomicBool = AtomicBool::new(false);

    /// glibc calls each function in `.init_array` before `main`, where
    /// std's start-up code reopens closed standard descriptors.
    #[used]
    #[unsafe(link_section = ".init_array.00099")]
    static LOOK: extern "C" fn(c_int, *mut *mut c_char, *const *const c_char) = look;

    extern "C" fn look(_argc: c_int, _argv: *mut *mut c_char, _env: *const *const c_char) {
        // SAFETY: F_GETFD only reads the descriptor's flags; it takes no
        // pointer, and a closed descriptor is an error (EBADF), not UB.
        let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) };
        if flags == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF) {
            CLOSED.store(true, Ordering::Relaxed);
        }
    }

    pub fn closed() -> bool {
        // Referring to LOOK keeps its object file, and so the
        // `.init_array` entry, in the link.
        let _ = std::hint::black_box(&LOOK);
        CLOSED.load(Ordering::Relaxed)
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod at_start {
    pub fn closed() -> bool {
        false
    }
}
