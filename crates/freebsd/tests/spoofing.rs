//! Secure NICs against forged frames, on the simulated host: `examples/secure-vnet.toml`
//! brought up on a host set up the way `jailnet doctor` asks (ipfw loaded with an open
//! ruleset, bridge and ether layer-2 filtering, the IP pass on members and for local
//! traffic), then frames with forged source MACs and addresses are followed through the
//! bridge with the simulator's ipfw evaluation and forwarding table. The same config
//! without `secure` lets every forgery through, so each assertion can fail.

mod common;

use common::*;
use jailnet_freebsd_sim::{Endpoint, Frame, FrameKind, SimHost};
use jailnet_plan::Resource;

/// The host `jailnet doctor` is happy with for secure NICs.
fn prepared_host(ex: &Example) -> SimHost {
    base_host(ex).with_layer2_ipfw()
}

fn up_example(ex: &Example, h: SimHost) -> SimHost {
    let mut b = backend(h);
    up(&mut b, &ex.graph, &mut state_for(ex)).unwrap();
    b.into_host()
}

fn mac_of(ex: &Example, jail: &str) -> String {
    ex.graph
        .nodes
        .values()
        .find_map(|r| match r {
            Resource::Nic { jail: j, mac, .. } if j.as_str() == jail => Some(mac.to_string()),
            _ => None,
        })
        .unwrap()
}

fn ip(s: &str) -> Option<std::net::IpAddr> {
    Some(s.parse().unwrap())
}

fn frame(kind: FrameKind, mac: Option<&str>, src: Option<&str>) -> Frame {
    Frame {
        kind,
        src_mac: mac.map(str::to_string),
        src_ip: src.and_then(ip),
        claims: None,
    }
}

/// What an attacker on jail-b can do to myjail and the host.
struct Outcome {
    own_to_peer: bool,
    own_to_host: bool,
    foreign_ip_to_peer: bool,
    foreign_ip_to_host: bool,
    foreign_mac_to_peer: bool,
    ipv6_to_peer: bool,
    steals_peer_mac: bool,
    victim_to_attacker: bool,
    victim_to_host: bool,
    /// myjail would take jail-b's forged ARP answer for the gateway's address.
    victim_believes_forged_gateway: bool,
}

fn attack(ex: &Example, h: &SimHost) -> Outcome {
    let (evil, victim, host) = (
        Endpoint::jail("jail-b", "vnet0"),
        Endpoint::jail("myjail", "vnet0"),
        Endpoint::host("bridge0"),
    );
    let victim_mac = mac_of(ex, "myjail");
    let own = frame(FrameKind::Ipv4, None, Some("10.23.42.3"));
    let forged_ip = frame(FrameKind::Ipv4, None, Some("10.23.42.2"));
    let forged_mac = frame(FrameKind::Ipv4, Some(&victim_mac), Some("10.23.42.3"));
    Outcome {
        own_to_peer: h.frame_reaches(&evil, &own, &victim),
        own_to_host: h.frame_reaches(&evil, &own, &host),
        foreign_ip_to_peer: h.frame_reaches(&evil, &forged_ip, &victim),
        foreign_ip_to_host: h.frame_reaches(&evil, &forged_ip, &host),
        foreign_mac_to_peer: h.frame_reaches(&evil, &forged_mac, &victim),
        ipv6_to_peer: h.frame_reaches(
            &evil,
            &frame(FrameKind::Ipv6, None, Some("fd00::3")),
            &victim,
        ),
        steals_peer_mac: h.takes_over_mac(&evil, &victim_mac),
        victim_to_attacker: h.frame_reaches(
            &victim,
            &frame(FrameKind::Ipv4, None, Some("10.23.42.2")),
            &evil,
        ),
        victim_to_host: h.frame_reaches(
            &victim,
            &frame(FrameKind::Ipv4, None, Some("10.23.42.2")),
            &host,
        ),
        victim_believes_forged_gateway: h.host_believes(
            &evil,
            "10.23.42.1".parse().unwrap(),
            &victim,
        ),
    }
}

