//! VXLAN devices: multicast (group + dev) or unicast (no group, learning off,
//! one all-zero-MAC FDB entry per remote), with MTU and tag, up. A change of remotes
//! (a cluster peer joining or leaving) is made in place: FDB entries appended/deleted.
//! One device serves every peer: the kernel bridge never floods a frame back out of the
//! port it came in on, so peers are not looped (the split horizon FreeBSD needs one
//! vxlan(4) interface per peer for).

use jailnet_plan::{Change, Op, Resource};
use std::net::IpAddr;

use super::observe::HostView;
use super::{create_host_link, ensure_free, first_error, ifname, ignore_missing};
use super::{observed_mtu, order_like, tag, LinuxBackend};
use crate::conn::Request;
use crate::error::Result;
use crate::types::{LinkRef, MacAddr};
use crate::vxlan::{VxlanSpec, VXLAN_PORT};

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, &change.before, &change.after) {
        (Op::Create, _, Some(r)) => create(b, r, &tag(&change.id)),
        (Op::Update, Some(before), Some(after)) => update(b, before, after),
        (Op::Delete, Some(Resource::Vxlan { ifname, .. }), _) => {
            ignore_missing(b.host()?.nl.delete_link(ifname.as_str()))?;
            b.host_removed(ifname.as_str());
            Ok(())
        }
        _ => Ok(()),
    }
}

fn create(b: &mut LinuxBackend, r: &Resource, alias: &str) -> Result<()> {
    let Resource::Vxlan {
        ifname,
        vni,
        group,
        dev,
        remotes,
        mtu,
    } = r
    else {
        return Ok(());
    };
    let name = ifname.as_str();
    ensure_free(b, "vxlan", name)?;
    let dev = match dev {
        Some(d) => Some(b.host_index(d.as_str())?),
        None => None,
    };
    let spec = VxlanSpec {
        group: *group,
        dev,
        learning: group.is_some(),
        mtu: *mtu,
        ..VxlanSpec::new(name, *vni)
    };
    create_host_link(b, name, Request::create_vxlan(&spec)?, alias, |index| {
        Ok(remotes
            .iter()
            .map(|r| Request::append_fdb(index, MacAddr::ZERO, *r))
            .collect())
    })
}

/// Peers and MTU brought from `before` to `after` on the existing device.
fn update(b: &mut LinuxBackend, before: &Resource, after: &Resource) -> Result<()> {
    let (name, gone, new, mtu) = delta(before, after);
    let nl = &mut b.host()?.nl;
    let index = nl.index_of(LinkRef::Name(name))?;
    let mut reqs: Vec<Request> = gone
        .iter()
        .map(|r| Request::delete_fdb(index, MacAddr::ZERO, *r))
        .chain(
            new.iter()
                .map(|r| Request::append_fdb(index, MacAddr::ZERO, *r)),
        )
        .collect();
    if let Some(m) = mtu {
        reqs.push(Request::set_mtu(index.into(), m));
    }
    first_error(nl.execute_batch(reqs))
}

/// What an update changes: the device name, remotes to drop, remotes to add, a new MTU.
fn delta<'r>(
    before: &'r Resource,
    after: &'r Resource,
) -> (&'r str, Vec<IpAddr>, Vec<IpAddr>, Option<u32>) {
    let (
        Resource::Vxlan {
            remotes: old,
            mtu: old_mtu,
            ..
        },
        Resource::Vxlan {
            ifname,
            remotes: new,
            mtu,
            ..
        },
    ) = (before, after)
    else {
        return ("", Vec::new(), Vec::new(), None);
    };
    let gone = old.iter().filter(|r| !new.contains(r)).copied().collect();
    let added = new.iter().filter(|r| !old.contains(r)).copied().collect();
    let mtu = mtu.filter(|m| Some(*m) != *old_mtu);
    (ifname.as_str(), gone, added, mtu)
}

/// The vxlan device `want` as the host has it (remotes from its FDB).
pub(super) fn observe(want: &Resource, host: &HostView) -> Option<Resource> {
    let Resource::Vxlan {
        ifname: name,
        mtu,
        remotes,
        ..
    } = want
    else {
        return None;
    };
    let link = host.link(name.as_str())?;
    let info = link.vxlan.as_ref()?;
    let have: Vec<_> = host
        .fdb
        .iter()
        .filter(|e| e.index == link.index && e.mac == MacAddr::ZERO)
        .filter_map(|e| e.dst)
        // The kernel's own default entry of a multicast vxlan points at the group.
        .filter(|d| Some(*d) != info.group)
        .collect();
    Some(Resource::Vxlan {
        ifname: name.clone(),
        vni: info.vni,
        group: info.group,
        dev: info
            .dev
            .and_then(|d| host.by_index(d))
            .and_then(|l| ifname(&l.name)),
        remotes: order_like(remotes, &have),
        mtu: observed_mtu(*mtu, link.mtu),
    })
}

pub(super) fn commands(change: &Change) -> Vec<String> {
    match (change.op, &change.before, &change.after) {
        (
            Op::Create,
            _,
            Some(Resource::Vxlan {
                ifname,
                vni,
                group,
                dev,
                remotes,
                mtu,
            }),
        ) => {
            let mut line = format!("create vxlan {ifname} id {vni}");
            if let Some(g) = group {
                line.push_str(&format!(" group {g}"));
            }
            if let Some(d) = dev {
                line.push_str(&format!(" dev {d}"));
            }
            line.push_str(&format!(" dstport {VXLAN_PORT}"));
            if group.is_none() {
                line.push_str(" nolearning");
            }
            if let Some(m) = mtu {
                line.push_str(&format!(" mtu {m}"));
            }
            let n = LinkRef::Name(ifname.as_str());
            let mut out = vec![line];
            out.push(
                Request::set_alias(n, &tag(&change.id))
                    .describe()
                    .to_string(),
            );
            out.extend(
                remotes
                    .iter()
                    .map(|r| format!("append fdb {} dst {r} on {ifname}", MacAddr::ZERO)),
            );
            out.push(Request::set_up(n, true).describe().to_string());
            out
        }
        (Op::Update, Some(before), Some(after)) => {
            let (name, gone, new, mtu) = delta(before, after);
            let mut out: Vec<String> = gone
                .iter()
                .map(|r| format!("delete fdb {} dst {r} on {name}", MacAddr::ZERO))
                .chain(
                    new.iter()
                        .map(|r| format!("append fdb {} dst {r} on {name}", MacAddr::ZERO)),
                )
                .collect();
            if let Some(m) = mtu {
                out.push(
                    Request::set_mtu(LinkRef::Name(name), m)
                        .describe()
                        .to_string(),
                );
            }
            out
        }
        (Op::Delete, Some(Resource::Vxlan { ifname, .. }), _) => {
            vec![Request::delete_link(LinkRef::Name(ifname.as_str()))
                .describe()
                .to_string()]
        }
        _ => Vec::new(),
    }
}
