//! pot → jailnet. Per pot, `conf/pot.conf`'s `network_type`:
//! - `inherit` → a shared-IP jail with `ip4 = "inherit"`;
//! - `alias` → shared-IP aliases (`[nic|]addr`, bare ones on POT_EXTIF);
//! - `public-bridge` → a NIC on switch `pot-public`: POT_GATEWAY on POT_NETWORK, NAT
//!   through POT_EXTIF (what `pot vnet-start` builds), `private` if POT_ISOLATE_VNET_POTS;
//! - `private-bridge` → a NIC on a switch named after `bridge`, addressed from
//!   `bridges/NAME` (`net=`, `gateway=`), NAT like the public one.
//!
//! `ip` becomes a static address (or `auto`), `pot.export.ports` become `expose`,
//! `pot.dns` the resolver. Global values come from the global `pot.conf` when given,
//! else from pot's defaults.

use super::{
    cidr_with, has_forward_target, jail_name, netmask_prefix, new_jail, new_nic, new_switch,
    other_keys_note, truthy, Annotated, ImportError,
};
use crate::config::*;
use crate::iocage::parse_assignments;
use crate::names::IfName;
use crate::net::Cidr;
use crate::syntax;

/// One pot as read from disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The pot's name (its directory under `jails/`).
    pub name: String,
    pub origin: String,
    /// `conf/pot.conf`.
    pub conf: String,
    /// `conf/resolv.conf`, for `pot.dns=custom`.
    pub resolv: Option<String>,
    /// `bridges/NAME` for a private-bridge pot's bridge, if found.
    pub bridge_conf: Option<String>,
}

/// The public bridge's switch name.
pub const PUBLIC: &str = "pot-public";

const READ: &[&str] = &[
    "network_type",
    "vnet",
    "ip",
    "ip4",
    "bridge",
    "pot.stack",
    "pot.export.ports",
    "pot.dns",
];
/// Networking settings with no jailnet equivalent, and pot's default for each.
const UNMAPPED: &[(&str, &str)] = &[
    ("pot.attr.localhost-tunnel", "NO"),
    ("pot.attr.no-rc-script", "NO"),
    ("devfs_ruleset", "4"),
    ("ip6", ""),
];
const GLOBAL_READ: &[&str] = &[
    "POT_NETWORK",
    "POT_NETMASK",
    "POT_GATEWAY",
    "POT_EXTIF",
    "POT_DNS_IP",
    "POT_ISOLATE_VNET_POTS",
];
const GLOBAL_UNMAPPED: &[&str] = &[
    "POT_EXTRA_EXTIF",
    "POT_EXTIF_ADDR",
    "POT_NETWORK_STACK",
    "POT_DNS_NAME",
    "POT_EXPORT_PORTS_PF_RULES_HOOK",
    "POT_VPN_EXTIF",
    "POT_VPN_NETWORKS",
];

