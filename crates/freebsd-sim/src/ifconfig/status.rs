//! The `ifconfig IF` / `ifconfig -a` status text (§1.3): flags line, description, options,
//! ether, inet/inet6, bridge block, groups, vxlan/vlan lines, media/status, nd6.

use super::bridge::MEMBER_FLAG_NAMES;
use crate::exec::Caller;
use crate::state::{IfKind, Iface, SimState};

const IFF_UP: u32 = 0x1;
const IFF_BROADCAST: u32 = 0x2;
const IFF_LOOPBACK: u32 = 0x8;
const IFF_RUNNING: u32 = 0x40;
const IFF_PROMISC: u32 = 0x100;
const IFF_SIMPLEX: u32 = 0x800;
const IFF_MULTICAST: u32 = 0x8000;

const FLAG_NAMES: &[(u32, &str)] = &[
    (IFF_UP, "UP"),
    (IFF_BROADCAST, "BROADCAST"),
    (IFF_LOOPBACK, "LOOPBACK"),
    (IFF_RUNNING, "RUNNING"),
    (IFF_PROMISC, "PROMISC"),
    (IFF_SIMPLEX, "SIMPLEX"),
    (IFF_MULTICAST, "MULTICAST"),
];

const CAP_NAMES: &[(u32, &str)] = &[
    (0x1, "RXCSUM"),
    (0x2, "TXCSUM"),
    (0x8, "VLAN_MTU"),
    (0x10, "VLAN_HWTAGGING"),
    (0x80, "VLAN_HWCSUM"),
    (0x80000, "LINKSTATE"),
    (0x200000, "RXCSUM_IPV6"),
    (0x400000, "TXCSUM_IPV6"),
];

const ND6_NAMES: &[(u32, &str)] = &[
    (0x1, "PERFORMNUD"),
    (0x8, "IFDISABLED"),
    (0x20, "AUTO_LINKLOCAL"),
];

/// `ifconfig -a` as `caller` sees it.
pub(crate) fn all(st: &SimState, caller: &Caller) -> String {
    st.in_vnet(&caller.vnet)
        .map(|i| render(st, caller, i))
        .collect()
}

/// `ifconfig IF`.
pub(crate) fn one(st: &SimState, caller: &Caller, idx: u32) -> String {
    st.ifaces
        .get(&idx)
        .map(|i| render(st, caller, i))
        .unwrap_or_default()
}

/// `HEX<NAME,NAME>` for a bit set, names in table order.
pub(crate) fn bits(v: u32, names: &[(u32, &str)]) -> String {
    let set: Vec<&str> = names
        .iter()
        .filter(|(b, _)| v & b != 0)
        .map(|(_, n)| *n)
        .collect();
    format!("{v:x}<{}>", set.join(","))
}

/// Whether the driver reports RUNNING.
pub(crate) fn running(st: &SimState, i: &Iface) -> bool {
    match &i.kind {
        IfKind::Epair { .. } => true,
        IfKind::Tap => false,
        IfKind::Vxlan(v) => i.up && (v.remote.is_some() || v.group.is_some()),
        IfKind::Vlan { parent, tag } => {
            i.up && parent.is_some_and(|p| st.ifaces.contains_key(&p)) && tag.is_some()
        }
        _ => i.up,
    }
}

pub(crate) fn flags(st: &SimState, i: &Iface) -> u32 {
    let mut f = IFF_MULTICAST;
    if i.up {
        f |= IFF_UP;
    }
    if matches!(i.kind, IfKind::Loopback) {
        f |= IFF_LOOPBACK;
    } else {
        f |= IFF_BROADCAST | IFF_SIMPLEX;
    }
    if running(st, i) {
        f |= IFF_RUNNING;
    }
    if st.bridge_of(i.index).is_some() {
        f |= IFF_PROMISC;
    }
    f
}

fn options(i: &Iface) -> Option<u32> {
    match &i.kind {
        IfKind::Physical { .. } => Some(0x9b),
        IfKind::Loopback => Some(0x680003),
        IfKind::Epair { .. } => Some(0x8),
        IfKind::Vxlan(_) => Some(0x80000),
        IfKind::Vlan { .. } => Some(0x3),
        IfKind::Tap => Some(0x80000),
        IfKind::Bridge { .. } | IfKind::NgEth { .. } => None,
    }
}

