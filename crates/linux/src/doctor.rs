//! `jailnet doctor` on Linux: what the kernel and the other firewall tables must allow
//! for a topology to work, each finding with the exact fix.

use crate::backend::LinuxOptions;
use crate::netns::Netns;
use jailnet_host::{Host, Invocation, JailEntry, SystemHost};
use jailnet_plan::doctor::Finding;
use jailnet_plan::{Graph, Resource};

/// What the desired graph needs from this host.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    pub firewall: bool,
    pub routing_v4: bool,
    pub routing_v6: bool,
    pub vlan: bool,
    pub bridges: usize,
    /// A jail NIC without SLAAC: its host end filters router advertisements (tc).
    pub ra_filter: bool,
}

impl Needs {
    pub fn from_graph(g: &Graph) -> Needs {
        let mut n = Needs::default();
        for r in g.nodes.values() {
            match r {
                Resource::Firewall { .. } | Resource::Guard { .. } => n.firewall = true,
                Resource::Vlan { .. } => n.vlan = true,
                Resource::Nic { slaac: false, .. } => n.ra_filter = true,
                Resource::Switch { addrs, .. } => {
                    n.bridges += 1;
                    n.routing_v4 |= addrs.iter().any(|a| a.is_v4());
                    n.routing_v6 |= addrs.iter().any(|a| !a.is_v4());
                }
                _ => {}
            }
        }
        n
    }
}

fn run(opts: &LinuxOptions, program: &str, args: &[&str]) -> Option<jailnet_host::Output> {
    let mut inv = Invocation::new(program, args.iter().copied());
    if let Some(ns) = &opts.host_netns {
        inv = inv.in_jail(ns);
    }
    SystemHost::new(JailEntry::Netns).run(&inv).ok()
}

fn sysctl(opts: &LinuxOptions, key: &str) -> Option<String> {
    match &opts.host_netns {
        Some(ns) => {
            let fd = Netns::open(ns).ok()?.fd().ok()?;
            crate::sysctl::read_in(&fd, key).ok()
        }
        None => crate::sysctl::read(key).ok(),
    }
    .map(|v| v.trim().to_string())
}

/// Check this host for what `needs` requires.
pub fn doctor(opts: &LinuxOptions, needs: &Needs) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(ns) = &opts.host_netns {
        out.push(if Netns::exists(ns) {
            Finding::ok("host namespace exists", format!("netns {ns}"))
        } else {
            Finding::fail(
                "host namespace exists",
                format!("no netns {ns}"),
                format!("ip netns add {ns}"),
            )
        });
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    out.push(if root {
        Finding::ok("running as root", "uid 0")
    } else {
        Finding::fail(
            "running as root",
            "jailnet needs CAP_NET_ADMIN and CAP_SYS_ADMIN (namespaces)",
            "run it as root (sudo jailnet …)",
        )
    });
    for (need, key, fix) in [
        (needs.routing_v4, "net.ipv4.ip_forward", "jailnet up sets it; to keep it across reboots: echo net.ipv4.ip_forward=1 > /etc/sysctl.d/90-jailnet.conf"),
        (needs.routing_v6, "net.ipv6.conf.all.forwarding", "jailnet up sets it; to keep it across reboots: echo net.ipv6.conf.all.forwarding=1 >> /etc/sysctl.d/90-jailnet.conf"),
    ] {
        if !need {
            continue;
        }
        out.push(match sysctl(opts, key).as_deref() {
            Some("1") => Finding::ok(format!("{key} is on"), "1"),
            Some(v) => Finding::warn(format!("{key} is on"), v.to_string(), fix),
            None => Finding::warn(format!("{key} is on"), "unreadable", fix),
        });
    }
    if needs.firewall {
        match run(opts, "nft", &["--version"]) {
            Some(o) if o.success() => {
                out.push(Finding::ok("nft is installed", o.stdout.trim().to_string()));
                out.extend(shadowing_tables(opts));
            }
            _ => out.push(Finding::fail(
                "nft is installed",
                "not found",
                "apt-get install nftables",
            )),
        }
    }
    // br_netfilter sends bridged frames through the IP hooks of every table, where a
    // drop policy elsewhere would cut jails off from each other.
    if needs.bridges > 0 {
        out.push(match std::fs::read_to_string("/proc/sys/net/bridge/bridge-nf-call-iptables") {
            Ok(v) if v.trim() == "1" => Finding::warn(
                "br_netfilter does not filter bridged frames",
                "net.bridge.bridge-nf-call-iptables = 1: bridged jail traffic passes through every iptables/nft table",
                "sysctl net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 (or: modprobe -r br_netfilter)",
            ),
            _ => Finding::ok("br_netfilter does not filter bridged frames", "off or not loaded"),
        });
    }
    if needs.ra_filter {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let path = format!("/boot/config-{}", release.trim());
        if let Ok(config) = std::fs::read_to_string(&path) {
            out.push(tc_finding(&path, &config));
        }
    }
    if needs.vlan {
        let has = std::path::Path::new("/proc/net/vlan").exists()
            || std::path::Path::new("/sys/module/8021q").exists();
        out.push(if has {
            Finding::ok("802.1Q VLAN support", "8021q present")
        } else {
            Finding::fail(
                "802.1Q VLAN support",
                "this kernel has no 8021q module: vlan switches cannot be built here",
                "modprobe 8021q (if your kernel ships it), or use the freebsd / sim backend for VLANs",
            )
        });
    }
    out
}

