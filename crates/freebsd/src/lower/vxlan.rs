//! vxlan(4) interfaces: `ifconfig vxlanVNI create vxlanid VNI [vxlanlocal L] (vxlangroup G
//! vxlandev DEV | vxlanremote R) [mtu M] description … group jailnet up`.
//!
//! Multicast (seed 004): one interface, plus `route add G/32 -interface DEV` so the
//! group's traffic leaves through the underlay (removed again with the interface).
//!
//! Unicast: vxlan(4) takes one `vxlanremote` per interface, so a resource with several
//! remotes becomes one interface per peer — the resource's own (`vxlan111`, the first
//! remote) and one per further remote, named from the VNI and the remote
//! ([`peer_ifname`]), all tagged with the resource's id. They are bridged in as PRIVATE
//! members (split horizon: a frame from one peer is never relayed to another, as every
//! host reaches every other directly). A change of remotes is made in place: peers are
//! created or destroyed, the first one's `vxlanremote` is changed while it is down.

use super::{destroy, ifconfig, mtu_words, tag, unit_name, unit_of, Ctx};
use crate::error::Error;
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_model::names::IfName;
use jailnet_plan::Resource;
use std::net::IpAddr;

/// One vxlan(4) interface of a resource: its name and its unicast remote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Port {
    pub name: String,
    pub remote: Option<IpAddr>,
}

/// The interface that carries unicast peer `remote` of VNI `vni` when it is not the
/// first: `vx<VNI>p<4 hex digits>` (at most 15 characters), stable for a given remote.
pub fn peer_ifname(vni: u32, remote: &IpAddr) -> String {
    // FNV-1a over the address bytes, folded to 16 bits.
    let bytes = match remote {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("vx{vni}p{:04x}", (h >> 16) ^ (h & 0xffff))
}

/// The interfaces `r` is made of (one unless it has several unicast remotes).
pub(crate) fn ports(r: &Resource) -> Vec<Port> {
    let Resource::Vxlan {
        ifname,
        vni,
        group,
        remotes,
        ..
    } = r
    else {
        return Vec::new();
    };
    let mut out = vec![Port {
        name: ifname.to_string(),
        remote: if group.is_some() {
            None
        } else {
            remotes.first().copied()
        },
    }];
    if group.is_none() {
        out.extend(remotes.iter().skip(1).map(|a| Port {
            name: peer_ifname(*vni, a),
            remote: Some(*a),
        }));
    }
    out
}

/// Whether `r` needs split horizon (several unicast peers, so private bridge ports).
pub(crate) fn split_horizon(r: &Resource) -> bool {
    matches!(r, Resource::Vxlan { group: None, remotes, .. } if remotes.len() > 1)
}

pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let Resource::Vxlan {
        ifname,
        vni,
        group,
        dev,
        mtu,
        ..
    } = r
    else {
        return Ok(Vec::new());
    };
    let own = unit_of(ifname.as_str(), "vxlan").is_some();
    let local = local(dev.as_ref(), ctx);
    let mut steps = Vec::new();
    for (i, port) in ports(r).into_iter().enumerate() {
        let first = i == 0;
        let mut words = vec![
            if !first {
                "vxlan".to_string()
            } else if own {
                ifname.to_string()
            } else {
                unit_name("vxlan", ctx.unit)
            },
            "create".into(),
            "vxlanid".into(),
            vni.to_string(),
        ];
        if let Some(l) = &local {
            words.extend(["vxlanlocal".to_string(), l.clone()]);
        }
        match (group, port.remote) {
            (Some(g), _) => {
                words.extend(["vxlangroup".to_string(), g.to_string()]);
                if let Some(d) = dev {
                    words.extend(["vxlandev".to_string(), d.to_string()]);
                }
            }
            (None, Some(remote)) => words.extend(["vxlanremote".to_string(), remote.to_string()]),
            (None, None) => {}
        }
        if !first || !own {
            words.extend(["name".to_string(), port.name.clone()]);
        }
        words.extend(mtu_words(*mtu));
        words.extend(tag(r));
        words.push("up".into());
        steps.push(Step::new(ifconfig(words)).undo(ifconfig([port.name.as_str(), "destroy"])));
    }
    if let (Some(g), Some(d)) = (group, dev) {
        steps.push(Step::new(group_route("add", g, d)).undo(group_route("delete", g, d)));
    }
    Ok(steps)
}

pub(crate) fn delete(r: &Resource) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Resource::Vxlan {
        group: Some(g),
        dev: Some(d),
        ..
    } = r
    {
        steps.push(Step::new(group_route("delete", g, d)));
    }
    // Peers first: the resource's own interface (which `create` made first) goes last.
    steps.extend(ports(r).iter().rev().map(|p| destroy(&p.name)));
    steps
}

