//! if_bridge switches: `ifconfig bridgeN create [ADDR] name IF description … group jailnet
//! [mtu M] up` (the first address rides along: ifconfig takes an address family right
//! after `create`), one call per further address, `destroy` to remove, and MTU/address
//! deltas in place.

use super::{addr_delta, addr_words, ifconfig, mtu_words, tag, unit_name, unit_of, Ctx};
use crate::exec::Step;
use jailnet_plan::Resource;

pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Vec<Step> {
    let Resource::Switch {
        ifname, mtu, addrs, ..
    } = r
    else {
        return Vec::new();
    };
    let own = unit_of(ifname.as_str(), "bridge");
    let clone = match own {
        Some(_) => ifname.to_string(),
        None => unit_name("bridge", ctx.unit),
    };
    let mut words = vec![clone, "create".to_string()];
    if let Some(first) = addrs.first() {
        words.extend(addr_words(first));
    }
    if own.is_none() {
        words.extend(["name".to_string(), ifname.to_string()]);
    }
    words.extend(tag(r));
    words.extend(mtu_words(*mtu));
    words.push("up".into());
    let mut steps = vec![Step::new(ifconfig(words)).undo(ifconfig([ifname.as_str(), "destroy"]))];
    for a in addrs.iter().skip(1) {
        let mut w = vec![ifname.to_string()];
        w.extend(addr_words(a));
        steps.push(Step::new(ifconfig(w)));
    }
    steps
}

pub(crate) fn update(before: &Resource, after: &Resource) -> Vec<Step> {
    let (
        Resource::Switch {
            mtu: m0, addrs: a0, ..
        },
        Resource::Switch {
            ifname,
            mtu: m1,
            addrs: a1,
            ..
        },
    ) = (before, after)
    else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    if m0 != m1 {
        let set = |m: Option<u32>| {
            ifconfig([
                ifname.to_string(),
                "mtu".into(),
                m.unwrap_or(1500).to_string(),
            ])
        };
        steps.push(Step::new(set(*m1)).undo(set(*m0)));
    }
    let name = ifname.to_string();
    steps.extend(addr_delta(a0, a1, &|w| {
        let mut v = vec![name.clone()];
        v.extend(w);
        ifconfig(v)
    }));
    steps
}
