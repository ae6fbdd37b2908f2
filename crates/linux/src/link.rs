//! Links: the `Link` view from a dump, lookup by name, and the generic per-link
//! changes (delete, up/down, MTU, MAC, alias, master, rename, move to a netns).

use std::net::IpAddr;

use netlink_packet_core::{DefaultNla, NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_core::{NlaBuffer, ParseableParametrized};
use netlink_packet_route::link::{
    InfoBridgePort, InfoData, InfoPortData, InfoPortKind, InfoVxlan, LinkAttribute, LinkExtentMask,
    LinkFlags, LinkInfo, LinkMessage, LinkProtoInfoBridge,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::conn::{Netlink, Request};
use crate::error::{Error, Result};
use crate::netns::NsFd;
use crate::raw::{self, nla_string, nla_u32};
use crate::settings::LinkSettings;
use crate::types::{check_ifname, LinkRef, MacAddr};

/// `IFLA_BRPORT_ISOLATED` inside `IFLA_PROTINFO` (AF_BRIDGE).
const IFLA_BRPORT_ISOLATED: u16 = 33;

/// One interface as the kernel reports it in a link dump.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// `IFLA_INFO_KIND`: "veth", "bridge", "vxlan", "tun", …; `None` for
    /// physical devices and loopback.
    pub kind: Option<String>,
    pub mac: Option<MacAddr>,
    pub mtu: u32,
    /// Administratively up (`IFF_UP`).
    pub up: bool,
    /// Carrier present (`IFF_LOWER_UP`).
    pub lower_up: bool,
    /// Index of the bridge (or other master) this link is a port of.
    pub master: Option<u32>,
    /// `ifalias` (jailnet tags its objects with it).
    pub alias: Option<String>,
    /// `IFLA_LINK`: for a veth, the peer's index (in the peer's namespace).
    pub link: Option<u32>,
    /// `IFLA_LINK_NETNSID`: the id, local to this namespace, of the namespace
    /// holding the peer / underlying device, when it lives elsewhere.
    pub link_netnsid: Option<i32>,
    /// For a bridge port: the `isolated` flag.
    pub isolated: Option<bool>,
    /// For a vxlan device: its parameters.
    pub vxlan: Option<VxlanInfo>,
}

/// What a dump tells about a vxlan device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VxlanInfo {
    pub vni: u32,
    pub local: Option<IpAddr>,
    pub group: Option<IpAddr>,
    pub dev: Option<u32>,
    pub port: u16,
    pub learning: bool,
}

impl Link {
    /// Decode an `RTM_NEWLINK` message.
    pub fn from_message(msg: &LinkMessage) -> Link {
        let mut link = Link {
            index: msg.header.index,
            up: msg.header.flags.contains(LinkFlags::Up),
            lower_up: msg.header.flags.contains(LinkFlags::LowerUp),
            ..Link::default()
        };
        for attr in &msg.attributes {
            link.apply(attr);
        }
        link
    }

