//! bhyve VM NICs: `ifconfig tapN create name HOST ether MAC description … group jailnet
//! [mtu M] up`, then `ifconfig BR addm HOST [private HOST]` — membership and isolation in
//! one call, so no frame passes before the port is private (vm-bhyve sets it afterwards).

use super::{ifconfig, mtu_words, tag, unit_name, unit_of, Ctx};
use crate::exec::Step;
use jailnet_plan::Resource;

pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Vec<Step> {
    let Resource::Tap {
        ifname,
        switch,
        mac,
        private,
        mtu,
        ..
    } = r
    else {
        return Vec::new();
    };
    let own = unit_of(ifname.as_str(), "tap").is_some();
    let mut words = vec![
        if own {
            ifname.to_string()
        } else {
            unit_name("tap", ctx.unit)
        },
        "create".into(),
    ];
    if !own {
        words.extend(["name".to_string(), ifname.to_string()]);
    }
    words.extend(["ether".to_string(), mac.to_string()]);
    words.extend(tag(r));
    words.extend(mtu_words(*mtu));
    words.push("up".into());
    vec![
        Step::new(ifconfig(words)).undo(ifconfig([ifname.as_str(), "destroy"])),
        Step::new(ifconfig(addm(switch.as_str(), ifname.as_str(), *private))),
    ]
}

/// `BR addm IF [private IF]`.
pub(crate) fn addm(switch: &str, ifname: &str, private: bool) -> Vec<String> {
    let mut w = vec![switch.to_string(), "addm".into(), ifname.to_string()];
    if private {
        w.extend(["private".to_string(), ifname.to_string()]);
    }
    w
}
