//! Interface addresses, IPv4 and IPv6: add, delete, dump.

use std::net::IpAddr;

use netlink_packet_core::NLM_F_CREATE;
use netlink_packet_core::NLM_F_EXCL;
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage, AddressScope};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::conn::{Netlink, Request};
use crate::error::{Error, Result};
use crate::raw;
use crate::types::LinkRef;

/// One address as reported by a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub index: u32,
    pub addr: IpAddr,
    pub prefix_len: u8,
    /// `IFA_F_*` flags (`nodad`, `tentative`, `permanent`, …) as raw bits.
    pub flags: u32,
    /// Label (IPv4 only, e.g. `eth0:1`).
    pub label: Option<String>,
}

/// `IFA_F_PERMANENT`: set on addresses with an infinite valid lifetime (added by
/// hand or by jailnet); unset on DHCP leases and SLAAC addresses, which expire.
pub const IFA_F_PERMANENT: u32 = 0x80;

impl Address {
    /// Decode a raw `RTM_NEWADDR` message (netlink header included) without the full
    /// parser; `Ok(None)` for another message type or a family other than IPv4/IPv6.
    pub fn from_raw(raw: &[u8]) -> std::result::Result<Option<Address>, String> {
        const RTM_NEWADDR: u16 = 20;
        const IFA_ADDRESS: u16 = 1;
        const IFA_LOCAL: u16 = 2;
        const IFA_LABEL: u16 = 3;
        const IFA_FLAGS: u16 = 8;
        // struct ifaddrmsg: family, prefix length, flags, scope (u8 each), index (u32).
        let Some((hdr, attrs)) = raw::body(raw, RTM_NEWADDR, 8) else {
            return Ok(None);
        };
        if ![libc::AF_INET, libc::AF_INET6].contains(&i32::from(hdr[0])) {
            return Ok(None);
        }
        let (mut addr, mut local, mut label) = (None, None, None);
        let mut flags = u32::from(hdr[2]);
        for a in raw::attributes(attrs) {
            let (kind, v) = a?;
            match kind {
                IFA_ADDRESS => addr = Some(raw::nla_ip(v)?),
                IFA_LOCAL => local = Some(raw::nla_ip(v)?),
                IFA_LABEL => label = Some(raw::nla_string(v)),
                IFA_FLAGS => flags = raw::nla_u32(v)?,
                _ => {}
            }
        }
        // IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer's on
        // point-to-point links).
        let Some(addr) = local.or(addr) else {
            return Ok(None);
        };
        Ok(Some(Address {
            index: u32::from_ne_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]),
            addr,
            prefix_len: hdr[1],
            flags,
            label,
        }))
    }

    /// Whether the address expires (a DHCP lease, a SLAAC address): not permanent.
    pub fn is_dynamic(&self) -> bool {
        self.flags & IFA_F_PERMANENT == 0
    }
}

/// Options for [`Request::add_address`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AddrOptions {
    /// IPv6: skip duplicate address detection (usable at once).
    pub nodad: bool,
}

fn address_message(index: u32, addr: IpAddr, prefix_len: u8) -> AddressMessage {
    let mut msg = AddressMessage::default();
    msg.header.index = index;
    msg.header.prefix_len = prefix_len;
    msg.header.scope = AddressScope::Universe;
    match addr {
        IpAddr::V4(a) => {
            msg.header.family = AddressFamily::Inet;
            msg.attributes.push(AddressAttribute::Local(addr));
            msg.attributes.push(AddressAttribute::Address(addr));
            if prefix_len < 31 {
                let mask = u32::MAX.checked_shr(u32::from(prefix_len)).unwrap_or(0);
                let brd = std::net::Ipv4Addr::from(u32::from(a) | mask);
                msg.attributes.push(AddressAttribute::Broadcast(brd));
            }
        }
        IpAddr::V6(_) => {
            msg.header.family = AddressFamily::Inet6;
            msg.attributes.push(AddressAttribute::Address(addr));
        }
    }
    msg
}

fn check_prefix(op: &str, addr: IpAddr, prefix_len: u8) -> Result<()> {
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix_len > max {
        return Err(Error::Invalid {
            op: op.to_string(),
            reason: format!("prefix length {prefix_len} > {max}"),
        });
    }
    Ok(())
}

impl<'a> Request<'a> {
    /// `ip addr add ADDR/LEN dev IFINDEX [nodad]` (IPv4 gets `brd +`).
    pub fn add_address(
        index: u32,
        addr: IpAddr,
        prefix_len: u8,
        opts: AddrOptions,
    ) -> Result<Request<'a>> {
        let op = format!("add address {addr}/{prefix_len} to ifindex {index}");
        check_prefix(&op, addr, prefix_len)?;
        let mut msg = address_message(index, addr, prefix_len);
        if opts.nodad && addr.is_ipv6() {
            msg.attributes
                .push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        Ok(Request::new(
            RouteNetlinkMessage::NewAddress(msg),
            NLM_F_CREATE | NLM_F_EXCL,
            op,
        ))
    }

