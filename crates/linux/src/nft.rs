//! nftables for the Linux backend: jailnet's own tables `inet jailnet` (NAT, port forwards:
//! firewall resources) and `bridge jailnet` (anti-spoofing on secure ports: guard
//! resources), rendered whole and loaded together as ONE atomic `nft -f -` transaction per
//! apply. jailnet never lists, parses or flushes any other table.
//!
//! Every rule carries a comment `jailnet <id> <hash>`, so observing the tables tells, per
//! resource, whether its rules are all there and unchanged.
//!
//! A guard (seed 001's secure VNET) is one chain `guard_PORT`, jumped to from the bridge
//! `forward` hook (frames to other ports) and `input` hook (frames to the host's own
//! address on the bridge) for frames that entered the bridge from PORT. It accepts only
//! frames from the NIC's MAC carrying: ARP whose sender is that MAC and one of its IPv4
//! addresses (or 0.0.0.0, an RFC 5227 probe); IPv4 from its addresses (or a DHCP request
//! from 0.0.0.0); IPv6 from its addresses, link-local or `::` (neighbour discovery, DAD),
//! where a neighbour advertisement must name one of its addresses or a link-local one.
//! Everything else (another source MAC, another ethertype, VLAN-tagged frames) is dropped.

use jailnet_model::alloc::fnv1a;
use jailnet_model::config::Proto;
use jailnet_plan::resource::FwRule;
use jailnet_plan::{Resource, ResourceId};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;

/// The table jailnet owns.
pub const TABLE: &str = "jailnet";

/// The comment that tags the rules of firewall resource `r`.
pub fn tag(r: &Resource) -> String {
    let json = serde_json::to_string(r).unwrap_or_default();
    format!("jailnet {} {:016x}", r.id(), fnv1a(json.as_bytes()))
}

/// How many tagged nft rules resource `r` becomes (what observe expects to count).
pub fn expected_rules(r: &Resource) -> usize {
    match r {
        Resource::Firewall { rules, .. } => rule_count(rules),
        // Its chain, plus the jumps from `forward` and `input`.
        Resource::Guard { .. } => guard_rules(r).len() + 2,
        _ => 0,
    }
}

/// The hash part of `r`'s tag (what observe compares).
pub fn tag_hash(r: &Resource) -> String {
    tag(r).rsplit(' ').next().unwrap_or_default().to_string()
}

/// How many nft rules `rules` become (what observe expects to count per resource).
pub fn rule_count(rules: &[FwRule]) -> usize {
    rules
        .iter()
        .map(|r| match r {
            FwRule::Nat { .. } => 1,
            // external DNAT, hairpin DNAT, host-originated DNAT, hairpin masquerade
            FwRule::Rdr { .. } => 4,
            FwRule::Pass { .. } => 1,
        })
        .sum()
}

/// The whole nft script: make sure both tables exist, delete them, and create them anew
/// with every rule — one transaction, so neither is ever seen half-written. A table with
/// no resources (no firewall for `inet`, no guard for `bridge`) is only deleted.
///
/// `fw` holds firewall and guard resources (others are ignored). `uplink_addrs` are the
/// current addresses of each uplink interface named in redirects (for hairpin: the host
/// and jails reaching an exposed port through the uplink address).
pub fn render(fw: &[&Resource], uplink_addrs: &BTreeMap<String, Vec<IpAddr>>) -> String {
    let mut s = String::new();
    for family in ["inet", "bridge"] {
        let _ = writeln!(
            s,
            "table {family} {TABLE} {{}}\ndelete table {family} {TABLE}"
        );
    }
    let firewalls: Vec<&Resource> = fw
        .iter()
        .copied()
        .filter(|r| matches!(r, Resource::Firewall { .. }))
        .collect();
    if !firewalls.is_empty() {
        s.push_str(&render_inet(&firewalls, uplink_addrs));
    }
    let guards: Vec<&Resource> = fw
        .iter()
        .copied()
        .filter(|r| matches!(r, Resource::Guard { .. }))
        .collect();
    if !guards.is_empty() {
        s.push_str(&render_bridge(&guards));
    }
    s
}

/// The bridge-family chain that holds the rules of the guard on `port`.
pub fn guard_chain(port: &str) -> String {
    format!("guard_{port}")
}

