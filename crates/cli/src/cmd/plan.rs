//! `jailnet plan [--commands]`: what `up` would change, as text or JSON (with `[cluster]`,
//! the peers and leased addresses read from etcd, without writing anything).

use crate::args::Cli;
use crate::backend::{self, resolve, BackendKind, EmptyHost};
use crate::engine::{prepare_with, Scope};
use crate::state_file::StateStore;
use anyhow::Result;
use jailnet_plan::{Backend, State};

pub fn run(cli: &Cli, commands: bool) -> Result<i32> {
    let linux = resolve(cli.backend) == BackendKind::Linux;
    let loaded = crate::config::load(cli, linux)?;
    let mut opened = backend::open(cli)?;
    let (state, note) = match &opened {
        Some(_) => (StateStore::open(&super::state_dir(cli))?.load()?, None),
        None => (
            State::default(),
            Some("no backend available here: planned against an empty host"),
        ),
    };
    let mut empty = EmptyHost;
    let be: &mut dyn Backend = match opened.as_deref_mut() {
        Some(b) => b,
        None => &mut empty,
    };
    let host = crate::engine::host_name(&loaded.cfg);
    let view = crate::cluster::read_for_plan(&loaded.cfg, &host);
    let p = prepare_with(&loaded.cfg, &state, be, &Scope::All, view.as_ref())?;
    if cli.json {
        let mut v = serde_json::to_value(&p.plan)?;
        if commands {
            let cmds: Vec<Vec<String>> = p.plan.changes.iter().map(|c| be.commands(c)).collect();
            v["commands"] = serde_json::to_value(cmds)?;
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(0);
    }
    if let Some(n) = note {
        eprintln!("note: {n}");
    }
    if commands {
        for c in &p.plan.changes {
            println!("{}", c.line());
            for line in be.commands(c) {
                println!("    {line}");
            }
        }
        print!(
            "{}",
            p.plan
                .render_text()
                .lines()
                .filter(|l| !l.starts_with(['+', '-', '~']))
                .map(|l| format!("{l}\n"))
                .collect::<String>()
        );
    } else {
        print!("{}", p.plan.render_text());
    }
    Ok(0)
}
