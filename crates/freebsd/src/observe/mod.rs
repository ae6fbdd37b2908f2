//! Observing a FreeBSD host: run the few queries the scope needs, parse them into a
//! [`HostView`], and map that onto [`Resource`] values ([`map`]).
//!
//! Queries, at most: `sysctl -n` once for every knob in scope, `ifconfig -a` once, `jls -n`
//! once, and for each VNET jail in scope one `jexec J ifconfig -a` (when it has NICs in
//! scope) and one `jexec J netstat -rn` (when it has routes in scope); `jexec J cat
//! /etc/resolv.conf` per resolver in scope, and the host's resolv.conf once when one of
//! them inherits it; `pfctl -a jailnet -s Anchors` once, and per anchor found `-s nat`
//! and/or `-s rules` ([`pf`]); `ngctl list -l` once when netgraph switches or NICs, or
//! secure NICs (their ARP filters), are in scope ([`ngctl`]). Secure NICs: `ipfw list`
//! once. Devfs rulesets: `devfs rule showsets`
//! once, and `devfs rule -s N show` per jail ruleset that exists. DHCP servers: `cat CONF`
//! and `pgrep -F PIDFILE` each; DHCP clients: `jexec J pgrep -F PIDFILE` each.

pub mod ifconfig;
pub mod jls;
mod map;
pub mod ngctl;
pub mod pf;
pub mod route;
pub mod sysctl;

use crate::error::Error;
use crate::exec::run;
use crate::lower::{sysctl_name, RESOLV_CONF};
use ifconfig::IfStatus;
use jailnet_host::{Host, Invocation};
use jailnet_plan::resource::ResolvConf;
use jailnet_plan::Resource;
use jls::JailInfo;
use std::collections::{BTreeMap, BTreeSet};

pub use map::map;

/// What the queries returned, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostView {
    /// The host's interfaces (`ifconfig -a`).
    pub ifaces: Vec<IfStatus>,
    /// Running jails (`jls -n …`).
    pub jails: Vec<JailInfo>,
    /// Interfaces inside VNET jails, by jail.
    pub jail_ifaces: BTreeMap<String, Vec<IfStatus>>,
    /// Default routes inside VNET jails, by jail.
    pub routes: BTreeMap<String, route::Defaults>,
    /// `/etc/resolv.conf` of jails that have one, by jail.
    pub resolv: BTreeMap<String, String>,
    /// The host's `/etc/resolv.conf`, when read.
    pub host_resolv: Option<String>,
    /// sysctl values by name.
    pub sysctl: BTreeMap<String, String>,
    /// jailnet's pf anchors (`pfctl -a jailnet -s Anchors`, then per anchor).
    pub pf: pf::PfView,
    /// Netgraph nodes with their hooks (`ngctl list -l`), when netgraph is in scope.
    pub netgraph: Vec<ngctl::NgNode>,
    /// The secure ports' ARP filter nodes among them ([`ngctl::arp_filters`]).
    pub arp_filters: std::collections::BTreeSet<String>,
    /// ipfw rules (number, text) when guards are in scope (`ipfw list`).
    pub ipfw: Option<Vec<(u32, String)>>,
    /// Every devfs ruleset number (`devfs rule showsets`), when devfs is in scope.
    pub devfs_sets: std::collections::BTreeSet<u16>,
    /// `devfs rule -s N show` of the rulesets in scope that exist.
    pub devfs: BTreeMap<u16, String>,
    /// Config files of the DHCP servers in scope whose dnsmasq runs, by switch interface.
    pub dhcp: BTreeMap<String, String>,
    /// `(jail, nic)` of the DHCP clients in scope that run.
    pub dhclients: BTreeSet<(String, String)>,
    /// DHCP servers jailnet started that nothing in scope names (a lost state file): the
    /// interfaces of the configs in the run directory carrying jailnet's mark whose
    /// dnsmasq still runs.
    pub dhcp_leftovers: Vec<String>,
    /// The host's permanent ARP/NDP entries (`arp -an`, `ndp -an`), address → MAC, when
    /// guards with host neighbour entries are in scope.
    pub neighbours: BTreeMap<std::net::IpAddr, String>,
    /// Permanent ARP/NDP entries inside jails with a pinned gateway, by jail.
    pub jail_neighbours: BTreeMap<String, BTreeMap<std::net::IpAddr, String>>,
}

impl HostView {
    pub fn iface(&self, name: &str) -> Option<&IfStatus> {
        self.ifaces.iter().find(|i| i.name == name)
    }

    pub fn jail(&self, name: &str) -> Option<&JailInfo> {
        self.jails.iter().find(|j| j.name == name)
    }

