//! Root-only tests against the real kernel. Everything happens inside throwaway
//! namespaces (a sandbox "host" namespace plus "jail" namespaces); the real root
//! namespace's interfaces are never touched. Not root → `SKIP:` and pass.

mod util;

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use jailnet_linux::snapshot::RouteFamilies;
use jailnet_linux::{
    create_tap_in, sysctl, AddrOptions, BridgeSpec, Error, LinkRef, MacAddr, Netlink, Netns, NsFd,
    Request, VethSpec, VxlanSpec,
};
use util::{current_ns_inode, Sandbox};

fn mac(s: &str) -> MacAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn find<'a>(links: &'a [jailnet_linux::Link], name: &str) -> &'a jailnet_linux::Link {
    links
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no link {name} in {links:#?}"))
}

#[test]
fn netns_create_list_delete() {
    let Some(mut sb) = Sandbox::new("netns_create_list_delete") else {
        return;
    };
    let before = current_ns_inode();
    let ns = sb.ns();
    let name = ns.netns.name().to_string();
    assert_eq!(
        current_ns_inode(),
        before,
        "creating must not move the caller"
    );
    assert!(Netns::exists(&name));
    assert!(Netns::list().unwrap().contains(&name));
    assert!(matches!(Netns::create(&name), Err(Error::NetnsExists(_))));
    assert!(Netns::open(&name).is_ok());
    // iproute2 sees it (only checked when `ip` is installed; tests may spawn it).
    if let Ok(out) = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
    {
        let listed = String::from_utf8_lossy(&out.stdout);
        assert!(
            listed
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name.as_str())),
            "ip netns list does not show {name}: {listed}"
        );
        let exec = std::process::Command::new("ip")
            .args(["netns", "exec", &name, "true"])
            .status()
            .unwrap();
        assert!(exec.success(), "ip netns exec {name} true");
    }

    // A fresh namespace has only lo, and running inside it leaves us where we were.
    let mut nl = ns.netlink();
    let links = nl.links().unwrap();
    assert_eq!(links.len(), 1, "{links:#?}");
    assert_eq!(links[0].name, "lo");
    let inside = ns.fd.run(current_ns_inode).unwrap();
    assert_ne!(inside, before);
    assert_eq!(current_ns_inode(), before);
    drop(nl);
    drop(ns);

    Netns::delete(&name).unwrap();
    sb.forget(&name);
    assert!(!Netns::exists(&name));
    assert!(!Netns::list().unwrap().contains(&name));
    assert!(matches!(Netns::delete(&name), Err(Error::NoSuchNetns(_))));
    assert!(matches!(Netns::open(&name), Err(Error::NoSuchNetns(_))));
}

#[test]
fn run_enters_on_the_calling_thread_nests_and_always_comes_back() {
    let Some(mut sb) = Sandbox::new("run_enters_on_the_calling_thread_nests_and_always_comes_back")
    else {
        return;
    };
    let (a, b) = (sb.ns(), sb.ns());
    let home = current_ns_inode();
    let me = std::thread::current().id();
    let (ia, ib, back_in_a, thread) =
        a.fd.run(|| {
            let ia = current_ns_inode();
            let ib = b.fd.run(current_ns_inode).unwrap();
            (ia, ib, current_ns_inode(), std::thread::current().id())
        })
        .unwrap();
    assert_eq!(thread, me, "no helper thread");
    assert!(ia != home && ib != home && ia != ib);
    assert_eq!(
        back_in_a, ia,
        "a nested run goes back to the outer namespace"
    );
    assert_eq!(current_ns_inode(), home);
    // A panic inside still puts the thread back.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.fd.run(|| panic!("inside")).unwrap();
    }));
    assert!(r.is_err());
    assert_eq!(current_ns_inode(), home);
    // Many runs do not leak descriptors.
    let fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    let before = fds();
    for _ in 0..100 {
        a.fd.run(|| b.fd.run(current_ns_inode).unwrap()).unwrap();
    }
    assert_eq!(fds(), before);
}

