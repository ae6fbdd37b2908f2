//! iocage / libioc property syntax (`ip4_addr="vnet0|10.1.1.10/24"`, `interfaces="vnet0:bridge0"`,
//! secure `vnet0::bridge0`, `resolver="nameserver x;search y"`, `nat_forwards="tcp(80)"`, …)
//! read into jailnet's own [`Jail`] model. Used by `import` and the CLI.

use crate::config::*;
use crate::names::{IfName, JailName};
use crate::net::Mac;
use crate::syntax;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A jail read from iocage properties, plus what could not be carried over.
#[derive(Clone, Debug, PartialEq)]
pub struct IocageJail {
    pub jail: Jail,
    /// Bridges the jail's NICs name (they become switches).
    pub bridges: Vec<IfName>,
    /// Human-readable notes on properties jailnet does not carry over.
    pub notes: Vec<String>,
}

/// A property that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}={value:?}: {message}")]
pub struct IocageError {
    pub key: String,
    pub value: String,
    pub message: String,
}

/// Parse `key=value` / `key="value"` / `key: value` lines (rc-style or `iocage get -a`
/// output). Blank lines and `#` comments are skipped.
pub fn parse_assignments(text: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let split = match (line.find('='), line.find(':')) {
            (Some(e), Some(c)) => e.min(c),
            (Some(e), None) => e,
            (None, Some(c)) => c,
            (None, None) => continue,
        };
        let (k, v) = line.split_at(split);
        let v = v[1..].trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        m.insert(k.trim().to_string(), v.to_string());
    }
    m
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "1" | "on" | "yes" | "true")
}

