//! Jails: a VNET jail is a named network namespace (created when missing, its
//! `lo` brought up; deleted on Delete). A shared-IP jail has no kernel object on
//! Linux: it is reported as desired and creating or deleting it does nothing.

use jailnet_plan::{Change, Op, Resource};

use super::observe::Views;
use super::LinuxBackend;
use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::types::LinkRef;

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, change.resource()) {
        (
            Op::Create,
            Some(Resource::Jail {
                name, vnet: true, ..
            }),
        ) => {
            let ns = b.jail_netns(name.as_str());
            let made = match Netns::create(&ns) {
                Ok(_) => true,
                Err(e) if e.is_exists() => false,
                Err(e) => return Err(e),
            };
            // (promote_secondaries is set on each NIC as it is made, see `nic.rs`.)
            let up = b
                .jail(name.as_str())
                .and_then(|j| j.nl.set_up(LinkRef::Name("lo"), true));
            if let Err(e) = up {
                if made {
                    b.forget_jail(name.as_str());
                    let _ = Netns::delete(&ns);
                }
                return Err(e);
            }
            Ok(())
        }
        (
            Op::Delete,
            Some(Resource::Jail {
                name, vnet: true, ..
            }),
        ) => {
            b.forget_jail(name.as_str());
            let ns = b.jail_netns(name.as_str());
            match Netns::delete(&ns) {
                Err(Error::NoSuchNetns(_)) | Ok(()) => {
                    // Its NICs' veth pairs go with the namespace.
                    b.doomed.netns_gone(&ns);
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        _ => Ok(()),
    }
}

/// A VNET jail exists iff its namespace does; what else it says cannot be seen
/// in the kernel, so it is reported as desired.
pub(super) fn observe(b: &LinuxBackend, want: &Resource, v: &Views) -> Option<Resource> {
    match want {
        Resource::Jail {
            name, vnet: true, ..
        } => (v.jails.contains_key(name.as_str()) || Netns::exists(&b.jail_netns(name.as_str())))
            .then(|| want.clone()),
        Resource::Jail { vnet: false, .. } => Some(want.clone()),
        _ => None,
    }
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    match (change.op, change.resource()) {
        (
            Op::Create,
            Some(Resource::Jail {
                name, vnet: true, ..
            }),
        ) => {
            let ns = b.jail_netns(name.as_str());
            vec![
                format!("create netns {ns}"),
                format!("set link lo in netns {ns} up"),
            ]
        }
        (
            Op::Delete,
            Some(Resource::Jail {
                name, vnet: true, ..
            }),
        ) => {
            vec![format!("delete netns {}", b.jail_netns(name.as_str()))]
        }
        _ => Vec::new(),
    }
}