#[test]
fn a_secure_jail_sends_only_as_itself_and_cannot_steal_a_mac() {
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "secure-vnet")
        .unwrap();
    let h = up_example(&ex, prepared_host(&ex));
    let o = attack(&ex, &h);
    assert!(o.own_to_peer && o.own_to_host, "legitimate traffic passes");
    assert!(!o.foreign_ip_to_peer, "a foreign source IP is dropped");
    assert!(
        !o.foreign_ip_to_host,
        "also towards the host (pfil_local_phys)"
    );
    assert!(!o.foreign_mac_to_peer, "a foreign source MAC is dropped");
    assert!(
        !o.ipv6_to_peer,
        "IPv6 from a NIC with no IPv6 address is dropped"
    );
    assert!(
        !o.steals_peer_mac,
        "the bridge does not learn from a secure port, and the victim's MAC is pinned"
    );
    assert!(
        o.victim_to_attacker && o.victim_to_host,
        "the victim keeps working"
    );
    assert!(
        !o.victim_believes_forged_gateway,
        "jails on a switch with secure NICs keep their gateway at the switch's MAC"
    );
    // ARP from the NIC's own MAC passes (ipfw cannot read the sender fields inside);
    // ARP from a foreign MAC does not (with ipfw_arp=1).
    let (evil, victim) = (
        Endpoint::jail("jail-b", "vnet0"),
        Endpoint::jail("myjail", "vnet0"),
    );
    assert!(h.frame_reaches(&evil, &frame(FrameKind::Arp, None, None), &victim));
    let victim_mac = mac_of(&ex, "myjail");
    let forged_arp = frame(FrameKind::Arp, Some(&victim_mac), None);
    assert!(!h.frame_reaches(&evil, &forged_arp, &victim));
    // What the ARP says inside cannot be checked by ipfw: the host keeps permanent
    // entries for secure NICs, so an answer claiming myjail's address does not redirect
    // the host's traffic for it.
    let host = Endpoint::host("bridge0");
    let victim_ip = "10.23.42.2".parse().unwrap();
    assert!(!h.host_believes(&evil, victim_ip, &host));
    let arp = h.clone().sh("arp", &["-an"]).stdout;
    assert!(
        arp.contains(&format!(
            "(10.23.42.2) at {victim_mac} on bridge0 permanent"
        )),
        "{arp}"
    );

    // `down` takes the pins away with the rules.
    let mut b = backend(h);
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    up(&mut b, &jailnet_plan::Graph::default(), &mut state).unwrap();
    let h = b.into_host();
    assert!(h.state().fdb.is_empty(), "{:?}", h.state().fdb);
    assert!(h.state().host_net.neighbours.is_empty());
}

#[test]
fn without_secure_every_forgery_gets_through_and_without_the_sysctls_some_do() {
    let path = root().join("../../examples/secure-vnet.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("secure = true", "secure = false");
    let ex = load_text("plain-vnet", &text);
    let h = up_example(&ex, prepared_host(&ex));
    let o = attack(&ex, &h);
    assert!(o.own_to_peer && o.own_to_host);
    assert!(o.foreign_ip_to_peer && o.foreign_ip_to_host && o.foreign_mac_to_peer);
    assert!(o.ipv6_to_peer && o.steals_peer_mac && o.victim_believes_forged_gateway);
    let ip = "10.23.42.2".parse().unwrap();
    assert!(h.host_believes(
        &Endpoint::jail("jail-b", "vnet0"),
        ip,
        &Endpoint::host("bridge0")
    ));

    // Secure NICs on a host without layer-2 ipfw: the layer-2 rules never run, so a
    // foreign MAC gets through; the IP rule still runs in the IP pass on the member
    // (pfil_member is on by default), and the pinned forwarding table still holds.
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "secure-vnet")
        .unwrap();
    let mut h = base_host(&ex);
    assert!(h
        .sh(
            "ipfw",
            &["-q", "add", "65000", "allow", "ip", "from", "any", "to", "any"]
        )
        .success());
    let h = up_example(&ex, h);
    let o = attack(&ex, &h);
    assert!(o.foreign_mac_to_peer && o.ipv6_to_peer);
    assert!(!o.foreign_ip_to_peer && !o.steals_peer_mac);

    // Layer-2 ipfw on, but not for ARP: ipfw never sees ARP frames, yet ARP from a
    // foreign MAC is still stopped — by the ARP filter, whose sender check needs no sysctl.
    let mut h = prepared_host(&ex);
    assert!(h.sh("sysctl", &["net.link.bridge.ipfw_arp=0"]).success());
    let h = up_example(&ex, h);
    let forged_arp = frame(FrameKind::Arp, Some(&mac_of(&ex, "myjail")), None);
    assert!(!h.frame_reaches(
        &Endpoint::jail("jail-b", "vnet0"),
        &forged_arp,
        &Endpoint::jail("myjail", "vnet0")
    ));
}