/// The rules of guard `r` in its own chain, in order, each tagged (empty for any other
/// resource). See the module documentation for what passes.
pub fn guard_rules(r: &Resource) -> Vec<String> {
    let Resource::Guard { mac, addrs, .. } = r else {
        return Vec::new();
    };
    let c = format!("comment \"{}\"", tag(r));
    let v4: BTreeSet<IpAddr> = addrs
        .iter()
        .copied()
        .filter(|a| a.is_ipv4() && !a.is_unspecified())
        .collect();
    // Link-local and `::` are allowed anyway; listing them again would overlap.
    let v6: BTreeSet<IpAddr> = addrs
        .iter()
        .copied()
        .filter(|a| matches!(a, IpAddr::V6(v) if !v.is_unspecified() && (v.segments()[0] & 0xffc0) != 0xfe80))
        .collect();
    let list = |set: &BTreeSet<IpAddr>, extra: &[&str]| {
        let mut v: Vec<String> = set.iter().map(|a| a.to_string()).collect();
        v.extend(extra.iter().map(|e| e.to_string()));
        v.join(", ")
    };
    let mut out = vec![
        format!("ether saddr != {mac} drop {c}"),
        format!(
            "arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether {mac} arp saddr ip {{ {} }} accept {c}",
            list(&v4, &["0.0.0.0"])
        ),
    ];
    if !v4.is_empty() {
        out.push(format!("ip saddr {{ {} }} accept {c}", list(&v4, &[])));
    }
    out.push(format!(
        "ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept {c}"
    ));
    // A neighbour advertisement only for its own addresses or a link-local one (the
    // target sits at bit 64 of the ICMPv6 header; nft 1.0.6 has no `icmpv6 taddr`).
    let targets: Vec<String> = v6
        .iter()
        .filter_map(|a| match a {
            IpAddr::V6(v) => Some(format!("0x{:032x}", u128::from(*v))),
            IpAddr::V4(_) => None,
        })
        .collect();
    let own = if targets.is_empty() {
        String::new()
    } else {
        format!(" @th,64,128 != {{ {} }}", targets.join(", "))
    };
    out.push(format!(
        "icmpv6 type nd-neighbor-advert @th,64,16 & 0xffc0 != 0xfe80{own} drop {c}"
    ));
    out.push(format!(
        "ip6 saddr {{ {} }} accept {c}",
        list(&v6, &["fe80::/10", "::"])
    ));
    out.push(format!("drop {c}"));
    out
}

/// Table `bridge jailnet`: the `forward` and `input` hooks jump to each guard's chain for
/// frames that entered from its port.
fn render_bridge(guards: &[&Resource]) -> String {
    let mut jumps = String::new();
    let mut chains = String::new();
    for r in guards {
        let Resource::Guard { port, .. } = r else {
            continue;
        };
        let chain = guard_chain(port.as_str());
        let _ = writeln!(
            jumps,
            "\t\tiifname \"{port}\" jump {chain} comment \"{}\"",
            tag(r)
        );
        let _ = writeln!(chains, "\tchain {chain} {{");
        for rule in guard_rules(r) {
            let _ = writeln!(chains, "\t\t{rule}");
        }
        chains.push_str("\t}\n");
    }
    let mut s = format!("table bridge {TABLE} {{\n");
    for hook in ["forward", "input"] {
        let _ = writeln!(s, "\tchain {hook} {{\n\t\ttype filter hook {hook} priority filter; policy accept;\n{jumps}\t}}");
    }
    s.push_str(&chains);
    s.push_str("}\n");
    s
}

