//! [`HostView`] → [`Observed`]: every resource of the scope that exists, valued so that a
//! host that matches the config diffs empty. Fields the host does not show (`dhcp`,
//! `slaac`, a vxlan's `vxlandev`, an MTU nobody asked for) are reported as in scope;
//! address lists that hold the same addresses as in scope keep the scope's order.
//! Interfaces tagged `description jailnet:ID` are listed in [`Observed::tagged`], and
//! tagged switches, VLANs, vxlans and taps outside the scope are reported too, so a plan
//! can remove them; so are ipfw rules tagged `// jailnet:guard:PORT`.

use super::ifconfig::{IfStatus, VxlanPeer};
use super::HostView;
use crate::lower::sysctl_name;
use crate::TAG_PREFIX;
use jailnet_model::names::{IfName, JailName};
use jailnet_model::net::{Cidr, Mac};
use jailnet_plan::resource::{JailIp, ResolvConf, SwitchImpl};
use jailnet_plan::{Observed, Resource, ResourceId};
use std::net::IpAddr;

/// The resources of `scope` found in `v`, plus tagged leftovers.
pub fn map(v: &HostView, scope: &[&Resource]) -> Observed {
    let mut o = Observed::default();
    for i in &v.ifaces {
        if let Some(id) = i.description().and_then(|d| d.strip_prefix(TAG_PREFIX)) {
            o.tagged.insert(ResourceId(id.to_string()));
        }
    }
    // Aliases on a switch's interface are theirs, not the switch's.
    let aliases: Vec<(String, IpAddr)> = scope
        .iter()
        .filter_map(|r| match r {
            Resource::Alias { ifname, cidr, .. } => Some((ifname.to_string(), cidr.addr)),
            _ => None,
        })
        .collect();
    for r in scope {
        if let Some(found) = one(v, r, &aliases) {
            let tagged = o.tagged.contains(&found.id()) || super::ngctl::owns(&v.netgraph, &found);
            o.insert(found, tagged);
        }
    }
    for i in &v.ifaces {
        if let Some(r) = leftover(v, i) {
            if !o.resources.nodes.contains_key(&r.id()) {
                o.insert(r, true);
            }
        }
    }
    super::pf::map_into(&v.pf, scope, &mut o);
    extras(v, scope, &mut o);
    o
}

/// Whether bridge `bridge` learns source MACs on member `port`; `None` when `port` is
/// not its member.
fn learns(v: &HostView, bridge: &str, port: &str) -> Option<bool> {
    let br = v.ifaces.iter().find(|i| i.name == bridge)?;
    let members = br.members();
    let (_, flags) = members.iter().find(|(m, _)| *m == port)?;
    Some(flags.iter().any(|f| f == "LEARNING"))
}

/// Guards (ipfw rules tagged `// jailnet:guard:PORT`, also those outside the scope),
/// devfs rulesets (jailnet's when marked), DHCP servers (jailnet's config, dnsmasq
/// running) and DHCP clients (dhclient running; never tagged: the jail's own rc may run
/// one).
fn extras(v: &HostView, scope: &[&Resource], o: &mut Observed) {
    for ifname in &v.dhcp_leftovers {
        if let Ok(ifname) = IfName::new(ifname) {
            o.insert(jailnet_plan::dnsmasq::leftover(ifname), true);
        }
    }
    for r in scope {
        match r {
            Resource::Guard {
                owner,
                port,
                addrs,
                bridge,
                neighbours,
                ..
            } => {
                let Some(rules) = &v.ipfw else { continue };
                let bodies: Vec<&str> = rules.iter().map(|(_, b)| b.as_str()).collect();
                if let Some(Resource::Guard {
                    owner: _,
                    port,
                    mac,
                    addrs: found,
                    ..
                }) = crate::lower::guard::parse(port.as_str(), owner, &bodies)
                {
                    let same =
                        found.len() == addrs.len() && found.iter().all(|a| addrs.contains(a));
                    // A wanted ARP filter that is not spliced in: the guard is re-made.
                    let filter = crate::lower::arp_filter::node_name(port.as_str());
                    let filtered =
                        !crate::lower::arp_filter::wanted(r) || v.arp_filters.contains(&filter);
                    let mac = if filtered { mac } else { Mac([0; 6]) };
                    o.insert(
                        Resource::Guard {
                            owner: owner.clone(),
                            mac,
                            addrs: if same { addrs.clone() } else { found },
                            // Pinned: the port is on the bridge and the bridge does not
                            // learn from it (the static entry is set in the same call).
                            bridge: bridge
                                .clone()
                                .filter(|b| learns(v, b.as_str(), port.as_str()) == Some(false)),
                            // The host's permanent entries that still name this MAC.
                            neighbours: neighbours
                                .iter()
                                .filter(|a| {
                                    v.neighbours.get(a).is_some_and(|m| *m == mac.to_string())
                                })
                                .copied()
                                .collect(),
                            port,
                        },
                        true,
                    );
                }
            }
            Resource::Devfs { jail, ruleset, .. } => {
                if let Some((found, ours)) = v
                    .devfs
                    .get(ruleset)
                    .and_then(|t| crate::lower::devfs::parse(jail, *ruleset, t))
                {
                    o.insert(found, ours);
                }
            }
            Resource::DhcpServer { ifname, .. } => {
                if let Some(found) = v
                    .dhcp
                    .get(ifname.as_str())
                    .and_then(|t| crate::lower::dhcp::parse(t, r))
                {
                    o.insert(found, true);
                }
            }
            Resource::DhcpClient { jail, nic }
                if v.dhclients.contains(&(jail.to_string(), nic.to_string())) =>
            {
                o.insert((*r).clone(), false);
            }
            _ => {}
        }
    }
    // Guards nobody asked for any more: their tagged rules, so they can be removed.
    if let Some(rules) = &v.ipfw {
        let bodies: Vec<&str> = rules.iter().map(|(_, b)| b.as_str()).collect();
        for (_, b) in rules {
            let Some((_, port)) = b.rsplit_once("// jailnet:guard:") else {
                continue;
            };
            let id = jailnet_plan::ResourceId(format!("guard:{}", port.trim()));
            if o.resources.nodes.contains_key(&id) {
                continue;
            }
            if let Some(g) = crate::lower::guard::parse(port.trim(), "", &bodies) {
                o.insert(g, true);
            }
        }
    }
}

