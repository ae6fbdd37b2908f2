//! `ifconfig -a` / `ifconfig IF` status text ⇄ typed [`IfStatus`] blocks.
//!
//! [`parse`] reads the blocks (first line `NAME: flags=HEX<…> metric M mtu N`, then one
//! tab-indented line per detail); [`IfStatus::emit`] writes them back byte for byte for the
//! line kinds it knows, so round-trip tests pin the parser to real FreeBSD output. Lines it
//! does not model are kept verbatim as [`Line::Other`].

use crate::error::Error;
use jailnet_model::net::Mac;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One interface's status block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfStatus {
    pub name: String,
    pub flags: u32,
    pub flag_names: Vec<String>,
    pub metric: u32,
    pub mtu: u32,
    pub lines: Vec<Line>,
}

/// One detail line of a status block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// `description: TEXT`
    Description(String),
    /// `ether MAC`
    Ether(Mac),
    /// `inet A netmask 0xMASK[ broadcast B][ …]`
    Inet {
        addr: Ipv4Addr,
        prefix: u8,
        broadcast: Option<Ipv4Addr>,
        tail: String,
    },
    /// `inet6 A[%IF] prefixlen N[ …]`
    Inet6 {
        addr: Ipv6Addr,
        zone: Option<String>,
        prefix: u8,
        tail: String,
    },
    /// `member: IF flags=HEX<…>` (if_bridge)
    Member {
        name: String,
        flags: u32,
        flag_names: Vec<String>,
    },
    /// `groups: G1 G2 …`
    Groups(Vec<String>),
    /// `vxlan vni N local A:P (group|remote) A:P`
    Vxlan {
        vni: u32,
        local: String,
        peer: Option<(VxlanPeer, String)>,
    },
    /// `vlan: TAG vlanpcp: P parent interface: IF`
    Vlan { tag: u16, pcp: u8, parent: String },
    /// Anything else, verbatim without the leading tab.
    Other(String),
}

/// How a vxlan interface reaches its peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VxlanPeer {
    Group,
    Remote,
}

impl IfStatus {
    pub fn description(&self) -> Option<&str> {
        self.lines.iter().find_map(|l| match l {
            Line::Description(d) => Some(d.as_str()),
            _ => None,
        })
    }

    pub fn ether(&self) -> Option<Mac> {
        self.lines.iter().find_map(|l| match l {
            Line::Ether(m) => Some(*m),
            _ => None,
        })
    }

    pub fn groups(&self) -> &[String] {
        self.lines
            .iter()
            .find_map(|l| match l {
                Line::Groups(g) => Some(g.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }

    pub fn in_group(&self, g: &str) -> bool {
        self.groups().iter().any(|x| x == g)
    }

    /// IPv4 addresses with prefix length, in the order shown.
    pub fn inet(&self) -> Vec<(Ipv4Addr, u8)> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                Line::Inet { addr, prefix, .. } => Some((*addr, *prefix)),
                _ => None,
            })
            .collect()
    }

    /// IPv6 addresses with prefix length, link-local (zoned) ones left out.
    pub fn inet6_global(&self) -> Vec<(Ipv6Addr, u8)> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                Line::Inet6 {
                    addr,
                    zone: None,
                    prefix,
                    ..
                } if addr.segments()[0] & 0xffc0 != 0xfe80 => Some((*addr, *prefix)),
                _ => None,
            })
            .collect()
    }

    /// Bridge members with their flag names (empty for non-bridges).
    pub fn members(&self) -> Vec<(&str, &[String])> {
        self.lines
            .iter()
            .filter_map(|l| match l {
                Line::Member {
                    name, flag_names, ..
                } => Some((name.as_str(), flag_names.as_slice())),
                _ => None,
            })
            .collect()
    }

    /// Whether the block carries the if_bridge parameter lines.
    pub fn is_bridge(&self) -> bool {
        self.in_group("bridge")
            || self
                .lines
                .iter()
                .any(|l| matches!(l, Line::Other(o) if o.starts_with("root id ")))
    }

    pub fn vxlan(&self) -> Option<(u32, Option<(VxlanPeer, String)>)> {
        self.lines.iter().find_map(|l| match l {
            Line::Vxlan { vni, peer, .. } => Some((*vni, peer.clone())),
            _ => None,
        })
    }

    pub fn vlan(&self) -> Option<(u16, &str)> {
        self.lines.iter().find_map(|l| match l {
            Line::Vlan { tag, parent, .. } => Some((*tag, parent.as_str())),
            _ => None,
        })
    }

    /// The status text again, as ifconfig prints it.
    pub fn emit(&self) -> String {
        let mut s = format!(
            "{}: flags={:x}<{}> metric {} mtu {}\n",
            self.name,
            self.flags,
            self.flag_names.join(","),
            self.metric,
            self.mtu
        );
        for l in &self.lines {
            s.push('\t');
            s.push_str(&l.emit());
            s.push('\n');
        }
        s
    }
}