/// secure-vnet plus `jail-c`, a jail with an ordinary NIC on the same bridge: the one a
/// forged ARP answer would fool.
fn with_bystander(secure: bool) -> Example {
    let path = root().join("../../examples/secure-vnet.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    if !secure {
        text = text.replace("secure = true", "secure = false");
    }
    text.push_str(
        "\n[jail.jail-c]\n[[jail.jail-c.nic]]\nname = \"vnet0\"\nswitch = \"bridge0\"\nip4 = [\"10.23.42.4/24\"]\n",
    );
    load_text("secure-vnet-bystander", &text)
}

#[test]
fn a_secure_jail_cannot_answer_arp_for_another_jails_address() {
    let (evil, bystander, host) = (
        Endpoint::jail("jail-b", "vnet0"),
        Endpoint::jail("jail-c", "vnet0"),
        Endpoint::host("bridge0"),
    );
    let victim_ip: std::net::IpAddr = "10.23.42.2".parse().unwrap();
    let arp = |claim: Option<&str>| Frame {
        kind: FrameKind::Arp,
        src_mac: None,
        src_ip: None,
        claims: claim.and_then(ip),
    };

    // Control: without `secure`, jail-c believes jail-b's answer for myjail's address.
    let ex = with_bystander(false);
    let h = up_example(&ex, prepared_host(&ex));
    assert!(h.host_believes(&evil, victim_ip, &bystander));
    assert!(h.state().netgraph.nodes.values().all(|n| n.kind != "bpf"));

    let ex = with_bystander(true);
    let fresh = prepared_host(&ex);
    let mut b = backend(fresh.clone());
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    let h = b.host();
    // The forged answer (jail-b's own MAC, myjail's address) reaches nobody: the port's
    // ARP filter drops it before the bridge, so jail-c, myjail and the host never see it.
    assert!(!h.frame_reaches(&evil, &arp(Some("10.23.42.2")), &bystander));
    assert!(!h.host_believes(&evil, victim_ip, &bystander));
    assert!(!h.frame_reaches(&evil, &arp(Some("10.23.42.1")), &bystander));
    assert!(!h.frame_reaches(&evil, &arp(Some("10.23.42.4")), &host));
    // jail-b's own answers and its address probes (sender 0.0.0.0) still go everywhere.
    assert!(h.frame_reaches(&evil, &arp(None), &bystander));
    assert!(h.frame_reaches(&evil, &arp(Some("10.23.42.3")), &host));
    assert!(h.frame_reaches(&evil, &arp(Some("0.0.0.0")), &bystander));
    // So does the rest of its traffic, and the bystander's.
    let own = frame(FrameKind::Ipv4, None, Some("10.23.42.3"));
    assert!(h.frame_reaches(&evil, &own, &bystander));
    assert!(h.frame_reaches(&bystander, &arp(None), &evil));
    // The filters are ng_bpf nodes on the secure ports only, named after them.
    let filters: Vec<String> = h
        .state()
        .netgraph
        .nodes
        .values()
        .filter(|n| n.kind == "bpf")
        .filter_map(|n| n.name.clone())
        .collect();
    assert_eq!(filters, ["jnarp_jail-b-vnet0", "jnarp_myjail-vnet0"]);

    // A filter that goes missing is spliced in again by the next `up`; `down` removes
    // every node and leaves netgraph as it was.
    let o = b
        .host_mut()
        .sh("ngctl", &["shutdown", "jnarp_jail-b-vnet0:"]);
    assert!(o.success(), "{}", o.stderr);
    assert!(
        b.host().host_believes(&evil, victim_ip, &bystander),
        "unfiltered again"
    );
    let p = up(&mut b, &ex.graph, &mut state).unwrap();
    assert!(!p.is_empty());
    assert!(!b.host().host_believes(&evil, victim_ip, &bystander));
    up(&mut b, &jailnet_plan::Graph::default(), &mut state).unwrap();
    let h = b.into_host();
    assert_eq!(h.state().netgraph.nodes, fresh.state().netgraph.nodes);
    assert!(h.state().fdb.is_empty());
}

