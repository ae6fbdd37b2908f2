//! Every `examples/*.toml` against the simulated FreeBSD host: the argv transcript of `up`
//! (snapshotted in `tests/snapshots/<example>.txt`; `UPDATE_EXPECT=1` rewrites), a clean
//! re-plan after `up`, `down` back to a fresh host, rollback at every call, isolation of
//! private ports, and the spawn count of every VNET NIC attach.

mod common;

use common::*;
use jailnet_freebsd_sim::{Endpoint, SimHost};
use jailnet_host::{FaultyHost, RecordingHost};
use jailnet_plan::resource::SwitchImpl;
use jailnet_plan::{Backend, Graph, Op, Resource};

fn runnable() -> Vec<Example> {
    examples()
        .into_iter()
        .filter(|ex| match unsupported(ex) {
            Some(why) => {
                eprintln!("SKIP {}: {why}", ex.name);
                false
            }
            None => true,
        })
        .collect()
}

fn check_snapshot(name: &str, got: &str) {
    let path = root().join("tests/snapshots").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", path.display()));
    assert!(
        want == got,
        "{name}: transcript differs from {}\n--- got ---\n{got}",
        path.display()
    );
}

#[test]
fn up_is_snapshotted_converges_and_down_restores_a_fresh_host() {
    for ex in runnable() {
        let base = base_host(&ex);
        let mut b = backend(RecordingHost::new(base.clone()));
        let mut state = state_for(&ex);
        let p = up(&mut b, &ex.graph, &mut state)
            .unwrap_or_else(|e| panic!("{}: up failed: {e}\n{}", ex.name, b.host().transcript()));
        assert!(!p.is_empty(), "{}: nothing to do?", ex.name);
        check_snapshot(&ex.name, &b.host().transcript());

        let again = plan(&mut b, &ex.graph, &state);
        assert_converged(&ex, &again, "after up");
        let twice = up(&mut b, &ex.graph, &mut state).unwrap();
        assert_converged(&ex, &twice, "second up");

        up(&mut b, &Graph::default(), &mut state)
            .unwrap_or_else(|e| panic!("{}: down failed: {e}", ex.name));
        assert!(
            state.owned.is_empty(),
            "{}: state still owns {:?}",
            ex.name,
            state.owned.keys()
        );
        let after = b.into_host().into_inner();
        assert!(
            after == base,
            "{}: down left the host different:\n{}",
            ex.name,
            after.show()
        );
    }
}

#[test]
fn a_failure_at_any_call_rolls_back_to_the_exact_prior_host() {
    for ex in runnable() {
        let base = base_host(&ex);
        // How many calls `up` makes after observing.
        let calls = {
            let mut b = backend(RecordingHost::new(base.clone()));
            let mut state = state_for(&ex);
            let p = plan(&mut b, &ex.graph, &state);
            let seen = b.host().count();
            jailnet_plan::apply(&p, &mut b, &mut state, &mut |_, _| {}).unwrap();
            b.host().count() - seen
        };
        for n in 1..=calls {
            let mut b = backend(FaultyHost::new(base.clone(), usize::MAX));
            let mut state = state_for(&ex);
            let p = plan(&mut b, &ex.graph, &state);
            let seen = b.host().calls;
            b.host_mut().fail_at = seen + n;
            let err = jailnet_plan::apply(&p, &mut b, &mut state, &mut |_, _| {}).unwrap_err();
            assert!(
                err.rollback_errors.is_empty(),
                "{} call {n}: {err}",
                ex.name
            );
            assert!(
                state.owned.is_empty(),
                "{} call {n}: state keeps {:?}",
                ex.name,
                state.owned.keys()
            );
            let host: SimHost = b.into_host().into_inner();
            assert!(
                host == base,
                "{} call {n}: rollback left:\n{}",
                ex.name,
                host.show()
            );

            let mut b = backend(host);
            up(&mut b, &ex.graph, &mut state)
                .unwrap_or_else(|e| panic!("{} call {n}: next up failed: {e}", ex.name));
            let again = plan(&mut b, &ex.graph, &state);
            assert_converged(&ex, &again, &format!("after failing call {n}"));
        }
    }
}

