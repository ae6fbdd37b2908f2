//! Running lowered steps on a [`Host`]: one invocation at a time, a non-zero exit is an
//! [`Error::Tool`], and a failing step undoes the steps of its change that already ran.

use crate::error::Error;
use jailnet_host::{Host, Invocation, Output};

/// One invocation of a change, with what undoes it if a later step of the same change
/// fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub inv: Invocation,
    /// Run in this order to undo `inv` (only when a later step fails).
    pub undo: Vec<Invocation>,
}

impl Step {
    pub fn new(inv: Invocation) -> Self {
        Step {
            inv,
            undo: Vec::new(),
        }
    }

    pub fn undo(mut self, inv: Invocation) -> Self {
        self.undo.push(inv);
        self
    }
}

/// Runs `inv`; a non-zero exit becomes [`Error::Tool`] carrying the argv and stderr.
pub fn run<H: Host + ?Sized>(host: &mut H, inv: &Invocation) -> Result<Output, Error> {
    let out = host.run(inv)?;
    if out.success() {
        Ok(out)
    } else {
        Err(Error::Tool {
            argv: inv.argv().join(" "),
            status: out.status,
            stderr: out.stderr.trim_end().to_string(),
        })
    }
}

/// Runs `steps` in order. If step k fails, the undo invocations of steps 1..k-1 run in
/// reverse order and the error of step k is returned (wrapped if an undo failed too).
pub fn run_steps<H: Host + ?Sized>(host: &mut H, steps: &[Step]) -> Result<Vec<Output>, Error> {
    let mut outs = Vec::with_capacity(steps.len());
    let mut done: Vec<&Step> = Vec::new();
    for step in steps {
        match run(host, &step.inv) {
            Ok(o) => {
                outs.push(o);
                done.push(step);
            }
            Err(e) => return Err(undo(host, &done, e)),
        }
    }
    Ok(outs)
}

/// Undoes `done` (newest first) after `error`.
pub fn undo<H: Host + ?Sized>(host: &mut H, done: &[&Step], error: Error) -> Error {
    let mut failed = Vec::new();
    for step in done.iter().rev() {
        for inv in &step.undo {
            if let Err(e) = run(host, inv) {
                failed.push(e.to_string());
            }
        }
    }
    if failed.is_empty() {
        error
    } else {
        Error::Undo {
            error: Box::new(error),
            undo: failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_host::{HostError, RecordingHost};

    /// Fails every invocation whose program is `false`.
    struct Fake;
    impl Host for Fake {
        fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
            Ok(if inv.program == "false" {
                Output::fail(1, "nope\n")
            } else {
                Output::ok("")
            })
        }
    }

    #[test]
    fn a_failing_step_undoes_the_earlier_ones_newest_first() {
        let mut h = RecordingHost::new(Fake);
        let steps = vec![
            Step::new(Invocation::new("a", ["1"])).undo(Invocation::new("undo", ["1"])),
            Step::new(Invocation::new("b", ["2"])).undo(Invocation::new("undo", ["2"])),
            Step::new(Invocation::new("false", ["3"])),
        ];
        let e = run_steps(&mut h, &steps).unwrap_err();
        assert_eq!(e.to_string(), "`false 3` failed (exit 1): nope");
        assert_eq!(
            h.transcript(),
            "a 1\nb 2\nfalse 3  # exit 1: nope\nundo 2\nundo 1\n"
        );
    }
}