fn render(st: &SimState, caller: &Caller, i: &Iface) -> String {
    let mut s = format!(
        "{}: flags={} metric 0 mtu {}\n",
        i.name,
        bits(flags(st, i), FLAG_NAMES),
        i.mtu
    );
    if let Some(d) = &i.description {
        s.push_str(&format!("\tdescription: {d}\n"));
    }
    if let Some(o) = options(i) {
        s.push_str(&format!("\toptions={}\n", bits(o, CAP_NAMES)));
    }
    if let Some(m) = &i.mac {
        s.push_str(&format!("\tether {m}\n"));
    }
    // A non-vnet jail sees only its own addresses.
    let jail = caller
        .jail
        .as_ref()
        .filter(|_| caller.non_vnet_jail())
        .and_then(|j| st.jails.get(j));
    let visible = |a: &str| match jail {
        None => true,
        Some(j) => j.ip4.iter().chain(j.ip6.iter()).any(|x| x.addr == a),
    };
    for a in &i.inet {
        if !visible(&a.addr.to_string()) {
            continue;
        }
        s.push_str(&format!("\tinet {} netmask 0x{:08x}", a.addr, a.mask()));
        if flags(st, i) & IFF_BROADCAST != 0 && a.prefix != 0 {
            s.push_str(&format!(" broadcast {}", a.broadcast()));
        }
        s.push('\n');
    }
    for a in &i.inet6 {
        if !visible(&a.addr.to_string()) {
            continue;
        }
        if a.addr.segments()[0] & 0xffc0 == 0xfe80 {
            s.push_str(&format!(
                "\tinet6 {}%{} prefixlen {} scopeid 0x{:x}\n",
                a.addr, i.name, a.prefix, i.vindex
            ));
        } else {
            s.push_str(&format!("\tinet6 {} prefixlen {}\n", a.addr, a.prefix));
        }
    }
    if let IfKind::Bridge { members } = &i.kind {
        s.push_str("\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n");
        s.push_str("\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n");
        s.push_str("\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0\n");
        for m in members {
            let Some(mi) = st.ifaces.get(&m.index) else {
                continue;
            };
            s.push_str(&format!(
                "\tmember: {} flags={}\n\t        ifmaxaddr 0 port {} priority 128 path cost {}\n",
                mi.name,
                bits(m.flags, MEMBER_FLAG_NAMES),
                mi.vindex,
                path_cost(mi)
            ));
        }
    }
    if !i.groups.is_empty() {
        s.push_str(&format!("\tgroups: {}\n", i.groups.join(" ")));
    }
    match &i.kind {
        IfKind::Vxlan(v) => {
            let local = v.local.as_deref().unwrap_or("0.0.0.0");
            s.push_str(&format!(
                "\tvxlan vni {} local {}:{}",
                v.vni.unwrap_or(0),
                hostport(local),
                v.local_port
            ));
            if let Some(g) = &v.group {
                s.push_str(&format!(" group {}:{}", hostport(g), v.remote_port));
            } else if let Some(r) = &v.remote {
                s.push_str(&format!(" remote {}:{}", hostport(r), v.remote_port));
            }
            s.push('\n');
        }
        IfKind::Vlan { tag, parent } => {
            let p = parent
                .and_then(|p| st.ifaces.get(&p))
                .map(|p| p.name.as_str())
                .unwrap_or("<none>");
            s.push_str(&format!(
                "\tvlan: {} vlanpcp: 0 parent interface: {}\n",
                tag.unwrap_or(0),
                p
            ));
        }
        _ => {}
    }
    if let Some((media, active)) = media(st, i) {
        s.push_str(&format!("\tmedia: {media}\n"));
        s.push_str(if active {
            "\tstatus: active\n"
        } else {
            "\tstatus: no carrier\n"
        });
    }
    let mut nd6 = 0x1;
    if !matches!(i.kind, IfKind::Bridge { .. }) {
        nd6 |= 0x20;
    }
    let has_v6 = !i.inet6.is_empty();
    if !has_v6 {
        nd6 |= 0x8;
    }
    s.push_str(&format!("\tnd6 options={}\n", bits(nd6, ND6_NAMES)));
    s
}

fn hostport(a: &str) -> String {
    if a.contains(':') {
        format!("[{a}]")
    } else {
        a.to_string()
    }
}

fn path_cost(i: &Iface) -> u32 {
    match i.kind {
        IfKind::Tap => 2_000_000,
        IfKind::Physical { .. } => 20_000,
        _ => 2_000,
    }
}

