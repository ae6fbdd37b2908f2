//! Choosing and opening the backend named by `--backend`.

pub use crate::args::BackendKind;
use crate::args::Cli;
use anyhow::Result;
use jailnet_linux::{LinuxBackend, LinuxOptions};
use jailnet_plan::{Backend, BackendError, Change, Observed, Resource};

/// The backend `auto` stands for on this OS.
pub fn resolve(kind: BackendKind) -> BackendKind {
    match kind {
        BackendKind::Auto if cfg!(target_os = "freebsd") => BackendKind::Freebsd,
        BackendKind::Auto => BackendKind::Linux,
        k => k,
    }
}

/// Open the backend for `cli`. `None` when this build has no such backend yet.
pub fn open(cli: &Cli) -> Result<Option<Box<dyn Backend>>> {
    match resolve(cli.backend) {
        BackendKind::Linux => Ok(Some(Box::new(LinuxBackend::new(linux_options(cli))))),
        BackendKind::Sim => Ok(Some(Box::new(crate::sim::SimBackend::open(
            &crate::cmd::state_dir(cli),
        )?))),
        BackendKind::Freebsd => Ok(Some(Box::new(jailnet_freebsd::FreebsdBackend::new(
            jailnet_host::SystemHost::new(jailnet_host::JailEntry::Jexec),
        )))),
        BackendKind::Auto => Ok(None),
    }
}

/// The Linux backend's options for `cli` (DHCP daemons' files in `<state-dir>/run`).
pub fn linux_options(cli: &Cli) -> LinuxOptions {
    LinuxOptions {
        host_netns: cli.host_netns.clone(),
        run_dir: crate::cmd::state_dir(cli).join("run"),
        ..LinuxOptions::default()
    }
}

/// FreeBSD prerequisites (pf, VIMAGE, sysctls) on the real host or the simulator.
pub fn freebsd_doctor(
    cli: &Cli,
    graph: &jailnet_plan::Graph,
) -> Result<Vec<jailnet_plan::doctor::Finding>> {
    let needs = jailnet_freebsd::doctor::Needs::from_graph(graph);
    Ok(match resolve(cli.backend) {
        BackendKind::Sim => {
            let mut sim = crate::sim::load(&crate::cmd::state_dir(cli))?;
            jailnet_freebsd::doctor::doctor(&mut sim, &needs)
        }
        _ => {
            let mut host = jailnet_host::SystemHost::new(jailnet_host::JailEntry::Jexec);
            jailnet_freebsd::doctor::doctor(&mut host, &needs)
        }
    })
}

/// A host with nothing on it that refuses to change: what `plan` uses when no backend is
/// available, so a config can still be planned anywhere.
pub struct EmptyHost;

impl Backend for EmptyHost {
    fn observe(&mut self, _scope: &[&Resource]) -> Result<Observed, BackendError> {
        Ok(Observed::default())
    }
    fn apply(&mut self, change: &Change) -> Result<(), BackendError> {
        Err(BackendError(format!(
            "{}: no backend is available to apply changes on this host",
            change.id
        )))
    }
    fn commands(&self, change: &Change) -> Vec<String> {
        vec![format!("(no backend) {}", change.line())]
    }
}
