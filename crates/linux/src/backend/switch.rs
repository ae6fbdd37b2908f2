//! Switches: a bridge named `ifname` with a fixed MAC (see [`bridge_mac`]), its host
//! addresses, MTU and tag, up.
//! `SwitchImpl::Netgraph` is a bridge too on Linux.

use jailnet_model::alloc::{fnv1a, mac_from_hash};
use jailnet_plan::{Change, Op, Resource};

use super::observe::HostView;
use super::{address_delta, address_delta_lines, first_error, ignore_missing, tag};
use super::{create_host_link, ensure_free, is_link_local, observed_mtu, order_like, LinuxBackend};
use crate::bridge::BridgeSpec;
use crate::conn::Request;
use crate::error::Result;
use crate::types::{LinkRef, MacAddr};

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, &change.before, &change.after) {
        (Op::Create, _, Some(r)) => create(b, r, &tag(&change.id)),
        (Op::Delete, Some(Resource::Switch { ifname, .. }), _) => {
            ignore_missing(b.host()?.nl.delete_link(ifname.as_str()))?;
            b.host_removed(ifname.as_str());
            Ok(())
        }
        (Op::Update, Some(before), Some(after)) => update(b, before, after),
        _ => Ok(()),
    }
}

fn create(b: &mut LinuxBackend, r: &Resource, alias: &str) -> Result<()> {
    let Resource::Switch {
        ifname, mtu, addrs, ..
    } = r
    else {
        return Ok(());
    };
    let name = ifname.as_str();
    ensure_free(b, "bridge", name)?;
    let spec = BridgeSpec {
        mtu: *mtu,
        mac: Some(bridge_mac(b.opts.host_netns.as_deref(), name)),
        ..BridgeSpec::new(name)
    };
    create_host_link(b, name, Request::create_bridge(&spec)?, alias, |index| {
        address_delta(index, &[], addrs)
    })
}

/// The MAC a bridge jailnet makes is given: a stable, locally administered address
/// from this machine's name, the host namespace and the bridge's name. A Linux bridge
/// left to itself takes the lowest MAC of its ports, so the gateway's MAC would change
/// whenever a jail with a lower one started or stopped (and every jail's neighbour entry
/// for the gateway would go stale, cutting it off for up to the reachable time); it would
/// also rescan every port for that minimum on each new one.
pub(super) fn bridge_mac(host_netns: Option<&str>, ifname: &str) -> MacAddr {
    let mut node = [0u8; 256];
    // SAFETY: `node` is writable for its length; gethostname NUL-terminates within it
    // or returns an error.
    let ok = unsafe { libc::gethostname(node.as_mut_ptr().cast(), node.len()) } == 0;
    let end = node.iter().position(|c| *c == 0).unwrap_or(0);
    let host = if ok { &node[..end] } else { &[] };
    let mut key = b"jailnet bridge\0".to_vec();
    key.extend_from_slice(host);
    key.push(0);
    key.extend_from_slice(host_netns.unwrap_or("").as_bytes());
    key.push(0);
    key.extend_from_slice(ifname.as_bytes());
    MacAddr(mac_from_hash(fnv1a(&key)).0)
}

fn update(b: &mut LinuxBackend, before: &Resource, after: &Resource) -> Result<()> {
    let (
        Resource::Switch {
            addrs: old,
            mtu: old_mtu,
            ..
        },
        Resource::Switch {
            ifname,
            addrs: new,
            mtu,
            ..
        },
    ) = (before, after)
    else {
        return Ok(());
    };
    let index = b.host_index(ifname.as_str())?;
    let mut reqs = Vec::new();
    if let Some(m) = mtu.filter(|m| Some(*m) != *old_mtu) {
        reqs.push(Request::set_mtu(index.into(), m));
    }
    reqs.extend(address_delta(index, old, new)?);
    first_error(b.host()?.nl.execute_batch(reqs))
}

/// The switch `want` as the host has it.
pub(super) fn observe(want: &Resource, host: &HostView) -> Option<Resource> {
    let Resource::Switch {
        name,
        ifname,
        imp,
        mtu,
        addrs,
    } = want
    else {
        return None;
    };
    let link = host.link(ifname.as_str())?;
    if link.kind.as_deref() != Some("bridge") {
        return None;
    }
    let have: Vec<_> = host
        .addrs(link.index)
        .iter()
        .filter(|c| !is_link_local(c) && !host.is_claimed(ifname.as_str(), c.addr))
        .copied()
        .collect();
    Some(Resource::Switch {
        name: name.clone(),
        ifname: ifname.clone(),
        imp: *imp,
        mtu: observed_mtu(*mtu, link.mtu),
        addrs: order_like(addrs, &have),
    })
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    match (change.op, &change.before, &change.after) {
        (
            Op::Create,
            _,
            Some(Resource::Switch {
                ifname, mtu, addrs, ..
            }),
        ) => {
            let n = ifname.as_str();
            let mac = bridge_mac(b.opts.host_netns.as_deref(), n);
            let mut out = vec![match mtu {
                Some(m) => format!("create bridge {n} mtu {m} address {mac}"),
                None => format!("create bridge {n} address {mac}"),
            }];
            out.push(
                Request::set_alias(LinkRef::Name(n), &tag(&change.id))
                    .describe()
                    .to_string(),
            );
            out.extend(address_delta_lines(n, &[], addrs));
            out.push(
                Request::set_up(LinkRef::Name(n), true)
                    .describe()
                    .to_string(),
            );
            out
        }
        (Op::Delete, Some(Resource::Switch { ifname, .. }), _) => {
            vec![Request::delete_link(LinkRef::Name(ifname.as_str()))
                .describe()
                .to_string()]
        }
        (
            Op::Update,
            Some(Resource::Switch {
                addrs: old,
                mtu: old_mtu,
                ..
            }),
            Some(Resource::Switch {
                ifname, addrs, mtu, ..
            }),
        ) => {
            let mut out = Vec::new();
            if let Some(m) = mtu.filter(|m| Some(*m) != *old_mtu) {
                out.push(format!("set link {ifname} mtu {m}"));
            }
            out.extend(address_delta_lines(ifname.as_str(), old, addrs));
            out
        }
        _ => Vec::new(),
    }
}