fn media(st: &SimState, i: &Iface) -> Option<(String, bool)> {
    match &i.kind {
        IfKind::Physical { media } if i.carrier => {
            Some((format!("Ethernet autoselect ({media})"), true))
        }
        IfKind::Physical { .. } => Some(("Ethernet autoselect".into(), false)),
        IfKind::Epair { .. } => Some(("Ethernet 10Gbase-T (10Gbase-T <full-duplex>)".into(), true)),
        IfKind::Vxlan(_) => Some((
            "Ethernet autoselect (autoselect <full-duplex>)".into(),
            running(st, i),
        )),
        IfKind::Vlan { .. } => Some((
            "Ethernet autoselect (1000baseT <full-duplex>)".into(),
            running(st, i),
        )),
        IfKind::Tap => Some(("Ethernet autoselect".into(), false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::SimHost;

    fn show(h: &mut SimHost, name: &str) -> String {
        let o = h.sh("ifconfig", &[name]);
        assert_eq!(o.status, 0, "{}", o.stderr);
        o.stdout
    }

    #[test]
    fn epair_member_status_matches_the_real_layout() {
        // §1.3 line order [V: ifconfig.c status, af_inet.c, ifgroup.c]; seed 004 transcript.
        let mut h = SimHost::fresh();
        h.sh("ifconfig", &["epair", "create", "up"]);
        h.sh("ifconfig", &["bridge", "create", "up"]);
        h.sh("ifconfig", &["bridge0", "addm", "epair0a"]);
        let mac = h
            .iface(&crate::VnetId::Host, "epair0a")
            .and_then(|i| i.mac.clone())
            .unwrap_or_default();
        assert_eq!(
            show(&mut h, "epair0a"),
            format!(
                "epair0a: flags=8943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\
                 \toptions=8<VLAN_MTU>\n\
                 \tether {mac}\n\
                 \tgroups: epair\n\
                 \tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\
                 \tstatus: active\n\
                 \tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n"
            )
        );
    }

    #[test]
    fn inet_line_has_hex_netmask_and_broadcast() {
        // §1.3 inet line [V: af_inet.c]
        let mut h = SimHost::fresh();
        h.sh("ifconfig", &["bridge", "create"]);
        h.sh("ifconfig", &["bridge0", "inet", "10.192.0.1/10", "up"]);
        let s = show(&mut h, "bridge0");
        assert!(
            s.contains("\tinet 10.192.0.1 netmask 0xffc00000 broadcast 10.255.255.255\n"),
            "{s}"
        );
        assert!(s.starts_with(
            "bridge0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n"
        ));
    }

    #[test]
    fn bridge_lists_members_newest_first_with_private() {
        // §1.5 bridge status [V: ifbridge.c]; PRIVATE printed between STICKY and EDGE.
        let mut h = SimHost::fresh();
        h.sh("ifconfig", &["bridge", "create"]);
        h.sh("ifconfig", &["epair", "create"]);
        h.sh("ifconfig", &["tap", "create"]);
        h.sh(
            "ifconfig",
            &[
                "bridge0", "addm", "epair0a", "addm", "tap0", "private", "tap0",
            ],
        );
        let s = show(&mut h, "bridge0");
        let tap = s.find("member: tap0 flags=943<LEARNING,DISCOVER,PRIVATE,AUTOEDGE,AUTOPTP>");
        let ep = s.find("member: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>");
        assert!(tap.is_some() && ep.is_some() && tap < ep, "{s}");
        assert!(s.contains("\tgroups: bridge\n"));
        assert!(s.contains("ifmaxaddr 0 port "));
    }

    #[test]
    fn description_comes_right_after_the_flags_line() {
        // §1.3 [V: ifconfig.c status]
        let mut h = SimHost::fresh();
        h.sh(
            "ifconfig",
            &["lo1", "create", "description", "jailnet shared"],
        );
        let s = show(&mut h, "lo1");
        let mut lines = s.lines();
        assert!(lines
            .next()
            .is_some_and(|l| l.starts_with("lo1: flags=8008<LOOPBACK,MULTICAST>")));
        assert_eq!(lines.next(), Some("\tdescription: jailnet shared"));
    }

    #[test]
    fn loopback_inet_has_no_broadcast_and_groups_omit_all() {
        let mut h = SimHost::fresh();
        h.sh(
            "ifconfig",
            &["lo1", "create", "inet", "172.31.255.17/32", "up"],
        );
        let s = show(&mut h, "lo1");
        assert!(
            s.contains("\tinet 172.31.255.17 netmask 0xffffffff\n"),
            "{s}"
        );
        assert!(s.contains("\tgroups: lo\n"));
        assert!(!s.contains("all"));
    }
}
