//! dnsmasq's config for a [`Resource::DhcpServer`]: rendered the same way by both
//! backends (dnsmasq is the same program on FreeBSD and Linux), and read back so a
//! config edited on the host shows as drift. Text only; the backends do the I/O.

use crate::resource::Resource;
use jailnet_model::names::IfName;
use jailnet_model::net::{Cidr, Mac};
use std::net::{IpAddr, Ipv4Addr};

/// The first line of every config jailnet writes: its ownership mark.
pub fn header(ifname: &str) -> String {
    format!("# jailnet: DHCP server for the switch on {ifname}. jailnet rewrites this file.")
}

/// Whether config `text` is one jailnet wrote for the server on `ifname`: its mark as the
/// first line, and `interface=` naming that interface.
pub fn written_for(text: &str, ifname: &str) -> bool {
    text.lines().next() == Some(header(ifname).as_str())
        && text.lines().any(|l| l == format!("interface={ifname}"))
}

/// A server found by its config file only (a lost or older state file), standing in
/// with the placeholder switch `(leftover IFNAME)` so that the plan stops it and
/// removes its files.
pub fn leftover(ifname: IfName) -> Resource {
    Resource::DhcpServer {
        switch: format!("(leftover {ifname})"),
        ifname,
        gateway: None,
        range: None,
        hosts: Vec::new(),
        ra: Vec::new(),
    }
}

/// The config of server `r`, one setting a line in a fixed order. `loopback` is the
/// host's loopback interface (never served), `pid` and `leases` the daemon's files.
pub fn render(r: &Resource, loopback: &str, pid: &str, leases: &str) -> String {
    let Resource::DhcpServer {
        ifname,
        gateway,
        range,
        hosts,
        ra,
        ..
    } = r
    else {
        return String::new();
    };
    let mut lines = vec![
        header(ifname.as_str()),
        format!("interface={ifname}"),
        "bind-interfaces".into(),
        format!("except-interface={loopback}"),
        // No DNS: each jail's resolver is its own resource, and a DNS listener would
        // fight the host's resolver for port 53.
        "port=0".into(),
        format!("pid-file={pid}"),
        format!("dhcp-leasefile={leases}"),
    ];
    match (range, gateway) {
        (Some((a, z)), _) => lines.push(format!("dhcp-range={a},{z}")),
        // Static leases only: dnsmasq serves them in a `static` range of the subnet.
        (None, Some(gw)) if !hosts.is_empty() && gw.is_v4() => lines.push(format!(
            "dhcp-range={},static,{}",
            gw.network(),
            netmask(gw.prefix)
        )),
        _ => {}
    }
    for (mac, ip) in hosts {
        lines.push(match ip {
            IpAddr::V4(a) => format!("dhcp-host={mac},{a}"),
            IpAddr::V6(a) => format!("dhcp-host={mac},[{a}]"),
        });
    }
    if let Some(gw) = gateway {
        lines.push(format!("dhcp-option=option:router,{}", gw.addr));
    }
    if !ra.is_empty() {
        lines.push("enable-ra".into());
        for p in ra {
            lines.push(format!("dhcp-range={},ra-only,{}", p.network(), p.prefix));
        }
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The server a config jailnet wrote describes (other lines are ignored); names and
/// prefixes that render the same as `want` are taken from it. `None` when the text is
/// not jailnet's (no header) or a jailnet line does not read.
pub fn parse(text: &str, want: &Resource) -> Option<Resource> {
    let Resource::DhcpServer {
        switch,
        ifname: want_if,
        gateway: want_gw,
        ra: want_ra,
        ..
    } = want
    else {
        return None;
    };
    if !text.starts_with("# jailnet:") {
        return None;
    }
    let mut ifname = want_if.clone();
    let (mut gateway, mut range) = (None, None);
    let (mut hosts, mut ra) = (Vec::new(), Vec::new());
    for l in text.lines() {
        let Some((key, value)) = l.trim().split_once('=') else {
            continue;
        };
        let parts: Vec<&str> = value.split(',').collect();
        match (key, parts.as_slice()) {
            ("interface", [name]) => ifname = IfName::new(name).ok()?,
            ("dhcp-range", [a, z]) => {
                range = Some((a.parse::<Ipv4Addr>().ok()?, z.parse::<Ipv4Addr>().ok()?))
            }
            ("dhcp-range", [net, "ra-only", len]) => {
                let p = Cidr::new(net.parse().ok()?, len.parse().ok()?).ok()?;
                ra.push(
                    want_ra
                        .iter()
                        .copied()
                        .find(|w| w.subnet() == p)
                        .unwrap_or(p),
                );
            }
            ("dhcp-host", [mac, ip]) => {
                let ip = ip.trim_start_matches('[').trim_end_matches(']');
                hosts.push((mac.parse::<Mac>().ok()?, ip.parse::<IpAddr>().ok()?));
            }
            ("dhcp-option", ["option:router", gw]) => {
                let a: IpAddr = gw.parse().ok()?;
                gateway = Some(want_gw.filter(|g| g.addr == a).unwrap_or(Cidr {
                    addr: a,
                    prefix: 32,
                }));
            }
            _ => {}
        }
    }
    Some(Resource::DhcpServer {
        switch: switch.clone(),
        ifname,
        gateway,
        range,
        hosts,
        ra,
    })
}

/// The IPv4 netmask of a prefix length.
pub fn netmask(prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Resource {
        Resource::DhcpServer {
            switch: "pool".into(),
            ifname: IfName::new("pool").unwrap(),
            gateway: Some("10.88.3.1/24".parse().unwrap()),
            range: Some((
                "10.88.3.100".parse().unwrap(),
                "10.88.3.150".parse().unwrap(),
            )),
            hosts: vec![(
                "58:9c:fc:00:00:01".parse().unwrap(),
                "10.88.3.60".parse().unwrap(),
            )],
            ra: vec!["fd00:88:3::1/64".parse().unwrap()],
        }
    }

    #[test]
    fn renders_and_parses_back() {
        let r = server();
        let text = render(&r, "lo", "/run/p.pid", "/run/l.leases");
        assert!(text.starts_with("# jailnet: DHCP server for the switch on pool."));
        assert!(text.contains("\nexcept-interface=lo\nport=0\n"));
        assert!(text.contains("\ndhcp-range=fd00:88:3::,ra-only,64\n"));
        assert_eq!(parse(&text, &r), Some(r.clone()));
        assert_eq!(parse("interface=pool\n", &r), None, "not jailnet's");
        assert_eq!(netmask(24).to_string(), "255.255.255.0");
        assert_eq!(netmask(0).to_string(), "0.0.0.0");
    }
}