    /// Decode a raw `RTM_NEWLINK` message (netlink header included), parsing only
    /// the attributes [`Link`] keeps: a host with a thousand jails answers a link
    /// dump with megabytes of per-link IPv4/IPv6 settings nobody here reads.
    /// `Ok(None)` for any other message type.
    pub fn from_raw(raw: &[u8]) -> std::result::Result<Option<Link>, String> {
        const RTM_NEWLINK: u16 = 16;
        // struct ifinfomsg: family, pad (u8 each), type (u16), index, flags, change (u32).
        let Some((hdr, attrs)) = raw::body(raw, RTM_NEWLINK, 16) else {
            return Ok(None);
        };
        let u32_at = |i: usize| u32::from_ne_bytes([hdr[i], hdr[i + 1], hdr[i + 2], hdr[i + 3]]);
        let flags = LinkFlags::from_bits_retain(u32_at(8));
        let mut link = Link {
            index: u32_at(4),
            up: flags.contains(LinkFlags::Up),
            lower_up: flags.contains(LinkFlags::LowerUp),
            ..Link::default()
        };
        let mut it = raw::attributes(attrs);
        while let Some(a) = it.next() {
            let (kind, v) = a?;
            match kind {
                IFLA_ADDRESS => link.mac = MacAddr::from_slice(v),
                IFLA_IFNAME => link.name = nla_string(v),
                IFLA_MTU => link.mtu = nla_u32(v)?,
                IFLA_LINK => link.link = Some(nla_u32(v)?).filter(|l| *l != 0),
                IFLA_MASTER => link.master = Some(nla_u32(v)?).filter(|m| *m != 0),
                IFLA_IFALIAS => link.alias = Some(nla_string(v)).filter(|a| !a.is_empty()),
                IFLA_LINK_NETNSID => link.link_netnsid = Some(nla_u32(v)? as i32),
                // A kind whose settings are read (vxlan): the full parser.
                IFLA_LINKINFO if link.apply_raw_info(v)? => {
                    let nla = NlaBuffer::new_checked(it.whole()).map_err(|e| e.to_string())?;
                    let attr = LinkAttribute::parse_with_param(&nla, AddressFamily::Unspec)
                        .map_err(|e| e.to_string())?;
                    link.apply(&attr);
                }
                _ => {}
            }
        }
        Ok(Some(link))
    }

    /// Kind and bridge-port `isolated` flag from a raw `IFLA_LINKINFO`; whether the
    /// kind's own settings are needed too (a vxlan device).
    fn apply_raw_info(&mut self, info: &[u8]) -> std::result::Result<bool, String> {
        let mut bridge_port = false;
        for a in raw::attributes(info) {
            let (kind, v) = a?;
            match kind {
                IFLA_INFO_KIND => self.kind = Some(nla_string(v)),
                IFLA_INFO_PORT_KIND => bridge_port = nla_string(v) == "bridge",
                IFLA_INFO_PORT_DATA if bridge_port => {
                    for p in raw::attributes(v) {
                        let (kind, v) = p?;
                        if kind == IFLA_BRPORT_ISOLATED {
                            self.isolated = v.first().map(|b| *b != 0);
                        }
                    }
                }
                _ => {}
            }
        }
        if bridge_port && self.isolated.is_none() {
            self.isolated = Some(false);
        }
        Ok(self.kind.as_deref() == Some("vxlan"))
    }

    fn apply(&mut self, attr: &LinkAttribute) {
        match attr {
            LinkAttribute::IfName(n) => self.name = n.clone(),
            LinkAttribute::Address(a) => self.mac = MacAddr::from_slice(a),
            LinkAttribute::Mtu(m) => self.mtu = *m,
            LinkAttribute::Controller(m) if *m != 0 => self.master = Some(*m),
            LinkAttribute::IfAlias(a) if !a.is_empty() => self.alias = Some(a.clone()),
            LinkAttribute::Link(l) if *l != 0 => self.link = Some(*l),
            LinkAttribute::LinkNetNsId(id) => self.link_netnsid = Some(*id),
            LinkAttribute::LinkInfo(infos) => self.apply_info(infos),
            _ => {}
        }
    }

    fn apply_info(&mut self, infos: &[LinkInfo]) {
        let mut bridge_port = false;
        for info in infos {
            match info {
                LinkInfo::Kind(k) => self.kind = Some(k.to_string()),
                LinkInfo::PortKind(InfoPortKind::Bridge) => bridge_port = true,
                LinkInfo::PortData(InfoPortData::BridgePort(attrs)) => {
                    for a in attrs {
                        if let InfoBridgePort::Isolated(v) = a {
                            self.isolated = Some(*v);
                        }
                    }
                }
                LinkInfo::Data(InfoData::Vxlan(attrs)) => {
                    self.vxlan = Some(vxlan_info(attrs));
                }
                _ => {}
            }
        }
        if bridge_port && self.isolated.is_none() {
            self.isolated = Some(false);
        }
    }
}

