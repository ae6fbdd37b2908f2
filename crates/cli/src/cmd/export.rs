//! `jailnet export rc-conf`: the host-wide part of the config (switches, their uplinks,
//! VLANs, VXLANs, extra loopbacks, forwarding) as `sysrc` lines for rc.conf(5) — the
//! seed 004 way — plus the pf.conf lines for NAT and port forwards as comments. Per-jail
//! NICs are not rc.conf settings; `jailnet emit jail-conf JAIL` covers those.

use crate::args::{Cli, ExportWhat};
use crate::engine::host_name;
use anyhow::Result;
use jailnet_model::alloc::{allocate, Allocations};
use jailnet_model::config::SwitchKind;
use jailnet_model::Config;
use jailnet_plan::resource::Knob;
use jailnet_plan::{desired, Resource};
use std::collections::BTreeSet;
use std::fmt::Write as _;

pub fn run(cli: &Cli, what: ExportWhat) -> Result<i32> {
    match what {
        ExportWhat::RcConf => {
            let loaded = crate::config::load(cli, false)?;
            let prev = crate::state_file::StateStore::open(&super::state_dir(cli))
                .and_then(|s| s.load())
                .map(|s| s.allocations)
                .unwrap_or_default();
            print!(
                "{}",
                rc_conf(&loaded.cfg, &prev, &loaded.path.display().to_string())?
            );
            Ok(0)
        }
    }
}

/// The sysrc lines for `cfg`.
pub fn rc_conf(cfg: &Config, prev: &Allocations, file: &str) -> Result<String> {
    let alloc = allocate(cfg, &host_name(cfg), prev)?;
    let g = desired(cfg, &alloc)?;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# rc.conf(5) settings for the host networking of {file}, as sysrc(8) commands."
    );
    let _ = writeln!(
        o,
        "# Jails' NICs are not rc.conf settings: `jailnet emit jail-conf JAIL` hooks each jail in."
    );
    let mut knobs = BTreeSet::new();
    let mut cloned: Vec<String> = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut pf: Vec<String> = Vec::new();
    let mut pf_filter: Vec<String> = Vec::new();
    // Bridges are cloned as bridgeN and renamed; skip numbers already taken by name.
    let taken: BTreeSet<String> = g
        .nodes
        .values()
        .filter_map(|r| match r {
            Resource::Switch { ifname, .. } => Some(ifname.to_string()),
            _ => None,
        })
        .collect();
    let mut next = 0u32;
    let mut fresh_bridge = || loop {
        let n = format!("bridge{next}");
        next += 1;
        if !taken.contains(&n) {
            return n;
        }
    };
    let mut alias_n: std::collections::BTreeMap<String, usize> = Default::default();
    for r in g.nodes.values() {
        match r {
            Resource::Sysctl { knob, .. } => {
                knobs.insert(match knob {
                    Knob::Ipv4Forwarding => "gateway_enable",
                    Knob::Ipv6Forwarding => "ipv6_gateway_enable",
                });
            }
            Resource::Vlan { parent, tag, .. } => {
                lines.push(format!("sysrc vlans_{parent}+=\"{tag}\""));
                lines.push(format!("sysrc ifconfig_{parent}_{tag}=\"up\""));
            }
            Resource::Vxlan {
                ifname,
                vni,
                group,
                dev,
                remotes,
                mtu,
            } => {
                cloned.push(ifname.to_string());
                let mut args = format!("vxlanid {vni}");
                if let Some(d) = dev {
                    let _ = write!(args, " vxlandev {d}");
                }
                if let Some(gr) = group {
                    let _ = write!(args, " vxlangroup {gr}");
                }
                if let Some(r) = remotes.first() {
                    let _ = write!(args, " vxlanremote {r}");
                    if remotes.len() > 1 {
                        notes.push(format!("{ifname}: only the first remote fits create_args; jailnet adds the others"));
                    }
                }
                if cfg.cluster.is_some() && group.is_none() && remotes.is_empty() {
                    notes.push(format!(
                        "{ifname}: its peers come from the cluster; `jailnet up` adds them"
                    ));
                }
                lines.push(format!("sysrc create_args_{ifname}=\"{args}\""));
                let mtu = mtu.map(|m| format!(" mtu {m}")).unwrap_or_default();
                lines.push(format!("sysrc ifconfig_{ifname}=\"up{mtu}\""));
            }
            Resource::Loopback { ifname } => cloned.push(ifname.to_string()),
            Resource::Alias { ifname, cidr, jail }
                if g.nodes
                    .values()
                    .any(|x| matches!(x, Resource::Loopback { ifname: l } if l == ifname)) =>
            {
                let n = alias_n.entry(ifname.to_string()).or_default();
                let fam = if cidr.is_v4() { "inet" } else { "inet6" };
                lines.push(format!(
                    "sysrc ifconfig_{ifname}_alias{n}=\"{fam} {cidr}\"   # jail {jail}"
                ));
                *n += 1;
            }
            Resource::Switch {
                name,
                ifname,
                addrs,
                mtu,
                ..
            } => {
                let kind = cfg.switches.get(name).map(|s| s.kind).unwrap_or_default();
                if kind == SwitchKind::Netgraph {
                    notes.push(format!("switch {name} is a netgraph bridge; rc.conf cannot build it (`jailnet up` does)"));
                    continue;
                }
                let clone = if ifname
                    .as_str()
                    .strip_prefix("bridge")
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                {
                    ifname.to_string()
                } else {
                    let b = fresh_bridge();
                    lines.push(format!("sysrc ifconfig_{b}_name=\"{ifname}\""));
                    b
                };
                cloned.push(clone);
                let mut args: Vec<String> = addrs
                    .iter()
                    .filter(|a| a.is_v4())
                    .map(|a| format!("inet {a}"))
                    .collect();
                for m in g.nodes.values() {
                    if let Resource::Member { switch, member } = m {
                        if switch == ifname {
                            args.push(format!("addm {member}"));
                        }
                    }
                }
                if let Some(m) = mtu {
                    args.push(format!("mtu {m}"));
                }
                args.push("up".into());
                lines.push(format!(
                    "sysrc ifconfig_{}=\"{}\"",
                    rc_name(ifname.as_str()),
                    args.join(" ")
                ));
                let v6: Vec<String> = addrs
                    .iter()
                    .filter(|a| !a.is_v4())
                    .map(|a| format!("inet6 {a}"))
                    .collect();
                for (i, a) in v6.iter().enumerate() {
                    let key = if i == 0 {
                        format!("ifconfig_{}_ipv6", rc_name(ifname.as_str()))
                    } else {
                        format!("ifconfig_{}_alias{}", rc_name(ifname.as_str()), i - 1)
                    };
                    lines.push(format!("sysrc {key}=\"{a}\""));
                }
            }
            Resource::Firewall { anchor, rules } => {
                // pf.conf wants every translation rule before the filter rules.
                let (nat, filter) = jailnet_freebsd::lower::firewall::rule_lines(anchor, rules);
                pf.extend(nat);
                pf_filter.extend(filter);
            }
            Resource::DhcpServer { switch, .. } => notes.push(format!(
                "switch {switch} serves DHCP with dnsmasq, which `jailnet up` runs"
            )),
            _ => {}
        }
    }
    for sw in cfg
        .switches
        .values()
        .filter(|s| s.kind == SwitchKind::Manual)
    {
        notes.push(format!(
            "switch {} is manual: it is already in rc.conf",
            sw.name
        ));
    }
    for k in &knobs {
        let _ = writeln!(o, "sysrc {k}=YES");
    }
    if !cloned.is_empty() {
        let _ = writeln!(o, "sysrc cloned_interfaces+=\"{}\"", cloned.join(" "));
    }
    for l in &lines {
        let _ = writeln!(o, "{l}");
    }
    if !pf.is_empty() {
        let _ = writeln!(o, "sysrc pf_enable=YES");
        let _ = writeln!(o, "# /etc/pf.conf (jailnet loads these into its anchors; without jailnet, put them in pf.conf):");
        for l in pf.iter().chain(&pf_filter) {
            let _ = writeln!(o, "#   {l}");
        }
    }
    for n in &notes {
        let _ = writeln!(o, "# note: {n}");
    }
    Ok(o)
}