impl Line {
    fn parse(text: &str) -> Line {
        parse_line(text).unwrap_or_else(|| Line::Other(text.to_string()))
    }

    pub fn emit(&self) -> String {
        match self {
            Line::Description(d) => format!("description: {d}"),
            Line::Ether(m) => format!("ether {m}"),
            Line::Inet {
                addr,
                prefix,
                broadcast,
                tail,
            } => {
                let mut s = format!("inet {addr} netmask 0x{:08x}", mask4(*prefix));
                if let Some(b) = broadcast {
                    let _ = write!(s, " broadcast {b}");
                }
                s + tail
            }
            Line::Inet6 {
                addr,
                zone,
                prefix,
                tail,
            } => {
                let z = zone.as_ref().map(|z| format!("%{z}")).unwrap_or_default();
                format!("inet6 {addr}{z} prefixlen {prefix}{tail}")
            }
            Line::Member {
                name,
                flags,
                flag_names,
            } => {
                format!("member: {name} flags={flags:x}<{}>", flag_names.join(","))
            }
            Line::Groups(g) => format!("groups: {}", g.join(" ")),
            Line::Vxlan { vni, local, peer } => {
                let mut s = format!("vxlan vni {vni} local {local}");
                if let Some((kind, a)) = peer {
                    let w = match kind {
                        VxlanPeer::Group => "group",
                        VxlanPeer::Remote => "remote",
                    };
                    let _ = write!(s, " {w} {a}");
                }
                s
            }
            Line::Vlan { tag, pcp, parent } => {
                format!("vlan: {tag} vlanpcp: {pcp} parent interface: {parent}")
            }
            Line::Other(o) => o.clone(),
        }
    }
}

/// Parses `ifconfig -a` output into one block per interface.
pub fn parse(text: &str) -> Result<Vec<IfStatus>, Error> {
    let mut out: Vec<IfStatus> = Vec::new();
    for raw in text.lines() {
        // `lines` drops one `\r` before a `\n`, none at the end of the text: drop them all,
        // or a block would not read back the same after `emit` (found by fuzzing).
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        if raw.starts_with('\t') || raw.starts_with(' ') {
            let cur = out.last_mut().ok_or_else(|| {
                Error::parse(
                    "ifconfig output",
                    format!("detail before any interface: {raw:?}"),
                )
            })?;
            let text = raw.strip_prefix('\t').unwrap_or_else(|| raw.trim_start());
            cur.lines.push(Line::parse(text));
        } else {
            out.push(parse_head(raw)?);
        }
    }
    Ok(out)
}

/// `NAME: flags=8843<UP,…> metric 0 mtu 1500`
fn parse_head(line: &str) -> Result<IfStatus, Error> {
    let bad = || Error::parse("ifconfig status line", line.to_string());
    let (name, rest) = line.split_once(": flags=").ok_or_else(bad)?;
    let (flags, flag_names, rest) = parse_bits(rest).ok_or_else(bad)?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let mut metric = 0;
    let mut mtu = 0;
    for pair in words.chunks(2) {
        match pair {
            ["metric", v] => metric = v.parse().map_err(|_| bad())?,
            ["mtu", v] => mtu = v.parse().map_err(|_| bad())?,
            _ => {}
        }
    }
    Ok(IfStatus {
        name: name.to_string(),
        flags,
        flag_names,
        metric,
        mtu,
        lines: Vec::new(),
    })
}

/// `HEX<A,B> rest` → (value, names, rest).
fn parse_bits(s: &str) -> Option<(u32, Vec<String>, &str)> {
    let (hex, rest) = s.split_once('<')?;
    let (names, rest) = rest.split_once('>')?;
    let v = u32::from_str_radix(hex, 16).ok()?;
    let names = names
        .split(',')
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    Some((v, names, rest))
}

