//! Cross-object checks on a loaded [`Config`]: references, subnets, duplicates, and the
//! rules the backends rely on. Every problem is reported, each at the span that caused it.

use crate::config::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::net::{Cidr, Mac};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Linux bridges hold at most this many ports (`BR_MAX_PORTS`).
pub const LINUX_BRIDGE_MAX_PORTS: usize = 1024;

/// All cross-object problems of `cfg`.
pub fn validate(cfg: &Config) -> Diagnostics {
    let mut v = Validator {
        cfg,
        d: Diagnostics::default(),
        addrs: BTreeMap::new(),
        macs: BTreeMap::new(),
    };
    v.switches();
    v.jails();
    v.vms();
    v.d
}

/// Checks that only matter on the Linux backend.
pub fn lint_linux(cfg: &Config) -> Diagnostics {
    let mut d = Diagnostics::default();
    for sw in cfg.switches.values() {
        let ports = sw.uplinks.len()
            + cfg
                .jails
                .values()
                .flat_map(|j| &j.nics)
                .filter(|n| n.switch.value == sw.name)
                .count()
            + cfg
                .vms
                .values()
                .flat_map(|v| &v.nics)
                .filter(|n| n.switch.value == sw.name)
                .count()
            + usize::from(sw.vxlan.is_some());
        if ports > LINUX_BRIDGE_MAX_PORTS {
            d.push(
                Diagnostic::new(
                    sw.span.clone(),
                    format!(
                        "switch '{}' has {ports} ports; a Linux bridge holds at most {LINUX_BRIDGE_MAX_PORTS}",
                        sw.name
                    ),
                )
                .hint("spread the jails over several switches"),
            );
        }
    }
    d
}

struct Validator<'c> {
    cfg: &'c Config,
    d: Diagnostics,
    /// Every address in use, with who uses it and where.
    addrs: BTreeMap<IpAddr, (String, Span)>,
    macs: BTreeMap<Mac, (String, Span)>,
}

impl<'c> Validator<'c> {
    fn err(&mut self, span: &Span, msg: impl Into<String>, hint: impl Into<String>) {
        self.d.push(Diagnostic::new(span.clone(), msg).hint(hint));
    }

    fn claim_addr(&mut self, a: IpAddr, who: String, span: &Span) {
        match self.addrs.get(&a) {
            Some(prev) => {
                // Report at the later of the two in the file, naming the earlier one.
                let ((lwho, lspan), (ewho, _)) = later_first((&who, span), (&prev.0, &prev.1));
                let msg = format!("{lwho} address {a} is already used by {ewho}");
                let lspan = lspan.clone();
                if span.start < prev.1.start {
                    self.addrs.insert(a, (who.clone(), span.clone()));
                }
                self.err(
                    &lspan,
                    msg,
                    "every address may be used once across switches, jails, VMs and DHCP hosts",
                );
            }
            None => {
                self.addrs.insert(a, (who, span.clone()));
            }
        }
    }

    fn claim_mac(&mut self, m: Mac, who: String, span: &Span) {
        if m.0 == [0xff; 6] {
            self.err(
                span,
                format!("MAC {m} is the broadcast address"),
                "write a unicast MAC (first octet even, e.g. 58:9c:fc:… or 02:…) or mac = \"auto\"",
            );
        } else if m.is_multicast() {
            self.err(
                span,
                format!("MAC {m} is a multicast address"),
                "the first octet of a NIC's MAC must be even, e.g. 58:9c:fc:… or 02:…",
            );
        } else if m.is_zero() {
            self.err(
                span,
                "MAC 00:00:00:00:00:00 is not a usable address",
                "write a real MAC or mac = \"auto\"",
            );
        } else if let Some(prev) = self.macs.get(&m) {
            let ((lwho, lspan), (ewho, _)) = later_first((&who, span), (&prev.0, &prev.1));
            let msg = format!("{lwho} MAC {m} is already used by {ewho}");
            let lspan = lspan.clone();
            if span.start < prev.1.start {
                self.macs.insert(m, (who.clone(), span.clone()));
            }
            self.err(
                &lspan,
                msg,
                "every NIC needs its own MAC; use mac = \"auto\" to derive one",
            );
        } else {
            self.macs.insert(m, (who, span.clone()));
        }
    }

