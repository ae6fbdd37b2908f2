//! [`SimHost`]: construction of a fresh FreeBSD 14 box, the [`Host`] impl, JSON
//! persistence and the read accessors tests use.

use crate::exec::{self, Caller};
use crate::state::{
    parse_mac, IfKind, Iface, Inet4, IpfwRule, Jail, NetStack, Pf, Route, SimState, VnetId,
};
use jailnet_host::{Host, HostError, Invocation, Output};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Why building or loading a simulated host failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("interface {0} already exists")]
    InterfaceExists(String),
    #[error("interface {0} does not exist")]
    NoSuchInterface(String),
    #[error("invalid MAC address {0:?}")]
    BadMac(String),
    #[error("invalid address {0:?} (want ADDR/LEN)")]
    BadAddress(String),
    #[error("pf rules rejected: {0}")]
    BadPfRules(String),
    #[error("simulator state is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// An in-memory FreeBSD 14 host. Run tools on it through [`Host::run`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimHost {
    state: SimState,
}

impl SimHost {
    /// A FreeBSD 14 box named `jailhost`: `em0` (`58:9c:fc:00:00:10`, 192.168.0.10/24,
    /// default route via 192.168.0.1), `lo0`, VIMAGE, pf and ipfw loaded with pf disabled
    /// and an empty main ruleset, the stock devfs rulesets 1–5, no jails.
    pub fn fresh() -> Self {
        let built = SimHost::empty("jailhost")
            .with_nic("em0", "58:9c:fc:00:00:10")
            .and_then(|h| h.with_address("em0", "192.168.0.10/24"));
        let Ok(host) = built else {
            return SimHost::bare("jailhost");
        };
        let mut host = host.with_lo0().with_default_route("192.168.0.1");
        host.state
            .rc_conf
            .insert("ifconfig_em0".into(), "inet 192.168.0.10/24".into());
        host.state
            .rc_conf
            .insert("defaultrouter".into(), "192.168.0.1".into());
        host
    }

    /// A box with only `lo0` (127.0.0.1/8, ::1), no NICs, no routes.
    pub fn bare(hostname: &str) -> Self {
        SimHost::empty(hostname).with_lo0()
    }