/// Convert pots. `global` is the text of the global `pot.conf`.
pub fn import(
    sources: &[Source],
    global: Option<&str>,
    uplink: Option<&IfName>,
) -> Result<Annotated, Vec<ImportError>> {
    let mut doc = Annotated::default();
    let mut errs = Vec::new();
    doc.header
        .push("jailnet.toml converted from pot by `jailnet import pot`.".into());
    let g = global.map(parse_assignments).unwrap_or_default();
    if global.is_none() {
        doc.header
            .push("The global pot.conf was not given, so pot's defaults are assumed:".into());
        doc.header
            .push("POT_NETWORK=10.192.0.0/10, POT_GATEWAY=10.192.0.1, POT_EXTIF=em0.".into());
    }
    let gv = |k: &str, d: &str| {
        g.get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .unwrap_or(d)
            .to_string()
    };
    let extif = match uplink {
        Some(u) => u.clone(),
        None => match IfName::new(&gv("POT_EXTIF", "em0")) {
            Ok(n) => n,
            Err(e) => return Err(vec![ImportError::new("POT_EXTIF", e.to_string())]),
        },
    };
    doc.cfg.host.uplink = Some(extif.clone());
    for k in GLOBAL_UNMAPPED {
        if let Some(v) = g.get(*k).filter(|v| !v.is_empty()) {
            doc.not_carried("host", format!("{k}={v}"));
        }
    }
    let mut other: Vec<&str> = g
        .keys()
        .map(String::as_str)
        .filter(|k| {
            !GLOBAL_READ.contains(k)
                && !GLOBAL_UNMAPPED.contains(k)
                && !k.starts_with("POT_NETWORK_")
        })
        .collect();
    other.sort_unstable();
    for n in other_keys_note(&other, "global settings") {
        doc.not_carried("host", n);
    }
    for k in g.keys().filter(|k| k.starts_with("POT_NETWORK_")) {
        doc.not_carried("host", format!("{k}={} (extra NAT networks)", g[k]));
    }
    let network = gv("POT_NETWORK", "10.192.0.0/10");
    let net_prefix = network
        .split_once('/')
        .and_then(|(_, p)| p.parse::<u8>().ok())
        .or_else(|| netmask_prefix(&gv("POT_NETMASK", "255.192.0.0")))
        .unwrap_or(10);
    let gateway = gv("POT_GATEWAY", "10.192.0.1");
    let isolate = truthy(&gv("POT_ISOLATE_VNET_POTS", "false"));
    let dns_ip = g.get("POT_DNS_IP").cloned();

    for src in sources {
        let (name, renamed) = match jail_name(&src.name) {
            Ok(x) => x,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        let table = format!("jail.{}", crate::export::key(name.as_str()));
        let p = parse_assignments(&src.conf);
        let get = |k: &str| p.get(k).map(String::as_str).filter(|v| !v.is_empty());
        doc.comment(&table, format!("from {}", src.origin));
        if let Some(n) = renamed {
            doc.comment(&table, n);
        }
        let mut j = new_jail(name.clone());
        let ntype = get("network_type").unwrap_or(match get("ip4") {
            Some("inherit") | None => "inherit",
            Some(_) => "alias",
        });
        let ip = get("ip").or_else(|| get("ip4").filter(|v| *v != "inherit"));
        let e = |m: String| ImportError::new(src.origin.clone(), m);
        match ntype {
            "inherit" => {
                j.ip4 = SharedIp::Inherit;
                j.ip6 = SharedIp::Inherit;
            }
            "alias" => {
                let mut a4 = Vec::new();
                let mut a6 = Vec::new();
                for item in ip.unwrap_or("").split_whitespace() {
                    match syntax::parse_alias(item, Some(&extif)) {
                        Ok(a) if a.cidr.is_v4() => a4.push(Spanned::new(a, 0..0)),
                        Ok(a) => a6.push(Spanned::new(a, 0..0)),
                        Err(x) => errs.push(e(format!("ip: {}", x.message))),
                    }
                }
                if !a4.is_empty() {
                    j.ip4 = SharedIp::Aliases(a4);
                }
                if !a6.is_empty() {
                    j.ip6 = SharedIp::Aliases(a6);
                }
            }
            "public-bridge" | "private-bridge" => {
                let (swname, gw, comment) = if ntype == "public-bridge" {
                    let gw = cidr_with(&format!("{gateway}/{net_prefix}"), None);
                    (
                        PUBLIC.to_string(),
                        gw,
                        format!("pot's public bridge: POT_GATEWAY {gateway} on POT_NETWORK {network}, NAT through {extif}"),
                    )
                } else {
                    let b = get("bridge").unwrap_or("private");
                    let bp = src.bridge_conf.as_deref().map(parse_assignments);
                    let gw = bp.as_ref().and_then(|bp| {
                        let plen = bp
                            .get("net")
                            .and_then(|n| n.split_once('/'))
                            .and_then(|(_, l)| l.parse::<u8>().ok())?;
                        cidr_with(&format!("{}/{plen}", bp.get("gateway")?), None)
                    });
                    let c = match &bp {
                        Some(_) => format!("pot private bridge {b} (bridges/{b}), NAT through {extif}"),
                        None => format!("pot private bridge {b}: bridges/{b} was not found, so its address is unknown"),
                    };
                    (b.to_string(), gw, c)
                };
                let Ok(swif) = IfName::new(&swname) else {
                    errs.push(e(format!(
                        "bridge name '{swname}' is not a valid interface name"
                    )));
                    continue;
                };
                let sw = doc.cfg.switches.entry(swname.clone()).or_insert_with(|| {
                    let mut sw = new_switch(&swif, SwitchKind::Bridge);
                    if let Some(gw) = gw {
                        sw.addresses.push(Spanned::new(gw, 0..0));
                        sw.nat = true;
                    }
                    sw.private = isolate;
                    sw
                });
                let prefix = sw.gateway(true).map(|c| c.prefix);
                doc.comments
                    .entry(format!("switch.{}", crate::export::key(&swname)))
                    .or_insert_with(|| vec![comment]);
                let Ok(vnet0) = IfName::new("vnet0") else {
                    continue;
                };
                let mut nic = new_nic(vnet0, &swname);
                match ip {
                    Some("auto") | None => nic.ip4.push(Spanned::new(AddrSpec::Auto, 0..0)),
                    Some(a) => match cidr_with(a, prefix.or(Some(32))) {
                        Some(c) if c.is_v4() => {
                            nic.ip4.push(Spanned::new(AddrSpec::Static(c), 0..0))
                        }
                        _ => errs.push(e(format!("ip: '{a}' is not an IPv4 address"))),
                    },
                }
                if nic.ip4.iter().any(|s| s.value == AddrSpec::Auto) && prefix.is_none() {
                    nic.ip4.clear();
                    doc.not_carried(
                        &table,
                        "ip: pot allocates from the bridge's network, which is unknown here",
                    );
                }
                j.nics.push(nic);
                doc.comment(&table, "the jail's interface is vnet0 (pot's epair0b lines in the pot's rc.conf are no longer needed)");
                match get("pot.stack") {
                    Some("ipv6") | Some("dual") => doc.not_carried(
                        &table,
                        format!(
                            "pot.stack={}: IPv6 through pot's ipv6 bridge (SLAAC from the LAN)",
                            get("pot.stack").unwrap_or("")
                        ),
                    ),
                    _ => {}
                }
            }
            other => {
                errs.push(e(format!("unknown network_type '{other}'")));
                continue;
            }
        }
        // DNS.
        match get("pot.dns") {
            None | Some("inherit") => j.resolver = Resolver::Inherit,
            Some("pot") => match &dns_ip {
                Some(ip) => j.resolver = Resolver::Lines(vec![format!("nameserver {ip}")]),
                None => doc.not_carried(&table, "pot.dns=pot: POT_DNS_IP is not known"),
            },
            Some("custom") => match &src.resolv {
                Some(r) => {
                    j.resolver = Resolver::Lines(
                        r.lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty() && !l.starts_with('#'))
                            .map(String::from)
                            .collect(),
                    )
                }
                None => doc.not_carried(&table, "pot.dns=custom: conf/resolv.conf was not found"),
            },
            Some(v) => doc.not_carried(&table, format!("pot.dns={v}")),
        }
        // Exported ports.
        if let Some(ports) = get("pot.export.ports") {
            let mut list = Vec::new();
            for item in ports.split_whitespace() {
                match export_port(item) {
                    Some((x, dynamic)) => {
                        if dynamic {
                            doc.not_carried(&table, format!("pot.export.ports {item}: pot picks a free host port at start; jailnet exposes the same port number"));
                        }
                        list.push(Spanned::new(x, 0..0));
                    }
                    None => errs.push(e(format!(
                        "pot.export.ports: '{item}' is not [tcp:|udp:]PORT[:HOSTPORT]"
                    ))),
                }
            }
            if has_forward_target(&j) {
                j.expose = list;
            } else if !list.is_empty() {
                let l: Vec<String> = list.iter().map(|x| x.value.to_string()).collect();
                doc.not_carried(
                    &table,
                    format!(
                        "pot.export.ports {}: the pot has no address of its own to forward to",
                        l.join(" ")
                    ),
                );
            }
        }
        for (k, default) in UNMAPPED {
            if let Some(v) = get(k).filter(|v| !v.eq_ignore_ascii_case(default)) {
                doc.not_carried(&table, format!("{k}={v}"));
            }
        }
        let mut other: Vec<&str> = p
            .keys()
            .map(String::as_str)
            .filter(|k| !READ.contains(k) && !UNMAPPED.iter().any(|(u, _)| u == k))
            .collect();
        other.sort_unstable();
        for n in other_keys_note(&other, "settings") {
            doc.not_carried(&table, n);
        }
        doc.cfg.jails.insert(name, j);
    }
    narrow_public(&mut doc);
    if errs.is_empty() {
        Ok(doc)
    } else {
        Err(errs)
    }
}

