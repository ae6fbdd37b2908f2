//! Interface cloning: which cloner a `NAME create` means, unit allocation, the new
//! interface's defaults (§1.2, §3), and `destroy` (epair destroys both ends).

use crate::exec::{fail, Caller, R};
use crate::state::{derived_mac, CloneUnit, IfKind, Iface, SimState, VnetId, Vxlan};

/// What `ifconfig NAME create` asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CloneReq {
    Epair(Option<u32>),
    Bridge(Option<u32>),
    Vxlan(Option<u32>),
    Lo(Option<u32>),
    Tap(Option<u32>),
    /// `vlan` / `vlanN`, tag and parent come from later arguments.
    Vlan(Option<u32>),
    /// `PARENT.TAG` (`em0.101`).
    DotVlan {
        parent: String,
        tag: u16,
    },
}

/// Matches a typed name against the cloners (`epair`, `epair7`, `em0.101`, …).
pub(crate) fn classify(st: &SimState, vnet: &VnetId, name: &str) -> Option<CloneReq> {
    if let Some((parent, tag)) = name.rsplit_once('.') {
        let tag: u16 = tag.parse().ok()?;
        return st.find(vnet, parent).map(|_| CloneReq::DotVlan {
            parent: parent.to_string(),
            tag,
        });
    }
    let split = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (base, digits) = name.split_at(split);
    let unit = if digits.is_empty() {
        None
    } else if digits.chars().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
    {
        Some(digits.parse().ok()?)
    } else {
        return None;
    };
    Some(match base {
        "epair" => CloneReq::Epair(unit),
        "bridge" => CloneReq::Bridge(unit),
        "vxlan" => CloneReq::Vxlan(unit),
        "lo" => CloneReq::Lo(unit),
        "tap" => CloneReq::Tap(unit),
        "vlan" => CloneReq::Vlan(unit),
        _ => return None,
    })
}

/// ifconfig's `ifmaybeload`: the kernel module behind a cloner is loaded on first use
/// (§2 [V]); inside a jail kldload is not permitted, so the create fails as the kernel
/// knows no such cloner. Modelled for `if_epair` and `if_bridge` (a fresh host has both
/// loaded; tests unload them); the vxlan module is taken as always there.
pub(crate) fn load_module(
    st: &mut SimState,
    caller: &Caller,
    typed: &str,
    req: &CloneReq,
) -> R<()> {
    let module = match req {
        CloneReq::Epair(_) => "if_epair",
        CloneReq::Bridge(_) => "if_bridge",
        _ => return Ok(()),
    };
    if st.modules.contains(module) {
        return Ok(());
    }
    if caller.jail.is_some() {
        return Err(fail(
            "ifconfig",
            format!("SIOCIFCREATE2 ({typed}): Invalid argument"),
        ));
    }
    st.modules.insert(module.to_string());
    Ok(())
}

/// Creates the interface(s) for `req` in `vnet`; returns the index of the one ifconfig
/// goes on to configure (`epairNa` for an epair).
pub(crate) fn create(st: &mut SimState, vnet: &VnetId, typed: &str, req: CloneReq) -> R<u32> {
    let exists = |st: &SimState, n: &str| st.find(vnet, n).is_some();
    let pick = |st: &SimState, cloner: &str, unit: Option<u32>| -> R<u32> {
        match unit {
            Some(u) if st.unit_taken(cloner, u) => Err(fail(
                "ifconfig",
                format!("interface {typed} already exists"),
            )),
            Some(u) => Ok(u),
            None => Ok(st.free_unit(cloner)),
        }
    };
    match req {
        CloneReq::Epair(unit) => {
            let u = pick(st, "epair", unit)?;
            let (na, nb) = (format!("epair{u}a"), format!("epair{u}b"));
            if exists(st, &na) || exists(st, &nb) {
                return Err(fail(
                    "ifconfig",
                    format!("interface {typed} already exists"),
                ));
            }
            let ia = st.free_index();
            let mut a = base(&na, ia, IfKind::Epair { peer: 0 }, vnet, "epair", u);
            a.mac = Some(derived_mac(&format!("epair{u}"), Some(0x0a)));
            st.insert_iface(ia, a);
            let ib = st.free_index();
            let mut b = base(&nb, ib, IfKind::Epair { peer: ia }, vnet, "epair", u);
            b.mac = Some(derived_mac(&format!("epair{u}"), Some(0x0b)));
            st.insert_iface(ib, b);
            if let Some(a) = st.ifaces.get_mut(&ia) {
                a.kind = IfKind::Epair { peer: ib };
            }
            Ok(ia)
        }
        CloneReq::Bridge(unit) => simple(
            st,
            vnet,
            typed,
            "bridge",
            pick(st, "bridge", unit)?,
            IfKind::Bridge {
                members: Vec::new(),
            },
        ),
        CloneReq::Vxlan(unit) => {
            let u = pick(st, "vxlan", unit)?;
            let idx = simple(
                st,
                vnet,
                typed,
                "vxlan",
                u,
                IfKind::Vxlan(Vxlan {
                    local_port: 4789,
                    remote_port: 4789,
                    ..Vxlan::default()
                }),
            )?;
            if let Some(i) = st.ifaces.get_mut(&idx) {
                i.mtu = 1470;
            }
            Ok(idx)
        }
        CloneReq::Tap(unit) => simple(st, vnet, typed, "tap", pick(st, "tap", unit)?, IfKind::Tap),
        CloneReq::Vlan(unit) => simple(
            st,
            vnet,
            typed,
            "vlan",
            pick(st, "vlan", unit)?,
            IfKind::Vlan {
                tag: None,
                parent: None,
            },
        ),
        CloneReq::Lo(unit) => {
            let u = pick(st, "lo", unit)?;
            let name = format!("lo{u}");
            if exists(st, &name) {
                return Err(fail(
                    "ifconfig",
                    format!("interface {typed} already exists"),
                ));
            }
            let lo = new_loopback(st, &name, vnet.clone(), Some(u));
            let idx = lo.index;
            st.insert_iface(idx, lo);
            Ok(idx)
        }
        CloneReq::DotVlan { parent, tag } => {
            if exists(st, typed) {
                return Err(fail(
                    "ifconfig",
                    format!("interface {typed} already exists"),
                ));
            }
            let pidx = st
                .find(vnet, &parent)
                .ok_or_else(|| fail("ifconfig", format!("interface {parent} does not exist")))?;
            if vlan_tag_taken(st, pidx, tag) {
                return Err(fail("ifconfig", "SIOCIFCREATE2: File exists"));
            }
            let u = st.free_unit("vlan");
            let idx = st.free_index();
            let mut v = base(
                typed,
                idx,
                IfKind::Vlan {
                    tag: Some(tag),
                    parent: Some(pidx),
                },
                vnet,
                "vlan",
                u,
            );
            v.mac = st.ifaces.get(&pidx).and_then(|p| p.mac.clone());
            st.insert_iface(idx, v);
            Ok(idx)
        }
    }
}

