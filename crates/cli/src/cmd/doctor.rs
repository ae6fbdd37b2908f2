//! `jailnet doctor`: host prerequisites (from the backend) and drift (the live host
//! against the config), each finding with the exact fix. Exit 1 when something fails.

use crate::args::Cli;
use crate::backend::{self, resolve, BackendKind};
use crate::engine::host_name;
use crate::state_file::StateStore;
use anyhow::{bail, Result};
use jailnet_model::alloc::allocate;
use jailnet_plan::doctor::{Finding, Status};
use jailnet_plan::{desired, diff, Resource};

pub fn run(cli: &Cli) -> Result<i32> {
    let kind = resolve(cli.backend);
    let loaded = crate::config::load(cli, kind == BackendKind::Linux)?;
    let store = StateStore::open(&super::state_dir(cli))?;
    let state = store.load()?;
    let alloc = allocate(&loaded.cfg, &host_name(&loaded.cfg), &state.allocations)?;
    let graph = desired(&loaded.cfg, &alloc)?;
    let mut findings: Vec<Finding> = match kind {
        BackendKind::Linux => {
            let opts = backend::linux_options(cli);
            jailnet_linux::doctor::doctor(&opts, &jailnet_linux::doctor::Needs::from_graph(&graph))
        }
        _ => backend::freebsd_doctor(cli, &graph)?,
    };
    let Some(mut be) = backend::open(cli)? else {
        bail!("no backend for {kind:?} is available in this build");
    };
    let scope: Vec<&Resource> = graph.nodes.values().chain(state.scope()).collect();
    match be.observe(&scope) {
        Ok(observed) => {
            let plan = diff(&graph, &observed, &state);
            findings.push(if plan.is_empty() {
                Finding::ok("the host matches the config", "no drift")
            } else {
                let lines: Vec<String> = plan.changes.iter().map(|c| c.line()).collect();
                Finding::warn(
                    "the host matches the config",
                    format!(
                        "{} change{} pending:\n{}",
                        lines.len(),
                        if lines.len() == 1 { "" } else { "s" },
                        lines.join("\n")
                    ),
                    "jailnet up",
                )
            });
        }
        Err(e) => findings.push(Finding::fail(
            "the host can be observed",
            e.to_string(),
            "run jailnet doctor as root on the host itself",
        )),
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else {
        for f in &findings {
            let tag = match f.status {
                Status::Ok => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            let mut detail = f.detail.lines();
            println!("{tag} {}: {}", f.check, detail.next().unwrap_or(""));
            for l in detail {
                println!("       {l}");
            }
            if let Some(fix) = &f.fix {
                if f.status != Status::Ok {
                    for (i, l) in fix.lines().enumerate() {
                        println!("     {} {l}", if i == 0 { "fix:" } else { "    " });
                    }
                }
            }
        }
    }
    Ok(if findings.iter().any(|f| f.status == Status::Fail) {
        1
    } else {
        0
    })
}
