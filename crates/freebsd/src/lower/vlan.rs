//! vlan(4) interfaces: `ifconfig PARENT.TAG create description … group jailnet up` (the
//! vlan cloner reads parent and tag from the name), or `vlanN create vlan TAG vlandev
//! PARENT name IF …` for other names.

use super::{ifconfig, tag, unit_name, Ctx};
use crate::exec::Step;
use jailnet_plan::Resource;

pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Vec<Step> {
    let Resource::Vlan {
        ifname,
        parent,
        tag: t,
    } = r
    else {
        return Vec::new();
    };
    let mut words = if ifname.as_str() == format!("{parent}.{t}") {
        vec![ifname.to_string(), "create".into()]
    } else {
        vec![
            unit_name("vlan", ctx.unit),
            "create".into(),
            "vlan".into(),
            t.to_string(),
            "vlandev".into(),
            parent.to_string(),
            "name".into(),
            ifname.to_string(),
        ]
    };
    words.extend(tag(r));
    words.push("up".into());
    vec![Step::new(ifconfig(words))]
}
