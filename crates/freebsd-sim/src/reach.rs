//! Layer-2 reachability between interface endpoints: follows epair cables, bridge
//! forwarding (with the PRIVATE rule of §2), netgraph hooks, and up/down state across vnets.

use crate::ifconfig::bridge::IFBIF_PRIVATE;
use crate::ipfw_eval::{Frame, FrameKind};
use crate::state::{IfKind, SimState, VnetId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, VecDeque};
use std::net::IpAddr;

/// An interface as seen from a network stack: `(vnet, interface name)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    pub vnet: VnetId,
    pub ifname: String,
}

impl Endpoint {
    /// An interface in the host's vnet.
    pub fn host(ifname: &str) -> Self {
        Endpoint {
            vnet: VnetId::Host,
            ifname: ifname.to_string(),
        }
    }

    /// An interface inside vnet jail `jail`.
    pub fn jail(jail: &str, ifname: &str) -> Self {
        Endpoint {
            vnet: VnetId::Jail(jail.to_string()),
            ifname: ifname.to_string(),
        }
    }
}

/// Where a frame is while we follow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Hop {
    /// The stack of interface i hands it down to transmit.
    Tx(u32),
    /// It leaves interface i onto i's "wire" (the epair peer, a netgraph hook, the LAN).
    WireOut(u32),
    /// It arrives from the wire at interface i.
    Arrive(u32),
    /// It enters bridge b through member port p.
    Ingress(u32, u32),
    /// It reaches the stack of interface i (delivered).
    Stack(u32),
    /// It enters netgraph node n through hook (index into the hook list of n).
    Ng(u32, u32),
}

/// Decides whether a frame entering bridge `br` from member `port` goes on to the other
/// members (`local` false) or to the host (`local` true).
type Filter<'a> = dyn Fn(u32, u32, bool) -> bool + 'a;

/// Whether frames pass both ways between `a` and `b` (layer 2: no firewall).
pub(crate) fn can_exchange_frames(st: &SimState, a: &Endpoint, b: &Endpoint) -> bool {
    let (Some(ia), Some(ib)) = (st.find(&a.vnet, &a.ifname), st.find(&b.vnet, &b.ifname)) else {
        return false;
    };
    let open = |_, _, _| true;
    ia != ib && reaches(st, ia, ib, &open, None) && reaches(st, ib, ia, &open, None)
}

/// Whether `frame`, sent by `from`, reaches the stack of `to`, through ipfw's passes on
/// the bridges on the way (see [`crate::ipfw_eval`]).
pub(crate) fn frame_reaches(st: &SimState, from: &Endpoint, frame: &Frame, to: &Endpoint) -> bool {
    let (Some(ia), Some(ib)) = (
        st.find(&from.vnet, &from.ifname),
        st.find(&to.vnet, &to.ifname),
    ) else {
        return false;
    };
    let own = st
        .ifaces
        .get(&ia)
        .and_then(|i| i.mac.clone())
        .unwrap_or_default();
    let src_mac = frame.src_mac.clone().unwrap_or(own);
    let name = |i: u32| st.ifaces.get(&i).map(|x| x.name.as_str()).unwrap_or("");
    let filter = |br: u32, port: u32, local: bool| {
        crate::ipfw_eval::bridge_passes(st, name(br), name(port), local, &src_mac, frame)
    };
    let own_v4 = st
        .ifaces
        .get(&ia)
        .and_then(|i| i.inet.first())
        .map(|a| IpAddr::V4(a.addr));
    let bytes = frame_bytes(frame, &src_mac, own_v4);
    ia != ib && reaches(st, ia, ib, &filter, Some(&bytes))
}

