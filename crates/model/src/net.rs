//! Addresses: `Cidr` (an interface address with its prefix length) and `Mac`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An interface address with its prefix length, e.g. `10.1.1.2/24` or `fd00::2/64`.
/// The host bits are kept: this is an address on a subnet, not only the subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// A 48-bit Ethernet address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mac(pub [u8; 6]);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    #[error("'{0}' is not an IPv4 or IPv6 address")]
    BadAddr(String),
    #[error("prefix length '{0}' is not a number")]
    BadPrefix(String),
    #[error("'{mask}' is a netmask; jailnet wants a prefix length: write /{prefix}")]
    Netmask { mask: String, prefix: u32 },
    #[error("prefix length /{prefix} is too long for {family} (at most /{max})")]
    PrefixTooLong {
        prefix: u32,
        family: &'static str,
        max: u8,
    },
    #[error("a prefix length is required (e.g. '{0}/24')")]
    NoPrefix(String),
    #[error(
        "'{0}' is not a MAC address (six hex pairs separated by ':' such as 58:9c:fc:00:00:01)"
    )]
    BadMac(String),
}

impl Cidr {
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, AddrError> {
        let max = max_prefix(&addr);
        if prefix > max {
            return Err(AddrError::PrefixTooLong {
                prefix: prefix.into(),
                family: family_name(&addr),
                max,
            });
        }
        Ok(Cidr { addr, prefix })
    }

    /// Parse `ADDR/LEN`; with `default_prefix`, a bare `ADDR` takes that length.
    pub fn parse_with_default(s: &str, default_prefix: Option<u8>) -> Result<Self, AddrError> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = IpAddr::from_str(a).map_err(|_| AddrError::BadAddr(a.to_string()))?;
        let prefix = match p {
            Some(p) => {
                let n: u32 = p.parse().map_err(|_| match netmask_len(p) {
                    Some(prefix) => AddrError::Netmask {
                        mask: p.to_string(),
                        prefix,
                    },
                    None => AddrError::BadPrefix(p.to_string()),
                })?;
                if n > max_prefix(&addr).into() {
                    return Err(AddrError::PrefixTooLong {
                        prefix: n,
                        family: family_name(&addr),
                        max: max_prefix(&addr),
                    });
                }
                n as u8
            }
            None => match default_prefix {
                Some(d) => d.min(max_prefix(&addr)),
                None => return Err(AddrError::NoPrefix(a.to_string())),
            },
        };
        Cidr::new(addr, prefix)
    }

    pub fn is_v4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        from_bits(&self.addr, to_bits(&self.addr) & self.mask())
    }

    /// The IPv4 broadcast address; `None` for IPv6 and for /31 and /32.
    pub fn broadcast(&self) -> Option<IpAddr> {
        match self.addr {
            IpAddr::V4(_) if self.prefix < 31 => Some(from_bits(
                &self.addr,
                to_bits(&self.addr) | !self.mask() & 0xffff_ffff,
            )),
            _ => None,
        }
    }

    /// Whether `ip` lies in this subnet.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4()
            && (to_bits(ip) & self.mask()) == to_bits(&self.network())
    }

    /// Whether two subnets share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        if self.is_v4() != other.is_v4() {
            return false;
        }
        let p = self.prefix.min(other.prefix);
        let m = mask_bits(&self.addr, p);
        to_bits(&self.addr) & m == to_bits(&other.addr) & m
    }

    /// The subnet as `NETWORK/LEN`.
    pub fn subnet(&self) -> Cidr {
        Cidr {
            addr: self.network(),
            prefix: self.prefix,
        }
    }

    /// The `n`th address of the subnet (0 = network address), if it fits.
    pub fn nth(&self, n: u128) -> Option<IpAddr> {
        let host_bits = u32::from(max_prefix(&self.addr) - self.prefix);
        if host_bits < 128 && n >> host_bits != 0 {
            return None;
        }
        Some(from_bits(&self.addr, to_bits(&self.network()) | n))
    }

    /// Number of addresses in the subnet, saturating.
    pub fn size(&self) -> u128 {
        let host_bits = u32::from(max_prefix(&self.addr) - self.prefix);
        1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
    }

    /// The position of `ip` inside this subnet (0 = network address).
    pub fn index_of(&self, ip: &IpAddr) -> Option<u128> {
        self.contains(ip)
            .then(|| to_bits(ip) - to_bits(&self.network()))
    }

    fn mask(&self) -> u128 {
        mask_bits(&self.addr, self.prefix)
    }
}

/// The prefix length of a dotted IPv4 netmask such as `255.255.255.0`, if it is one.
fn netmask_len(s: &str) -> Option<u32> {
    let m = u32::from(s.parse::<Ipv4Addr>().ok()?);
    (m.leading_ones() + m.trailing_zeros() == 32).then_some(m.leading_ones())
}

fn max_prefix(a: &IpAddr) -> u8 {
    if a.is_ipv4() {
        32
    } else {
        128
    }
}

fn family_name(a: &IpAddr) -> &'static str {
    if a.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}

