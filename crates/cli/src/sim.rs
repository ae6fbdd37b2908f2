//! `--backend sim`: the FreeBSD backend driving the simulated FreeBSD host, which is kept
//! in the state dir (`sim-host.json`) so successive commands see one consistent host.

use crate::state_file::write_atomic;
use anyhow::{Context, Result};
use jailnet_freebsd::FreebsdBackend;
use jailnet_freebsd_sim::SimHost;
use jailnet_plan::{Backend, BackendError, Change, Observed, Resource};
use std::path::{Path, PathBuf};

pub const SIM_FILE: &str = "sim-host.json";

/// The simulated host in `dir`, or a fresh FreeBSD 14 host when there is none yet.
pub fn load(dir: &Path) -> Result<SimHost> {
    let path = dir.join(SIM_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => SimHost::from_json(&text)
            .with_context(|| format!("{} is not a simulated host", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SimHost::fresh()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The FreeBSD backend over the simulated host, saving the host after every change.
pub struct SimBackend {
    inner: FreebsdBackend<SimHost>,
    path: PathBuf,
}

impl SimBackend {
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create state dir {}", dir.display()))?;
        Ok(SimBackend {
            inner: FreebsdBackend::new(load(dir)?),
            path: dir.join(SIM_FILE),
        })
    }

    fn save(&self) -> Result<(), BackendError> {
        let json = self
            .inner
            .host()
            .to_json()
            .map_err(|e| BackendError(format!("cannot save the simulated host: {e}")))?;
        write_atomic(&self.path, json.as_bytes())
            .map_err(|e| BackendError(format!("cannot save the simulated host: {e:#}")))
    }
}

impl Backend for SimBackend {
    fn observe(&mut self, scope: &[&Resource]) -> Result<Observed, BackendError> {
        self.inner.observe(scope)
    }
    fn apply(&mut self, change: &Change) -> Result<(), BackendError> {
        let r = self.inner.apply(change);
        self.save()?;
        r
    }
    fn commit(&mut self) -> Result<(), BackendError> {
        let r = self.inner.commit();
        self.save()?;
        r
    }
    fn commands(&self, change: &Change) -> Vec<String> {
        self.inner.commands(change)
    }
}
