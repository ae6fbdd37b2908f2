//! Lowering: one plan [`Change`] → the argv [`Step`]s that carry it out, each with what
//! undoes it if a later step of the same change fails. One file per resource kind.
//!
//! Lowering is pure: it reads the resource, the unit chosen for a cloned interface and
//! a few facts observed on the host ([`Ctx`]), and never runs anything. In a dry run
//! (`plan --commands`) the unit is unknown and rendered as the placeholder `N`.

mod alias;
pub mod arp_filter;
pub mod devfs;
pub mod dhcp;
pub mod firewall;
pub mod guard;
pub(crate) mod jail;
mod member;
pub(crate) mod netgraph;
mod nic;
mod resolver;
mod route;
mod switch;
mod sysctl;
mod tap;
mod vlan;
pub mod vxlan;

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
    /// The wanted vxlan resources by interface name, with the switch each is a member of
    /// (a vxlan with several unicast peers is several private bridge ports).
    pub vxlans: std::collections::BTreeMap<String, Resource>,
    pub vxlan_switch: std::collections::BTreeMap<String, String>,
    /// The host's ipfw rules (`ipfw list`: number, text), when observed; `None` in dry runs.
    pub ipfw: Option<Vec<(u32, String)>>,
    /// The ARP filter nodes of secure ports (`ngctl list`), when observed; `None` in dry runs.
    pub arp_filters: Option<std::collections::BTreeSet<String>>,
    /// devfs rulesets that exist and are not jailnet's; `None` when not observed.
    pub devfs_sets: Option<std::collections::BTreeSet<u16>>,
    /// The devfs ruleset of each jail that wants one (for `jail -c … devfs_ruleset=N`).
    pub jail_devfs: std::collections::BTreeMap<String, u16>,
    /// Root path and current devfs ruleset of the jail a devfs change is for.
    pub jail_root: Option<(String, u16)>,
    /// Where dnsmasq's files live (default [`dhcp::RUN_DIR`]).
    pub run_dir: Option<String>,
    /// The MAC of each switch interface, as observed or looked up since (for pinning a
    /// jail's gateway); a dry run shows `MAC`.
    pub switch_macs: std::collections::BTreeMap<String, String>,
    /// Create NIC pairs on the host and move one end in (4 spawns) rather than inside the
    /// running jail (3 spawns), after the latter failed once (see `nic.rs`).
    pub host_born_nic: bool,
}

impl Ctx {
    /// The run directory for dnsmasq's files.
    pub fn run_dir(&self) -> &str {
        self.run_dir.as_deref().unwrap_or(dhcp::RUN_DIR)
    }
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
        Resource::Member { switch, member } => match ctx.vxlans.get(member.as_str()) {
            Some(v) if vxlan::split_horizon(v) => Ok(vxlan::member_create(switch.as_str(), v)),
            _ => Ok(member::create(switch.as_str(), member.as_str())),
        },
        Resource::Jail { name, .. } => Ok(jail::create(r, ctx.jail_devfs.get(name.as_str()))),
        Resource::Nic { .. } => Ok(nic::create(r, ctx)),
        Resource::Route { jail, v6, gateway } => Ok(route::add(jail.as_str(), *v6, *gateway)),
        Resource::GatewayPin {
            jail,
            gateway,
            switch,
        } => Ok(route::pin(
            jail.as_str(),
            *gateway,
            ctx.switch_macs
                .get(switch.as_str())
                .map_or("MAC", String::as_str),
        )),
        Resource::Alias { ifname, cidr, .. } => Ok(alias::add(ifname.as_str(), cidr)),
        Resource::Tap { .. } => Ok(tap::create(r, ctx)),
        Resource::Resolver { jail, conf } => Ok(resolver::write(jail.as_str(), conf, ctx)),
        Resource::Firewall { anchor, rules } => Ok(firewall::load(anchor, rules)),
        Resource::Guard { .. } => guard::create(r, ctx),
        Resource::Devfs { .. } => devfs::create(r, ctx),
        Resource::DhcpServer { .. } => Ok(dhcp::server_create(r, ctx)),
        Resource::DhcpClient { jail, nic } => Ok(dhcp::client_create(jail.as_str(), nic.as_str())),
    }
}

fn delete(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
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
        Resource::Switch { ifname, .. } | Resource::Vlan { ifname, .. } => {
            vec![destroy(ifname.as_str())]
        }
        Resource::Vxlan { .. } => vxlan::delete(r),
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
        Resource::GatewayPin { jail, gateway, .. } => route::unpin(jail.as_str(), *gateway),
        Resource::Alias { ifname, cidr, .. } => alias::delete(ifname.as_str(), cidr),
        Resource::Resolver { jail, .. } => resolver::remove(jail.as_str()),
        Resource::Guard { .. } => guard::delete(r, ctx)?,
        Resource::Devfs { .. } => devfs::delete(r),
        Resource::DhcpServer { .. } => dhcp::server_delete(r, ctx),
        Resource::DhcpClient { jail, nic } => dhcp::client_delete(jail.as_str(), nic.as_str()),
        Resource::Firewall { anchor, .. } => firewall::flush(anchor),
    })
}

fn update(before: &Resource, after: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    match (before, after) {
        (_, Resource::Sysctl { knob, value }) => Ok(sysctl::set(*knob, value)),
        (Resource::Switch { .. }, Resource::Switch { .. }) => Ok(switch::update(before, after)),
        (Resource::Nic { .. }, Resource::Nic { .. }) => Ok(nic::update(before, after)),
        (Resource::Vxlan { .. }, Resource::Vxlan { .. }) => vxlan::update(before, after, ctx),
        (
            Resource::Route {
                jail,
                v6,
                gateway: old,
            },
            Resource::Route { gateway, .. },
        ) => Ok(route::change(jail.as_str(), *v6, *old, *gateway)),
        (Resource::GatewayPin { .. }, Resource::GatewayPin { .. }) => {
            let mut steps = delete(before, ctx)?;
            steps.extend(create(after, ctx)?);
            Ok(steps)
        }
        (_, Resource::Resolver { jail, conf }) => Ok(resolver::write(jail.as_str(), conf, ctx)),
        (_, Resource::Firewall { anchor, rules }) => Ok(firewall::load(anchor, rules)),
        // The old rules out (exactly those tagged), the new ones in a free block.
        (Resource::Guard { .. }, Resource::Guard { .. }) => {
            let mut steps = guard::delete(before, ctx)?;
            let mut ctx = ctx.clone();
            if let (Some(rules), Resource::Guard { port, .. }) = (&mut ctx.ipfw, before) {
                let tag = format!("// {}", guard::comment(port.as_str()));
                rules.retain(|(_, b)| !b.ends_with(&tag));
            }
            steps.extend(guard::create(after, &ctx)?);
            Ok(steps)
        }
        (Resource::Devfs { .. }, Resource::Devfs { .. }) => devfs::update(after, ctx),
        (Resource::DhcpServer { .. }, Resource::DhcpServer { .. }) => {
            Ok(dhcp::server_update(before, after, ctx))
        }
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
