//! `jailnet exec JAIL -- CMD`: run a command inside a jail's network namespace (Linux).

use crate::args::Cli;
use crate::backend::{resolve, BackendKind};
use crate::exit::Invalid;
use anyhow::Result;
use jailnet_host::{Invocation, JailEntry, SystemHost};

pub fn run(cli: &Cli, jail: &str, cmd: &[String]) -> Result<i32> {
    if resolve(cli.backend) != BackendKind::Linux {
        return Err(
            Invalid("exec is for the linux backend; on FreeBSD use jexec(8)".into()).into(),
        );
    }
    let loaded = crate::config::load(cli, true)?;
    let Some(j) = loaded.cfg.jails.values().find(|j| j.name.as_str() == jail) else {
        return Err(Invalid(format!("jail '{jail}' is not in {}", loaded.path.display())).into());
    };
    if !j.is_vnet() {
        return Err(Invalid(format!(
            "jail '{jail}' is a shared-IP jail: it has no namespace of its own"
        ))
        .into());
    }
    let (program, args) = cmd
        .split_first()
        .ok_or_else(|| Invalid("no command given".into()))?;
    let ns = jailnet_linux::jail_netns_name(cli.host_netns.as_deref(), jail);
    let inv = Invocation::new(program, args.iter().cloned()).in_jail(&ns);
    Ok(SystemHost::new(JailEntry::Netns).run_inherit(&inv)?)
}
