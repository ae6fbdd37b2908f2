//! The resources jailnet manages on a host, with their identity, dependencies and summary.
//! Backends realize and observe exactly these; nothing here knows how.

use jailnet_model::config::Proto;
use jailnet_model::names::{IfName, JailName};
use jailnet_model::net::{Cidr, Mac};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// Stable identity of a resource, e.g. `nic:www/vnet0`. Orders plans and keys the state.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ResourceId(pub String);

/// A host setting jailnet needs; the backend maps it to its sysctl name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Knob {
    /// IPv4 forwarding (`net.inet.ip.forwarding` / `net.ipv4.ip_forward`).
    Ipv4Forwarding,
    /// IPv6 forwarding (`net.inet6.ip6.forwarding` / `net.ipv6.conf.all.forwarding`).
    Ipv6Forwarding,
}

/// Which kind of switch jailnet builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SwitchImpl {
    /// if_bridge / Linux bridge.
    Bridge,
    /// ng_bridge + an ng_eiface for the host side (FreeBSD).
    Netgraph,
}

/// How a jail sees addresses of one family.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "mode", content = "addrs")]
pub enum JailIp {
    /// No address of this family (or a VNET jail, which has its own stack).
    #[default]
    Disable,
    /// All of the host's addresses.
    Inherit,
    /// Exactly these (shared-IP jail).
    Addrs(Vec<IpAddr>),
}

/// What a jail's /etc/resolv.conf should be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "mode", content = "lines")]
pub enum ResolvConf {
    /// A copy of the host's.
    Inherit,
    /// Exactly these lines.
    Lines(Vec<String>),
}

