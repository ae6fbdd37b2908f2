//! Evaluating ipfw rules against a frame, for the reachability queries (§7 semantics,
//! the subset of ipfw(8) rule syntax a jail host uses): actions `allow`/`deny` (and their
//! synonyms; `count` goes on), protocols `ip`/`all`/`ip4`/`ip6`, `from [not] any|LIST`,
//! `to any`, and the options `[not] MAC any|M any|M`, `[not] mac-type LIST`,
//! `recv`/`via IF`, `in`, `layer2`, then `// comment`. A rule with anything else never
//! matches. The default rule 65535 denies.
//!
//! Which passes a frame meets on a bridge (bridge.4, if_bridge.c, [V]): a frame forwarded
//! from member P — the layer-2 pass with `recv P` when `net.link.bridge.ipfw=1` (ARP
//! only with `net.link.bridge.ipfw_arp=1`), the IP
//! pass on P when `pfil_member=1`, on the bridge when `pfil_bridge=1` (setting
//! `bridge.ipfw=1` turns both of those off); a frame for the host — the IP pass on P
//! only when `pfil_local_phys=1` and `pfil_member=1`, then, received on the bridge
//! interface, the layer-2 pass when `net.link.ether.ipfw=1` and the IP pass. IP passes
//! never see ARP. Learning (the forwarding table) happens before any of these.

use crate::state::{Inet4, Inet6, IpfwRule, SimState, VnetId};
use std::net::IpAddr;

/// What kind of frame: the ethertype.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FrameKind {
    #[default]
    Ipv4,
    Ipv6,
    Arp,
}

/// A frame as a sender builds it; `None` fields are the sender's own values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub kind: FrameKind,
    /// Source MAC (forged when set).
    pub src_mac: Option<String>,
    /// Source IP of an IPv4/IPv6 frame (forged when set; ARP carries none ipfw reads).
    pub src_ip: Option<IpAddr>,
    /// The address a neighbour answer claims, which ipfw cannot read: an ARP frame's
    /// sender protocol address (`None`: the sender's own IPv4 address) or, with an IPv6
    /// address, the target of a neighbour advertisement (`None`: no advertisement).
    pub claims: Option<IpAddr>,
}

/// One packet as ipfw sees it in one pass.
#[derive(Debug)]
pub(crate) struct Pkt<'a> {
    pub recv: &'a str,
    pub src_mac: &'a str,
    pub kind: FrameKind,
    pub src_ip: Option<IpAddr>,
    pub layer2: bool,
}

/// Whether `pkt` passes `rules` (then the default rule).
pub(crate) fn passes(rules: &[IpfwRule], pkt: &Pkt<'_>) -> bool {
    if !pkt.layer2 && pkt.kind == FrameKind::Arp {
        return true;
    }
    let mut sorted: Vec<&IpfwRule> = rules.iter().collect();
    sorted.sort_by_key(|r| r.num);
    for r in sorted {
        match verdict(&r.body, pkt) {
            Some(v) => return v,
            None => continue,
        }
    }
    false
}

/// `Some(pass)` when rule `body` matches `pkt` with a terminal action.
fn verdict(body: &str, pkt: &Pkt<'_>) -> Option<bool> {
    let body = body.split("//").next().unwrap_or("");
    let w: Vec<&str> = body.split_whitespace().collect();
    let pass = match *w.first()? {
        "allow" | "accept" | "pass" | "permit" => true,
        "deny" | "drop" | "reject" | "unreach" | "unreach6" | "reset" => false,
        _ => return None,
    };
    matches(&w[1..], pkt).then_some(pass)
}