/// Read one jail's properties. `uplink` is where bare shared-IP addresses go (iocage uses
/// the default route's interface).
pub fn jail_from_props(
    name: &str,
    props: &BTreeMap<String, String>,
    uplink: Option<&IfName>,
) -> Result<IocageJail, Vec<IocageError>> {
    let mut errs = Vec::new();
    let mut notes = Vec::new();
    let e = |key: &str, value: &str, message: String| IocageError {
        key: key.to_string(),
        value: value.to_string(),
        message,
    };
    let jname = match JailName::new(name) {
        Ok(n) => n,
        Err(x) => return Err(vec![e("name", name, x.to_string())]),
    };
    let get = |k: &str| {
        props
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty() && *v != "none" && *v != "-")
    };
    let vnet =
        get("vnet").is_some_and(truthy) || get("interfaces").is_some_and(|v| v.contains("::"));

    // NICs from `interfaces`.
    let mut nics: Vec<Nic> = Vec::new();
    let mut bridges = Vec::new();
    if vnet {
        let spec = get("interfaces").unwrap_or("vnet0:bridge0");
        for pair in spec.split([',', ' ']).filter(|p| !p.is_empty()) {
            let (nic, bridge, secure) = match pair.split_once("::") {
                Some((n, b)) => (n, b, true),
                None => match pair.split_once(':') {
                    Some((n, b)) => (n, b, false),
                    None => {
                        errs.push(e(
                            "interfaces",
                            pair,
                            "expected NIC:BRIDGE (or NIC::BRIDGE for secure)".into(),
                        ));
                        continue;
                    }
                },
            };
            match (IfName::new(nic), IfName::new(bridge)) {
                (Ok(n), Ok(b)) => {
                    bridges.push(b.clone());
                    nics.push(Nic {
                        name: n,
                        span: 0..0,
                        switch: Spanned::new(b.to_string(), 0..0),
                        ip4: Vec::new(),
                        ip6: Vec::new(),
                        mac: Spanned::new(MacSpec::Auto, 0..0),
                        secure,
                    });
                }
                (Err(x), _) | (_, Err(x)) => errs.push(e("interfaces", pair, x.to_string())),
            }
        }
    }

    // Addresses.
    let mut ip4 = SharedIp::None;
    let mut ip6 = SharedIp::None;
    for (key, v4) in [("ip4_addr", true), ("ip6_addr", false)] {
        let Some(val) = get(key) else { continue };
        let mut aliases = Vec::new();
        for item in val.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if vnet {
                let (nic, addr) = item.split_once('|').unwrap_or(("vnet0", item));
                let spec = match syntax::parse_addr_spec(addr, v4, None) {
                    Ok(s) => s,
                    Err(x) => {
                        errs.push(e(key, item, x.message));
                        continue;
                    }
                };
                match nics.iter_mut().find(|n| n.name.as_str() == nic) {
                    Some(n) => {
                        let list = if v4 { &mut n.ip4 } else { &mut n.ip6 };
                        list.push(Spanned::new(spec, 0..0));
                    }
                    None => errs.push(e(key, item, format!("no interface {nic} in `interfaces`"))),
                }
            } else {
                match syntax::parse_alias(item, uplink) {
                    Ok(a) if a.cidr.is_v4() == v4 => aliases.push(Spanned::new(a, 0..0)),
                    Ok(_) => errs.push(e(key, item, "wrong address family".into())),
                    Err(x) => errs.push(e(key, item, x.message)),
                }
            }
        }
        if !vnet {
            let slot = if v4 { &mut ip4 } else { &mut ip6 };
            *slot = SharedIp::Aliases(aliases);
        }
    }
    for (key, slot) in [("ip4", &mut ip4), ("ip6", &mut ip6)] {
        if get(key) == Some("inherit") && !vnet {
            *slot = SharedIp::Inherit;
        }
    }
    if vnet && get("dhcp").is_some_and(truthy) {
        if let Some(n) = nics.first_mut() {
            if !n.ip4.iter().any(|s| s.value == AddrSpec::Dhcp) {
                n.ip4.push(Spanned::new(AddrSpec::Dhcp, 0..0));
            }
        }
    }

    // MACs: `vnet0_mac="HOSTSIDE JAILSIDE"`; jailnet's nic MAC is the jail side.
    for n in &mut nics {
        let key = format!("{}_mac", n.name);
        if let Some(v) = get(&key) {
            let parts: Vec<&str> = v.split([' ', ',']).filter(|p| !p.is_empty()).collect();
            match parts.last().map(|p| mac12(p)) {
                Some(Some(m)) => n.mac = Spanned::new(MacSpec::Fixed(m), 0..0),
                _ => errs.push(e(
                    &key,
                    v,
                    "expected two MACs (host side, jail side)".into(),
                )),
            }
        }
    }

    let router =
        |key: &str, v4: bool, errs: &mut Vec<IocageError>, notes: &mut Vec<String>| match props
            .get(key)
            .map(String::as_str)
        {
            None | Some("auto") | Some("") => Router::Auto,
            Some("none") => Router::None,
            Some(v) => {
                let (addr, scope) = v.split_once('%').map_or((v, None), |(a, s)| (a, Some(s)));
                if let Some(s) = scope {
                    notes.push(format!(
                        "{key}: the %{s} scope is dropped; jailnet routes via the jail's nic"
                    ));
                }
                match addr.parse::<IpAddr>() {
                    Ok(a) if a.is_ipv4() == v4 => Router::Addr(Spanned::new(a, 0..0)),
                    _ => {
                        errs.push(e(
                            key,
                            v,
                            "expected auto, none or an address of the right family".into(),
                        ));
                        Router::Auto
                    }
                }
            }
        };
    let defaultrouter = router("defaultrouter", true, &mut errs, &mut notes);
    let defaultrouter6 = router("defaultrouter6", false, &mut errs, &mut notes);

    let resolver = match props.get("resolver").map(String::as_str) {
        None | Some("/etc/resolv.conf") | Some("none") => Resolver::Inherit,
        Some("/dev/null") | Some("-") | Some("") => Resolver::None,
        Some(v)
            if v.contains(';')
                || v.starts_with("nameserver")
                || v.starts_with("search")
                || v.starts_with("domain") =>
        {
            Resolver::Lines(
                v.split(';')
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect(),
            )
        }
        Some(v) => {
            notes.push(format!(
                "resolver: the file {v} is not copied; the host's resolv.conf is used instead"
            ));
            Resolver::Inherit
        }
    };

    let mut expose = Vec::new();
    if let Some(v) = get("nat_forwards") {
        match parse_nat_forwards(v) {
            Ok(list) => expose.extend(list.into_iter().map(|x| Spanned::new(x, 0..0))),
            Err(m) => errs.push(e("nat_forwards", v, m)),
        }
    }
    let nat = get("nat").is_some_and(truthy);
    if nat && vnet {
        notes.push(
            "nat=1: set nat = true on the jail's switch instead (jailnet NATs per switch)".into(),
        );
    }
    for k in [
        "nat_prefix",
        "nat_interface",
        "nat_backend",
        "vnet_default_interface",
        "vnet_interfaces",
        "exec_fib",
        "mac_prefix",
    ] {
        if let Some(v) = get(k) {
            notes.push(format!("{k}={v} is not carried over"));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(IocageJail {
        jail: Jail {
            name: jname,
            span: 0..0,
            nics,
            ip4,
            ip6,
            resolver,
            defaultrouter,
            defaultrouter6,
            allow_raw_sockets: get("allow_raw_sockets").is_some_and(truthy),
            firewall: false,
            nat: nat && !vnet,
            expose,
        },
        bridges,
        notes,
    })
}

/// `tcp(80),udp(53:5353),tcp(8000-8010)`: proto(JAILPORT[:HOSTPORT]) or a range of ports
/// forwarded to themselves.
pub fn parse_nat_forwards(v: &str) -> Result<Vec<Expose>, String> {
    let mut out = Vec::new();
    for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (proto, rest) = item
            .split_once('(')
            .and_then(|(p, r)| Some((p, r.strip_suffix(')')?)))
            .ok_or_else(|| format!("'{item}' is not proto(port)"))?;
        let proto = match proto {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            p => return Err(format!("unknown protocol '{p}'")),
        };
        let port = |s: &str| -> Result<u16, String> {
            s.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("'{s}' is not a port"))
        };
        if let Some((a, b)) = rest.split_once('-') {
            let (a, b) = (port(a)?, port(b)?);
            if a > b || b - a >= 1024 {
                return Err(format!("range {a}-{b} is empty or longer than 1024 ports"));
            }
            out.extend((a..=b).map(|p| Expose {
                proto,
                host_addr: None,
                host_port: p,
                jail_port: p,
            }));
        } else {
            let (jail_port, host_port) = match rest.split_once(':') {
                Some((j, h)) => (port(j)?, port(h)?),
                None => (port(rest)?, port(rest)?),
            };
            out.push(Expose {
                proto,
                host_addr: None,
                host_port,
                jail_port,
            });
        }
    }
    Ok(out)
}