    fn switches(&mut self) {
        let cfg = self.cfg;
        let mut ifnames: BTreeMap<&str, (String, &Span)> = BTreeMap::new();
        let mut uplink_owner: BTreeMap<&str, (String, &Span)> = BTreeMap::new();
        let mut subnets: Vec<(&Cidr, &Span, &str)> = Vec::new();
        for sw in cfg.switches.values() {
            let who = format!("switch '{}'", sw.name);
            if let Some((pwho, pspan)) = ifnames.get(sw.ifname.as_str()) {
                let ((lwho, lspan), (ewho, _)) = later_first((&who, &sw.span), (pwho, *pspan));
                self.err(
                    lspan,
                    format!(
                        "{lwho} uses interface name '{}', which {ewho} already uses",
                        sw.ifname
                    ),
                    "give each switch its own ifname",
                );
            } else {
                ifnames.insert(sw.ifname.as_str(), (who.clone(), &sw.span));
            }
            for a in &sw.addresses {
                let sub = a.subnet();
                if a.addr == sub.addr && a.prefix < if a.is_v4() { 31 } else { 127 } {
                    self.err(
                        &a.span,
                        format!("{who} address {} is the subnet's network address", a.value),
                        format!(
                            "use a host address such as {}",
                            sub.nth(1)
                                .map_or(String::new(), |x| format!("{x}/{}", a.prefix))
                        ),
                    );
                } else if Some(a.addr) == a.broadcast() {
                    self.err(
                        &a.span,
                        format!(
                            "{who} address {} is the subnet's broadcast address",
                            a.value
                        ),
                        "use a host address inside the subnet",
                    );
                }
                self.claim_addr(a.addr, who.clone(), &a.span);
                for (other, ospan, oname) in &subnets {
                    if *oname != sw.name && other.overlaps(a) {
                        let mine = (format!("{who} subnet {}", a.subnet()), &a.span);
                        let theirs = (
                            format!("switch '{oname}' subnet {}", other.subnet()),
                            *ospan,
                        );
                        let ((lwhat, lspan), (ewhat, _)) =
                            later_first((&mine.0, mine.1), (&theirs.0, theirs.1));
                        self.err(
                            lspan,
                            format!("{lwhat} overlaps {ewhat}"),
                            "switches are separate L2 segments; give each its own subnet",
                        );
                    }
                }
                subnets.push((&a.value, &a.span, &sw.name));
            }
            for u in &sw.uplinks {
                if u.value == sw.ifname {
                    self.err(
                        &u.span,
                        format!("{who} lists itself as an uplink"),
                        "uplinks are other interfaces bridged into the switch",
                    );
                } else if let Some((pwho, pspan)) = uplink_owner.get(u.as_str()) {
                    let ((lwho, lspan), (ewho, _)) = later_first((&who, &u.span), (pwho, *pspan));
                    self.err(
                        lspan,
                        format!(
                            "interface '{}' is an uplink of {lwho} and already of {ewho}",
                            u.value
                        ),
                        "an interface can be a member of one bridge only",
                    );
                } else {
                    uplink_owner.insert(u.as_str(), (who.clone(), &u.span));
                }
                if cfg
                    .switches
                    .values()
                    .any(|o| o.name != sw.name && o.ifname == u.value)
                {
                    self.err(
                        &u.span,
                        format!("uplink '{}' is another switch", u.value),
                        "a switch cannot be bridged into another switch; use one switch",
                    );
                }
            }
            if sw.nat {
                if cfg.host.uplink.is_none() {
                    self.err(
                        &sw.span,
                        format!("{who} has nat = true but [host] has no uplink"),
                        "set [host] uplink = \"em0\" (the outside interface NAT goes through)",
                    );
                }
                if sw.addresses.is_empty() {
                    self.err(&sw.span, format!("{who} has nat = true but no address, so there is no subnet to translate"), "add address = [\"10.1.1.1/24\"]");
                }
            }
            if sw.kind == SwitchKind::Manual && (sw.vlan.is_some() || sw.vxlan.is_some()) {
                self.err(&sw.span, format!("{who} is kind = \"manual\" (jailnet never creates it) but sets vlan or vxlan"), "use kind = \"bridge\" so jailnet builds the vlan/vxlan member, or drop them");
            }
            if let Some(vx) = &sw.vxlan {
                let modes = usize::from(vx.group.is_some())
                    + usize::from(!vx.remotes.is_empty())
                    + usize::from(vx.cluster);
                let hint = "multicast: group = \"239.0.0.111\", dev = \"em0\"; unicast: remotes = [\"192.0.2.20\"]; or cluster = true";
                if modes == 0 {
                    self.err(
                        &vx.span,
                        format!("{who} vxlan has no peers: set one of group, remotes or cluster"),
                        hint,
                    );
                } else if modes > 1 {
                    self.err(&vx.span, format!("{who} vxlan sets more than one of group, remotes and cluster; use exactly one"), hint);
                }
                if vx.group.is_some() && vx.dev.is_none() {
                    self.err(
                        &vx.span,
                        format!("{who} vxlan group needs dev, the interface multicast goes out of"),
                        "add dev = \"em0\"",
                    );
                }
                let max = DEFAULT_UNDERLAY_MTU - VXLAN_OVERHEAD;
                if let Some(m) = sw.mtu.filter(|m| *m > max) {
                    self.err(
                        &sw.span,
                        format!("{who} mtu {m} does not fit in a VXLAN tunnel over a {DEFAULT_UNDERLAY_MTU}-byte underlay (at most {max})"),
                        format!("use mtu = {max} (VXLAN adds {VXLAN_OVERHEAD} bytes), or leave mtu out and jailnet uses {max}"),
                    );
                }
                if vx.cluster && cfg.cluster.is_none() {
                    self.err(
                        &vx.span,
                        format!("{who} vxlan cluster = true but there is no [cluster]"),
                        "add [cluster] etcd = [\"http://127.0.0.1:2379\"]",
                    );
                }
            }
            self.dhcp(sw);
        }
    }

