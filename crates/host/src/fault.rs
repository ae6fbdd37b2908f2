//! A host wrapper that fails one chosen call, to prove rollback works at every step.

use crate::{Host, HostError, Invocation, Output};

/// Passes calls through to the inner host, except call number `fail_at` (1-based), which
/// returns an [`HostError::Injected`] without reaching the inner host.
#[derive(Debug)]
pub struct FaultyHost<H> {
    pub inner: H,
    pub fail_at: usize,
    pub calls: usize,
}

impl<H: Host> FaultyHost<H> {
    pub fn new(inner: H, fail_at: usize) -> Self {
        FaultyHost {
            inner,
            fail_at,
            calls: 0,
        }
    }

    /// Whether the injected fault has fired.
    pub fn fired(&self) -> bool {
        self.calls >= self.fail_at
    }

    pub fn into_inner(self) -> H {
        self.inner
    }
}

impl<H: Host> Host for FaultyHost<H> {
    fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
        self.calls += 1;
        if self.calls == self.fail_at {
            return Err(HostError::Injected {
                call: self.calls,
                invocation: inv.to_string(),
            });
        }
        self.inner.run(inv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordingHost;

    struct Echo;
    impl Host for Echo {
        fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
            Ok(Output::ok(inv.args.join(" ")))
        }
    }

    #[test]
    fn fails_exactly_the_chosen_call() {
        let mut h = FaultyHost::new(RecordingHost::new(Echo), 2);
        assert!(h.run(&Invocation::new("a", ["1"])).is_ok());
        assert!(!h.fired());
        assert!(matches!(
            h.run(&Invocation::new("b", ["2"])),
            Err(HostError::Injected { call: 2, .. })
        ));
        assert!(h.run(&Invocation::new("c", ["3"])).is_ok());
        // the failed call never reached the inner host
        assert_eq!(h.inner.transcript(), "a 1\nc 3\n");
    }
}
