//! `jailnet status`: switches, jails, NICs, addresses, MACs, host-side names and the live
//! state of each (up / drift / missing), as a table or `--json`.

use crate::args::Cli;
use crate::backend::{self, resolve, BackendKind};
use crate::engine::host_name;
use crate::state_file::StateStore;
use anyhow::{bail, Result};
use jailnet_model::alloc::allocate;
use jailnet_plan::{desired, Resource, ResourceId};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Row {
    kind: &'static str,
    name: String,
    switch: String,
    host_if: String,
    mac: String,
    ipv4: String,
    ipv6: String,
    /// Exposed ports (`expose`), as in `iocage list`'s port column.
    ports: String,
    detail: String,
    state: &'static str,
}

pub fn run(cli: &Cli) -> Result<i32> {
    let linux = resolve(cli.backend) == BackendKind::Linux;
    let loaded = crate::config::load(cli, linux)?;
    let Some(mut be) = backend::open(cli)? else {
        bail!(
            "no backend for {:?} is available in this build",
            resolve(cli.backend)
        );
    };
    let store = StateStore::open(&super::state_dir(cli))?;
    let state = store.load()?;
    let alloc = allocate(&loaded.cfg, &host_name(&loaded.cfg), &state.allocations)?;
    let graph = desired(&loaded.cfg, &alloc)?;
    let scope: Vec<&Resource> = graph.nodes.values().collect();
    let observed = be.observe(&scope)?;
    let live = |id: &ResourceId, want: &Resource| match observed.resources.get(id) {
        Some(have) if have == want => "up",
        Some(_) => "drift",
        None => "missing",
    };
    // Linux: a dhcp/slaac NIC's leased addresses, read live from its jail.
    let mut leases = linux.then(|| jailnet_linux::LinuxBackend::new(backend::linux_options(cli)));
    let mut rows = Vec::new();
    let mut routes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in graph.nodes.values() {
        if let Resource::Route { jail, gateway, .. } = r {
            routes
                .entry(jail.to_string())
                .or_default()
                .push(gateway.to_string());
        }
    }
    for (id, r) in &graph.nodes {
        let st = live(id, r);
        let split = |addrs: &[jailnet_model::net::Cidr], v4: bool| {
            addrs
                .iter()
                .filter(|a| a.is_v4() == v4)
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        match r {
            Resource::Switch {
                name,
                ifname,
                imp,
                addrs,
                ..
            } => {
                let sw = loaded.cfg.switches.get(name);
                let mut flags = vec![format!("{imp:?}").to_lowercase()];
                if sw.is_some_and(|s| s.private) {
                    flags.push("private".into());
                }
                if sw.is_some_and(|s| s.nat) {
                    flags.push("nat".into());
                }
                rows.push(Row {
                    kind: "switch",
                    name: name.clone(),
                    switch: String::new(),
                    host_if: ifname.to_string(),
                    mac: String::new(),
                    ipv4: split(addrs, true),
                    ipv6: split(addrs, false),
                    ports: String::new(),
                    detail: flags.join(","),
                    state: st,
                });
            }
            Resource::Nic {
                jail,
                name,
                host_ifname,
                switch,
                mac,
                addrs,
                dhcp,
                slaac,
                ..
            } => {
                let j = loaded
                    .cfg
                    .jails
                    .iter()
                    .find(|(k, _)| k == &jail)
                    .map(|(_, j)| j);
                let ports: Vec<String> = j
                    .map(|j| j.expose.iter().map(|e| e.value.to_string()).collect())
                    .unwrap_or_default();
                let mut detail: Vec<String> = Vec::new();
                if *dhcp {
                    detail.push("dhcp".into());
                }
                if *slaac {
                    detail.push("slaac".into());
                }
                if let Some(gw) = routes.get(jail.as_str()) {
                    detail.push(format!("gw {}", gw.join(",")));
                }
                let mut addrs = addrs.clone();
                if let Some(lb) = leases.as_mut().filter(|_| *dhcp || *slaac) {
                    addrs.extend(lb.leases(jail.as_str(), name.as_str()).unwrap_or_default());
                }
                rows.push(Row {
                    kind: "vnet",
                    name: format!("{jail}:{name}"),
                    switch: switch.to_string(),
                    host_if: host_ifname.to_string(),
                    mac: mac.to_string(),
                    ipv4: split(&addrs, true),
                    ipv6: split(&addrs, false),
                    ports: ports.join(" "),
                    detail: detail.join(" "),
                    state: st,
                });
            }
            Resource::Jail {
                name, vnet: false, ..
            } => {
                let aliases: Vec<jailnet_model::net::Cidr> = graph
                    .nodes
                    .values()
                    .filter_map(|a| match a {
                        Resource::Alias { jail, cidr, .. } if jail == name => Some(*cidr),
                        _ => None,
                    })
                    .collect();
                let ifs: Vec<String> = graph
                    .nodes
                    .values()
                    .filter_map(|a| match a {
                        Resource::Alias { jail, ifname, .. } if jail == name => {
                            Some(ifname.to_string())
                        }
                        _ => None,
                    })
                    .collect();
                rows.push(Row {
                    kind: "shared",
                    name: name.to_string(),
                    switch: String::new(),
                    host_if: ifs.join(","),
                    mac: String::new(),
                    ipv4: split(&aliases, true),
                    ipv6: split(&aliases, false),
                    ports: loaded
                        .cfg
                        .jails
                        .get(name)
                        .map(|j| {
                            let p: Vec<String> =
                                j.expose.iter().map(|e| e.value.to_string()).collect();
                            p.join(" ")
                        })
                        .unwrap_or_default(),
                    detail: String::new(),
                    state: st,
                });
            }
            Resource::Tap {
                vm,
                ifname,
                switch,
                mac,
                ..
            } => {
                rows.push(Row {
                    kind: "vm",
                    name: vm.to_string(),
                    switch: switch.to_string(),
                    host_if: ifname.to_string(),
                    mac: mac.to_string(),
                    ipv4: String::new(),
                    ipv6: String::new(),
                    ports: String::new(),
                    detail: String::new(),
                    state: st,
                });
            }
            _ => {}
        }
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(0);
    }
    let head = [
        "KIND", "NAME", "STATE", "SWITCH", "HOST IF", "MAC", "IPv4", "IPv6", "PORTS", "DETAIL",
    ];
    let cells: Vec<[String; 10]> = rows
        .iter()
        .map(|r| {
            [
                r.kind.to_string(),
                r.name.clone(),
                r.state.to_string(),
                r.switch.clone(),
                r.host_if.clone(),
                r.mac.clone(),
                r.ipv4.clone(),
                r.ipv6.clone(),
                r.ports.clone(),
                r.detail.clone(),
            ]
        })
        .collect();
    let mut w = head.map(str::len);
    for c in &cells {
        for (i, x) in c.iter().enumerate() {
            w[i] = w[i].max(x.len());
        }
    }
    let line = |c: &[String]| {
        c.iter()
            .enumerate()
            .map(|(i, x)| format!("{x:<width$}", width = w[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(&head.map(String::from)));
    for c in &cells {
        println!("{}", line(c));
    }
    Ok(0)
}
