//! ARP inspection for secure NICs: an ng_bpf(4) node spliced between the bridge port's
//! ng_ether(4) `lower` and `upper` hooks, so every frame the jail sends passes a BPF
//! program before if_bridge sees it — the part of a guard ipfw cannot do (it reads no ARP
//! payload), and what the Linux backend's `arp saddr` rules do.
//!
//! ```text
//! ngctl -f -                                  (one process per secure NIC)
//!   mkpeer P: bpf lower in                    frames from the jail go to the filter…
//!   name P:lower jnarp_P
//!   connect P: jnarp_P: upper out             …and on into if_bridge (ng_ether's upper
//!                                             hook hands them to the bridge, §5)
//!   msg jnarp_P: setprogram { thisHook="out" ifMatch="in" … ret #65535 }   (the host's
//!                                             own frames on P, untouched)
//!   msg jnarp_P: setprogram { thisHook="in" ifMatch="out" … }   (the check below)
//! ```
//!
//! An ARP frame passes only as Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4),
//! with the NIC's MAC as sender hardware address and one of its IPv4 addresses, or
//! 0.0.0.0 (an RFC 5227 probe), as sender protocol address; every other frame passes on
//! to the guard's ipfw rules. ng_ether's input hook runs before if_bridge's
//! (`ether_input`), so a forged answer never reaches the bridge, the host or another jail.
//! Until the `in` program is set the hook's default program matches nothing: the jail's
//! frames are dropped for that moment, never let through unchecked. Removal is one
//! `ngctl shutdown jnarp_P:` (ng_ether's hooks come back unconnected and frames flow
//! straight to the bridge again); the node also goes by itself when the port is destroyed
//! (an ng_bpf node without hooks shuts down).

use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_model::net::Mac;
use jailnet_plan::Resource;
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

/// The prefix of jailnet's filter node names.
pub const PREFIX: &str = "jnarp_";

/// A frame length larger than any frame: "match, keep all of it".
const ACCEPT: u32 = 65535;

/// One classic BPF instruction, as ng_bpf's `setprogram` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Classic BPF opcodes (bpf.h).
const LD_W_ABS: u16 = 0x20;
const LD_H_ABS: u16 = 0x28;
const JEQ_K: u16 = 0x15;
const RET_K: u16 = 0x06;

/// The filter node of bridge port `port` (ng_ether names nodes after interfaces with `.`
/// and `:` as `_`; node names hold at most 31 characters, a port name 15).
pub fn node_name(port: &str) -> String {
    format!("{PREFIX}{}", ether_node(port))
}

/// The ng_ether node name of interface `port`.
fn ether_node(port: &str) -> String {
    port.replace(['.', ':'], "_")
}

/// Whether guard `r` gets a filter: its NIC has IPv4 addresses (without any, the guard's
/// ipfw rules admit no ARP frame at all).
pub fn wanted(r: &Resource) -> bool {
    matches!(r, Resource::Guard { addrs, .. } if addrs.iter().any(IpAddr::is_ipv4))
}

/// The program for frames from the jail (hook `in`): ARP only as described above.
pub fn program(mac: &Mac, v4: &[Ipv4Addr]) -> Vec<Insn> {
    let m = mac.0;
    let mut senders: Vec<u32> = v4.iter().map(|a| u32::from(*a)).collect();
    senders.push(0);
    senders.sort_unstable();
    senders.dedup();
    // Checks before the address list; a failed check jumps to the drop (second to last),
    // the address list's matches to the accept (last).
    let checks: [(u16, u32, u32); 5] = [
        (LD_W_ABS, 14, 0x0001_0800), // htype, ptype
        (LD_H_ABS, 18, 0x0604),      // hlen, plen
        (LD_W_ABS, 22, u32::from_be_bytes([m[0], m[1], m[2], m[3]])), // sha[0..4]
        (LD_H_ABS, 26, u32::from(u16::from_be_bytes([m[4], m[5]]))), // sha[4..6]
        (LD_W_ABS, 28, 0),           // spa (loaded)
    ];
    let n = 2 + 2 * 4 + 1 + senders.len() + 2;
    let mut p: Vec<Insn> = Vec::with_capacity(n);
    let drop = n - 2;
    let accept = n - 1;
    let to = |from: usize, target: usize| (target - from - 1) as u8;
    p.push(insn(LD_H_ABS, 12));
    // Not ARP: straight to the accept.
    p.push(Insn {
        code: JEQ_K,
        jt: 0,
        jf: to(1, accept),
        k: 0x0806,
    });
    for (code, off, want) in &checks[..4] {
        p.push(insn(*code, *off));
        let at = p.len();
        p.push(Insn {
            code: JEQ_K,
            jt: 0,
            jf: to(at, drop),
            k: *want,
        });
    }
    p.push(insn(checks[4].0, checks[4].1));
    for s in &senders {
        let at = p.len();
        p.push(Insn {
            code: JEQ_K,
            jt: to(at, accept),
            jf: 0,
            k: *s,
        });
    }
    p.push(Insn {
        code: RET_K,
        jt: 0,
        jf: 0,
        k: 0,
    });
    p.push(Insn {
        code: RET_K,
        jt: 0,
        jf: 0,
        k: ACCEPT,
    });
    p
}

