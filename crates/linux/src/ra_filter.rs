//! Router advertisements kept from links: a `clsact` qdisc on each whose egress runs the
//! filters of one shared tc block, holding one classic BPF filter in direct-action mode
//! (`cls_bpf`) that drops every ICMPv6 router advertisement. Put on a jail NIC's host end
//! (the bridge port), it keeps advertisements (the switch's own and any other jail's)
//! from a NIC that did not ask for SLAAC: rtnetlink requests in the host's batch instead
//! of `accept_ra`/`autoconf` writes under `/proc/sys` inside the jail, a path walk whose
//! first step compares against every namespace's `/proc/sys/net` (O(N) per NIC). The
//! qdisc dies with its link, the block and its filter with the last qdisc using it.
//!
//! The program follows up to [`EXT_HOPS`] hop-by-hop, routing and destination-options
//! headers to the ICMPv6 header (the kernel accepts an advertisement behind them; a
//! fragmented one it ignores, RFC 6980); a longer chain of those headers is dropped as
//! well. Everything else passes on to any further filter (`TC_ACT_UNSPEC`).

use netlink_packet_core::{DefaultNla, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::tc::{
    TcAttribute, TcBpfFlags, TcFilterBpfOption, TcHandle, TcHeader, TcMessage, TcOption,
};
use netlink_packet_route::RouteNetlinkMessage;

use crate::conn::Request;
use jailnet_plan::bpf::{assemble, Insn, Op, To};
use jailnet_plan::bpf::{ADD_K, ADD_X, LDX_IMM, LD_B_ABS, LD_B_IND, LD_H_ABS, LD_MEM, LSH_K};
use jailnet_plan::bpf::{RET_K, ST, TAX};

/// Extension headers the program walks before it gives up (and drops).
pub const EXT_HOPS: usize = 3;

const ETH_P_IPV6: u16 = 0x86dd;
const IPPROTO_HOPOPTS: u32 = 0;
const IPPROTO_ROUTING: u32 = 43;
const IPPROTO_DSTOPTS: u32 = 60;
const IPPROTO_ICMPV6: u32 = 58;
const ND_ROUTER_ADVERT: u32 = 134;
/// Ethernet header + fixed IPv6 header: where the first header after it starts.
const AFTER_IPV6: u32 = 14 + 40;
const TC_ACT_SHOT: u32 = 2;
const TC_ACT_UNSPEC: u32 = u32::MAX;
const TCA_BPF_OPS_LEN: u16 = 4;
const TCA_BPF_OPS: u16 = 5;
/// The filter's preference (`tc … pref`).
const PREF: u32 = 1;
const TCA_EGRESS_BLOCK: u16 = 14;
/// The shared tc block holding the filter (`tc filter show block 1785623137`): one
/// program for all NICs, so a NIC costs one qdisc, not a program compiled for it.
pub const BLOCK: u32 = u32::from_be_bytes(*b"jnra");

// Labels of the program.
const ICMP: To = To::Label(0);
const DROP: To = To::Label(1);
const PASS: To = To::Label(2);
/// The label of the walk over extension header `hop`.
fn ext(hop: usize) -> To {
    To::Label(10 + hop as u16)
}

/// The program: frames start at the Ethernet header (egress). Its jumps are short and
/// fixed (a unit test assembles it); were one out of reach, the program would be empty
/// and the kernel would refuse the filter.
pub fn program() -> Vec<Insn> {
    use Op::{Jeq, Stmt};
    let mut ops = vec![
        Stmt(LD_H_ABS, 12),
        Jeq(u32::from(ETH_P_IPV6), To::Next, PASS),
        // A = next header, X = where that header starts.
        Stmt(LD_B_ABS, 14 + 6),
        Stmt(LDX_IMM, AFTER_IPV6),
    ];
    for hop in 0..=EXT_HOPS {
        let last = hop == EXT_HOPS;
        // An extension header after the last one walked is dropped.
        let next = if last { DROP } else { ext(hop) };
        ops.extend([
            Jeq(IPPROTO_ICMPV6, ICMP, To::Next),
            Jeq(IPPROTO_HOPOPTS, next, To::Next),
            Jeq(IPPROTO_ROUTING, next, To::Next),
            Jeq(IPPROTO_DSTOPTS, next, PASS),
        ]);
        if !last {
            ops.extend([
                Op::label(ext(hop)),
                // A = its next header (kept in M[0]); X += (its length + 1) * 8.
                Stmt(LD_B_IND, 0),
                Stmt(ST, 0),
                Stmt(LD_B_IND, 1),
                Stmt(ADD_K, 1),
                Stmt(LSH_K, 3),
                Stmt(ADD_X, 0),
                Stmt(TAX, 0),
                Stmt(LD_MEM, 0),
            ]);
        }
    }
    ops.extend([
        Op::label(ICMP),
        Stmt(LD_B_IND, 0),
        Jeq(ND_ROUTER_ADVERT, DROP, PASS),
        Op::label(DROP),
        Stmt(RET_K, TC_ACT_SHOT),
        Op::label(PASS),
        Stmt(RET_K, TC_ACT_UNSPEC),
    ]);
    assemble(&ops).unwrap_or_default()
}

/// The program as `struct sock_filter[]` bytes (native endian, as the kernel reads them).
fn program_bytes(prog: &[Insn]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prog.len() * 8);
    for i in prog {
        out.extend_from_slice(&i.code.to_ne_bytes());
        out.extend([i.jt, i.jf]);
        out.extend_from_slice(&i.k.to_ne_bytes());
    }
    out
}