fn matches(w: &[&str], pkt: &Pkt<'_>) -> bool {
    let ip = matches!(pkt.kind, FrameKind::Ipv4 | FrameKind::Ipv6);
    let proto_ok = match w.first() {
        Some(&"ip") | Some(&"all") => true,
        Some(&"ip4") | Some(&"ipv4") => pkt.kind == FrameKind::Ipv4,
        Some(&"ip6") | Some(&"ipv6") => pkt.kind == FrameKind::Ipv6,
        _ => return false,
    };
    if !proto_ok || w.get(1) != Some(&"from") {
        return false;
    }
    let mut k = 2;
    let neg = w.get(k) == Some(&"not");
    if neg {
        k += 1;
    }
    let Some(src) = w.get(k) else { return false };
    let src_ok = match *src {
        "any" => true,
        list => pkt.src_ip.is_some_and(|a| in_list(list, a)),
    };
    // `from LIST` needs an IP header; a negated list does too.
    if (*src != "any" && !ip) || src_ok == neg {
        return false;
    }
    k += 1;
    if w.get(k) != Some(&"to") || w.get(k + 1) != Some(&"any") {
        return false;
    }
    k += 2;
    let mut l2_only = false;
    while k < w.len() {
        let neg = w[k] == "not";
        if neg {
            k += 1;
        }
        let (ok, used) = match w.get(k).copied() {
            Some("layer2") => {
                l2_only = true;
                (true, 1)
            }
            Some("in") => (true, 1),
            Some("recv") | Some("via") => (w.get(k + 1) == Some(&pkt.recv), 2),
            Some("MAC") | Some("mac") => {
                let (dst, src) = (w.get(k + 1), w.get(k + 2));
                let ok = pkt.layer2
                    && dst == Some(&"any")
                    && src.is_some_and(|s| *s == "any" || s.eq_ignore_ascii_case(pkt.src_mac));
                (ok, 3)
            }
            Some("mac-type") => {
                let ok = pkt.layer2
                    && w.get(k + 1).is_some_and(|l| {
                        l.split(',').any(|t| match t {
                            "ipv4" | "ip" | "0x0800" => pkt.kind == FrameKind::Ipv4,
                            "ipv6" | "0x86dd" => pkt.kind == FrameKind::Ipv6,
                            "arp" | "0x0806" => pkt.kind == FrameKind::Arp,
                            _ => false,
                        })
                    });
                (ok, 2)
            }
            _ => return false,
        };
        if ok == neg {
            return false;
        }
        k += used;
    }
    !l2_only || pkt.layer2
}

/// Whether `a` is in a comma-separated list of addresses and prefixes.
fn in_list(list: &str, a: IpAddr) -> bool {
    list.split(',').any(|x| match x.split_once('/') {
        None => x.parse::<IpAddr>().is_ok_and(|y| y == a),
        Some((net, len)) => match (net.parse::<IpAddr>(), len.parse::<u8>(), a) {
            (Ok(IpAddr::V4(addr)), Ok(prefix), IpAddr::V4(a)) if prefix <= 32 => {
                Inet4 { addr, prefix }.contains(a)
            }
            (Ok(IpAddr::V6(addr)), Ok(prefix), IpAddr::V6(a)) if prefix <= 128 => {
                Inet6 { addr, prefix }.contains(a)
            }
            _ => false,
        },
    })
}

/// A sysctl of the host's stack is 1.
fn on(st: &SimState, name: &str) -> bool {
    st.net(&VnetId::Host)
        .and_then(|n| n.sysctl.get(name))
        .is_some_and(|v| v == "1")
}