    /// Nothing at all, not even `lo0` (the builders add NICs, then [`SimHost::with_lo0`]
    /// so that NICs get the lower interface indexes, as at boot).
    fn empty(hostname: &str) -> Self {
        let mut st = SimState {
            hostname: hostname.to_string(),
            vimage: true,
            ifaces: BTreeMap::new(),
            host_net: NetStack::fresh(),
            jails: BTreeMap::new(),
            next_jid: 1,
            sysctl: crate::sysctl::global_defaults(),
            netgraph: Default::default(),
            devfs: crate::devfs::stock_rulesets(),
            rc_conf: BTreeMap::new(),
            files: BTreeMap::new(),
            modules: [
                "pf",
                "ipfw",
                "if_bridge",
                "if_epair",
                "netgraph",
                "ng_ether",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
            procs: BTreeMap::new(),
            next_pid: 100,
            lan_dhcp: BTreeMap::new(),
            refuse_reclaim_of_jail_born: false,
            reclaim_ignores_the_rest: false,
            fdb: BTreeMap::new(),
        };
        st.rc_conf.insert("hostname".into(), hostname.into());
        st.sysctl.insert("kern.hostname".into(), hostname.into());
        st.files
            .insert("/etc/resolv.conf".into(), "nameserver 192.168.0.1\n".into());
        SimHost { state: st }
    }

    fn with_lo0(mut self) -> Self {
        let st = &mut self.state;
        let mut lo0 = crate::ifconfig::clone::new_loopback(st, "lo0", VnetId::Host, None);
        lo0.up = true;
        lo0.inet.push(Inet4 {
            addr: [127, 0, 0, 1].into(),
            prefix: 8,
        });
        lo0.inet6.push(crate::state::Inet6 {
            addr: std::net::Ipv6Addr::LOCALHOST,
            prefix: 128,
        });
        st.insert_iface(lo0.index, lo0);
        self
    }

    /// Adds a physical Ethernet NIC on the host (up, carrier, MTU 1500, an ng_ether node).
    pub fn with_nic(mut self, name: &str, mac: &str) -> Result<Self, SimError> {
        if self.state.find(&VnetId::Host, name).is_some() {
            return Err(SimError::InterfaceExists(name.into()));
        }
        let mac = parse_mac(mac).ok_or_else(|| SimError::BadMac(mac.into()))?;
        let index = self.state.free_index();
        self.state.insert_iface(
            index,
            Iface {
                name: name.into(),
                index,
                vindex: 0,
                kind: IfKind::Physical {
                    media: "1000baseT <full-duplex>".into(),
                },
                clone: None,
                vnet: VnetId::Host,
                home: VnetId::Host,
                up: true,
                mtu: 1500,
                mac: Some(mac),
                description: None,
                groups: Vec::new(),
                inet: Vec::new(),
                inet6: Vec::new(),
                carrier: true,
                mtu_locked: false,
            },
        );
        crate::ngctl::add_ether_node(&mut self.state, index);
        Ok(self)
    }

    /// Puts a DHCP server on the LAN behind physical NIC `nic`: it leases `first..=last`
    /// (lowest address no interface of the host or its jails has), `/prefix`, router
    /// `router`. For DHCP clients on a bridge that has `nic` as a member (seed 003).
    pub fn with_lan_dhcp(
        mut self,
        nic: &str,
        first: std::net::Ipv4Addr,
        last: std::net::Ipv4Addr,
        prefix: u8,
        router: std::net::Ipv4Addr,
    ) -> Self {
        self.state.lan_dhcp.insert(
            nic.to_string(),
            crate::state::LanDhcp {
                first,
                last,
                prefix,
                router,
            },
        );
        self
    }

    /// Adds `ADDR/LEN` (IPv4 or IPv6) to a host interface.
    pub fn with_address(mut self, ifname: &str, cidr: &str) -> Result<Self, SimError> {
        let idx = self
            .state
            .find(&VnetId::Host, ifname)
            .ok_or_else(|| SimError::NoSuchInterface(ifname.into()))?;
        let (addr, len) = cidr
            .split_once('/')
            .ok_or_else(|| SimError::BadAddress(cidr.into()))?;
        let prefix: u8 = len.parse().map_err(|_| SimError::BadAddress(cidr.into()))?;
        let iface = self
            .state
            .ifaces
            .get_mut(&idx)
            .ok_or_else(|| SimError::NoSuchInterface(ifname.into()))?;
        if let Ok(a) = addr.parse::<std::net::Ipv4Addr>() {
            if prefix > 32 {
                return Err(SimError::BadAddress(cidr.into()));
            }
            iface.inet.push(Inet4 { addr: a, prefix });
        } else if let Ok(a) = addr.parse::<std::net::Ipv6Addr>() {
            if prefix > 128 {
                return Err(SimError::BadAddress(cidr.into()));
            }
            iface.inet6.push(crate::state::Inet6 { addr: a, prefix });
        } else {
            return Err(SimError::BadAddress(cidr.into()));
        }
        Ok(self)
    }

    /// Sets the host's IPv4 default route (the gateway need not be on-link here).
    pub fn with_default_route(mut self, gateway: &str) -> Self {
        let iface = gateway
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .and_then(|gw| crate::route::connected_iface4(&self.state, &VnetId::Host, gw))
            .unwrap_or_default();
        self.state.host_net.routes.insert(
            "inet default".into(),
            Route {
                inet6: false,
                dest: "default".into(),
                gateway: gateway.into(),
                iface,
                via_interface: false,
            },
        );
        self
    }

    /// Whether pf starts enabled (`pfctl -e` already done).
    pub fn with_pf_enabled(mut self, enabled: bool) -> Self {
        self.state.host_net.pf.enabled = enabled;
        self
    }

    /// Whether the pf module is loaded at all (else `pfctl` cannot open `/dev/pf`).
    pub fn with_pf_loaded(mut self, loaded: bool) -> Self {
        self.state.host_net.pf.loaded = loaded;
        if loaded {
            self.state.modules.insert("pf".into());
        } else {
            self.state.modules.remove("pf");
        }
        self
    }

    /// Unloads kernel module `m` (`if_epair`, `if_bridge`): ifconfig loads it on first use
    /// on the host, but a jail cannot.
    pub fn without_module(mut self, m: &str) -> Self {
        self.state.modules.remove(m);
        self
    }

    /// A kernel whose `ifconfig X -vnet J` refuses an interface born inside jail J
    /// (the unverified side of §1.4).
    pub fn refusing_reclaim_of_jail_born(mut self) -> Self {
        self.state.refuse_reclaim_of_jail_born = true;
        self
    }

    /// ipfw filtering bridged frames the way a host with secure ports needs it (and
    /// `jailnet doctor` asks): layer-2 passes on bridges (ARP included) and at
    /// ether_demux, the IP pass on members back on, traffic to the host checked on the
    /// port, and an open ruleset (`firewall_type=open`: `65000 allow ip from any to any`).
    pub fn with_layer2_ipfw(mut self) -> Self {
        for s in [
            "net.link.bridge.ipfw=1",
            "net.link.bridge.ipfw_arp=1",
            "net.link.ether.ipfw=1",
            "net.link.bridge.pfil_member=1",
            "net.link.bridge.pfil_local_phys=1",
        ] {
            self.sh("sysctl", &[s]);
        }
        self.sh(
            "ipfw",
            &[
                "-q", "add", "65000", "allow", "ip", "from", "any", "to", "any",
            ],
        );
        self
    }

    /// An ifconfig whose `X -vnet J WORDS…` ignores the words after `-vnet J`.
    pub fn ignoring_words_after_reclaim(mut self) -> Self {
        self.state.reclaim_ignores_the_rest = true;
        self
    }

    /// Loads the host's main pf ruleset (as `pfctl -f /etc/pf.conf` would).
    pub fn with_pf_main(mut self, rules: &str) -> Result<Self, SimError> {
        let rs = crate::pfctl::parse_ruleset(rules).map_err(SimError::BadPfRules)?;
        self.state.host_net.pf.main = rs;
        Ok(self)
    }

    /// Whether the kernel has VIMAGE (`kern.features.vimage`).
    pub fn with_vimage(mut self, vimage: bool) -> Self {
        self.state.vimage = vimage;
        if vimage {
            self.state
                .sysctl
                .insert("kern.features.vimage".into(), "1".into());
        } else {
            self.state.sysctl.remove("kern.features.vimage");
        }
        self
    }

    /// Sets an rc.conf variable on the host.
    pub fn with_rc_conf(mut self, name: &str, value: &str) -> Self {
        self.state.rc_conf.insert(name.into(), value.into());
        self
    }

    /// Runs one invocation; never fails at the [`Host`] level (tool errors are exit codes).
    pub fn exec(&mut self, inv: &Invocation) -> Output {
        let caller = match &inv.jail {
            None => Caller::host(),
            Some(j) => match Caller::in_jail(&self.state, j) {
                Some(c) => c,
                None => {
                    if let Ok(n) = j.parse::<u32>() {
                        return exec::fail("jexec", format!("jail_attach({n}): Invalid argument"));
                    }
                    return exec::fail("jexec", format!("jail \"{j}\" not found"));
                }
            },
        };
        exec::dispatch(
            &mut self.state,
            &caller,
            &inv.program,
            &inv.args,
            inv.stdin.as_deref(),
        )
    }

    /// Convenience for tests and the CLI: runs `program args…` on the host.
    pub fn sh(&mut self, program: &str, args: &[&str]) -> Output {
        self.exec(&Invocation::new(program, args.iter().copied()))
    }

    /// The whole state as pretty JSON (what `--backend sim` keeps in the state dir).
    pub fn to_json(&self) -> Result<String, SimError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    pub fn from_json(text: &str) -> Result<Self, SimError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Read access to everything.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Write access, for tests that need to set up odd situations (e.g. pull a carrier).
    pub fn state_mut(&mut self) -> &mut SimState {
        &mut self.state
    }

    /// The interfaces of `vnet`, in index order.
    pub fn interfaces(&self, vnet: &VnetId) -> Vec<&Iface> {
        self.state
            .ifaces
            .values()
            .filter(|i| i.vnet == *vnet)
            .collect()
    }

    /// Interface `name` in `vnet`.
    pub fn iface(&self, vnet: &VnetId, name: &str) -> Option<&Iface> {
        self.state
            .find(vnet, name)
            .and_then(|i| self.state.ifaces.get(&i))
    }

    /// Which vnet holds an interface called `name` (first match, host first).
    pub fn where_is(&self, name: &str) -> Option<VnetId> {
        self.state
            .vnets()
            .into_iter()
            .find(|v| self.state.find(v, name).is_some())
    }

    pub fn jail(&self, name: &str) -> Option<&Jail> {
        self.state.jails.get(name)
    }

    pub fn jails(&self) -> impl Iterator<Item = &Jail> {
        self.state.jails.values()
    }

    /// pf of `vnet` (the host, or a vnet jail).
    pub fn pf(&self, vnet: &VnetId) -> Option<&Pf> {
        self.state.net(vnet).map(|n| &n.pf)
    }

    /// Rules of one anchor as `pfctl -a A -s nat; pfctl -a A -s rules` would print them.
    pub fn pf_anchor_text(&self, vnet: &VnetId, anchor: &str) -> Option<String> {
        let rs = self.pf(vnet)?.anchors.get(anchor)?;
        let mut s = String::new();
        for l in rs.nat.iter().chain(rs.filter.iter()) {
            s.push_str(l);
            s.push('\n');
        }
        Some(s)
    }

    pub fn ipfw_rules(&self, vnet: &VnetId) -> &[IpfwRule] {
        self.state
            .net(vnet)
            .map(|n| n.ipfw.as_slice())
            .unwrap_or(&[])
    }

    /// Rules of devfs ruleset `n` (rule number → text).
    pub fn devfs_ruleset(&self, n: u32) -> Option<&BTreeMap<u32, String>> {
        self.state.devfs.get(&n)
    }

    pub fn routes(&self, vnet: &VnetId) -> Vec<&Route> {
        self.state
            .net(vnet)
            .map(|n| n.routes.values().collect())
            .unwrap_or_default()
    }

    /// A sysctl as `sysctl -n NAME` prints it in `vnet`.
    pub fn sysctl(&self, vnet: &VnetId, name: &str) -> Option<String> {
        crate::sysctl::read(&self.state, vnet, name)
    }

    pub fn rc_conf(&self) -> &BTreeMap<String, String> {
        &self.state.rc_conf
    }

    /// Whether L2 frames can pass both ways between two interface endpoints.
    pub fn can_exchange_frames(&self, a: &crate::Endpoint, b: &crate::Endpoint) -> bool {
        crate::reach::can_exchange_frames(&self.state, a, b)
    }

    /// Whether `frame`, sent by `from` (possibly with a forged source MAC or IP), reaches
    /// the network stack of `to`, through the ipfw passes of the bridges on the way.
    pub fn frame_reaches(
        &self,
        from: &crate::Endpoint,
        frame: &crate::Frame,
        to: &crate::Endpoint,
    ) -> bool {
        crate::reach::frame_reaches(&self.state, from, frame, to)
    }

    /// Whether the stack behind `to` would believe a forged ARP/NDP answer from `from`
    /// that claims `ip` (it reaches `to`, and `to` has no permanent entry for `ip`).
    pub fn host_believes(
        &self,
        from: &crate::Endpoint,
        ip: std::net::IpAddr,
        to: &crate::Endpoint,
    ) -> bool {
        crate::reach::host_believes(&self.state, from, ip, to)
    }

    /// Whether a frame sent by `from` with source MAC `mac` would make its bridge send
    /// `mac`'s traffic to `from` (the bridge learns before any filter runs).
    pub fn takes_over_mac(&self, from: &crate::Endpoint, mac: &str) -> bool {
        crate::reach::takes_over_mac(&self.state, from, mac)
    }

    /// The human-readable dump behind `jailnet sim show`.
    pub fn show(&self) -> String {
        crate::show::render(&self.state)
    }
}

impl Default for SimHost {
    fn default() -> Self {
        SimHost::fresh()
    }
}

impl Host for SimHost {
    fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
        Ok(self.exec(inv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Endpoint;

    fn ok(h: &mut SimHost, inv: Invocation) -> Output {
        let o = h.exec(&inv);
        assert_eq!(o.status, 0, "{inv}: {}", o.stderr);
        o
    }

    #[test]
    fn a_whole_vnet_setup_and_teardown_leaves_a_fresh_host() {
        let mut h = SimHost::fresh();
        let fresh = h.clone();
        ok(
            &mut h,
            Invocation::new(
                "ifconfig",
                ["bridge", "create", "name", "vm-services", "up"],
            ),
        );
        ok(
            &mut h,
            Invocation::new(
                "ifconfig",
                ["vm-services", "inet", "10.1.1.1/24", "group", "jailnet"],
            ),
        );
        ok(
            &mut h,
            Invocation::new("ifconfig", ["epair", "create", "up"]),
        );
        ok(
            &mut h,
            Invocation::new(
                "ifconfig",
                ["vm-services", "addm", "epair0a", "private", "epair0a"],
            ),
        );
        ok(
            &mut h,
            Invocation::new(
                "jail",
                [
                    "-c",
                    "name=www",
                    "vnet",
                    "persist",
                    "vnet.interface=epair0b",
                ],
            ),
        );
        ok(
            &mut h,
            Invocation::new("ifconfig", ["epair0b", "inet", "10.1.1.2/24", "up"]).in_jail("www"),
        );
        ok(
            &mut h,
            Invocation::new("route", ["add", "default", "10.1.1.1"]).in_jail("www"),
        );
        ok(
            &mut h,
            Invocation::new("sysctl", ["net.inet.ip.forwarding=1"]),
        );
        ok(
            &mut h,
            Invocation::new("pfctl", ["-a", "jailnet/nat", "-f", "-"])
                .with_stdin("nat on em0 from 10.1.1.0/24 to any -> (em0)\n"),
        );
        assert!(h.can_exchange_frames(
            &Endpoint::jail("www", "epair0b"),
            &Endpoint::host("vm-services")
        ));
        // jexec as a program is the same as Invocation::jail
        let o = ok(&mut h, Invocation::new("jexec", ["www", "ifconfig", "-l"]));
        assert_eq!(o.stdout, "lo0 epair0b\n");

        // round trip through the state dir format
        let back = SimHost::from_json(&h.to_json().expect("json")).expect("parse");
        assert_eq!(back, h);

        ok(
            &mut h,
            Invocation::new("pfctl", ["-a", "jailnet/nat", "-F", "all"]),
        );
        ok(
            &mut h,
            Invocation::new("sysctl", ["net.inet.ip.forwarding=0"]),
        );
        ok(&mut h, Invocation::new("jail", ["-r", "www"]));
        assert!(
            h.iface(&VnetId::Host, "epair0b").is_some(),
            "b end came home"
        );
        ok(&mut h, Invocation::new("ifconfig", ["epair0a", "destroy"]));
        ok(
            &mut h,
            Invocation::new("ifconfig", ["vm-services", "destroy"]),
        );
        assert_eq!(h, fresh, "{}", h.show());
    }

    #[test]
    fn unknown_programs_and_jails() {
        let mut h = SimHost::fresh();
        let o = h.sh("frob", &[]);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (127, "sh: frob: not found\n")
        );
        let o = h.exec(&Invocation::new("ifconfig", ["-a"]).in_jail("ghost"));
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "jexec: jail \"ghost\" not found\n")
        );
        let o = h.sh("jexec", &["ghost", "ifconfig"]);
        assert_eq!(o.status, 1);
        // a path to the binary works like the bare name
        assert_eq!(h.sh("/sbin/ifconfig", &["-l"]).stdout, "em0 lo0\n");
    }

    #[test]
    fn builders() {
        let h = SimHost::fresh()
            .with_nic("igb1", "58:9c:fc:00:00:20")
            .and_then(|h| h.with_address("igb1", "10.9.0.1/16"))
            .expect("builder")
            .with_pf_enabled(true);
        assert!(h.pf(&VnetId::Host).is_some_and(|p| p.enabled));
        assert_eq!(
            h.iface(&VnetId::Host, "igb1").map(|i| i.inet.len()),
            Some(1)
        );
        assert!(matches!(
            SimHost::fresh().with_nic("em0", "58:9c:fc:00:00:20"),
            Err(SimError::InterfaceExists(_))
        ));
        assert!(matches!(
            SimHost::fresh().with_address("em0", "nonsense"),
            Err(SimError::BadAddress(_))
        ));
        assert!(SimHost::from_json("{").is_err());
    }
}
