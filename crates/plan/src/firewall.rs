//! The firewall part of the desired graph: NAT for switches and shared-IP jails, and a
//! redirect + pass per exposed port. Anchors: `nat-SWITCH`, `jnat-JAIL` (a shared-IP
//! jail's own NAT), `rdr-JAIL`; the prefixes never collide, so a jail's anchors are found
//! by name (see [`crate::Resource::owner_jail`]). One `Firewall` resource per pf anchor, so a change
//! to one jail reloads only that jail's anchor.

use crate::graph::Graph;
use crate::resource::{FwRule, Resource};
use jailnet_model::config::{Config, SharedIp};
use jailnet_model::net::Cidr;
use std::net::IpAddr;

/// Add the firewall resources of `cfg` to `g`, using the addresses already resolved in
/// `resolved` (the graph built so far).
pub fn rules(cfg: &Config, resolved: &Graph, g: &mut Graph) {
    let Some(uplink) = cfg.host.uplink.clone() else {
        return;
    };
    for sw in cfg.switches.values().filter(|s| s.nat) {
        let rules: Vec<FwRule> = sw
            .addresses
            .iter()
            .map(|a| FwRule::Nat {
                from: a.subnet(),
                out: uplink.clone(),
            })
            .collect();
        if !rules.is_empty() {
            g.insert(Resource::Firewall {
                anchor: format!("nat-{}", sw.name),
                rules,
            });
        }
    }
    for j in cfg.jails.values() {
        let addrs = jail_addrs(j.name.as_str(), resolved);
        if j.nat && !j.is_vnet() {
            let mut rules = Vec::new();
            for ip in [&j.ip4, &j.ip6] {
                if let SharedIp::Aliases(list) = ip {
                    rules.extend(list.iter().map(|a| FwRule::Nat {
                        from: Cidr {
                            addr: a.cidr.addr,
                            prefix: if a.cidr.is_v4() { 32 } else { 128 },
                        },
                        out: uplink.clone(),
                    }));
                }
            }
            if !rules.is_empty() {
                g.insert(Resource::Firewall {
                    anchor: format!("jnat-{}", j.name),
                    rules,
                });
            }
        }
        if j.expose.is_empty() {
            continue;
        }
        let mut rules = Vec::new();
        for e in &j.expose {
            // Forward each family the jail has; a host address picks its own family.
            for to in addrs
                .iter()
                .filter(|a| e.host_addr.is_none_or(|h| h.is_ipv4() == a.is_ipv4()))
            {
                rules.push(FwRule::Rdr {
                    on: uplink.clone(),
                    proto: e.proto,
                    dst: e.host_addr,
                    port: e.host_port,
                    to: *to,
                    to_port: e.jail_port,
                });
                rules.push(FwRule::Pass {
                    proto: e.proto,
                    to: *to,
                    port: e.jail_port,
                });
            }
        }
        if !rules.is_empty() {
            g.insert(Resource::Firewall {
                anchor: format!("rdr-{}", j.name),
                rules,
            });
        }
    }
}

/// The first IPv4 and first IPv6 address of jail `jail` among its NICs or aliases.
fn jail_addrs(jail: &str, g: &Graph) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for r in g.nodes.values() {
        let cands: Vec<IpAddr> = match r {
            Resource::Nic { jail: j, addrs, .. } if j.as_str() == jail => {
                addrs.iter().map(|c| c.addr).collect()
            }
            Resource::Alias { jail: j, cidr, .. } if j.as_str() == jail => vec![cidr.addr],
            _ => continue,
        };
        for a in cands {
            if !out.iter().any(|o| o.is_ipv4() == a.is_ipv4()) {
                out.push(a);
            }
        }
    }
    out
}
