//! vxlan(4) interfaces: `ifconfig vxlanVNI create vxlanid VNI (vxlangroup G vxlandev DEV |
//! [vxlanlocal L] vxlanremote R) [mtu M] description … group jailnet up`. vxlan(4) has one
//! unicast remote per interface; more is refused here rather than half-built.

use super::{ifconfig, mtu_words, tag, unit_name, unit_of, Ctx};
use crate::error::Error;
use crate::exec::Step;
use jailnet_plan::Resource;

pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let Resource::Vxlan {
        ifname,
        vni,
        group,
        dev,
        remotes,
        mtu,
    } = r
    else {
        return Ok(Vec::new());
    };
    let own = unit_of(ifname.as_str(), "vxlan").is_some();
    let mut words = vec![
        if own {
            ifname.to_string()
        } else {
            unit_name("vxlan", ctx.unit)
        },
        "create".into(),
        "vxlanid".into(),
        vni.to_string(),
    ];
    match (group, remotes.as_slice()) {
        (Some(g), _) => {
            words.extend(["vxlangroup".to_string(), g.to_string()]);
            if let Some(d) = dev {
                words.extend(["vxlandev".to_string(), d.to_string()]);
            }
        }
        (None, [remote]) => {
            let local = dev
                .as_ref()
                .and_then(|d| ctx.local_addrs.iter().find(|(i, _)| i == d.as_str()))
                .map(|(_, a)| a.clone());
            if let Some(l) = local {
                words.extend(["vxlanlocal".to_string(), l]);
            }
            words.extend(["vxlanremote".to_string(), remote.to_string()]);
        }
        (None, []) => {}
        (None, many) => {
            return Err(Error::Unsupported(format!(
                "{}: vxlan(4) takes one unicast remote, {} given",
                r.id(),
                many.len()
            )))
        }
    }
    if !own {
        words.extend(["name".to_string(), ifname.to_string()]);
    }
    words.extend(mtu_words(*mtu));
    words.extend(tag(r));
    words.push("up".into());
    Ok(vec![Step::new(ifconfig(words))])
}