    fn dhcp(&mut self, sw: &Switch) {
        let Some(dh) = &sw.dhcp else { return };
        let who = format!("switch '{}'", sw.name);
        let Some(gw) = sw.gateway(true).copied() else {
            self.err(
                &dh.span,
                format!("{who} serves DHCP but has no IPv4 address"),
                "add address = [\"10.1.1.1/24\"] for the DHCP server to listen on",
            );
            return;
        };
        if let Some(r) = &dh.range {
            let (a, b) = r.value;
            if !gw.contains(&a) || !gw.contains(&b) {
                self.err(
                    &r.span,
                    format!(
                        "{who} DHCP range {a}-{b} is not inside its subnet {}",
                        gw.subnet()
                    ),
                    format!("use addresses inside {}", gw.subnet()),
                );
            } else if ip_ord(&a) > ip_ord(&b) {
                self.err(
                    &r.span,
                    format!("{who} DHCP range {a}-{b} ends before it starts"),
                    "write FIRST-LAST with FIRST ≤ LAST",
                );
            } else if in_range(&gw.addr, &r.value) {
                self.err(
                    &r.span,
                    format!(
                        "{who} DHCP range {a}-{b} contains the switch's own address {}",
                        gw.addr
                    ),
                    "start the range after the gateway",
                );
            } else if gw.broadcast().is_some_and(|bc| in_range(&bc, &r.value))
                || in_range(&gw.network(), &r.value)
            {
                self.err(
                    &r.span,
                    format!("{who} DHCP range {a}-{b} contains the network or broadcast address"),
                    "keep the range inside the usable addresses",
                );
            }
        }
        for (mac, a) in &dh.hosts {
            if !gw.contains(&a.value) {
                self.err(
                    &a.span,
                    format!(
                        "{who} DHCP host {mac} → {} is outside the subnet {}",
                        a.value,
                        gw.subnet()
                    ),
                    format!("use an address inside {}", gw.subnet()),
                );
            } else if dh
                .range
                .as_ref()
                .is_some_and(|r| in_range(&a.value, &r.value))
            {
                self.err(
                    &a.span,
                    format!(
                        "{who} DHCP host address {} is inside the dynamic range",
                        a.value
                    ),
                    "give static hosts addresses outside the range",
                );
            }
            self.claim_addr(a.value, format!("{who} DHCP host {mac}"), &a.span);
        }
    }

