//! The demo's FreeBSD half: the same showcase applied by the FreeBSD backend to the
//! simulated FreeBSD 14 host, counting the processes it runs, showing the result as
//! `ifconfig` would, checking isolation and anti-spoofing with the simulator's reachability
//! queries (on a host set up the way `jailnet doctor` asks), and
//! checking that `down` gives back a fresh host.

use super::checks::{fact, Check};
use crate::engine::{converge, prepare, ApplyOpts, Scope};
use anyhow::{Context, Result};
use jailnet_freebsd::FreebsdBackend;
use jailnet_freebsd_sim::{Endpoint, Frame, FrameKind, SimHost};
use jailnet_host::RecordingHost;
use jailnet_model::Config;
use jailnet_plan::State;

const SIM: ApplyOpts<'static> = ApplyOpts {
    host: "demo",
    verbose: false,
    journal: None,
};

pub fn run(cfg: &Config, results: &mut Vec<Check>) -> Result<()> {
    println!("\n== the same showcase on the simulated FreeBSD host (--backend sim) ==\n");
    // Set up the way `jailnet doctor` asks for secure NICs.
    let fresh = SimHost::fresh().with_layer2_ipfw();
    let mut be = FreebsdBackend::new(RecordingHost::new(fresh.clone()));
    let mut state = State::default();
    let prepared = prepare(cfg, &state, &mut be, &Scope::All)?;
    let before = be.host().count();
    let n = converge(
        &prepared,
        &mut state,
        &mut be,
        &Scope::All,
        &SIM,
        &mut |_| Ok(()),
    )
    .context("up on the simulated host failed")?;
    let spawned = be.host().count() - before;
    println!("up: {n} changes, {spawned} processes (ifconfig, jail, jexec, pfctl, ipfw, devfs…), including observing");
    let sim = &be.host().inner;
    // What an admin would see: the private switch and its members.
    let show = sim.show();
    let mut printing = false;
    for line in show.lines() {
        if line.starts_with("dmz: ") {
            printing = true;
        } else if printing && !line.starts_with(['\t', ' ']) {
            break;
        }
        if printing {
            println!("  {line}");
        }
    }
    let reach = |a: Endpoint, b: Endpoint| sim.can_exchange_frames(&a, &b);
    let yes_no = |b: bool| if b { "frames pass" } else { "blocked" }.to_string();
    results.push(fact(
        "sim: dmz1 <-> dmz2 (private bridge members)".into(),
        "blocked",
        yes_no(reach(
            Endpoint::jail("dmz1", "vnet0"),
            Endpoint::jail("dmz2", "vnet0"),
        )),
    ));
    results.push(fact(
        "sim: dmz1 <-> bridge dmz (its gateway)".into(),
        "frames pass",
        yes_no(reach(
            Endpoint::jail("dmz1", "vnet0"),
            Endpoint::host("dmz"),
        )),
    ));
    results.push(fact(
        "sim: web1 <-> web2 (switch lan)".into(),
        "frames pass",
        yes_no(reach(
            Endpoint::jail("web1", "vnet0"),
            Endpoint::jail("web2", "vnet0"),
        )),
    ));
    // dmz2's NIC is secure: forged senders get nowhere (ipfw evaluated by the simulator).
    let (dmz1, dmz2, gw) = (
        Endpoint::jail("dmz1", "vnet0"),
        Endpoint::jail("dmz2", "vnet0"),
        Endpoint::host("dmz"),
    );
    let mac_of = |e: &Endpoint| {
        sim.iface(&e.vnet, &e.ifname)
            .and_then(|i| i.mac.clone())
            .unwrap_or_default()
    };
    let addr_of = |e: &Endpoint| {
        sim.iface(&e.vnet, &e.ifname)
            .and_then(|i| i.inet.first().map(|a| a.addr))
            .map(std::net::IpAddr::V4)
    };
    let udp_from = |ip| Frame {
        kind: FrameKind::Ipv4,
        src_mac: None,
        src_ip: ip,
        claims: None,
    };
    let got = |b: bool| if b { "received" } else { "dropped" }.to_string();
    results.push(fact(
        "sim: dmz2 (secure) -> gateway from its own address".into(),
        "received",
        got(sim.frame_reaches(&dmz2, &udp_from(addr_of(&dmz2)), &gw)),
    ));
    results.push(fact(
        "sim: dmz2 (secure) -> gateway from dmz1's address".into(),
        "dropped",
        got(sim.frame_reaches(&dmz2, &udp_from(addr_of(&dmz1)), &gw)),
    ));
    results.push(fact(
        "sim: dmz2 (secure) sends from dmz1's MAC: bridge moves it".into(),
        "no",
        if sim.takes_over_mac(&dmz2, &mac_of(&dmz1)) {
            "yes"
        } else {
            "no"
        }
        .into(),
    ));
    let arp_claiming = |ip| Frame {
        kind: FrameKind::Arp,
        src_mac: None,
        src_ip: None,
        claims: ip,
    };
    results.push(fact(
        "sim: dmz2 (secure) ARP answer for its own address".into(),
        "received",
        got(sim.frame_reaches(&dmz2, &arp_claiming(addr_of(&dmz2)), &gw)),
    ));
    results.push(fact(
        "sim: dmz2 (secure) ARP answer claiming dmz1's address (ARP filter)".into(),
        "dropped",
        got(sim.frame_reaches(&dmz2, &arp_claiming(addr_of(&dmz1)), &gw)),
    ));
    let believes = addr_of(&dmz2).is_some_and(|ip| sim.host_believes(&dmz1, ip, &gw));
    results.push(fact(
        "sim: host believes a forged ARP for dmz2's address".into(),
        "no",
        if believes { "yes" } else { "no" }.into(),
    ));
    let anchors: Vec<String> = ["nat-lan", "rdr-web1"]
        .iter()
        .filter(|a| {
            sim.pf_anchor_text(&jailnet_freebsd_sim::VnetId::Host, &format!("jailnet/{a}"))
                .is_some()
        })
        .map(|a| a.to_string())
        .collect();
    results.push(fact(
        "sim: pf anchors jailnet/nat-lan, jailnet/rdr-web1 loaded".into(),
        "both",
        if anchors.len() == 2 {
            "both".into()
        } else {
            format!("only {anchors:?}")
        },
    ));
    let again = prepare(cfg, &state, &mut be, &Scope::All)?;
    results.push(fact(
        "sim: plan again after up".into(),
        "no changes",
        if again.plan.is_empty() {
            "no changes".into()
        } else {
            format!("{} changes", again.plan.changes.len())
        },
    ));
    let prepared = prepare(cfg, &state, &mut be, &Scope::Nothing)?;
    converge(
        &prepared,
        &mut state,
        &mut be,
        &Scope::Nothing,
        &SIM,
        &mut |_| Ok(()),
    )
    .context("down on the simulated host failed")?;
    let after = be.into_host().into_inner();
    results.push(fact(
        "sim: host after down".into(),
        "a fresh FreeBSD host",
        if after == fresh {
            "a fresh FreeBSD host".into()
        } else {
            "differs".into()
        },
    ));
    Ok(())
}