/// pot carves private bridges out of POT_NETWORK, which the public bridge spans whole;
/// jailnet's switches may not overlap, so the public switch gets the widest prefix that
/// still holds its pots and no private bridge (its pots' prefixes follow).
fn narrow_public(doc: &mut Annotated) {
    let Some(gw) = doc
        .cfg
        .switches
        .get(PUBLIC)
        .and_then(|s| s.gateway(true))
        .copied()
    else {
        return;
    };
    let others: Vec<Cidr> = doc
        .cfg
        .switches
        .values()
        .filter(|s| s.name != PUBLIC)
        .flat_map(|s| s.addresses.iter().map(|a| a.value.subnet()))
        .collect();
    if !others.iter().any(|o| o.overlaps(&gw)) {
        return;
    }
    let members: Vec<std::net::IpAddr> = doc
        .cfg
        .jails
        .values()
        .flat_map(|j| &j.nics)
        .filter(|n| n.switch.value == PUBLIC)
        .flat_map(|n| &n.ip4)
        .filter_map(|s| match &s.value {
            AddrSpec::Static(c) => Some(c.addr),
            _ => None,
        })
        .collect();
    let Some(p) = (gw.prefix..=30).find(|p| {
        Cidr::new(gw.addr, *p).is_ok_and(|c| {
            !others.iter().any(|o| o.overlaps(&c)) && members.iter().all(|m| c.subnet().contains(m))
        })
    }) else {
        return;
    };
    let Ok(new) = Cidr::new(gw.addr, p) else {
        return;
    };
    if let Some(sw) = doc.cfg.switches.get_mut(PUBLIC) {
        sw.addresses = vec![Spanned::new(new, 0..0)];
    }
    for j in doc.cfg.jails.values_mut() {
        for n in j.nics.iter_mut().filter(|n| n.switch.value == PUBLIC) {
            for s in &mut n.ip4 {
                if let AddrSpec::Static(c) = &mut s.value {
                    c.prefix = p;
                }
            }
        }
    }
    doc.comment(
        &format!("switch.{PUBLIC}"),
        format!("narrowed from /{} to /{p}: jailnet switches may not overlap, and pot's private bridges lie inside POT_NETWORK", gw.prefix),
    );
}

/// `[tcp:|udp:]potport[:hostport]` → an expose, and whether the host port was chosen by
/// pot at start (none given).
fn export_port(item: &str) -> Option<(Expose, bool)> {
    let (proto, rest) = match item.split_once(':') {
        Some(("tcp", r)) => (Proto::Tcp, r),
        Some(("udp", r)) => (Proto::Udp, r),
        _ => (Proto::Tcp, item),
    };
    let port = |s: &str| s.parse::<u16>().ok().filter(|p| *p > 0);
    let (jail_port, host_port, dynamic) = match rest.split_once(':') {
        Some((j, h)) => (port(j)?, port(h)?, false),
        None => (port(rest)?, port(rest)?, true),
    };
    Some((
        Expose {
            proto,
            host_addr: None,
            host_port,
            jail_port,
        },
        dynamic,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_ports() {
        let (e, d) = export_port("80:8080").unwrap();
        assert_eq!((e.jail_port, e.host_port, d), (80, 8080, false));
        let (e, d) = export_port("udp:53").unwrap();
        assert_eq!((e.proto, e.host_port, d), (Proto::Udp, 53, true));
        assert!(export_port("tcp:x").is_none());
    }
}
