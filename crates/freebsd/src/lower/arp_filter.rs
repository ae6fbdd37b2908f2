//! Neighbour-answer inspection for secure NICs: an ng_bpf(4) node spliced between the
//! bridge port's ng_ether(4) `lower` and `upper` hooks, so every frame the jail sends passes
//! a BPF program before if_bridge sees it — the part of a guard ipfw cannot do (it reads
//! no ARP payload and no ICMPv6 target), and what the Linux backend's `arp saddr` and
//! neighbour-advertisement rules do.
//!
//! ```text
//! ngctl -f -                                  (one process per secure NIC)
//!   mkpeer P: bpf lower in                    frames from the jail go to the filter…
//!   name P:lower jnarp_P
//!   connect P: jnarp_P: upper out             …and on into if_bridge (ng_ether's upper
//!                                             hook hands them to the bridge, §5)
//!   msg jnarp_P: setprogram { thisHook="out" ifMatch="in" … ret #65535 }   (the host's
//!                                             own frames on P, untouched)
//!   msg jnarp_P: setprogram { thisHook="in" ifMatch="out" … }   (the checks below)
//! ```
//!
//! - ARP passes only as Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4), with the
//!   NIC's MAC as sender hardware address and one of its IPv4 addresses, or 0.0.0.0 (an
//!   RFC 5227 probe), as sender protocol address.
//! - An IPv6 neighbour advertisement passes only for one of the NIC's IPv6 addresses or a
//!   link-local one. Classic BPF cannot walk extension headers, so frames whose first
//!   extension header is a routing or destination-options header, or a hop-by-hop header
//!   longer than 8 bytes, are dropped, and an advertisement behind an 8-byte hop-by-hop
//!   header too (MLD reports, which carry one, pass).
//! - Every other frame passes on to the guard's ipfw rules.
//!
//! ng_ether's input hook runs before if_bridge's (`ether_input`), so a forged answer never
//! reaches the bridge, the host or another jail. Until the `in` program is set the hook's
//! default program matches nothing: the jail's frames are dropped for that moment, never
//! let through unchecked. Removal is one `ngctl shutdown jnarp_P:` (ng_ether's hooks come
//! back unconnected and frames flow straight to the bridge again); the node also goes by
//! itself when the port is destroyed (an ng_bpf node without hooks shuts down).

use super::netgraph::ether_node;
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_model::net::Mac;
use jailnet_plan::bpf::{assemble, stmt, Insn, Op, To};
use jailnet_plan::bpf::{AND_K, LD_B_ABS, LD_H_ABS, LD_W_ABS, RET_K};
use jailnet_plan::Resource;
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The prefix of jailnet's filter node names.
pub const PREFIX: &str = "jnarp_";

/// A frame length larger than any frame: "match, keep all of it".
const ACCEPT_LEN: u32 = 65535;

/// The filter node of bridge port `port` (ng_ether names nodes after interfaces with `.`
/// and `:` as `_`; node names hold at most 31 characters, a port name 15).
pub fn node_name(port: &str) -> String {
    format!("{PREFIX}{}", ether_node(port))
}

/// Whether guard `r` gets a filter: its NIC has addresses (without any, the guard's ipfw
/// rules admit no frame at all).
pub fn wanted(r: &Resource) -> bool {
    matches!(r, Resource::Guard { addrs, .. } if !addrs.is_empty())
}

// Labels.
const DROP: To = To::Label(0);
const ACCEPT: To = To::Label(1);
const ARP: To = To::Label(2);
const V6: To = To::Label(3);
const HBH: To = To::Label(4);
const ICMP6: To = To::Label(5);
/// The label after the checks of IPv6 address `i`.
fn after_v6(i: usize) -> To {
    To::Label(100 + i as u16)
}

