//! One module per command; `run` dispatches.

mod apply;
mod doctor;
mod emit;
mod exec;
mod export;
mod gc;
mod graph;
mod import;
mod plan;
mod sim;
mod status;
mod validate;
mod watch;

use crate::args::{Cli, Cmd};
use anyhow::Result;
use std::path::PathBuf;

/// Run the command; the result is the exit code.
pub fn run(cli: &Cli) -> Result<i32> {
    match &cli.cmd {
        Cmd::Validate => validate::run(cli),
        Cmd::Plan { commands } => plan::run(cli, *commands),
        Cmd::Up => apply::run(cli, crate::engine::Scope::All),
        Cmd::Down => apply::run(cli, crate::engine::Scope::Nothing),
        Cmd::Attach { jail } => apply::run(cli, crate::engine::Scope::Attach(jail.clone())),
        Cmd::Detach { jail } => apply::run(cli, crate::engine::Scope::Detach(jail.clone())),
        Cmd::Watch {
            timeout,
            once_after_change,
            ttl,
        } => watch::run(cli, *timeout, *once_after_change, *ttl),
        Cmd::Status => status::run(cli),
        Cmd::Doctor => doctor::run(cli),
        Cmd::Gc => gc::run(cli),
        Cmd::Sim { cmd } => sim::run(cli, cmd),
        Cmd::Exec { jail, cmd } => exec::run(cli, jail, cmd),
        Cmd::Demo => crate::demo::run(cli.json),
        Cmd::Emit {
            what: crate::args::EmitWhat::JailConf { jail },
        } => emit::run(cli, jail),
        Cmd::Graph { format } => graph::run(cli, *format),
        Cmd::Import {
            from,
            paths,
            uplink,
        } => import::run(*from, paths, uplink.as_deref()),
        Cmd::Export { what } => export::run(cli, *what),
        Cmd::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "jailnet", &mut std::io::stdout());
            Ok(0)
        }
        Cmd::Schema => {
            print!("{}", jailnet_model::schema::JSON_SCHEMA);
            Ok(0)
        }
    }
}

/// The state dir from `--state-dir`, else the OS default.
pub fn state_dir(cli: &Cli) -> PathBuf {
    match &cli.state_dir {
        Some(d) => d.clone(),
        None if cfg!(target_os = "freebsd") => PathBuf::from("/var/db/jailnet"),
        None => PathBuf::from("/var/lib/jailnet"),
    }
}
