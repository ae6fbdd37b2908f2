//! `jailnet watch`: stay in the cluster. Joins and applies once (like `up`), then keeps
//! this host's VTEP lease alive and follows `/jailnet/v1/vteps/` with an etcd watch; on
//! every change from another host it re-plans and applies, which changes only the cluster
//! switches' vxlan peers (FDB entries on Linux, in place). The state lock is taken only
//! for each apply, so `up`/`down` can run meanwhile. Bounded by `--timeout` and
//! `--once-after-change` (for tests and scripts), else until SIGINT/SIGTERM.

use super::apply::{apply_once, Step};
use crate::args::Cli;
use crate::backend::{resolve, BackendKind};
use crate::engine::{host_name, Scope};
use crate::exit::Invalid;
use anyhow::{Context, Result};
use jailnet_cluster::{sync, Client, View, VtepWatch, Wake};
use jailnet_model::Config;
use std::time::{Duration, Instant};

/// How long one wait lasts before signals and the deadline are checked again.
const TICK: Duration = Duration::from_millis(500);

pub fn run(cli: &Cli, timeout: Option<u64>, once_after_change: bool, ttl: i64) -> Result<i32> {
    let linux = resolve(cli.backend) == BackendKind::Linux;
    let loaded = crate::config::load(cli, linux)?;
    let cfg = &loaded.cfg;
    if cfg.cluster.is_none() {
        return Err(Invalid(format!(
            "{} has no [cluster]: there is nothing to watch",
            loaded.path.display()
        ))
        .into());
    }
    let deadline = timeout.map(|s| Instant::now() + Duration::from_secs(s));
    let host = host_name(cfg);
    let mut client = crate::cluster::connect(cfg)?.context("no [cluster] in the config")?;
    crate::signals::install();
    let mut watch = start(cli, cfg, &host, &mut client, ttl, "joined")?;
    loop {
        if crate::signals::stop_requested() {
            break;
        }
        let left = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(l) if !l.is_zero() => l,
                _ => break,
            },
            None => TICK,
        };
        let wake = match client.wait(&mut watch, left.min(TICK)) {
            Ok(w) => w,
            // Compacted past our revision, or the stream broke: start over from now.
            Err(jailnet_cluster::Error::WatchEnded(why)) => {
                eprintln!("cluster: {why}; watching again");
                watch = start(cli, cfg, &host, &mut client, ttl, "rejoined")?;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match wake {
            Wake::Quiet => {}
            Wake::Changed(keys) => {
                // Our own registration echoes back; only other hosts' changes matter.
                if keys.iter().all(|(_, h)| *h == host) {
                    continue;
                }
                let view = sync::read(&mut client, cfg, &host)?;
                let (n, _) = apply_once(cli, cfg, &Scope::All, Step::Given(&view))?;
                report(cli, &host, "peers changed", n, &view);
                if once_after_change {
                    break;
                }
            }
            Wake::LeaseLost(id) => {
                eprintln!("cluster: the VTEP lease {id:x} of {host} is gone; registering again");
                watch = start(cli, cfg, &host, &mut client, ttl, "joined again")?;
            }
        }
    }
    Ok(0)
}

/// Join the cluster and apply (as `up`), then watch the VTEPs from the revision the
/// peers were read at, keeping this host's VTEP lease alive.
fn start(
    cli: &Cli,
    cfg: &Config,
    host: &str,
    client: &mut Client,
    ttl: i64,
    what: &str,
) -> Result<VtepWatch> {
    let (n, view) = apply_once(cli, cfg, &Scope::All, Step::Join { client, ttl })?;
    let view = view.unwrap_or_default();
    report(cli, host, what, n, &view);
    let mut watch = client.watch_vteps(view.revision)?;
    if let Some(lease) = view.lease {
        client.keep_alive(&mut watch, lease, ttl)?;
    }
    Ok(watch)
}

/// One line per round: what happened, how many changes, the peers now.
fn report(cli: &Cli, host: &str, what: &str, changes: usize, view: &View) {
    if cli.json {
        let peers: serde_json::Map<String, serde_json::Value> = view
            .remotes
            .iter()
            .map(|(s, r)| (s.clone(), serde_json::json!(r)))
            .collect();
        println!(
            "{}",
            serde_json::json!({"host": host, "event": what, "changes": changes, "peers": peers})
        );
        return;
    }
    let peers: Vec<String> = view
        .remotes
        .iter()
        .map(|(s, r)| {
            let list: Vec<String> = r.iter().map(ToString::to_string).collect();
            format!("{s}: [{}]", list.join(", "))
        })
        .collect();
    println!(
        "{host}: {what}; {changes} change{} applied; peers {}",
        if changes == 1 { "" } else { "s" },
        peers.join("; ")
    );
}