/// Table `inet jailnet`: NAT, port forwards and the forward accepts they need.
fn render_inet(fw: &[&Resource], uplink_addrs: &BTreeMap<String, Vec<IpAddr>>) -> String {
    let mut s = String::new();
    let mut pre = String::new();
    let mut out = String::new();
    let mut post = String::new();
    let mut fwd = String::new();
    let mut subnets: BTreeSet<(&'static str, String)> = BTreeSet::new();
    for r in fw {
        let Resource::Firewall { rules, .. } = r else {
            continue;
        };
        let c = format!("comment \"{}\"", tag(r));
        for rule in rules {
            match rule {
                FwRule::Nat { from, out: o } => {
                    let fam = fam(&from.addr);
                    let sub = from.subnet();
                    subnets.insert((fam, sub.to_string()));
                    let _ = writeln!(post, "\t\toifname \"{o}\" {fam} saddr {sub} masquerade {c}");
                }
                FwRule::Rdr {
                    on,
                    proto,
                    dst,
                    port,
                    to,
                    to_port,
                } => {
                    let fam = fam(to);
                    let dnat = format!("dnat {fam} to {}", sockaddr(to, *to_port));
                    let daddr = match dst {
                        Some(d) => format!("{} daddr {d} ", self::fam(d)),
                        None => String::new(),
                    };
                    let p = proto_name(*proto);
                    let _ = writeln!(pre, "\t\tiifname \"{on}\" {daddr}fib daddr type local {p} dport {port} {dnat} {c}");
                    // Hairpin and host-originated: aimed at the uplink's own addresses.
                    let local: Vec<String> = match dst {
                        Some(d) => vec![d.to_string()],
                        None => uplink_addrs
                            .get(on.as_str())
                            .map(|v| {
                                v.iter()
                                    .filter(|a| a.is_ipv4() == to.is_ipv4())
                                    .map(|a| a.to_string())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    };
                    let set = if local.is_empty() {
                        // No address yet: match nothing rather than everything.
                        format!(
                            "{fam} daddr {} ",
                            if to.is_ipv4() {
                                "255.255.255.255"
                            } else {
                                "ff02::ffff"
                            }
                        )
                    } else {
                        format!("{fam} daddr {{ {} }} ", local.join(", "))
                    };
                    let _ = writeln!(
                        pre,
                        "\t\tiifname != \"{on}\" {set}{p} dport {port} {dnat} {c}"
                    );
                    let _ = writeln!(out, "\t\t{set}{p} dport {port} {dnat} {c}");
                    let _ = writeln!(post, "\t\tiifname != \"{on}\" ct status dnat {fam} daddr {to} {p} dport {to_port} masquerade {c}");
                }
                FwRule::Pass { proto, to, port } => {
                    let _ = writeln!(
                        fwd,
                        "\t\t{} daddr {to} {} dport {port} ct status dnat accept {c}",
                        fam(to),
                        proto_name(*proto)
                    );
                }
            }
        }
    }
    let _ = writeln!(s, "table inet {TABLE} {{");
    let _ = writeln!(s, "\tchain prerouting {{\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n{pre}\t}}");
    let _ = writeln!(
        s,
        "\tchain output {{\n\t\ttype nat hook output priority -100; policy accept;\n{out}\t}}"
    );
    let _ = writeln!(s, "\tchain postrouting {{\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n{post}\t}}");
    let mut fw_rules = fwd;
    for (fam, sub) in &subnets {
        let _ = writeln!(
            fw_rules,
            "\t\t{fam} saddr {sub} accept comment \"jailnet forward\""
        );
        let _ = writeln!(
            fw_rules,
            "\t\t{fam} daddr {sub} ct state established,related accept comment \"jailnet forward\""
        );
    }
    let _ = writeln!(s, "\tchain forward {{\n\t\ttype filter hook forward priority filter; policy accept;\n{fw_rules}\t}}");
    s.push_str("}\n");
    s
}

fn fam(a: &IpAddr) -> &'static str {
    if a.is_ipv4() {
        "ip"
    } else {
        "ip6"
    }
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

fn sockaddr(a: &IpAddr, port: u16) -> String {
    match a {
        IpAddr::V4(v) => format!("{v}:{port}"),
        IpAddr::V6(v) => format!("[{v}]:{port}"),
    }
}

/// From `nft -j list table FAMILY jailnet` output: per resource id, the hashes seen and how
/// many rules carried them. `None` when the table does not exist.
pub fn observed_tags(json: &str) -> Option<BTreeMap<ResourceId, BTreeMap<String, usize>>> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let mut out: BTreeMap<ResourceId, BTreeMap<String, usize>> = BTreeMap::new();
    let items = v.get("nftables")?.as_array()?;
    let mut table_seen = false;
    for item in items {
        if item.get("table").is_some() {
            table_seen = true;
        }
        let Some(rule) = item.get("rule") else {
            continue;
        };
        let Some(comment) = rule.get("comment").and_then(|c| c.as_str()) else {
            continue;
        };
        let mut words = comment.split(' ');
        if words.next() != Some("jailnet") {
            continue;
        }
        if let (Some(id), Some(hash)) = (words.next(), words.next()) {
            *out.entry(ResourceId(id.to_string()))
                .or_default()
                .entry(hash.to_string())
                .or_default() += 1;
        }
    }
    table_seen.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_model::names::IfName;
    use jailnet_model::net::Mac;

    fn guard(addrs: &[&str]) -> Resource {
        Resource::Guard {
            owner: "jail:evil/vnet0".into(),
            port: IfName::new("evil-vnet0").unwrap(),
            mac: Mac([0x58, 0x9c, 0xfc, 0, 0, 1]),
            addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            bridge: None,
            neighbours: Vec::new(),
        }
    }

    #[test]
    fn no_resources_only_deletes_both_tables() {
        assert_eq!(
            render(&[], &BTreeMap::new()),
            "table inet jailnet {}\ndelete table inet jailnet\ntable bridge jailnet {}\ndelete table bridge jailnet\n"
        );
    }

    #[test]
    fn a_guard_is_a_chain_jumped_to_from_forward_and_input() {
        let g = guard(&["10.1.1.2", "fd00:1::2", "fe80::1"]);
        let s = render(&[&g], &BTreeMap::new());
        assert!(!s.contains("table inet jailnet {\n"), "{s}");
        let c = tag(&g);
        for line in [
            format!("\t\tiifname \"evil-vnet0\" jump guard_evil-vnet0 comment \"{c}\""),
            format!("\t\tether saddr != 58:9c:fc:00:00:01 drop comment \"{c}\""),
            format!("\t\tarp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether 58:9c:fc:00:00:01 arp saddr ip {{ 10.1.1.2, 0.0.0.0 }} accept comment \"{c}\""),
            format!("\t\tip saddr {{ 10.1.1.2 }} accept comment \"{c}\""),
            format!("\t\ticmpv6 type nd-neighbor-advert @th,64,16 & 0xffc0 != 0xfe80 @th,64,128 != {{ 0xfd000001000000000000000000000002 }} drop comment \"{c}\""),
            // The link-local address is inside fe80::/10 already: not listed twice.
            format!("\t\tip6 saddr {{ fd00:1::2, fe80::/10, :: }} accept comment \"{c}\""),
            format!("\t\tdrop comment \"{c}\""),
        ] {
            assert!(s.contains(&line), "missing {line:?} in\n{s}");
        }
        assert_eq!(s.matches("jump guard_evil-vnet0").count(), 2, "{s}");
        assert!(s.contains("type filter hook forward priority filter; policy accept;"));
        assert!(s.contains("type filter hook input priority filter; policy accept;"));
        // Every tagged rule is counted.
        assert_eq!(
            s.matches(&format!("comment \"{c}\"")).count(),
            expected_rules(&g)
        );
    }

    #[test]
    fn a_guard_without_ipv4_lets_no_ipv4_out_but_dhcp() {
        let g = guard(&[]);
        let rules = guard_rules(&g);
        assert!(
            !rules.iter().any(|r| r.starts_with("ip saddr {")),
            "{rules:?}"
        );
        assert!(rules
            .iter()
            .any(|r| r.starts_with("ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68")));
        assert!(rules.iter().any(|r| r.contains("arp saddr ip { 0.0.0.0 }")));
    }

    #[test]
    fn observed_tags_count_rules_per_resource_and_hash() {
        let json = r#"{"nftables": [{"metainfo": {}}, {"table": {"family": "bridge", "name": "jailnet"}},
            {"rule": {"comment": "jailnet guard:p1 00aa"}}, {"rule": {"comment": "jailnet guard:p1 00aa"}},
            {"rule": {"comment": "jailnet guard:p2 00bb"}}, {"rule": {"comment": "someone else"}}]}"#;
        let t = observed_tags(json).unwrap();
        assert_eq!(t[&ResourceId("guard:p1".into())]["00aa"], 2);
        assert_eq!(t[&ResourceId("guard:p2".into())]["00bb"], 1);
        assert_eq!(t.len(), 2);
        assert!(observed_tags(r#"{"nftables": [{"metainfo": {}}]}"#).is_none());
    }
}
