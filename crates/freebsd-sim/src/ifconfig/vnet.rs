//! Moving interfaces between vnets: `ifconfig X vnet J`, `ifconfig X -vnet J` (§1.4), and the
//! return of interfaces when a vnet jail dies (§3).

use crate::exec::{fail, Caller, R};
use crate::state::{IfKind, SimState, VnetId};

/// Moves interface `idx` into `to`: it arrives down, without addresses, out of any bridge.
pub(crate) fn move_iface(st: &mut SimState, idx: u32, to: VnetId) {
    st.detach_from_bridges(idx);
    if let Some(i) = st.ifaces.get_mut(&idx) {
        if let IfKind::Bridge { members } = &mut i.kind {
            members.clear();
        }
        i.vnet = to.clone();
        i.up = false;
        i.inet.clear();
        i.inet6.clear();
    }
    let vindex = st.free_vindex(&to);
    if let Some(i) = st.ifaces.get_mut(&idx) {
        i.vindex = vindex;
    }
    crate::route::prune_all(st);
}

/// `ifconfig X vnet KEY` run by `caller` on its interface `idx`.
pub(crate) fn give(st: &mut SimState, caller: &Caller, idx: u32, key: &str) -> R<()> {
    if caller.jail.is_some() {
        return Err(fail("ifconfig", "SIOCSIFVNET: Operation not permitted"));
    }
    let jail = match st.jail_by_key(key) {
        Some(j) => j,
        None if key.parse::<u32>().is_ok() => {
            return Err(fail("ifconfig", "SIOCSIFVNET: Device not configured"))
        }
        None => return Err(fail("ifconfig", format!("jail \"{key}\" not found"))),
    };
    if jail.net.is_none() {
        return Err(fail("ifconfig", "SIOCSIFVNET: File exists"));
    }
    let target = VnetId::Jail(jail.name.clone());
    let name = st
        .ifaces
        .get(&idx)
        .map(|i| i.name.clone())
        .unwrap_or_default();
    if st.find(&target, &name).is_some() {
        return Err(fail("ifconfig", "SIOCSIFVNET: File exists"));
    }
    move_iface(st, idx, target);
    Ok(())
}

/// `ifconfig NAME -vnet KEY`: pull NAME out of jail KEY into the host.
pub(crate) fn reclaim(st: &mut SimState, name: &str, key: &str) -> R<()> {
    let jail = match st.jail_by_key(key) {
        Some(j) => j,
        None if key.parse::<u32>().is_ok() => {
            return Err(fail(
                "ifconfig",
                format!("SIOCSIFRVNET({key}, {name}): Device not configured"),
            ))
        }
        None => return Err(fail("ifconfig", format!("jail \"{key}\" not found"))),
    };
    let jid = jail.jid;
    let from = VnetId::Jail(jail.name.clone());
    let Some(idx) = (if jail.net.is_some() {
        st.find(&from, name)
    } else {
        None
    }) else {
        return Err(fail(
            "ifconfig",
            format!("SIOCSIFRVNET({jid}, {name}): Device not configured"),
        ));
    };
    if st.find(&VnetId::Host, name).is_some() {
        return Err(fail(
            "ifconfig",
            format!("SIOCSIFRVNET({jid}, {name}): File exists"),
        ));
    }
    if st.refuse_reclaim_of_jail_born && st.ifaces.get(&idx).is_some_and(|i| i.home == from) {
        return Err(fail(
            "ifconfig",
            format!("SIOCSIFRVNET({jid}, {name}): Operation not permitted"),
        ));
    }
    move_iface(st, idx, VnetId::Host);
    Ok(())
}