/// One thing on a host. The value is fully resolved: applying it makes no choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// A host setting.
    Sysctl { knob: Knob, value: String },
    /// A switch jailnet creates and destroys, with its host addresses.
    Switch {
        name: String,
        ifname: IfName,
        imp: SwitchImpl,
        mtu: Option<u32>,
        addrs: Vec<Cidr>,
    },
    /// A VLAN interface `PARENT.TAG` jailnet creates (a switch uplink or alias home).
    Vlan {
        ifname: IfName,
        parent: IfName,
        tag: u16,
    },
    /// A VXLAN interface jailnet creates.
    Vxlan {
        ifname: IfName,
        vni: u32,
        group: Option<IpAddr>,
        dev: Option<IfName>,
        remotes: Vec<IpAddr>,
        mtu: Option<u32>,
    },
    /// An extra loopback interface (`lo1`, …) that shared-IP jails' aliases live on (the
    /// seed 004 pattern: jails on `lo1` reached through pf NAT and rdr).
    Loopback { ifname: IfName },
    /// An interface bridged into a switch (an uplink). Never private.
    Member { switch: IfName, member: IfName },
    /// A jail (VNET: its own network stack) that jailnet creates when missing.
    Jail {
        name: JailName,
        vnet: bool,
        ip4: JailIp,
        ip6: JailIp,
        allow_raw_sockets: bool,
    },
    /// A VNET NIC: host side on the switch, jail side inside the jail.
    Nic {
        jail: JailName,
        name: IfName,
        host_ifname: IfName,
        switch: IfName,
        switch_imp: SwitchImpl,
        mac: Mac,
        private: bool,
        mtu: Option<u32>,
        addrs: Vec<Cidr>,
        dhcp: bool,
        slaac: bool,
    },
    /// A default route inside a VNET jail.
    Route {
        jail: JailName,
        v6: bool,
        gateway: IpAddr,
    },
    /// The jail's gateway, when it is the host's own address on a switch with secure
    /// NICs, kept permanently at that switch's MAC in the jail's ARP/NDP table, so a
    /// secure jail's forged answer for the gateway is not believed. FreeBSD only (ipfw
    /// cannot read ARP payloads; Linux's guards check the ARP sender fields).
    GatewayPin {
        jail: JailName,
        gateway: IpAddr,
        /// The switch (its host interface) whose MAC the gateway is pinned to.
        switch: IfName,
    },
    /// A shared-IP jail's address as an alias on a host interface.
    Alias {
        ifname: IfName,
        cidr: Cidr,
        jail: JailName,
    },
    /// A VM NIC: a tap on the switch.
    Tap {
        vm: JailName,
        index: u16,
        ifname: IfName,
        switch: IfName,
        mac: Mac,
        private: bool,
        mtu: Option<u32>,
    },
    /// The jail's resolv.conf.
    Resolver { jail: JailName, conf: ResolvConf },
    /// A packet-filter ruleset jailnet owns: pf anchor `jailnet/<anchor>` on FreeBSD, a
    /// group of rules in table `inet jailnet` on Linux. One per NAT switch (`nat-SWITCH`),
    /// per NAT shared-IP jail (`jnat-JAIL`) and per jail with exposed ports (`rdr-JAIL`).
    Firewall { anchor: String, rules: Vec<FwRule> },
    /// Anti-spoofing on a secure port: only `mac`, and IP/ARP from `addrs`, may leave
    /// `port` (FreeBSD: ipfw layer-2 rules; Linux: nft `bridge` family rules).
    Guard {
        /// `jail:NAME/NIC` or `vm:NAME/INDEX`, for messages.
        owner: String,
        port: IfName,
        mac: Mac,
        addrs: Vec<IpAddr>,
        /// The if_bridge `port` is a member of, whose forwarding table pins `mac` to
        /// `port` and learns nothing from it (FreeBSD: the bridge learns source MACs
        /// before ipfw sees a frame); `None` on netgraph switches and for leftovers.
        #[serde(default)]
        bridge: Option<IfName>,
        /// The `addrs` on a subnet the host has an address on, whose host ARP/NDP entries
        /// are made permanent for `mac` (FreeBSD: ipfw cannot read ARP payloads, so the
        /// host itself must not believe a forged answer).
        #[serde(default)]
        neighbours: Vec<IpAddr>,
    },
    /// A devfs ruleset for a jail that needs devices beyond the default jail set: `pf`
    /// and `pflog` for pf inside the jail, `bpf*` for a DHCP client. FreeBSD only.
    Devfs {
        jail: JailName,
        ruleset: u16,
        unhide: Vec<String>,
    },
    /// A DHCP server (and IPv6 router advertisements) bound to one switch: dnsmasq.
    DhcpServer {
        switch: String,
        ifname: IfName,
        /// The switch's IPv4 address (the server's own and the clients' router).
        gateway: Option<Cidr>,
        range: Option<(Ipv4Addr, Ipv4Addr)>,
        /// Static leases: MAC → address.
        hosts: Vec<(Mac, IpAddr)>,
        /// IPv6 prefixes to advertise for SLAAC.
        ra: Vec<Cidr>,
    },
    /// A DHCP client for one NIC inside a jail.
    DhcpClient { jail: JailName, nic: IfName },
}

/// One packet-filter rule, in terms both pf and nftables express.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum FwRule {
    /// Outbound NAT: traffic from subnet `from` leaving through `out` takes `out`'s
    /// current address (pf `nat on OUT from FROM to any -> (OUT:0)`, nft masquerade).
    Nat { from: Cidr, out: IfName },
    /// Port forward: `proto` traffic arriving on `on` for `dst` (any of `on`'s addresses
    /// when `None`) port `port` goes to `to`:`to_port`. Never `rdr pass`: a separate
    /// [`FwRule::Pass`] lets it through the filter.
    Rdr {
        on: IfName,
        proto: Proto,
        dst: Option<IpAddr>,
        port: u16,
        to: IpAddr,
        to_port: u16,
    },
    /// Let redirected traffic to `to`:`port` pass the filter.
    Pass { proto: Proto, to: IpAddr, port: u16 },
}