/// Whether kernel config `config` (read from `path`) has what the router-advertisement
/// filter on NIC host ends needs: the clsact qdisc and the BPF classifier.
fn tc_finding(path: &str, config: &str) -> Finding {
    let what = "tc clsact and BPF classifier (router advertisements kept from NICs)";
    let missing: Vec<&str> = ["CONFIG_NET_SCH_INGRESS", "CONFIG_NET_CLS_BPF"]
        .into_iter()
        .filter(|k| {
            !config
                .lines()
                .any(|l| l == format!("{k}=y") || l == format!("{k}=m"))
        })
        .collect();
    if missing.is_empty() {
        Finding::ok(what, format!("{path}: built or modules"))
    } else {
        Finding::fail(
            what,
            format!("{path} lacks {}", missing.join(", ")),
            "a kernel with CONFIG_NET_SCH_INGRESS and CONFIG_NET_CLS_BPF (Debian's has both), \
             or ip6 = [\"slaac\"] on every NIC",
        )
    }
}

/// Base chains of other tables whose drop policy would shadow jailnet's accepts.
fn shadowing_tables(opts: &LinuxOptions) -> Vec<Finding> {
    let Some(o) = run(opts, "nft", &["-j", "list", "chains"]) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap_or_default();
    let mut found = Vec::new();
    for item in v
        .get("nftables")
        .and_then(|x| x.as_array())
        .into_iter()
        .flatten()
    {
        let Some(c) = item.get("chain") else { continue };
        let table = c.get("table").and_then(|x| x.as_str()).unwrap_or("");
        let hook = c.get("hook").and_then(|x| x.as_str()).unwrap_or("");
        let policy = c.get("policy").and_then(|x| x.as_str()).unwrap_or("accept");
        if table != crate::nft::TABLE
            && policy == "drop"
            && matches!(hook, "forward" | "input" | "prerouting")
        {
            let family = c.get("family").and_then(|x| x.as_str()).unwrap_or("");
            let name = c.get("name").and_then(|x| x.as_str()).unwrap_or("");
            found.push(format!("{family} {table} chain {name} (hook {hook})"));
        }
    }
    if found.is_empty() {
        vec![Finding::ok(
            "no other nft table drops forwarded traffic",
            "none with a drop policy on forward/input",
        )]
    } else {
        vec![Finding::warn(
            "no other nft table drops forwarded traffic",
            format!("drop policy in {}", found.join(", ")),
            "accept jailnet's subnets there too, e.g. nft add rule FAMILY TABLE CHAIN ip saddr SUBNET accept (jailnet never edits other tables)",
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_plan::doctor::Status;

    #[test]
    fn the_tc_check_wants_both_options_built_in_or_as_modules() {
        let ok =
            "CONFIG_NET_SCH_INGRESS=m\n# CONFIG_NET_CLS_U32 is not set\nCONFIG_NET_CLS_BPF=y\n";
        assert_eq!(tc_finding("/boot/c", ok).status, Status::Ok);
        let missing = tc_finding(
            "/boot/c",
            "CONFIG_NET_SCH_INGRESS=y\n# CONFIG_NET_CLS_BPF is not set\n",
        );
        assert_eq!(missing.status, Status::Fail);
        assert!(missing.detail.contains("CONFIG_NET_CLS_BPF"), "{missing:?}");
        assert!(!missing.detail.contains("INGRESS"), "{missing:?}");
    }
}
