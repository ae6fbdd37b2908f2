//! The backend's typed errors: a tool that exited non-zero (with its argv and stderr), a
//! host that could not run it, output that could not be parsed, a resource the FreeBSD
//! tools cannot express, and an undo that failed after an error.

use jailnet_host::HostError;
use jailnet_plan::BackendError;

/// Why a FreeBSD backend operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A tool ran and exited non-zero.
    #[error("`{argv}` failed (exit {status}): {stderr}")]
    Tool {
        argv: String,
        status: i32,
        stderr: String,
    },
    /// The host could not run the tool at all.
    #[error(transparent)]
    Host(#[from] HostError),
    /// A tool's output was not what the backend can read.
    #[error("cannot parse {what}: {detail}")]
    Parse { what: &'static str, detail: String },
    /// The change cannot be expressed with the FreeBSD tools.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A step failed and undoing the steps before it failed too: the host may keep
    /// part of the change.
    #[error("{error}; undo incomplete: {}", undo.join("; "))]
    Undo {
        error: Box<Error>,
        undo: Vec<String>,
    },
}

impl Error {
    /// Whether the tool refused because the name or unit is taken (EEXIST).
    pub fn is_exists(&self) -> bool {
        match self {
            Error::Tool { stderr, .. } => {
                stderr.contains("already exists") || stderr.contains("File exists")
            }
            _ => false,
        }
    }

    pub(crate) fn parse(what: &'static str, detail: impl Into<String>) -> Self {
        Error::Parse {
            what,
            detail: detail.into(),
        }
    }
}

impl From<Error> for BackendError {
    fn from(e: Error) -> Self {
        BackendError(e.to_string())
    }
}
