//! Root-only test of who takes IPv6 router advertisements on Linux: on a switch whose
//! dnsmasq advertises for a SLAAC jail, another jail sends forged advertisements (a prefix with autoconfiguration and a default router),
//! plain and behind hop-by-hop and destination-options headers. The SLAAC jail takes all
//! three (the control: the forgeries are ones the kernel accepts); jails with static or
//! no IPv6 take none, neither an address nor a route, because their host ends drop
//! advertisements. `down` leaves no qdisc, filter or daemon behind. Not root (or no
//! dnsmasq) → `SKIP:`.

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use jailnet_linux::LinkRef;
use jailnet_model::net::Cidr;
use jailnet_plan::State;

mod util;
use util::frames::{icmpv6, send_frames, Ext};
use util::host::SandboxHost;
use util::pipeline::{down, up};

const CONFIG: &str = r#"
[switch.adv]
ifname = "jadv"
address = ["10.7.8.1/24", "fd00:8::1/64"]

[jail.rogue]
[[jail.rogue.nic]]
name = "vnet0"
switch = "adv"
ip4 = ["10.7.8.66/24"]
ip6 = ["fd00:8::66/64"]

[jail.taker]
[[jail.taker.nic]]
name = "vnet0"
switch = "adv"
ip4 = ["10.7.8.10/24"]
ip6 = ["slaac"]

[jail.fixed]
[[jail.fixed.nic]]
name = "vnet0"
switch = "adv"
ip4 = ["10.7.8.11/24"]
ip6 = ["fd00:8::11/64"]

[jail.plain]
[[jail.plain.nic]]
name = "vnet0"
switch = "adv"
ip4 = ["10.7.8.12/24"]
"#;

/// The advertised prefixes: one per way of sending.
fn prefix(n: u16) -> Cidr {
    Cidr {
        addr: Ipv6Addr::new(0xfd00, 0xba0 + n, 0, 0, 0, 0, 0, 0).into(),
        prefix: 64,
    }
}

/// A router advertisement (router lifetime 1800 s) with one prefix information option
/// (on-link, autonomous) for `prefix`, from `src_mac`/fe80::66 to all nodes, behind `exts`.
fn advert(src_mac: [u8; 6], prefix: Cidr, exts: &[Ext]) -> Vec<u8> {
    let std::net::IpAddr::V6(p) = prefix.addr else {
        unreachable!()
    };
    let mut icmp = vec![134, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&[3, 4, 64, 0xc0]);
    icmp.extend_from_slice(&3600u32.to_be_bytes());
    icmp.extend_from_slice(&1800u32.to_be_bytes());
    icmp.extend_from_slice(&[0; 4]);
    icmp.extend_from_slice(&p.octets());
    let all_nodes = [0x33, 0x33, 0, 0, 0, 1];
    let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x66);
    icmpv6(
        all_nodes,
        src_mac,
        src,
        "ff02::1".parse().unwrap(),
        exts,
        icmp,
    )
}

/// `RTPROT_RA`: a route the kernel made from a router advertisement.
const RTPROT_RA: u8 = 9;

/// What jail `ns` took from advertisements: the forged prefixes it has an address in,
/// and whether it has a default route from an advertisement.
fn taken(env: &SandboxHost, ns: &str) -> (Vec<Cidr>, bool) {
    let mut nl = env.netlink(ns);
    let mut prefixes: Vec<Cidr> = nl
        .addresses()
        .unwrap()
        .into_iter()
        .map(|a| {
            Cidr {
                addr: a.addr,
                prefix: a.prefix_len,
            }
            .subnet()
        })
        .filter(|c| (0..3).any(|n| *c == prefix(n)))
        .collect();
    prefixes.sort();
    prefixes.dedup();
    let default = nl
        .routes()
        .unwrap()
        .iter()
        .any(|r| r.dst.is_ipv6() && r.dst_len == 0 && r.protocol == RTPROT_RA);
    (prefixes, default)
}

#[test]
fn only_a_slaac_jail_takes_router_advertisements_even_behind_extension_headers() {
    if !util::installed("dnsmasq") {
        eprintln!("SKIP: router_adverts: dnsmasq is not installed (scripts/deps.sh)");
        return;
    }
    let Some(env) = SandboxHost::new("router_adverts") else {
        return;
    };
    env.netlink(&env.host)
        .set_up(LinkRef::Name("lo"), true)
        .unwrap();
    let mut b = env.backend();
    let mut state = State::default();
    up(&mut b, CONFIG, &mut state);
    let mac = state.allocations.nics["jail/rogue/vnet0"].mac.0;
    let ways: [&[Ext]; 3] = [&[], &[Ext::HopByHop], &[Ext::DestOpts]];
    let frames = (0..3)
        .map(|n| advert(mac, prefix(n), ways[usize::from(n)]))
        .collect::<Vec<_>>();

    // Sent again until the SLAAC jail has taken all three (its DAD takes a second).
    let all: Vec<Cidr> = (0..3).map(prefix).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        send_frames(&env.jail("rogue"), "vnet0", frames.clone());
        std::thread::sleep(Duration::from_millis(300));
        if taken(&env, &env.jail("taker")) == (all.clone(), true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the SLAAC jail took only {:?} of the advertisements",
            taken(&env, &env.jail("taker"))
        );
    }
    for jail in ["fixed", "plain"] {
        assert_eq!(
            taken(&env, &env.jail(jail)),
            (Vec::new(), false),
            "jail {jail} took a router advertisement"
        );
    }
    // One filter for all NICs, in the shared block.
    let block = jailnet_linux::ra_filter::BLOCK.to_string();
    let filters = env.output("tc", &["filter", "show", "block", &block]);
    assert_eq!(filters.matches("handle 0x1").count(), 1, "{filters}");

    down(&mut b, &mut state);
    let qdiscs = env.output("tc", &["qdisc", "show"]);
    assert!(!qdiscs.contains("clsact"), "{qdiscs}");
    assert!(
        env.output("tc", &["filter", "show", "block", &block])
            .is_empty(),
        "the filter outlived its NICs"
    );
    assert!(util::daemons_under(&env.etc).is_empty());
}
