//! nftables for the Linux backend: jailnet's own table `inet jailnet`, rendered whole from
//! the firewall resources and loaded as ONE atomic `nft -f -` transaction per apply. jailnet
//! never lists, parses or flushes any other table.
//!
//! Every rule carries a comment `jailnet <id> <hash>`, so observing the table tells, per
//! firewall resource, whether its rules are all there and unchanged.

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

/// The whole nft script: make sure the table exists, delete it, and create it anew with
/// every rule — one transaction, so the table is never seen half-written. With no
/// firewall resources the table is only deleted.
///
/// `uplink_addrs` are the current addresses of each uplink interface named in redirects
/// (for hairpin: the host and jails reaching an exposed port through the uplink address).
pub fn render(fw: &[&Resource], uplink_addrs: &BTreeMap<String, Vec<IpAddr>>) -> String {
    let mut s = format!("table inet {TABLE} {{}}\ndelete table inet {TABLE}\n");
    if fw.is_empty() {
        return s;
    }
    let mut pre = String::new();
    let mut out = String::new();
    let mut post = String::new();
    let mut fwd = String::new();
    let mut subnets: BTreeSet<(&'static str, String)> = BTreeSet::new();
    for r in fw {
        let Resource::Firewall { rules, .. } = r else { continue };
        let c = format!("comment \"{}\"", tag(r));
        for rule in rules {
            match rule {
                FwRule::Nat { from, out: o } => {
                    let fam = fam(&from.addr);
                    let sub = from.subnet();
                    subnets.insert((fam, sub.to_string()));
                    let _ = writeln!(post, "\t\toifname \"{o}\" {fam} saddr {sub} masquerade {c}");
                }
                FwRule::Rdr { on, proto, dst, port, to, to_port } => {
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
                            .map(|v| v.iter().filter(|a| a.is_ipv4() == to.is_ipv4()).map(|a| a.to_string()).collect())
                            .unwrap_or_default(),
                    };
                    let set = if local.is_empty() {
                        // No address yet: match nothing rather than everything.
                        format!("{fam} daddr {} ", if to.is_ipv4() { "255.255.255.255" } else { "ff02::ffff" })
                    } else {
                        format!("{fam} daddr {{ {} }} ", local.join(", "))
                    };
                    let _ = writeln!(pre, "\t\tiifname != \"{on}\" {set}{p} dport {port} {dnat} {c}");
                    let _ = writeln!(out, "\t\t{set}{p} dport {port} {dnat} {c}");
                    let _ = writeln!(post, "\t\tiifname != \"{on}\" ct status dnat {fam} daddr {to} {p} dport {to_port} masquerade {c}");
                }
                FwRule::Pass { proto, to, port } => {
                    let _ = writeln!(fwd, "\t\t{} daddr {to} {} dport {port} ct status dnat accept {c}", fam(to), proto_name(*proto));
                }
            }
        }
    }
    let _ = writeln!(s, "table inet {TABLE} {{");
    let _ = writeln!(s, "\tchain prerouting {{\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n{pre}\t}}");
    let _ = writeln!(s, "\tchain output {{\n\t\ttype nat hook output priority -100; policy accept;\n{out}\t}}");
    let _ = writeln!(s, "\tchain postrouting {{\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n{post}\t}}");
    let mut fw_rules = fwd;
    for (fam, sub) in &subnets {
        let _ = writeln!(fw_rules, "\t\t{fam} saddr {sub} accept comment \"jailnet forward\"");
        let _ = writeln!(fw_rules, "\t\t{fam} daddr {sub} ct state established,related accept comment \"jailnet forward\"");
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

/// From `nft -j list table inet jailnet` output: per resource id, the hashes seen and how
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
        let Some(rule) = item.get("rule") else { continue };
        let Some(comment) = rule.get("comment").and_then(|c| c.as_str()) else { continue };
        let mut words = comment.split(' ');
        if words.next() != Some("jailnet") {
            continue;
        }
        if let (Some(id), Some(hash)) = (words.next(), words.next()) {
            *out.entry(ResourceId(id.to_string())).or_default().entry(hash.to_string()).or_default() += 1;
        }
    }
    table_seen.then_some(out)
}
