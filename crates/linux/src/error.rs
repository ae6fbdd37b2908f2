//! The crate's one error type: every failure names the operation it belongs to.

use std::io;
use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, with the operation it happened in carried as data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The kernel rejected a netlink request (a NACK). `errno` is positive
    /// (`libc::EEXIST`, …); `message` is the kernel's extended ack text, when sent.
    #[error("{op}: {}{}", io::Error::from_raw_os_error(*errno), message.as_ref().map(|m| format!(" ({m})")).unwrap_or_default())]
    Kernel {
        op: String,
        errno: i32,
        message: Option<String>,
    },
    /// A system call on the netlink socket itself failed.
    #[error("netlink socket: {op}: {source}")]
    Socket {
        op: String,
        #[source]
        source: io::Error,
    },
    /// No reply arrived in time.
    #[error("{op}: no reply from the kernel within {secs} s")]
    Timeout { op: String, secs: u64 },
    /// A reply could not be decoded.
    #[error("{op}: malformed netlink reply: {detail}")]
    Decode { op: String, detail: String },
    /// A file system or other system call failed (netns files, /proc/sys, /dev/net/tun).
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A name (interface, namespace, sysctl key) that the kernel would refuse.
    #[error("invalid {what} {name:?}: {reason}")]
    InvalidName {
        what: &'static str,
        name: String,
        reason: &'static str,
    },
    /// An interface that was looked up by name does not exist.
    #[error("no interface named {0:?}")]
    NoSuchLink(String),
    /// `Netns::create` on a name that already exists.
    #[error("network namespace {0:?} already exists")]
    NetnsExists(String),
    /// A named network namespace that does not exist.
    #[error("network namespace {0:?} does not exist")]
    NoSuchNetns(String),
    /// A request that cannot be expressed (e.g. mixed address families).
    #[error("{op}: {reason}")]
    Invalid { op: String, reason: String },
    /// The helper thread running a closure inside a namespace panicked.
    #[error("thread running inside network namespace {0} panicked")]
    ThreadPanicked(String),
}

impl Error {
    /// The errno behind this error, when there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            Error::Socket { source, .. } | Error::Io { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// The object already exists (EEXIST, or a namespace that exists).
    pub fn is_exists(&self) -> bool {
        matches!(self, Error::NetnsExists(_)) || self.errno() == Some(libc::EEXIST)
    }

    /// The object does not exist (ENODEV, ENOENT, ESRCH, EADDRNOTAVAIL, or a lookup miss).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NoSuchLink(_) | Error::NoSuchNetns(_))
            || matches!(
                self.errno(),
                Some(libc::ENODEV | libc::ENOENT | libc::ESRCH | libc::EADDRNOTAVAIL)
            )
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn socket(op: impl Into<String>, source: io::Error) -> Self {
        Error::Socket {
            op: op.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_error_names_the_operation_and_extack() {
        let e = Error::Kernel {
            op: "create veth a".into(),
            errno: libc::EEXIST,
            message: Some("name in use".into()),
        };
        let s = e.to_string();
        assert!(s.starts_with("create veth a: File exists"), "{s}");
        assert!(s.ends_with("(name in use)"), "{s}");
        assert!(e.is_exists());
        assert!(!e.is_not_found());
    }
}
