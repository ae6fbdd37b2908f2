//! Lowering: one plan [`Change`] → the argv [`Step`]s that carry it out, each with what
//! undoes it if a later step of the same change fails. One file per resource kind.
//!
//! Lowering is pure: it reads the resource, the unit chosen for a cloned interface and
//! a few facts observed on the host ([`Ctx`]), and never runs anything. In a dry run
//! (`plan --commands`) the unit is unknown and rendered as the placeholder `N`.

mod alias;
pub mod firewall;
mod jail;
mod member;
pub(crate) mod netgraph;
mod nic;
mod resolver;
mod route;
mod switch;
mod sysctl;
mod tap;
mod vlan;
mod vxlan;

use crate::error::Error;
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_model::net::Cidr;
use jailnet_plan::resource::SwitchImpl;
use jailnet_plan::{Change, Op, Resource};

pub use resolver::RESOLV_CONF;
pub use sysctl::sysctl_name;

/// What lowering may know beyond the change itself.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// The unit of the interface the change clones (`epair3`, `tap0`); `None` in dry runs.
    pub unit: Option<u32>,
    /// The host's `/etc/resolv.conf`, for a resolver that inherits it; `None` in dry runs.
    pub host_resolv: Option<String>,
    /// IPv4 address of each host interface that has one (vxlan's `vxlanlocal`).
    pub local_addrs: Vec<(String, String)>,
    /// Host interfaces of netgraph switches (their uplinks are ng_ether hooks, not `addm`).
    pub netgraph: std::collections::BTreeSet<String>,
}

/// The steps of `change`.
pub fn lower(change: &Change, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let (before, after) = (change.before.as_ref(), change.after.as_ref());
    let r = change
        .resource()
        .ok_or_else(|| Error::Unsupported(format!("{}: a change without a resource", change.id)))?;
    match (change.op, before, after) {
        (Op::Create, _, Some(a)) => create(a, ctx),
        (Op::Delete, Some(b), _) => delete(b, ctx),
        (Op::Update, Some(b), Some(a)) => update(b, a, ctx),
        _ => Err(Error::Unsupported(format!("{}: malformed change", r.id()))),
    }
}

/// The cloner whose unit `change` needs chosen before it is lowered, if any.
pub fn cloner_of(change: &Change) -> Option<&'static str> {
    if change.op != Op::Create {
        return None;
    }
    match change.after.as_ref()? {
        Resource::Switch {
            ifname,
            imp: SwitchImpl::Bridge,
            ..
        } => unit_of(ifname.as_str(), "bridge")
            .is_none()
            .then_some("bridge"),
        Resource::Nic {
            switch_imp: SwitchImpl::Bridge,
            ..
        } => Some("epair"),
        Resource::Tap { ifname, .. } => unit_of(ifname.as_str(), "tap").is_none().then_some("tap"),
        Resource::Vxlan { ifname, .. } => unit_of(ifname.as_str(), "vxlan")
            .is_none()
            .then_some("vxlan"),
        Resource::Vlan {
            ifname,
            parent,
            tag,
        } => (ifname.as_str() != format!("{parent}.{tag}")).then_some("vlan"),
        _ => None,
    }
}

fn create(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    match r {
        Resource::Sysctl { knob, value } => Ok(sysctl::set(*knob, value)),
        Resource::Switch {
            imp: SwitchImpl::Bridge,
            ..
        } => Ok(switch::create(r, ctx)),
        Resource::Switch {
            imp: SwitchImpl::Netgraph,
            ..
        }
        | Resource::Nic {
            switch_imp: SwitchImpl::Netgraph,
            ..
        } => Ok(netgraph::dry_run(r, false)),
        Resource::Vlan { .. } => Ok(vlan::create(r, ctx)),
        Resource::Loopback { ifname } => {
            // `ifconfig lo1 create …` (seed 004's loopback for shared-IP jails).
            let mut words = vec![ifname.to_string(), "create".into()];
            words.extend(tag(r));
            words.push("up".into());
            Ok(vec![Step::new(ifconfig(words))])
        }
        Resource::Vxlan { .. } => vxlan::create(r, ctx),
        Resource::Member { switch, .. } if ctx.netgraph.contains(switch.as_str()) => {
            Ok(netgraph::dry_run(r, true))
        }
        Resource::Member { switch, member } => Ok(member::create(switch.as_str(), member.as_str())),
        Resource::Jail { .. } => Ok(jail::create(r)),
        Resource::Nic { .. } => Ok(nic::create(r, ctx)),
        Resource::Route { jail, v6, gateway } => Ok(route::add(jail.as_str(), *v6, *gateway)),
        Resource::Alias { ifname, cidr, .. } => Ok(alias::add(ifname.as_str(), cidr)),
        Resource::Tap { .. } => Ok(tap::create(r, ctx)),
        Resource::Resolver { jail, conf } => Ok(resolver::write(jail.as_str(), conf, ctx)),
        Resource::Firewall { anchor, rules } => Ok(firewall::load(anchor, rules)),
        Resource::Guard { .. }
        | Resource::Devfs { .. }
        | Resource::DhcpServer { .. }
        | Resource::DhcpClient { .. } => {
            Err(Error::Unsupported(format!("{}: not lowered yet", r.id())))
        }
    }
}

