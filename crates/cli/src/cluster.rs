//! `[cluster]` for the commands: connect to etcd, join before `up`/`attach` (lease
//! addresses, register the VTEP, read the peers), read for `plan`, leave after `down`.

use anyhow::{Context, Result};
use jailnet_cluster::{sync, Client, View};
use jailnet_model::Config;
use std::time::Duration;

/// A client for `cfg`'s `[cluster]`, or `None` when it has none.
pub fn connect(cfg: &Config) -> Result<Option<Client>> {
    let Some(c) = &cfg.cluster else {
        return Ok(None);
    };
    Client::connect(&c.etcd)
        .map(Some)
        .with_context(|| format!("cannot connect to etcd at {}", c.etcd.join(", ")))
}

/// The cluster's view for `plan`, read without writing anything; a cluster that cannot
/// be read is a warning (the plan then shows what this host alone would choose).
pub fn read_for_plan(cfg: &Config, host: &str) -> Option<View> {
    let c = cfg.cluster.as_ref()?;
    let got = Client::connect_with_timeout(&c.etcd, Duration::from_secs(3))
        .and_then(|mut client| sync::read(&mut client, cfg, host));
    match got {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!(
                "warning: cluster state not read ({e}); vxlan peers and leased addresses are \
                 shown as this host alone would choose them"
            );
            None
        }
    }
}

/// Leave the cluster after `down`: release this host's leases and VTEPs.
pub fn leave(cfg: &Config, host: &str) -> Result<()> {
    let Some(mut client) = connect(cfg)? else {
        return Ok(());
    };
    let (leases, vteps) = sync::leave(&mut client, host)
        .context("the host is down, but its cluster leases could not be released")?;
    if leases + vteps > 0 {
        eprintln!("cluster: released {leases} address lease(s) and {vteps} VTEP(s) of {host}");
    }
    Ok(())
}
