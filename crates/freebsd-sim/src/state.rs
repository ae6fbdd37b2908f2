//! The simulated host's whole state: interfaces, vnets, jails, firewalls, netgraph, devfs,
//! rc.conf — plain serde data, no behaviour beyond lookups and small invariants.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network stack: the host's own, or the private one of a `vnet` jail (named by the jail).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum VnetId {
    Host,
    Jail(String),
}

/// Everything the simulated FreeBSD box knows.
///
/// Equality ignores the monotonic id counters (`next_jid`, netgraph `next_id`): a host that
/// created and removed a jail is "the same host" as before, even though the kernel will hand
/// out a fresh JID next time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SimState {
    pub hostname: String,
    /// `kern.features.vimage`: whether `vnet` jails can be created.
    pub vimage: bool,
    /// Interfaces of every vnet, by interface index (unique across the whole simulator).
    pub ifaces: BTreeMap<u32, Iface>,
    /// The host's network stack (routes, per-vnet sysctls, pf, ipfw).
    pub host_net: NetStack,
    /// Running jails by name.
    pub jails: BTreeMap<String, Jail>,
    pub next_jid: u32,
    /// Global (not per-vnet) sysctls: `kern.*`, `security.*`.
    pub sysctl: BTreeMap<String, String>,
    pub netgraph: Netgraph,
    /// devfs rulesets: ruleset number → rule number → rule text.
    pub devfs: BTreeMap<u32, BTreeMap<u32, String>>,
    /// The host's `/etc/rc.conf` as sysrc sees it.
    pub rc_conf: BTreeMap<String, String>,
    /// Files the host's tools read/wrote (`cat`, `tee`), by absolute path.
    pub files: BTreeMap<String, String>,
    /// Kernel modules loaded (`kldload`, `kldstat -m`).
    pub modules: BTreeSet<String>,
    /// Daemons running (`dnsmasq`, `dhclient`), by pid.
    #[serde(default)]
    pub procs: BTreeMap<u32, Proc>,
    /// The next pid handed out; not part of equality.
    #[serde(default)]
    pub next_pid: u32,
    /// DHCP servers outside the host, on the LAN behind a physical NIC (seed 003's router).
    #[serde(default)]
    pub lan_dhcp: BTreeMap<String, LanDhcp>,
    /// The other answer to §1.4's open question: a kernel whose `-vnet` refuses an
    /// interface born inside the jail (`SIOCSIFRVNET: Operation not permitted`). Off by
    /// default (the reading of `if_vmove_reclaim`, which checks no home vnet).
    #[serde(default)]
    pub refuse_reclaim_of_jail_born: bool,
    /// Another unverified reading: `ifconfig X -vnet J WORDS…` reclaims X and ignores
    /// the words after it.
    #[serde(default)]
    pub reclaim_ignores_the_rest: bool,
    /// Static forwarding entries of each bridge (`ifconfig BR static P MAC`): bridge
    /// index → MAC (lower case) → member index. Learned entries are not kept: the
    /// reachability queries decide from the LEARNING flag whether a frame would be.
    #[serde(default)]
    pub fdb: BTreeMap<u32, BTreeMap<String, u32>>,
}

/// One network interface, in whichever vnet it currently lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Iface {
    pub name: String,
    /// Simulator-wide identity; bridge members, epair peers and netgraph refer to it.
    pub index: u32,
    /// The kernel's if_index inside the current vnet (lowest free on arrival); listings
    /// are in this order and `scopeid`/bridge `port` print it.
    #[serde(default)]
    pub vindex: u32,
    pub kind: IfKind,
    /// Set for cloned interfaces: the cloner and unit this interface holds (kept on rename).
    pub clone: Option<CloneUnit>,
    /// Where it is now.
    pub vnet: VnetId,
    /// Where it was born; it goes back there when its current vnet dies.
    pub home: VnetId,
    pub up: bool,
    pub mtu: u32,
    /// Ethernet address; `None` for loopbacks.
    pub mac: Option<String>,
    pub description: Option<String>,
    /// Interface groups, in the order they were joined (`all` is implicit and not listed).
    pub groups: Vec<String>,
    pub inet: Vec<Inet4>,
    pub inet6: Vec<Inet6>,
    /// Carrier for physical NICs (`status: active` vs `no carrier`).
    pub carrier: bool,
    /// The MTU was set by the user (vxlan stops adapting it to the tunnel).
    pub mtu_locked: bool,
}