fn delete(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    if matches!(
        r,
        Resource::Guard { .. }
            | Resource::Devfs { .. }
            | Resource::DhcpServer { .. }
            | Resource::DhcpClient { .. }
    ) {
        return Err(Error::Unsupported(format!("{}: not lowered yet", r.id())));
    }
    Ok(match r {
        // A host setting is never "removed"; restoring its old value is an update.
        Resource::Sysctl { .. } => Vec::new(),
        Resource::Switch {
            imp: SwitchImpl::Netgraph,
            ifname,
            ..
        } => netgraph::delete_switch(ifname.as_str()),
        Resource::Nic {
            switch_imp: SwitchImpl::Netgraph,
            host_ifname,
            ..
        } => netgraph::delete_nic(host_ifname.as_str()),
        Resource::Switch { ifname, .. }
        | Resource::Vlan { ifname, .. }
        | Resource::Vxlan { ifname, .. } => {
            vec![destroy(ifname.as_str())]
        }
        Resource::Tap { ifname, .. } | Resource::Loopback { ifname } => {
            vec![destroy(ifname.as_str())]
        }
        Resource::Nic { host_ifname, .. } => vec![destroy(host_ifname.as_str())],
        Resource::Member { switch, member } if ctx.netgraph.contains(switch.as_str()) => {
            netgraph::delete_member(switch.as_str(), member.as_str())
        }
        Resource::Member { switch, member } => member::delete(switch.as_str(), member.as_str()),
        Resource::Jail { name, .. } => jail::remove(name.as_str()),
        Resource::Route { jail, v6, .. } => route::delete(jail.as_str(), *v6),
        Resource::Alias { ifname, cidr, .. } => alias::delete(ifname.as_str(), cidr),
        Resource::Resolver { jail, .. } => resolver::remove(jail.as_str()),
        // Refused above until lowered.
        Resource::Guard { .. }
        | Resource::Devfs { .. }
        | Resource::DhcpServer { .. }
        | Resource::DhcpClient { .. } => Vec::new(),
        Resource::Firewall { anchor, .. } => firewall::flush(anchor),
    })
}

fn update(before: &Resource, after: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    match (before, after) {
        (_, Resource::Sysctl { knob, value }) => Ok(sysctl::set(*knob, value)),
        (Resource::Switch { .. }, Resource::Switch { .. }) => Ok(switch::update(before, after)),
        (Resource::Nic { .. }, Resource::Nic { .. }) => Ok(nic::update(before, after)),
        (
            Resource::Route {
                jail,
                v6,
                gateway: old,
            },
            Resource::Route { gateway, .. },
        ) => Ok(route::change(jail.as_str(), *v6, *old, *gateway)),
        (_, Resource::Resolver { jail, conf }) => Ok(resolver::write(jail.as_str(), conf, ctx)),
        (_, Resource::Firewall { anchor, rules }) => Ok(firewall::load(anchor, rules)),
        _ => Err(Error::Unsupported(format!(
            "{}: cannot be changed in place ({} -> {})",
            after.id(),
            before.summary(),
            after.summary()
        ))),
    }
}

/// `ifconfig ARGS…` on the host.
pub(crate) fn ifconfig<I: IntoIterator<Item = S>, S: Into<String>>(args: I) -> Invocation {
    Invocation::new("ifconfig", args)
}

/// `ifconfig IF destroy`.
pub(crate) fn destroy(ifname: &str) -> Step {
    Step::new(ifconfig([ifname, "destroy"]))
}

/// The words that tag an interface as jailnet's: `description jailnet:ID group jailnet`.
pub(crate) fn tag(r: &Resource) -> Vec<String> {
    vec![
        "description".into(),
        format!("{}{}", crate::TAG_PREFIX, r.id()),
        "group".into(),
        crate::TAG_GROUP.into(),
    ]
}

/// `inet A/LEN alias` or `inet6 A prefixlen LEN alias`: the address-family word first, as
/// ifconfig only recognizes it right after the interface name (or `create`).
pub(crate) fn addr_words(c: &Cidr) -> Vec<String> {
    if c.is_v4() {
        vec!["inet".into(), c.to_string(), "alias".into()]
    } else {
        vec![
            "inet6".into(),
            c.addr.to_string(),
            "prefixlen".into(),
            c.prefix.to_string(),
            "alias".into(),
        ]
    }
}

/// `inet A -alias` / `inet6 A -alias`.
pub(crate) fn unaddr_words(c: &Cidr) -> Vec<String> {
    let fam = if c.is_v4() { "inet" } else { "inet6" };
    vec![fam.into(), c.addr.to_string(), "-alias".into()]
}

/// `epair3`, or `epairN` when the unit is not known yet (dry run).
pub(crate) fn unit_name(cloner: &str, unit: Option<u32>) -> String {
    match unit {
        Some(u) => format!("{cloner}{u}"),
        None => format!("{cloner}N"),
    }
}

/// The unit of `name` if it is `<cloner><digits>` (so it can be created under that name).
pub fn unit_of(name: &str, cloner: &str) -> Option<u32> {
    let d = name.strip_prefix(cloner)?;
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) || (d.len() > 1 && d.starts_with('0'))
    {
        return None;
    }
    d.parse().ok()
}

/// Address changes from `old` to `new`: removals first, then additions, each step undone
/// by its opposite. `run` wraps the ifconfig words into an invocation (host or jail).
pub(crate) fn addr_delta(
    old: &[Cidr],
    new: &[Cidr],
    run: &dyn Fn(Vec<String>) -> Invocation,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for c in old.iter().filter(|c| !new.contains(c)) {
        steps.push(Step::new(run(unaddr_words(c))).undo(run(addr_words(c))));
    }
    for c in new.iter().filter(|c| !old.contains(c)) {
        steps.push(Step::new(run(addr_words(c))).undo(run(unaddr_words(c))));
    }
    steps
}

/// `mtu M` words when an MTU is wanted.
pub(crate) fn mtu_words(mtu: Option<u32>) -> Vec<String> {
    mtu.map(|m| vec!["mtu".to_string(), m.to_string()])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