/// Whether `parent` already carries a vlan with `tag`.
pub(crate) fn vlan_tag_taken(st: &SimState, parent: u32, tag: u16) -> bool {
    st.ifaces.values().any(|i| {
        matches!(i.kind, IfKind::Vlan { tag: Some(t), parent: Some(p) } if t == tag && p == parent)
    })
}

fn simple(
    st: &mut SimState,
    vnet: &VnetId,
    typed: &str,
    cloner: &str,
    unit: u32,
    kind: IfKind,
) -> R<u32> {
    let name = format!("{cloner}{unit}");
    if st.find(vnet, &name).is_some() {
        return Err(fail(
            "ifconfig",
            format!("interface {typed} already exists"),
        ));
    }
    let idx = st.free_index();
    let mut i = base(&name, idx, kind, vnet, cloner, unit);
    i.mac = Some(derived_mac(&format!("{cloner}{unit}"), None));
    st.insert_iface(idx, i);
    Ok(idx)
}

fn base(name: &str, index: u32, kind: IfKind, vnet: &VnetId, cloner: &str, unit: u32) -> Iface {
    Iface {
        name: name.to_string(),
        index,
        vindex: 0,
        kind,
        clone: Some(CloneUnit {
            cloner: cloner.to_string(),
            unit,
        }),
        vnet: vnet.clone(),
        home: vnet.clone(),
        up: false,
        mtu: 1500,
        mac: None,
        description: None,
        groups: vec![cloner.to_string()],
        inet: Vec::new(),
        inet6: Vec::new(),
        carrier: true,
        mtu_locked: false,
    }
}

/// A loopback interface (`lo0` is created at boot; `loN` by the `lo` cloner).
pub(crate) fn new_loopback(st: &SimState, name: &str, vnet: VnetId, unit: Option<u32>) -> Iface {
    let index = st.free_index();
    let mut i = base(
        name,
        index,
        IfKind::Loopback,
        &vnet,
        "lo",
        unit.unwrap_or(0),
    );
    i.mtu = 16384;
    if unit.is_none() {
        i.clone = None;
    }
    i
}

/// `ifconfig NAME destroy`: an epair takes its peer with it, wherever the peer is.
pub(crate) fn destroy(st: &mut SimState, idx: u32) -> R<()> {
    let Some(i) = st.ifaces.get(&idx) else {
        return Ok(());
    };
    if i.clone.is_none() || matches!(i.kind, IfKind::NgEth { .. }) || i.name == "lo0" {
        return Err(fail("ifconfig", "SIOCIFDESTROY: Invalid argument"));
    }
    let peer = match i.kind {
        IfKind::Epair { peer } => Some(peer),
        _ => None,
    };
    // vlans stacked on a destroyed interface go with it
    let children: Vec<u32> = st
        .ifaces
        .values()
        .filter(|v| matches!(v.kind, IfKind::Vlan { parent: Some(p), .. } if p == idx || Some(p) == peer))
        .map(|v| v.index)
        .collect();
    st.remove_iface(idx);
    if let Some(p) = peer {
        st.remove_iface(p);
    }
    for c in children {
        st.remove_iface(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_knows_the_cloners() {
        let st = crate::SimHost::fresh().state().clone();
        let h = VnetId::Host;
        assert_eq!(classify(&st, &h, "epair"), Some(CloneReq::Epair(None)));
        assert_eq!(classify(&st, &h, "epair7"), Some(CloneReq::Epair(Some(7))));
        // §1.2: the epair cloner only matches `epair` and `epair<digits>`.
        assert_eq!(classify(&st, &h, "epair0a"), None);
        assert_eq!(
            classify(&st, &h, "bridge3"),
            Some(CloneReq::Bridge(Some(3)))
        );
        assert_eq!(
            classify(&st, &h, "em0.101"),
            Some(CloneReq::DotVlan {
                parent: "em0".into(),
                tag: 101
            })
        );
        assert_eq!(classify(&st, &h, "igb9.101"), None);
        assert_eq!(classify(&st, &h, "foo0"), None);
    }
}