/// The program for frames from the jail (hook `in`): the checks described above.
pub fn program(mac: &Mac, v4: &[Ipv4Addr], v6: &[Ipv6Addr]) -> Result<Vec<Insn>, String> {
    use Op::{Jeq, Stmt};
    let label = Op::label;
    let m = mac.0;
    let mut senders: Vec<u32> = v4.iter().map(|a| u32::from(*a)).collect();
    senders.push(0);
    senders.sort_unstable();
    senders.dedup();
    let mut ops = vec![
        Stmt(LD_H_ABS, 12),
        Jeq(0x0806, ARP, To::Next),
        Jeq(0x86dd, V6, ACCEPT),
        label(ARP),
        Stmt(LD_W_ABS, 14),
        Jeq(0x0001_0800, To::Next, DROP), // htype 1, ptype IPv4
        Stmt(LD_H_ABS, 18),
        Jeq(0x0604, To::Next, DROP), // hlen 6, plen 4
        Stmt(LD_W_ABS, 22),
        Jeq(u32::from_be_bytes([m[0], m[1], m[2], m[3]]), To::Next, DROP), // sender MAC
        Stmt(LD_H_ABS, 26),
        Jeq(u32::from(u16::from_be_bytes([m[4], m[5]])), To::Next, DROP),
        Stmt(LD_W_ABS, 28), // sender IP
    ];
    ops.extend(senders.iter().map(|s| Jeq(*s, ACCEPT, To::Next)));
    ops.extend([
        Stmt(RET_K, 0),
        label(V6),
        Stmt(LD_B_ABS, 20), // next header
        Jeq(58, ICMP6, To::Next),
        Jeq(0, HBH, To::Next),
        Jeq(43, DROP, To::Next),
        Jeq(60, DROP, ACCEPT),
        label(HBH),
        Stmt(LD_B_ABS, 55), // its length, in 8 bytes beyond the first 8
        Jeq(0, To::Next, DROP),
        Stmt(LD_B_ABS, 54),
        Jeq(58, To::Next, ACCEPT),
        Stmt(LD_B_ABS, 62),
        Jeq(136, DROP, ACCEPT),
        label(ICMP6),
        Stmt(LD_B_ABS, 54), // ICMPv6 type
        Jeq(136, To::Next, ACCEPT),
        Stmt(LD_H_ABS, 62), // target: link-local?
        Stmt(AND_K, 0xffc0),
        Jeq(0xfe80, ACCEPT, To::Next),
    ]);
    for (i, a) in v6.iter().enumerate() {
        let o = a.octets();
        let next = after_v6(i);
        for (w, at) in [62u32, 66, 70, 74].into_iter().enumerate() {
            let word = u32::from_be_bytes([o[4 * w], o[4 * w + 1], o[4 * w + 2], o[4 * w + 3]]);
            ops.push(Stmt(LD_W_ABS, at));
            ops.push(Jeq(word, if w == 3 { ACCEPT } else { To::Next }, next));
        }
        ops.push(label(next));
    }
    ops.extend([
        label(DROP),
        Stmt(RET_K, 0),
        label(ACCEPT),
        Stmt(RET_K, ACCEPT_LEN),
    ]);
    assemble(&ops).map_err(|_| "too many addresses for one filter program".to_string())
}

/// ng_bpf's ASCII form of a hook program.
pub fn setprogram(this: &str, if_match: &str, prog: &[Insn]) -> String {
    let mut s = format!(
        "setprogram {{ thisHook=\"{this}\" ifMatch=\"{if_match}\" bpf_prog_len={} bpf_prog=[",
        prog.len()
    );
    for i in prog {
        let _ = write!(
            s,
            " {{ code={} jt={} jf={} k={} }}",
            i.code, i.jt, i.jf, i.k
        );
    }
    s.push_str(" ] }");
    s
}