impl<'a> Request<'a> {
    /// `tc qdisc add dev INDEX clsact egress_block BLOCK`: the link's egress runs the
    /// filters of shared block [`BLOCK`] (made with the first such qdisc, freed with the
    /// last).
    pub fn join_ra_block(index: u32) -> Request<'a> {
        let msg = tc_message(
            index,
            TcHandle {
                major: u16::MAX,
                minor: 0,
            },
            TcHandle::CLSACT,
            0,
            vec![
                TcAttribute::Kind("clsact".into()),
                TcAttribute::Other(DefaultNla::new(
                    TCA_EGRESS_BLOCK,
                    BLOCK.to_ne_bytes().to_vec(),
                )),
            ],
        );
        Request::new(
            RouteNetlinkMessage::NewQueueDiscipline(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            format!("add qdisc clsact egress_block {BLOCK} to link #{index}"),
        )
    }

    /// `tc filter add block BLOCK protocol ipv6 pref 1 handle 1 bpf da …`: drop router
    /// advertisements. `EEXIST` when the block has it already.
    pub fn add_ra_drop() -> Request<'a> {
        let prog = program();
        let opts = vec![
            TcFilterBpfOption::Other(DefaultNla::new(
                TCA_BPF_OPS_LEN,
                (prog.len() as u16).to_ne_bytes().to_vec(),
            )),
            TcFilterBpfOption::Other(DefaultNla::new(TCA_BPF_OPS, program_bytes(&prog))),
            TcFilterBpfOption::Flags(TcBpfFlags::DirectAction),
        ];
        let msg = tc_message(
            TcHeader::TCM_IFINDEX_MAGIC_BLOCK,
            // A fixed handle: a second add finds it (EEXIST) instead of adding a copy.
            TcHandle::from(1),
            TcHandle::from(BLOCK),
            // Preference in the upper half, protocol (network order) in the lower.
            (PREF << 16) | u32::from(ETH_P_IPV6.to_be()),
            vec![
                TcAttribute::Kind("bpf".into()),
                TcAttribute::Options(opts.into_iter().map(TcOption::Bpf).collect()),
            ],
        );
        Request::new(
            RouteNetlinkMessage::NewTrafficFilter(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            format!("add filter (drop router advertisements) to block {BLOCK}"),
        )
    }
}

