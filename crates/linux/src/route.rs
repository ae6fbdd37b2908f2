//! Routes in the main table: default routes via a gateway (add/delete) and a dump.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::conn::{Netlink, Request};
use crate::error::Result;
use crate::types::LinkRef;

/// The main routing table.
pub const TABLE_MAIN: u32 = RouteHeader::RT_TABLE_MAIN as u32;

/// One route as reported by a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination and prefix length; `None` with the family's unspecified
    /// address means a default route (see [`Route::is_default`]).
    pub dst: IpAddr,
    pub dst_len: u8,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    pub table: u32,
    /// `RTPROT_*` (2 kernel, 3 boot, 4 static, …).
    pub protocol: u8,
    /// `RT_SCOPE_*` (0 universe, 253 link, 254 host).
    pub scope: u8,
    /// `RTN_*` (1 unicast, 2 local, …).
    pub kind: u8,
    pub priority: Option<u32>,
}

impl Route {
    /// A default route (`0.0.0.0/0` or `::/0`).
    pub fn is_default(&self) -> bool {
        self.dst_len == 0
    }
}

fn family_of(ip: IpAddr) -> AddressFamily {
    if ip.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

fn route_address(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

fn default_route_message(gateway: IpAddr, oif: Option<u32>) -> RouteMessage {
    let mut msg = RouteMessage::default();
    msg.header.address_family = family_of(gateway);
    msg.header.destination_prefix_length = 0;
    msg.header.table = RouteHeader::RT_TABLE_MAIN;
    msg.attributes
        .push(RouteAttribute::Gateway(route_address(gateway)));
    if let Some(o) = oif {
        msg.attributes.push(RouteAttribute::Oif(o));
    }
    msg
}

impl<'a> Request<'a> {
    /// `ip route add default via GW [dev IFINDEX]` (protocol static, main table).
    pub fn add_default_route(gateway: IpAddr, oif: Option<u32>) -> Request<'a> {
        let mut msg = default_route_message(gateway, oif);
        msg.header.protocol = RouteProtocol::Static;
        msg.header.scope = RouteScope::Universe;
        msg.header.kind = RouteType::Unicast;
        Request::new(
            RouteNetlinkMessage::NewRoute(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            format!("add default route via {gateway}"),
        )
    }

    /// `ip route del default via GW` (matches any scope and protocol).
    pub fn delete_default_route(gateway: IpAddr, oif: Option<u32>) -> Request<'a> {
        let mut msg = default_route_message(gateway, oif);
        msg.header.scope = RouteScope::NoWhere;
        Request::new(
            RouteNetlinkMessage::DelRoute(msg),
            0,
            format!("delete default route via {gateway}"),
        )
    }
}

impl Netlink {
    /// Add a default route via `gateway` (optionally pinned to `dev`).
    pub fn add_default_route<'l>(
        &mut self,
        gateway: IpAddr,
        dev: Option<LinkRef<'l>>,
    ) -> Result<()> {
        let oif = match dev {
            Some(d) => Some(self.index_of(d)?),
            None => None,
        };
        self.execute(Request::add_default_route(gateway, oif))
    }

    /// Delete the default route via `gateway`.
    pub fn delete_default_route(&mut self, gateway: IpAddr) -> Result<()> {
        self.execute(Request::delete_default_route(gateway, None))
    }

    /// Routes of the main table, both families.
    pub fn routes(&mut self) -> Result<Vec<Route>> {
        // One dump for every family (AF_UNSPEC); IPv4 and IPv6 routes are kept. With
        // strict checking (Linux 4.20+) the kernel reads the table in the request and
        // leaves out the local table's many entries; without, they are dropped here.
        let strict = self.set_strict_check(true).is_ok();
        let mut msg = RouteMessage::default();
        if strict {
            msg.header.table = RouteHeader::RT_TABLE_MAIN;
        }
        let replies = self.dump(RouteNetlinkMessage::GetRoute(msg), "dump routes");
        if strict {
            // Other requests on this socket are built for the lenient checks.
            let _ = self.set_strict_check(false);
        }
        let replies = replies?;
        let mut out: Vec<Route> = replies
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewRoute(r) => route_from(r),
                _ => None,
            })
            .collect();
        out.retain(|r| r.table == TABLE_MAIN);
        Ok(out)
    }
}

fn ip_of(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

fn route_from(msg: &RouteMessage) -> Option<Route> {
    let unspecified = match msg.header.address_family {
        AddressFamily::Inet => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        AddressFamily::Inet6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        _ => return None,
    };
    let mut r = Route {
        dst: unspecified,
        dst_len: msg.header.destination_prefix_length,
        gateway: None,
        oif: None,
        table: u32::from(msg.header.table),
        protocol: msg.header.protocol.into(),
        scope: msg.header.scope.into(),
        kind: msg.header.kind.into(),
        priority: None,
    };
    for a in &msg.attributes {
        match a {
            RouteAttribute::Destination(d) => r.dst = ip_of(d).unwrap_or(unspecified),
            RouteAttribute::Gateway(g) => r.gateway = ip_of(g),
            RouteAttribute::Oif(o) => r.oif = Some(*o),
            RouteAttribute::Table(t) => r.table = *t,
            RouteAttribute::Priority(p) => r.priority = Some(*p),
            _ => {}
        }
    }
    Some(r)
}