/// The bytes of `frame` on the wire, as far as a filter reads them: the Ethernet header
/// and an ARP reply (sender `src_mac` and `claims`, else `own_v4`), an IPv4 header
/// or an IPv6 header with the source address.
fn frame_bytes(frame: &Frame, src_mac: &str, own_v4: Option<IpAddr>) -> Vec<u8> {
    let mac = crate::state::parse_mac(src_mac)
        .and_then(|m| mac_bytes(&m))
        .unwrap_or([0; 6]);
    let mut b = vec![0xff; 6];
    b.extend(mac);
    match frame.kind {
        FrameKind::Arp => {
            b.extend([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2]);
            b.extend(mac);
            let spa = match frame.claims.or(own_v4) {
                Some(IpAddr::V4(a)) => a.octets(),
                _ => [0; 4],
            };
            b.extend(spa);
            b.extend([0; 10]);
        }
        FrameKind::Ipv4 => {
            b.extend([0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0]);
            let src = match frame.src_ip.or(own_v4) {
                Some(IpAddr::V4(a)) => a.octets(),
                _ => [0; 4],
            };
            b.extend(src);
            b.extend([0; 4]);
        }
        FrameKind::Ipv6 => {
            // UDP, or an ICMPv6 neighbour advertisement for `claims`.
            let na = match frame.claims {
                Some(IpAddr::V6(t)) => Some(t),
                _ => None,
            };
            let next = if na.is_some() { 58 } else { 17 };
            b.extend([0x86, 0xdd, 0x60, 0, 0, 0, 0, 32, next, 255]);
            let src = match frame.src_ip {
                Some(IpAddr::V6(a)) => a.octets(),
                _ => [0; 16],
            };
            b.extend(src);
            b.extend([0; 16]);
            if let Some(t) = na {
                b.extend([136, 0, 0, 0, 0x20, 0, 0, 0]);
                b.extend(t.octets());
                b.extend([2, 1]);
                b.extend(mac);
            }
        }
    }
    b.resize(b.len().max(60), 0);
    b
}

