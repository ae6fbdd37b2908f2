//! vxlan devices: multicast (group + dev) or unicast (no group, remotes come
//! from FDB entries, see `fdb.rs`).

use std::net::IpAddr;

use netlink_packet_route::link::{InfoData, InfoKind, InfoVxlan, LinkInfo};
use netlink_packet_route::RouteNetlinkMessage;

use crate::conn::{Netlink, Request};
use crate::error::{Error, Result};
use crate::link::{new_link_message, CREATE_FLAGS};
use crate::types::{check_ifname, MacAddr};

/// The IANA vxlan port (the kernel's own default is the legacy 8472).
pub const VXLAN_PORT: u16 = 4789;

/// A vxlan device to create.
#[derive(Debug, Clone, Copy)]
pub struct VxlanSpec<'a> {
    pub name: &'a str,
    pub vni: u32,
    /// Source address of the tunnel (this host's VTEP).
    pub local: Option<IpAddr>,
    /// Multicast group; `None` for unicast with static FDB entries.
    pub group: Option<IpAddr>,
    /// Underlay device index (required by the kernel with a multicast group).
    pub dev: Option<u32>,
    /// UDP destination port, normally [`VXLAN_PORT`].
    pub port: u16,
    /// MAC learning from received packets.
    pub learning: bool,
    pub mtu: Option<u32>,
    pub mac: Option<MacAddr>,
}

impl<'a> VxlanSpec<'a> {
    /// A unicast vxlan on port 4789 with learning on.
    pub fn new(name: &'a str, vni: u32) -> VxlanSpec<'a> {
        VxlanSpec {
            name,
            vni,
            local: None,
            group: None,
            dev: None,
            port: VXLAN_PORT,
            learning: true,
            mtu: None,
            mac: None,
        }
    }
}

impl<'a> Request<'a> {
    /// `ip link add NAME type vxlan id VNI [local IP] [group IP dev DEV]
    /// dstport PORT [nolearning]`.
    pub fn create_vxlan(spec: &VxlanSpec<'_>) -> Result<Request<'a>> {
        check_ifname(spec.name)?;
        let op = format!("create vxlan {} id {}", spec.name, spec.vni);
        if let (Some(l), Some(g)) = (spec.local, spec.group) {
            if l.is_ipv4() != g.is_ipv4() {
                return Err(Error::Invalid {
                    op,
                    reason: "local and group are of different address families".into(),
                });
            }
        }
        let mut data = vec![InfoVxlan::Id(spec.vni)];
        match spec.local {
            Some(IpAddr::V4(a)) => data.push(InfoVxlan::Local(a)),
            Some(IpAddr::V6(a)) => data.push(InfoVxlan::Local6(a)),
            None => {}
        }
        match spec.group {
            Some(IpAddr::V4(a)) => data.push(InfoVxlan::Group(a)),
            Some(IpAddr::V6(a)) => data.push(InfoVxlan::Group6(a)),
            None => {}
        }
        if let Some(d) = spec.dev {
            data.push(InfoVxlan::Link(d));
        }
        data.push(InfoVxlan::Port(spec.port));
        data.push(InfoVxlan::Learning(spec.learning));
        let msg = new_link_message(
            spec.name,
            spec.mtu,
            spec.mac,
            vec![
                LinkInfo::Kind(InfoKind::Vxlan),
                LinkInfo::Data(InfoData::Vxlan(data)),
            ],
        );
        Ok(Request::new(
            RouteNetlinkMessage::NewLink(msg),
            CREATE_FLAGS,
            op,
        ))
    }
}

impl Netlink {
    /// Create a vxlan device.
    pub fn create_vxlan(&mut self, spec: &VxlanSpec<'_>) -> Result<()> {
        self.execute(Request::create_vxlan(spec)?)
    }
}