    fn jails(&mut self) {
        let cfg = self.cfg;
        let mut exposed: Vec<(&Expose, &Span, String)> = Vec::new();
        for j in cfg.jails.values() {
            let who = format!("jail '{}'", j.name);
            let mut names: BTreeMap<&str, ()> = BTreeMap::new();
            let mut has_known_addr = false;
            for nic in &j.nics {
                let nwho = format!("jail '{}' nic {}", j.name, nic.name);
                if names.insert(nic.name.as_str(), ()).is_some() {
                    self.err(
                        &nic.span,
                        format!("{who} has two nics named {}", nic.name),
                        "give each nic its own name (vnet0, vnet1, …)",
                    );
                }
                if let MacSpec::Fixed(m) = nic.mac.value {
                    self.claim_mac(m, nwho.clone(), &nic.mac.span);
                }
                has_known_addr |= nic
                    .ip4
                    .iter()
                    .chain(&nic.ip6)
                    .any(|s| matches!(s.value, AddrSpec::Static(_) | AddrSpec::Auto));
                if cfg.unreadable_switches.contains(&nic.switch.value) {
                    continue;
                }
                let Some(sw) = cfg.switches.get(&nic.switch.value) else {
                    let hint = unknown_switch_hint(cfg, &nic.switch.value);
                    self.err(
                        &nic.switch.span,
                        format!("{nwho} is on unknown switch '{}'", nic.switch.value),
                        hint,
                    );
                    continue;
                };
                for (specs, v4) in [(&nic.ip4, true), (&nic.ip6, false)] {
                    for s in specs {
                        self.nic_addr(&nwho, nic, sw, s, v4);
                    }
                }
            }
            let vnet = j.is_vnet();
            for (ip, key) in [(&j.ip4, "ip4"), (&j.ip6, "ip6")] {
                match ip {
                    SharedIp::Aliases(list) => {
                        for a in list {
                            has_known_addr = true;
                            self.claim_addr(
                                a.cidr.addr,
                                format!("{who} ({key} {})", a.value.ifname),
                                &a.span,
                            );
                        }
                    }
                    SharedIp::Inherit => has_known_addr = true,
                    SharedIp::None => {}
                }
            }
            for (r, key, v4) in [
                (&j.defaultrouter, "defaultrouter", true),
                (&j.defaultrouter6, "defaultrouter6", false),
            ] {
                let Router::Addr(a) = r else { continue };
                if !vnet {
                    self.err(&a.span, format!("{who} sets {key} but is a shared-IP jail, which uses the host's routes"), format!("remove {key}, or give the jail a [[nic]]"));
                    continue;
                }
                let reachable = j.nics.iter().any(|n| {
                    let sw = cfg.switches.get(&n.switch.value);
                    let statics = if v4 { &n.ip4 } else { &n.ip6 };
                    statics
                        .iter()
                        .any(|s| matches!(&s.value, AddrSpec::Static(c) if c.contains(&a.value)))
                        || sw
                            .and_then(|s| s.gateway(v4))
                            .is_some_and(|g| g.contains(&a.value))
                        || statics
                            .iter()
                            .any(|s| matches!(s.value, AddrSpec::Dhcp | AddrSpec::Slaac))
                });
                if !reachable {
                    self.err(&a.span, format!("{who} {key} {} is not on any of its nics' subnets", a.value), "use an address inside a nic's subnet, or \"auto\" for the switch's address");
                }
            }
            if j.nat {
                if cfg.host.uplink.is_none() {
                    self.err(
                        &j.span,
                        format!("{who} has nat = true but [host] has no uplink"),
                        "set [host] uplink = \"em0\"",
                    );
                }
                if vnet {
                    self.err(&j.span, format!("{who} has nat = true but is a VNET jail"), "set nat = true on its switch instead; jail-level nat is for shared-IP jails (the lo1 pattern)");
                }
            }
            if j.firewall && !vnet {
                self.err(
                    &j.span,
                    format!("{who} has firewall = true but is not a VNET jail"),
                    "pf inside a jail needs its own network stack: give it a [[nic]]",
                );
            }
            if !j.expose.is_empty() {
                if cfg.host.uplink.is_none() {
                    self.err(
                        &j.expose[0].span,
                        format!("{who} exposes ports but [host] has no uplink"),
                        "set [host] uplink = \"em0\" (the interface the ports are opened on)",
                    );
                }
                if !has_known_addr || matches!(j.ip4, SharedIp::Inherit) && !vnet {
                    self.err(&j.expose[0].span, format!("{who} exposes ports but has no static, auto or alias address to forward to"), "give the jail a static or \"auto\" address");
                }
            }
            for e in &j.expose {
                for (prev, pspan, pwho) in &exposed {
                    let same_addr = prev.host_addr.is_none()
                        || e.host_addr.is_none()
                        || prev.host_addr == e.host_addr;
                    if prev.proto == e.proto && prev.host_port == e.host_port && same_addr {
                        let port = format!("host port {}/{}", e.proto, e.host_port);
                        let (span, msg) = if *pwho == who {
                            (later(&e.span, pspan), format!("{who} exposes {port} twice"))
                        } else {
                            let ((lwho, lspan), (ewho, _)) =
                                later_first((&who, &e.span), (pwho, *pspan));
                            (
                                lspan,
                                format!("{lwho} exposes {port}, which {ewho} already exposes"),
                            )
                        };
                        let span = span.clone();
                        self.d.push(Diagnostic::new(span, msg).hint("each host port and protocol can forward to one jail; pick another host port"));
                    }
                }
                exposed.push((&e.value, &e.span, who.clone()));
            }
        }
    }

