//! VNET NICs on an if_bridge switch, as an epair: one end stays on the host (renamed,
//! tagged, on the switch), the other is the jail's NIC (renamed to the NIC name). The jail
//! runs already (`jail -c … vnet` is the jail's own change).
//!
//! Three spawns per NIC (+1 per address after the first, as ifconfig applies one address
//! per call): the pair is born inside the jail, already configured, and its host end is
//! pulled out and configured in one call:
//! 1. `jexec J ifconfig epairN create [inet A/LEN alias] name NIC ether MAC [mtu M] up`
//! 2. `ifconfig epairNb -vnet J name HOST description jailnet:nic:J/N group jailnet [mtu M] up`
//!    (`-vnet` must come first; the rest then applies on the host, §1.1/§1.4);
//! 3. `ifconfig BR addm HOST [private HOST]` — isolation in the same call as membership,
//!    so no frame passes before the port is private (the poststart race of seed 004).
//!
//! The pair's home is the jail's vnet, so it dies with the jail however the jail is
//! stopped, instead of coming back to the host as a stray `epairNb` (§3) — the leak
//! iocage and pot users know. Whether `-vnet` may pull out an interface born in the jail
//! is unverified (§1.4 [I]), and a jail cannot load `if_epair` itself: if this path is
//! refused, the backend falls back, for the rest of its life, to a pair born on the host,
//! in 4 spawns:
//! 1. `ifconfig epairN create name HOST description … group jailnet [mtu M] up`
//! 2. `ifconfig BR addm HOST [private HOST]`
//! 3. `ifconfig epairNb vnet J` (a move drops addresses and `up`, so the jail end is
//!    configured from inside:)
//! 4. `jexec J ifconfig epairNb [inet A/LEN alias] name NIC ether MAC [mtu M] up`.
//!
//! If a step fails, the earlier ones are undone (destroying either end of a pair takes
//! both, wherever the other end is). Whether ifconfig goes on with the words after
//! `-vnet JAIL` is read from ifconfig.c, not seen run: if it stopped there, `addm HOST`
//! fails, the pair is destroyed, and the fallback applies too.

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
    // The host end's words after its name: `create name HOST tag… [mtu] up`.
    let mut first = vec!["create".into(), "name".to_string(), host_ifname.to_string()];
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
    if !ctx.host_born_nic {
        // Born inside the jail: the `a` end is the NIC, the `b` end comes out.
        inside[0] = pair.clone();
        inside.insert(1, "create".into());
        let mut out = vec![b.clone(), "-vnet".into(), j.to_string()];
        out.extend(first.into_iter().skip(1));
        let mut steps = vec![
            Step::new(ifconfig(inside).in_jail(j))
                .undo(ifconfig([name.as_str(), "destroy"]).in_jail(j)),
            // No undo of its own: destroying the jail's end (step 1's undo) takes the host
            // end with it wherever it is and whatever it is called (§3 [V]).
            Step::new(ifconfig(out)),
            Step::new(ifconfig(addm(
                switch.as_str(),
                host_ifname.as_str(),
                *private,
            ))),
        ];
        steps.extend(more_addrs(name.as_str(), j, addrs));
        return steps;
    }
    first.insert(0, pair);
    let mut steps = vec![
        Step::new(ifconfig(first)).undo(ifconfig([host_ifname.as_str(), "destroy"])),
        Step::new(ifconfig(addm(
            switch.as_str(),
            host_ifname.as_str(),
            *private,
        ))),
        Step::new(ifconfig([b.as_str(), "vnet", j])),
        Step::new(ifconfig(inside).in_jail(j)),
    ];
    steps.extend(more_addrs(name.as_str(), j, addrs));
    steps
}

/// One `jexec J ifconfig NIC inet … alias` per address after the first.
fn more_addrs(name: &str, j: &str, addrs: &[jailnet_model::net::Cidr]) -> Vec<Step> {
    addrs
        .iter()
        .skip(1)
        .map(|a| {
            let mut w = vec![name.to_string()];
            w.extend(addr_words(a));
            Step::new(ifconfig(w).in_jail(j))
        })
        .collect()
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