/// Whether a frame entering bridge `br` (named `br_name`) on member `port` passes the
/// filters on its way to the other members (`local` false) or to the host (`local` true).
pub(crate) fn bridge_passes(
    st: &SimState,
    br_name: &str,
    port: &str,
    local: bool,
    src_mac: &str,
    frame: &Frame,
) -> bool {
    if !st.modules.contains("ipfw") {
        return true;
    }
    let Some(net) = st.net(&VnetId::Host) else {
        return true;
    };
    let rules = &net.ipfw;
    let pkt = |recv, layer2| Pkt {
        recv,
        src_mac,
        kind: frame.kind,
        src_ip: frame.src_ip,
        layer2,
    };
    let member = on(st, "net.link.bridge.pfil_member");
    if local {
        if on(st, "net.link.bridge.pfil_local_phys") && member && !passes(rules, &pkt(port, false))
        {
            return false;
        }
        if on(st, "net.link.ether.ipfw") && !passes(rules, &pkt(br_name, true)) {
            return false;
        }
        return passes(rules, &pkt(br_name, false));
    }
    // §7: ARP reaches the bridge's layer-2 pass only with `ipfw_arp=1`.
    let l2 = on(st, "net.link.bridge.ipfw")
        && (frame.kind != FrameKind::Arp || on(st, "net.link.bridge.ipfw_arp"));
    if l2 && !passes(rules, &pkt(port, true)) {
        return false;
    }
    if member && !passes(rules, &pkt(port, false)) {
        return false;
    }
    if on(st, "net.link.bridge.pfil_bridge") && !passes(rules, &pkt(br_name, false)) {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(num: u32, body: &str) -> IpfwRule {
        IpfwRule {
            num,
            body: body.into(),
        }
    }

    fn pkt<'a>(recv: &'a str, mac: &'a str, kind: FrameKind, ip: Option<&str>) -> Pkt<'a> {
        Pkt {
            recv,
            src_mac: mac,
            kind,
            src_ip: ip.map(|a| a.parse().unwrap()),
            layer2: true,
        }
    }

    #[test]
    fn jailnets_guard_rules_and_an_open_ruleset() {
        let rules = vec![
            rule(60000, "deny ip from any to any not MAC any 02:00:00:00:00:01 recv p0 layer2 // jailnet:guard:p0"),
            rule(60001, "deny ip from any to any not mac-type ipv4,arp recv p0 layer2 // jailnet:guard:p0"),
            rule(60002, "deny ip4 from not 10.0.0.2 to any recv p0 // jailnet:guard:p0"),
            rule(65000, "allow ip from any to any"),
        ];
        let own = "02:00:00:00:00:01";
        let ok = pkt("p0", own, FrameKind::Ipv4, Some("10.0.0.2"));
        assert!(passes(&rules, &ok));
        assert!(!passes(
            &rules,
            &pkt("p0", "02:00:00:00:00:09", FrameKind::Ipv4, Some("10.0.0.2"))
        ));
        assert!(!passes(
            &rules,
            &pkt("p0", own, FrameKind::Ipv4, Some("10.0.0.3"))
        ));
        assert!(!passes(
            &rules,
            &pkt("p0", own, FrameKind::Ipv6, Some("fd00::2"))
        ));
        assert!(passes(&rules, &pkt("p0", own, FrameKind::Arp, None)));
        // Another port is not guarded.
        assert!(passes(
            &rules,
            &pkt("p1", "02:00:00:00:00:09", FrameKind::Ipv4, Some("10.9.9.9"))
        ));
        // The IP pass never sees layer-2 rules' conditions, nor ARP.
        let mut ip_pass = pkt("p0", "02:00:00:00:00:09", FrameKind::Ipv4, Some("10.0.0.2"));
        ip_pass.layer2 = false;
        assert!(passes(&rules, &ip_pass));
        // Without the open rule, the default rule denies.
        assert!(!passes(&rules[..3], &ok));
    }

    #[test]
    fn lists_prefixes_and_negation() {
        assert!(in_list("10.0.0.0/8,fd00::1", "10.2.3.4".parse().unwrap()));
        assert!(in_list("10.0.0.0/8,fd00::1", "fd00::1".parse().unwrap()));
        assert!(!in_list("10.0.0.0/8", "11.0.0.1".parse().unwrap()));
        let r = vec![
            rule(1, "deny ip6 from not fd00::/64 to any recv p0"),
            rule(2, "allow ip from any to any"),
        ];
        assert!(passes(
            &r,
            &pkt("p0", "x", FrameKind::Ipv6, Some("fd00::5"))
        ));
        assert!(!passes(
            &r,
            &pkt("p0", "x", FrameKind::Ipv6, Some("fd01::5"))
        ));
        // Unknown syntax never matches.
        let r = vec![
            rule(1, "deny tcp from any to any 22"),
            rule(2, "allow ip from any to any"),
        ];
        assert!(passes(
            &r,
            &pkt("p0", "x", FrameKind::Ipv4, Some("10.0.0.1"))
        ));
    }
}
