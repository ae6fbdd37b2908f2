//! The validated config: what the user declared, typed, with the spans validation needs.

use crate::names::{IfName, JailName};
use crate::net::{Cidr, Mac};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;

/// Byte span in the config file (empty for values that were not written, e.g. defaults).
pub type Span = Range<usize>;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Config {
    pub host: HostCfg,
    pub switches: BTreeMap<String, Switch>,
    pub jails: BTreeMap<JailName, Jail>,
    pub vms: BTreeMap<JailName, Vm>,
    pub cluster: Option<Cluster>,
    /// Switches declared in the file that could not be read (already reported), so
    /// references to them are not reported again as unknown.
    #[serde(skip)]
    pub unreadable_switches: std::collections::BTreeSet<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HostCfg {
    /// Outside interface: NAT source, port-forward target, default for bare shared-IP aliases.
    pub uplink: Option<IfName>,
    /// Identity for MAC derivation and the cluster (default: the machine's hostname).
    pub name: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SwitchKind {
    #[default]
    Bridge,
    Netgraph,
    Manual,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Switch {
    pub name: String,
    #[serde(skip)]
    pub span: Span,
    pub kind: SwitchKind,
    pub ifname: IfName,
    /// Host addresses on the switch; the first of each family is its jails' default router.
    pub addresses: Vec<Spanned<Cidr>>,
    pub uplinks: Vec<Spanned<IfName>>,
    pub private: bool,
    pub nat: bool,
    pub mtu: Option<u32>,
    pub dhcp: Option<Dhcp>,
    pub vlan: Option<Vlan>,
    pub vxlan: Option<Vxlan>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dhcp {
    #[serde(skip)]
    pub span: Span,
    pub range: Option<Spanned<(IpAddr, IpAddr)>>,
    pub hosts: BTreeMap<Mac, Spanned<IpAddr>>,
    #[serde(skip)]
    pub host_mac_spans: BTreeMap<Mac, Span>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Vlan {
    pub parent: IfName,
    pub tag: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Vxlan {
    #[serde(skip)]
    pub span: Span,
    pub vni: u32,
    pub group: Option<IpAddr>,
    pub dev: Option<IfName>,
    pub remotes: Vec<IpAddr>,
    pub cluster: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Jail {
    pub name: JailName,
    #[serde(skip)]
    pub span: Span,
    /// VNET interfaces; empty for a shared-IP jail.
    pub nics: Vec<Nic>,
    /// Shared-IP addresses (`IF|ADDR/LEN`), or inherit the host's.
    pub ip4: SharedIp,
    pub ip6: SharedIp,
    pub resolver: Resolver,
    pub defaultrouter: Router,
    pub defaultrouter6: Router,
    pub allow_raw_sockets: bool,
    pub firewall: bool,
    pub nat: bool,
    pub expose: Vec<Spanned<Expose>>,
}

/// The address configuration of a shared-IP jail for one family.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "lowercase", tag = "mode", content = "addresses")]
pub enum SharedIp {
    /// No address of this family (`ip4_addr=none`), or not a shared-IP jail.
    #[default]
    None,
    /// The jail sees all of the host's addresses (`ip4 = "inherit"`).
    Inherit,
    /// Aliases on host interfaces.
    Aliases(Vec<Spanned<Alias>>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alias {
    pub ifname: IfName,
    pub cidr: Cidr,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Nic {
    pub name: IfName,
    #[serde(skip)]
    pub span: Span,
    pub switch: Spanned<String>,
    pub ip4: Vec<Spanned<AddrSpec>>,
    pub ip6: Vec<Spanned<AddrSpec>>,
    pub mac: Spanned<MacSpec>,
    pub secure: bool,
}

/// How a NIC gets an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AddrSpec {
    Static(Cidr),
    Dhcp,
    Auto,
    Slaac,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MacSpec {
    #[default]
    Auto,
    Fixed(Mac),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolver {
    /// Copy the host's resolv.conf.
    Inherit,
    /// Leave the jail's resolv.conf alone.
    #[default]
    None,
    /// Write exactly these lines.
    Lines(Vec<String>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Router {
    /// The first address of this family on the switch of the jail's first NIC that has one.
    #[default]
    Auto,
    None,
    Addr(Spanned<IpAddr>),
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

/// `[ADDR:]HOSTPORT[:JAILPORT]` on host.uplink forwarded to the jail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expose {
    pub proto: Proto,
    pub host_addr: Option<IpAddr>,
    pub host_port: u16,
    pub jail_port: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Vm {
    pub name: JailName,
    #[serde(skip)]
    pub span: Span,
    pub nics: Vec<VmNic>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VmNic {
    #[serde(skip)]
    pub span: Span,
    pub switch: Spanned<String>,
    pub mac: Spanned<MacSpec>,
    /// Anti-spoofing: only this NIC's MAC, and the address the switch's DHCP hands that
    /// MAC, may leave it.
    pub secure: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    pub etcd: Vec<String>,
    pub vtep: Option<IpAddr>,
}

/// A value with the span it was written at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Spanned<T> {
    pub value: T,
    #[serde(skip)]
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl Jail {
    pub fn is_vnet(&self) -> bool {
        !self.nics.is_empty()
    }
}

/// Bytes a VXLAN header adds on an IPv4 underlay (outer Ethernet 14 + IP 20 + UDP 8 +
/// VXLAN 8): the overlay MTU is the underlay's minus this.
pub const VXLAN_OVERHEAD: u32 = 50;

/// The underlay MTU assumed when jailnet does not know the `dev`'s (plain Ethernet).
pub const DEFAULT_UNDERLAY_MTU: u32 = 1500;

impl Switch {
    /// The MTU the switch and its ports get: the one written, else for a vxlan switch the
    /// underlay's minus [`VXLAN_OVERHEAD`] (1450 on Ethernet), else none (the kernel's).
    pub fn effective_mtu(&self) -> Option<u32> {
        self.mtu.or_else(|| {
            self.vxlan
                .as_ref()
                .map(|_| DEFAULT_UNDERLAY_MTU - VXLAN_OVERHEAD)
        })
    }

    /// The switch's first host address of the requested family (its gateway).
    pub fn gateway(&self, v4: bool) -> Option<&Cidr> {
        self.addresses
            .iter()
            .map(|a| &a.value)
            .find(|a| a.is_v4() == v4)
    }
}

impl std::fmt::Display for Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        })
    }
}

impl std::fmt::Display for Expose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/", self.proto)?;
        match self.host_addr {
            Some(IpAddr::V6(a)) => write!(f, "[{a}]:")?,
            Some(a) => write!(f, "{a}:")?,
            None => {}
        }
        write!(f, "{}:{}", self.host_port, self.jail_port)
    }
}