impl fmt::Display for FwRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FwRule::Nat { from, out } => write!(f, "nat {from} out {out}"),
            FwRule::Rdr {
                on,
                proto,
                dst,
                port,
                to,
                to_port,
            } => {
                let dst = dst.map_or_else(|| format!("({on})"), |d| d.to_string());
                write!(f, "rdr {proto} {dst}:{port} -> {to}:{to_port}")
            }
            FwRule::Pass { proto, to, port } => write!(f, "pass {proto} to {to}:{port}"),
        }
    }
}

impl Resource {
    pub fn id(&self) -> ResourceId {
        // Concatenated, not formatted: ids are made for every resource on every run
        // (thousands with a thousand jails), and `format!` is several times slower.
        ResourceId(match self {
            Resource::Sysctl { knob, .. } => format!("sysctl:{knob}"),
            Resource::Switch { name, .. } => concat(&["switch:", name]),
            Resource::Vlan { ifname, .. } => concat(&["vlan:", ifname.as_str()]),
            Resource::Loopback { ifname } => concat(&["loopback:", ifname.as_str()]),
            Resource::Vxlan { ifname, .. } => concat(&["vxlan:", ifname.as_str()]),
            Resource::Member { switch, member } => {
                concat(&["member:", switch.as_str(), "/", member.as_str()])
            }
            Resource::Jail { name, .. } => concat(&["jail:", name.as_str()]),
            Resource::Nic { jail, name, .. } => {
                concat(&["nic:", jail.as_str(), "/", name.as_str()])
            }
            Resource::Route { jail, v6, .. } => {
                concat(&[if *v6 { "route6:" } else { "route4:" }, jail.as_str()])
            }
            Resource::GatewayPin { jail, gateway, .. } => concat(&[
                if gateway.is_ipv6() {
                    "gwpin6:"
                } else {
                    "gwpin4:"
                },
                jail.as_str(),
            ]),
            Resource::Alias { ifname, cidr, .. } => format!("alias:{ifname}/{}", cidr.addr),
            Resource::Tap { vm, index, .. } => format!("tap:{vm}/{index}"),
            Resource::Resolver { jail, .. } => concat(&["resolver:", jail.as_str()]),
            Resource::Firewall { anchor, .. } => concat(&["firewall:", anchor]),
            Resource::Guard { port, .. } => concat(&["guard:", port.as_str()]),
            Resource::Devfs { jail, .. } => concat(&["devfs:", jail.as_str()]),
            Resource::DhcpServer { switch, .. } => concat(&["dhcp:", switch]),
            Resource::DhcpClient { jail, nic } => {
                concat(&["dhclient:", jail.as_str(), "/", nic.as_str()])
            }
        })
    }