/// `aabbccddeeff` or `aa:bb:cc:dd:ee:ff`.
fn mac12(s: &str) -> Option<Mac> {
    if s.len() == 12 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        let pairs: Vec<String> = (0..6).map(|i| s[2 * i..2 * i + 2].to_string()).collect();
        pairs.join(":").parse().ok()
    } else {
        s.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(text: &str) -> BTreeMap<String, String> {
        parse_assignments(text)
    }

    #[test]
    fn vnet_jail_on_bridge0_with_static_addresses() {
        let p = props("vnet=on\ninterfaces=\"vnet0:bridge0\"\nip4_addr=\"vnet0|10.1.1.10/24\"\nip6_addr=\"vnet0|accept_rtadv\"\ndefaultrouter=\"10.1.1.1\"\nresolver=\"nameserver 10.1.1.1;search example.org\"\n");
        let j = jail_from_props("www", &p, None).unwrap();
        assert_eq!(j.bridges, vec![IfName::new("bridge0").unwrap()]);
        let n = &j.jail.nics[0];
        assert_eq!(n.name.as_str(), "vnet0");
        assert_eq!(
            n.ip4[0].value,
            AddrSpec::Static("10.1.1.10/24".parse().unwrap())
        );
        assert_eq!(n.ip6[0].value, AddrSpec::Slaac);
        assert!(!n.secure);
        assert!(
            matches!(&j.jail.defaultrouter, Router::Addr(a) if a.value.to_string() == "10.1.1.1")
        );
        assert_eq!(
            j.jail.resolver,
            Resolver::Lines(vec![
                "nameserver 10.1.1.1".into(),
                "search example.org".into()
            ])
        );
    }

    #[test]
    fn secure_vnet_double_colon() {
        let p = props("vnet=1\ninterfaces=vnet0::bridge0\nip4_addr=vnet0|172.16.0.2/24\n");
        let j = jail_from_props("sec", &p, None).unwrap();
        assert!(j.jail.nics[0].secure);
    }

    #[test]
    fn dhcp_forms() {
        let p = props("vnet=on\nip4_addr=\"vnet0|DHCP\"\n");
        let j = jail_from_props("d", &p, None).unwrap();
        assert_eq!(j.jail.nics[0].ip4[0].value, AddrSpec::Dhcp);
        let p = props("vnet=on\ndhcp=on\nbpf=on\n");
        let j = jail_from_props("d", &p, None).unwrap();
        assert_eq!(j.jail.nics[0].ip4[0].value, AddrSpec::Dhcp);
    }

    #[test]
    fn shared_ip_aliases_and_bare_addresses() {
        let em0 = IfName::new("em0").unwrap();
        let p =
            props("ip4_addr=\"em0|10.1.1.10/24,10.1.1.11/24\"\nip6_addr=\"em0|2001:db8::10/64\"\n");
        let j = jail_from_props("plain", &p, Some(&em0)).unwrap();
        let SharedIp::Aliases(a) = &j.jail.ip4 else {
            panic!()
        };
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].ifname.as_str(), "em0");
        assert!(matches!(&j.jail.ip6, SharedIp::Aliases(v) if v.len() == 1));
        let p = props("ip4=inherit\n");
        assert_eq!(
            jail_from_props("i", &p, None).unwrap().jail.ip4,
            SharedIp::Inherit
        );
    }

    #[test]
    fn nat_forwards_are_jailport_then_hostport() {
        let e = parse_nat_forwards("tcp(80),udp(53:5353),tcp(8000-8002)").unwrap();
        assert_eq!(e.len(), 5);
        assert_eq!((e[0].host_port, e[0].jail_port), (80, 80));
        assert_eq!(
            (e[1].proto, e[1].host_port, e[1].jail_port),
            (Proto::Udp, 5353, 53)
        );
        assert_eq!(e[4].host_port, 8002);
        assert!(parse_nat_forwards("icmp(1)").is_err());
        assert!(parse_nat_forwards("tcp(80").is_err());
    }

    #[test]
    fn macs_take_the_jail_side() {
        let p = props("vnet=on\nvnet0_mac=\"02ff60000001 02ff60000002\"\n");
        let j = jail_from_props("m", &p, None).unwrap();
        assert_eq!(
            j.jail.nics[0].mac.value,
            MacSpec::Fixed("02:ff:60:00:00:02".parse().unwrap())
        );
    }

    #[test]
    fn errors_name_the_property() {
        let p = props("vnet=on\nip4_addr=\"vnet1|10.1.1.10/24\"\n");
        let err = jail_from_props("x", &p, None).unwrap_err();
        assert_eq!(err[0].key, "ip4_addr");
        assert!(err[0].message.contains("vnet1"), "{}", err[0]);
    }
}
