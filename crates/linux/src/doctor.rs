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
}

impl Needs {
    pub fn from_graph(g: &Graph) -> Needs {
        let mut n = Needs::default();
        for r in g.nodes.values() {
            match r {
                Resource::Firewall { .. } | Resource::Guard { .. } => n.firewall = true,
                Resource::Vlan { .. } => n.vlan = true,
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
