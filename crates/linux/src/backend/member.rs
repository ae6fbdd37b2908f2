//! Members: an existing interface (an uplink) enslaved to a switch's bridge;
//! delete releases it.

use jailnet_plan::{Change, Op, Resource};

use super::observe::HostView;
use super::{ignore_missing, LinuxBackend};
use crate::conn::Request;
use crate::error::Result;
use crate::types::LinkRef;

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, change.resource()) {
        (Op::Create | Op::Update, Some(Resource::Member { switch, member })) => {
            let br = b.host_index(switch.as_str())?;
            b.host()?.nl.execute(Request::set_master(
                LinkRef::Name(member.as_str()),
                Some(br),
            ))
        }
        (Op::Delete, Some(Resource::Member { member, .. })) => ignore_missing(
            b.host()?
                .nl
                .execute(Request::set_master(LinkRef::Name(member.as_str()), None)),
        ),
        _ => Ok(()),
    }
}

/// Present iff the interface's master is the switch's bridge.
pub(super) fn observe(want: &Resource, host: &HostView) -> Option<Resource> {
    let Resource::Member { switch, member } = want else {
        return None;
    };
    let m = host.link(member.as_str())?;
    (host.master_name(m) == Some(switch.as_str())).then(|| want.clone())
}

pub(super) fn commands(change: &Change) -> Vec<String> {
    match (change.op, change.resource()) {
        (Op::Create | Op::Update, Some(Resource::Member { switch, member })) => {
            vec![format!("set link {member} master {switch}")]
        }
        (Op::Delete, Some(Resource::Member { member, .. })) => {
            vec![Request::set_master(LinkRef::Name(member.as_str()), None)
                .describe()
                .to_string()]
        }
        _ => Vec::new(),
    }
}
