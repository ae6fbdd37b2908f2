//! Lowering tests: the exact argv of each kind of change, and the undo that goes with it.

use super::*;
use jailnet_model::names::{IfName, JailName};
use jailnet_plan::resource::{JailIp, ResolvConf};

fn ifn(s: &str) -> IfName {
    IfName::new(s).unwrap()
}

fn jn(s: &str) -> JailName {
    JailName::new(s).unwrap()
}

fn lines(c: &Change, ctx: &Ctx) -> Vec<String> {
    lower(c, ctx)
        .unwrap()
        .iter()
        .map(|s| s.inv.to_string())
        .collect()
}

fn nic(addrs: &[&str], private: bool) -> Resource {
    Resource::Nic {
        jail: jn("www"),
        name: ifn("vnet0"),
        host_ifname: ifn("www-vnet0"),
        switch: ifn("lan"),
        switch_imp: SwitchImpl::Bridge,
        mac: "02:aa:bb:cc:dd:01".parse().unwrap(),
        private,
        mtu: None,
        addrs: addrs.iter().map(|a| a.parse().unwrap()).collect(),
        dhcp: false,
        slaac: false,
    }
}

#[test]
fn vnet_nic_attach_to_a_running_jail_is_three_calls_with_private_in_the_addm() {
    let ctx = Ctx {
        unit: Some(3),
        ..Ctx::default()
    };
    let c = Change::create(nic(&["10.1.1.2/24"], true));
    assert_eq!(
        lines(&c, &ctx),
        [
            "jexec www ifconfig epair3 create inet 10.1.1.2/24 alias name vnet0 ether 02:aa:bb:cc:dd:01 up",
            "ifconfig epair3b -vnet www name www-vnet0 description jailnet:nic:www/vnet0 group jailnet up",
            "ifconfig lan addm www-vnet0 private www-vnet0",
        ]
    );
    let steps = lower(&c, &ctx).unwrap();
    let undo: Vec<Vec<String>> = steps
        .iter()
        .map(|s| s.undo.iter().map(|u| u.to_string()).collect())
        .collect();
    assert_eq!(
        undo,
        [
            vec!["jexec www ifconfig vnet0 destroy".to_string()],
            vec![],
            vec![],
        ]
    );
}

#[test]
fn a_host_born_pair_is_four_calls() {
    let ctx = Ctx {
        unit: Some(3),
        host_born_nic: true,
        ..Ctx::default()
    };
    let c = Change::create(nic(&["10.1.1.2/24"], true));
    assert_eq!(
        lines(&c, &ctx),
        [
            "ifconfig epair3 create name www-vnet0 description jailnet:nic:www/vnet0 group jailnet up",
            "ifconfig lan addm www-vnet0 private www-vnet0",
            "ifconfig epair3b vnet www",
            "jexec www ifconfig epair3b inet 10.1.1.2/24 alias name vnet0 ether 02:aa:bb:cc:dd:01 up",
        ]
    );
    assert_eq!(
        lower(&c, &ctx).unwrap()[0].undo[0].to_string(),
        "ifconfig www-vnet0 destroy"
    );
}

#[test]
fn a_second_address_is_one_more_call_and_dry_runs_use_a_placeholder_unit() {
    let l = lines(
        &Change::create(nic(&["10.1.1.2/24", "fd00:1::2/64"], false)),
        &Ctx::default(),
    );
    assert_eq!(l[0].split(' ').nth(3), Some("epairN"));
    assert_eq!(l[2], "ifconfig lan addm www-vnet0");
    assert_eq!(
        l[3],
        "jexec www ifconfig vnet0 inet6 fd00:1::2 prefixlen 64 alias"
    );
    assert_eq!(l.len(), 4);
}

#[test]
fn nic_update_changes_addresses_inside_the_jail() {
    let c = Change::update(nic(&["10.1.1.2/24"], false), nic(&["10.1.1.9/24"], false));
    assert_eq!(
        lines(&c, &Ctx::default()),
        [
            "jexec www ifconfig vnet0 inet 10.1.1.2 -alias",
            "jexec www ifconfig vnet0 inet 10.1.1.9/24 alias"
        ]
    );
}

