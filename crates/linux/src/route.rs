//! Routes in the main table: default routes via a gateway (add/delete) and a dump.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::conn::{Netlink, Request};
use crate::error::Result;
use crate::raw;
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
        self.main_routes(None)
    }

    /// Routes of the main table of one family (`Some(true)`: IPv6), or both (`None`).
    pub fn main_routes(&mut self, v6: Option<bool>) -> Result<Vec<Route>> {
        // With strict checking (Linux 4.20+) the kernel reads the table in the request and
        // leaves out the local table's many entries; without, they are dropped here.
        let was_strict = self.strict_check();
        let strict = was_strict || self.set_strict_check(true).is_ok();
        let mut msg = RouteMessage::default();
        msg.header.address_family = match v6 {
            None => AddressFamily::Unspec,
            Some(false) => AddressFamily::Inet,
            Some(true) => AddressFamily::Inet6,
        };
        if strict {
            msg.header.table = RouteHeader::RT_TABLE_MAIN;
        }
        let routes = self.dump_with(
            RouteNetlinkMessage::GetRoute(msg),
            "dump routes",
            Route::from_raw,
        );
        if strict && !was_strict {
            // Other requests on this socket are built for the lenient checks.
            let _ = self.set_strict_check(false);
        }
        let mut out = match routes {
            // Asked for one family's main table (strict checking), the kernel says ENOENT
            // when that table does not exist yet: a namespace with no route of that family.
            Err(e) if strict && v6.is_some() && e.errno() == Some(libc::ENOENT) => Vec::new(),
            other => other?,
        };
        out.retain(|r| r.table == TABLE_MAIN);
        Ok(out)
    }
}

impl Route {
    /// Decode a raw `RTM_NEWROUTE` message (netlink header included) without the full
    /// parser; `Ok(None)` for another message type or a family other than IPv4/IPv6.
    pub fn from_raw(raw: &[u8]) -> std::result::Result<Option<Route>, String> {
        const RTM_NEWROUTE: u16 = 24;
        const RTA_DST: u16 = 1;
        const RTA_OIF: u16 = 4;
        const RTA_GATEWAY: u16 = 5;
        const RTA_PRIORITY: u16 = 6;
        const RTA_TABLE: u16 = 15;
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type (u8
        // each), flags (u32).
        let Some((hdr, attrs)) = raw::body(raw, RTM_NEWROUTE, 12) else {
            return Ok(None);
        };
        let dst = match i32::from(hdr[0]) {
            libc::AF_INET => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            libc::AF_INET6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            _ => return Ok(None),
        };
        let mut r = Route {
            dst,
            dst_len: hdr[1],
            gateway: None,
            oif: None,
            table: u32::from(hdr[4]),
            protocol: hdr[5],
            scope: hdr[6],
            kind: hdr[7],
            priority: None,
        };
        for a in raw::attributes(attrs) {
            let (kind, v) = a?;
            match kind {
                RTA_DST => r.dst = raw::nla_ip(v)?,
                RTA_GATEWAY => r.gateway = Some(raw::nla_ip(v)?),
                RTA_OIF => r.oif = Some(raw::nla_u32(v)?),
                RTA_TABLE => r.table = raw::nla_u32(v)?,
                RTA_PRIORITY => r.priority = Some(raw::nla_u32(v)?),
                _ => {}
            }
        }
        Ok(Some(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `msg` as the kernel sends it: a netlink message of type RTM_NEWROUTE.
    fn wire(msg: RouteMessage) -> Vec<u8> {
        crate::raw::wire(RouteNetlinkMessage::NewRoute(msg))
    }

    #[test]
    fn raw_routes_decode_like_the_kernel_sends_them() {
        let mut msg = default_route_message("10.0.0.1".parse().unwrap(), Some(4));
        msg.attributes.push(RouteAttribute::Priority(100));
        let r = Route::from_raw(&wire(msg)).unwrap().unwrap();
        assert!(r.is_default());
        assert_eq!(r.dst, "0.0.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(r.gateway, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(
            (r.oif, r.priority, r.table),
            (Some(4), Some(100), TABLE_MAIN)
        );

        // A subnet route in table 1000 (beyond the header's u8: RTA_TABLE says it).
        let mut msg = default_route_message("fd00::1".parse().unwrap(), None);
        msg.header.destination_prefix_length = 48;
        msg.header.table = 252; // RT_TABLE_COMPAT: the real id is in RTA_TABLE
        msg.attributes
            .retain(|a| !matches!(a, RouteAttribute::Gateway(_)));
        msg.attributes
            .push(RouteAttribute::Destination(route_address(
                "fd00:1::".parse().unwrap(),
            )));
        msg.attributes.push(RouteAttribute::Table(1000));
        let r = Route::from_raw(&wire(msg)).unwrap().unwrap();
        assert!(!r.is_default());
        assert_eq!((r.dst, r.dst_len), ("fd00:1::".parse().unwrap(), 48));
        assert_eq!((r.gateway, r.table), (None, 1000));
    }

    #[test]
    fn raw_decoding_skips_other_families_and_messages() {
        let mut msg = default_route_message("10.0.0.1".parse().unwrap(), None);
        msg.header.address_family = AddressFamily::Mpls;
        assert_eq!(Route::from_raw(&wire(msg)), Ok(None));
        let mut raw = wire(default_route_message("10.0.0.1".parse().unwrap(), None));
        raw[4] = 20; // RTM_NEWADDR
        assert_eq!(Route::from_raw(&raw), Ok(None));
    }
}
