//! Decoding raw rtnetlink replies without the full parser: a message's fixed header,
//! its attributes, and attribute values (strings, u32s, addresses). Dumps of many
//! objects are read this way, keeping only what jailnet looks at.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The netlink message header's length.
pub(crate) const NLMSG_HDR: usize = 16;
/// An attribute's type without the NESTED / BYTEORDER flags.
pub(crate) const NLA_TYPE_MASK: u16 = 0x3fff;

/// The message type of raw message `raw` (at least a header long).
pub(crate) fn message_type(raw: &[u8]) -> Option<u16> {
    raw.get(4..6).map(|b| u16::from_ne_bytes([b[0], b[1]]))
}

/// Message `raw` of type `kind` split after its netlink header into the fixed
/// family header (`fixed` bytes) and its attributes; `None` for another type or a
/// message too short for the header.
pub(crate) fn body(raw: &[u8], kind: u16, fixed: usize) -> Option<(&[u8], &[u8])> {
    if message_type(raw)? != kind || raw.len() < NLMSG_HDR + fixed {
        return None;
    }
    let b = &raw[NLMSG_HDR..];
    Some((&b[..fixed], &b[fixed..]))
}

/// Each attribute of `attrs` as (type without flags, value); a malformed one is an
/// error and ends the walk. [`Attributes::whole`] gives the last one with its header.
pub(crate) fn attributes(attrs: &[u8]) -> Attributes<'_> {
    Attributes {
        rest: attrs,
        last: &[],
    }
}

/// The iterator of [`attributes`].
pub(crate) struct Attributes<'a> {
    rest: &'a [u8],
    last: &'a [u8],
}

impl<'a> Attributes<'a> {
    /// The attribute last returned, header included (for a full parser).
    pub(crate) fn whole(&self) -> &'a [u8] {
        self.last
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = std::result::Result<(u16, &'a [u8]), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < 4 {
            return None;
        }
        let len = usize::from(u16::from_ne_bytes([self.rest[0], self.rest[1]]));
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & NLA_TYPE_MASK;
        if len < 4 || len > self.rest.len() {
            let e = format!("attribute of length {len} in {} bytes", self.rest.len());
            self.rest = &[];
            return Some(Err(e));
        }
        let value = &self.rest[4..len];
        self.last = &self.rest[..len];
        self.rest = self.rest.get((len + 3) & !3..).unwrap_or(&[]);
        Some(Ok((kind, value)))
    }
}

/// A NUL-terminated string attribute.
pub(crate) fn nla_string(v: &[u8]) -> String {
    let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
    String::from_utf8_lossy(&v[..end]).into_owned()
}

/// A u32 attribute (host byte order).
pub(crate) fn nla_u32(v: &[u8]) -> std::result::Result<u32, String> {
    let b: [u8; 4] = v
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("a 4-byte attribute of {} bytes", v.len()))?;
    Ok(u32::from_ne_bytes(b))
}

/// An address attribute: 4 bytes IPv4, 16 bytes IPv6.
pub(crate) fn nla_ip(v: &[u8]) -> std::result::Result<IpAddr, String> {
    if let Ok(b) = <[u8; 4]>::try_from(v) {
        return Ok(IpAddr::V4(Ipv4Addr::from(b)));
    }
    if let Ok(b) = <[u8; 16]>::try_from(v) {
        return Ok(IpAddr::V6(Ipv6Addr::from(b)));
    }
    Err(format!("an address attribute of {} bytes", v.len()))
}

/// `msg` as the kernel sends it: a netlink message with a default header (for tests of
/// the raw decoders).
#[cfg(test)]
pub(crate) fn wire(msg: netlink_packet_route::RouteNetlinkMessage) -> Vec<u8> {
    use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
    let mut m = NetlinkMessage::new(Default::default(), NetlinkPayload::InnerMessage(msg));
    m.finalize();
    let mut buf = vec![0; m.buffer_len()];
    m.serialize(&mut buf);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decode_and_bad_lengths_are_errors() {
        assert_eq!(nla_string(b"eth0\0junk"), "eth0");
        assert_eq!(nla_string(b"eth0"), "eth0");
        assert_eq!(nla_u32(&7u32.to_ne_bytes()), Ok(7));
        assert!(nla_u32(&[1, 2]).is_err());
        assert_eq!(nla_ip(&[10, 0, 0, 1]), Ok("10.0.0.1".parse().unwrap()));
        assert_eq!(
            nla_ip(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            Ok("fe80::1".parse().unwrap())
        );
        assert!(nla_ip(&[1, 2, 3]).is_err());
    }

    #[test]
    fn attributes_walk_with_padding_and_stop_at_a_bad_length() {
        // "ab" (type 3, padded to 8), a u32 (type 4 | NESTED flag), then a bad length.
        let mut a = vec![6, 0, 3, 0, b'a', b'b', 0, 0];
        a.extend([8, 0, 4, 0x80]);
        a.extend(9u32.to_ne_bytes());
        a.extend([40, 0, 1, 0]);
        let got: Vec<_> = attributes(&a).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok((3, &b"ab"[..])));
        assert_eq!(got[1], Ok((4, &9u32.to_ne_bytes()[..])));
        assert!(got[2].is_err());
    }

    #[test]
    fn a_message_of_another_type_or_too_short_has_no_body() {
        let mut raw = vec![0u8; 24];
        raw[4..6].copy_from_slice(&20u16.to_ne_bytes());
        assert!(body(&raw, 20, 8).is_some());
        assert!(body(&raw, 24, 8).is_none());
        assert!(body(&raw, 20, 12).is_none());
    }
}
