//! VXLAN devices: multicast (group + dev) or unicast (no group, learning off,
//! one all-zero-MAC FDB entry per remote), with MTU and tag, up.

use jailnet_plan::{Change, Op, Resource};

use super::observe::HostView;
use super::{first_error, ifname, ignore_missing, observed_mtu, order_like, tag, LinuxBackend};
use crate::conn::Request;
use crate::error::{Error, Result};
use crate::types::{LinkRef, MacAddr};
use crate::vxlan::{VxlanSpec, VXLAN_PORT};

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, &change.before, &change.after) {
        (Op::Create, _, Some(r)) => create(b, r, &tag(&change.id)),
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
    if b.host_has(name)? {
        return Err(Error::Invalid {
            op: format!("create vxlan {name}"),
            reason: "an interface of that name exists".into(),
        });
    }
    let dev = match dev {
        Some(d) => Some(b.host_index(d.as_str())?),
        None => None,
    };
    let spec = VxlanSpec {
        group: *group,
        dev,
        learning: remotes.is_empty(),
        mtu: *mtu,
        ..VxlanSpec::new(name, *vni)
    };
    let nl = &mut b.host()?.nl;
    nl.execute(Request::create_vxlan(&spec)?)?;
    let rest = (|| -> Result<u32> {
        let index = nl.index_of(LinkRef::Name(name))?;
        let mut reqs = vec![Request::set_alias(index.into(), alias)];
        reqs.extend(
            remotes
                .iter()
                .map(|r| Request::append_fdb(index, MacAddr::ZERO, *r)),
        );
        reqs.push(Request::set_up(index.into(), true));
        first_error(nl.execute_batch(reqs))?;
        Ok(index)
    })();
    match rest {
        Ok(index) => {
            b.host_created(name, Some(index));
            Ok(())
        }
        Err(e) => {
            let _ = nl.delete_link(name);
            Err(e)
        }
    }
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
            if !remotes.is_empty() {
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
        (Op::Delete, Some(Resource::Vxlan { ifname, .. }), _) => {
            vec![Request::delete_link(LinkRef::Name(ifname.as_str()))
                .describe()
                .to_string()]
        }
        _ => Vec::new(),
    }
}