#[test]
fn bridge_switch_takes_its_first_address_in_the_create_call() {
    let sw = Resource::Switch {
        name: "lan".into(),
        ifname: ifn("vm-lan"),
        imp: SwitchImpl::Bridge,
        mtu: Some(9000),
        addrs: vec![
            "10.1.1.1/24".parse().unwrap(),
            "fd00:1::1/64".parse().unwrap(),
        ],
    };
    let ctx = Ctx {
        unit: Some(0),
        ..Ctx::default()
    };
    assert_eq!(
        lines(&Change::create(sw.clone()), &ctx),
        [
            "ifconfig bridge0 create inet 10.1.1.1/24 alias name vm-lan description jailnet:switch:lan group jailnet mtu 9000 up",
            "ifconfig vm-lan inet6 fd00:1::1 prefixlen 64 alias",
        ]
    );
    assert_eq!(
        lines(&Change::delete(sw), &ctx),
        ["ifconfig vm-lan destroy"]
    );
}

#[test]
fn shared_ip_jail_gets_bare_addresses_and_vnet_jail_gets_vnet() {
    let j = Resource::Jail {
        name: jn("plain"),
        vnet: false,
        ip4: JailIp::Addrs(vec![
            "10.1.1.10".parse().unwrap(),
            "10.1.1.11".parse().unwrap(),
        ]),
        ip6: JailIp::Disable,
        allow_raw_sockets: true,
    };
    assert_eq!(
        lines(&Change::create(j), &Ctx::default()),
        ["jail -c name=plain persist ip4.addr=10.1.1.10,10.1.1.11 ip6=disable allow.raw_sockets=1"]
    );
    let v = Resource::Jail {
        name: jn("www"),
        vnet: true,
        ip4: JailIp::Disable,
        ip6: JailIp::Disable,
        allow_raw_sockets: false,
    };
    assert_eq!(
        lines(&Change::create(v.clone()), &Ctx::default()),
        ["jail -c name=www persist vnet"]
    );
    assert_eq!(lines(&Change::delete(v), &Ctx::default()), ["jail -r www"]);
}

#[test]
fn routes_aliases_taps_resolvers_and_sysctls() {
    let r = Resource::Route {
        jail: jn("www"),
        v6: true,
        gateway: "fd00:1::1".parse().unwrap(),
    };
    assert_eq!(
        lines(&Change::create(r), &Ctx::default()),
        ["jexec www route add -inet6 default fd00:1::1"]
    );
    let a = Resource::Alias {
        ifname: ifn("lo1"),
        cidr: "172.31.255.17/32".parse().unwrap(),
        jail: jn("l"),
    };
    assert_eq!(
        lines(&Change::create(a.clone()), &Ctx::default()),
        ["ifconfig lo1 inet 172.31.255.17/32 alias"]
    );
    assert_eq!(
        lines(&Change::delete(a), &Ctx::default()),
        ["ifconfig lo1 inet 172.31.255.17 -alias"]
    );
    let t = Resource::Tap {
        vm: jn("guest"),
        index: 0,
        ifname: ifn("guest-0"),
        switch: ifn("vm-services"),
        mac: "58:9c:fc:00:00:01".parse().unwrap(),
        private: true,
        mtu: None,
    };
    assert_eq!(
        lines(&Change::create(t), &Ctx { unit: Some(1), ..Ctx::default() }),
        [
            "ifconfig tap1 create name guest-0 ether 58:9c:fc:00:00:01 description jailnet:tap:guest/0 group jailnet up",
            "ifconfig vm-services addm guest-0 private guest-0",
        ]
    );
    let res = Resource::Resolver {
        jail: jn("www"),
        conf: ResolvConf::Lines(vec!["nameserver 10.1.1.1".into()]),
    };
    assert_eq!(
        lines(&Change::create(res), &Ctx::default()),
        ["jexec www tee /etc/resolv.conf <<EOF\nnameserver 10.1.1.1\nEOF"]
    );
    let inh = Resource::Resolver {
        jail: jn("www"),
        conf: ResolvConf::Inherit,
    };
    assert_eq!(
        lines(&Change::create(inh), &Ctx::default())[0],
        "cat /etc/resolv.conf"
    );
    let s = Resource::Sysctl {
        knob: jailnet_plan::resource::Knob::Ipv4Forwarding,
        value: "1".into(),
    };
    let s0 = Resource::Sysctl {
        knob: jailnet_plan::resource::Knob::Ipv4Forwarding,
        value: "0".into(),
    };
    assert_eq!(
        lines(&Change::update(s0, s), &Ctx::default()),
        ["sysctl net.inet.ip.forwarding=1"]
    );
}