/// `aa:bb:cc:dd:ee:ff` as bytes.
fn mac_bytes(mac: &str) -> Option<[u8; 6]> {
    let v: Vec<u8> = mac
        .split(':')
        .map(|h| u8::from_str_radix(h, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    v.try_into().ok()
}

/// Whether the host's stack behind `to` would take a forged ARP answer (IPv4) or neighbour
/// advertisement (IPv6) from `from` claiming `ip`: the answer reaches it, and the host has
/// no permanent entry for `ip` (a permanent entry is never replaced by what arrives).
pub(crate) fn host_believes(st: &SimState, from: &Endpoint, ip: IpAddr, to: &Endpoint) -> bool {
    let kind = if ip.is_ipv4() {
        FrameKind::Arp
    } else {
        FrameKind::Ipv6
    };
    // An advertisement comes from one of the sender's own IPv6 addresses.
    let own6 = st
        .find(&from.vnet, &from.ifname)
        .and_then(|i| st.ifaces.get(&i))
        .and_then(|i| i.inet6.first())
        .map(|a| IpAddr::V6(a.addr));
    let answer = Frame {
        kind,
        src_mac: None,
        src_ip: if kind == FrameKind::Ipv6 { own6 } else { None },
        claims: Some(ip),
    };
    let permanent = st
        .net(&to.vnet)
        .is_some_and(|n| n.neighbours.contains_key(&ip));
    !permanent && frame_reaches(st, from, &answer, to)
}

/// Whether a frame from `from` with source MAC `mac` makes the first bridge it enters
/// send `mac`'s traffic to `from` (learning happens before any filter): the port learns,
/// and `mac` has no static entry on that bridge.
pub(crate) fn takes_over_mac(st: &SimState, from: &Endpoint, mac: &str) -> bool {
    let Some(i) = st.find(&from.vnet, &from.ifname) else {
        return false;
    };
    let Some(mac) = crate::state::parse_mac(mac) else {
        return false;
    };
    // The port the frame enters by: the sender itself, or the far end of its cable.
    let port = match st.bridge_of(i) {
        Some(_) => Some(i),
        None => match st.ifaces.get(&i).map(|x| &x.kind) {
            Some(IfKind::Epair { peer }) => Some(*peer),
            _ => None,
        },
    };
    let Some((br, member)) = port.and_then(|p| st.bridge_of(p).map(|(b, m)| (b, m.clone()))) else {
        return false;
    };
    let pinned = st.fdb.get(&br).and_then(|t| t.get(&mac));
    member.flags & crate::ifconfig::bridge::IFBIF_LEARNING != 0 && pinned.is_none()
}

fn up(st: &SimState, i: u32) -> bool {
    st.ifaces.get(&i).is_some_and(|x| x.up && x.carrier)
}

fn hook_index(st: &SimState, node: u32, hook: &str) -> Option<u32> {
    let n = st.netgraph.nodes.get(&node)?;
    n.hooks.keys().position(|h| h == hook).map(|p| p as u32)
}

/// Whether a frame from interface `from` reaches the stack of `to`; `pkt` is what ng_bpf
/// programs on the way read (`None`: they let everything through).
fn reaches(st: &SimState, from: u32, to: u32, filter: &Filter<'_>, pkt: Option<&[u8]>) -> bool {
    if !up(st, from) || !up(st, to) {
        return false;
    }
    let mut seen: BTreeSet<Hop> = BTreeSet::new();
    let mut q: VecDeque<Hop> = VecDeque::from([Hop::Tx(from)]);
    while let Some(h) = q.pop_front() {
        if !seen.insert(h) {
            continue;
        }
        match h {
            Hop::Stack(i) if i == to => return true,
            Hop::Stack(_) => {}
            Hop::Tx(i) => {
                // A member's own traffic goes through its bridge (bridge_output).
                if let Some((br, _)) = st.bridge_of(i) {
                    q.push_back(Hop::Ingress(br, i));
                }
                q.push_back(Hop::WireOut(i));
            }
            Hop::WireOut(i) => {
                if !up(st, i) {
                    continue;
                }
                match st.ifaces.get(&i).map(|x| &x.kind) {
                    Some(IfKind::Epair { peer }) => q.push_back(Hop::Arrive(*peer)),
                    Some(IfKind::NgEth { node }) => {
                        if let Some(p) = st
                            .netgraph
                            .nodes
                            .get(node)
                            .and_then(|n| n.hooks.get("ether"))
                        {
                            if let Some(hi) = hook_index(st, p.node, &p.hook) {
                                q.push_back(Hop::Ng(p.node, hi));
                            }
                        }
                    }
                    Some(IfKind::Bridge { .. }) => {
                        // the bridge interface transmits to every member
                        q.push_back(Hop::Ingress(i, i));
                    }
                    _ => {
                        // a physical NIC with ng_ether: its upper hook takes the stack's frames
                        if let Some((n, hi)) = ether_hook(st, i, "upper") {
                            q.push_back(Hop::Ng(n, hi));
                        }
                    }
                }
            }
            Hop::Arrive(i) => {
                if !up(st, i) {
                    continue;
                }
                // ng_ether's input hook runs first: with `lower` connected, the frame
                // goes there instead.
                if let Some((n, hi)) = ether_hook(st, i, "lower") {
                    q.push_back(Hop::Ng(n, hi));
                    continue;
                }
                match st.bridge_of(i) {
                    Some((br, _)) => q.push_back(Hop::Ingress(br, i)),
                    None => q.push_back(Hop::Stack(i)),
                }
            }
            Hop::Ingress(br, port) => {
                if !up(st, br) {
                    continue;
                }
                let Some(IfKind::Bridge { members }) = st.ifaces.get(&br).map(|b| &b.kind) else {
                    continue;
                };
                let private_in = members
                    .iter()
                    .find(|m| m.index == port)
                    .is_some_and(|m| m.flags & IFBIF_PRIVATE != 0);
                if port != br && filter(br, port, true) {
                    q.push_back(Hop::Stack(br));
                }
                if port != br && !filter(br, port, false) {
                    continue;
                }
                for m in members {
                    if m.index == port || !up(st, m.index) {
                        continue;
                    }
                    if private_in && m.flags & IFBIF_PRIVATE != 0 {
                        continue;
                    }
                    q.push_back(Hop::WireOut(m.index));
                }
            }
            Hop::Ng(node, hook) => ng_forward(st, node, hook, pkt, &mut q),
        }
    }
    false
}

/// The ng_ether node of interface `i` and the index of its connected hook `name`.
fn ether_hook(st: &SimState, i: u32, name: &str) -> Option<(u32, u32)> {
    let (id, n) = st
        .netgraph
        .nodes
        .iter()
        .find(|(_, n)| n.kind == "ether" && n.iface == Some(i))?;
    let p = n.hooks.get(name)?;
    Some((p.node, hook_index(st, p.node, &p.hook)?)).filter(|_| *id != p.node)
}

fn ng_forward(st: &SimState, node: u32, hook: u32, pkt: Option<&[u8]>, q: &mut VecDeque<Hop>) {
    let Some(n) = st.netgraph.nodes.get(&node) else {
        return;
    };
    let Some((in_hook, _)) = n.hooks.iter().nth(hook as usize) else {
        return;
    };
    match n.kind.as_str() {
        "eiface" => {
            if let Some(i) = n.iface {
                q.push_back(Hop::Arrive(i));
            }
        }
        "ether" => {
            // Into `upper`: as if received by the NIC — its bridge takes it when it is a
            // member (ng_ether_rcv_upper), else its stack. Into `lower`: transmitted (an
            // epair end's frames arrive at its peer; a physical NIC's go to the LAN).
            let Some(i) = n.iface else { return };
            if in_hook == "upper" {
                match st.bridge_of(i) {
                    Some((br, _)) => q.push_back(Hop::Ingress(br, i)),
                    None => q.push_back(Hop::Stack(i)),
                }
            } else if in_hook == "lower" {
                if let Some(IfKind::Epair { peer }) = st.ifaces.get(&i).map(|x| &x.kind) {
                    q.push_back(Hop::Arrive(*peer));
                }
            }
        }
        "bpf" => {
            // The in-hook's program picks the out-hook; no program matches nothing.
            let prog = n.programs.get(in_hook.as_str());
            let matched = match (prog, pkt) {
                (Some(p), Some(bytes)) => crate::bpf::run(&p.prog, bytes) > 0,
                (Some(_), None) => true,
                (None, _) => false,
            };
            let out = prog.map(|p| {
                if matched {
                    &p.if_match
                } else {
                    &p.if_not_match
                }
            });
            if let Some(peer) = out.and_then(|h| n.hooks.get(h.as_str())) {
                if let Some(hi) = hook_index(st, peer.node, &peer.hook) {
                    q.push_back(Hop::Ng(peer.node, hi));
                }
            }
        }
        _ => {
            for (h, p) in &n.hooks {
                if h == in_hook {
                    continue;
                }
                if let Some(hi) = hook_index(st, p.node, &p.hook) {
                    q.push_back(Hop::Ng(p.node, hi));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Endpoint;
    use crate::SimHost;
    use jailnet_host::Invocation;

    fn jail_up(h: &mut SimHost, jail: &str, ifname: &str) {
        h.sh(
            "jail",
            &[
                "-c",
                &format!("name={jail}"),
                "vnet",
                "persist",
                &format!("vnet.interface={ifname}"),
            ],
        );
        let o = h.exec(&Invocation::new("ifconfig", [ifname, "up"]).in_jail(jail));
        assert_eq!(o.status, 0, "{}", o.stderr);
    }

    fn two_jails_on_a_bridge(private: bool) -> SimHost {
        let mut h = SimHost::fresh();
        h.sh("ifconfig", &["bridge", "create", "up"]);
        for _ in 0..2 {
            h.sh("ifconfig", &["epair", "create", "up"]);
        }
        for m in ["epair0a", "epair1a"] {
            let mut args = vec!["bridge0", "addm", m];
            if private {
                args.extend(["private", m]);
            }
            assert_eq!(h.sh("ifconfig", &args).status, 0);
        }
        jail_up(&mut h, "a", "epair0b");
        jail_up(&mut h, "b", "epair1b");
        h
    }

    #[test]
    fn jails_on_one_bridge_talk() {
        let h = two_jails_on_a_bridge(false);
        assert!(h.can_exchange_frames(
            &Endpoint::jail("a", "epair0b"),
            &Endpoint::jail("b", "epair1b")
        ));
        assert!(h.can_exchange_frames(&Endpoint::jail("a", "epair0b"), &Endpoint::host("bridge0")));
    }

    #[test]
    fn two_private_members_cannot_talk_but_reach_the_bridge() {
        // §2 PRIVATE [T]: private↔private blocked; the bridge's own address still reachable.
        let h = two_jails_on_a_bridge(true);
        assert!(!h.can_exchange_frames(
            &Endpoint::jail("a", "epair0b"),
            &Endpoint::jail("b", "epair1b")
        ));
        assert!(h.can_exchange_frames(&Endpoint::jail("a", "epair0b"), &Endpoint::host("bridge0")));
    }

    #[test]
    fn private_to_non_private_passes() {
        let mut h = two_jails_on_a_bridge(false);
        h.sh("ifconfig", &["bridge0", "private", "epair0a"]);
        assert!(h.can_exchange_frames(
            &Endpoint::jail("a", "epair0b"),
            &Endpoint::jail("b", "epair1b")
        ));
        h.sh("ifconfig", &["bridge0", "private", "epair1a"]);
        assert!(!h.can_exchange_frames(
            &Endpoint::jail("a", "epair0b"),
            &Endpoint::jail("b", "epair1b")
        ));
    }

    #[test]
    fn down_ports_and_wrong_vnets_break_the_path() {
        let mut h = two_jails_on_a_bridge(false);
        // the endpoint must be named in the vnet it lives in
        assert!(!h.can_exchange_frames(&Endpoint::host("epair0b"), &Endpoint::jail("b", "epair1b")));
        h.sh("ifconfig", &["epair1a", "down"]);
        assert!(!h.can_exchange_frames(
            &Endpoint::jail("a", "epair0b"),
            &Endpoint::jail("b", "epair1b")
        ));
        h.sh("ifconfig", &["epair1a", "up"]);
        h.sh("ifconfig", &["bridge0", "down"]);
        assert!(!h.can_exchange_frames(
            &Endpoint::jail("a", "epair0b"),
            &Endpoint::jail("b", "epair1b")
        ));
    }

    #[test]
    fn netgraph_bridge_connects_eifaces() {
        let mut h = SimHost::fresh();
        for a in [
            &["mkpeer", "eiface", "ether", "ether"][..],
            &["mkpeer", "eiface", "ether", "ether"],
            &["mkpeer", "ngeth0:", "bridge", "ether", "link0"],
            &["name", "ngeth0:ether", "br0"],
            &["connect", "br0:", "ngeth1:", "link1", "ether"],
        ] {
            assert_eq!(h.sh("ngctl", a).status, 0, "{a:?}");
        }
        h.sh("ifconfig", &["ngeth0", "up"]);
        jail_up(&mut h, "t1", "ngeth1");
        assert!(h.can_exchange_frames(&Endpoint::host("ngeth0"), &Endpoint::jail("t1", "ngeth1")));
        h.sh("ngctl", &["rmhook", "br0:", "link1"]);
        assert!(!h.can_exchange_frames(&Endpoint::host("ngeth0"), &Endpoint::jail("t1", "ngeth1")));
    }
}
