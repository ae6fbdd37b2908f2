//! `up`, `down`, `attach JAIL`, `detach JAIL`: plan against the live host and apply, with
//! rollback on failure. With `[cluster]`, `up`/`attach` first join the cluster (leases,
//! VTEP, peers) and `down` leaves it once the host is clean.

use crate::args::Cli;
use crate::backend::{self, resolve, BackendKind};
use crate::engine::{converge, host_name, prepare_with, previous, ApplyOpts, Scope};
use crate::exit::Invalid;
use crate::state_file::StateStore;
use anyhow::{bail, Result};
use jailnet_cluster::{sync, Client, View};
use jailnet_model::Config;

/// How one apply involves the cluster.
pub enum Step<'a> {
    /// Not at all.
    Local,
    /// Join through `client` first, registering the VTEP with `ttl` seconds.
    Join { client: &'a mut Client, ttl: i64 },
    /// Use a view read already.
    Given(&'a View),
}

pub fn run(cli: &Cli, scope: Scope) -> Result<i32> {
    let linux = resolve(cli.backend) == BackendKind::Linux;
    let loaded = crate::config::load(cli, linux)?;
    if let Scope::Attach(j) | Scope::Detach(j) = &scope {
        if !loaded.cfg.jails.keys().any(|k| k.as_str() == j) {
            return Err(Invalid(format!("jail '{j}' is not in {}", loaded.path.display())).into());
        }
    }
    let joins = matches!(scope, Scope::All | Scope::Attach(_));
    let mut client = match joins {
        true => crate::cluster::connect(&loaded.cfg)?,
        false => None,
    };
    let step = match client.as_mut() {
        Some(client) => Step::Join {
            client,
            ttl: sync::DEFAULT_TTL,
        },
        None => Step::Local,
    };
    let (n, _) = apply_once(cli, &loaded.cfg, &scope, step)?;
    if let Scope::Nothing = scope {
        crate::cluster::leave(&loaded.cfg, &host_name(&loaded.cfg))?;
    }
    if cli.json {
        println!("{}", serde_json::json!({"changes": n}));
    } else if n == 0 {
        println!("Nothing to do: the host already matches.");
    } else {
        println!("Done: {n} change{} applied.", if n == 1 { "" } else { "s" });
    }
    Ok(0)
}

/// One locked round: recover an interrupted run, involve the cluster as `step` says,
/// plan `scope` of `cfg` and converge. Returns the changes applied and the cluster view.
pub fn apply_once(
    cli: &Cli,
    cfg: &Config,
    scope: &Scope,
    step: Step<'_>,
) -> Result<(usize, Option<View>)> {
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
    let host = host_name(cfg);
    let view = match step {
        Step::Local => None,
        Step::Given(v) => Some(v.clone()),
        Step::Join { client, ttl } => {
            Some(sync::join(client, cfg, &host, &previous(cfg, &state), ttl)?)
        }
    };
    let prepared = prepare_with(cfg, &state, be.as_mut(), scope, view.as_ref())?;
    let cmd = command(scope);
    let opts = ApplyOpts {
        host: &host,
        verbose: !cli.json && stderr_is_terminal(),
        journal: Some((store.dir(), &cmd)),
    };
    let n = converge(&prepared, &mut state, be.as_mut(), scope, &opts, &mut |s| {
        store.save(s)
    })?;
    Ok((n, view))
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
