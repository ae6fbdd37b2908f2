//! Aliases: a shared-IP jail's address on a host interface, in the host namespace.
//! Only ever removed when the plan says so (the diff deletes only owned ones).

use jailnet_plan::{Change, Op, Resource};

use super::observe::HostView;
use super::{ignore_missing, LinuxBackend};
use crate::address::AddrOptions;
use crate::conn::Request;
use crate::error::Result;

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    if let (Op::Delete | Op::Update, Some(Resource::Alias { ifname, cidr, .. })) =
        (change.op, &change.before)
    {
        let index = match b.host_index(ifname.as_str()) {
            Ok(i) => i,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        ignore_missing(b.host()?.nl.execute(Request::delete_address(
            index,
            cidr.addr,
            cidr.prefix,
        )?))?;
    }
    if let (Op::Create | Op::Update, Some(Resource::Alias { ifname, cidr, .. })) =
        (change.op, &change.after)
    {
        let index = b.host_index(ifname.as_str())?;
        let req = Request::add_address(index, cidr.addr, cidr.prefix, AddrOptions { nodad: true })?;
        b.host()?.nl.execute(req)?;
    }
    Ok(())
}

/// Present iff the address is on that interface (with the prefix found there).
pub(super) fn observe(want: &Resource, host: &HostView) -> Option<Resource> {
    let Resource::Alias { ifname, cidr, jail } = want else {
        return None;
    };
    let link = host.link(ifname.as_str())?;
    let have = host
        .addrs(link.index)
        .iter()
        .find(|c| c.addr == cidr.addr)?;
    Some(Resource::Alias {
        ifname: ifname.clone(),
        cidr: *have,
        jail: jail.clone(),
    })
}

pub(super) fn commands(change: &Change) -> Vec<String> {
    let mut out = Vec::new();
    if let (Op::Delete | Op::Update, Some(Resource::Alias { ifname, cidr, .. })) =
        (change.op, &change.before)
    {
        out.push(format!("delete address {cidr} from {ifname}"));
    }
    if let (Op::Create | Op::Update, Some(Resource::Alias { ifname, cidr, .. })) =
        (change.op, &change.after)
    {
        out.push(format!("add address {cidr} to {ifname}"));
    }
    out
}