    /// Short kind name, as in the id.
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Sysctl { .. } => "sysctl",
            Resource::Switch { .. } => "switch",
            Resource::Vlan { .. } => "vlan",
            Resource::Loopback { .. } => "loopback",
            Resource::Vxlan { .. } => "vxlan",
            Resource::Member { .. } => "member",
            Resource::Jail { .. } => "jail",
            Resource::Nic { .. } => "nic",
            Resource::Route { .. } => "route",
            Resource::GatewayPin { .. } => "gwpin",
            Resource::Alias { .. } => "alias",
            Resource::Tap { .. } => "tap",
            Resource::Resolver { .. } => "resolver",
            Resource::Firewall { .. } => "firewall",
            Resource::Guard { .. } => "guard",
            Resource::Devfs { .. } => "devfs",
            Resource::DhcpServer { .. } => "dhcp",
            Resource::DhcpClient { .. } => "dhclient",
        }
    }

    /// The jail this resource belongs to (its jail, NICs, routes, aliases, resolver).
    pub fn jail(&self) -> Option<&JailName> {
        match self {
            Resource::Jail { name, .. } => Some(name),
            Resource::Nic { jail, .. }
            | Resource::Route { jail, .. }
            | Resource::GatewayPin { jail, .. }
            | Resource::Alias { jail, .. }
            | Resource::Resolver { jail, .. }
            | Resource::Devfs { jail, .. }
            | Resource::DhcpClient { jail, .. } => Some(jail),
            _ => None,
        }
    }

    /// The jail a resource is part of for `attach`/`detach`: [`Resource::jail`], plus
    /// the jail's own firewall anchors (`rdr-JAIL`, `jnat-JAIL`).
    pub fn owner_jail(&self) -> Option<&str> {
        match self {
            Resource::Firewall { anchor, .. } => anchor
                .strip_prefix("rdr-")
                .or_else(|| anchor.strip_prefix("jnat-")),
            _ => self.jail().map(JailName::as_str),
        }
    }

    /// The interface name this resource creates on the host, if any.
    pub fn host_ifname(&self) -> Option<&IfName> {
        match self {
            Resource::Switch { ifname, .. }
            | Resource::Vlan { ifname, .. }
            | Resource::Loopback { ifname }
            | Resource::Vxlan { ifname, .. }
            | Resource::Tap { ifname, .. } => Some(ifname),
            Resource::Nic { host_ifname, .. } => Some(host_ifname),
            _ => None,
        }
    }

    /// Whether a change from `old` to `self` can be made in place (same identity-bearing
    /// fields), rather than by destroying and recreating.
    pub fn updatable_from(&self, old: &Resource) -> bool {
        use Resource::*;
        match (old, self) {
            (Sysctl { .. }, Sysctl { .. })
            | (Resolver { .. }, Resolver { .. })
            | (Firewall { .. }, Firewall { .. })
            | (Guard { .. }, Guard { .. })
            | (Devfs { .. }, Devfs { .. })
            | (DhcpServer { .. }, DhcpServer { .. }) => true,
            (
                Switch {
                    ifname: a, imp: ia, ..
                },
                Switch {
                    ifname: b, imp: ib, ..
                },
            ) => a == b && ia == ib,
            // Whether a NIC takes router advertisements is set as it is made (inside the
            // jail before it comes up; on Linux, a filter on its host end): a change makes
            // it anew.
            (
                Nic {
                    host_ifname: a,
                    switch: sa,
                    mac: ma,
                    private: pa,
                    switch_imp: ia,
                    slaac: la,
                    ..
                },
                Nic {
                    host_ifname: b,
                    switch: sb,
                    mac: mb,
                    private: pb,
                    switch_imp: ib,
                    slaac: lb,
                    ..
                },
            ) => a == b && sa == sb && ma == mb && pa == pb && ia == ib && la == lb,
            (Route { .. }, Route { .. }) | (GatewayPin { .. }, GatewayPin { .. }) => true,
            // Peers come and go (cluster watch): only the tunnel's identity needs a new one.
            (
                Vxlan {
                    ifname: a,
                    vni: va,
                    group: ga,
                    dev: da,
                    ..
                },
                Vxlan {
                    ifname: b,
                    vni: vb,
                    group: gb,
                    dev: db,
                    ..
                },
            ) => a == b && va == vb && ga == gb && da == db,
            _ => false,
        }
    }

    /// A one-line description for plans and logs.
    pub fn summary(&self) -> String {
        fn list<T: fmt::Display>(v: &[T]) -> String {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
        fn mtu(m: &Option<u32>) -> String {
            m.map(|m| format!(", mtu {m}")).unwrap_or_default()
        }
        match self {
            Resource::Sysctl { knob, value } => format!("{knob} = {value}"),
            Resource::Switch {
                ifname,
                imp,
                mtu: m,
                addrs,
                ..
            } => {
                let a = if addrs.is_empty() {
                    String::new()
                } else {
                    format!(", {}", list(addrs))
                };
                format!("{imp:?} {ifname}{a}{}", mtu(m)).to_lowercase()
            }
            Resource::Loopback { ifname } => format!("{ifname}: loopback for shared-IP aliases"),
            Resource::Vlan {
                ifname,
                parent,
                tag,
            } => format!("{ifname}: vlan {tag} on {parent}"),
            Resource::Vxlan {
                ifname,
                vni,
                group,
                dev,
                remotes,
                mtu: m,
            } => {
                let how = match (group, dev) {
                    (Some(g), Some(d)) => format!("group {g} dev {d}"),
                    (Some(g), None) => format!("group {g}"),
                    _ => format!("remotes {}", list(remotes)),
                };
                format!("{ifname}: vni {vni} {how}{}", mtu(m))
            }
            Resource::Member { switch, member } => format!("{member} bridged into {switch}"),
            Resource::Jail {
                name,
                vnet,
                ip4,
                ip6,
                allow_raw_sockets,
            } => {
                let mut s = format!("{name}: {}", if *vnet { "vnet" } else { "shared-ip" });
                for (fam, ip) in [("ip4", ip4), ("ip6", ip6)] {
                    match ip {
                        JailIp::Disable => {}
                        JailIp::Inherit => s.push_str(&format!(", {fam} inherit")),
                        JailIp::Addrs(a) => s.push_str(&format!(", {fam} {}", list(a))),
                    }
                }
                if *allow_raw_sockets {
                    s.push_str(", raw sockets");
                }
                s
            }
            Resource::Nic {
                jail,
                name,
                host_ifname,
                switch,
                mac,
                private,
                mtu: m,
                addrs,
                dhcp,
                slaac,
                ..
            } => {
                let mut s = format!("{host_ifname} <-> {jail}:{name} on {switch}, mac {mac}");
                if *private {
                    s.push_str(", private");
                }
                if !addrs.is_empty() {
                    s.push_str(&format!(", {}", list(addrs)));
                }
                if *dhcp {
                    s.push_str(", dhcp");
                }
                if *slaac {
                    s.push_str(", slaac");
                }
                s + &mtu(m)
            }
            Resource::Route { jail, v6, gateway } => {
                format!(
                    "{jail}: default{} via {gateway}",
                    if *v6 { " inet6" } else { "" }
                )
            }
            Resource::GatewayPin {
                jail,
                gateway,
                switch,
            } => format!("{jail}: {gateway} kept at the MAC of {switch}"),
            Resource::Alias { ifname, cidr, jail } => format!("{cidr} on {ifname} for {jail}"),
            Resource::Tap {
                vm,
                ifname,
                switch,
                mac,
                private,
                mtu: m,
                ..
            } => {
                format!(
                    "{ifname} for {vm} on {switch}, mac {mac}{}{}",
                    if *private { ", private" } else { "" },
                    mtu(m)
                )
            }
            Resource::Guard {
                owner,
                port,
                mac,
                addrs,
                bridge,
                ..
            } => format!(
                "{port} ({owner}) may send only from {mac} {}{}",
                addrs
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                bridge
                    .as_ref()
                    .map(|b| format!(", pinned on {b}"))
                    .unwrap_or_default()
            ),
            Resource::Devfs {
                jail,
                ruleset,
                unhide,
            } => {
                format!(
                    "{jail}: devfs ruleset {ruleset} unhides {}",
                    unhide.join(" ")
                )
            }
            Resource::DhcpServer {
                ifname,
                range,
                hosts,
                ra,
                ..
            } => {
                let mut s = format!("dnsmasq on {ifname}");
                if let Some((a, b)) = range {
                    s.push_str(&format!(", range {a}-{b}"));
                }
                for (m, a) in hosts {
                    s.push_str(&format!(", {m}={a}"));
                }
                for p in ra {
                    s.push_str(&format!(", ra {}", p.subnet()));
                }
                s
            }
            Resource::DhcpClient { jail, nic } => format!("{jail}:{nic} asks DHCP for its address"),
            Resource::Firewall { anchor, rules } => format!(
                "jailnet/{anchor}: {}",
                rules
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Resource::Resolver { jail, conf } => match conf {
                ResolvConf::Inherit => format!("{jail}: copy of the host's resolv.conf"),
                ResolvConf::Lines(l) => format!("{jail}: {}", l.join("; ")),
            },
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `parts` joined, in one allocation.
fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

impl fmt::Display for Knob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Knob::Ipv4Forwarding => "ipv4-forwarding",
            Knob::Ipv6Forwarding => "ipv6-forwarding",
        })
    }
}