#[test]
fn private_ports_cannot_talk_but_each_reaches_the_bridge() {
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "showcase")
        .unwrap();
    let mut b = backend(base_host(&ex));
    up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap();
    let h = b.into_host();
    let (d1, d2) = (
        Endpoint::jail("dmz1", "vnet0"),
        Endpoint::jail("dmz2", "vnet0"),
    );
    assert!(
        !h.can_exchange_frames(&d1, &d2),
        "private dmz ports exchanged frames"
    );
    assert!(h.can_exchange_frames(&d1, &Endpoint::host("dmz")));
    assert!(h.can_exchange_frames(&d2, &Endpoint::host("dmz")));
    // The non-private lan lets its jails talk.
    assert!(h.can_exchange_frames(
        &Endpoint::jail("web1", "vnet0"),
        &Endpoint::jail("web2", "vnet0")
    ));
}

/// Spawns per VNET NIC attach: 4, plus one per address after the first.
/// Spawns per VNET NIC attach, beyond one per extra address: 3 on an if_bridge switch
/// when jailnet creates the jail in the same apply (`jail -c … vnet.interface=epairNb`
/// hands the `b` end over, so the jail's creation is the move); 4 into a jail that
/// already runs, and on netgraph switches. iocage and libioc need 6–10.
const NIC_SPAWNS_NEW_JAIL: usize = 3;
const NIC_SPAWNS: usize = 4;

#[test]
fn every_vnet_nic_attach_takes_three_spawns_or_four_into_a_running_jail() {
    let mut attaches = 0;
    let mut with_new_jail = 0;
    for ex in runnable() {
        let mut b = backend(RecordingHost::new(base_host(&ex)));
        let state = state_for(&ex);
        let p = plan(&mut b, &ex.graph, &state);
        for c in &p.changes {
            let before = b.host().count();
            b.apply(c).unwrap();
            let calls: Vec<&jailnet_host::Invocation> =
                b.host().calls[before..].iter().map(|(i, _)| i).collect();
            if let (
                Op::Create,
                Some(Resource::Nic {
                    addrs, switch_imp, ..
                }),
            ) = (c.op, &c.after)
            {
                // A jail created inside this change is the jail's own cost, once per jail;
                // on a bridge it also moves the NIC in (`vnet.interface`).
                let jail_c = calls
                    .iter()
                    .filter(|i| i.program == "jail" && i.args.first().is_some_and(|a| a == "-c"))
                    .count();
                let moved_by_jail = calls.iter().any(|i| {
                    i.program == "jail" && i.args.iter().any(|a| a.starts_with("vnet.interface="))
                });
                let nic_only = calls.len() - jail_c;
                let extra = addrs.len().saturating_sub(1);
                let bound = if moved_by_jail && *switch_imp == SwitchImpl::Bridge {
                    with_new_jail += 1;
                    assert_eq!(
                        calls.len(),
                        NIC_SPAWNS_NEW_JAIL + 1 + extra,
                        "{} {}: {calls:?}",
                        ex.name,
                        c.id
                    );
                    NIC_SPAWNS_NEW_JAIL
                } else {
                    NIC_SPAWNS
                };
                let spent = if moved_by_jail {
                    nic_only
                } else {
                    calls.len() - jail_c
                };
                assert!(
                    spent <= bound + extra,
                    "{} {}: {spent} spawns > {}: {calls:?}",
                    ex.name,
                    c.id,
                    bound + extra
                );
                attaches += 1;
            }
        }
        // Nothing is left waiting: every jail exists after commit.
        b.commit().unwrap();
    }
    assert!(attaches > 10, "only {attaches} NIC attaches seen");
    assert!(
        with_new_jail > 5,
        "only {with_new_jail} NICs created with their jail"
    );
}

#[test]
fn commands_are_a_dry_run_with_placeholder_units() {
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "vm-bhyve-private")
        .unwrap();
    let b = backend(base_host(&ex));
    let p = {
        let mut b = backend(base_host(&ex));
        plan(&mut b, &ex.graph, &state_for(&ex))
    };
    let lines: Vec<String> = p.changes.iter().flat_map(|c| b.commands(c)).collect();
    assert!(lines.contains(&"ifconfig epairN create name vnetcage-vnet0 description jailnet:nic:vnetcage/vnet0 group jailnet up".to_string()), "{lines:#?}");
    assert!(lines
        .contains(&"ifconfig vm-services addm vnetcage-vnet0 private vnetcage-vnet0".to_string()));
    assert!(lines.contains(&"ifconfig epairNb vnet vnetcage".to_string()));
    // Nothing ran: the dry-run backend's host is still fresh.
    assert!(b.into_host() == base_host(&ex));
}
