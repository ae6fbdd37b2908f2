//! if_bridge commands on `ifconfig bridgeN …` (§1.5): `addm`, `deletem`, member flags such as
//! `private`, and the accepted-but-unmodelled STP/FDB knobs.

use crate::exec::{fail, R};
use crate::state::{BridgeMember, IfKind, SimState, VnetId};

pub(crate) const IFBIF_LEARNING: u32 = 0x0001;
pub(crate) const IFBIF_DISCOVER: u32 = 0x0002;
pub(crate) const IFBIF_STP: u32 = 0x0004;
pub(crate) const IFBIF_STICKY: u32 = 0x0010;
pub(crate) const IFBIF_BSTP_EDGE: u32 = 0x0020;
pub(crate) const IFBIF_BSTP_AUTOEDGE: u32 = 0x0040;
pub(crate) const IFBIF_BSTP_PTP: u32 = 0x0080;
pub(crate) const IFBIF_BSTP_AUTOPTP: u32 = 0x0100;
pub(crate) const IFBIF_PRIVATE: u32 = 0x0800;

/// Flags of a new member: LEARNING, DISCOVER, and the STP auto-detection bits
/// (printed `flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>`).
pub(crate) const NEW_MEMBER_FLAGS: u32 =
    IFBIF_LEARNING | IFBIF_DISCOVER | IFBIF_BSTP_AUTOEDGE | IFBIF_BSTP_AUTOPTP;

/// `ifconfig` prints member flags in this order (ifbridge.c's bit string), not bit order.
pub(crate) const MEMBER_FLAG_NAMES: &[(u32, &str)] = &[
    (IFBIF_LEARNING, "LEARNING"),
    (IFBIF_DISCOVER, "DISCOVER"),
    (IFBIF_STP, "STP"),
    (0x0008, "SPAN"),
    (IFBIF_STICKY, "STICKY"),
    (IFBIF_PRIVATE, "PRIVATE"),
    (IFBIF_BSTP_EDGE, "EDGE"),
    (IFBIF_BSTP_AUTOEDGE, "AUTOEDGE"),
    (IFBIF_BSTP_PTP, "PTP"),
    (IFBIF_BSTP_AUTOPTP, "AUTOPTP"),
];

/// Member flag keywords (`private`, `-private`, …) and the bit they set or clear.
fn flag_of(w: &str) -> Option<(u32, bool)> {
    let (name, on) = match w.strip_prefix('-') {
        Some(n) => (n, false),
        None => (w, true),
    };
    let bit = match name {
        "learn" => IFBIF_LEARNING,
        "discover" => IFBIF_DISCOVER,
        "stp" => IFBIF_STP,
        "sticky" => IFBIF_STICKY,
        "edge" => IFBIF_BSTP_EDGE,
        "autoedge" => IFBIF_BSTP_AUTOEDGE,
        "ptp" => IFBIF_BSTP_PTP,
        "autoptp" => IFBIF_BSTP_AUTOPTP,
        "private" => IFBIF_PRIVATE,
        _ => return None,
    };
    Some((bit, on))
}

/// How many arguments a bridge keyword takes, or `None` if `w` is not one.
pub(crate) fn arity(w: &str) -> Option<usize> {
    if flag_of(w).is_some() {
        return Some(1);
    }
    Some(match w {
        "addm" | "deletem" | "span" | "-span" | "deladdr" | "maxaddr" | "timeout" | "hellotime"
        | "fwddelay" | "maxage" | "priority" | "proto" | "holdcnt" => 1,
        "static" | "ifpriority" | "ifpathcost" | "ifmaxaddr" => 2,
        "flush" | "flushall" => 0,
        _ => return None,
    })
}