    fn nic_addr(&mut self, nwho: &str, nic: &Nic, sw: &Switch, s: &Spanned<AddrSpec>, v4: bool) {
        let fam = if v4 { "IPv4" } else { "IPv6" };
        let gw = sw.gateway(v4);
        match &s.value {
            AddrSpec::Static(c) => {
                if let Some(own) = sw.addresses.iter().find(|a| a.addr == c.addr) {
                    let role = if gw.is_some_and(|g| g.addr == own.addr) {
                        " (its jails' default router)"
                    } else {
                        ""
                    };
                    self.err(
                        &s.span,
                        format!(
                            "{nwho} address {} is the host's own address on switch '{}'{role}",
                            c.addr, sw.name
                        ),
                        "give the jail another address in the subnet, or \"auto\"",
                    );
                    return;
                }
                if let Some(g) = gw {
                    if !g.contains(&c.addr) {
                        self.err(
                            &s.span,
                            format!(
                                "{nwho} address {c} is outside switch '{}' subnet {}",
                                sw.name,
                                g.subnet()
                            ),
                            format!("use an address inside {}", g.subnet()),
                        );
                    } else if c.prefix != g.prefix {
                        self.err(
                            &s.span,
                            format!(
                                "{nwho} address {c} has prefix /{} but switch '{}' is /{}",
                                c.prefix, sw.name, g.prefix
                            ),
                            format!("write {}/{}", c.addr, g.prefix),
                        );
                    } else if c.addr == g.network() {
                        self.err(
                            &s.span,
                            format!(
                                "{nwho} address {} is the network address of {}",
                                c.addr,
                                g.subnet()
                            ),
                            "use a host address",
                        );
                    } else if g.broadcast() == Some(c.addr) {
                        self.err(
                            &s.span,
                            format!(
                                "{nwho} address {} is the broadcast address of {}",
                                c.addr,
                                g.subnet()
                            ),
                            "use a host address",
                        );
                    } else if let Some(r) = sw.dhcp.as_ref().and_then(|d| d.range.as_ref()) {
                        if in_range(&c.addr, &r.value) {
                            self.err(&s.span, format!("{nwho} address {} is inside switch '{}' DHCP range", c.addr, sw.name), "the DHCP server could lease it to another; use an address outside the range");
                        }
                    }
                }
                self.claim_addr(c.addr, nwho.to_string(), &s.span);
            }
            AddrSpec::Auto => {
                if gw.is_none() {
                    self.err(&s.span, format!("{nwho} asks for an auto {fam} address but switch '{}' has no {fam} address to allocate from", sw.name), format!("add an {fam} address to [switch.{}], or write a static address", sw.name));
                }
                if sw.kind == SwitchKind::Manual && gw.is_none() {
                    // reported above
                }
            }
            AddrSpec::Dhcp => {
                if nic.secure {
                    self.err(
                        &s.span,
                        format!(
                            "{nwho} is secure but uses DHCP; anti-spoofing needs a known address"
                        ),
                        "give a secure nic a static or \"auto\" address",
                    );
                }
                let served = (v4 && sw.dhcp.is_some())
                    || !sw.uplinks.is_empty()
                    || sw.kind == SwitchKind::Manual;
                if !served {
                    self.err(&s.span, format!("{nwho} uses DHCP but nothing serves DHCP on switch '{}'", sw.name), format!("add dhcp = {{ range = \"…\" }} to [switch.{}], or an uplink to a LAN with a DHCP server", sw.name));
                }
            }
            AddrSpec::Slaac => {
                if nic.secure {
                    self.err(
                        &s.span,
                        format!(
                            "{nwho} is secure but uses SLAAC; anti-spoofing needs a known address"
                        ),
                        "give a secure nic a static or \"auto\" address",
                    );
                }
                if gw.is_none() && sw.uplinks.is_empty() && sw.kind != SwitchKind::Manual {
                    self.err(
                        &s.span,
                        format!(
                            "{nwho} uses SLAAC but switch '{}' has no IPv6 prefix to advertise",
                            sw.name
                        ),
                        format!(
                            "add an IPv6 address such as \"fd00:1::1/64\" to [switch.{}]",
                            sw.name
                        ),
                    );
                }
            }
        }
    }

