//! Secure NICs (`Resource::Guard`): ipfw rules that drop whatever leaves the NIC's bridge
//! port `P` with a foreign source — on the one switch bridge, no extra bridge per NIC.
//!
//! Each guard owns a block of [`BLOCK`] rule numbers in jailnet's range
//! [`FIRST`]..=[`LAST`], the lowest block with no rule at all in `ipfw list`; every rule
//! carries the comment `// jailnet:guard:P`. The rules only ever deny (never `allow`, so
//! the admin's own ruleset still decides about everything they let through):
//!
//! ```text
//! B+0 deny ip from any to any not MAC any MAC recv P layer2      // jailnet:guard:P
//! B+1 deny ip from any to any not mac-type ipv4,arp,ipv6 recv P layer2
//! B+2 deny ip4 from not A4[,A4…] to any recv P                     (with IPv4 addresses)
//! B+3 deny ip6 from not A6[,A6…],fe80::LL to any recv P            (with IPv6 addresses)
//! ```
//!
//! After the rules, an ng_bpf filter on the port checks what ipfw cannot read: the sender
//! fields of the ARP frames the jail sends and the target of its IPv6 neighbour
//! advertisements ([`super::arp_filter`]).
//!
//! Before the rules, `ifconfig BR -learn P static P MAC` (when the port is on an
//! if_bridge): if_bridge learns a frame's source MAC before ipfw sees the frame, so a
//! dropped frame from another jail's MAC would still move that MAC to P; a port that does
//! not learn and a static entry (never moved by learning) close that. Removal deletes the
//! entry and gives the port learning back.
//!
//! B+1 admits only the families the NIC has addresses of (none: everything is dropped);
//! the IPv6 list includes the NIC's EUI-64 link-local address (neighbour discovery).
//! `recv P` with no direction matches both the layer-2 pass of a frame the bridge
//! forwards out of another port (`net.link.bridge.ipfw=1`) and the one at ether_demux
//! (`net.link.ether.ipfw=1`); B+2/B+3 without `layer2` also match the IP pass when the
//! bridge filters on members. Frames *to* the NIC are never matched (their `recv` is
//! another port). Removal deletes exactly the numbers that carry the guard's comment, and
//! refuses if another rule shares one of them (`ipfw delete N` removes every rule N).

use super::Ctx;
use crate::error::Error;
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_model::net::Mac;
use jailnet_plan::Resource;
use std::net::{IpAddr, Ipv6Addr};

/// jailnet's ipfw rule numbers.
pub const FIRST: u32 = 60000;
pub const LAST: u32 = 64999;
/// Numbers per guard.
pub const BLOCK: u32 = 10;

/// The comment that tags port `port`'s rules.
pub fn comment(port: &str) -> String {
    format!("jailnet:guard:{port}")
}

/// The lowest free block in jailnet's range, given the rule numbers in use.
pub fn free_block(used: &[u32]) -> Option<u32> {
    (FIRST..=LAST)
        .step_by(BLOCK as usize)
        .find(|b| !used.iter().any(|n| (*b..b + BLOCK).contains(n)))
}

/// The EUI-64 link-local address of `mac`.
pub fn link_local(mac: &Mac) -> Ipv6Addr {
    let m = mac.0;
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([m[0] ^ 0x02, m[1]]),
        u16::from_be_bytes([m[2], 0xff]),
        u16::from_be_bytes([0xfe, m[3]]),
        u16::from_be_bytes([m[4], m[5]]),
    )
}

