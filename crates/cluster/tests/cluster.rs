//! jailnet-cluster against a real etcd started by the test (loopback only): concurrent
//! `auto` allocation from three hosts never hands out an address twice; VTEP keys go when
//! their lease is revoked or expires, and stay while kept alive; the watch reports
//! peers coming and going; switch definitions and static addresses are guarded.

mod etcd;

use etcd::Etcd;
use jailnet_cluster::{keys, sync, Claim, Client, Error, Owner, SwitchDef, Wake};
use jailnet_model::alloc::{allocate, Allocations};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Host `i` (0-based) of a cluster sharing switch `s111`: its own address .25x on the
/// switch, VTEP 192.0.2.1x, and `jails` jails with one `auto` NIC each.
fn host_config(url: &str, i: usize, jails: usize) -> String {
    let mut t = format!(
        "[host]\nname = \"host-{i}\"\n\n[cluster]\netcd = [\"{url}\"]\nvtep = \"192.0.2.{}\"\n\n\
         [switch.s111]\naddress = [\"10.0.111.{}/24\", \"fd00:111::{}/64\"]\nvxlan = {{ vni = 111, cluster = true }}\n",
        10 + i,
        250 + i,
        250 + i
    );
    for j in 0..jails {
        t.push_str(&format!(
            "\n[jail.j{j}]\n[[jail.j{j}.nic]]\nname = \"vnet0\"\nswitch = \"s111\"\nip4 = [\"auto\"]\nip6 = [\"auto\"]\n"
        ));
    }
    t
}

fn config(text: &str) -> jailnet_model::Config {
    let (cfg, d) = jailnet_model::check(text);
    assert!(d.is_empty(), "{}", d.render("t.toml", text));
    cfg
}

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out after {secs}s waiting for {what}");
}

