//! Bridge forwarding database entries, used on vxlan devices the flannel way:
//! `bridge fdb append 00:00:00:00:00:00 dev VXLAN dst REMOTE` per remote VTEP.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_APPEND, NLM_F_CREATE};
use netlink_packet_route::neighbour::NeighbourState;
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::conn::{Netlink, Request};
use crate::error::Result;
use crate::types::{LinkRef, MacAddr};

/// One FDB entry as reported by a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdbEntry {
    /// The device the entry is on (the vxlan device or a bridge port).
    pub index: u32,
    pub mac: MacAddr,
    /// The remote VTEP (vxlan entries).
    pub dst: Option<IpAddr>,
    pub vni: Option<u32>,
    pub port: Option<u16>,
    /// The bridge, for entries in a bridge's own table.
    pub master: Option<u32>,
    /// `NUD_PERMANENT` (static, never ages).
    pub permanent: bool,
    /// `NTF_SELF`: in the device's own table (not the bridge's).
    pub is_self: bool,
}

fn fdb_message(index: u32, mac: MacAddr, dst: IpAddr) -> NeighbourMessage {
    let mut msg = NeighbourMessage::default();
    msg.header.family = AddressFamily::Bridge;
    msg.header.ifindex = index;
    msg.header.state = NeighbourState::Permanent;
    msg.header.flags = NeighbourFlags::Own;
    msg.attributes
        .push(NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()));
    msg.attributes
        .push(NeighbourAttribute::Destination(match dst {
            IpAddr::V4(a) => NeighbourAddress::Inet(a),
            IpAddr::V6(a) => NeighbourAddress::Inet6(a),
        }));
    msg
}

impl<'a> Request<'a> {
    /// `bridge fdb append MAC dev IFINDEX dst DST self permanent`.
    pub fn append_fdb(index: u32, mac: MacAddr, dst: IpAddr) -> Request<'a> {
        Request::new(
            RouteNetlinkMessage::NewNeighbour(fdb_message(index, mac, dst)),
            NLM_F_CREATE | NLM_F_APPEND,
            format!("append fdb {mac} dst {dst} on ifindex {index}"),
        )
    }

    /// `bridge fdb del MAC dev IFINDEX dst DST self`.
    pub fn delete_fdb(index: u32, mac: MacAddr, dst: IpAddr) -> Request<'a> {
        Request::new(
            RouteNetlinkMessage::DelNeighbour(fdb_message(index, mac, dst)),
            0,
            format!("delete fdb {mac} dst {dst} on ifindex {index}"),
        )
    }
}

impl Netlink {
    /// Append a static FDB entry (`MacAddr::ZERO` for flannel-style flooding
    /// to every listed remote).
    pub fn append_fdb<'l>(
        &mut self,
        link: impl Into<LinkRef<'l>>,
        mac: MacAddr,
        dst: IpAddr,
    ) -> Result<()> {
        let index = self.index_of(link.into())?;
        self.execute(Request::append_fdb(index, mac, dst))
    }

    /// Delete one FDB entry.
    pub fn delete_fdb<'l>(
        &mut self,
        link: impl Into<LinkRef<'l>>,
        mac: MacAddr,
        dst: IpAddr,
    ) -> Result<()> {
        let index = self.index_of(link.into())?;
        self.execute(Request::delete_fdb(index, mac, dst))
    }

    /// Every bridge FDB entry in this namespace (filter on `index` as needed).
    pub fn fdb(&mut self) -> Result<Vec<FdbEntry>> {
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Bridge;
        let replies = self.dump(RouteNetlinkMessage::GetNeighbour(msg), "dump fdb")?;
        Ok(replies
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNeighbour(n) => fdb_from(n),
                _ => None,
            })
            .collect())
    }
}

fn fdb_from(msg: &NeighbourMessage) -> Option<FdbEntry> {
    let mut e = FdbEntry {
        index: msg.header.ifindex,
        mac: MacAddr::ZERO,
        dst: None,
        vni: None,
        port: None,
        master: None,
        permanent: msg.header.state == NeighbourState::Permanent,
        is_self: msg.header.flags.contains(NeighbourFlags::Own),
    };
    let mut have_mac = false;
    for a in &msg.attributes {
        match a {
            NeighbourAttribute::LinkLayerAddress(m) => {
                if let Some(mac) = MacAddr::from_slice(m) {
                    e.mac = mac;
                    have_mac = true;
                }
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet(a)) => {
                e.dst = Some(IpAddr::V4(*a))
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(a)) => {
                e.dst = Some(IpAddr::V6(*a))
            }
            // AF_BRIDGE messages carry the VTEP address untyped: decode by length.
            NeighbourAttribute::Destination(NeighbourAddress::Other(b)) => {
                e.dst = ip_from_bytes(b);
            }
            NeighbourAttribute::Vni(v) => e.vni = Some(*v),
            NeighbourAttribute::Port(p) => e.port = Some(*p),
            NeighbourAttribute::Controller(m) => e.master = Some(*m),
            _ => {}
        }
    }
    have_mac.then_some(e)
}

fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    if let Ok(a) = <[u8; 4]>::try_from(b) {
        return Some(IpAddr::from(a));
    }
    <[u8; 16]>::try_from(b).ok().map(IpAddr::from)
}
