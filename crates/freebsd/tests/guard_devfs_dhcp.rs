//! Secure NICs, devfs rulesets and DHCP against the simulated host: the exact ipfw rules,
//! devfs rulesets, jail `devfs_ruleset`s, daemons and leases after `up` of the examples
//! that use them (snapshotted in `tests/snapshots/host/<example>.txt`; `UPDATE_EXPECT=1`
//! rewrites), and jailnet never touching an ipfw rule or devfs ruleset it did not make.

mod common;

use common::*;
use jailnet_freebsd_sim::{SimHost, VnetId};
use jailnet_plan::{Graph, Resource, State};

/// What the host holds of guards, devfs and DHCP, as the tools print it.
fn host_text(h: &mut SimHost, ex: &Example) -> String {
    let mut s = String::from("# ipfw list\n");
    s.push_str(&h.sh("ipfw", &["list"]).stdout);
    for r in ex.graph.nodes.values() {
        if let Resource::Devfs { jail, ruleset, .. } = r {
            let n = ruleset.to_string();
            s.push_str(&format!("# devfs rule -s {n} show\n"));
            s.push_str(&h.sh("devfs", &["rule", "-s", &n, "show"]).stdout);
            s.push_str(&format!("# jls -j {jail} devfs_ruleset\n"));
            s.push_str(&h.sh("jls", &["-j", jail.as_str(), "devfs_ruleset"]).stdout);
        }
    }
    s.push_str("# processes\n");
    for (pid, p) in &h.state().procs {
        let at = p.jail.as_deref().unwrap_or("host");
        s.push_str(&format!("{pid} {at}: {}\n", p.argv.join(" ")));
    }
    for r in ex.graph.nodes.values() {
        if let Resource::DhcpClient { jail, nic } = r {
            let inv =
                jailnet_host::Invocation::new("ifconfig", [nic.as_str()]).in_jail(jail.as_str());
            s.push_str(&format!("# jexec {jail} ifconfig {nic} | grep inet\n"));
            for l in h.exec(&inv).stdout.lines().filter(|l| l.contains("inet ")) {
                s.push_str(l.trim());
                s.push('\n');
            }
            s.push_str(&format!("# jexec {jail} netstat -rn | grep default\n"));
            let inv = jailnet_host::Invocation::new("netstat", ["-rn"]).in_jail(jail.as_str());
            for l in h
                .exec(&inv)
                .stdout
                .lines()
                .filter(|l| l.starts_with("default"))
            {
                s.push_str(l);
                s.push('\n');
            }
        }
    }
    s
}

fn example(name: &str) -> Example {
    examples().into_iter().find(|e| e.name == name).unwrap()
}

#[test]
fn guards_devfs_and_dhcp_leave_exactly_these_rules_rulesets_and_daemons() {
    for name in [
        "secure-vnet",
        "showcase",
        "pf-in-jail",
        "dhcp-lan-bridge",
        "vm-bhyve-private",
    ] {
        let ex = example(name);
        let mut b = backend(base_host(&ex));
        up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap();
        let mut h = b.into_host();
        check_snapshot("host", name, &host_text(&mut h, &ex), "host");
    }
}

#[test]
fn dhcp_jails_are_bound_to_their_servers_leases() {
    let ex = example("showcase");
    let mut b = backend(base_host(&ex));
    up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap();
    let h = b.into_host();
    let i = h
        .iface(&VnetId::Jail("dhcp1".into()), "vnet0")
        .expect("dhcp1 vnet0");
    assert_eq!(i.inet[0].addr.to_string(), "10.88.3.100");
    let ex = example("dhcp-lan-bridge");
    let mut b = backend(base_host(&ex));
    up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap();
    let h = b.into_host();
    let i = h
        .iface(&VnetId::Jail("j0".into()), "vnet0")
        .expect("j0 vnet0");
    assert_eq!(i.inet[0].addr.to_string(), "192.168.0.100");
}

#[test]
fn foreign_ipfw_rules_are_skipped_and_never_deleted() {
    let ex = example("secure-vnet");
    let mut base = base_host(&ex);
    // The admin's rules: one in jailnet's first block, one far below.
    for args in [
        &[
            "-q", "add", "60005", "allow", "ip", "from", "any", "to", "any",
        ][..],
        &[
            "-q", "add", "100", "allow", "ip", "from", "any", "to", "any",
        ],
    ] {
        assert!(base.sh("ipfw", args).success());
    }
    let mut b = backend(base.clone());
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    let rules: Vec<u32> = b
        .host()
        .ipfw_rules(&VnetId::Host)
        .iter()
        .map(|r| r.num)
        .collect();
    assert_eq!(
        rules,
        [100, 60005, 60010, 60011, 60012, 60020, 60021, 60022]
    );
    assert_converged(&ex, &plan(&mut b, &ex.graph, &state), "with foreign rules");
    up(&mut b, &Graph::default(), &mut state).unwrap();
    assert!(b.into_host() == base, "down touched the admin's rules");
}

#[test]
fn a_devfs_ruleset_jailnet_did_not_make_is_left_alone() {
    let ex = example("pf-in-jail");
    let mut base = base_host(&ex);
    for args in [
        &["rule", "-s", "5000", "add", "include", "4"][..],
        &["rule", "-s", "5000", "add", "path", "zfs", "unhide"],
    ] {
        assert!(base.sh("devfs", args).success());
    }
    let mut b = backend(base.clone());
    let mut state = state_for(&ex);
    let p = up(&mut b, &ex.graph, &mut state).unwrap();
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("devfs:vnetcage exists but was not made by jailnet")),
        "{:?}",
        p.warnings
    );
    let h = b.host();
    assert_eq!(
        h.devfs_ruleset(5000)
            .map(|r| r.values().cloned().collect::<Vec<_>>()),
        Some(vec!["include 4".to_string(), "path zfs unhide".into()])
    );
    // The jail is not pointed at it either.
    assert_eq!(h.jail("vnetcage").map(|j| j.devfs_ruleset), Some(0));
    up(&mut b, &Graph::default(), &mut state).unwrap();
    assert!(b.into_host() == base, "down touched the admin's ruleset");
}

#[test]
fn a_dhcp_server_whose_state_was_lost_is_found_and_stopped() {
    let ex = example("showcase");
    let mut b = backend(base_host(&ex));
    up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap();
    let dnsmasq = |h: &SimHost| {
        h.state()
            .procs
            .values()
            .filter(|p| p.argv.iter().any(|a| a.contains("dnsmasq")))
            .count()
    };
    assert_eq!(dnsmasq(b.host()), 1);
    // The state file is gone: `down` from nothing finds the server by its files.
    let p = up(&mut b, &Graph::default(), &mut State::default()).unwrap();
    assert!(
        p.changes.iter().any(|c| c.id.0 == "dhcp:(leftover pool)"),
        "{}",
        p.render_text()
    );
    let h = b.into_host();
    assert_eq!(dnsmasq(&h), 0);
    let left: Vec<&String> = h
        .state()
        .files
        .keys()
        .filter(|k| k.contains("dnsmasq-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