    fn vms(&mut self) {
        let cfg = self.cfg;
        for vm in cfg.vms.values() {
            if cfg.jails.contains_key(&vm.name) {
                self.err(
                    &vm.span,
                    format!("'{}' names both a jail and a vm", vm.name),
                    "give the vm another name",
                );
            }
            for (i, nic) in vm.nics.iter().enumerate() {
                let who = format!("vm '{}' nic #{}", vm.name, i + 1);
                if let MacSpec::Fixed(m) = nic.mac.value {
                    self.claim_mac(m, who.clone(), &nic.mac.span);
                }
                if nic.secure {
                    let known = match (&nic.mac.value, cfg.switches.get(&nic.switch.value)) {
                        (MacSpec::Fixed(m), Some(sw)) => {
                            sw.dhcp.as_ref().is_some_and(|d| d.hosts.contains_key(m))
                        }
                        _ => false,
                    };
                    if !known {
                        self.err(
                            &nic.span,
                            format!("{who} is secure but has no known address"),
                            "give it a fixed mac and map that mac to an address in its switch's dhcp hosts",
                        );
                    }
                }
                if !cfg.switches.contains_key(&nic.switch.value)
                    && !cfg.unreadable_switches.contains(&nic.switch.value)
                {
                    let hint = unknown_switch_hint(cfg, &nic.switch.value);
                    self.err(
                        &nic.switch.span,
                        format!("{who} is on unknown switch '{}'", nic.switch.value),
                        hint,
                    );
                }
            }
        }
    }
}

/// The hint for a reference to a switch that is not declared.
fn unknown_switch_hint(cfg: &Config, name: &str) -> String {
    let known: Vec<&str> = cfg.switches.keys().map(String::as_str).collect();
    match crate::doc::did_you_mean(name, &known) {
        Some(s) => format!("did you mean '{s}'?"),
        None if known.is_empty() => format!("declare it as [switch.{name}]"),
        None => format!("known switches: {}", known.join(", ")),
    }
}

/// Of two spans, the one that comes later in the file.
fn later<'s>(a: &'s Span, b: &'s Span) -> &'s Span {
    if a.start >= b.start {
        a
    } else {
        b
    }
}

/// Two (what, where) pairs ordered so that the one written later in the file comes first:
/// a conflict is reported where the second occurrence is, naming the first.
fn later_first<'a, T: ?Sized>(
    a: (&'a T, &'a Span),
    b: (&'a T, &'a Span),
) -> ((&'a T, &'a Span), (&'a T, &'a Span)) {
    if a.1.start >= b.1.start {
        (a, b)
    } else {
        (b, a)
    }
}

fn ip_ord(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u32::from(*v).into(),
        IpAddr::V6(v) => u128::from(*v),
    }
}

fn in_range(a: &IpAddr, r: &(IpAddr, IpAddr)) -> bool {
    a.is_ipv4() == r.0.is_ipv4() && ip_ord(&r.0) <= ip_ord(a) && ip_ord(a) <= ip_ord(&r.1)
}

/// Whether `a` is inside the DHCP range of `sw`.
pub fn in_dhcp_range(sw: &Switch, a: &IpAddr) -> bool {
    sw.dhcp
        .as_ref()
        .and_then(|d| d.range.as_ref())
        .is_some_and(|r| in_range(a, &r.value))
}
