//! Extra loopbacks (`lo1`, …) for shared-IP aliases. Linux cannot clone `lo` and this
//! kernel has no dummy driver, so the stand-in is a bridge with no ports: addresses on
//! it are local to the host and reachable from it, like on FreeBSD's `lo1`.

use jailnet_plan::{Change, Op, Resource};

use super::observe::HostView;
use super::{first_error, ignore_missing, tag, LinuxBackend};
use crate::bridge::BridgeSpec;
use crate::conn::Request;
use crate::error::Result;
use crate::types::LinkRef;

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, change.resource()) {
        (Op::Create, Some(Resource::Loopback { ifname })) => {
            let name = ifname.as_str();
            super::ensure_free(b, "loopback", name)?;
            let alias = tag(&change.id);
            let nl = &mut b.host()?.nl;
            nl.execute(Request::create_bridge(&BridgeSpec::new(name))?)?;
            let rest = first_error(nl.execute_batch(vec![
                Request::set_alias(LinkRef::Name(name), &alias),
                Request::set_up(LinkRef::Name(name), true),
            ]));
            if let Err(e) = rest {
                let _ = nl.delete_link(name);
                return Err(e);
            }
            b.host_created(name, None);
            Ok(())
        }
        (Op::Delete, Some(Resource::Loopback { ifname })) => {
            ignore_missing(b.host()?.nl.delete_link(ifname.as_str()))?;
            b.host_removed(ifname.as_str());
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Present iff an interface of that name exists.
pub(super) fn observe(want: &Resource, host: &HostView) -> Option<Resource> {
    let Resource::Loopback { ifname } = want else {
        return None;
    };
    host.link(ifname.as_str()).map(|_| want.clone())
}

pub(super) fn commands(change: &Change) -> Vec<String> {
    match (change.op, change.resource()) {
        (Op::Create, Some(Resource::Loopback { ifname })) => vec![
            format!("create bridge {ifname} (no ports: a loopback stand-in)"),
            format!("set link {ifname} alias {} up", tag(&change.id)),
        ],
        (Op::Delete, Some(Resource::Loopback { ifname })) => vec![format!("delete link {ifname}")],
        _ => Vec::new(),
    }
}