/// Remotes (and MTU) from `before` to `after` on existing interfaces.
pub(crate) fn update(before: &Resource, after: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let (Resource::Vxlan { mtu: old_mtu, .. }, Resource::Vxlan { ifname, mtu, .. }) =
        (before, after)
    else {
        return Ok(Vec::new());
    };
    let (old, new) = (ports(before), ports(after));
    let switch = ctx.vxlan_switch.get(ifname.as_str());
    let mut steps = Vec::new();
    // Peers that leave: destroying an interface also takes it off its bridge.
    for p in old.iter().skip(1).filter(|p| !new.contains(p)) {
        steps.push(Step::new(ifconfig([p.name.as_str(), "destroy"])));
    }
    let (o0, n0) = (&old[0], &new[0]);
    if let (Some(was), Some(now)) = (o0.remote, n0.remote) {
        if was != now {
            let name = n0.name.as_str();
            steps.push(Step::new(ifconfig([name, "down"])).undo(ifconfig([name, "up"])));
            steps.push(
                Step::new(ifconfig([name, "vxlanremote", &now.to_string()])).undo(ifconfig([
                    name,
                    "vxlanremote",
                    &was.to_string(),
                ])),
            );
            steps.push(Step::new(ifconfig([name, "up"])));
        }
    }
    if mtu != old_mtu {
        if let Some(m) = mtu {
            steps.push(Step::new(ifconfig([
                ifname.as_str(),
                "mtu",
                &m.to_string(),
            ])));
        }
    }
    let (was_split, is_split) = (split_horizon(before), split_horizon(after));
    if let Some(sw) = switch {
        if is_split && !was_split {
            steps.push(
                Step::new(ifconfig([sw.as_str(), "private", ifname.as_str()])).undo(ifconfig([
                    sw.as_str(),
                    "-private",
                    ifname.as_str(),
                ])),
            );
        } else if was_split && !is_split {
            steps.push(
                Step::new(ifconfig([sw.as_str(), "-private", ifname.as_str()])).undo(ifconfig([
                    sw.as_str(),
                    "private",
                    ifname.as_str(),
                ])),
            );
        }
    }
    // Peers that join: created like the first, then bridged in privately.
    let joined: Vec<&Port> = new.iter().skip(1).filter(|p| !old.contains(p)).collect();
    if !joined.is_empty() {
        let mut only = after.clone();
        if let Resource::Vxlan { remotes, .. } = &mut only {
            // A stand-in first remote so `create` names every joined port as a peer.
            let keep: Vec<IpAddr> = joined.iter().filter_map(|p| p.remote).collect();
            *remotes = n0.remote.into_iter().chain(keep).collect();
            if n0.remote.is_none() {
                remotes.insert(0, remotes[0]);
            }
        }
        for step in create(&only, ctx)?.into_iter().skip(1) {
            steps.push(step);
        }
        if let Some(sw) = switch {
            for p in joined {
                steps.push(Step::new(addm_private(sw, &p.name)).undo(ifconfig([
                    sw.as_str(),
                    "deletem",
                    p.name.as_str(),
                ])));
            }
        }
    }
    Ok(steps)
}

/// `ifconfig SW addm P0 private P0 addm P1 private P1 …` for a split-horizon vxlan
/// member (one call: no window in which a peer port is not private).
pub(crate) fn member_create(switch: &str, r: &Resource) -> Vec<Step> {
    let mut words = vec![switch.to_string()];
    let names: Vec<String> = ports(r).into_iter().map(|p| p.name).collect();
    for n in &names {
        words.extend(["addm".to_string(), n.clone(), "private".into(), n.clone()]);
    }
    let mut undo = vec![switch.to_string()];
    for n in &names {
        undo.extend(["deletem".to_string(), n.clone()]);
    }
    vec![Step::new(ifconfig(words)).undo(ifconfig(undo))]
}

fn addm_private(switch: &str, port: &str) -> Invocation {
    ifconfig([switch, "addm", port, "private", port])
}

/// `route add|delete [-inet6] G/32 -interface DEV`: multicast for the group out of the
/// underlay (seed 004's `route_vxlan111="239.0.0.111/32 -interface igb0"`).
fn group_route(verb: &str, group: &IpAddr, dev: &IfName) -> Invocation {
    let mut a = vec![verb.to_string()];
    let len = if group.is_ipv4() {
        32
    } else {
        a.push("-inet6".into());
        128
    };
    a.extend([
        format!("{group}/{len}"),
        "-interface".into(),
        dev.to_string(),
    ]);
    Invocation::new("route", a)
}

/// This host's address on the underlay `dev`, when known.
fn local(dev: Option<&IfName>, ctx: &Ctx) -> Option<String> {
    let d = dev?;
    ctx.local_addrs
        .iter()
        .find(|(i, _)| i == d.as_str())
        .map(|(_, a)| a.clone())
}
