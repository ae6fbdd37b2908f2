//! Host settings: IP forwarding sysctls, read and written in the host namespace.

use jailnet_plan::resource::Knob;
use jailnet_plan::{Change, Op, Resource};

use super::LinuxBackend;
use crate::error::Result;
use crate::sysctl;

/// The Linux sysctl behind `knob`.
pub fn key(knob: Knob) -> &'static str {
    match knob {
        Knob::Ipv4Forwarding => "net.ipv4.ip_forward",
        Knob::Ipv6Forwarding => "net.ipv6.conf.all.forwarding",
    }
}

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    // A setting is never removed: a delete leaves it as it is (the diff restores
    // changed settings with an update).
    let (Op::Create | Op::Update, Some(Resource::Sysctl { knob, value })) =
        (change.op, &change.after)
    else {
        return Ok(());
    };
    match &b.host()?.fd {
        Some(fd) => sysctl::write_in(fd, key(*knob), value),
        None => sysctl::write(key(*knob), value),
    }
}

/// The current value (a setting is always present).
pub(super) fn observe(b: &mut LinuxBackend, want: &Resource) -> Result<Option<Resource>> {
    let Resource::Sysctl { knob, .. } = want else {
        return Ok(None);
    };
    let value = match &b.host()?.fd {
        Some(fd) => sysctl::read_in(fd, key(*knob))?,
        None => sysctl::read(key(*knob))?,
    };
    Ok(Some(Resource::Sysctl {
        knob: *knob,
        value: value.trim().to_string(),
    }))
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    let (Op::Create | Op::Update, Some(Resource::Sysctl { knob, value })) =
        (change.op, &change.after)
    else {
        return Vec::new();
    };
    let place = match &b.options().host_netns {
        Some(ns) => format!(" in netns {ns}"),
        None => String::new(),
    };
    vec![format!("write sysctl {} = {value}{place}", key(*knob))]
}
