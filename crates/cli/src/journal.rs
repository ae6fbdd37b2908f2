//! Crash safety: before applying, the plan is journaled in the state dir; it is removed
//! when the apply has finished (or fully rolled back). A journal found at start means a
//! run died mid-apply (SIGKILL, power loss): [`recover`] works out from the live host
//! which of its changes took effect, adopts what that run created, and rolls those
//! changes back, before the new command does anything else.

use anyhow::{Context, Result};
use jailnet_plan::{Backend, Change, Op, Plan, Resource, State};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FILE: &str = "journal.json";

#[derive(Debug, Serialize, Deserialize)]
pub struct Journal {
    /// What was being done (`up`, `down`, `attach www`, …).
    pub command: String,
    pub plan: Plan,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Record that `plan` is about to be applied.
pub fn begin(dir: &Path, command: &str, plan: &Plan) -> Result<()> {
    let j = Journal {
        command: command.to_string(),
        plan: plan.clone(),
    };
    crate::state_file::write_atomic(&path(dir), serde_json::to_string(&j)?.as_bytes())
}

/// The apply finished (or was completely rolled back): forget the journal.
pub fn end(dir: &Path) -> Result<()> {
    match std::fs::remove_file(path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The journal of an apply that did not finish, if there is one.
pub fn pending(dir: &Path) -> Result<Option<Journal>> {
    match std::fs::read_to_string(path(dir)) {
        Ok(t) => Ok(Some(
            serde_json::from_str(&t)
                .context("the journal of an interrupted apply is unreadable")?,
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Finish the rollback of an interrupted apply. Returns how many changes were undone.
pub fn recover(
    dir: &Path,
    backend: &mut dyn Backend,
    state: &mut State,
    save: &mut dyn FnMut(&State) -> Result<()>,
) -> Result<usize> {
    let Some(j) = pending(dir)? else { return Ok(0) };
    let touched: Vec<&Resource> = j
        .plan
        .changes
        .iter()
        .flat_map(|c| c.before.iter().chain(c.after.iter()))
        .chain(state.scope())
        .collect();
    let observed = backend
        .observe(&touched)
        .context("cannot observe the host to recover")?;
    // Which changes took effect, judged by the host itself (the dead run's own record
    // of its progress may be behind).
    let mut done: Vec<Change> = Vec::new();
    for c in &j.plan.changes {
        let have = observed.resources.get(&c.id);
        let took = match c.op {
            // Present at all, even half-made: it must go.
            Op::Create => have.is_some(),
            Op::Update => have.is_some() && have != c.before.as_ref(),
            Op::Delete => have.is_none(),
        };
        if took {
            let mut c = c.clone();
            // Undo from what is really there.
            if c.op != Op::Delete {
                c.after = have.cloned();
            }
            done.push(c);
        }
    }
    for c in &done {
        state.record(c);
    }
    save(state)?;
    let undo = Plan {
        changes: done.iter().rev().map(Change::inverse).collect(),
        warnings: Vec::new(),
    };
    let n = undo.changes.len();
    let result = jailnet_plan::apply(&undo, backend, state, &mut |_, _| {});
    save(state)?;
    result.map_err(|e| {
        anyhow::anyhow!(
            "cannot finish rolling back the interrupted `{}`: {e}",
            j.command
        )
    })?;
    end(dir)?;
    Ok(n)
}