fn one(v: &HostView, r: &Resource, aliases: &[(String, IpAddr)]) -> Option<Resource> {
    match r {
        // Mapped with jailnet's other anchors in `pf::map_into`.
        Resource::Firewall { .. } => None,
        // Mapped in `extras` (they carry their own ownership marks).
        Resource::Guard { .. }
        | Resource::Devfs { .. }
        | Resource::DhcpServer { .. }
        | Resource::DhcpClient { .. } => None,
        Resource::Loopback { ifname } => v.iface(ifname.as_str()).map(|_| r.clone()),
        // Pinned while the jail holds a permanent entry at the switch's current MAC.
        Resource::GatewayPin {
            jail,
            gateway,
            switch,
        } => {
            let mac = v.iface(switch.as_str())?.ether()?.to_string();
            let have = v.jail_neighbours.get(jail.as_str())?.get(gateway)?;
            (*have == mac).then(|| r.clone())
        }
        Resource::Sysctl { knob, .. } => {
            v.sysctl
                .get(sysctl_name(*knob))
                .map(|value| Resource::Sysctl {
                    knob: *knob,
                    value: value.clone(),
                })
        }
        Resource::Switch {
            name,
            ifname,
            imp,
            mtu,
            addrs,
        } => {
            let i = v.iface(ifname.as_str())?;
            let imp = if i.is_bridge() {
                SwitchImpl::Bridge
            } else if *imp == SwitchImpl::Netgraph {
                SwitchImpl::Netgraph
            } else {
                // Not a bridge at all: report it as the other kind, so it is replaced.
                SwitchImpl::Netgraph
            };
            Some(Resource::Switch {
                name: name.clone(),
                ifname: ifname.clone(),
                imp,
                mtu: mtu_as(*mtu, i.mtu),
                addrs: addrs_as(addrs, &without(cidrs(i), ifname.as_str(), aliases)),
            })
        }
        Resource::Vlan { ifname, .. } => {
            let i = v.iface(ifname.as_str())?;
            let (tag, parent) = i.vlan()?;
            Some(Resource::Vlan {
                ifname: ifname.clone(),
                parent: IfName::new(parent).ok()?,
                tag,
            })
        }
        Resource::Vxlan {
            ifname,
            dev,
            mtu,
            remotes,
            ..
        } => {
            let i = v.iface(ifname.as_str())?;
            let (vni, peer) = i.vxlan()?;
            let group = match &peer {
                Some((VxlanPeer::Group, a)) => peer_host(a),
                _ => None,
            };
            let found = vxlan_remotes(v, i);
            // The remotes in the order wanted when they are the same set.
            let same = found.len() == remotes.len() && found.iter().all(|a| remotes.contains(a));
            Some(Resource::Vxlan {
                ifname: ifname.clone(),
                vni,
                group,
                dev: dev.clone(),
                remotes: if same { remotes.clone() } else { found },
                mtu: mtu_as(*mtu, i.mtu),
            })
        }
        Resource::Member { switch, member } => {
            if let Some(on) = super::ngctl::member_on(&v.netgraph, switch.as_str(), member.as_str())
            {
                return on.then(|| r.clone());
            }
            let b = v.iface(switch.as_str())?;
            b.members()
                .iter()
                .any(|(m, _)| *m == member.as_str())
                .then(|| r.clone())
        }
        Resource::Jail { name, .. } => {
            let j = v.jail(name.as_str())?;
            let ip = |mode: &str, addrs: &[String]| match mode {
                "inherit" => JailIp::Inherit,
                "new" => JailIp::Addrs(
                    addrs
                        .iter()
                        .filter_map(|a| a.split('/').next()?.parse().ok())
                        .collect(),
                ),
                _ => JailIp::Disable,
            };
            let (ip4, ip6) = if j.vnet {
                (JailIp::Disable, JailIp::Disable)
            } else {
                (ip(&j.ip4, &j.ip4_addr), ip(&j.ip6, &j.ip6_addr))
            };
            Some(Resource::Jail {
                name: name.clone(),
                vnet: j.vnet,
                ip4,
                ip6,
                allow_raw_sockets: j.allow_raw_sockets,
            })
        }
        Resource::Nic { .. } => nic(v, r),
        Resource::Route { jail, v6, .. } => {
            let d = v.routes.get(jail.as_str())?;
            let gateway = if *v6 { d.v6 } else { d.v4 }?;
            Some(Resource::Route {
                jail: jail.clone(),
                v6: *v6,
                gateway,
            })
        }
        Resource::Alias { ifname, cidr, jail } => {
            let i = v.iface(ifname.as_str())?;
            let have = cidrs(i).into_iter().find(|c| c.addr == cidr.addr)?;
            Some(Resource::Alias {
                ifname: ifname.clone(),
                cidr: have,
                jail: jail.clone(),
            })
        }
        Resource::Tap {
            vm,
            index,
            ifname,
            mtu,
            ..
        } => {
            let i = v.iface(ifname.as_str())?;
            Some(tap(v, i, ifname.clone(), vm.clone(), *index, *mtu))
        }
        Resource::Resolver { jail, conf } => {
            let text = v.resolv.get(jail.as_str())?;
            let same_as_host = v.host_resolv.as_deref() == Some(text.as_str());
            let conf = if *conf == ResolvConf::Inherit && same_as_host {
                ResolvConf::Inherit
            } else {
                ResolvConf::Lines(text.lines().map(str::to_string).collect())
            };
            Some(Resource::Resolver {
                jail: jail.clone(),
                conf,
            })
        }
    }
}