#[test]
fn vxlan_multicast_and_unicast() {
    let g = Resource::Vxlan {
        ifname: ifn("vxlan111"),
        vni: 111,
        group: Some("239.0.0.111".parse().unwrap()),
        dev: Some(ifn("em1")),
        remotes: vec![],
        mtu: Some(1450),
    };
    assert_eq!(
        lines(&Change::create(g.clone()), &Ctx::default()),
        [
            "ifconfig vxlan111 create vxlanid 111 vxlangroup 239.0.0.111 vxlandev em1 mtu 1450 description jailnet:vxlan:vxlan111 group jailnet up",
            "route add 239.0.0.111/32 -interface em1",
        ]
    );
    assert_eq!(
        lines(&Change::delete(g), &Ctx::default()),
        [
            "route delete 239.0.0.111/32 -interface em1",
            "ifconfig vxlan111 destroy"
        ]
    );
    let u = Resource::Vxlan {
        ifname: ifn("vxlan111"),
        vni: 111,
        group: None,
        dev: Some(ifn("igb0")),
        remotes: vec!["192.168.0.20".parse().unwrap()],
        mtu: None,
    };
    let ctx = Ctx {
        local_addrs: vec![("igb0".into(), "192.168.0.10".into())],
        ..Ctx::default()
    };
    assert!(lines(&Change::create(u), &ctx)[0]
        .contains("vxlanlocal 192.168.0.10 vxlanremote 192.168.0.20 "));
}

fn unicast(remotes: &[&str]) -> Resource {
    Resource::Vxlan {
        ifname: ifn("vxlan111"),
        vni: 111,
        group: None,
        dev: Some(ifn("igb0")),
        remotes: remotes.iter().map(|r| r.parse().unwrap()).collect(),
        mtu: Some(1450),
    }
}

#[test]
fn vxlan_several_unicast_peers_are_one_private_port_each() {
    let v = unicast(&["192.168.0.20", "192.168.0.30"]);
    let peer = vxlan::peer_ifname(111, &"192.168.0.30".parse().unwrap());
    assert!(peer.len() <= 15 && peer.starts_with("vx111p"), "{peer}");
    let ctx = Ctx {
        local_addrs: vec![("igb0".into(), "192.168.0.10".into())],
        vxlans: [("vxlan111".to_string(), v.clone())].into(),
        vxlan_switch: [("vxlan111".to_string(), "switch111".to_string())].into(),
        ..Ctx::default()
    };
    assert_eq!(
        lines(&Change::create(v.clone()), &ctx),
        [
            "ifconfig vxlan111 create vxlanid 111 vxlanlocal 192.168.0.10 vxlanremote 192.168.0.20 mtu 1450 description jailnet:vxlan:vxlan111 group jailnet up".to_string(),
            format!("ifconfig vxlan create vxlanid 111 vxlanlocal 192.168.0.10 vxlanremote 192.168.0.30 name {peer} mtu 1450 description jailnet:vxlan:vxlan111 group jailnet up"),
        ]
    );
    let m = Resource::Member {
        switch: ifn("switch111"),
        member: ifn("vxlan111"),
    };
    assert_eq!(
        lines(&Change::create(m), &ctx),
        [format!(
            "ifconfig switch111 addm vxlan111 private vxlan111 addm {peer} private {peer}"
        )]
    );
    assert_eq!(
        lines(&Change::delete(v.clone()), &ctx),
        [
            format!("ifconfig {peer} destroy"),
            "ifconfig vxlan111 destroy".to_string()
        ]
    );
    // One peer more, the first one gone: in place.
    let w = unicast(&["192.168.0.30", "192.168.0.40"]);
    let p40 = vxlan::peer_ifname(111, &"192.168.0.40".parse().unwrap());
    assert_eq!(
        lines(&Change::update(v, w), &ctx),
        [
            format!("ifconfig {peer} destroy"),
            "ifconfig vxlan111 down".to_string(),
            "ifconfig vxlan111 vxlanremote 192.168.0.30".to_string(),
            "ifconfig vxlan111 up".to_string(),
            format!("ifconfig vxlan create vxlanid 111 vxlanlocal 192.168.0.10 vxlanremote 192.168.0.40 name {p40} mtu 1450 description jailnet:vxlan:vxlan111 group jailnet up"),
            format!("ifconfig switch111 addm {p40} private {p40}"),
        ]
    );
}

#[test]
fn cloner_units() {
    assert_eq!(unit_of("bridge0", "bridge"), Some(0));
    assert_eq!(unit_of("bridge01", "bridge"), None);
    assert_eq!(unit_of("vm-lan", "bridge"), None);
    assert_eq!(unit_of("vxlan111", "vxlan"), Some(111));
}