#[test]
fn run_each_goes_from_namespace_to_namespace_and_back() {
    let Some(mut sb) = Sandbox::new("run_each_goes_from_namespace_to_namespace_and_back") else {
        return;
    };
    let (a, b, c) = (sb.ns(), sb.ns(), sb.ns());
    let home = current_ns_inode();
    let inode = |ns: &util::Ns| ns.fd_file_inode();
    let seen = NsFd::run_each(&[&a.fd, &b.fd, &c.fd], |i| (i, current_ns_inode())).unwrap();
    assert_eq!(
        seen,
        vec![(0, inode(&a)), (1, inode(&b)), (2, inode(&c))],
        "each closure ran in its own namespace"
    );
    assert_eq!(current_ns_inode(), home);
    // Sockets made there stay there: one connection per namespace, each sees its own lo.
    let conns = Netlink::open_in_each(&[&a.fd, &b.fd]).unwrap();
    assert_eq!(conns.len(), 2);
    // A namespace that cannot be entered (a UTS namespace handle) stops the walk; the
    // thread is back home.
    let uts = NsFd::open_path(std::path::Path::new("/proc/self/ns/uts")).unwrap();
    let mut ran = Vec::new();
    let err = NsFd::run_each(&[&a.fd, &uts, &c.fd], |i| ran.push(i)).unwrap_err();
    assert!(err.to_string().contains("setns"), "{err}");
    assert_eq!(ran, vec![0]);
    assert_eq!(current_ns_inode(), home);
    assert!(NsFd::run_each(&[], |_| ()).unwrap().is_empty());
}

