//! A text drawing of a topology: the uplink, each switch with its ports, as a tree.

use jailnet_model::alloc::{nic_key, Allocations};
use jailnet_model::config::{AddrSpec, Config};
use std::fmt::Write as _;

pub fn draw(cfg: &Config, alloc: &Allocations) -> String {
    let mut s = String::new();
    if let Some(u) = &cfg.host.uplink {
        let _ = writeln!(s, "[upstream] ── {u} (host uplink)");
    }
    for sw in cfg.switches.values() {
        let addrs: Vec<String> = sw.addresses.iter().map(|a| a.value.to_string()).collect();
        let mut flags = Vec::new();
        if sw.private {
            flags.push("private");
        }
        if sw.nat {
            flags.push("nat");
        }
        if sw.dhcp.is_some() {
            flags.push("dhcp");
        }
        let _ = writeln!(
            s,
            "switch {} ({}) {} {}",
            sw.name,
            sw.ifname,
            addrs.join(" "),
            if flags.is_empty() {
                String::new()
            } else {
                format!("[{}]", flags.join(", "))
            }
        );
        let mut ports = Vec::new();
        for j in cfg.jails.values() {
            for nic in j.nics.iter().filter(|n| n.switch.value == sw.name) {
                let a = alloc
                    .nics
                    .get(&nic_key("jail", j.name.as_str(), nic.name.as_str()));
                let mut addrs: Vec<String> = Vec::new();
                for spec in nic.ip4.iter().chain(&nic.ip6) {
                    match &spec.value {
                        AddrSpec::Static(c) => addrs.push(c.addr.to_string()),
                        AddrSpec::Auto => addrs.extend(
                            a.and_then(|a| a.ip4.or(a.ip6))
                                .map(|c| format!("{} (auto)", c.addr)),
                        ),
                        AddrSpec::Dhcp => addrs.push("dhcp".into()),
                        AddrSpec::Slaac => addrs.push("slaac".into()),
                    }
                }
                let exposed: Vec<String> = j.expose.iter().map(|e| e.value.to_string()).collect();
                ports.push(format!(
                    "jail {}:{} {} via {}{}{}",
                    j.name,
                    nic.name,
                    addrs.join(" "),
                    a.map(|a| a.host_ifname.to_string()).unwrap_or_default(),
                    if nic.secure { " [secure]" } else { "" },
                    if exposed.is_empty() {
                        String::new()
                    } else {
                        format!(" expose {}", exposed.join(" "))
                    }
                ));
            }
        }
        for vm in cfg.vms.values() {
            for (i, _) in vm
                .nics
                .iter()
                .enumerate()
                .filter(|(_, n)| n.switch.value == sw.name)
            {
                let a = alloc
                    .nics
                    .get(&nic_key("vm", vm.name.as_str(), &i.to_string()));
                ports.push(format!(
                    "vm {} tap {}",
                    vm.name,
                    a.map(|a| a.host_ifname.to_string()).unwrap_or_default()
                ));
            }
        }
        for u in &sw.uplinks {
            ports.push(format!("uplink {}", u.value));
        }
        for (i, p) in ports.iter().enumerate() {
            let branch = if i + 1 == ports.len() {
                "└─"
            } else {
                "├─"
            };
            let _ = writeln!(s, "  {branch} {p}");
        }
    }
    s
}