/// Which cloner created an interface and which unit it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneUnit {
    pub cloner: String,
    pub unit: u32,
}

/// The driver behind an interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IfKind {
    /// A real NIC (em0, igb1, …).
    Physical {
        media: String,
    },
    Loopback,
    /// One end of an epair; `peer` is the other end's index.
    Epair {
        peer: u32,
    },
    Bridge {
        members: Vec<BridgeMember>,
    },
    Vxlan(Vxlan),
    Vlan {
        tag: Option<u16>,
        parent: Option<u32>,
    },
    Tap,
    /// The interface of an ng_eiface netgraph node.
    NgEth {
        node: u32,
    },
}

/// A bridge port. Listed newest first, as if_bridge keeps them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeMember {
    pub index: u32,
    pub flags: u32,
}

/// vxlan(4) tunnel parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vxlan {
    pub vni: Option<u32>,
    pub local: Option<String>,
    pub remote: Option<String>,
    pub group: Option<String>,
    pub dev: Option<String>,
    pub local_port: u16,
    pub remote_port: u16,
}

/// An IPv4 address with its prefix length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inet4 {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

/// An IPv6 address with its prefix length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inet6 {
    pub addr: Ipv6Addr,
    pub prefix: u8,
}

/// Per-vnet state: the routing table, the `net.*` sysctls, pf and ipfw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetStack {
    /// Keyed by `"inet DEST"` / `"inet6 DEST"`.
    pub routes: BTreeMap<String, Route>,
    pub sysctl: BTreeMap<String, String>,
    pub pf: Pf,
    pub ipfw: Vec<IpfwRule>,
    /// Permanent ARP/NDP entries (`arp -S`, `ndp -s`).
    #[serde(default)]
    pub neighbours: BTreeMap<IpAddr, Neighbour>,
}

/// A permanent neighbour entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbour {
    pub mac: String,
    pub ifname: String,
}

/// One static route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub inet6: bool,
    /// `default` or `ADDR/LEN`.
    pub dest: String,
    /// Gateway address, or the interface name for `-interface` routes.
    pub gateway: String,
    /// Interface the route leaves through.
    pub iface: String,
    pub via_interface: bool,
}

/// pf: on/off, the main ruleset and every anchor by path (`jailnet/nat`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pf {
    pub loaded: bool,
    pub enabled: bool,
    pub main: Ruleset,
    pub anchors: BTreeMap<String, Ruleset>,
}

/// The rules of one pf ruleset, normalized the way `pfctl -s` prints them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ruleset {
    /// Translation rules (`nat`, `rdr`, `binat`, and their anchors): `pfctl -s nat`.
    pub nat: Vec<String>,
    /// Filter rules (`pass`, `block`, `anchor`, …): `pfctl -s rules`.
    pub filter: Vec<String>,
    /// Tables by name with their addresses.
    pub tables: BTreeMap<String, BTreeSet<String>>,
}

/// One ipfw rule as `ipfw list` prints it (without the number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpfwRule {
    pub num: u32,
    pub body: String,
}

/// A daemon: who runs it (a jail, or the host) and its argv.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proc {
    pub jail: Option<String>,
    pub argv: Vec<String>,
}

/// A DHCP server on the LAN behind a physical NIC: leases from `first..=last`, with
/// `prefix` and default router `router`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanDhcp {
    pub first: Ipv4Addr,
    pub last: Ipv4Addr,
    pub prefix: u8,
    pub router: Ipv4Addr,
}

