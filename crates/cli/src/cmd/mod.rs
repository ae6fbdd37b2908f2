//! One module per command; `run` dispatches.

mod apply;
mod doctor;
mod emit;
mod exec;
mod gc;
mod plan;
mod sim;
mod status;
mod validate;

use crate::args::{Cli, Cmd};
use anyhow::{bail, Result};
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
        Cmd::Status => status::run(cli),
        Cmd::Doctor => doctor::run(cli),
        Cmd::Gc => gc::run(cli),
        Cmd::Sim { cmd } => sim::run(cli, cmd),
        Cmd::Exec { jail, cmd } => exec::run(cli, jail, cmd),
        Cmd::Demo => crate::demo::run(cli.json),
        Cmd::Emit { what: crate::args::EmitWhat::JailConf { jail } } => emit::run(cli, jail),
        other => bail!("`{}` is not available in this build yet", name(other)),
    }
}

fn name(c: &Cmd) -> &'static str {
    match c {
        Cmd::Validate => "validate",
        Cmd::Plan { .. } => "plan",
        Cmd::Up => "up",
        Cmd::Down => "down",
        Cmd::Attach { .. } => "attach",
        Cmd::Detach { .. } => "detach",
        Cmd::Status => "status",
        Cmd::Graph { .. } => "graph",
        Cmd::Doctor => "doctor",
        Cmd::Gc => "gc",
        Cmd::Exec { .. } => "exec",
        Cmd::Sim { .. } => "sim",
        Cmd::Import { .. } => "import",
        Cmd::Demo => "demo",
        Cmd::Emit { .. } => "emit",
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
