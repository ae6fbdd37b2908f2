//! Jails: `jail -c name=J persist vnet [allow.raw_sockets=1]` for VNET jails;
//! `jail -c name=J persist ip4.addr=A,B|ip4=inherit|ip4=disable ip6… ` for shared-IP
//! jails, with bare addresses (no `IF|`): the Alias resources own the host aliases, so
//! jail(8) must neither add nor remove them. A jail with a devfs ruleset of its own (see
//! `devfs.rs`) gets `devfs_ruleset=N`. `jail -r J` removes.

use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_plan::resource::JailIp;
use jailnet_plan::Resource;

pub(crate) fn create(r: &Resource, devfs: Option<&u16>) -> Vec<Step> {
    let Resource::Jail { name, .. } = r else {
        return Vec::new();
    };
    let jail = name.to_string();
    vec![Step::new(Invocation::new("jail", create_args(r, devfs)))
        .undo(Invocation::new("jail", ["-r".to_string(), jail]))]
}

/// The arguments of `jail` that create jail `r`.
pub(crate) fn create_args(r: &Resource, devfs: Option<&u16>) -> Vec<String> {
    let Resource::Jail {
        name,
        vnet,
        ip4,
        ip6,
        allow_raw_sockets,
    } = r
    else {
        return Vec::new();
    };
    let mut args = vec!["-c".to_string(), format!("name={name}"), "persist".into()];
    if *vnet {
        args.push("vnet".into());
    } else {
        for (fam, ip) in [("ip4", ip4), ("ip6", ip6)] {
            args.push(match ip {
                JailIp::Disable => format!("{fam}=disable"),
                JailIp::Inherit => format!("{fam}=inherit"),
                JailIp::Addrs(a) => {
                    let list: Vec<String> = a.iter().map(|x| x.to_string()).collect();
                    format!("{fam}.addr={}", list.join(","))
                }
            });
        }
    }
    if *allow_raw_sockets {
        args.push("allow.raw_sockets=1".into());
    }
    if let Some(n) = devfs {
        args.push(format!("devfs_ruleset={n}"));
    }
    args
}

pub(crate) fn remove(name: &str) -> Vec<Step> {
    vec![Step::new(Invocation::new("jail", ["-r", name]))]
}