/// A VNET NIC: host end on a bridge, jail end inside the jail.
fn nic(v: &HostView, r: &Resource) -> Option<Resource> {
    let Resource::Nic {
        jail,
        name,
        host_ifname,
        switch,
        switch_imp,
        mtu,
        addrs,
        dhcp,
        slaac,
        ..
    } = r
    else {
        return None;
    };
    let inside = v
        .jail_ifaces
        .get(jail.as_str())
        .and_then(|l| l.iter().find(|i| i.name == name.as_str()));
    let (found_switch, private) = match switch_imp {
        SwitchImpl::Bridge => {
            v.iface(host_ifname.as_str())?;
            match v.bridge_of(host_ifname.as_str()) {
                Some((b, flags)) => (
                    IfName::new(&b.name).ok()?,
                    flags.iter().any(|f| f == "PRIVATE"),
                ),
                // On no bridge: a value that can never match, so the NIC is replaced.
                None => (host_ifname.clone(), false),
            }
        }
        // ng_bridge has no private ports; the eiface lives in the jail, its node on the host.
        SwitchImpl::Netgraph => {
            match super::ngctl::eiface_on(&v.netgraph, host_ifname.as_str(), switch.as_str())? {
                true => (switch.clone(), false),
                false => (host_ifname.clone(), false),
            }
        }
    };
    let Some(inside) = inside else {
        // The jail end is gone (the jail was recreated): a broken NIC, to be replaced.
        return Some(Resource::Nic {
            jail: jail.clone(),
            name: name.clone(),
            host_ifname: host_ifname.clone(),
            switch: found_switch,
            switch_imp: *switch_imp,
            mac: Mac([0; 6]),
            private,
            mtu: *mtu,
            addrs: Vec::new(),
            dhcp: *dhcp,
            slaac: *slaac,
        });
    };
    Some(Resource::Nic {
        jail: jail.clone(),
        name: name.clone(),
        host_ifname: host_ifname.clone(),
        switch: found_switch,
        switch_imp: *switch_imp,
        mac: inside.ether().unwrap_or(Mac([0; 6])),
        private,
        mtu: mtu_as(*mtu, inside.mtu),
        addrs: addrs_as(addrs, &leased_out(*dhcp, addrs, cidrs(inside))),
        dhcp: *dhcp,
        slaac: *slaac,
    })
}

