//! Guards (seed 001's secure VNET) on Linux: nft `bridge` family rules on the NIC's host
//! port, so only its own MAC, and ARP/IP from its own addresses, enter the switch. Like
//! firewall resources they are kept in memory during apply and written, with table
//! `inet jailnet`, as table `bridge jailnet` in the one `nft -f -` transaction at commit
//! (see [`crate::nft`] for the rules); `firewall::observe` looks at both tables.

use jailnet_model::names::IfName;
use jailnet_model::net::Mac;
use jailnet_plan::{Change, Op, Resource};

use super::LinuxBackend;
use crate::error::Result;
use crate::nft;

/// Record a guard change; nothing reaches the kernel until commit.
pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    super::firewall::apply(b, change)
}

/// A guard value that differs from the wanted one (same port), for a chain whose rules
/// are there but not these.
pub(super) fn damaged(owner: &str, port: &IfName, mac: Mac) -> Resource {
    Resource::Guard {
        owner: format!("{owner} (rules changed on the host)"),
        port: port.clone(),
        mac,
        addrs: Vec::new(),
        bridge: None,
        neighbours: Vec::new(),
    }
}

/// A stand-in for the tagged rules of guard `guard:PORT` that nothing in scope claims.
pub(super) fn leftover(port: &str) -> Option<Resource> {
    Some(Resource::Guard {
        owner: "(leftover rules)".into(),
        port: IfName::new(port).ok()?,
        mac: Mac([0; 6]),
        addrs: Vec::new(),
        bridge: None,
        neighbours: Vec::new(),
    })
}

/// What a guard change will do, for `plan --commands`: the chain's exact rules.
pub(super) fn commands(change: &Change) -> Vec<String> {
    let Some(r @ Resource::Guard { port, .. }) = change.resource() else {
        return Vec::new();
    };
    let chain = nft::guard_chain(port.as_str());
    let head = "nft -f - (table bridge jailnet rewritten once per apply):";
    match change.op {
        Op::Delete => vec![format!(
            "{head} remove chain {chain} and its jumps from forward and input"
        )],
        Op::Create | Op::Update => {
            let mut out = vec![format!(
                "{head} forward, input: iifname \"{port}\" jump {chain}"
            )];
            out.extend(
                nft::guard_rules(r)
                    .into_iter()
                    .map(|rule| format!("{head} {chain}: {rule}")),
            );
            out
        }
    }
}
