//! The demo's two-host overlay (seed 004's VXLAN across jail hosts): an "underlay"
//! namespace plays the LAN, and jailnet itself builds it — each jail host is a jail of
//! the underlay with a NIC on its bridge. Then each host runs jailnet with that jail as
//! its `--host-netns` and a switch on VXLAN 4242 (unicast, the other host as remote): a
//! jail on host A reaches a jail on host B across the overlay. Everything is torn down
//! and the underlay checked empty.

use super::checks::{fact, ping, Check};
use crate::engine::{converge, prepare, ApplyOpts, Scope};
use anyhow::{Context, Result};
use jailnet_linux::{LinuxBackend, LinuxOptions, Netns};
use jailnet_plan::State;
use std::path::PathBuf;

const UNDERLAY: &str = r#"
[switch.lan]
address = ["192.0.2.254/24"]

[jail.hosta]
[[jail.hosta.nic]]
name = "eth0"
switch = "lan"
ip4 = ["192.0.2.10/24"]

[jail.hostb]
[[jail.hostb.nic]]
name = "eth0"
switch = "lan"
ip4 = ["192.0.2.20/24"]
"#;

fn overlay(me: &str, addr: &str, peer: &str, jail: &str, jail_addr: &str) -> String {
    format!(
        r#"
[host]
name = "{me}"

[switch.ov]
address = ["{addr}/24"]
vxlan = {{ vni = 4242, remotes = ["{peer}"], dev = "eth0" }}

[jail.{jail}]
[[jail.{jail}.nic]]
switch = "ov"
ip4 = ["{jail_addr}/24"]
"#
    )
}

/// Removes every namespace named after `prefix` (deepest first) and the temp dir.
struct World {
    prefix: String,
    dir: PathBuf,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = Netns::delete_prefixed(&self.prefix);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const OPTS: ApplyOpts<'static> = ApplyOpts {
    host: "demo",
    verbose: false,
    journal: None,
};

fn backend(ns: &str, dir: &std::path::Path) -> LinuxBackend {
    LinuxBackend::new(LinuxOptions {
        host_netns: Some(ns.to_string()),
        etc_netns_dir: dir.join(ns).join("netns"),
        run_dir: dir.join(ns).join("run"),
    })
}

fn apply(text: &str, be: &mut LinuxBackend, state: &mut State, scope: Scope) -> Result<usize> {
    let (cfg, d) = jailnet_model::check(text);
    if !d.is_empty() {
        anyhow::bail!(
            "overlay config is invalid:\n{}",
            d.render("overlay.toml", text)
        );
    }
    let p = prepare(&cfg, state, be, &scope)?;
    converge(&p, state, be, &scope, &OPTS, &mut |_| Ok(()))
}

pub fn run(results: &mut Vec<Check>) -> Result<()> {
    println!("\n== two jail hosts joined by VXLAN 4242 over an underlay LAN ==\n");
    let prefix = format!("jno{}", std::process::id());
    let world = World {
        dir: std::env::temp_dir().join(format!("{prefix}-overlay")),
        prefix: prefix.clone(),
    };
    let under = format!("{prefix}u");
    Netns::create(&under).context("cannot create the underlay namespace")?;
    let mut ub = backend(&under, &world.dir);
    let mut us = State::default();
    apply(UNDERLAY, &mut ub, &mut us, Scope::All).context("underlay up")?;
    let host_a = jailnet_linux::jail_netns_name(Some(&under), "hosta");
    let host_b = jailnet_linux::jail_netns_name(Some(&under), "hostb");
    let mut ab = backend(&host_a, &world.dir);
    let mut bb = backend(&host_b, &world.dir);
    let (mut as_, mut bs) = (State::default(), State::default());
    let a_cfg = overlay("hosta", "10.99.0.1", "192.0.2.20", "a1", "10.99.0.11");
    let b_cfg = overlay("hostb", "10.99.0.2", "192.0.2.10", "b1", "10.99.0.21");
    apply(&a_cfg, &mut ab, &mut as_, Scope::All).context("host A up")?;
    apply(&b_cfg, &mut bb, &mut bs, Scope::All).context("host B up")?;
    println!("hosta (192.0.2.10) ── vxlan4242 ── hostb (192.0.2.20); jail a1 10.99.0.11 on A, b1 10.99.0.21 on B");
    let a1 = jailnet_linux::jail_netns_name(Some(&host_a), "a1");
    let b1 = jailnet_linux::jail_netns_name(Some(&host_b), "b1");
    results.push(ping(
        &a1,
        "a1 on host A -> b1 on host B (overlay)",
        "10.99.0.21",
        true,
    ));
    results.push(ping(
        &b1,
        "b1 on host B -> host A's switch address (overlay)",
        "10.99.0.1",
        true,
    ));
    apply(&b_cfg, &mut bb, &mut bs, Scope::Nothing).context("host B down")?;
    apply(&a_cfg, &mut ab, &mut as_, Scope::Nothing).context("host A down")?;
    apply(UNDERLAY, &mut ub, &mut us, Scope::Nothing).context("underlay down")?;
    drop((ab, bb, ub));
    let left: Vec<String> = Netns::list()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with(&prefix) && *n != under)
        .collect();
    results.push(fact(
        "overlay: namespaces left after down".into(),
        "none",
        if left.is_empty() {
            "none".into()
        } else {
            left.join(" ")
        },
    ));
    drop(world);
    Ok(())
}