const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_IFALIAS: u16 = 20;
const IFLA_LINK_NETNSID: u16 = 37;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_PORT_KIND: u16 = 4;
const IFLA_INFO_PORT_DATA: u16 = 5;

/// A NUL-terminated string attribute.
fn vxlan_info(attrs: &[InfoVxlan]) -> VxlanInfo {
    let mut v = VxlanInfo::default();
    for a in attrs {
        match a {
            InfoVxlan::Id(id) => v.vni = *id,
            InfoVxlan::Local(ip) => v.local = Some(IpAddr::V4(*ip)),
            InfoVxlan::Local6(ip) => v.local = Some(IpAddr::V6(*ip)),
            InfoVxlan::Group(ip) if !ip.is_unspecified() => v.group = Some(IpAddr::V4(*ip)),
            InfoVxlan::Group6(ip) if !ip.is_unspecified() => v.group = Some(IpAddr::V6(*ip)),
            InfoVxlan::Link(l) if *l != 0 => v.dev = Some(*l),
            InfoVxlan::Port(p) => v.port = *p,
            InfoVxlan::Learning(l) => v.learning = *l,
            _ => {}
        }
    }
    v
}

/// A link message addressed at `link` (index in the header, or name attribute).
pub(crate) fn link_message(link: LinkRef<'_>) -> LinkMessage {
    let mut msg = LinkMessage::default();
    match link {
        LinkRef::Index(i) => msg.header.index = i,
        LinkRef::Name(n) => msg.attributes.push(LinkAttribute::IfName(n.to_string())),
    }
    msg
}

/// An `RTM_NEWLINK` create request (`NLM_F_CREATE | NLM_F_EXCL`) for `name` of `kind`.
pub(crate) fn new_link_message(
    name: &str,
    mtu: Option<u32>,
    mac: Option<MacAddr>,
    info: Vec<LinkInfo>,
) -> LinkMessage {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_string()));
    if let Some(m) = mtu {
        msg.attributes.push(LinkAttribute::Mtu(m));
    }
    if let Some(m) = mac {
        msg.attributes.push(LinkAttribute::Address(m.0.to_vec()));
    }
    msg.attributes.push(LinkAttribute::LinkInfo(info));
    msg
}

pub(crate) const CREATE_FLAGS: u16 = NLM_F_CREATE | NLM_F_EXCL;