/// A running jail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jail {
    pub jid: u32,
    pub name: String,
    pub path: String,
    pub hostname: String,
    pub persist: bool,
    /// `Some` for a `vnet` jail: its own network stack.
    pub net: Option<NetStack>,
    pub ip4: Vec<JailAddr>,
    pub ip6: Vec<JailAddr>,
    pub devfs_ruleset: u32,
    /// Every other parameter as given (`allow.raw_sockets=1`, `exec.start=…`).
    pub params: BTreeMap<String, String>,
    /// The jail's own `/etc/rc.conf`.
    pub rc_conf: BTreeMap<String, String>,
    /// Files inside the jail, by path relative to its root (`/etc/resolv.conf`).
    pub files: BTreeMap<String, String>,
}

/// One `ip4.addr` / `ip6.addr` entry: `[IF|]ADDR[/LEN]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailAddr {
    pub iface: Option<String>,
    pub addr: String,
    pub prefix: Option<u8>,
}

/// All netgraph nodes of the host.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Netgraph {
    pub nodes: BTreeMap<u32, NgNode>,
    pub next_id: u32,
}

/// One netgraph node and its connected hooks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NgNode {
    pub name: Option<String>,
    /// `ether`, `eiface`, `bridge`, …
    pub kind: String,
    /// Local hook name → the peer node and the peer's hook name.
    pub hooks: BTreeMap<String, NgPeer>,
    /// The interface behind an `ether` or `eiface` node.
    pub iface: Option<u32>,
    /// ng_bridge `setpersistent`: survive losing its last hook.
    pub persistent: bool,
    /// ng_bpf: each hook's program (`setprogram`); a hook without one matches nothing.
    #[serde(default)]
    pub programs: BTreeMap<String, crate::bpf::HookProg>,
}

/// The far end of a netgraph hook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NgPeer {
    pub node: u32,
    pub hook: String,
}

impl PartialEq for SimState {
    fn eq(&self, other: &Self) -> bool {
        let SimState {
            hostname,
            vimage,
            ifaces,
            host_net,
            jails,
            next_jid: _,
            sysctl,
            netgraph,
            devfs,
            rc_conf,
            files,
            modules,
            procs,
            next_pid: _,
            lan_dhcp,
            refuse_reclaim_of_jail_born,
            reclaim_ignores_the_rest,
            fdb,
        } = self;
        *hostname == other.hostname
            && *vimage == other.vimage
            && *ifaces == other.ifaces
            && *host_net == other.host_net
            && *jails == other.jails
            && *sysctl == other.sysctl
            && *netgraph == other.netgraph
            && *devfs == other.devfs
            && *rc_conf == other.rc_conf
            && *files == other.files
            && *modules == other.modules
            && *procs == other.procs
            && *lan_dhcp == other.lan_dhcp
            && *refuse_reclaim_of_jail_born == other.refuse_reclaim_of_jail_born
            && *reclaim_ignores_the_rest == other.reclaim_ignores_the_rest
            && *fdb == other.fdb
    }
}

impl Eq for SimState {}

impl PartialEq for Netgraph {
    fn eq(&self, other: &Self) -> bool {
        self.nodes == other.nodes
    }
}

impl Eq for Netgraph {}

impl VnetId {
    /// The vnet's display name: `host` or the jail's name.
    pub fn label(&self) -> &str {
        match self {
            VnetId::Host => "host",
            VnetId::Jail(j) => j,
        }
    }
}

impl IfKind {
    /// Ethernet-like (has a MAC, BROADCAST/SIMPLEX flags, may join a bridge).
    pub fn is_ether(&self) -> bool {
        !matches!(self, IfKind::Loopback)
    }
}

impl Inet4 {
    pub fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }

    /// Whether `ip` is on this address's subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.addr) & self.mask()
    }
}

impl Inet6 {
    pub fn contains(&self, ip: Ipv6Addr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.prefix))
        };
        u128::from(ip) & mask == u128::from(self.addr) & mask
    }
}

