//! The desired resource graph: built from a validated config and its allocations, with
//! the dependency edges that order creation (forward) and deletion (reverse).

use crate::resource::*;
use jailnet_model::alloc::{nic_key, Allocations};
use jailnet_model::config::*;
use jailnet_model::names::IfName;
use jailnet_model::net::Cidr;
use std::collections::{BTreeMap, BTreeSet};

/// A set of resources keyed by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: BTreeMap<ResourceId, Resource>,
}

/// Something the config needs that the allocations do not hold (a bug: allocate first).
#[derive(Debug, thiserror::Error)]
#[error("no allocation for {0}; allocate before building the graph")]
pub struct MissingAllocation(pub String);

impl Graph {
    pub fn insert(&mut self, r: Resource) {
        self.nodes.insert(r.id(), r);
    }

    pub fn get(&self, id: &ResourceId) -> Option<&Resource> {
        self.nodes.get(id)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Ids in an order where every resource comes after what it depends on. Ties are
    /// broken by id, so the order is deterministic.
    pub fn topo_order(&self) -> Vec<ResourceId> {
        let by_if = ifname_index(&self.nodes);
        let mut deps: BTreeMap<&ResourceId, BTreeSet<ResourceId>> = BTreeMap::new();
        let mut rdeps: BTreeMap<ResourceId, Vec<&ResourceId>> = BTreeMap::new();
        for (id, r) in &self.nodes {
            let ds: BTreeSet<ResourceId> = dependencies(r, &self.nodes, &by_if)
                .into_iter()
                .filter(|d| d != id && self.nodes.contains_key(d))
                .collect();
            for d in &ds {
                rdeps.entry(d.clone()).or_default().push(id);
            }
            deps.insert(id, ds);
        }
        let mut ready: BTreeSet<(u8, &ResourceId)> = deps
            .iter()
            .filter(|(_, d)| d.is_empty())
            .map(|(id, _)| (rank(&self.nodes[*id]), *id))
            .collect();
        let mut out = Vec::with_capacity(self.nodes.len());
        while let Some(first) = ready.iter().next().copied() {
            ready.remove(&first);
            let id = first.1;
            out.push(id.clone());
            for dependent in rdeps.get(id).into_iter().flatten() {
                if let Some(ds) = deps.get_mut(dependent) {
                    ds.remove(id);
                    if ds.is_empty() {
                        ready.insert((rank(&self.nodes[*dependent]), dependent));
                    }
                }
            }
        }
        // A cycle cannot arise from the edges below; if one ever did, keep every resource.
        if out.len() < self.nodes.len() {
            let seen: BTreeSet<ResourceId> = out.iter().cloned().collect();
            out.extend(self.nodes.keys().filter(|k| !seen.contains(*k)).cloned());
        }
        out
    }

    /// The resources of jail `jail` and everything they depend on (switches, settings…):
    /// what `attach` brings up.
    pub fn for_jail(&self, jail: &str) -> Graph {
        let by_if = ifname_index(&self.nodes);
        let mut keep: BTreeSet<ResourceId> = BTreeSet::new();
        let mut todo: Vec<ResourceId> = self
            .nodes
            .iter()
            .filter(|(_, r)| r.owner_jail() == Some(jail))
            .map(|(id, _)| id.clone())
            .collect();
        while let Some(id) = todo.pop() {
            if !keep.insert(id.clone()) {
                continue;
            }
            if let Some(r) = self.nodes.get(&id) {
                todo.extend(dependencies(r, &self.nodes, &by_if));
            }
        }
        // Host settings every jail relies on.
        keep.extend(
            self.nodes
                .iter()
                .filter(|(_, r)| matches!(r, Resource::Sysctl { .. }))
                .map(|(id, _)| id.clone()),
        );
        Graph {
            nodes: self
                .nodes
                .iter()
                .filter(|(id, _)| keep.contains(*id))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// This graph without jail `jail`'s own resources: what `detach` leaves.
    pub fn without_jail(&self, jail: &str) -> Graph {
        Graph {
            nodes: self
                .nodes
                .iter()
                .filter(|(_, r)| r.owner_jail() != Some(jail))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// Ids of resources that depend on `id`, directly or not.
    pub fn dependents(&self, id: &ResourceId) -> BTreeSet<ResourceId> {
        let by_if = ifname_index(&self.nodes);
        // Reverse edges once (O(N)), then a walk: not every node's dependencies
        // recomputed for every step of the walk (O(N²)).
        let mut rdeps: BTreeMap<ResourceId, Vec<&ResourceId>> = BTreeMap::new();
        for (other, r) in &self.nodes {
            for d in dependencies(r, &self.nodes, &by_if) {
                rdeps.entry(d).or_default().push(other);
            }
        }
        let mut out = BTreeSet::new();
        let mut todo = vec![id.clone()];
        while let Some(cur) = todo.pop() {
            for other in rdeps.get(&cur).into_iter().flatten() {
                if out.insert((*other).clone()) {
                    todo.push((*other).clone());
                }
            }
        }
        out
    }
}

/// Creation rank: a tie-breaker that keeps plans readable (settings, then links, jails,
/// NICs, routes).
fn rank(r: &Resource) -> u8 {
    match r {
        Resource::Sysctl { .. } => 0,
        Resource::Vlan { .. } | Resource::Vxlan { .. } | Resource::Loopback { .. } => 1,
        Resource::Switch { .. } => 2,
        Resource::Member { .. } | Resource::Alias { .. } => 3,
        Resource::Jail { .. } => 4,
        Resource::Nic { .. } | Resource::Tap { .. } => 5,
        Resource::Route { .. } | Resource::Resolver { .. } | Resource::GatewayPin { .. } => 6,
        Resource::Firewall { .. } => 7,
        Resource::DhcpServer { .. } => 3,
        Resource::Devfs { .. } => 5,
        Resource::Guard { .. } | Resource::DhcpClient { .. } => 6,
    }
}

fn ifname_index(nodes: &BTreeMap<ResourceId, Resource>) -> BTreeMap<&IfName, ResourceId> {
    nodes
        .iter()
        .filter_map(|(id, r)| r.host_ifname().map(|i| (i, id.clone())))
        .collect()
}

/// What `r` needs to exist first, among `all`.
fn dependencies(
    r: &Resource,
    all: &BTreeMap<ResourceId, Resource>,
    by_if: &BTreeMap<&IfName, ResourceId>,
) -> Vec<ResourceId> {
    let on = |i: &IfName| by_if.get(i).cloned();
    let jail = |j: &jailnet_model::names::JailName| ResourceId(format!("jail:{j}"));
    match r {
        Resource::Member { switch, member } => on(switch).into_iter().chain(on(member)).collect(),
        Resource::Nic {
            jail: j, switch, ..
        } => std::iter::once(jail(j)).chain(on(switch)).collect(),
        Resource::Tap { switch, .. } => on(switch).into_iter().collect(),
        Resource::Alias { ifname, .. } => on(ifname).into_iter().collect(),
        Resource::Route { jail: j, .. } => {
            // The jail's NICs are one key range: O(log N), not a scan of every node.
            let prefix = format!("nic:{j}/");
            all.range(ResourceId(prefix.clone())..)
                .map(|(k, _)| k)
                .take_while(|k| k.0.starts_with(&prefix))
                .cloned()
                .collect()
        }
        Resource::Resolver { jail: j, .. } | Resource::Devfs { jail: j, .. } => vec![jail(j)],
        // After the jail's NIC on that switch holds its address (the entry needs the
        // subnet on an interface), and after the switch (its MAC).
        Resource::GatewayPin {
            jail: j, switch, ..
        } => {
            let prefix = format!("nic:{j}/");
            all.range(ResourceId(prefix.clone())..)
                .take_while(|(k, _)| k.0.starts_with(&prefix))
                .filter(|(_, n)| matches!(n, Resource::Nic { switch: s, .. } if s == switch))
                .map(|(k, _)| k.clone())
                .chain(on(switch))
                .collect()
        }
        Resource::DhcpServer { ifname, .. } => on(ifname).into_iter().collect(),
        Resource::Guard { port, .. } => on(port).into_iter().collect(),
        Resource::DhcpClient { jail: j, nic } => {
            let mut v = vec![ResourceId(format!("nic:{j}/{nic}"))];
            // The switch's DHCP server first, so the client's first request is answered.
            if let Some(Resource::Nic { switch, .. }) = all.get(&v[0]) {
                v.extend(all.iter().filter(|(_, r)| matches!(r, Resource::DhcpServer { ifname, .. } if ifname == switch)).map(|(id, _)| id.clone()));
            }
            v
        }
        Resource::Firewall { anchor, .. } => {
            // Rules name addresses, not interfaces: load a firewall after what carries
            // its addresses, and remove it first.
            let owner = anchor.split_once('-').map_or("", |(_, o)| o);
            all.iter()
                .filter(|(_, r)| match r {
                    Resource::Switch { name, .. } => name == owner,
                    Resource::Nic { jail, .. } | Resource::Alias { jail, .. } => {
                        jail.as_str() == owner
                    }
                    _ => false,
                })
                .map(|(id, _)| id.clone())
                .collect()
        }
        Resource::Jail {
            name, vnet: false, ..
        } => all
            .iter()
            .filter(|(_, a)| matches!(a, Resource::Alias { jail, .. } if jail == name))
            .map(|(id, _)| id.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The name jailnet gives the VXLAN interface of a switch.
pub fn vxlan_ifname(vni: u32) -> String {
    format!("vxlan{vni}")
}

/// Build the desired graph of `cfg` with its allocations.
pub fn desired(cfg: &Config, alloc: &Allocations) -> Result<Graph, MissingAllocation> {
    let mut g = Graph::default();
    let any = |v4: bool| cfg.switches.values().any(|s| s.gateway(v4).is_some());
    for (knob, v4) in [(Knob::Ipv4Forwarding, true), (Knob::Ipv6Forwarding, false)] {
        if any(v4) {
            g.insert(Resource::Sysctl {
                knob,
                value: "1".into(),
            });
        }
    }
    for sw in cfg.switches.values() {
        if sw.kind == SwitchKind::Manual {
            continue;
        }
        g.insert(Resource::Switch {
            name: sw.name.clone(),
            ifname: sw.ifname.clone(),
            imp: match sw.kind {
                SwitchKind::Netgraph => SwitchImpl::Netgraph,
                _ => SwitchImpl::Bridge,
            },
            mtu: sw.effective_mtu(),
            addrs: sw.addresses.iter().map(|a| a.value).collect(),
        });
        for u in &sw.uplinks {
            g.insert(Resource::Member {
                switch: sw.ifname.clone(),
                member: u.value.clone(),
            });
        }
        if let Some(v) = &sw.vlan {
            if let Ok(ifname) = IfName::new(&format!("{}.{}", v.parent, v.tag)) {
                g.insert(Resource::Vlan {
                    ifname: ifname.clone(),
                    parent: v.parent.clone(),
                    tag: v.tag,
                });
                g.insert(Resource::Member {
                    switch: sw.ifname.clone(),
                    member: ifname,
                });
            }
        }
        if let Some(v) = &sw.vxlan {
            if let Ok(ifname) = IfName::new(&vxlan_ifname(v.vni)) {
                g.insert(Resource::Vxlan {
                    ifname: ifname.clone(),
                    vni: v.vni,
                    group: v.group,
                    dev: v.dev.clone(),
                    remotes: v.remotes.clone(),
                    mtu: sw.effective_mtu(),
                });
                g.insert(Resource::Member {
                    switch: sw.ifname.clone(),
                    member: ifname,
                });
            }
        }
    }
    let secure = secure_switches(cfg);
    for j in cfg.jails.values() {
        jail(cfg, alloc, j, &secure, &mut g)?;
    }
    let resolved = g.clone();
    crate::firewall::rules(cfg, &resolved, &mut g);
    for vm in cfg.vms.values() {
        for (i, nic) in vm.nics.iter().enumerate() {
            let key = nic_key("vm", vm.name.as_str(), &i.to_string());
            let a = alloc
                .nics
                .get(&key)
                .ok_or_else(|| MissingAllocation(key.clone()))?;
            let Some(sw) = cfg.switches.get(&nic.switch.value) else {
                continue;
            };
            g.insert(Resource::Tap {
                vm: vm.name.clone(),
                index: u16::try_from(i).unwrap_or(u16::MAX),
                ifname: a.host_ifname.clone(),
                switch: sw.ifname.clone(),
                mac: a.mac,
                private: sw.private,
                mtu: sw.effective_mtu(),
            });
            if nic.secure {
                let addrs: Vec<std::net::IpAddr> = sw
                    .dhcp
                    .iter()
                    .flat_map(|d| d.hosts.get(&a.mac))
                    .map(|x| x.value)
                    .collect();
                g.insert(Resource::Guard {
                    owner: format!("vm:{}/{i}", vm.name),
                    port: a.host_ifname.clone(),
                    mac: a.mac,
                    neighbours: on_host_subnet(sw, &addrs),
                    addrs,
                    bridge: pinning_bridge(sw),
                });
            }
        }
    }
    dhcp_servers(cfg, &mut g);
    Ok(g)
}

/// A DHCP server for each switch with `dhcp`, also advertising its IPv6 prefixes when
/// a NIC on it uses SLAAC; or RA alone for a SLAAC-only switch.
fn dhcp_servers(cfg: &Config, g: &mut Graph) {
    for sw in cfg.switches.values() {
        let slaac =
            cfg.jails.values().flat_map(|j| &j.nics).any(|n| {
                n.switch.value == sw.name && n.ip6.iter().any(|s| s.value == AddrSpec::Slaac)
            });
        let ra: Vec<Cidr> = if slaac {
            sw.addresses
                .iter()
                .map(|a| a.value)
                .filter(|a| !a.is_v4())
                .collect()
        } else {
            Vec::new()
        };
        if sw.dhcp.is_none() && ra.is_empty() {
            continue;
        }
        let (range, hosts) = match &sw.dhcp {
            Some(d) => (
                d.range.as_ref().and_then(|r| match r.value {
                    (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => Some((a, b)),
                    _ => None,
                }),
                d.hosts.iter().map(|(m, a)| (*m, a.value)).collect(),
            ),
            None => (None, Vec::new()),
        };
        g.insert(Resource::DhcpServer {
            switch: sw.name.clone(),
            ifname: sw.ifname.clone(),
            gateway: sw.gateway(true).copied(),
            range,
            hosts,
            ra,
        });
    }
}

fn jail(
    cfg: &Config,
    alloc: &Allocations,
    j: &Jail,
    secure: &std::collections::BTreeSet<&str>,
    g: &mut Graph,
) -> Result<(), MissingAllocation> {
    let jail_ip = |ip: &SharedIp| match ip {
        SharedIp::None => JailIp::Disable,
        SharedIp::Inherit => JailIp::Inherit,
        SharedIp::Aliases(a) => JailIp::Addrs(a.iter().map(|a| a.cidr.addr).collect()),
    };
    let vnet = j.is_vnet();
    g.insert(Resource::Jail {
        name: j.name.clone(),
        vnet,
        ip4: if vnet {
            JailIp::Disable
        } else {
            jail_ip(&j.ip4)
        },
        ip6: if vnet {
            JailIp::Disable
        } else {
            jail_ip(&j.ip6)
        },
        allow_raw_sockets: j.allow_raw_sockets,
    });
    for ip in [&j.ip4, &j.ip6] {
        if let SharedIp::Aliases(list) = ip {
            for a in list {
                if is_extra_loopback(a.ifname.as_str())
                    && !cfg.switches.values().any(|s| s.ifname == a.ifname)
                {
                    g.insert(Resource::Loopback {
                        ifname: a.ifname.clone(),
                    });
                }
                g.insert(Resource::Alias {
                    ifname: a.ifname.clone(),
                    cidr: a.cidr,
                    jail: j.name.clone(),
                });
            }
        }
    }
    // Default routes: an explicit address, or the gateway of the first NIC's switch that
    // has one for a NIC with a static or auto address of that family.
    let mut routers: [Option<std::net::IpAddr>; 2] = [None, None];
    for nic in &j.nics {
        let key = nic_key("jail", j.name.as_str(), nic.name.as_str());
        let a = alloc
            .nics
            .get(&key)
            .ok_or_else(|| MissingAllocation(key.clone()))?;
        let Some(sw) = cfg.switches.get(&nic.switch.value) else {
            continue;
        };
        let mut addrs: Vec<Cidr> = Vec::new();
        for (specs, auto) in [(&nic.ip4, a.ip4), (&nic.ip6, a.ip6)] {
            for s in specs {
                match s.value {
                    AddrSpec::Static(c) => addrs.push(c),
                    AddrSpec::Auto => addrs.extend(auto),
                    _ => {}
                }
            }
        }
        for (slot, v4) in routers.iter_mut().zip([true, false]) {
            let has = addrs.iter().any(|c| c.is_v4() == v4);
            if slot.is_none() && has {
                *slot = sw.gateway(v4).map(|g| g.addr);
            }
        }
        if nic.secure {
            g.insert(Resource::Guard {
                owner: format!("jail:{}/{}", j.name, nic.name),
                port: a.host_ifname.clone(),
                mac: a.mac,
                addrs: addrs.iter().map(|c| c.addr).collect(),
                bridge: pinning_bridge(sw),
                neighbours: on_host_subnet(sw, &addrs.iter().map(|c| c.addr).collect::<Vec<_>>()),
            });
        }
        if nic.ip4.iter().any(|s| s.value == AddrSpec::Dhcp) {
            g.insert(Resource::DhcpClient {
                jail: j.name.clone(),
                nic: nic.name.clone(),
            });
        }
        g.insert(Resource::Nic {
            jail: j.name.clone(),
            name: nic.name.clone(),
            host_ifname: a.host_ifname.clone(),
            switch: sw.ifname.clone(),
            switch_imp: if sw.kind == SwitchKind::Netgraph {
                SwitchImpl::Netgraph
            } else {
                SwitchImpl::Bridge
            },
            mac: a.mac,
            private: sw.private,
            mtu: sw.effective_mtu(),
            addrs,
            dhcp: nic
                .ip4
                .iter()
                .chain(&nic.ip6)
                .any(|s| s.value == AddrSpec::Dhcp),
            slaac: nic.ip6.iter().any(|s| s.value == AddrSpec::Slaac),
        });
    }
    if vnet {
        for ((r, auto), v6) in [
            (&j.defaultrouter, routers[0]),
            (&j.defaultrouter6, routers[1]),
        ]
        .into_iter()
        .zip([false, true])
        {
            let gw = match r {
                Router::None => None,
                Router::Auto => auto,
                Router::Addr(a) => Some(a.value),
            };
            if let Some(gateway) = gw {
                g.insert(Resource::Route {
                    jail: j.name.clone(),
                    v6,
                    gateway,
                });
                // The gateway is the host on a switch with secure NICs the jail is on.
                let on_secure = j.nics.iter().find_map(|n| {
                    let sw = cfg.switches.get(&n.switch.value)?;
                    let mine = sw.addresses.iter().any(|c| c.value.addr == gateway);
                    (mine && secure.contains(n.switch.value.as_str())).then(|| sw.ifname.clone())
                });
                if let Some(switch) = on_secure {
                    g.insert(Resource::GatewayPin {
                        jail: j.name.clone(),
                        gateway,
                        switch,
                    });
                }
            }
        }
    }
    match &j.resolver {
        Resolver::None => {}
        Resolver::Inherit => g.insert(Resource::Resolver {
            jail: j.name.clone(),
            conf: ResolvConf::Inherit,
        }),
        Resolver::Lines(l) => g.insert(Resource::Resolver {
            jail: j.name.clone(),
            conf: ResolvConf::Lines(l.clone()),
        }),
    }
    if let Some(n) = alloc.devfs.get(j.name.as_str()) {
        let mut unhide = Vec::new();
        if j.firewall {
            unhide.extend(["pf".to_string(), "pflog".to_string()]);
        }
        if j.nics.iter().any(|n| {
            n.ip4
                .iter()
                .chain(&n.ip6)
                .any(|s| s.value == AddrSpec::Dhcp)
        }) {
            unhide.push("bpf*".to_string());
        }
        g.insert(Resource::Devfs {
            jail: j.name.clone(),
            ruleset: *n,
            unhide,
        });
    }
    Ok(())
}

/// `lo1`, `lo2`, …: a loopback jailnet makes when aliases need it (never `lo0`).
pub fn is_extra_loopback(name: &str) -> bool {
    name.strip_prefix("lo").is_some_and(|n| {
        !n.is_empty() && !n.starts_with('0') && n.chars().all(|c| c.is_ascii_digit())
    })
}

/// The switches (by config name) that have a secure jail or VM NIC.
fn secure_switches(cfg: &Config) -> std::collections::BTreeSet<&str> {
    let jails = cfg
        .jails
        .values()
        .flat_map(|j| &j.nics)
        .filter(|n| n.secure);
    let vms = cfg.vms.values().flat_map(|v| &v.nics).filter(|n| n.secure);
    jails
        .map(|n| n.switch.value.as_str())
        .chain(vms.map(|n| n.switch.value.as_str()))
        .collect()
}

/// The addresses of `addrs` on a subnet of one of the switch's host addresses.
fn on_host_subnet(
    sw: &jailnet_model::config::Switch,
    addrs: &[std::net::IpAddr],
) -> Vec<std::net::IpAddr> {
    addrs
        .iter()
        .filter(|a| sw.addresses.iter().any(|c| c.value.contains(a)))
        .copied()
        .collect()
}

/// The bridge whose forwarding table pins a secure port's MAC: the switch's own, unless
/// it is a netgraph switch (ng_bridge has no static entries).
fn pinning_bridge(sw: &jailnet_model::config::Switch) -> Option<jailnet_model::names::IfName> {
    (sw.kind != jailnet_model::config::SwitchKind::Netgraph).then(|| sw.ifname.clone())
}
