//! Parsers for the small value languages inside config strings: expose specs, shared-IP
//! aliases (`IF|ADDR/LEN`), NIC address specs, routers. Shared by the TOML loader and the
//! iocage-syntax parser. Errors are a message plus a hint.

use crate::config::{AddrSpec, Alias, Expose, Proto};
use crate::names::IfName;
use crate::net::Cidr;
use std::net::IpAddr;

/// A parse problem in one value: what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub hint: String,
}

fn err(message: impl Into<String>, hint: impl Into<String>) -> SyntaxError {
    SyntaxError {
        message: message.into(),
        hint: hint.into(),
    }
}

/// `tcp/8080:80`, `udp/53`, `tcp/192.0.2.1:8080:80`, `tcp/[2001:db8::1]:443:8443`.
pub fn parse_expose(s: &str) -> Result<Expose, SyntaxError> {
    let hint = "write PROTO/[ADDR:]HOSTPORT[:JAILPORT], e.g. \"tcp/8080:80\", \"udp/53\" or \"tcp/192.0.2.1:443\"";
    let (proto, rest) = s
        .split_once('/')
        .ok_or_else(|| err(format!("expose '{s}' has no protocol"), hint))?;
    let proto = match proto.to_ascii_lowercase().as_str() {
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        other => {
            return Err(err(
                format!("expose '{s}': unknown protocol '{other}'"),
                "use tcp or udp",
            ))
        }
    };
    let (host_addr, ports) = if let Some(r) = rest.strip_prefix('[') {
        let (a, p) = r
            .split_once("]:")
            .ok_or_else(|| err(format!("expose '{s}': unterminated [IPv6 address]"), hint))?;
        let a: IpAddr = a
            .parse()
            .map_err(|_| err(format!("expose '{s}': '{a}' is not an address"), hint))?;
        (Some(a), p)
    } else {
        let parts: Vec<&str> = rest.split(':').collect();
        if parts.len() == 3 || parts.first().is_some_and(|p| p.contains('.')) {
            let a: IpAddr = parts[0].parse().map_err(|_| {
                err(
                    format!("expose '{s}': '{}' is not an IPv4 address", parts[0]),
                    hint,
                )
            })?;
            (Some(a), rest.split_once(':').map_or("", |(_, p)| p))
        } else {
            (None, rest)
        }
    };
    let mut it = ports.split(':');
    let host_port = port(s, it.next().unwrap_or(""))?;
    let jail_port = match it.next() {
        Some(p) => port(s, p)?,
        None => host_port,
    };
    if it.next().is_some() {
        return Err(err(format!("expose '{s}' has too many ':' parts"), hint));
    }
    Ok(Expose {
        proto,
        host_addr,
        host_port,
        jail_port,
    })
}

fn port(whole: &str, p: &str) -> Result<u16, SyntaxError> {
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err(err(
            format!("expose '{whole}': '{p}' is not a port (1-65535)"),
            "ports are numbers from 1 to 65535",
        )),
    }
}

/// A shared-IP alias: `IF|ADDR[/LEN]`, or a bare `ADDR[/LEN]` on `default_if`. A missing
/// length means a host route (/32 or /128), as jail(8) does.
pub fn parse_alias(s: &str, default_if: Option<&IfName>) -> Result<Alias, SyntaxError> {
    let (ifname, addr) = match s.split_once('|') {
        Some((i, a)) => (
            IfName::new(i).map_err(|e| {
                err(
                    format!("'{s}': invalid interface name '{i}': {e}"),
                    "write INTERFACE|ADDRESS/LEN, e.g. \"em0|192.0.2.10/24\"",
                )
            })?,
            a,
        ),
        None => (
            default_if.cloned().ok_or_else(|| {
                err(
                    format!("'{s}' names no interface and [host] has no uplink"),
                    "write INTERFACE|ADDRESS/LEN (e.g. \"em0|192.0.2.10/24\") or set [host] uplink",
                )
            })?,
            s,
        ),
    };
    let cidr = Cidr::parse_with_default(addr, Some(128)).map_err(|e| {
        err(
            format!("'{s}': {e}"),
            "write INTERFACE|ADDRESS/LEN, e.g. \"em0|192.0.2.10/24\"",
        )
    })?;
    Ok(Alias { ifname, cidr })
}