fn parse_line(text: &str) -> Option<Line> {
    if let Some(d) = text.strip_prefix("description: ") {
        return Some(Line::Description(d.to_string()));
    }
    if let Some(m) = text.strip_prefix("ether ") {
        return m.parse().ok().map(Line::Ether);
    }
    if let Some(rest) = text.strip_prefix("inet ") {
        return parse_inet(rest);
    }
    if let Some(rest) = text.strip_prefix("inet6 ") {
        return parse_inet6(rest);
    }
    if let Some(rest) = text.strip_prefix("member: ") {
        let (name, flags) = rest.split_once(" flags=")?;
        let (v, names, tail) = parse_bits(flags)?;
        if !tail.is_empty() {
            return None;
        }
        return Some(Line::Member {
            name: name.to_string(),
            flags: v,
            flag_names: names,
        });
    }
    if let Some(g) = text.strip_prefix("groups: ") {
        return Some(Line::Groups(g.split(' ').map(str::to_string).collect()));
    }
    if let Some(rest) = text.strip_prefix("vxlan vni ") {
        let w: Vec<&str> = rest.split(' ').collect();
        let vni = w.first()?.parse().ok()?;
        let peer = match w.as_slice() {
            [_, "local", _] => None,
            [_, "local", _, "group", a] => Some((VxlanPeer::Group, a.to_string())),
            [_, "local", _, "remote", a] => Some((VxlanPeer::Remote, a.to_string())),
            _ => return None,
        };
        return Some(Line::Vxlan {
            vni,
            local: w.get(2)?.to_string(),
            peer,
        });
    }
    if let Some(rest) = text.strip_prefix("vlan: ") {
        let w: Vec<&str> = rest.split(' ').collect();
        if let [tag, "vlanpcp:", pcp, "parent", "interface:", parent] = w.as_slice() {
            return Some(Line::Vlan {
                tag: tag.parse().ok()?,
                pcp: pcp.parse().ok()?,
                parent: parent.to_string(),
            });
        }
        return None;
    }
    None
}

/// `A netmask 0xffffff00[ broadcast B][tail]`
fn parse_inet(rest: &str) -> Option<Line> {
    let mut w = rest.splitn(4, ' ');
    let addr: Ipv4Addr = w.next()?.parse().ok()?;
    if w.next()? != "netmask" {
        return None;
    }
    let mask = u32::from_str_radix(w.next()?.strip_prefix("0x")?, 16).ok()?;
    if mask.leading_ones() + mask.trailing_zeros() != 32 && mask != 0 {
        return None;
    }
    let prefix = u8::try_from(mask.leading_ones()).ok()?;
    let more = w.next().unwrap_or("");
    let (broadcast, tail) = match more.strip_prefix("broadcast ") {
        Some(b) => {
            let (b, t) = b.split_once(' ').map_or((b, ""), |(b, t)| (b, t));
            (
                Some(b.parse().ok()?),
                if t.is_empty() {
                    String::new()
                } else {
                    format!(" {t}")
                },
            )
        }
        None if more.is_empty() => (None, String::new()),
        None => (None, format!(" {more}")),
    };
    Some(Line::Inet {
        addr,
        prefix,
        broadcast,
        tail,
    })
}

/// `A[%IF] prefixlen N[tail]`
fn parse_inet6(rest: &str) -> Option<Line> {
    let mut w = rest.splitn(4, ' ');
    let a = w.next()?;
    let (addr, zone) = match a.split_once('%') {
        Some((x, z)) => (x, Some(z.to_string())),
        None => (a, None),
    };
    let addr: Ipv6Addr = addr.parse().ok()?;
    if w.next()? != "prefixlen" {
        return None;
    }
    let prefix: u8 = w.next()?.parse().ok()?;
    let tail = w.next().map(|t| format!(" {t}")).unwrap_or_default();
    Some(Line::Inet6 {
        addr,
        zone,
        prefix,
        tail,
    })
}

fn mask4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fuzz/regressions/ifconfig/crash-94a7… and crash-22bd…: a last line ending in a bare
    /// `\r`, or a line ending in `\r\r\n`, read back differently after `emit`.
    #[test]
    fn trailing_carriage_returns_read_back_the_same() {
        for text in [
            "em0: flags=8843<UP> metric 0 mtu 1500\n\tstatus: active\r",
            "em0: flags=8843<UP> metric 0 mtu 1500\r\r\n\tstatus: active\r\r\r\n",
        ] {
            let once = parse(text).unwrap();
            assert_eq!(once[0].mtu, 1500);
            assert_eq!(once[0].lines, [Line::Other("status: active".into())]);
            let emitted: String = once.iter().map(IfStatus::emit).collect();
            assert_eq!(parse(&emitted).unwrap(), once);
        }
    }

    /// seeds/004: `ifconfig bridge0` on a pot host (the article wraps lines and indents with
    /// spaces; this is the text as ifconfig prints it).
    const BRIDGE0: &str =
        "bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tether 02:0e:35:b7:6d:00
\tinet 10.192.0.1 netmask 0xffc00000 broadcast 10.255.255.255
\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15
\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200
\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0
\tmember: epair1a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 7 priority 128 path cost 2000
\tmember: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>
\t        ifmaxaddr 0 port 6 priority 128 path cost 2000
\tgroups: bridge
\tnd6 options=1<PERFORMNUD>
";

    /// seeds/004: the b end inside a pot jail.
    const EPAIR0B: &str =
        "epair0b: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\toptions=8<VLAN_MTU>