impl NetStack {
    /// A fresh vnet: no routes, pf loaded but disabled and empty, no ipfw rules.
    pub fn fresh() -> Self {
        NetStack {
            routes: BTreeMap::new(),
            sysctl: crate::sysctl::vnet_defaults(),
            pf: Pf {
                loaded: true,
                ..Pf::default()
            },
            ipfw: Vec::new(),
            neighbours: BTreeMap::new(),
        }
    }
}

impl SimState {
    /// The interface called `name` in `vnet`.
    pub fn find(&self, vnet: &VnetId, name: &str) -> Option<u32> {
        self.ifaces
            .values()
            .find(|i| i.vnet == *vnet && i.name == name)
            .map(|i| i.index)
    }

    /// Interfaces of one vnet, in that vnet's if_index order.
    pub fn in_vnet(&self, vnet: &VnetId) -> std::vec::IntoIter<&Iface> {
        let mut v: Vec<&Iface> = self.ifaces.values().filter(|i| i.vnet == *vnet).collect();
        v.sort_by_key(|i| (i.vindex, i.index));
        v.into_iter()
    }

    /// Adds an interface under `index`, giving it the lowest free if_index of its vnet.
    pub fn insert_iface(&mut self, index: u32, mut iface: Iface) {
        iface.index = index;
        iface.vindex = self.free_vindex(&iface.vnet);
        self.ifaces.insert(index, iface);
    }

    /// The lowest if_index not used in `vnet`.
    pub fn free_vindex(&self, vnet: &VnetId) -> u32 {
        let used: BTreeSet<u32> = self
            .ifaces
            .values()
            .filter(|i| i.vnet == *vnet)
            .map(|i| i.vindex)
            .collect();
        (1..).find(|n| !used.contains(n)).unwrap_or(u32::MAX)
    }

    /// The lowest interface index not in use.
    pub fn free_index(&self) -> u32 {
        (1..)
            .find(|n| !self.ifaces.contains_key(n))
            .unwrap_or(u32::MAX)
    }

    /// The lowest unit of `cloner` not held by any interface in any vnet.
    pub fn free_unit(&self, cloner: &str) -> u32 {
        let used: BTreeSet<u32> = self
            .ifaces
            .values()
            .filter_map(|i| i.clone.as_ref())
            .filter(|c| c.cloner == cloner)
            .map(|c| c.unit)
            .collect();
        (0..).find(|n| !used.contains(n)).unwrap_or(u32::MAX)
    }

    pub fn unit_taken(&self, cloner: &str, unit: u32) -> bool {
        self.ifaces
            .values()
            .filter_map(|i| i.clone.as_ref())
            .any(|c| c.cloner == cloner && c.unit == unit)
    }

    /// The network stack of `vnet`, if that vnet exists.
    pub fn net(&self, vnet: &VnetId) -> Option<&NetStack> {
        match vnet {
            VnetId::Host => Some(&self.host_net),
            VnetId::Jail(j) => self.jails.get(j).and_then(|j| j.net.as_ref()),
        }
    }

    pub fn net_mut(&mut self, vnet: &VnetId) -> Option<&mut NetStack> {
        match vnet {
            VnetId::Host => Some(&mut self.host_net),
            VnetId::Jail(j) => self.jails.get_mut(j).and_then(|j| j.net.as_mut()),
        }
    }

    /// Every vnet that exists: the host first, then vnet jails by name.
    pub fn vnets(&self) -> Vec<VnetId> {
        let mut v = vec![VnetId::Host];
        v.extend(
            self.jails
                .values()
                .filter(|j| j.net.is_some())
                .map(|j| VnetId::Jail(j.name.clone())),
        );
        v
    }

    /// The jail named `key`, or with JID `key`.
    pub fn jail_by_key(&self, key: &str) -> Option<&Jail> {
        self.jails.get(key).or_else(|| {
            key.parse::<u32>()
                .ok()
                .and_then(|jid| self.jails.values().find(|j| j.jid == jid))
        })
    }

