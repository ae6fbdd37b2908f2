//! Applying a plan through a [`Backend`], change by change; on any failure, every change
//! already made is undone in reverse order, so the host is left as it was.

use crate::diff::Observed;
use crate::plan::{Change, Plan};
use crate::resource::Resource;
use crate::state::State;

/// A failure reported by a backend, with the operation it was doing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BackendError(pub String);

/// What realizes resources on a host: the FreeBSD tools, Linux netlink, a simulator.
pub trait Backend {
    /// Look at the host: report every resource of `scope` that exists (with its current
    /// value), and any jailnet-tagged leftovers the backend can find.
    fn observe(&mut self, scope: &[&Resource]) -> Result<Observed, BackendError>;

    /// Carry out one change.
    fn apply(&mut self, change: &Change) -> Result<(), BackendError>;

    /// Flush work the backend batches (one firewall transaction per apply). Called once
    /// after the last change, and after a rollback.
    fn commit(&mut self) -> Result<(), BackendError> {
        Ok(())
    }

    /// What `change` would run, one line per command or kernel request, for
    /// `plan --commands`.
    fn commands(&self, change: &Change) -> Vec<String>;
}

/// Why an apply failed, and whether the rollback got everything back.
#[derive(Debug, thiserror::Error)]
#[error("{id}: {error}{}", rollback_note(.rollback_errors))]
pub struct ApplyError {
    /// The change that failed (its id), or "commit".
    pub id: String,
    pub error: BackendError,
    /// How many changes had been made and were rolled back.
    pub undone: usize,
    /// Changes the rollback could not undo: the host may differ from before.
    pub rollback_errors: Vec<String>,
}

fn rollback_note(errs: &[String]) -> String {
    if errs.is_empty() {
        "; rolled back".to_string()
    } else {
        format!("; rollback incomplete: {}", errs.join("; "))
    }
}

/// Apply `plan` through `backend`, recording each completed change in `state`. Calls
/// `progress(i, change)` before each change.
pub fn apply(
    plan: &Plan,
    backend: &mut dyn Backend,
    state: &mut State,
    progress: &mut dyn FnMut(usize, &Change),
) -> Result<usize, ApplyError> {
    apply_until(plan, backend, state, progress, &|| false)
}

/// [`apply`], stopping (and rolling back) between two changes once `stop()` says so —
/// how SIGINT/SIGTERM end an apply without leaving it half done.
pub fn apply_until(
    plan: &Plan,
    backend: &mut dyn Backend,
    state: &mut State,
    progress: &mut dyn FnMut(usize, &Change),
    stop: &dyn Fn() -> bool,
) -> Result<usize, ApplyError> {
    let mut done: Vec<&Change> = Vec::new();
    for (i, change) in plan.changes.iter().enumerate() {
        if stop() {
            let error = BackendError("interrupted by a signal".into());
            return Err(roll_back(backend, state, &done, change.id.0.clone(), error));
        }
        progress(i, change);
        match backend.apply(change) {
            Ok(()) => {
                state.record(change);
                done.push(change);
            }
            Err(error) => {
                return Err(roll_back(backend, state, &done, change.id.0.clone(), error));
            }
        }
    }
    if let Err(error) = backend.commit() {
        return Err(roll_back(backend, state, &done, "commit".into(), error));
    }
    Ok(done.len())
}

fn roll_back(
    backend: &mut dyn Backend,
    state: &mut State,
    done: &[&Change],
    id: String,
    error: BackendError,
) -> ApplyError {
    let mut rollback_errors = Vec::new();
    for change in done.iter().rev() {
        let inv = change.inverse();
        match backend.apply(&inv) {
            Ok(()) => state.record(&inv),
            Err(e) => rollback_errors.push(format!("{}: {e}", inv.id)),
        }
    }
    if let Err(e) = backend.commit() {
        rollback_errors.push(format!("commit: {e}"));
    }
    ApplyError {
        id,
        error,
        undone: done.len(),
        rollback_errors,
    }
}