/// `ip -n NS -d link show DEV` (tests may run `ip`); `None` when `ip` is missing.
fn ip_details(ns: &jailnet_linux::Netns, dev: &str) -> Option<String> {
    let out = std::process::Command::new("ip")
        .args(["-n", ns.name(), "-d", "link", "show", dev])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn veth_peer_is_born_in_the_jail_with_both_macs() {
    let Some(mut sb) = Sandbox::new("veth_peer_is_born_in_the_jail") else {
        return;
    };
    let host = sb.ns();
    let jail = sb.ns();
    let mut nl = host.netlink();
    let spec = VethSpec {
        mac: Some(mac("02:00:00:00:01:01")),
        peer_mac: Some(mac("58:9c:fc:00:00:01")),
        peer_netns: Some(&jail.fd),
        mtu: Some(1400),
        ..VethSpec::new("jh0", "eth0")
    };
    nl.create_veth(&spec).unwrap();

    let links = nl.links().unwrap();
    let near = find(&links, "jh0");
    assert_eq!(near.kind.as_deref(), Some("veth"));
    assert_eq!(near.mac, Some(mac("02:00:00:00:01:01")));
    assert_eq!(near.mtu, 1400);
    assert!(
        near.link_netnsid.is_some(),
        "peer is in another netns: {near:?}"
    );
    assert!(!links.iter().any(|l| l.name == "eth0"));
    // One queue each way on both ends, as asked (no trimming after registration).
    if let Some(d) = ip_details(&host.netns, "jh0") {
        assert!(d.contains("numtxqueues 1 numrxqueues 1"), "{d}");
    }
    if let Some(d) = ip_details(&jail.netns, "eth0") {
        assert!(d.contains("numtxqueues 1 numrxqueues 1"), "{d}");
    }

    let jl = jail.netlink().links().unwrap();
    let peer = find(&jl, "eth0");
    assert_eq!(peer.mac, Some(mac("58:9c:fc:00:00:01")));
    assert_eq!(peer.kind.as_deref(), Some("veth"));
    assert_eq!(peer.link, Some(near.index));

    // Creating it again: a typed EEXIST naming the operation.
    let err = nl.create_veth(&spec).unwrap_err();
    assert!(err.is_exists(), "{err}");
    assert!(err.to_string().contains("create veth jh0"), "{err}");

    // Deleting one end removes the pair in both namespaces.
    nl.delete_link("jh0").unwrap();
    assert!(nl.link("jh0".into()).unwrap().is_none());
    let jl = jail.netlink().links().unwrap();
    assert!(!jl.iter().any(|l| l.name == "eth0"));
    let err = nl.delete_link("jh0").unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn bridge_port_isolated_before_up_and_alias() {
    let Some(mut sb) = Sandbox::new("bridge_port_isolated_before_up") else {
        return;
    };
    let host = sb.ns();
    let jail = sb.ns();
    let mut nl = host.netlink();
    nl.create_bridge(&BridgeSpec {
        mtu: Some(1450),
        mac: Some(mac("02:00:00:00:0b:01")),
        ..BridgeSpec::new("br0")
    })
    .unwrap();
    let br = nl.link("br0".into()).unwrap().unwrap();
    assert_eq!(br.kind.as_deref(), Some("bridge"));
    assert_eq!(br.mtu, 1450);
    assert_eq!(br.mac, Some(mac("02:00:00:00:0b:01")));
    // No IGMP/MLD snooping (like FreeBSD's if_bridge; a new port costs O(1)).
    if let Some(d) = ip_details(&host.netns, "br0") {
        assert!(d.contains("mcast_snooping 0"), "{d}");
    }

    nl.create_veth(&VethSpec {
        peer_netns: Some(&jail.fd),
        mtu: Some(1450),
        ..VethSpec::new("jh0", "eth0")
    })
    .unwrap();
    nl.set_master("jh0", Some(LinkRef::Name("br0"))).unwrap();
    nl.set_isolated("jh0", true).unwrap();
    let port = nl.link("jh0".into()).unwrap().unwrap();
    assert!(!port.up, "isolated must be settable while down");
    assert_eq!(port.master, Some(br.index));
    assert_eq!(port.isolated, Some(true));

    nl.set_up("jh0", true).unwrap();
    nl.set_up("br0", true).unwrap();
    let links = nl.links().unwrap();
    let port = find(&links, "jh0");
    assert!(port.up);
    assert_eq!(port.isolated, Some(true));
    assert!(find(&links, "br0").up);

    nl.set_isolated(port.index, false).unwrap();
    assert_eq!(
        nl.link("jh0".into()).unwrap().unwrap().isolated,
        Some(false)
    );

    // ifalias tags, mtu and mac changes, and release from the bridge.
    nl.set_alias("br0", "jailnet:switch:services").unwrap();
    nl.set_mtu("jh0", 1300).unwrap();
    nl.set_mac("jh0", mac("02:00:00:00:0c:01")).unwrap();
    let links = nl.links().unwrap();
    assert_eq!(
        find(&links, "br0").alias.as_deref(),
        Some("jailnet:switch:services")
    );
    assert_eq!(find(&links, "jh0").mtu, 1300);
    assert_eq!(find(&links, "jh0").mac, Some(mac("02:00:00:00:0c:01")));
    nl.set_alias("br0", "").unwrap();
    assert_eq!(nl.link("br0".into()).unwrap().unwrap().alias, None);
    nl.set_master("jh0", None).unwrap();
    let port = nl.link("jh0".into()).unwrap().unwrap();
    assert_eq!(port.master, None);
    assert_eq!(port.isolated, None);
    nl.set_up("jh0", false).unwrap();
    assert!(!nl.link("jh0".into()).unwrap().unwrap().up);
}

#[test]
fn a_fresh_namespace_has_no_routes_of_either_family() {
    let Some(mut sb) = Sandbox::new("a_fresh_namespace_has_no_routes") else {
        return;
    };
    // `ip netns add` and nothing else: lo down, no routing table made yet. Asked for one
    // family's main table, the kernel answers ENOENT; that is no routes, not an error.
    let jail = sb.ns();
    let mut nl = jail.netlink();
    for families in [
        RouteFamilies {
            v4: true,
            v6: false,
        },
        RouteFamilies {
            v4: false,
            v6: true,
        },
        RouteFamilies { v4: true, v6: true },
    ] {
        let snap = nl.snapshot(&["eth0"], families).unwrap();
        assert!(snap.links.is_empty() && snap.routes.is_empty(), "{snap:?}");
    }
    assert!(nl.main_routes(Some(false)).unwrap().is_empty());
    assert!(nl.main_routes(Some(true)).unwrap().is_empty());
    assert!(nl.routes().unwrap().is_empty());
}

#[test]
fn addresses_and_default_routes_in_the_jail() {
    let Some(mut sb) = Sandbox::new("addresses_and_default_routes") else {
        return;
    };
    let host = sb.ns();
    let jail = sb.ns();
    host.netlink()
        .create_veth(&VethSpec {
            peer_netns: Some(&jail.fd),
            ..VethSpec::new("jh0", "eth0")
        })
        .unwrap();
    let mut nl = jail.netlink();
    nl.set_up("eth0", true).unwrap();
    let opts = AddrOptions { nodad: true };
    nl.add_address("eth0", ip("10.9.0.2"), 24, opts).unwrap();
    nl.add_address("eth0", ip("fd00:9::2"), 64, opts).unwrap();
    nl.add_default_route(ip("10.9.0.1"), None).unwrap();
    nl.add_default_route(ip("fd00:9::1"), Some(LinkRef::Name("eth0")))
        .unwrap();

    let idx = nl.index_of("eth0".into()).unwrap();
    let addrs = nl.addresses().unwrap();
    assert!(addrs
        .iter()
        .any(|a| a.index == idx && a.addr == ip("10.9.0.2") && a.prefix_len == 24));
    let v6 = addrs
        .iter()
        .find(|a| a.addr == ip("fd00:9::2"))
        .expect("v6 address");
    assert_eq!(v6.prefix_len, 64);
    assert_ne!(v6.flags & 0x40, 0x40, "nodad: not tentative");

    let routes = nl.routes().unwrap();
    let d4 = routes
        .iter()
        .find(|r| r.is_default() && r.dst.is_ipv4())
        .expect("v4 default route");
    assert_eq!(d4.gateway, Some(ip("10.9.0.1")));
    assert_eq!(d4.oif, Some(idx));
    let d6 = routes
        .iter()
        .find(|r| r.is_default() && r.dst.is_ipv6())
        .expect("v6 default route");
    assert_eq!(d6.gateway, Some(ip("fd00:9::1")));
    assert!(routes
        .iter()
        .any(|r| r.dst == ip("10.9.0.0") && r.dst_len == 24 && r.oif == Some(idx)));

    // The observation read: named links (a missing one left out) and every address in
    // one round trip, then only the route families asked for.
    let v4 = RouteFamilies {
        v4: true,
        v6: false,
    };
    let snap = nl.snapshot(&["eth0", "nosuch0"], v4).unwrap();
    assert_eq!(snap.links.len(), 1);
    assert_eq!(
        (snap.links[0].name.as_str(), snap.links[0].index),
        ("eth0", idx)
    );
    let full = nl.link(LinkRef::Name("eth0")).unwrap().unwrap();
    assert!(full.mac.is_some());
    assert_eq!(snap.links[0].mac, full.mac, "the MAC, read by ioctl");
    // A name no interface can have (a hand-made tag, say) is simply not there.
    for bad in ["", "sixteen-chars-xx", "nul\0x"] {
        assert!(nl.link_brief(bad).unwrap().is_none(), "{bad:?}");
    }
    for want in ["10.9.0.2", "fd00:9::2"] {
        assert!(snap.addrs.iter().any(|a| a.addr == ip(want)), "{want}");
    }
    assert!(
        snap.routes.iter().all(|r| r.dst.is_ipv4()),
        "{:?}",
        snap.routes
    );
    assert!(snap
        .routes
        .iter()
        .any(|r| r.is_default() && r.gateway == Some(ip("10.9.0.1"))));
    let v6 = RouteFamilies {
        v4: false,
        v6: true,
    };
    let snap = nl.snapshot(&[], v6).unwrap();
    assert!(snap.links.is_empty());
    assert!(
        snap.routes.iter().all(|r| r.dst.is_ipv6()),
        "{:?}",
        snap.routes
    );
    assert!(snap
        .routes
        .iter()
        .any(|r| r.is_default() && r.gateway == Some(ip("fd00:9::1"))));
    let both = nl
        .snapshot(&["eth0"], RouteFamilies { v4: true, v6: true })
        .unwrap();
    assert_eq!(both.routes.iter().filter(|r| r.is_default()).count(), 2);
    let none = nl.snapshot(&["eth0"], RouteFamilies::default()).unwrap();
    assert!(none.routes.is_empty());
    // The connection, now checking reads strictly, still does everything else.
    assert_eq!(nl.index_of("eth0".into()).unwrap(), idx);
    assert!(!nl.addresses().unwrap().is_empty());

    let err = nl.add_default_route(ip("10.9.0.1"), None).unwrap_err();
    assert!(err.is_exists(), "{err}");

    nl.delete_default_route(ip("10.9.0.1")).unwrap();
    nl.delete_default_route(ip("fd00:9::1")).unwrap();
    assert!(!nl.routes().unwrap().iter().any(|r| r.is_default()));
    nl.delete_address("eth0", ip("10.9.0.2"), 24).unwrap();
    nl.delete_address("eth0", ip("fd00:9::2"), 64).unwrap();
    let addrs = nl.addresses().unwrap();
    assert!(!addrs
        .iter()
        .any(|a| a.addr == ip("10.9.0.2") || a.addr == ip("fd00:9::2")));
    let err = nl.delete_address("eth0", ip("10.9.0.2"), 24).unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn vxlan_unicast_with_fdb_and_multicast() {
    let Some(mut sb) = Sandbox::new("vxlan_unicast_with_fdb") else {
        return;
    };
    let host = sb.ns();
    let mut nl = host.netlink();
    // An underlay device: one end of a local veth pair with an address.
    nl.create_veth(&VethSpec::new("ul0", "ul1")).unwrap();
    nl.set_up("ul0", true).unwrap();
    nl.add_address("ul0", ip("192.168.77.1"), 24, AddrOptions::default())
        .unwrap();
    let ul = nl.index_of("ul0".into()).unwrap();

    nl.create_vxlan(&VxlanSpec {
        local: Some(ip("192.168.77.1")),
        dev: Some(ul),
        learning: false,
        ..VxlanSpec::new("vx42", 42)
    })
    .unwrap();
    let vx = nl.link("vx42".into()).unwrap().unwrap();
    assert_eq!(vx.kind.as_deref(), Some("vxlan"));
    let info = vx.vxlan.clone().expect("vxlan info");
    assert_eq!(info.vni, 42);
    assert_eq!(info.port, 4789);
    assert!(!info.learning);
    assert_eq!(info.local, Some(ip("192.168.77.1")));
    assert_eq!(info.group, None);
    assert_eq!(info.dev, Some(ul));

    nl.append_fdb("vx42", MacAddr::ZERO, ip("192.168.77.2"))
        .unwrap();
    nl.append_fdb(vx.index, MacAddr::ZERO, ip("192.168.77.3"))
        .unwrap();
    let mut dsts: Vec<IpAddr> = nl
        .fdb()
        .unwrap()
        .into_iter()
        .filter(|e| e.index == vx.index && e.mac == MacAddr::ZERO)
        .filter_map(|e| e.dst)
        .collect();
    dsts.sort();
    assert_eq!(dsts, vec![ip("192.168.77.2"), ip("192.168.77.3")]);
    let entry = nl
        .fdb()
        .unwrap()
        .into_iter()
        .find(|e| e.dst == Some(ip("192.168.77.2")))
        .unwrap();
    assert!(entry.permanent && entry.is_self, "{entry:?}");

    nl.delete_fdb("vx42", MacAddr::ZERO, ip("192.168.77.2"))
        .unwrap();
    let dsts: Vec<IpAddr> = nl
        .fdb()
        .unwrap()
        .into_iter()
        .filter(|e| e.index == vx.index)
        .filter_map(|e| e.dst)
        .collect();
    assert_eq!(dsts, vec![ip("192.168.77.3")]);

    // Multicast flavour: group + dev.
    nl.create_vxlan(&VxlanSpec {
        group: Some(ip("239.0.0.111")),
        dev: Some(ul),
        ..VxlanSpec::new("vx111", 111)
    })
    .unwrap();
    let info = nl.link("vx111".into()).unwrap().unwrap().vxlan.unwrap();
    assert_eq!(info.group, Some(ip("239.0.0.111")));
    assert!(info.learning);

    // A vxlan can be a bridge port (the overlay uplink of a switch).
    nl.create_bridge(&BridgeSpec::new("br0")).unwrap();
    nl.set_master("vx42", Some(LinkRef::Name("br0"))).unwrap();
    nl.delete_link("vx111").unwrap();
    nl.delete_link("vx42").unwrap();
}

#[test]
fn tap_device_on_a_bridge() {
    let Some(mut sb) = Sandbox::new("tap_device_on_a_bridge") else {
        return;
    };
    if !std::path::Path::new("/dev/net/tun").exists() {
        eprintln!("SKIP: tap_device_on_a_bridge: no /dev/net/tun");
        return;
    }
    let host = sb.ns();
    create_tap_in(&host.fd, "tap0").unwrap();
    let mut nl = host.netlink();
    let tap = nl.link("tap0".into()).unwrap().expect("tap0 exists");
    assert_eq!(tap.kind.as_deref(), Some("tun"));
    nl.create_bridge(&BridgeSpec::new("br0")).unwrap();
    nl.set_mac("tap0", mac("58:9c:fc:00:00:09")).unwrap();
    nl.set_master("tap0", Some(LinkRef::Name("br0"))).unwrap();
    nl.set_isolated("tap0", true).unwrap();
    nl.set_up("tap0", true).unwrap();
    let tap = nl.link("tap0".into()).unwrap().unwrap();
    assert_eq!(tap.mac, Some(mac("58:9c:fc:00:00:09")));
    assert!(tap.master.is_some());
    assert_eq!(tap.isolated, Some(true));
    // Not born in the caller's namespace.
    assert!(!Netlink::open()
        .unwrap()
        .links()
        .unwrap()
        .iter()
        .any(|l| l.name == "tap0" && l.mac == tap.mac));
    let err = create_tap_in(&host.fd, "tap0");
    // A persistent tap can be re-attached (TUNSETIFF succeeds): not an error.
    assert!(err.is_ok(), "{err:?}");
    nl.delete_link("tap0").unwrap();
    assert!(nl.link("tap0".into()).unwrap().is_none());
}

#[test]
fn move_link_between_namespaces() {
    let Some(mut sb) = Sandbox::new("move_link_between_namespaces") else {
        return;
    };
    let host = sb.ns();
    let jail = sb.ns();
    let mut nl = host.netlink();
    nl.create_veth(&VethSpec::new("mv0", "mv1")).unwrap();
    nl.move_to_netns("mv1", &jail.fd, Some("eth1")).unwrap();
    assert!(nl.link("mv1".into()).unwrap().is_none());
    let mut jl = jail.netlink();
    let moved = jl.link("eth1".into()).unwrap().expect("moved and renamed");
    assert_eq!(moved.kind.as_deref(), Some("veth"));
    // And back, by name, without renaming; then a plain rename.
    jl.move_to_netns("eth1", &host.fd, None).unwrap();
    assert!(jl.link("eth1".into()).unwrap().is_none());
    nl.rename("eth1", "mv9").unwrap();
    assert!(nl.link("mv9".into()).unwrap().is_some());
    let err = nl.move_to_netns("nope0", &jail.fd, None).unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn sysctl_in_a_namespace() {
    let Some(mut sb) = Sandbox::new("sysctl_in_a_namespace") else {
        return;
    };
    let root_forwarding = sysctl::read("net.ipv4.ip_forward").unwrap();
    let host = sb.ns();
    assert_eq!(
        sysctl::read_in(&host.fd, "net.ipv4.ip_forward").unwrap(),
        "0"
    );
    sysctl::write_in(&host.fd, "net.ipv4.ip_forward", "1").unwrap();
    assert_eq!(
        sysctl::read_in(&host.fd, "net.ipv4.ip_forward").unwrap(),
        "1"
    );
    sysctl::write_in(&host.fd, "net.ipv6.conf.all.forwarding", "1").unwrap();
    assert_eq!(
        sysctl::read_in(&host.fd, "net.ipv6.conf.all.forwarding").unwrap(),
        "1"
    );
    host.netlink()
        .create_veth(&VethSpec::new("jh0", "jh1"))
        .unwrap();
    sysctl::write_in(&host.fd, "net.ipv6.conf.jh0.accept_ra", "0").unwrap();
    sysctl::write_in(&host.fd, "net/ipv6/conf/jh0/disable_ipv6", "1").unwrap();
    assert_eq!(
        sysctl::read_in(&host.fd, "net.ipv6.conf.jh0.disable_ipv6").unwrap(),
        "1"
    );
    // The caller's namespace is untouched.
    assert_eq!(
        sysctl::read("net.ipv4.ip_forward").unwrap(),
        root_forwarding
    );
    let err = sysctl::read_in(&host.fd, "net.ipv4.no_such_key").unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn batch_reports_each_request() {
    let Some(mut sb) = Sandbox::new("batch_reports_each_request") else {
        return;
    };
    let host = sb.ns();
    let mut nl = host.netlink();
    let names: Vec<(String, String)> = (0..100)
        .map(|i| (format!("b{i}a"), format!("b{i}b")))
        .collect();
    let mut reqs: Vec<Request> = names
        .iter()
        .map(|(a, b)| Request::create_veth(&VethSpec::new(a, b)).unwrap())
        .collect();
    reqs.insert(
        50,
        Request::create_veth(&VethSpec::new("b0a", "dupb")).unwrap(),
    );
    let results = nl.execute_batch(reqs);
    assert_eq!(results.len(), 101);
    for (i, r) in results.iter().enumerate() {
        if i == 50 {
            let e = r.as_ref().unwrap_err();
            assert!(e.is_exists(), "{e}");
            assert!(e.to_string().contains("b0a"), "{e}");
        } else {
            assert!(r.is_ok(), "request {i}: {r:?}");
        }
    }
    let links = nl.links().unwrap();
    assert_eq!(
        links
            .iter()
            .filter(|l| l.kind.as_deref() == Some("veth"))
            .count(),
        200
    );
    nl.execute_all(
        names
            .iter()
            .map(|(a, _)| Request::delete_link(LinkRef::Name(a)))
            .collect(),
    )
    .unwrap();
    assert_eq!(nl.links().unwrap().len(), 1);

    // Create-and-tag in one datagram: the alias request sees the new bridge.
    nl.execute_all(vec![
        Request::create_bridge(&BridgeSpec::new("br7")).unwrap(),
        Request::set_alias(LinkRef::Name("br7"), "jailnet:switch:seven"),
    ])
    .unwrap();
    let br = nl.link("br7".into()).unwrap().unwrap();
    assert_eq!(br.alias.as_deref(), Some("jailnet:switch:seven"));
}

/// Bind a UDP socket inside a namespace (a socket stays in the netns it was made in).
fn udp_in(ns: &util::Ns, addr: &str) -> UdpSocket {
    let addr: SocketAddr = addr.parse().unwrap();
    let s = ns.fd.run(move || UdpSocket::bind(addr)).unwrap().unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    s
}

/// Send from `from` to `to` until a datagram arrives or `within` passes.
fn reaches(from: &UdpSocket, to: &UdpSocket, within: Duration) -> bool {
    static CALL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dst = to.local_addr().unwrap();
    // A token of this call only: datagrams a previous call left queued do not count.
    let call = CALL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let token = format!("hello {call} from {}", from.local_addr().unwrap());
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 128];
    while Instant::now() < deadline {
        let _ = from.send_to(token.as_bytes(), dst);
        while let Ok((n, _)) = to.recv_from(&mut buf) {
            if &buf[..n] == token.as_bytes() {
                return true;
            }
        }
    }
    false
}

#[test]
fn traffic_between_jails_and_isolation() {
    let Some(mut sb) = Sandbox::new("traffic_between_jails_and_isolation") else {
        return;
    };
    let host = sb.ns();
    let j1 = sb.ns();
    let j2 = sb.ns();
    let mut nl = host.netlink();
    nl.create_bridge(&BridgeSpec::new("br0")).unwrap();
    let br = nl.index_of("br0".into()).unwrap();
    nl.add_address(br, ip("10.50.0.1"), 24, AddrOptions::default())
        .unwrap();
    nl.set_up(br, true).unwrap();
    for (i, jail) in [&j1, &j2].into_iter().enumerate() {
        let near = format!("jh{i}");
        nl.create_veth(&VethSpec {
            master: Some(br),
            peer_mac: Some(MacAddr([0x58, 0x9c, 0xfc, 0, 0, i as u8 + 1])),
            peer_netns: Some(&jail.fd),
            ..VethSpec::new(&near, "eth0")
        })
        .unwrap();
        nl.set_up(near.as_str(), true).unwrap();
        let mut jl = jail.netlink();
        jl.set_up("lo", true).unwrap();
        jl.set_up("eth0", true).unwrap();
        jl.add_address(
            "eth0",
            ip(&format!("10.50.0.{}", i + 2)),
            24,
            AddrOptions::default(),
        )
        .unwrap();
        jl.add_default_route(ip("10.50.0.1"), None).unwrap();
    }
    let a = udp_in(&j1, "10.50.0.2:7001");
    let b = udp_in(&j2, "10.50.0.3:7002");
    let h = udp_in(&host, "10.50.0.1:7003");
    let t = Duration::from_secs(5);
    assert!(reaches(&a, &b, t), "jail1 -> jail2 on a plain bridge");
    assert!(reaches(&b, &a, t), "jail2 -> jail1 on a plain bridge");
    assert!(reaches(&a, &h, t), "jail1 -> bridge address");

    // Isolate both jail ports: the jails lose each other but keep the host.
    nl.set_isolated("jh0", true).unwrap();
    nl.set_isolated("jh1", true).unwrap();
    let short = Duration::from_millis(1500);
    assert!(!reaches(&a, &b, short), "isolated ports must not talk");
    assert!(!reaches(&b, &a, short), "isolated ports must not talk");
    assert!(reaches(&a, &h, t), "jail1 still reaches the bridge");
    assert!(reaches(&b, &h, t), "jail2 still reaches the bridge");
    assert!(reaches(&h, &a, t), "the bridge still reaches jail1");
}

#[test]
fn nftables_tables_are_listed_over_netlink() {
    let Some(mut sb) = Sandbox::new("nftables_tables_are_listed_over_netlink") else {
        return;
    };
    let ns = sb.ns();
    let nft = |args: &[&str]| {
        std::process::Command::new("ip")
            .args(["netns", "exec", ns.netns.name(), "nft"])
            .args(args)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !nft(&["list", "tables"]) {
        eprintln!("SKIP: nftables_tables_are_listed_over_netlink: nft is not installed");
        return;
    }
    let before = jailnet_linux::nftables::tables(Some(&ns.fd)).unwrap();
    assert!(before.is_empty(), "{before:?}");
    assert!(nft(&["add", "table", "inet", "jailnet"]));
    assert!(nft(&["add", "table", "bridge", "jailnet"]));
    let other = format!("jnt{}other", std::process::id());
    assert!(nft(&["add", "table", "ip", &other]));
    let now = jailnet_linux::nftables::tables(Some(&ns.fd)).unwrap();
    for t in [
        (jailnet_linux::nftables::FAMILY_INET, "jailnet"),
        (jailnet_linux::nftables::FAMILY_BRIDGE, "jailnet"),
        (2, other.as_str()),
    ] {
        assert!(
            now.contains(&(t.0, t.1.to_string())),
            "{t:?} not in {now:?}"
        );
    }
    // The caller's own namespace is another one.
    let mine = jailnet_linux::nftables::tables(None).unwrap();
    assert!(!mine.contains(&(2, other.clone())), "{mine:?}");
}