#[test]
fn three_hosts_allocate_concurrently_without_duplicates() {
    let Some(etcd) = Etcd::start("three_hosts_allocate_concurrently_without_duplicates") else {
        return;
    };
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..3)
        .map(|i| {
            let (url, barrier) = (etcd.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let cfg = config(&host_config(&url, i, 20));
                let mut client = Client::connect(&[url]).unwrap();
                barrier.wait();
                let view = sync::join(
                    &mut client,
                    &cfg,
                    &format!("host-{i}"),
                    &Allocations::default(),
                    30,
                )
                .unwrap();
                (cfg, view)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let mut seen: BTreeMap<IpAddr, String> = BTreeMap::new();
    for (i, (cfg, view)) in results.iter().enumerate() {
        assert_eq!(view.addrs.len(), 20, "host-{i}: one entry per auto NIC");
        for (key, (a4, a6)) in &view.addrs {
            for c in [a4, a6] {
                let c = c.unwrap_or_else(|| panic!("host-{i} {key}: both families leased"));
                assert_eq!(c.prefix, if c.is_v4() { 24 } else { 64 });
                if let Some(other) = seen.insert(c.addr, format!("host-{i} {key}")) {
                    panic!("{} handed out twice: {other} and host-{i} {key}", c.addr);
                }
            }
        }
        // The view lays onto the local allocation: the plan gets the leased addresses.
        let mut alloc = allocate(cfg, &format!("host-{i}"), &Allocations::default()).unwrap();
        let laid = view.apply(cfg, &mut alloc);
        for (key, (a4, a6)) in &view.addrs {
            assert_eq!((alloc.nics[key].ip4, alloc.nics[key].ip6), (*a4, *a6));
        }
        assert!(laid.switches["s111"].vxlan.as_ref().unwrap().cluster);
    }
    assert_eq!(seen.len(), 120, "3 hosts x 20 jails x 2 families");
    for i in 0..3 {
        for own in [
            format!("10.0.111.{}", 250 + i),
            format!("fd00:111::{}", 250 + i),
        ] {
            assert!(
                !seen.contains_key(&own.parse().unwrap()),
                "{own} is a host's"
            );
        }
    }
    // The lowest addresses were used: .1 to .60 (in some interleaving).
    let v4: BTreeSet<IpAddr> = seen.keys().filter(|a| a.is_ipv4()).copied().collect();
    let expect: BTreeSet<IpAddr> = (1..=60)
        .map(|n| format!("10.0.111.{n}").parse().unwrap())
        .collect();
    assert_eq!(v4, expect);

    // etcd holds exactly those leases plus each host's own two addresses.
    let mut c = etcd.client();
    let leases = c.leases("s111").unwrap();
    assert_eq!(leases.len(), 120 + 6);
    assert_eq!(
        leases[&"10.0.111.251".parse::<IpAddr>().unwrap()],
        "host-1/_switch/s111"
    );

    // Joining again is stable: the same addresses, whatever the local memory says.
    let (cfg0, view0) = &results[0];
    let again = sync::join(&mut c, cfg0, "host-0", &Allocations::default(), 30).unwrap();
    assert_eq!(again.addrs, view0.addrs);
    // Everyone sees the two other hosts as its peers.
    assert_eq!(
        again.remotes["s111"],
        vec![
            "192.0.2.11".parse::<IpAddr>().unwrap(),
            "192.0.2.12".parse().unwrap()
        ]
    );

    // Leaving releases every lease and VTEP of that host, and nothing of the others.
    let (released, vteps) = sync::leave(&mut c, "host-0").unwrap();
    assert_eq!((released, vteps), (40 + 2, 1));
    assert_eq!(c.leases("s111").unwrap().len(), 80 + 4);
    assert!(c.host_vteps("host-0").unwrap().is_empty());
    assert_eq!(c.host_vteps("host-1").unwrap().len(), 1);
}

#[test]
fn raw_leasing_under_contention() {
    let Some(etcd) = Etcd::start("raw_leasing_under_contention") else {
        return;
    };
    // 3 threads x 20 owners race for the lowest addresses of a /26 at the same time.
    let subnet: jailnet_model::net::Cidr = "10.9.0.0/26".parse().unwrap();
    let barrier = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..3)
        .map(|h| {
            let (url, barrier) = (etcd.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut c = Client::connect(&[url]).unwrap();
                barrier.wait();
                (0..20)
                    .map(|j| {
                        let o = Owner::nic(&format!("h{h}"), &format!("j{j}"), "vnet0");
                        (
                            o.clone(),
                            c.lease_auto("s", &subnet, &o, None, &|_| false).unwrap(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let got: Vec<(Owner, IpAddr)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let distinct: BTreeSet<IpAddr> = got.iter().map(|(_, ip)| *ip).collect();
    assert_eq!(distinct.len(), 60, "no address twice: {got:?}");
    let stored = etcd.client().leases("s").unwrap();
    for (o, ip) in &got {
        assert_eq!(stored[ip], o.to_string());
    }
    // The /26 has 62 usable addresses: two more, then it is full.
    let mut c = etcd.client();
    for n in 0..2 {
        c.lease_auto(
            "s",
            &subnet,
            &Owner::nic("x", &format!("k{n}"), "v"),
            None,
            &|_| false,
        )
        .unwrap();
    }
    let err = c
        .lease_auto("s", &subnet, &Owner::nic("x", "full", "v"), None, &|_| {
            false
        })
        .unwrap_err();
    assert!(matches!(err, Error::Exhausted { .. }), "{err}");
}

#[test]
fn vtep_goes_when_its_lease_is_revoked_or_expires() {
    let Some(etcd) = Etcd::start("vtep_goes_when_its_lease_is_revoked_or_expires") else {
        return;
    };
    let mut c = etcd.client();
    let sws = vec!["s111".to_string(), "s222".to_string()];
    let a: IpAddr = "192.0.2.10".parse().unwrap();
    let lease = c.register_vtep("host-a", &sws, a, 60).unwrap();
    let v = c.vteps().unwrap();
    assert_eq!(v.by_switch["s111"]["host-a"], a);
    assert_eq!(v.by_switch["s222"]["host-a"], a);
    // Registering again with the same TTL keeps the lease (a running watch refreshes it).
    assert_eq!(c.register_vtep("host-a", &sws, a, 60).unwrap(), lease);

    // Revoked: both keys are gone at once.
    c.revoke(lease).unwrap();
    assert!(c.host_vteps("host-a").unwrap().is_empty());
    assert!(c.vteps().unwrap().by_switch.is_empty());

    // A short TTL kept alive by a watch stays; left alone it expires.
    let lease = c.register_vtep("host-b", &sws[..1], a, 2).unwrap();
    let rev = c.vteps().unwrap().revision;
    let mut w = c.watch_vteps(rev).unwrap();
    c.keep_alive(&mut w, lease, 2).unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        assert_eq!(
            c.wait(&mut w, Duration::from_millis(500)).unwrap(),
            Wake::Quiet
        );
    }
    assert_eq!(
        c.host_vteps("host-b").unwrap().len(),
        1,
        "kept alive for 5s"
    );
    drop(w);
    wait_until("host-b's VTEP to expire", 15, || {
        c.host_vteps("host-b").unwrap().is_empty()
    });
    let (left, _) = c.lease_ttl(lease).unwrap();
    assert!(left <= 0, "lease still has {left}s");
}

#[test]
fn the_watch_reports_peers_coming_and_going_and_a_lost_lease() {
    let Some(etcd) = Etcd::start("the_watch_reports_peers_coming_and_going_and_a_lost_lease")
    else {
        return;
    };
    let (mut me, mut other) = (etcd.client(), etcd.client());
    let sws = vec!["s111".to_string()];
    let mine = me
        .register_vtep("host-a", &sws, "192.0.2.10".parse().unwrap(), 30)
        .unwrap();
    let rev = me.vteps().unwrap().revision;
    let mut w = me.watch_vteps(rev).unwrap();
    me.keep_alive(&mut w, mine, 30).unwrap();

    let theirs = other
        .register_vtep("host-b", &sws, "192.0.2.20".parse().unwrap(), 30)
        .unwrap();
    assert_eq!(
        me.wait(&mut w, Duration::from_secs(5)).unwrap(),
        Wake::Changed(vec![("s111".into(), "host-b".into())])
    );
    other.revoke(theirs).unwrap();
    assert_eq!(
        me.wait(&mut w, Duration::from_secs(5)).unwrap(),
        Wake::Changed(vec![("s111".into(), "host-b".into())])
    );
    assert_eq!(
        me.vteps().unwrap().by_switch["s111"]
            .keys()
            .collect::<Vec<_>>(),
        ["host-a"]
    );
    // Someone revokes our lease: our key goes (an event), then the keep-alive notices.
    other.revoke(mine).unwrap();
    let mut lost = false;
    for _ in 0..40 {
        match me.wait(&mut w, Duration::from_millis(500)).unwrap() {
            Wake::LeaseLost(id) => {
                assert_eq!(id, mine);
                lost = true;
                break;
            }
            Wake::Changed(k) => assert_eq!(k, vec![("s111".into(), "host-a".into())]),
            Wake::Quiet => {}
        }
    }
    assert!(lost, "the lost lease was never reported");
}

#[test]
fn definitions_and_static_addresses_are_guarded() {
    let Some(etcd) = Etcd::start("definitions_and_static_addresses_are_guarded") else {
        return;
    };
    let mut c = etcd.client();
    let def = SwitchDef {
        vni: 111,
        subnet: Some("10.0.111.0/24".parse().unwrap()),
        subnet6: Some("fd00:111::/64".parse().unwrap()),
    };
    c.define_switch("s111", &def).unwrap();
    c.define_switch("s111", &def).unwrap();
    let err = c
        .define_switch(
            "s111",
            &SwitchDef {
                vni: 112,
                ..def.clone()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::SwitchMismatch { .. }), "{err}");
    assert!(err.to_string().contains("vni 111"), "{err}");

    // Two hosts with the same address on the switch: the second is refused, untouched.
    let a = config(&host_config(&etcd.url, 0, 1));
    sync::join(&mut c, &a, "host-a", &Allocations::default(), 30).unwrap();
    let err = sync::join(&mut c, &a, "host-b", &Allocations::default(), 30).unwrap_err();
    match &err {
        Error::Taken { ip, holder, .. } => {
            assert_eq!(ip.to_string(), "10.0.111.250");
            assert_eq!(holder, "host-a/_switch/s111");
        }
        e => panic!("{e}"),
    }
    assert!(c.host_vteps("host-b").unwrap().is_empty());
    // A claim by the holder itself is fine; by another, refused.
    let ip: IpAddr = "10.0.111.77".parse().unwrap();
    let o = Owner::nic("host-a", "www", "vnet0");
    assert_eq!(c.claim("s111", &ip, &o).unwrap(), Claim::Mine);
    assert_eq!(c.claim("s111", &ip, &o).unwrap(), Claim::Mine);
    assert_eq!(
        c.claim("s111", &ip, &Owner::nic("host-b", "www", "vnet0"))
            .unwrap(),
        Claim::Taken("host-a/www/vnet0".into())
    );
    // A NIC removed from the config loses its lease on the next join.
    sync::join(&mut c, &a, "host-a", &Allocations::default(), 30).unwrap();
    assert!(!c.leases("s111").unwrap().contains_key(&ip));
    // The switch definition the config wrote.
    let stored = c.switch("s111").unwrap().unwrap();
    assert_eq!(stored, def);
    assert!(keys::switch("s111").starts_with(keys::PREFIX));
}

#[test]
fn a_missing_cluster_is_a_timeout_not_a_hang() {
    // A loopback port nobody listens on.
    let port = etcd::free_port().unwrap();
    let start = Instant::now();
    let got = Client::connect_with_timeout(
        &[format!("http://127.0.0.1:{port}")],
        Duration::from_secs(2),
    )
    .and_then(|mut c| c.vteps());
    let err = got.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { .. } | Error::Etcd { .. }),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}