/// Applies one bridge keyword to bridge `br`.
pub(crate) fn apply(st: &mut SimState, vnet: &VnetId, br: u32, w: &str, args: &[String]) -> R<()> {
    let is_bridge = matches!(
        st.ifaces.get(&br).map(|i| &i.kind),
        Some(IfKind::Bridge { .. })
    );
    if let Some((bit, on)) = flag_of(w) {
        let m = &args[0];
        if !is_bridge || !set_member_flag(st, br, vnet, m, bit, on) {
            return Err(fail(
                "ifconfig",
                "unable to get bridge flags: No such file or directory",
            ));
        }
        return Ok(());
    }
    match w {
        "addm" => addm(st, vnet, br, is_bridge, &args[0]),
        "deletem" => {
            let m = &args[0];
            let idx = st.find(vnet, m);
            let removed = is_bridge && idx.is_some_and(|i| remove_member(st, br, i));
            if !removed {
                return Err(fail(
                    "ifconfig",
                    format!("BRDGDEL {m}: No such file or directory"),
                ));
            }
            Ok(())
        }
        "static" => {
            let Some(mac) = crate::state::parse_mac(&args[1]) else {
                return Err(fail(
                    "ifconfig",
                    format!("{}: invalid address: {}", args[0], args[1]),
                ));
            };
            bridge_only(is_bridge, &format!("BRDGSADDR {}", args[0]))?;
            // The port must be a member (bridge_ioctl_saddr: ENOENT otherwise).
            let port = st
                .find(vnet, &args[0])
                .filter(|i| st.bridge_of(*i).is_some_and(|(b, _)| b == br))
                .ok_or_else(|| {
                    fail(
                        "ifconfig",
                        format!("BRDGSADDR {}: No such file or directory", args[0]),
                    )
                })?;
            st.fdb.entry(br).or_default().insert(mac, port);
            Ok(())
        }
        "deladdr" => {
            let Some(mac) = crate::state::parse_mac(&args[0]) else {
                return Err(fail("ifconfig", format!("invalid address: {}", args[0])));
            };
            bridge_only(is_bridge, &format!("BRDGDADDR {}", args[0]))?;
            let gone = st.fdb.get_mut(&br).and_then(|t| t.remove(&mac)).is_some();
            st.fdb.retain(|_, t| !t.is_empty());
            if gone {
                Ok(())
            } else {
                Err(fail(
                    "ifconfig",
                    format!("BRDGDADDR {}: No such file or directory", args[0]),
                ))
            }
        }
        "flush" | "flushall" => bridge_only(is_bridge, "BRDGFLUSH"),
        "span" => bridge_only(is_bridge, &format!("BRDGADDS {}", args[0])),
        "-span" => bridge_only(is_bridge, &format!("BRDGDELS {}", args[0])),
        _ => bridge_only(is_bridge, "BRDGSPARAM"),
    }
}

fn bridge_only(is_bridge: bool, what: &str) -> R<()> {
    if is_bridge {
        Ok(())
    } else {
        Err(fail("ifconfig", format!("{what}: Invalid argument")))
    }
}

fn addm(st: &mut SimState, vnet: &VnetId, br: u32, is_bridge: bool, m: &str) -> R<()> {
    let err = |e: &str| Err(fail("ifconfig", format!("BRDGADD {m}: {e}")));
    let Some(idx) = st.find(vnet, m) else {
        return err("No such file or directory");
    };
    if !is_bridge || idx == br {
        return err("Invalid argument");
    }
    if let Some((owner, _)) = st.bridge_of(idx) {
        return if owner == br {
            err("File exists")
        } else {
            err("Device busy")
        };
    }
    let Some(member) = st.ifaces.get(&idx) else {
        return err("No such file or directory");
    };
    if !member.kind.is_ether() || matches!(member.kind, IfKind::Bridge { .. }) {
        return err("Invalid argument");
    }
    let member_mtu = member.mtu;
    let Some(bridge) = st.ifaces.get_mut(&br) else {
        return err("Invalid argument");
    };
    let IfKind::Bridge { members } = &mut bridge.kind else {
        return err("Invalid argument");
    };
    // §2: the first member defines the bridge MTU; later ones are forced to it (15.x).
    let new_mtu = if members.is_empty() {
        bridge.mtu = member_mtu;
        member_mtu
    } else {
        bridge.mtu
    };
    members.insert(
        0,
        BridgeMember {
            index: idx,
            flags: NEW_MEMBER_FLAGS,
        },
    );
    if let Some(mi) = st.ifaces.get_mut(&idx) {
        mi.mtu = new_mtu;
    }
    Ok(())
}

/// Removes member `idx` from bridge `br`; false when it was not a member.
pub(crate) fn remove_member(st: &mut SimState, br: u32, idx: u32) -> bool {
    if let Some(IfKind::Bridge { members }) = st.ifaces.get_mut(&br).map(|b| &mut b.kind) {
        let before = members.len();
        members.retain(|x| x.index != idx);
        let removed = members.len() != before;
        if removed {
            st.forget_fdb(idx);
        }
        return removed;
    }
    false
}