\tether 02:f5:dd:bc:cd:0b
\tinet 10.192.0.3 netmask 0xffc00000 broadcast 10.255.255.255
\tgroups: epair
\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)
\tstatus: active
\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>
";

    /// seeds/004: iocage's renamed host end (description, hwaddr, link-local).
    const VNET0_29: &str =
        "vnet0.29: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500
\tdescription: associated with jail: vnetcage as nic: epair0b
\toptions=8<VLAN_MTU>
\tether f4:4d:30:13:1e:5c
\thwaddr 02:82:25:a0:cf:0a
\tinet6 fe80::f64d:30ff:fe13:1e5c%vnet0.29 prefixlen 64 scopeid 0x4
\tgroups: epair
\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)
\tstatus: active
\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>
";

    /// seeds/004: a multicast vxlan with two addresses (the article's `0xfffff00` typo fixed).
    const VXLAN111: &str =
        "vxlan111: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1450
\toptions=80000<LINKSTATE>
\tether 58:9c:fc:10:ff:fe
\tinet 10.0.111.20 netmask 0xffffff00 broadcast 10.0.111.255
\tinet 10.0.111.21 netmask 0xffffffff broadcast 10.0.111.21
\tgroups: vxlan
\tvxlan vni 111 local 192.168.0.20:4789 group 239.0.0.111:4789
\tmedia: Ethernet autoselect (autoselect <full-duplex>)
\tstatus: active
\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>
";

    /// seeds/004: a vlan alias interface, and lo1 with a /32.
    const VLAN_AND_LO1: &str =
        "em0.101: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500
\toptions=3<RXCSUM,TXCSUM>
\tether f4:4d:30:aa:bb:cc
\tinet 10.1.1.2 netmask 0xffffffff broadcast 10.1.1.2
\tgroups: vlan
\tvlan: 101 vlanpcp: 0 parent interface: em0
\tmedia: Ethernet autoselect (100baseTX <full-duplex>)
\tstatus: active
lo1: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384
\toptions=680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>
\tinet 172.31.255.17 netmask 0xffffffff
\tgroups: lo
\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>
";

    fn round_trip(text: &str) -> Vec<IfStatus> {
        let blocks = parse(text).unwrap();
        let again: String = blocks.iter().map(IfStatus::emit).collect();
        assert_eq!(again, text);
        blocks
    }

    #[test]
    fn bridge_block_round_trips_with_members() {
        let b = round_trip(BRIDGE0);
        assert_eq!(b.len(), 1);
        let b = &b[0];
        assert_eq!((b.name.as_str(), b.mtu, b.flags), ("bridge0", 1500, 0x8843));
        assert!(b.is_bridge());
        assert_eq!(b.inet(), vec![("10.192.0.1".parse().unwrap(), 10)]);
        let m: Vec<&str> = b.members().iter().map(|m| m.0).collect();
        assert_eq!(m, ["epair1a", "epair0a"]);
        assert!(!b.members()[0].1.iter().any(|f| f == "PRIVATE"));
    }

    #[test]
    fn epair_ends_round_trip() {
        let e = &round_trip(EPAIR0B)[0];
        assert_eq!(
            e.ether().map(|m| m.to_string()).as_deref(),
            Some("02:f5:dd:bc:cd:0b")
        );
        assert_eq!(e.groups(), ["epair"]);
        let v = &round_trip(VNET0_29)[0];
        assert_eq!(
            v.description(),
            Some("associated with jail: vnetcage as nic: epair0b")
        );
        assert!(
            v.inet6_global().is_empty(),
            "link-local is not a configured address"
        );
        assert!(v
            .lines
            .contains(&Line::Other("hwaddr 02:82:25:a0:cf:0a".into())));
    }

    #[test]
    fn vxlan_vlan_and_loopback_round_trip() {
        let x = &round_trip(VXLAN111)[0];
        assert_eq!(
            x.vxlan(),
            Some((111, Some((VxlanPeer::Group, "239.0.0.111:4789".into()))))
        );
        assert_eq!(x.inet().len(), 2);
        let both = round_trip(VLAN_AND_LO1);
        assert_eq!(both[0].vlan(), Some((101, "em0")));
        assert_eq!(both[1].inet(), vec![("172.31.255.17".parse().unwrap(), 32)]);
        assert_eq!(both[1].mtu, 16384);
    }

    #[test]
    fn ipv6_lines_keep_their_flags() {
        let text =
            "x0: flags=8843<UP> metric 0 mtu 1500\n\tinet6 fd00:1::1 prefixlen 64 tentative\n";
        let b = &round_trip(text)[0];
        assert_eq!(b.inet6_global(), vec![("fd00:1::1".parse().unwrap(), 64)]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("\tinet 1.2.3.4 netmask 0xff000000\n").is_err());
        assert!(parse("em0 flags\n").is_err());
    }
}