/// The rule bodies (after the number, comment included) of guard `r`.
pub fn bodies(r: &Resource) -> Vec<Vec<String>> {
    let Resource::Guard {
        port, mac, addrs, ..
    } = r
    else {
        return Vec::new();
    };
    let p = port.to_string();
    let v4: Vec<String> = addrs
        .iter()
        .filter(|a| a.is_ipv4())
        .map(|a| a.to_string())
        .collect();
    let mut v6: Vec<String> = addrs
        .iter()
        .filter(|a| a.is_ipv6())
        .map(|a| a.to_string())
        .collect();
    let w = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let tail = |mut v: Vec<String>, l2: bool| {
        v.extend(["recv".to_string(), p.clone()]);
        if l2 {
            v.push("layer2".into());
        }
        v.extend(["//".to_string(), comment(&p)]);
        v
    };
    let mut out = vec![tail(
        [
            w("deny ip from any to any not MAC any"),
            vec![mac.to_string()],
        ]
        .concat(),
        true,
    )];
    let mut types = Vec::new();
    if !v4.is_empty() {
        types.extend(["ipv4", "arp"]);
    }
    if !v6.is_empty() {
        types.push("ipv6");
    }
    out.push(if types.is_empty() {
        tail(w("deny ip from any to any"), true)
    } else {
        tail(
            [
                w("deny ip from any to any not mac-type"),
                vec![types.join(",")],
            ]
            .concat(),
            true,
        )
    });
    if !v4.is_empty() {
        out.push(tail(
            [
                w("deny ip4 from not"),
                vec![v4.join(","), "to".into(), "any".into()],
            ]
            .concat(),
            false,
        ));
    }
    if !v6.is_empty() {
        v6.push(link_local(mac).to_string());
        out.push(tail(
            [
                w("deny ip6 from not"),
                vec![v6.join(","), "to".into(), "any".into()],
            ]
            .concat(),
            false,
        ));
    }
    out
}

/// `ipfw -q add N BODY…` for each rule, from block `base` (`N` unknown in a dry run).
pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let base = match &ctx.ipfw {
        None => None,
        Some(rules) => {
            let used: Vec<u32> = rules.iter().map(|(n, _)| *n).collect();
            Some(free_block(&used).ok_or_else(|| {
                Error::Unsupported(format!(
                    "{}: no free block of {BLOCK} ipfw rule numbers in {FIRST}-{LAST}",
                    r.id()
                ))
            })?)
        }
    };
    let mut steps: Vec<Step> = pin(r).into_iter().collect();
    steps.extend(neighbours(r));
    steps.extend(bodies(r).into_iter().zip(0u32..).map(|(body, i)| {
        let num = base.map_or_else(|| "N".to_string(), |b| (b + i).to_string());
        let mut args = vec!["-q".to_string(), "add".into(), num.clone()];
        args.extend(body);
        Step::new(Invocation::new("ipfw", args))
            .undo(Invocation::new("ipfw", ["-q", "delete", num.as_str()]))
    }));
    steps.extend(
        super::arp_filter::create(r).map_err(|e| Error::Unsupported(format!("{}: {e}", r.id())))?,
    );
    Ok(steps)
}

/// `ifconfig BR -learn P static P MAC`: the bridge learns nothing from the port and
/// sends `MAC` only there. if_bridge learns a frame's source before ipfw sees it, so
/// without this a jail sending from another jail's MAC would steal its traffic even
/// though ipfw drops the frame; a static entry is never moved by learning.
fn pin(r: &Resource) -> Option<Step> {
    let Resource::Guard {
        port,
        mac,
        bridge: Some(br),
        ..
    } = r
    else {
        return None;
    };
    let (br, p, m) = (br.to_string(), port.to_string(), mac.to_string());
    Some(
        Step::new(super::ifconfig([
            br.clone(),
            "-learn".into(),
            p.clone(),
            "static".into(),
            p.clone(),
            m.clone(),
        ]))
        .undo(unpin(&br, &p, &m)),
    )
}

/// `arp -S A MAC` / `ndp -s A MAC` for each host neighbour entry of guard `r`: the host
/// keeps believing `A` is at `MAC` whatever ARP or NDP answers arrive (ipfw cannot read
/// an ARP payload, so a forged one would otherwise redirect the host's traffic).
fn neighbours(r: &Resource) -> Vec<Step> {
    let Resource::Guard {
        mac, neighbours, ..
    } = r
    else {
        return Vec::new();
    };
    let m = mac.to_string();
    neighbours
        .iter()
        .map(|a| Step::new(neighbour_set(a, &m)).undo(neighbour_del(a)))
        .collect()
}

