//! vxlan(4) and vlan(4) keywords (§1.6, §1.2): `vxlanid`, `vxlanlocal`, `vxlanremote`,
//! `vxlangroup`, `vxlandev`, …, and `vlan N`, `vlandev IF`.

use crate::exec::{fail, R};
use crate::state::{IfKind, SimState, VnetId, Vxlan};
use std::net::IpAddr;

/// How many arguments a vxlan/vlan keyword takes, or `None` if `w` is not one.
pub(crate) fn arity(w: &str) -> Option<usize> {
    Some(match w {
        "vxlanid" | "vni" | "vxlanlocal" | "vxlanremote" | "vxlangroup" | "vxlandev"
        | "vxlanlocalport" | "vxlanremoteport" | "vxlantimeout" | "vxlanmaxaddr" | "vxlanttl" => 1,
        "vxlanportrange" => 2,
        "vxlanlearn" | "-vxlanlearn" | "vxlanflush" | "vxlanflushall" => 0,
        "vlan" | "vlandev" | "vlanpcp" => 1,
        "-vlandev" => 0,
        _ => return None,
    })
}

pub(crate) fn apply(st: &mut SimState, vnet: &VnetId, idx: u32, w: &str, args: &[String]) -> R<()> {
    if w.starts_with("vlan") || w == "-vlandev" {
        return vlan(st, vnet, idx, w, args);
    }
    let Some(IfKind::Vxlan(vx)) = st.ifaces.get(&idx).map(|i| i.kind.clone()) else {
        return Err(fail(
            "ifconfig",
            format!("{w}: SIOCSDRVSPEC: Invalid argument"),
        ));
    };
    let mut vx: Vxlan = vx;
    let addr = |s: &str, what: &str| -> R<String> {
        s.parse::<IpAddr>()
            .map(|a| a.to_string())
            .map_err(|_| fail("ifconfig", format!("invalid {what} address: {s}")))
    };
    match w {
        "vxlanid" | "vni" => {
            let n: u32 = args[0]
                .parse()
                .ok()
                .filter(|n| *n < (1 << 24))
                .ok_or_else(|| {
                    fail(
                        "ifconfig",
                        format!("invalid network identifier: {}", args[0]),
                    )
                })?;
            vx.vni = Some(n);
        }
        "vxlanlocal" => vx.local = Some(addr(&args[0], "local")?),
        "vxlanremote" => {
            let a = addr(&args[0], "remote")?;
            if a.parse::<IpAddr>().is_ok_and(|a| a.is_multicast()) {
                return Err(fail(
                    "ifconfig",
                    format!("remote address must be a unicast address: {a}"),
                ));
            }
            vx.remote = Some(a);
            vx.group = None;
        }
        "vxlangroup" => {
            let a = addr(&args[0], "group")?;
            if !a.parse::<IpAddr>().is_ok_and(|a| a.is_multicast()) {
                return Err(fail(
                    "ifconfig",
                    format!("group address must be a multicast address: {a}"),
                ));
            }
            vx.group = Some(a);
            vx.remote = None;
        }
        "vxlandev" => vx.dev = Some(args[0].clone()),
        "vxlanlocalport" | "vxlanremoteport" => {
            let p: u16 = args[0]
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| fail("ifconfig", format!("invalid port: {}", args[0])))?;
            if w == "vxlanlocalport" {
                vx.local_port = p;
            } else {
                vx.remote_port = p;
            }
        }
        _ => {}
    }
    let v6 = vx
        .remote
        .as_ref()
        .or(vx.group.as_ref())
        .is_some_and(|a| a.contains(':'));
    let has_peer = vx.remote.is_some() || vx.group.is_some();
    crate::ifconfig::set_iface(st, idx, |i| {
        if !i.mtu_locked {
            // §1.6 [T]: 1500 minus the encapsulation; 1470 with no tunnel endpoint yet.
            i.mtu = match (has_peer, v6) {
                (false, _) => 1470,
                (true, false) => 1450,
                (true, true) => 1430,
            };
        }
        i.kind = IfKind::Vxlan(vx);
    });
    Ok(())
}

fn vlan(st: &mut SimState, vnet: &VnetId, idx: u32, w: &str, args: &[String]) -> R<()> {
    let Some(IfKind::Vlan { tag, parent }) = st.ifaces.get(&idx).map(|i| i.kind.clone()) else {
        return Err(fail("ifconfig", "SIOCGETVLAN: Invalid argument"));
    };
    let (mut tag, mut parent) = (tag, parent);
    match w {
        "vlan" => {
            let t: u16 = args[0]
                .parse()
                .ok()
                .filter(|t| (1..4095).contains(t))
                .ok_or_else(|| fail("ifconfig", format!("invalid vlan tag: {}", args[0])))?;
            tag = Some(t);
        }
        "vlandev" => {
            let p = st
                .find(vnet, &args[0])
                .ok_or_else(|| fail("ifconfig", format!("interface {} does not exist", args[0])))?;
            parent = Some(p);
        }
        "-vlandev" => parent = None,
        _ => {}
    }
    if let (Some(t), Some(p)) = (tag, parent) {
        let clash = st.ifaces.values().any(|i| {
            i.index != idx
                && matches!(i.kind, IfKind::Vlan { tag: Some(t2), parent: Some(p2) } if t2 == t && p2 == p)
        });
        if clash {
            return Err(fail("ifconfig", "SIOCSETVLAN: File exists"));
        }
    }
    let mac = parent
        .and_then(|p| st.ifaces.get(&p))
        .and_then(|p| p.mac.clone());
    crate::ifconfig::set_iface(st, idx, |i| {
        i.kind = IfKind::Vlan { tag, parent };
        if mac.is_some() {
            i.mac = mac;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::state::IfKind;
    use crate::{SimHost, VnetId};

    #[test]
    fn vxlan_create_with_params() {
        // §1.2/§1.6: vxlan create prints vxlanN; 1450 MTU on an IPv4 tunnel.
        let mut h = SimHost::fresh();
        let o = h.sh(
            "ifconfig",
            &[
                "vxlan",
                "create",
                "vxlanid",
                "111",
                "vxlanlocal",
                "192.168.0.10",
                "vxlangroup",
                "239.0.0.111",
                "vxlandev",
                "em0",
            ],
        );
        assert_eq!(
            (o.status, o.stdout.as_str()),
            (0, "vxlan0\n"),
            "{}",
            o.stderr
        );
        let v = h.iface(&VnetId::Host, "vxlan0").expect("vxlan0");
        assert_eq!(v.mtu, 1450);
        match &v.kind {
            IfKind::Vxlan(x) => {
                assert_eq!(x.vni, Some(111));
                assert_eq!(x.group.as_deref(), Some("239.0.0.111"));
            }
            k => panic!("not vxlan: {k:?}"),
        }
        let o = h.sh("ifconfig", &["vxlan0", "vxlanremote", "239.1.1.1"]);
        assert_eq!(o.status, 1);
    }
}
