//! Interface addresses, IPv4 and IPv6: add, delete, dump.

use std::net::IpAddr;

use netlink_packet_core::NLM_F_CREATE;
use netlink_packet_core::NLM_F_EXCL;
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage, AddressScope};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::conn::{Netlink, Request};
use crate::error::{Error, Result};
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
        let replies = self.dump(
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            "dump addresses",
        )?;
        Ok(replies
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(a) => address_from(a),
                _ => None,
            })
            .collect())
    }
}

fn address_from(msg: &AddressMessage) -> Option<Address> {
    let mut addr = None;
    let mut local = None;
    let mut label = None;
    let mut flags = u32::from(msg.header.flags.bits());
    for a in &msg.attributes {
        match a {
            AddressAttribute::Address(ip) => addr = Some(*ip),
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            AddressAttribute::Flags(f) => flags = f.bits(),
            _ => {}
        }
    }
    Some(Address {
        index: msg.header.index,
        // IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS is the
        // peer's on point-to-point links).
        addr: local.or(addr)?,
        prefix_len: msg.header.prefix_len,
        flags,
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
