//! Exit codes: 0 ok, 1 runtime failure (after rollback), 2 invalid input or usage.

use std::fmt;

/// Invalid input or usage: printed as is, exit code 2.
#[derive(Debug)]
pub struct Invalid(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// The exit code for an error returned by a command.
pub fn code(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<Invalid>().is_some() {
        2
    } else {
        1
    }
}