    /// The bridge that has `member`, with the member's flag names.
    pub fn bridge_of(&self, member: &str) -> Option<(&IfStatus, &[String])> {
        self.ifaces.iter().find_map(|b| {
            b.members()
                .into_iter()
                .find(|(m, _)| *m == member)
                .map(|(_, f)| (b, f))
        })
    }

    /// `(interface, first IPv4 address)` of every host interface that has one.
    pub fn local_addrs(&self) -> Vec<(String, String)> {
        self.ifaces
            .iter()
            .filter_map(|i| {
                i.inet()
                    .first()
                    .map(|(a, _)| (i.name.clone(), a.to_string()))
            })
            .collect()
    }
}

/// Runs the queries `scope` needs and parses them.
pub fn gather<H: Host + ?Sized>(
    host: &mut H,
    scope: &[&Resource],
    run_dir: &str,
) -> Result<HostView, Error> {
    let mut v = HostView::default();
    let knobs: BTreeSet<&'static str> = scope
        .iter()
        .filter_map(|r| match r {
            Resource::Sysctl { knob, .. } => Some(sysctl_name(*knob)),
            _ => None,
        })
        .collect();
    if !knobs.is_empty() {
        let keys: Vec<&str> = knobs.into_iter().collect();
        let mut args = vec!["-n"];
        args.extend(keys.iter().copied());
        let out = run(host, &Invocation::new("sysctl", args))?;
        v.sysctl = sysctl::parse(&keys, &out.stdout)?.into_iter().collect();
    }
    v.ifaces = ifconfig::parse(&run(host, &Invocation::new("ifconfig", ["-a"]))?.stdout)?;
    if ngctl::in_scope(scope) {
        v.netgraph = ngctl::parse_list(&run(host, &ngctl::list_long())?.stdout)?;
        v.arp_filters = ngctl::arp_filters(&v.netgraph);
    }
    let jailish = scope.iter().any(|r| r.jail().is_some());
    if jailish {
        v.jails = jls::parse(&run(host, &Invocation::new("jls", jls::args()))?.stdout)?;
    }
    let mut nic_jails = BTreeSet::new();
    let mut route_jails = BTreeSet::new();
    let mut resolv_jails = BTreeSet::new();
    let mut inherit = false;
    for r in scope {
        match r {
            Resource::Nic { jail, .. } => nic_jails.insert(jail.to_string()),
            Resource::Route { jail, .. } => route_jails.insert(jail.to_string()),
            Resource::Resolver { jail, conf } => {
                inherit |= *conf == ResolvConf::Inherit;
                resolv_jails.insert(jail.to_string())
            }
            _ => false,
        };
    }
    let vnet = |v: &HostView, j: &str| v.jail(j).is_some_and(|x| x.vnet);
    for j in &nic_jails {
        if vnet(&v, j) {
            let out = run(host, &Invocation::new("ifconfig", ["-a"]).in_jail(j))?;
            v.jail_ifaces
                .insert(j.clone(), ifconfig::parse(&out.stdout)?);
        }
    }
    for j in &route_jails {
        if vnet(&v, j) {
            let out = run(host, &Invocation::new("netstat", ["-rn"]).in_jail(j))?;
            v.routes.insert(j.clone(), route::parse(&out.stdout));
        }
    }
    for j in &resolv_jails {
        if v.jail(j).is_some() {
            // A missing file is an absent resolver, not an error.
            let out = host.run(&Invocation::new("cat", [RESOLV_CONF]).in_jail(j))?;
            if out.success() {
                v.resolv.insert(j.clone(), out.stdout);
            }
        }
    }
    if inherit && !v.resolv.is_empty() {
        v.host_resolv = Some(read_host_resolv(host)?);
    }
    v.pf = pf::gather(host, scope)?;
    gather_extras(host, scope, run_dir, &mut v)?;
    Ok(v)
}