fn to_bits(a: &IpAddr) -> u128 {
    match a {
        IpAddr::V4(v) => u32::from(*v).into(),
        IpAddr::V6(v) => u128::from(*v),
    }
}

fn from_bits(like: &IpAddr, bits: u128) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from((bits & 0xffff_ffff) as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(bits)),
    }
}

fn mask_bits(like: &IpAddr, prefix: u8) -> u128 {
    let width = u32::from(max_prefix(like));
    let host = width - u32::from(prefix);
    let all: u128 = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    all.checked_shl(host).map_or(0, |m| m & all)
}

impl FromStr for Cidr {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        Cidr::parse_with_default(s, None)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl TryFrom<String> for Cidr {
    type Error = AddrError;
    fn try_from(s: String) -> Result<Self, AddrError> {
        s.parse()
    }
}

impl From<Cidr> for String {
    fn from(c: Cidr) -> String {
        c.to_string()
    }
}

impl Mac {
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }

    pub fn is_locally_administered(&self) -> bool {
        self.0[0] & 2 == 2
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }
}

impl FromStr for Mac {
    type Err = AddrError;
    fn from_str(s: &str) -> Result<Self, AddrError> {
        let bad = || AddrError::BadMac(s.to_string());
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(bad());
        }
        let mut m = [0u8; 6];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad());
            }
            m[i] = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
        Ok(Mac(m))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl TryFrom<String> for Mac {
    type Error = AddrError;
    fn try_from(s: String) -> Result<Self, AddrError> {
        s.parse()
    }
}

impl From<Mac> for String {
    fn from(m: Mac) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn subnet_arithmetic_v4() {
        let x = c("10.1.1.7/24");
        assert_eq!(x.network().to_string(), "10.1.1.0");
        assert_eq!(x.broadcast().unwrap().to_string(), "10.1.1.255");
        assert!(x.contains(&"10.1.1.200".parse().unwrap()));
        assert!(!x.contains(&"10.1.2.1".parse().unwrap()));
        assert!(!x.contains(&"fd00::1".parse().unwrap()));
        assert_eq!(x.nth(5).unwrap().to_string(), "10.1.1.5");
        assert_eq!(x.nth(256), None);
        assert_eq!(x.size(), 256);
        assert!(c("10.0.0.0/8").overlaps(&c("10.1.1.0/24")));
        assert!(!c("10.1.2.0/24").overlaps(&c("10.1.1.0/24")));
        assert_eq!(c("10.0.0.1/32").broadcast(), None);
        assert_eq!(c("0.0.0.0/0").network().to_string(), "0.0.0.0");
    }

    #[test]
    fn subnet_arithmetic_v6() {
        let x = c("fd00:1::2/64");
        assert_eq!(x.network().to_string(), "fd00:1::");
        assert_eq!(x.broadcast(), None);
        assert!(x.contains(&"fd00:1::ffff".parse().unwrap()));
        assert!(!x.contains(&"fd00:2::1".parse().unwrap()));
        assert_eq!(c("::/0").size(), u128::MAX);
        assert_eq!(x.index_of(&"fd00:1::10".parse().unwrap()), Some(16));
    }

    #[test]
    fn cidr_errors() {
        assert!(matches!(
            "10.1.1/24".parse::<Cidr>(),
            Err(AddrError::BadAddr(_))
        ));
        assert!(matches!(
            "10.1.1.1/33".parse::<Cidr>(),
            Err(AddrError::PrefixTooLong { .. })
        ));
        assert!(matches!(
            "10.1.1.1/x".parse::<Cidr>(),
            Err(AddrError::BadPrefix(_))
        ));
        assert_eq!(
            "10.1.1.1/255.255.255.0".parse::<Cidr>(),
            Err(AddrError::Netmask {
                mask: "255.255.255.0".into(),
                prefix: 24
            })
        );
        assert!(matches!(
            "10.1.1.1/255.0.255.0".parse::<Cidr>(),
            Err(AddrError::BadPrefix(_))
        ));
        assert!(matches!(
            "10.1.1.1".parse::<Cidr>(),
            Err(AddrError::NoPrefix(_))
        ));
        assert_eq!(
            Cidr::parse_with_default("10.1.1.1", Some(24)).unwrap(),
            c("10.1.1.1/24")
        );
    }

    #[test]
    fn mac_parse_and_flags() {
        let m: Mac = "58:9C:fc:00:00:01".parse().unwrap();
        assert_eq!(m.to_string(), "58:9c:fc:00:00:01");
        assert!(!m.is_multicast());
        assert!("01:00:5e:00:00:01".parse::<Mac>().unwrap().is_multicast());
        assert!("02:00:00:00:00:01"
            .parse::<Mac>()
            .unwrap()
            .is_locally_administered());
        assert!("58:9c:fc:00:00".parse::<Mac>().is_err());
        assert!("58:9c:fc:00:00:0g".parse::<Mac>().is_err());
        assert!("58:9c:fc:00:00:001".parse::<Mac>().is_err());
    }
}
