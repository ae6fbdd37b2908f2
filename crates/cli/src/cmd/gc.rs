//! `jailnet gc`: remove what jailnet owns (in its state, or tagged on the host) that the
//! config no longer declares, and report what was removed. Nothing else changes.

use crate::args::Cli;
use crate::backend::{self, resolve, BackendKind};
use crate::engine::host_name;
use crate::state_file::StateStore;
use anyhow::{bail, Result};
use jailnet_model::alloc::allocate;
use jailnet_plan::{desired, diff, Op, Resource};

pub fn run(cli: &Cli) -> Result<i32> {
    let loaded = crate::config::load(cli, resolve(cli.backend) == BackendKind::Linux)?;
    let Some(mut be) = backend::open(cli)? else {
        bail!(
            "no backend for {:?} is available in this build",
            resolve(cli.backend)
        );
    };
    let store = StateStore::open(&super::state_dir(cli))?;
    let mut state = store.load()?;
    crate::signals::install();
    crate::journal::recover(store.dir(), be.as_mut(), &mut state, &mut |s| store.save(s))?;
    let alloc = allocate(&loaded.cfg, &host_name(&loaded.cfg), &state.allocations)?;
    let graph = desired(&loaded.cfg, &alloc)?;
    let scope: Vec<&Resource> = graph.nodes.values().chain(state.scope()).collect();
    let observed = be.observe(&scope)?;
    let mut plan = diff(&graph, &observed, &state);
    plan.changes
        .retain(|c| c.op == Op::Delete && !graph.nodes.contains_key(&c.id));
    if plan.is_empty() {
        if cli.json {
            println!("{}", serde_json::json!({"removed": []}));
        } else {
            println!("Nothing to collect: jailnet owns nothing the config does not declare.");
        }
        return Ok(0);
    }
    crate::journal::begin(store.dir(), "gc", &plan)?;
    let result = jailnet_plan::apply_until(
        &plan,
        be.as_mut(),
        &mut state,
        &mut |_, _| {},
        &crate::signals::stop_requested,
    );
    store.save(&state)?;
    if result.as_ref().is_ok() || result.as_ref().is_err_and(|e| e.rollback_errors.is_empty()) {
        crate::journal::end(store.dir())?;
    }
    result.map_err(|e| anyhow::anyhow!("gc failed at {e}"))?;
    let removed: Vec<String> = plan.changes.iter().map(|c| c.line()).collect();
    if cli.json {
        println!(
            "{}",
            serde_json::json!({ "removed": plan.changes.iter().map(|c| c.id.0.clone()).collect::<Vec<_>>() })
        );
    } else {
        println!(
            "Removed {} leftover{}:",
            removed.len(),
            if removed.len() == 1 { "" } else { "s" }
        );
        for l in removed {
            println!("  {l}");
        }
    }
    Ok(0)
}
