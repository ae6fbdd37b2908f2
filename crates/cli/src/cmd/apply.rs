//! `up`, `down`, `attach JAIL`, `detach JAIL`: plan against the live host and apply, with
//! rollback on failure.

use crate::args::Cli;
use crate::backend::{self, resolve, BackendKind};
use crate::engine::{converge, host_name, prepare, ApplyOpts, Scope};
use crate::exit::Invalid;
use crate::state_file::StateStore;
use anyhow::{bail, Result};

pub fn run(cli: &Cli, scope: Scope) -> Result<i32> {
    let linux = resolve(cli.backend) == BackendKind::Linux;
    let loaded = crate::config::load(cli, linux)?;
    if let Scope::Attach(j) | Scope::Detach(j) = &scope {
        if !loaded.cfg.jails.keys().any(|k| k.as_str() == j) {
            return Err(Invalid(format!("jail '{j}' is not in {}", loaded.path.display())).into());
        }
    }
    let Some(mut be) = backend::open(cli)? else {
        bail!(
            "no backend for {:?} is available in this build",
            resolve(cli.backend)
        );
    };
    let store = StateStore::open(&super::state_dir(cli))?;
    let mut state = store.load()?;
    crate::signals::install();
    let undone =
        crate::journal::recover(store.dir(), be.as_mut(), &mut state, &mut |s| store.save(s))?;
    if undone > 0 {
        eprintln!(
            "jailnet: an earlier run was interrupted mid-apply; rolled back its {undone} change(s)"
        );
    }
    let prepared = prepare(&loaded.cfg, &state, be.as_mut(), &scope)?;
    let host = host_name(&loaded.cfg);
    let cmd = command(&scope);
    let opts = ApplyOpts {
        host: &host,
        verbose: !cli.json && stderr_is_terminal(),
        journal: Some((store.dir(), &cmd)),
    };
    let n = converge(
        &prepared,
        &mut state,
        be.as_mut(),
        &scope,
        &opts,
        &mut |s| store.save(s),
    )?;
    if cli.json {
        println!("{}", serde_json::json!({"changes": n}));
    } else if n == 0 {
        println!("Nothing to do: the host already matches.");
    } else {
        println!("Done: {n} change{} applied.", if n == 1 { "" } else { "s" });
    }
    Ok(0)
}

/// Progress lines only for a person watching; scripts and logs get the summary.
fn stderr_is_terminal() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(2) == 1 }
}

fn command(scope: &Scope) -> String {
    match scope {
        Scope::All => "up".into(),
        Scope::Nothing => "down".into(),
        Scope::Attach(j) => format!("attach {j}"),
        Scope::Detach(j) => format!("detach {j}"),
    }
}