/// rc.conf variable names use `_` where interface names have `.` or `-`.
fn rc_name(ifname: &str) -> String {
    ifname.replace(['.', '-'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_004_style_lines() {
        let (cfg, d) = jailnet_model::check(
            "[host]\nuplink = \"em0\"\nname = \"h\"\n[switch.lan]\naddress = [\"10.1.1.1/24\"]\nuplinks = [\"em1\"]\nnat = true\n[jail.plain]\nip4 = [\"lo1|172.31.255.17/32\"]\nnat = true\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let s = rc_conf(&cfg, &Allocations::default(), "x.toml").unwrap();
        assert!(s.contains("sysrc gateway_enable=YES\n"), "{s}");
        assert!(
            s.contains("sysrc cloned_interfaces+=\"lo1 bridge0\"\n")
                || s.contains("sysrc cloned_interfaces+=\"bridge0 lo1\"\n"),
            "{s}"
        );
        assert!(s.contains("sysrc ifconfig_bridge0_name=\"lan\"\n"), "{s}");
        assert!(
            s.contains("sysrc ifconfig_lan=\"inet 10.1.1.1/24 addm em1 up\"\n"),
            "{s}"
        );
        assert!(
            s.contains("sysrc ifconfig_lo1_alias0=\"inet 172.31.255.17/32\""),
            "{s}"
        );
        assert!(
            s.contains("#   nat on em0 inet from 10.1.1.0/24 to any -> (em0:0)"),
            "{s}"
        );
    }
}