fn tc_message(
    index: u32,
    handle: TcHandle,
    parent: TcHandle,
    info: u32,
    attributes: Vec<TcAttribute>,
) -> TcMessage {
    let mut msg = TcMessage::default();
    msg.header = TcHeader {
        index: index as i32,
        handle,
        parent,
        info,
        ..TcHeader::default()
    };
    msg.attributes = attributes;
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_plan::bpf::JEQ_K;

    /// A classic BPF interpreter for the instructions [`program`] uses: the return
    /// value, or 0 when a load runs past the frame (as the kernel does).
    fn run(prog: &[Insn], frame: &[u8]) -> u32 {
        let (mut a, mut x, mut mem, mut pc) = (0u32, 0u32, 0u32, 0usize);
        loop {
            let i = prog[pc];
            pc += 1;
            let byte = |off: u32| frame.get(off as usize).copied().map(u32::from);
            match i.code {
                LD_H_ABS => match (byte(i.k), byte(i.k + 1)) {
                    (Some(h), Some(l)) => a = (h << 8) | l,
                    _ => return 0,
                },
                LD_B_ABS => match byte(i.k) {
                    Some(b) => a = b,
                    None => return 0,
                },
                LD_B_IND => match byte(x + i.k) {
                    Some(b) => a = b,
                    None => return 0,
                },
                LD_MEM => a = mem,
                LDX_IMM => x = i.k,
                ST => mem = a,
                ADD_K => a = a.wrapping_add(i.k),
                ADD_X => a = a.wrapping_add(x),
                LSH_K => a <<= i.k,
                TAX => x = a,
                JEQ_K => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
                RET_K => return i.k,
                other => panic!("unexpected opcode {other:#x}"),
            }
        }
    }

    /// Ethernet + IPv6 with `chain` extension headers (type, 8-octet units after the
    /// first 8) before `last`, whose first payload byte is `first`.
    fn frame(chain: &[(u8, u8)], last: u8, first: u8) -> Vec<u8> {
        let mut f = vec![0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        let next = chain.first().map_or(last, |c| c.0);
        f.extend([0x60, 0, 0, 0, 0, 64, next, 255]);
        f.extend([0u8; 32]);
        for (n, (_, len)) in chain.iter().enumerate() {
            let next = chain.get(n + 1).map_or(last, |c| c.0);
            let mut h = vec![next, *len];
            h.resize(8 * (usize::from(*len) + 1), 1);
            f.extend(h);
        }
        f.extend([first, 0, 0, 0, 64, 0, 0, 0]);
        f
    }

    #[test]
    fn router_advertisements_are_dropped_behind_up_to_three_extension_headers() {
        let p = program();
        assert_eq!(p.last().map(|i| i.code), Some(RET_K));
        let shot = TC_ACT_SHOT;
        assert_eq!(run(&p, &frame(&[], 58, 134)), shot);
        assert_eq!(run(&p, &frame(&[(0, 0)], 58, 134)), shot);
        assert_eq!(run(&p, &frame(&[(0, 1), (60, 2)], 58, 134)), shot);
        assert_eq!(run(&p, &frame(&[(0, 0), (43, 3), (60, 0)], 58, 134)), shot);
        // A fourth extension header: given up on, dropped.
        assert_eq!(
            run(&p, &frame(&[(0, 0), (60, 0), (60, 0), (60, 0)], 58, 128)),
            shot
        );
    }

    #[test]
    fn everything_else_passes() {
        let p = program();
        let pass = TC_ACT_UNSPEC;
        // Echo request, neighbour solicitation/advertisement, router solicitation.
        for t in [128, 129, 133, 135, 136] {
            assert_eq!(run(&p, &frame(&[], 58, t)), pass, "icmpv6 type {t}");
            assert_eq!(run(&p, &frame(&[(0, 0)], 58, t)), pass, "icmpv6 type {t}");
        }
        // UDP and TCP, also behind options; a fragment header ends the walk.
        assert_eq!(run(&p, &frame(&[], 17, 134)), pass);
        assert_eq!(run(&p, &frame(&[(60, 1)], 6, 134)), pass);
        assert_eq!(run(&p, &frame(&[(44, 0)], 58, 134)), pass);
        // IPv4 and ARP.
        let mut v4 = frame(&[], 58, 134);
        v4[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(run(&p, &v4), pass);
        v4[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(run(&p, &v4), pass);
        // Cut short: the kernel's "load out of bounds" returns 0 (TC_ACT_OK, passes).
        assert_eq!(run(&p, &frame(&[], 58, 134)[..40]), 0);
    }

    #[test]
    fn every_jump_lands_inside_the_program() {
        let p = program();
        for (i, insn) in p.iter().enumerate() {
            if insn.code == JEQ_K {
                for off in [insn.jt, insn.jf] {
                    assert!(i + 1 + usize::from(off) < p.len(), "insn {i}: {insn:?}");
                }
            }
        }
        assert_eq!(program_bytes(&p).len(), p.len() * 8);
    }
}
