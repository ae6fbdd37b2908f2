//! Netgraph switches (seed 002) on the simulated FreeBSD host, beyond what every example
//! gets in `examples.rs` (snapshot, convergence, `down`, rollback at every call): frames
//! between jails on one ng_bridge, its host eiface and the uplink; the spawns of each
//! change; a batch that stops half-way; repair of a NIC unhooked behind jailnet's back;
//! and the dry run's placeholders.

mod common;

use common::*;
use jailnet_freebsd_sim::{Endpoint, SimHost};
use jailnet_host::RecordingHost;
use jailnet_plan::resource::SwitchImpl;
use jailnet_plan::{Backend, Op, Resource};

fn netgraph() -> Example {
    examples()
        .into_iter()
        .find(|e| e.name == "netgraph")
        .unwrap()
}

#[test]
fn jails_on_one_ng_bridge_exchange_frames_with_each_other_the_host_and_the_lan() {
    let ex = netgraph();
    let mut b = backend(base_host(&ex));
    up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap();
    let h = b.into_host();
    let (t1, t2, t3) = (
        Endpoint::jail("test1", "vnet0"),
        Endpoint::jail("test2", "vnet0"),
        Endpoint::jail("test3", "vnet0"),
    );
    assert!(h.can_exchange_frames(&t1, &t2), "test1 <-> test2 on br0");
    assert!(h.can_exchange_frames(&t1, &Endpoint::host("br0")));
    assert!(h.can_exchange_frames(&t2, &Endpoint::host("br0")));
    // em0's ng_ether upper hook is on the bridge: the host's own em0 stack is reachable.
    assert!(h.can_exchange_frames(&t1, &Endpoint::host("em0")));
    assert!(h.can_exchange_frames(&t3, &Endpoint::host("ngnat")));
    // Two ng_bridges are two segments.
    assert!(!h.can_exchange_frames(&t3, &t1));
    assert!(!h.can_exchange_frames(&t3, &Endpoint::host("br0")));
}

#[test]
fn spawns_switch_2_uplink_1_nic_3_plus_one_per_extra_address() {
    let ex = netgraph();
    let mut b = backend(RecordingHost::new(base_host(&ex)));
    let p = plan(&mut b, &ex.graph, &state_for(&ex));
    let mut seen = 0;
    for c in &p.changes {
        let before = b.host().count();
        b.apply(c).unwrap();
        // The bridge's links in use are known from `ngctl list -l` (and what was created
        // since), so neither an uplink nor a NIC asks the bridge (`ngctl show`).
        let spawned = b.host().count() - before;
        let want = match &c.after {
            Some(Resource::Switch {
                imp: SwitchImpl::Netgraph,
                addrs,
                ..
            }) => 2 + addrs.len().saturating_sub(1),
            Some(Resource::Member { .. }) => 1,
            Some(Resource::Nic {
                switch_imp: SwitchImpl::Netgraph,
                addrs,
                ..
            }) => 3 + addrs.len().saturating_sub(1),
            _ => continue,
        };
        assert_eq!(spawned, want, "{}", c.id);
        seen += 1;
    }
    assert_eq!(seen, 6, "2 switches, 1 uplink, 3 NICs");
}

#[test]
fn a_batch_that_stops_half_way_leaves_the_host_as_it_was() {
    let ex = netgraph();
    // A node someone else made under the name jailnet gives ngnat's host eiface: the
    // switch's batch stops at line 4 (`name … jailnet_if_ngnat`) after making the bridge
    // and an eiface, which must go again — and the foreign node must stay.
    let mut base = base_host(&ex);
    for a in [
        &["mkpeer", "eiface", "ether", "ether"][..],
        &["name", "ngeth0:", "jailnet_if_ngnat"],
    ] {
        assert!(base.sh("ngctl", a).success(), "{a:?}");
    }
    let mut b = backend(RecordingHost::new(base.clone()));
    let mut state = state_for(&ex);
    let e = up(&mut b, &ex.graph, &mut state).unwrap_err();
    assert!(e.rollback_errors.is_empty(), "{e}");
    let t = b.host().transcript();
    assert!(t.contains("ngctl: line 4: error in file"), "{t}");
    assert!(
        t.contains("\nngctl shutdown jailnet_br_ngnat:link0\n"),
        "{t}"
    );
    let h: SimHost = b.into_host().into_inner();
    assert!(h == base, "left:\n{}", h.show());
}

#[test]
fn a_nic_unhooked_from_its_bridge_is_replaced() {
    let ex = netgraph();
    let mut b = backend(base_host(&ex));
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    let o = b
        .host_mut()
        .sh("ngctl", &["rmhook", "jailnet_if_test1-vnet0:", "ether"]);
    assert!(o.success(), "{}", o.stderr);
    let p = plan(&mut b, &ex.graph, &state);
    let nic: Vec<Op> = p
        .changes
        .iter()
        .filter(|c| c.id.0 == "nic:test1/vnet0")
        .map(|c| c.op)
        .collect();
    assert_eq!(nic, [Op::Delete, Op::Create], "{}", p.render_text());
    up(&mut b, &ex.graph, &mut state).unwrap();
    assert_converged(&ex, &plan(&mut b, &ex.graph, &state), "after repair");
    let h = b.into_host();
    assert!(h.can_exchange_frames(
        &Endpoint::jail("test1", "vnet0"),
        &Endpoint::jail("test2", "vnet0")
    ));
}

#[test]
fn the_dry_run_shows_every_phase_with_placeholders() {
    let ex = netgraph();
    let mut b = backend(base_host(&ex));
    let p = plan(&mut b, &ex.graph, &state_for(&ex));
    let lines: Vec<String> = p.changes.iter().flat_map(|c| b.commands(c)).collect();
    let text = lines.join("\n");
    for want in [
        "ngctl show jailnet_br_br0:",
        "connect em0: jailnet_br_br0: lower linkA",
        "mkpeer jailnet_br_br0: eiface linkL ether",
        "ifconfig ngethN name test1-vnet0 description jailnet:nic:test1/vnet0 group jailnet vnet test1",
        "jexec test1 ifconfig test1-vnet0 inet 192.168.0.31/24 alias name vnet0 up",
        "ifconfig ngethN inet 10.0.2.1/24 alias name ngnat description jailnet:switch:ngnat group jailnet up",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // Nothing ran.
    assert!(b.into_host() == base_host(&ex));
}
