//! The pipeline every mutating command runs: allocate → desired graph → observe → diff →
//! plan → apply (with rollback) → re-observe → the diff must now be empty.

use anyhow::{bail, Context, Result};
use jailnet_model::alloc::{allocate, Allocations};
use jailnet_model::Config;
use jailnet_plan::{desired, diff, Backend, Change, Graph, Observed, Op, Plan, Resource, State};
use std::path::Path;

/// Which part of the config a command acts on.
#[derive(Clone, Debug)]
pub enum Scope {
    /// Everything (`up`, `plan`).
    All,
    /// Nothing: remove all jailnet made (`down`).
    Nothing,
    /// One jail and what it needs; deletes nothing else (`attach`).
    Attach(String),
    /// One jail's own resources are removed; nothing else changes (`detach`).
    Detach(String),
}

/// What a command is about to do.
pub struct Prepared {
    pub alloc: Allocations,
    pub graph: Graph,
    pub plan: Plan,
}

/// The host identity: `[host] name`, else the machine's hostname.
pub fn host_name(cfg: &Config) -> String {
    if let Some(n) = &cfg.host.name {
        return n.clone();
    }
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Plan `scope` of `cfg` against what `backend` observes.
pub fn prepare(
    cfg: &Config,
    state: &State,
    backend: &mut dyn Backend,
    scope: &Scope,
) -> Result<Prepared> {
    prepare_with(cfg, state, backend, scope, None)
}

/// The allocations to keep from `state`: its own, unless it was another host's.
pub fn previous(cfg: &Config, state: &State) -> Allocations {
    let host = host_name(cfg);
    if state.host.is_empty() || state.host == host {
        state.allocations.clone()
    } else {
        Allocations::default()
    }
}

/// [`prepare`] with the cluster's view laid over the config and the local allocations:
/// the cluster switches' vxlan remotes are the other hosts' VTEPs, and their `auto`
/// addresses are the ones leased in etcd.
pub fn prepare_with(
    cfg: &Config,
    state: &State,
    backend: &mut dyn Backend,
    scope: &Scope,
    cluster: Option<&jailnet_cluster::View>,
) -> Result<Prepared> {
    let host = host_name(cfg);
    let mut alloc = allocate(cfg, &host, &previous(cfg, state)).context("allocation failed")?;
    let overlaid;
    let cfg = match cluster {
        Some(v) => {
            overlaid = v.apply(cfg, &mut alloc);
            &overlaid
        }
        None => cfg,
    };
    let full = desired(cfg, &alloc)?;
    let graph = match scope {
        Scope::All => full,
        Scope::Nothing => Graph::default(),
        Scope::Attach(j) => full.for_jail(j),
        Scope::Detach(j) => full.without_jail(j),
    };
    let (plan, _) = plan_against(&graph, state, backend, scope)?;
    Ok(Prepared { alloc, graph, plan })
}

fn plan_against(
    graph: &Graph,
    state: &State,
    backend: &mut dyn Backend,
    scope: &Scope,
) -> Result<(Plan, Observed)> {
    let wanted: Vec<&Resource> = graph.nodes.values().chain(state.scope()).collect();
    let observed = backend
        .observe(&wanted)
        .context("cannot observe the host")?;
    let mut plan = diff(graph, &observed, state);
    let mine = |c: &Change, j: &str| c.resource().and_then(Resource::owner_jail) == Some(j);
    match scope {
        Scope::Attach(j) => plan.changes.retain(|c| c.op != Op::Delete || mine(c, j)),
        Scope::Detach(j) => plan.changes.retain(|c| mine(c, j)),
        Scope::All | Scope::Nothing => {}
    }
    Ok((plan, observed))
}

/// Apply a prepared plan, save the state after every change, then check the host now
/// matches (a non-empty second diff is a bug and is reported as one).
/// How [`converge`] reports and records: the host identity, progress lines, and the
/// journal (state dir and command name) that makes an interrupted apply recoverable.
pub struct ApplyOpts<'a> {
    pub host: &'a str,
    pub verbose: bool,
    pub journal: Option<(&'a Path, &'a str)>,
}

pub fn converge(
    prepared: &Prepared,
    state: &mut State,
    backend: &mut dyn Backend,
    scope: &Scope,
    opts: &ApplyOpts<'_>,
    save: &mut dyn FnMut(&State) -> Result<()>,
) -> Result<usize> {
    let (host, verbose, journal) = (opts.host, opts.verbose, opts.journal);
    // Saved only when something changed: a no-op `up` does not rewrite (and fsync)
    // a state file that already says the same.
    if state.host != host || state.allocations != prepared.alloc {
        state.host = host.to_string();
        state.allocations = prepared.alloc.clone();
        save(state)?;
    }
    if prepared.plan.is_empty() {
        return Ok(0);
    }
    if let Some((dir, cmd)) = journal {
        crate::journal::begin(dir, cmd, &prepared.plan)?;
    }
    let total = prepared.plan.changes.len();
    // A testing aid for crash safety: die by SIGKILL right before change N.
    // Testing aids for crash safety: SIGKILL (JAILNET_TEST_KILL_BEFORE=N) or SIGTERM
    // (JAILNET_TEST_TERM_BEFORE=N) sent to ourselves right before change N.
    let at = |var: &str| -> Option<usize> { std::env::var(var).ok().and_then(|v| v.parse().ok()) };
    let (kill_at, term_at) = (
        at("JAILNET_TEST_KILL_BEFORE"),
        at("JAILNET_TEST_TERM_BEFORE"),
    );
    let result = jailnet_plan::apply_until(
        &prepared.plan,
        backend,
        state,
        &mut |i, c| {
            for (when, sig) in [(kill_at, libc::SIGKILL), (term_at, libc::SIGTERM)] {
                if when == Some(i) {
                    // SAFETY: sending a signal to ourselves has no preconditions.
                    unsafe {
                        libc::kill(libc::getpid(), sig);
                    }
                }
            }
            if verbose {
                // One progress line, rewritten in place on the terminal.
                let line: String = c.line().chars().take(100).collect();
                eprint!("\r\x1b[K[{}/{total}] {line}", i + 1);
                if i + 1 == total {
                    eprintln!();
                }
            }
        },
        &crate::signals::stop_requested,
    );
    if verbose && result.is_err() {
        eprintln!();
    }
    save(state)?;
    match &result {
        Err(e) if !e.rollback_errors.is_empty() => {}
        _ => {
            if let Some((dir, _)) = journal {
                crate::journal::end(dir)?;
            }
        }
    }
    let n = result.map_err(|e| anyhow::anyhow!("apply failed at {e}"))?;
    let (again, observed) = plan_against(&prepared.graph, state, backend, scope)?;
    if !again.is_empty() {
        bail!(
            "jailnet bug: after applying, the host still differs from the config:\n{}",
            again.render_text()
        );
    }
    // Forget owned resources that are gone from the host (removed by hand, or by the
    // kernel together with their jail): there is nothing left to remove.
    state
        .owned
        .retain(|id, _| observed.resources.nodes.contains_key(id));
    save(state)?;
    Ok(n)
}