impl<'a> Request<'a> {
    /// `ip link del LINK`.
    pub fn delete_link(link: LinkRef<'_>) -> Request<'a> {
        Request::new(
            RouteNetlinkMessage::DelLink(link_message(link)),
            0,
            format!("delete link {link}"),
        )
    }

    /// `ip link set LINK group GROUP`.
    pub fn set_group(link: LinkRef<'_>, group: u32) -> Request<'a> {
        let mut msg = link_message(link);
        msg.attributes.push(LinkAttribute::Group(group));
        Request::new(
            RouteNetlinkMessage::SetLink(msg),
            0,
            format!("set link {link} group {group}"),
        )
    }

    /// `ip link del group GROUP`: every link of the group in one `RTM_DELLINK`,
    /// which the kernel unregisters as one batch (one wait for RCU, where a
    /// request per link costs one each, ~20 ms).
    pub fn delete_group(group: u32) -> Request<'a> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::Group(group));
        Request::new(
            RouteNetlinkMessage::DelLink(msg),
            0,
            format!("delete links of group {group}"),
        )
    }

    /// `ip link set LINK up|down`.
    pub fn set_up(link: LinkRef<'_>, up: bool) -> Request<'a> {
        let mut msg = link_message(link);
        msg.header.change_mask = LinkFlags::Up;
        if up {
            msg.header.flags = LinkFlags::Up;
        }
        let what = if up { "up" } else { "down" };
        Request::new(
            RouteNetlinkMessage::SetLink(msg),
            0,
            format!("set link {link} {what}"),
        )
    }

    /// `ip link set LINK mtu N`.
    pub fn set_mtu(link: LinkRef<'_>, mtu: u32) -> Request<'a> {
        let mut msg = link_message(link);
        msg.attributes.push(LinkAttribute::Mtu(mtu));
        Request::new(
            RouteNetlinkMessage::SetLink(msg),
            0,
            format!("set link {link} mtu {mtu}"),
        )
    }

    /// `ip link set LINK address MAC`.
    pub fn set_mac(link: LinkRef<'_>, mac: MacAddr) -> Request<'a> {
        let mut msg = link_message(link);
        msg.attributes.push(LinkAttribute::Address(mac.0.to_vec()));
        Request::new(
            RouteNetlinkMessage::SetLink(msg),
            0,
            format!("set link {link} address {mac}"),
        )
    }

    /// `ip link set LINK alias TEXT` (an empty text removes the alias).
    ///
    /// The kernel ignores `IFLA_IFALIAS` in a create request, so to tag a new
    /// link put this request right after its create in the same batch
    /// (requests in a batch are applied in order).
    pub fn set_alias(link: LinkRef<'_>, alias: &str) -> Request<'a> {
        let mut msg = link_message(link);
        msg.attributes
            .push(LinkAttribute::IfAlias(alias.to_string()));
        Request::new(
            RouteNetlinkMessage::SetLink(msg),
            0,
            format!("set link {link} alias {alias:?}"),
        )
    }

    /// `ip link set LINK addrgenmode none`: `IFLA_AF_SPEC { AF_INET6 {
    /// IFLA_INET6_ADDR_GEN_MODE = NONE } }`. Sent before the link first comes up,
    /// the kernel gives it no IPv6 link-local address, so it sends no DAD, MLD or
    /// router solicitation either: a bridge port that carries no address (and a
    /// jail end without IPv6) stays silent instead of flooding every other port.
    pub fn set_no_ipv6_autoconf(link: LinkRef<'_>) -> Request<'a> {
        let no_autoconf = LinkSettings {
            no_ipv6_autoconf: true,
            ..LinkSettings::default()
        };
        Request::configure_link(link, &no_autoconf)
    }

    /// `promote_secondaries` on `link` (IPv4 devconf, through `IFLA_AF_SPEC`: no
    /// `/proc/sys` walk): removing its primary address keeps the secondaries, so an
    /// address change in place keeps the routes that use them.
    pub fn set_promote_secondaries(link: LinkRef<'_>) -> Request<'a> {
        let promote = LinkSettings {
            promote_secondaries: true,
            ..LinkSettings::default()
        };
        Request::configure_link(link, &promote)
    }

    /// `ip link set LINK master BRIDGE` (`None`: `nomaster`). The bridge must be
    /// given by index: `IFLA_MASTER` takes nothing else.
    pub fn set_master(link: LinkRef<'_>, master: Option<u32>) -> Request<'a> {
        let mut msg = link_message(link);
        msg.attributes
            .push(LinkAttribute::Controller(master.unwrap_or(0)));
        let op = match master {
            Some(m) => format!("set link {link} master ifindex {m}"),
            None => format!("set link {link} nomaster"),
        };
        Request::new(RouteNetlinkMessage::SetLink(msg), 0, op)
    }

    /// `bridge link set dev PORT isolated on|off`: `RTM_SETLINK`, family
    /// AF_BRIDGE, `IFLA_PROTINFO { IFLA_BRPORT_ISOLATED }`. Works while the port
    /// is down. The kernel's bridge setlink wants the port's index.
    pub fn set_isolated(port_index: u32, isolated: bool) -> Request<'a> {
        let mut msg = LinkMessage::default();
        msg.header.interface_family = AddressFamily::Bridge;
        msg.header.index = port_index;
        msg.attributes.push(LinkAttribute::ProtoInfoBridge(vec![
            LinkProtoInfoBridge::Other(DefaultNla::new(
                IFLA_BRPORT_ISOLATED,
                vec![u8::from(isolated)],
            )),
        ]));
        let what = if isolated { "on" } else { "off" };
        Request::new(
            RouteNetlinkMessage::SetLink(msg),
            0,
            format!("set bridge port ifindex {port_index} isolated {what}"),
        )
    }

    /// `ip link set dev LINK type bridge_slave isolated on|off`: an `RTM_NEWLINK`
    /// on an existing bridge port with `IFLA_INFO_SLAVE_DATA { IFLA_BRPORT_ISOLATED }`.
    /// Unlike [`Request::set_isolated`] it takes a name, so it can follow the
    /// request that creates (and enslaves) the port in one batch.
    pub fn set_port_isolated(link: LinkRef<'_>, isolated: bool) -> Request<'a> {
        let isolate = LinkSettings {
            isolated: Some(isolated),
            ..LinkSettings::default()
        };
        Request::configure_link(link, &isolate)
    }

    /// `ip link set ifindex N name NEW` (a rename must address the link by index).
    pub fn rename(index: u32, new_name: &str) -> Result<Request<'a>> {
        check_ifname(new_name)?;
        let mut msg = link_message(LinkRef::Index(index));
        msg.attributes
            .push(LinkAttribute::IfName(new_name.to_string()));
        Ok(Request::new(
            RouteNetlinkMessage::SetLink(msg),
            0,
            format!("rename ifindex {index} to {new_name}"),
        ))
    }

    /// `ip link set LINK netns NS [name NEW]`. With `new_name` the link must be
    /// given by index (the name attribute then carries the new name); the kernel
    /// moves first, then renames, in this one request.
    pub fn move_to_netns(
        link: LinkRef<'_>,
        ns: &'a NsFd,
        new_name: Option<&str>,
    ) -> Result<Request<'a>> {
        use std::os::fd::AsRawFd;
        let mut msg = link_message(link);
        if let Some(n) = new_name {
            check_ifname(n)?;
            if matches!(link, LinkRef::Name(_)) {
                return Err(Error::Invalid {
                    op: format!("move link {link} to {}", ns.label()),
                    reason: "renaming while moving needs the link's index".into(),
                });
            }
            msg.attributes.push(LinkAttribute::IfName(n.to_string()));
        }
        msg.attributes.push(LinkAttribute::NetNsFd(ns.as_raw_fd()));
        let op = match new_name {
            Some(n) => format!("move link {link} to {} as {n}", ns.label()),
            None => format!("move link {link} to {}", ns.label()),
        };
        Ok(Request::new(RouteNetlinkMessage::NewLink(msg), 0, op))
    }
}

impl Netlink {
    /// Every link in this namespace (`ip -d link show`), without the per-link statistics,
    /// which nothing here reads.
    pub fn links(&mut self) -> Result<Vec<Link>> {
        let mut msg = LinkMessage::default();
        msg.attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        self.dump_with(
            RouteNetlinkMessage::GetLink(msg),
            "dump links",
            Link::from_raw,
        )
    }

    /// One link by name or index; `Ok(None)` if there is no such link.
    pub fn link(&mut self, link: LinkRef<'_>) -> Result<Option<Link>> {
        let op = format!("get link {link}");
        let mut msg = link_message(link);
        msg.attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        match self.get_one(RouteNetlinkMessage::GetLink(msg), &op) {
            Ok(RouteNetlinkMessage::NewLink(l)) => Ok(Some(Link::from_message(&l))),
            Ok(_) => Err(Error::Decode {
                op,
                detail: "reply is not a link".into(),
            }),
            Err(e) if e.errno() == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Link `name`'s index and MAC only, `Ok(None)` if there is no such link (or `name`
    /// cannot be one): two interface ioctls, several times cheaper than a `RTM_GETLINK`,
    /// for which the kernel fills in every IPv4 and IPv6 setting of the link (observing a
    /// jail's NIC needs its index, for its addresses, and its MAC).
    pub fn link_brief(&self, name: &str) -> Result<Option<Link>> {
        let op = || format!("get link {name}");
        let bytes = name.as_bytes();
        // SAFETY: an all-zero ifreq is valid (a NUL name, a zero union).
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        if bytes.is_empty() || bytes.len() >= ifr.ifr_name.len() || bytes.contains(&0) {
            return Ok(None);
        }
        for (d, b) in ifr.ifr_name.iter_mut().zip(bytes) {
            *d = *b as libc::c_char;
        }
        let ask = |ifr: &mut libc::ifreq, cmd| match self.ifreq_ioctl(cmd, ifr) {
            Ok(()) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(false),
            Err(e) => Err(Error::socket(op(), e)),
        };
        if !ask(&mut ifr, libc::SIOCGIFINDEX)? {
            return Ok(None);
        }
        // SAFETY: SIOCGIFINDEX filled in the union's index.
        let index = unsafe { ifr.ifr_ifru.ifru_ifindex } as u32;
        if !ask(&mut ifr, libc::SIOCGIFHWADDR)? {
            return Ok(None);
        }
        // SAFETY: SIOCGIFHWADDR filled in the union's hardware address.
        let hw = unsafe { ifr.ifr_ifru.ifru_hwaddr };
        let mut mac = [0u8; 6];
        for (d, b) in mac.iter_mut().zip(hw.sa_data.iter()) {
            *d = *b as u8;
        }
        Ok(Some(Link {
            index,
            name: name.to_string(),
            mac: MacAddr::from_slice(&mac),
            ..Link::default()
        }))
    }

    /// The index of `link` (no request when it already is an index).
    pub fn index_of(&mut self, link: LinkRef<'_>) -> Result<u32> {
        match link {
            LinkRef::Index(i) => Ok(i),
            LinkRef::Name(n) => self
                .link(link)?
                .map(|l| l.index)
                .ok_or_else(|| Error::NoSuchLink(n.to_string())),
        }
    }

    /// Delete a link (for a veth, both ends go).
    pub fn delete_link<'l>(&mut self, link: impl Into<LinkRef<'l>>) -> Result<()> {
        self.execute(Request::delete_link(link.into()))
    }

    /// Bring a link up or down.
    pub fn set_up<'l>(&mut self, link: impl Into<LinkRef<'l>>, up: bool) -> Result<()> {
        self.execute(Request::set_up(link.into(), up))
    }

    /// Set the MTU.
    pub fn set_mtu<'l>(&mut self, link: impl Into<LinkRef<'l>>, mtu: u32) -> Result<()> {
        self.execute(Request::set_mtu(link.into(), mtu))
    }

    /// Set the MAC address.
    pub fn set_mac<'l>(&mut self, link: impl Into<LinkRef<'l>>, mac: MacAddr) -> Result<()> {
        self.execute(Request::set_mac(link.into(), mac))
    }

    /// Set (or with "" clear) the `ifalias`.
    pub fn set_alias<'l>(&mut self, link: impl Into<LinkRef<'l>>, alias: &str) -> Result<()> {
        self.execute(Request::set_alias(link.into(), alias))
    }

    /// Make `link` a port of `master` (`None`: release it). A master given by
    /// name costs one extra lookup request.
    pub fn set_master<'l, 'm>(
        &mut self,
        link: impl Into<LinkRef<'l>>,
        master: Option<LinkRef<'m>>,
    ) -> Result<()> {
        let master = match master {
            Some(m) => Some(self.index_of(m)?),
            None => None,
        };
        self.execute(Request::set_master(link.into(), master))
    }

    /// Set a bridge port's `isolated` flag (a name costs one extra lookup).
    pub fn set_isolated<'l>(&mut self, port: impl Into<LinkRef<'l>>, isolated: bool) -> Result<()> {
        let index = self.index_of(port.into())?;
        self.execute(Request::set_isolated(index, isolated))
    }

    /// Rename a link (a name costs one extra lookup).
    pub fn rename<'l>(&mut self, link: impl Into<LinkRef<'l>>, new_name: &str) -> Result<()> {
        let index = self.index_of(link.into())?;
        self.execute(Request::rename(index, new_name)?)
    }

    /// Move a link into namespace `ns`, optionally renaming it on the way.
    pub fn move_to_netns<'l>(
        &mut self,
        link: impl Into<LinkRef<'l>>,
        ns: &NsFd,
        new_name: Option<&str>,
    ) -> Result<()> {
        let mut link = link.into();
        if new_name.is_some() {
            link = LinkRef::Index(self.index_of(link)?);
        }
        self.execute(Request::move_to_netns(link, ns, new_name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::InfoKind;

    #[test]
    fn dump_message_decodes_to_link() {
        let mut msg = LinkMessage::default();
        msg.header.index = 7;
        msg.header.flags = LinkFlags::Up;
        msg.attributes = vec![
            LinkAttribute::IfName("jh0".into()),
            LinkAttribute::Mtu(1400),
            LinkAttribute::Controller(3),
            LinkAttribute::IfAlias("jailnet:www".into()),
            LinkAttribute::Address(vec![2, 0, 0, 0, 0, 1]),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::PortKind(InfoPortKind::Bridge),
                LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::Isolated(
                    true,
                )])),
            ]),
        ];
        let l = Link::from_message(&msg);
        // The raw decoder of dumps reads the same out of the message's bytes.
        let mut raw = raw_of(&msg);
        assert_eq!(Link::from_raw(&raw).unwrap(), Some(l.clone()));
        raw[4] = 17; // RTM_DELLINK
        assert_eq!(Link::from_raw(&raw).unwrap(), None);
        assert_eq!(l.index, 7);
        assert_eq!(l.name, "jh0");
        assert_eq!(l.kind.as_deref(), Some("veth"));
        assert_eq!(l.mtu, 1400);
        assert!(l.up);
        assert_eq!(l.master, Some(3));
        assert_eq!(l.alias.as_deref(), Some("jailnet:www"));
        assert_eq!(l.mac, Some(MacAddr([2, 0, 0, 0, 0, 1])));
        assert_eq!(l.isolated, Some(true));
    }

    fn raw_of(msg: &LinkMessage) -> Vec<u8> {
        crate::raw::wire(RouteNetlinkMessage::NewLink(msg.clone()))
    }

    #[test]
    fn raw_decoder_reads_vxlan_settings_peers_and_plain_links_like_the_full_parser() {
        let mut vx = LinkMessage::default();
        vx.header.index = 9;
        vx.attributes = vec![
            LinkAttribute::IfName("jv42".into()),
            LinkAttribute::IfAlias(String::new()),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Vxlan),
                LinkInfo::Data(InfoData::Vxlan(vec![
                    InfoVxlan::Id(42),
                    InfoVxlan::Port(4789),
                    InfoVxlan::Learning(false),
                ])),
            ]),
        ];
        let mut peer = LinkMessage::default();
        peer.header.index = 4;
        peer.attributes = vec![
            LinkAttribute::IfName("eth0".into()),
            LinkAttribute::Link(12),
            LinkAttribute::LinkNetNsId(3),
            LinkAttribute::Controller(0),
            LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Veth)]),
        ];
        for msg in [vx, peer] {
            let full = Link::from_message(&msg);
            assert_eq!(Link::from_raw(&raw_of(&msg)).unwrap(), Some(full.clone()));
            if full.name == "jv42" {
                let info = full.vxlan.expect("vxlan settings");
                assert_eq!((info.vni, info.port, info.learning), (42, 4789, false));
                assert_eq!(full.alias, None);
                assert_eq!(full.isolated, None);
            } else {
                assert_eq!(
                    (full.link, full.link_netnsid, full.master),
                    (Some(12), Some(3), None)
                );
                assert_eq!(full.kind.as_deref(), Some("veth"));
            }
        }
    }

    #[test]
    fn rename_while_moving_by_name_is_refused() {
        let ns = NsFd::current();
        if let Ok(ns) = ns {
            let r = Request::move_to_netns(LinkRef::Name("a"), &ns, Some("b"));
            assert!(r.is_err());
        }
    }
}