    /// Removes an interface from every bridge it is a member of.
    pub fn detach_from_bridges(&mut self, index: u32) {
        for i in self.ifaces.values_mut() {
            if let IfKind::Bridge { members } = &mut i.kind {
                members.retain(|m| m.index != index);
            }
        }
        self.forget_fdb(index);
    }

    /// Drops the static entries pointing at port `index`, and those of bridge `index`
    /// (a member leaving flushes its entries, static ones included).
    pub fn forget_fdb(&mut self, index: u32) {
        self.fdb.remove(&index);
        for t in self.fdb.values_mut() {
            t.retain(|_, p| *p != index);
        }
        self.fdb.retain(|_, t| !t.is_empty());
    }

    /// The bridge `index` is a member of, if any.
    pub fn bridge_of(&self, index: u32) -> Option<(u32, &BridgeMember)> {
        self.ifaces.values().find_map(|b| match &b.kind {
            IfKind::Bridge { members } => members
                .iter()
                .find(|m| m.index == index)
                .map(|m| (b.index, m)),
            _ => None,
        })
    }

    /// Destroys one interface (only that one; callers handle epair peers), unhooking it
    /// from bridges and netgraph.
    pub fn remove_iface(&mut self, index: u32) {
        self.detach_from_bridges(index);
        // Its ng_ether node goes with it (and whatever hangs only on that node).
        let ether: Vec<u32> = self
            .netgraph
            .nodes
            .iter()
            .filter(|(_, n)| n.kind == "ether" && n.iface == Some(index))
            .map(|(id, _)| *id)
            .collect();
        for id in ether {
            crate::ngctl::drop_node(self, id);
        }
        if let Some(i) = self.ifaces.remove(&index) {
            if let IfKind::NgEth { node } = i.kind {
                crate::ngctl::drop_node(self, node);
            }
            for v in self.ifaces.values_mut() {
                if let IfKind::Vlan { parent, .. } = &mut v.kind {
                    if *parent == Some(index) {
                        *parent = None;
                    }
                }
            }
        }
        crate::route::prune_all(self);
    }
}

/// A locally administered unicast MAC derived from `seed`, with the last byte `last` when
/// given (epair `0a`/`0b`). Deterministic: the same seed always yields the same address.
pub fn derived_mac(seed: &str, last: Option<u8>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let b = h.to_be_bytes();
    let mut mac = [0x02, b[0], b[1], b[2], b[3], b[4]];
    if let Some(l) = last {
        mac[5] = l;
    }
    mac.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Parses `xx:xx:xx:xx:xx:xx` (1–2 hex digits per byte) into canonical lower-case form.
pub fn parse_mac(s: &str) -> Option<String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut out = Vec::with_capacity(6);
    for p in parts {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        out.push(u8::from_str_radix(p, 16).ok()?);
    }
    Some(
        out.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_macs_are_stable_local_unicast() {
        let a = derived_mac("bridge0", None);
        assert_eq!(a, derived_mac("bridge0", None));
        assert_ne!(a, derived_mac("bridge1", None));
        assert!(a.starts_with("02:"));
        assert!(derived_mac("epair0", Some(0x0a)).ends_with(":0a"));
    }

    #[test]
    fn parse_mac_canonicalizes() {
        assert_eq!(
            parse_mac("2:AA:b:0:0:1").as_deref(),
            Some("02:aa:0b:00:00:01")
        );
        assert_eq!(parse_mac("02:aa:bb:cc:dd"), None);
        assert_eq!(parse_mac("02:aa:bb:cc:dd:zz"), None);
    }

    #[test]
    fn inet4_broadcast_and_contains() {
        let a = Inet4 {
            addr: Ipv4Addr::new(10, 1, 1, 1),
            prefix: 24,
        };
        assert_eq!(a.broadcast(), Ipv4Addr::new(10, 1, 1, 255));
        assert!(a.contains(Ipv4Addr::new(10, 1, 1, 200)));
        assert!(!a.contains(Ipv4Addr::new(10, 1, 2, 1)));
    }
}
