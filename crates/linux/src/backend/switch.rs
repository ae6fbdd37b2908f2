//! Switches: a bridge named `ifname` with its host addresses, MTU and tag, up.
//! `SwitchImpl::Netgraph` is a bridge too on Linux.

use jailnet_plan::{Change, Op, Resource};

use super::observe::HostView;
use super::{address_delta, address_delta_lines, first_error, ignore_missing, tag};
use super::{create_host_link, ensure_free, is_link_local, observed_mtu, order_like, LinuxBackend};
use crate::bridge::BridgeSpec;
use crate::conn::Request;
use crate::error::Result;
use crate::types::LinkRef;

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
        ..BridgeSpec::new(name)
    };
    create_host_link(b, name, Request::create_bridge(&spec)?, alias, |index| {
        address_delta(index, &[], addrs)
    })
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

pub(super) fn commands(change: &Change) -> Vec<String> {
    match (change.op, &change.before, &change.after) {
        (
            Op::Create,
            _,
            Some(Resource::Switch {
                ifname, mtu, addrs, ..
            }),
        ) => {
            let n = ifname.as_str();
            let mut out = vec![match mtu {
                Some(m) => format!("create bridge {n} mtu {m}"),
                None => format!("create bridge {n}"),
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
