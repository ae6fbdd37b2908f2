//! A host wrapper that keeps a transcript of every invocation and its output.

use crate::{Host, HostError, Invocation, Output};

/// Runs through an inner host and records `(invocation, output)` for each call.
#[derive(Debug, Default)]
pub struct RecordingHost<H> {
    pub inner: H,
    pub calls: Vec<(Invocation, Option<Output>)>,
}

impl<H: Host> RecordingHost<H> {
    pub fn new(inner: H) -> Self {
        RecordingHost {
            inner,
            calls: Vec::new(),
        }
    }

    /// The invocations run so far, one rendered line (or heredoc) each.
    pub fn transcript(&self) -> String {
        let mut s = String::new();
        for (inv, out) in &self.calls {
            s.push_str(&inv.to_string());
            match out {
                Some(o) if o.status != 0 => {
                    s.push_str(&format!("  # exit {}: {}", o.status, o.stderr.trim_end()))
                }
                None => s.push_str("  # not run"),
                _ => {}
            }
            s.push('\n');
        }
        s
    }

    /// How many processes were spawned.
    pub fn count(&self) -> usize {
        self.calls.len()
    }

    pub fn into_inner(self) -> H {
        self.inner
    }
}

impl<H: Host> Host for RecordingHost<H> {
    fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
        let res = self.inner.run(inv);
        self.calls.push((inv.clone(), res.as_ref().ok().cloned()));
        res
    }
}