    /// `ip addr del ADDR/LEN dev IFINDEX`.
    pub fn delete_address(index: u32, addr: IpAddr, prefix_len: u8) -> Result<Request<'a>> {
        let op = format!("delete address {addr}/{prefix_len} from ifindex {index}");
        check_prefix(&op, addr, prefix_len)?;
        Ok(Request::new(
            RouteNetlinkMessage::DelAddress(address_message(index, addr, prefix_len)),
            0,
            op,
        ))
    }
}

impl Netlink {
    /// Add an address to a link (a name costs one extra lookup).
    pub fn add_address<'l>(
        &mut self,
        link: impl Into<LinkRef<'l>>,
        addr: IpAddr,
        prefix_len: u8,
        opts: AddrOptions,
    ) -> Result<()> {
        let index = self.index_of(link.into())?;
        self.execute(Request::add_address(index, addr, prefix_len, opts)?)
    }

    /// Remove an address from a link.
    pub fn delete_address<'l>(
        &mut self,
        link: impl Into<LinkRef<'l>>,
        addr: IpAddr,
        prefix_len: u8,
    ) -> Result<()> {
        let index = self.index_of(link.into())?;
        self.execute(Request::delete_address(index, addr, prefix_len)?)
    }

    /// Every address in this namespace, both families.
    pub fn addresses(&mut self) -> Result<Vec<Address>> {
        self.dump_with(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            "dump addresses",
            Address::from_raw,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::address::AddressHeaderFlags;

    #[test]
    fn ipv4_gets_a_broadcast_address() {
        let msg = address_message(3, "10.1.1.2".parse().unwrap(), 24);
        assert!(msg
            .attributes
            .contains(&AddressAttribute::Broadcast("10.1.1.255".parse().unwrap())));
        let msg = address_message(3, "10.1.1.2".parse().unwrap(), 32);
        assert!(!msg
            .attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::Broadcast(_))));
    }

    #[test]
    fn prefix_is_checked() {
        assert!(
            Request::add_address(1, "10.0.0.1".parse().unwrap(), 33, AddrOptions::default())
                .is_err()
        );
        assert!(Request::add_address(
            1,
            "fd00::1".parse().unwrap(),
            64,
            AddrOptions { nodad: true }
        )
        .is_ok());
    }

    /// `msg` as the kernel sends it: a netlink message of type RTM_NEWADDR.
    fn wire(msg: AddressMessage) -> Vec<u8> {
        crate::raw::wire(RouteNetlinkMessage::NewAddress(msg))
    }

    #[test]
    fn raw_addresses_decode_like_the_kernel_sends_them() {
        // IPv4 on a point-to-point link: IFA_LOCAL is ours, IFA_ADDRESS the peer's.
        let mut msg = address_message(7, "10.1.1.2".parse().unwrap(), 24);
        msg.attributes
            .retain(|a| !matches!(a, AddressAttribute::Address(_)));
        msg.attributes
            .push(AddressAttribute::Address("10.1.1.9".parse().unwrap()));
        msg.attributes
            .push(AddressAttribute::Label("eth0:1".into()));
        msg.header.flags = AddressHeaderFlags::Permanent;
        let a = Address::from_raw(&wire(msg)).unwrap().unwrap();
        assert_eq!(a.index, 7);
        assert_eq!(a.addr, "10.1.1.2".parse::<IpAddr>().unwrap());
        assert_eq!(a.prefix_len, 24);
        assert_eq!(a.label.as_deref(), Some("eth0:1"));
        assert!(!a.is_dynamic());

        // IPv6 with only IFA_ADDRESS, and IFA_FLAGS (32 bits) saying it is not permanent.
        let mut msg = address_message(9, "fd00::5".parse().unwrap(), 64);
        msg.header.flags = AddressHeaderFlags::Permanent;
        msg.attributes
            .push(AddressAttribute::Flags(AddressFlags::Nodad));
        let a = Address::from_raw(&wire(msg)).unwrap().unwrap();
        assert_eq!((a.index, a.prefix_len), (9, 64));
        assert_eq!(a.addr, "fd00::5".parse::<IpAddr>().unwrap());
        assert!(a.is_dynamic());
        assert_eq!(a.label, None);
    }

    #[test]
    fn raw_decoding_skips_other_messages_and_rejects_bad_ones() {
        let mut raw = wire(address_message(3, "10.0.0.1".parse().unwrap(), 8));
        raw[4] = 16; // RTM_NEWLINK
        assert_eq!(Address::from_raw(&raw), Ok(None));
        let mut raw = wire(address_message(3, "10.0.0.1".parse().unwrap(), 8));
        // The first attribute (IFA_LOCAL, 4 bytes of address) claims 3 bytes of value.
        raw[16 + 8] = 7;
        assert!(Address::from_raw(&raw).is_err());
    }
}