fn tap(
    v: &HostView,
    i: &IfStatus,
    ifname: IfName,
    vm: JailName,
    index: u16,
    mtu: Option<u32>,
) -> Resource {
    let (switch, private) = match v.bridge_of(&i.name) {
        Some((b, flags)) => (
            IfName::new(&b.name).unwrap_or_else(|_| ifname.clone()),
            flags.iter().any(|f| f == "PRIVATE"),
        ),
        None => (ifname.clone(), false),
    };
    Resource::Tap {
        vm,
        index,
        ifname,
        switch,
        mac: i.ether().unwrap_or(Mac([0; 6])),
        private,
        mtu: mtu_as(mtu, i.mtu),
    }
}

/// A tagged interface outside the scope, as the resource its tag names.
fn leftover(v: &HostView, i: &IfStatus) -> Option<Resource> {
    let id = i.description()?.strip_prefix(TAG_PREFIX)?;
    let (kind, rest) = id.split_once(':')?;
    let ifname = IfName::new(&i.name).ok()?;
    match kind {
        "switch" if i.is_bridge() => Some(Resource::Switch {
            name: rest.to_string(),
            ifname,
            imp: SwitchImpl::Bridge,
            mtu: None,
            addrs: cidrs(i),
        }),
        "vlan" => {
            let (tag, parent) = i.vlan()?;
            Some(Resource::Vlan {
                ifname,
                parent: IfName::new(parent).ok()?,
                tag,
            })
        }
        "vxlan" => {
            let (vni, _) = i.vxlan()?;
            // A further peer of a vxlan that is still there goes with it.
            if rest != i.name && v.iface(rest).is_some() {
                return None;
            }
            Some(Resource::Vxlan {
                ifname,
                vni,
                group: None,
                dev: None,
                remotes: vxlan_remotes(v, i),
                mtu: None,
            })
        }
        "tap" => {
            let (vm, index) = rest.split_once('/')?;
            Some(tap(
                v,
                i,
                ifname,
                JailName::new(vm).ok()?,
                index.parse().ok()?,
                None,
            ))
        }
        _ => None,
    }
}

/// Configured addresses (IPv4, then global IPv6) as CIDRs.
fn cidrs(i: &IfStatus) -> Vec<Cidr> {
    let v4 = i
        .inet()
        .into_iter()
        .filter_map(|(a, p)| Cidr::new(IpAddr::V4(a), p).ok());
    let v6 = i
        .inet6_global()
        .into_iter()
        .filter_map(|(a, p)| Cidr::new(IpAddr::V6(a), p).ok());
    v4.chain(v6).collect()
}

/// A DHCP NIC's IPv4 addresses are its DHCP client's, not jailnet's: only the static
/// ones count.
fn leased_out(dhcp: bool, want: &[Cidr], have: Vec<Cidr>) -> Vec<Cidr> {
    if !dhcp {
        return have;
    }
    have.into_iter()
        .filter(|c| !c.is_v4() || want.contains(c))
        .collect()
}

/// `have` without the addresses that aliases in scope hold on `ifname`.
fn without(have: Vec<Cidr>, ifname: &str, aliases: &[(String, IpAddr)]) -> Vec<Cidr> {
    have.into_iter()
        .filter(|c| !aliases.iter().any(|(i, a)| i == ifname && *a == c.addr))
        .collect()
}

/// `have` in the order of `want` when both hold the same addresses.
fn addrs_as(want: &[Cidr], have: &[Cidr]) -> Vec<Cidr> {
    let same = want.len() == have.len() && want.iter().all(|w| have.contains(w));
    if same {
        want.to_vec()
    } else {
        have.to_vec()
    }
}

/// An MTU nobody asked for is not drift; one that was asked for is reported as it is.
fn mtu_as(want: Option<u32>, have: u32) -> Option<u32> {
    want.map(|_| have)
}

/// The host part of a vxlan status `ADDR:PORT` (`[V6]:PORT`).
fn peer_host(a: &str) -> Option<IpAddr> {
    a.rsplit_once(':')
        .map_or(a, |(h, _)| h)
        .trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .ok()
}

/// The unicast remotes of vxlan `primary`: its own, then those of the further peer
/// interfaces tagged with its id (see `lower::vxlan`).
fn vxlan_remotes(v: &HostView, primary: &IfStatus) -> Vec<IpAddr> {
    let remote = |i: &IfStatus| match i.vxlan() {
        Some((_, Some((VxlanPeer::Remote, a)))) => peer_host(&a),
        _ => None,
    };
    let id = format!("{TAG_PREFIX}vxlan:{}", primary.name);
    let mut out: Vec<IpAddr> = remote(primary).into_iter().collect();
    for i in &v.ifaces {
        if i.name != primary.name && i.description() == Some(id.as_str()) {
            out.extend(remote(i));
        }
    }
    out
}