/// The `ngctl -f -` script that splices the filter of guard `r` into its port.
pub fn script(r: &Resource) -> Result<Option<String>, String> {
    let Resource::Guard {
        port, mac, addrs, ..
    } = r
    else {
        return Ok(None);
    };
    if !wanted(r) {
        return Ok(None);
    }
    let (mut v4, mut v6): (Vec<Ipv4Addr>, Vec<Ipv6Addr>) = (Vec::new(), Vec::new());
    for a in addrs {
        match a {
            IpAddr::V4(v) => v4.push(*v),
            IpAddr::V6(v) => v6.push(*v),
        }
    }
    let (eth, node) = (ether_node(port.as_str()), node_name(port.as_str()));
    let pass_all = [stmt(RET_K, ACCEPT_LEN)];
    Ok(Some(format!(
        "mkpeer {eth}: bpf lower in\nname {eth}:lower {node}\nconnect {eth}: {node}: upper out\n\
         msg {node}: {}\nmsg {node}: {}\n",
        setprogram("out", "in", &pass_all),
        setprogram("in", "out", &program(mac, &v4, &v6)?),
    )))
}

/// The step that splices the filter in (undone by [`remove`]).
pub fn create(r: &Resource) -> Result<Option<Step>, String> {
    let Resource::Guard { port, .. } = r else {
        return Ok(None);
    };
    Ok(script(r)?.map(|text| {
        Step::new(Invocation::new("ngctl", ["-f", "-"]).with_stdin(text))
            .undo(remove(port.as_str()))
    }))
}