/// `arp -S A MAC` (IPv4) or `ndp -s A MAC` (IPv6): a permanent entry.
pub(crate) fn neighbour_set(a: &IpAddr, mac: &str) -> Invocation {
    let ip = a.to_string();
    match a {
        IpAddr::V4(_) => Invocation::new("arp", ["-S", ip.as_str(), mac]),
        IpAddr::V6(_) => Invocation::new("ndp", ["-s", ip.as_str(), mac]),
    }
}

/// `arp -d A` / `ndp -d A`.
pub(crate) fn neighbour_del(a: &IpAddr) -> Invocation {
    let ip = a.to_string();
    match a {
        IpAddr::V4(_) => Invocation::new("arp", ["-d", ip.as_str()]),
        IpAddr::V6(_) => Invocation::new("ndp", ["-d", ip.as_str()]),
    }
}

/// Undoes [`pin`]: `ifconfig BR deladdr MAC learn P`; only `learn P` for a guard observed
/// broken (all-zero MAC: which entry it pinned is unknown; the re-made guard pins again).
fn unpin(br: &str, port: &str, mac: &str) -> Invocation {
    if mac == Mac([0; 6]).to_string() {
        return super::ifconfig([br, "learn", port]);
    }
    super::ifconfig([br, "deladdr", mac, "learn", port])
}

/// `ipfw -q delete N…` for the numbers tagged with the guard's comment.
pub(crate) fn delete(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let Resource::Guard { port, .. } = r else {
        return Ok(Vec::new());
    };
    // The ARP filter first (when it is there, or unknown in a dry run).
    let filter = super::arp_filter::node_name(port.as_str());
    let mut steps = Vec::new();
    if ctx.arp_filters.as_ref().is_none_or(|f| f.contains(&filter)) {
        steps.push(Step::new(super::arp_filter::remove(port.as_str())));
    }
    let Some(rules) = &ctx.ipfw else {
        steps.push(Step::new(Invocation::new("ipfw", ["-q", "delete", "N"])));
        return Ok(steps);
    };
    let tag = format!("// {}", comment(port.as_str()));
    let mut nums: Vec<u32> = rules
        .iter()
        .filter(|(_, b)| b.ends_with(&tag))
        .map(|(n, _)| *n)
        .collect();
    nums.dedup();
    if let Some((n, b)) = rules
        .iter()
        .find(|(n, b)| nums.contains(n) && !b.ends_with(&tag))
    {
        return Err(Error::Unsupported(format!(
            "{}: ipfw rule {n} is shared with a rule jailnet did not add ({b}); \
             `ipfw delete {n}` would remove it too, so it is left to the admin",
            r.id()
        )));
    }
    if !nums.is_empty() {
        let mut args = vec!["-q".to_string(), "delete".into()];
        args.extend(nums.iter().map(u32::to_string));
        steps.push(Step::new(Invocation::new("ipfw", args)));
    }
    // As observed: entries that are still there, pinned while the port is on the bridge.
    if let Resource::Guard { neighbours, .. } = r {
        for a in neighbours {
            steps.push(Step::new(neighbour_del(a)));
        }
    }
    if let Resource::Guard {
        mac,
        bridge: Some(br),
        ..
    } = r
    {
        steps.push(Step::new(unpin(
            br.as_str(),
            port.as_str(),
            &mac.to_string(),
        )));
    }
    Ok(steps)
}

