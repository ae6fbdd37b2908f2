//! VNET NICs on an if_bridge switch, as an epair: the `a` end stays on the host (renamed,
//! tagged, on the switch), the `b` end goes into the jail (renamed to the NIC name).
//!
//! Attach to a running jail, in 4 spawns (+1 per address after the first, as ifconfig
//! applies one address per call):
//! 1. `ifconfig epairN create name HOST description jailnet:nic:J/N group jailnet [mtu M] up`
//! 2. `ifconfig BR addm HOST [private HOST]` — isolation in the same call as membership,
//!    so no frame passes before the port is private (the poststart race of seed 004);
//! 3. `ifconfig epairNb vnet J`;
//! 4. `jexec J ifconfig epairNb [inet A/LEN alias] name NIC ether MAC [mtu M] up`.
//!
//! When jailnet creates the jail in the same apply (the usual `up`), the jail's creation
//! waits for its first NIC and step 3 becomes `jail -c … vnet.interface=epairNb`: the
//! kernel hands the `b` end over while making the jail, so the NIC costs 3 spawns and
//! the jail none of its own. Four is the floor for a jail that already runs: the host
//! end needs one call on itself and one on the bridge (`addm`), the jail end must be
//! moved by the host and configured from inside (a move drops addresses and `up`). If a
//! step fails, the earlier ones are undone (`jail -r` gives the `b` end back, then
//! destroying HOST takes both ends).

use super::{addr_delta, addr_words, ifconfig, mtu_words, tag, tap::addm, unit_name, Ctx};
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_plan::Resource;

pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Vec<Step> {
    let Resource::Nic {
        jail,
        name,
        host_ifname,
        switch,
        mac,
        private,
        mtu,
        addrs,
        slaac,
        ..
    } = r
    else {
        return Vec::new();
    };
    let pair = unit_name("epair", ctx.unit);
    let b = format!("{pair}b");
    let mut first = vec![
        pair,
        "create".into(),
        "name".into(),
        host_ifname.to_string(),
    ];
    first.extend(tag(r));
    first.extend(mtu_words(*mtu));
    first.push("up".into());
    let mut inside = vec![b.clone()];
    if let Some(a) = addrs.first() {
        inside.extend(addr_words(a));
    }
    inside.extend([
        "name".to_string(),
        name.to_string(),
        "ether".into(),
        mac.to_string(),
    ]);
    inside.extend(mtu_words(*mtu));
    if *slaac {
        inside.push("accept_rtadv".into());
    }
    inside.push("up".into());
    let j = jail.as_str();
    let mut steps = vec![
        Step::new(ifconfig(first)).undo(ifconfig([host_ifname.as_str(), "destroy"])),
        Step::new(ifconfig(addm(
            switch.as_str(),
            host_ifname.as_str(),
            *private,
        ))),
        match &ctx.new_jail {
            // The jail is created here, taking the b end with it: one spawn less.
            Some(args) => {
                let mut args = args.clone();
                args.push(format!("vnet.interface={b}"));
                Step::new(Invocation::new("jail", args)).undo(Invocation::new("jail", ["-r", j]))
            }
            None => Step::new(ifconfig([b.as_str(), "vnet", j])),
        },
        Step::new(ifconfig(inside).in_jail(j)),
    ];
    for a in addrs.iter().skip(1) {
        let mut w = vec![name.to_string()];
        w.extend(addr_words(a));
        steps.push(Step::new(ifconfig(w).in_jail(j)));
    }
    steps
}

/// Address and MTU changes inside the jail; identity (switch, MAC, privacy) never changes
/// in place.
pub(crate) fn update(before: &Resource, after: &Resource) -> Vec<Step> {
    let (
        Resource::Nic {
            mtu: m0, addrs: a0, ..
        },
        Resource::Nic {
            jail,
            name,
            mtu: m1,
            addrs: a1,
            ..
        },
    ) = (before, after)
    else {
        return Vec::new();
    };
    let j = jail.to_string();
    let n = name.to_string();
    let inside = |w: Vec<String>| -> Invocation {
        let mut v = vec![n.clone()];
        v.extend(w);
        ifconfig(v).in_jail(&j)
    };
    let mut steps = Vec::new();
    if m0 != m1 {
        let set = |m: Option<u32>| inside(vec!["mtu".into(), m.unwrap_or(1500).to_string()]);
        steps.push(Step::new(set(*m1)).undo(set(*m0)));
    }
    steps.extend(addr_delta(a0, a1, &inside));
    steps
}