/// `ngctl shutdown jnarp_P:`.
pub fn remove(port: &str) -> Invocation {
    Invocation::new("ngctl", ["shutdown", &format!("{}:", node_name(port))])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x23, 0x42, 0x03];

    fn eth(ethertype: u16) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend(MAC);
        f.extend(ethertype.to_be_bytes());
        f
    }

    fn arp(htype: u16, sha: [u8; 6], spa: [u8; 4]) -> Vec<u8> {
        let mut f = eth(0x0806);
        f.extend(htype.to_be_bytes());
        f.extend([0x08, 0x00, 6, 4, 0, 2]);
        f.extend(sha);
        f.extend(spa);
        f.extend([0; 10]);
        f
    }

    /// An IPv6 frame: `hdrs` are (next header, bytes) of extension headers, then an
    /// upper-layer protocol `proto` with `payload`.
    fn v6(hdrs: &[(u8, Vec<u8>)], proto: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = eth(0x86dd);
        let first = hdrs.first().map_or(proto, |h| h.0);
        f.extend([0x60, 0, 0, 0, 0, 0, first, 255]);
        f.extend([0xfd, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66]);
        f.extend([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        for (i, (_, bytes)) in hdrs.iter().enumerate() {
            let next = hdrs.get(i + 1).map_or(proto, |h| h.0);
            let mut b = bytes.clone();
            b[0] = next;
            f.extend(b);
        }
        f.extend(payload);
        f.resize(f.len().max(60), 0);
        f
    }

    fn icmp6(kind: u8, target: &str) -> Vec<u8> {
        let mut p = vec![kind, 0, 0, 0, 0x20, 0, 0, 0];
        p.extend(target.parse::<Ipv6Addr>().unwrap().octets());
        p
    }

    #[test]
    fn the_program_passes_only_the_nics_own_neighbour_answers() {
        let mac = Mac(MAC);
        let prog = program(
            &mac,
            &["10.1.1.2".parse().unwrap()],
            &["fd00:7::66".parse().unwrap()],
        )
        .unwrap();
        // What ngctl is sent parses and passes bpf_validate in the simulator; run it there.
        let text = setprogram("in", "out", &prog);
        let words: Vec<&str> = text.split_whitespace().skip(1).collect();
        let (hook, parsed) = jailnet_freebsd_sim::bpf::parse_setprogram(&words).unwrap();
        assert_eq!((hook.as_str(), parsed.if_match.as_str()), ("in", "out"));
        let passes = |f: &[u8]| jailnet_freebsd_sim::bpf::run(&parsed.prog, f) > 0;

        // ARP: only the NIC's own MAC and address (or a probe from 0.0.0.0).
        assert!(passes(&arp(1, MAC, [10, 1, 1, 2])));
        assert!(passes(&arp(1, MAC, [0, 0, 0, 0])));
        assert!(!passes(&arp(1, MAC, [10, 1, 1, 3])), "another's address");
        assert!(
            !passes(&arp(1, [2, 0, 0, 0, 0, 9], [10, 1, 1, 2])),
            "another MAC"
        );
        assert!(!passes(&arp(6, MAC, [10, 1, 1, 2])), "not Ethernet");
        // Neighbour advertisements: the NIC's own address or a link-local one.
        let na = |t: &str| v6(&[], 58, &icmp6(136, t));
        assert!(passes(&na("fd00:7::66")));
        assert!(passes(&na("fe80::1")));
        assert!(!passes(&na("fd00:7::10")), "another's address");
        assert!(
            passes(&v6(&[], 58, &icmp6(135, "fd00:7::10"))),
            "a solicitation"
        );
        // Behind extension headers: an 8-byte hop-by-hop header (MLD) is read through.
        let hbh = |len: u8| {
            (
                0u8,
                [
                    vec![0, len, 5, 2, 0, 0, 1, 0],
                    vec![0; 8 * usize::from(len)],
                ]
                .concat(),
            )
        };
        assert!(passes(&v6(&[hbh(0)], 58, &icmp6(143, "ff02::16"))), "MLD");
        assert!(!passes(&v6(&[hbh(0)], 58, &icmp6(136, "fd00:7::10"))));
        assert!(
            !passes(&v6(&[hbh(1)], 17, &[0; 8])),
            "a longer hop-by-hop header"
        );
        assert!(!passes(&v6(
            &[(43, vec![0; 8])],
            58,
            &icmp6(136, "fd00:7::10")
        )));
        assert!(passes(&v6(&[hbh(0)], 17, &[0; 8])), "UDP behind hop-by-hop");
        // Everything else goes on to ipfw.
        assert!(passes(&v6(&[], 17, &[0; 8])));
        assert!(passes(&eth(0x0800)));
        assert!(passes(&eth(0x88b5)));
        assert!(
            !passes(&eth(0x0806)[..13]),
            "a frame too short to read is dropped"
        );
    }

    #[test]
    fn a_program_with_jumps_too_far_for_a_byte_is_refused() {
        let v6: Vec<Ipv6Addr> = (0..40u16)
            .map(|i| Ipv6Addr::new(0xfd00, 7, 0, 0, 0, 0, 0, i))
            .collect();
        assert!(program(&Mac(MAC), &[], &v6[..20]).is_ok());
        let e = program(&Mac(MAC), &[], &v6).unwrap_err();
        assert!(e.contains("too many addresses"), "{e}");
    }

    #[test]
    fn guards_without_addresses_get_no_filter_and_the_script_names_the_node() {
        let g = super::super::guard::tests::guard;
        assert!(script(&g(&[])).unwrap().is_none());
        let s = script(&g(&["10.1.1.2", "fd00::2"])).unwrap().unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "mkpeer www-vnet0: bpf lower in");
        assert_eq!(lines[1], "name www-vnet0:lower jnarp_www-vnet0");
        assert_eq!(lines[2], "connect www-vnet0: jnarp_www-vnet0: upper out");
        assert_eq!(
            lines[3],
            "msg jnarp_www-vnet0: setprogram { thisHook=\"out\" ifMatch=\"in\" bpf_prog_len=1 \
             bpf_prog=[ { code=6 jt=0 jf=0 k=65535 } ] }"
        );
        assert!(lines[4].starts_with(
            "msg jnarp_www-vnet0: setprogram { thisHook=\"in\" ifMatch=\"out\" bpf_prog_len="
        ));
        assert_eq!(node_name("em0.101"), "jnarp_em0_101");
    }
}