/// The guard the tagged rules of `port` describe (`ipfw list` lines without numbers):
/// the MAC of the `not MAC any M` rule and the `from not LIST` addresses, without the
/// link-local one. A missing rule shows as the all-zero MAC, so the guard is re-made.
pub fn parse(port: &str, owner: &str, bodies: &[&str]) -> Option<Resource> {
    let tag = format!("// {}", comment(port));
    let mine: Vec<Vec<&str>> = bodies
        .iter()
        .filter(|b| b.ends_with(&tag))
        .map(|b| b.split_whitespace().collect())
        .collect();
    if mine.is_empty() {
        return None;
    }
    let after = |w: &[&str], seq: &[&str]| -> Option<String> {
        w.windows(seq.len() + 1)
            .find(|x| x[..seq.len()] == *seq)
            .map(|x| x[seq.len()].to_string())
    };
    let mut mac = None;
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut types = false;
    for w in &mine {
        if let Some(m) = after(w, &["not", "MAC", "any"]) {
            mac = m.parse::<Mac>().ok();
        } else if w.contains(&"mac-type") || (w.contains(&"layer2") && !w.contains(&"MAC")) {
            types = true;
        } else if let Some(list) = after(w, &["from", "not"]) {
            addrs.extend(list.split(',').filter_map(|a| a.parse::<IpAddr>().ok()));
        }
    }
    let mac = match (mac, types) {
        (Some(m), true) => m,
        _ => Mac([0; 6]),
    };
    let ll = IpAddr::V6(link_local(&mac));
    addrs.retain(|a| *a != ll);
    Some(Resource::Guard {
        owner: owner.to_string(),
        port: jailnet_model::names::IfName::new(port).ok()?,
        mac,
        addrs,
        bridge: None,
        neighbours: Vec::new(),
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use jailnet_model::names::IfName;

    /// A guard on port `www-vnet0` with `addrs` (also used by the ARP filter's tests).
    pub(in crate::lower) fn guard(addrs: &[&str]) -> Resource {
        Resource::Guard {
            owner: "jail:www/vnet0".into(),
            port: IfName::new("www-vnet0").unwrap(),
            mac: "02:00:5e:23:42:03".parse().unwrap(),
            addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            bridge: None,
            neighbours: Vec::new(),
        }
    }

    #[test]
    fn rules_deny_only_and_parse_back() {
        let g = guard(&["10.1.1.2", "fd00:1::2"]);
        let lines: Vec<String> = bodies(&g).iter().map(|b| b.join(" ")).collect();
        assert_eq!(
            lines,
            [
                "deny ip from any to any not MAC any 02:00:5e:23:42:03 recv www-vnet0 layer2 // jailnet:guard:www-vnet0",
                "deny ip from any to any not mac-type ipv4,arp,ipv6 recv www-vnet0 layer2 // jailnet:guard:www-vnet0",
                "deny ip4 from not 10.1.1.2 to any recv www-vnet0 // jailnet:guard:www-vnet0",
                "deny ip6 from not fd00:1::2,fe80::5eff:fe23:4203 to any recv www-vnet0 // jailnet:guard:www-vnet0",
            ]
        );
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(parse("www-vnet0", "jail:www/vnet0", &refs), Some(g));
        // A rule gone missing: re-made.
        let Some(Resource::Guard { mac, .. }) = parse("www-vnet0", "x", &refs[..1]) else {
            panic!()
        };
        assert_eq!(mac, Mac([0; 6]));
    }

    #[test]
    fn blocks_skip_any_used_number_and_deletes_refuse_shared_numbers() {
        assert_eq!(free_block(&[]), Some(60000));
        assert_eq!(free_block(&[100, 60003]), Some(60010));
        let ctx = Ctx {
            ipfw: Some(vec![
                (
                    60000,
                    "deny ip from any to any // jailnet:guard:www-vnet0".into(),
                ),
                (
                    60001,
                    "deny ip from any to any // jailnet:guard:www-vnet0".into(),
                ),
                (60001, "allow ip from any to any".into()),
            ]),
            ..Ctx::default()
        };
        let e = delete(&guard(&[]), &ctx).unwrap_err();
        assert!(e.to_string().contains("ipfw rule 60001 is shared"), "{e}");
    }
}