#[test]
fn a_secure_jail_cannot_advertise_another_jails_ipv6_address() {
    let (evil, bystander) = (
        Endpoint::jail("jail-b", "vnet0"),
        Endpoint::jail("jail-c", "vnet0"),
    );
    let dual = |secure: bool| {
        let text = std::fs::read_to_string(root().join("../../examples/secure-vnet.toml"))
            .unwrap()
            .replace(
                "secure = true",
                if secure {
                    "secure = true"
                } else {
                    "secure = false"
                },
            )
            .replace(
                "ip4 = [\"10.23.42.2/24\"]",
                "ip4 = [\"10.23.42.2/24\"]\nip6 = [\"fd00:23::2/64\"]",
            )
            .replace(
                "ip4 = [\"10.23.42.3/24\"]",
                "ip4 = [\"10.23.42.3/24\"]\nip6 = [\"fd00:23::3/64\"]",
            );
        let text = format!(
            "{text}\n[jail.jail-c]\n[[jail.jail-c.nic]]\nname = \"vnet0\"\nswitch = \"bridge0\"\n\
             ip6 = [\"fd00:23::4/64\"]\n"
        );
        load_text("secure-vnet-ipv6", &text)
    };
    let victim: std::net::IpAddr = "fd00:23::2".parse().unwrap();
    let na = |target: &str| Frame {
        kind: FrameKind::Ipv6,
        src_mac: None,
        src_ip: ip("fd00:23::3"),
        claims: ip(target),
    };

    // Control: without `secure`, jail-c takes jail-b's advertisement for myjail's address.
    let ex = dual(false);
    let h = up_example(&ex, prepared_host(&ex));
    assert!(h.host_believes(&evil, victim, &bystander));

    let ex = dual(true);
    let h = up_example(&ex, prepared_host(&ex));
    assert!(!h.host_believes(&evil, victim, &bystander));
    assert!(!h.frame_reaches(&evil, &na("fd00:23::4"), &bystander));
    // Its own addresses, global and link-local, it may advertise.
    assert!(h.frame_reaches(&evil, &na("fd00:23::3"), &bystander));
    assert!(h.frame_reaches(&evil, &na("fe80::1"), &bystander));
}

#[test]
fn without_ng_ether_doctor_says_how_to_load_it_and_up_changes_nothing() {
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "secure-vnet")
        .unwrap();
    let mut h = prepared_host(&ex).without_module("ng_ether");
    let needs = jailnet_freebsd::doctor::Needs::from_graph(&ex.graph);
    let found = jailnet_freebsd::doctor::doctor(&mut h, &needs);
    let f = found
        .iter()
        .find(|f| f.check.starts_with("ng_ether is loaded"))
        .expect("an ng_ether finding");
    assert_eq!(f.status, jailnet_plan::doctor::Status::Fail);
    assert_eq!(
        f.fix.as_deref(),
        Some("kldload ng_ether && sysrc -f /boot/loader.conf ng_ether_load=YES")
    );
    // `up` fails at the first guard's filter and rolls every change back.
    let before = h.clone();
    let mut b = backend(h);
    let e = up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap_err();
    assert!(e.to_string().contains("ngctl"), "{e}");
    assert_eq!(b.host().state(), before.state());
}