/// A NIC address: `dhcp`, `auto`, `slaac` (IPv6 only), or `ADDR[/LEN]` (a missing length
/// is the switch's, passed as `default_prefix`).
pub fn parse_addr_spec(
    s: &str,
    v4: bool,
    default_prefix: Option<u8>,
) -> Result<AddrSpec, SyntaxError> {
    let fam = if v4 { "ip4" } else { "ip6" };
    match s.to_ascii_lowercase().as_str() {
        "dhcp" | "syncdhcp" => return Ok(AddrSpec::Dhcp),
        "auto" => return Ok(AddrSpec::Auto),
        "slaac" | "accept_rtadv" | "autoconf" if !v4 => return Ok(AddrSpec::Slaac),
        "slaac" | "accept_rtadv" | "autoconf" => {
            return Err(err(
                format!("'{s}' is IPv6 autoconfiguration and cannot be used in ip4"),
                "move it to ip6, or use \"dhcp\" or \"auto\" for IPv4",
            ))
        }
        _ => {}
    }
    let hint = if v4 {
        "use \"dhcp\", \"auto\" or an address such as \"10.1.1.2/24\""
    } else {
        "use \"slaac\", \"dhcp\", \"auto\" or an address such as \"fd00:1::2/64\""
    };
    let cidr = Cidr::parse_with_default(s, default_prefix.or(Some(if v4 { 32 } else { 128 })))
        .map_err(|e| err(format!("{fam} '{s}': {e}"), hint))?;
    if cidr.is_v4() != v4 {
        return Err(err(
            format!(
                "{fam} '{s}' is an {} address",
                if v4 { "IPv6" } else { "IPv4" }
            ),
            format!("put it in {}", if v4 { "ip6" } else { "ip4" }),
        ));
    }
    Ok(AddrSpec::Static(cidr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_forms() {
        let e = parse_expose("tcp/8080:80").unwrap();
        assert_eq!(
            (e.proto, e.host_addr, e.host_port, e.jail_port),
            (Proto::Tcp, None, 8080, 80)
        );
        let e = parse_expose("udp/53").unwrap();
        assert_eq!((e.proto, e.host_port, e.jail_port), (Proto::Udp, 53, 53));
        let e = parse_expose("tcp/192.0.2.1:8080:80").unwrap();
        assert_eq!(e.host_addr, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(e.to_string(), "tcp/192.0.2.1:8080:80");
        let e = parse_expose("tcp/192.0.2.1:443").unwrap();
        assert_eq!((e.host_port, e.jail_port), (443, 443));
        let e = parse_expose("tcp/[2001:db8::1]:443:8443").unwrap();
        assert_eq!(e.to_string(), "tcp/[2001:db8::1]:443:8443");
        assert!(parse_expose("sctp/80").is_err());
        assert!(parse_expose("tcp/0").is_err());
        assert!(parse_expose("tcp/70000").is_err());
        assert!(parse_expose("80").is_err());
        assert!(parse_expose("tcp/1:2:3:4").is_err());
    }

    #[test]
    fn alias_forms() {
        let em0 = IfName::new("em0").unwrap();
        let a = parse_alias("lo1|172.31.255.17/32", None).unwrap();
        assert_eq!(
            (a.ifname.as_str(), a.cidr.to_string().as_str()),
            ("lo1", "172.31.255.17/32")
        );
        let a = parse_alias("192.0.2.3", Some(&em0)).unwrap();
        assert_eq!((a.ifname.as_str(), a.cidr.prefix), ("em0", 32));
        assert!(parse_alias("192.0.2.3", None).is_err());
        assert!(parse_alias("em0|nope", None).is_err());
        assert!(parse_alias("averyveryverylongname|192.0.2.3", None).is_err());
    }

    #[test]
    fn addr_specs() {
        assert_eq!(parse_addr_spec("DHCP", true, None), Ok(AddrSpec::Dhcp));
        assert_eq!(
            parse_addr_spec("accept_rtadv", false, None),
            Ok(AddrSpec::Slaac)
        );
        assert!(parse_addr_spec("slaac", true, None).is_err());
        assert!(parse_addr_spec("fd00::1/64", true, None).is_err());
        assert_eq!(
            parse_addr_spec("10.1.1.5", true, Some(24)),
            Ok(AddrSpec::Static("10.1.1.5/24".parse().unwrap()))
        );
    }
}