/// The vnet of jail `name` dies: interfaces born there are destroyed (an epair pair-wide),
/// every other interface goes back to its home vnet (§3, `vnet_if_return`).
pub(crate) fn vnet_teardown(st: &mut SimState, name: &str) {
    let dying = VnetId::Jail(name.to_string());
    let here: Vec<(u32, VnetId)> = st
        .ifaces
        .values()
        .filter(|i| i.vnet == dying)
        .map(|i| (i.index, i.home.clone()))
        .collect();
    for (idx, home) in here {
        if !st.ifaces.contains_key(&idx) {
            continue;
        }
        if home == dying {
            let peer = match st.ifaces.get(&idx).map(|i| &i.kind) {
                Some(IfKind::Epair { peer }) => Some(*peer),
                _ => None,
            };
            st.remove_iface(idx);
            if let Some(p) = peer {
                st.remove_iface(p);
            }
        } else {
            move_iface(st, idx, home);
        }
    }
    // Interfaces born in the dying vnet that were lent elsewhere die too.
    let orphans: Vec<u32> = st
        .ifaces
        .values()
        .filter(|i| i.home == dying)
        .map(|i| i.index)
        .collect();
    for o in orphans {
        st.remove_iface(o);
    }
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};

    fn sh(h: &mut SimHost, args: &[&str]) -> (i32, String) {
        let o = h.sh("ifconfig", args);
        (o.status, format!("{}{}", o.stdout, o.stderr))
    }

    #[test]
    fn vnet_move_and_back() {
        let mut h = SimHost::fresh();
        h.sh("jail", &["-c", "name=www", "vnet", "persist"]);
        sh(&mut h, &["epair", "create"]);
        sh(&mut h, &["epair0b", "inet", "10.0.0.2/24", "up"]);
        assert_eq!(sh(&mut h, &["epair0b", "vnet", "www"]).0, 0);
        let www = VnetId::Jail("www".into());
        assert!(h.iface(&VnetId::Host, "epair0b").is_none());
        let b = h.iface(&www, "epair0b").expect("moved");
        assert!(b.inet.is_empty() && !b.up);
        assert_eq!(sh(&mut h, &["epair0b", "-vnet", "www"]).0, 0);
        assert!(h.iface(&VnetId::Host, "epair0b").is_some());
    }

    #[test]
    fn vnet_errors() {
        // §1.4 [V]
        let mut h = SimHost::fresh();
        h.sh("jail", &["-c", "name=plain", "persist"]);
        sh(&mut h, &["epair", "create"]);
        assert_eq!(
            sh(&mut h, &["epair0b", "vnet", "nosuch"]),
            (1, "ifconfig: jail \"nosuch\" not found\n".into())
        );
        assert_eq!(
            sh(&mut h, &["epair0b", "vnet", "plain"]),
            (1, "ifconfig: SIOCSIFVNET: File exists\n".into())
        );
    }

    #[test]
    fn a_bridge_member_leaves_the_bridge_when_moved() {
        // §1.4 [I]: membership is dropped when the interface leaves the vnet.
        let mut h = SimHost::fresh();
        h.sh("jail", &["-c", "name=www", "vnet", "persist"]);
        sh(&mut h, &["bridge", "create"]);
        sh(&mut h, &["tap", "create"]);
        sh(&mut h, &["bridge0", "addm", "tap0"]);
        assert_eq!(sh(&mut h, &["tap0", "vnet", "www"]).0, 0);
        let s = sh(&mut h, &["bridge0"]).1;
        assert!(!s.contains("member:"), "{s}");
        // a numeric argument is a JID
        assert_eq!(sh(&mut h, &["tap0", "-vnet", "1"]).0, 0);
        assert_eq!(
            sh(&mut h, &["tap0", "-vnet", "1"]),
            (
                1,
                "ifconfig: SIOCSIFRVNET(1, tap0): Device not configured\n".into()
            )
        );
    }

    #[test]
    fn a_pair_born_in_a_jail_comes_out_configured_and_dies_with_the_jail() {
        // §1.4 [I] (taken: `-vnet` checks no home vnet); §1.1: the words after
        // `-vnet JAIL` apply on the host; §3: an interface born in a vnet dies with it.
        let mut h = SimHost::fresh();
        h.sh("jail", &["-c", "name=www", "vnet", "persist"]);
        let o = h.sh(
            "jexec",
            &[
                "www",
                "ifconfig",
                "epair3",
                "create",
                "inet",
                "10.0.0.2/24",
                "name",
                "vnet0",
                "up",
            ],
        );
        assert_eq!(
            (o.status, o.stdout.as_str()),
            (0, "vnet0\n"),
            "{}",
            o.stderr
        );
        let www = VnetId::Jail("www".into());
        assert!(h
            .iface(&www, "vnet0")
            .is_some_and(|i| i.up && !i.inet.is_empty()));
        let o = sh(&mut h, &["epair3b", "-vnet", "www", "name", "www-0", "up"]);
        assert_eq!(o, (0, "www-0\n".into()));
        let host_end = h.iface(&VnetId::Host, "www-0").expect("pulled out");
        assert!(host_end.up && host_end.home == www);
        h.sh("jail", &["-r", "www"]);
        assert!(h.iface(&VnetId::Host, "www-0").is_none());
        assert_eq!(h.state(), SimHost::fresh().state());
    }

    #[test]
    fn the_other_kernel_refuses_and_a_jail_cannot_load_if_epair() {
        let mut h = SimHost::fresh().refusing_reclaim_of_jail_born();
        h.sh("jail", &["-c", "name=www", "vnet", "persist"]);
        assert_eq!(
            h.sh("jexec", &["www", "ifconfig", "epair3", "create"])
                .status,
            0
        );
        assert_eq!(
            sh(&mut h, &["epair3b", "-vnet", "www", "up"]),
            (
                1,
                "ifconfig: SIOCSIFRVNET(1, epair3b): Operation not permitted\n".into()
            )
        );
        let mut h = SimHost::fresh().without_module("if_epair");
        h.sh("jail", &["-c", "name=www", "vnet", "persist"]);
        let o = h.sh("jexec", &["www", "ifconfig", "epair3", "create"]);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "ifconfig: SIOCIFCREATE2 (epair3): Invalid argument\n")
        );
        // ifconfig on the host loads it (ifmaybeload), after which the jail can too.
        assert_eq!(sh(&mut h, &["epair", "create"]).0, 0);
        assert_eq!(
            h.sh("jexec", &["www", "ifconfig", "epair3", "create"])
                .status,
            0
        );
    }
}