fn set_member_flag(st: &mut SimState, br: u32, vnet: &VnetId, m: &str, bit: u32, on: bool) -> bool {
    let Some(idx) = st.find(vnet, m) else {
        return false;
    };
    if let Some(IfKind::Bridge { members }) = st.ifaces.get_mut(&br).map(|b| &mut b.kind) {
        if let Some(mem) = members.iter_mut().find(|x| x.index == idx) {
            if on {
                mem.flags |= bit;
            } else {
                mem.flags &= !bit;
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};

    fn run(h: &mut SimHost, args: &[&str]) -> (i32, String) {
        let o = h.sh("ifconfig", args);
        (o.status, format!("{}{}", o.stdout, o.stderr))
    }

    fn member_flags(h: &SimHost, br: &str, m: &str) -> Option<u32> {
        let b = h.iface(&VnetId::Host, br)?;
        let mi = h.iface(&VnetId::Host, m)?.index;
        match &b.kind {
            crate::state::IfKind::Bridge { members } => {
                members.iter().find(|x| x.index == mi).map(|x| x.flags)
            }
            _ => None,
        }
    }

    #[test]
    fn addm_private_up_in_one_call_apply_in_order() {
        let mut h = SimHost::fresh();
        run(&mut h, &["bridge", "create"]);
        run(&mut h, &["epair", "create"]);
        let r = run(
            &mut h,
            &["bridge0", "addm", "epair0a", "private", "epair0a", "up"],
        );
        assert_eq!(r, (0, String::new()));
        assert_eq!(member_flags(&h, "bridge0", "epair0a"), Some(0x943));
        assert!(h.iface(&VnetId::Host, "bridge0").is_some_and(|b| b.up));
        run(&mut h, &["bridge0", "-private", "epair0a"]);
        assert_eq!(member_flags(&h, "bridge0", "epair0a"), Some(0x143));
    }

    #[test]
    fn private_before_addm_fails_like_the_real_one() {
        // §1.5 [V]: the flag needs membership first.
        let mut h = SimHost::fresh();
        run(&mut h, &["bridge", "create"]);
        run(&mut h, &["epair", "create"]);
        let r = run(
            &mut h,
            &["bridge0", "private", "epair0a", "addm", "epair0a"],
        );
        assert_eq!(
            r,
            (
                1,
                "ifconfig: unable to get bridge flags: No such file or directory\n".into()
            )
        );
        assert_eq!(member_flags(&h, "bridge0", "epair0a"), None);
    }

    #[test]
    fn addm_errors() {
        // §1.5 [V]: ENOENT / EEXIST / EBUSY.
        let mut h = SimHost::fresh();
        run(&mut h, &["bridge", "create"]);
        run(&mut h, &["bridge", "create"]);
        run(&mut h, &["epair", "create"]);
        assert_eq!(
            run(&mut h, &["bridge0", "addm", "epair9a"]),
            (
                1,
                "ifconfig: BRDGADD epair9a: No such file or directory\n".into()
            )
        );
        assert_eq!(run(&mut h, &["bridge0", "addm", "epair0a"]).0, 0);
        assert_eq!(
            run(&mut h, &["bridge0", "addm", "epair0a"]),
            (1, "ifconfig: BRDGADD epair0a: File exists\n".into())
        );
        assert_eq!(
            run(&mut h, &["bridge1", "addm", "epair0a"]),
            (1, "ifconfig: BRDGADD epair0a: Device busy\n".into())
        );
        assert_eq!(
            run(&mut h, &["bridge1", "deletem", "epair0a"]),
            (
                1,
                "ifconfig: BRDGDEL epair0a: No such file or directory\n".into()
            )
        );
        assert_eq!(run(&mut h, &["bridge0", "deletem", "epair0a"]).0, 0);
    }

    #[test]
    fn member_mtu_is_locked_and_bridge_mtu_propagates() {
        // §1.5 [T: SatL-15.1]
        let mut h = SimHost::fresh();
        run(&mut h, &["bridge", "create"]);
        run(&mut h, &["epair", "create"]);
        run(&mut h, &["bridge0", "addm", "epair0a"]);
        let r = run(&mut h, &["epair0a", "mtu", "1500"]);
        assert_eq!(
            r,
            (
                1,
                "ifconfig: ioctl SIOCSIFMTU (set mtu): Operation not supported\n".into()
            )
        );
        run(&mut h, &["bridge0", "mtu", "9000"]);
        assert_eq!(h.iface(&VnetId::Host, "epair0a").map(|i| i.mtu), Some(9000));
    }
}