/// ipfw, devfs and DHCP: what guards, devfs rulesets and DHCP need.
fn gather_extras<H: Host + ?Sized>(
    host: &mut H,
    scope: &[&Resource],
    run_dir: &str,
    v: &mut HostView,
) -> Result<(), Error> {
    if scope.iter().any(|r| matches!(r, Resource::Guard { .. })) {
        // Without ipfw there are no rules (doctor says how to load it).
        let out = host.run(&Invocation::new("ipfw", ["list"]))?;
        v.ipfw = Some(if out.success() {
            ipfw_list(&out.stdout)
        } else {
            Vec::new()
        });
    }
    let (mut v4, mut v6) = (false, false);
    for r in scope {
        if let Resource::Guard { neighbours, .. } = r {
            v4 |= neighbours.iter().any(|a| a.is_ipv4());
            v6 |= neighbours.iter().any(|a| a.is_ipv6());
        }
    }
    for (want, prog) in [(v4, "arp"), (v6, "ndp")] {
        if want {
            let out = run(host, &Invocation::new(prog, ["-an"]))?;
            v.neighbours.extend(permanent_neighbours(&out.stdout));
        }
    }
    for r in scope {
        if let Resource::GatewayPin { jail, gateway, .. } = r {
            if v.jail(jail.as_str()).is_none() {
                continue;
            }
            let prog = if gateway.is_ipv4() { "arp" } else { "ndp" };
            let out = host.run(&Invocation::new(prog, ["-an"]).in_jail(jail.as_str()))?;
            if out.success() {
                v.jail_neighbours
                    .entry(jail.to_string())
                    .or_default()
                    .extend(permanent_neighbours(&out.stdout));
            }
        }
    }
    let sets: Vec<u16> = scope
        .iter()
        .filter_map(|r| match r {
            Resource::Devfs { ruleset, .. } => Some(*ruleset),
            _ => None,
        })
        .collect();
    if !sets.is_empty() {
        let out = run(host, &Invocation::new("devfs", ["rule", "showsets"]))?;
        v.devfs_sets = out
            .stdout
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        for n in sets {
            if v.devfs_sets.contains(&n) && !v.devfs.contains_key(&n) {
                let args = [
                    "rule".to_string(),
                    "-s".into(),
                    n.to_string(),
                    "show".into(),
                ];
                let out = run(host, &Invocation::new("devfs", args))?;
                v.devfs.insert(n, out.stdout);
            }
        }
    }
    let known: BTreeSet<&str> = scope
        .iter()
        .filter_map(|r| match r {
            Resource::DhcpServer { ifname, .. } => Some(ifname.as_str()),
            _ => None,
        })
        .collect();
    let listed = host.run(&Invocation::new("ls", [run_dir]))?;
    for name in listed.stdout.lines() {
        let Some(ifname) = name
            .strip_prefix("dnsmasq-")
            .and_then(|n| n.strip_suffix(".conf"))
            .filter(|n| !known.contains(n))
        else {
            continue;
        };
        let f = crate::lower::dhcp::files(run_dir, ifname);
        let conf = host.run(&Invocation::new("cat", [f.conf.as_str()]))?;
        let ours = conf.success() && jailnet_plan::dnsmasq::written_for(&conf.stdout, ifname);
        if ours
            && host
                .run(&Invocation::new("pgrep", ["-F", f.pid.as_str()]))?
                .success()
        {
            v.dhcp_leftovers.push(ifname.to_string());
        }
    }
    for r in scope {
        match r {
            Resource::DhcpServer { ifname, .. } => {
                let f = crate::lower::dhcp::files(run_dir, ifname.as_str());
                let conf = host.run(&Invocation::new("cat", [f.conf.as_str()]))?;
                if !conf.success() {
                    continue;
                }
                let alive = host.run(&Invocation::new("pgrep", ["-F", f.pid.as_str()]))?;
                if alive.success() {
                    v.dhcp.insert(ifname.to_string(), conf.stdout);
                }
            }
            Resource::DhcpClient { jail, nic } if v.jail(jail.as_str()).is_some() => {
                let pidfile = crate::lower::dhcp::dhclient_pidfile(nic.as_str());
                let inv =
                    Invocation::new("pgrep", ["-F".to_string(), pidfile]).in_jail(jail.as_str());
                if host.run(&inv)?.success() {
                    v.dhclients.insert((jail.to_string(), nic.to_string()));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `ipfw list` → (number, rule text), without the default rule 65535.
pub fn ipfw_list(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|l| {
            let (n, body) = l.trim().split_once(' ')?;
            let n: u32 = n.parse().ok()?;
            (n != 65535).then(|| (n, body.trim().to_string()))
        })
        .collect()
}

/// The host's `/etc/resolv.conf` (`cat`).
pub fn read_host_resolv<H: Host + ?Sized>(host: &mut H) -> Result<String, Error> {
    Ok(run(host, &Invocation::new("cat", [RESOLV_CONF]))?.stdout)
}

/// The permanent entries of `arp -an` (`? (A) at MAC on IF permanent [ethernet]`) or
/// `ndp -an` (`A MAC IF permanent …`, after a header line).
pub fn permanent_neighbours(text: &str) -> Vec<(std::net::IpAddr, String)> {
    text.lines()
        .filter(|l| l.split_whitespace().any(|w| w == "permanent"))
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let (addr, mac) = match w.as_slice() {
                ["?", a, "at", mac, ..] => (a.trim_matches(|c| c == '(' || c == ')'), *mac),
                [a, mac, ..] => (a.split('%').next().unwrap_or(a), *mac),
                _ => return None,
            };
            Some((addr.parse().ok()?, mac.to_ascii_lowercase()))
        })
        .collect()
}
