//! Small value types shared by every operation: `MacAddr`, `LinkRef`, name checks.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The kernel's limit on interface names (IFNAMSIZ - 1).
pub const IFNAME_MAX: usize = 15;

/// A 48-bit Ethernet address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// `00:00:00:00:00:00`, the flannel-style "all destinations" FDB key.
    pub const ZERO: MacAddr = MacAddr([0; 6]);

    /// The address as bytes.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }

    pub(crate) fn from_slice(b: &[u8]) -> Option<MacAddr> {
        <[u8; 6]>::try_from(b).ok().map(MacAddr)
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl FromStr for MacAddr {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason| Error::InvalidName {
            what: "MAC address",
            name: s.to_string(),
            reason,
        };
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in out.iter_mut() {
            let p = parts.next().ok_or_else(|| bad("expected 6 octets"))?;
            if p.is_empty() || p.len() > 2 {
                return Err(bad("each octet is 1-2 hex digits"));
            }
            *byte = u8::from_str_radix(p, 16).map_err(|_| bad("not hexadecimal"))?;
        }
        if parts.next().is_some() {
            return Err(bad("expected 6 octets"));
        }
        Ok(MacAddr(out))
    }
}

/// How a request names an interface: by index, or by name (the kernel looks
/// names up itself for link requests; address/route/FDB requests need an index,
/// and the `Netlink` helpers resolve a name with one extra request).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRef<'a> {
    Index(u32),
    Name(&'a str),
}

impl fmt::Display for LinkRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkRef::Index(i) => write!(f, "ifindex {i}"),
            LinkRef::Name(n) => f.write_str(n),
        }
    }
}

impl From<u32> for LinkRef<'_> {
    fn from(i: u32) -> Self {
        LinkRef::Index(i)
    }
}

impl<'a> From<&'a str> for LinkRef<'a> {
    fn from(n: &'a str) -> Self {
        LinkRef::Name(n)
    }
}

impl<'a> From<&'a String> for LinkRef<'a> {
    fn from(n: &'a String) -> Self {
        LinkRef::Name(n)
    }
}

/// Check an interface name the way the kernel's `dev_valid_name` does.
pub fn check_ifname(name: &str) -> Result<()> {
    let bad = |reason| Error::InvalidName {
        what: "interface name",
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("empty"));
    }
    if name.len() > IFNAME_MAX {
        return Err(bad("longer than 15 bytes"));
    }
    if name == "." || name == ".." {
        return Err(bad("reserved"));
    }
    if name
        .bytes()
        .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0)
    {
        return Err(bad("contains '/', ':', NUL or whitespace"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_parse_emit_round_trip() {
        let m: MacAddr = "58:9c:fc:00:00:0a".parse().unwrap();
        assert_eq!(m.0, [0x58, 0x9c, 0xfc, 0, 0, 0x0a]);
        assert_eq!(m.to_string(), "58:9c:fc:00:00:0a");
        assert!("58:9c:fc:00:00".parse::<MacAddr>().is_err());
        assert!("58:9c:fc:00:00:00:01".parse::<MacAddr>().is_err());
        assert!("58:9c:fc:00:00:zz".parse::<MacAddr>().is_err());
    }

    #[test]
    fn ifname_rules() {
        assert!(check_ifname("vnet0").is_ok());
        assert!(check_ifname("abcdefghijklmno").is_ok());
        assert!(check_ifname("abcdefghijklmnop").is_err());
        assert!(check_ifname("a/b").is_err());
        assert!(check_ifname("a b").is_err());
        assert!(check_ifname("").is_err());
    }
}