fn insn(code: u16, k: u32) -> Insn {
    Insn {
        code,
        jt: 0,
        jf: 0,
        k,
    }
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
pub fn script(r: &Resource) -> Option<String> {
    let Resource::Guard {
        port, mac, addrs, ..
    } = r
    else {
        return None;
    };
    if !wanted(r) {
        return None;
    }
    let v4: Vec<Ipv4Addr> = addrs
        .iter()
        .filter_map(|a| match a {
            IpAddr::V4(v) => Some(*v),
            IpAddr::V6(_) => None,
        })
        .collect();
    let (eth, node) = (ether_node(port.as_str()), node_name(port.as_str()));
    let pass_all = [Insn {
        code: RET_K,
        jt: 0,
        jf: 0,
        k: ACCEPT,
    }];
    Some(format!(
        "mkpeer {eth}: bpf lower in\nname {eth}:lower {node}\nconnect {eth}: {node}: upper out\n\
         msg {node}: {}\nmsg {node}: {}\n",
        setprogram("out", "in", &pass_all),
        setprogram("in", "out", &program(mac, &v4)),
    ))
}

/// The step that splices the filter in (undone by [`remove`]).
pub fn create(r: &Resource) -> Option<Step> {
    let Resource::Guard { port, .. } = r else {
        return None;
    };
    let text = script(r)?;
    Some(
        Step::new(Invocation::new("ngctl", ["-f", "-"]).with_stdin(text))
            .undo(remove(port.as_str())),
    )
}

/// `ngctl shutdown jnarp_P:`.
pub fn remove(port: &str) -> Invocation {
    Invocation::new("ngctl", ["shutdown", &format!("{}:", node_name(port))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_model::names::IfName;

    #[test]
    fn the_program_checks_arp_sender_fields_and_passes_everything_else() {
        let mac: Mac = "02:00:5e:23:42:03".parse().unwrap();
        let p = program(&mac, &["10.1.1.2".parse().unwrap()]);
        let text: Vec<String> = p
            .iter()
            .map(|i| format!("{:#04x} {} {} {:#x}", i.code, i.jt, i.jf, i.k))
            .collect();
        assert_eq!(
            text,
            [
                "0x28 0 0 0xc",       // ldh [12]
                "0x15 0 12 0x806",    // ARP? else accept
                "0x20 0 0 0xe",       // ld [14]
                "0x15 0 9 0x10800",   // htype 1, ptype IPv4, else drop
                "0x28 0 0 0x12",      // ldh [18]
                "0x15 0 7 0x604",     // hlen 6, plen 4
                "0x20 0 0 0x16",      // ld [22]
                "0x15 0 5 0x2005e23", // sender MAC, first four bytes
                "0x28 0 0 0x1a",      // ldh [26]
                "0x15 0 3 0x4203",    // … last two
                "0x20 0 0 0x1c",      // ld [28]: sender IP
                "0x15 2 0 0x0",       // 0.0.0.0 (probe)
                "0x15 1 0 0xa010102", // 10.1.1.2
                "0x06 0 0 0x0",       // drop
                "0x06 0 0 0xffff",    // accept
            ]
        );
    }

    #[test]
    fn guards_without_ipv4_get_no_filter_and_the_script_names_the_node() {
        let g = |addrs: &[&str]| Resource::Guard {
            owner: "jail:www/vnet0".into(),
            port: IfName::new("www-vnet0").unwrap(),
            mac: "02:00:5e:23:42:03".parse().unwrap(),
            addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            bridge: None,
            neighbours: Vec::new(),
        };
        assert!(script(&g(&["fd00::2"])).is_none());
        let s = script(&g(&["10.1.1.2", "fd00::2"])).unwrap();
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
            "msg jnarp_www-vnet0: setprogram { thisHook=\"in\" ifMatch=\"out\" bpf_prog_len=15 "
        ));
        assert_eq!(node_name("em0.101"), "jnarp_em0_101");
    }
}
