//! The etcd key layout (see the crate docs), and the lease owner `HOST/JAIL/NIC`.

use std::fmt;
use std::net::IpAddr;

/// Every key jailnet writes starts with this; the version lets a future layout coexist.
pub const PREFIX: &str = "/jailnet/v1/";

/// `/jailnet/v1/switches/` — one JSON [`crate::SwitchDef`] per cluster switch.
pub fn switches() -> String {
    format!("{PREFIX}switches/")
}

/// `/jailnet/v1/switches/<switch>`.
pub fn switch(name: &str) -> String {
    format!("{}{name}", switches())
}

/// `/jailnet/v1/leases/` — every address lease of every switch.
pub fn leases() -> String {
    format!("{PREFIX}leases/")
}

/// `/jailnet/v1/leases/<switch>/` — the leases of one switch.
pub fn switch_leases(switch: &str) -> String {
    format!("{}{switch}/", leases())
}

/// `/jailnet/v1/leases/<switch>/<ip>` → `<host>/<jail>/<nic>`.
pub fn lease(switch: &str, ip: &IpAddr) -> String {
    format!("{}{ip}", switch_leases(switch))
}

/// `/jailnet/v1/vteps/` — every VTEP of every switch.
pub fn vteps() -> String {
    format!("{PREFIX}vteps/")
}

/// `/jailnet/v1/vteps/<switch>/<host>` → the host's underlay address.
pub fn vtep(switch: &str, host: &str) -> String {
    format!("{}{switch}/{host}", vteps())
}

/// `(switch, last)` of a key `<prefix><switch>/<last>`.
pub fn split2<'k>(prefix: &str, key: &'k str) -> Option<(&'k str, &'k str)> {
    let rest = key.strip_prefix(prefix)?;
    let (a, b) = rest.split_once('/')?;
    (!a.is_empty() && !b.is_empty() && !b.contains('/')).then_some((a, b))
}

/// Who holds an address lease: a jail NIC (`host/jail/nic`), or the host's own address
/// on a switch (`host/_switch/<switch>`: `_` cannot start a jail name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Owner {
    pub host: String,
    pub jail: String,
    pub nic: String,
}

/// The `jail` part of the owner of a host's own switch address.
pub const SWITCH_OWNER: &str = "_switch";

impl Owner {
    pub fn nic(host: &str, jail: &str, nic: &str) -> Owner {
        Owner {
            host: host.into(),
            jail: jail.into(),
            nic: nic.into(),
        }
    }

    /// The host's own address on `switch`.
    pub fn switch(host: &str, switch: &str) -> Owner {
        Owner::nic(host, SWITCH_OWNER, switch)
    }

    /// Parse `host/jail/nic`.
    pub fn parse(s: &str) -> Option<Owner> {
        let mut it = s.split('/');
        let (h, j, n) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || h.is_empty() || j.is_empty() || n.is_empty() {
            return None;
        }
        Some(Owner::nic(h, j, n))
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.host, self.jail, self.nic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let ip: IpAddr = "10.0.111.13".parse().unwrap();
        assert_eq!(switch("s111"), "/jailnet/v1/switches/s111");
        assert_eq!(lease("s111", &ip), "/jailnet/v1/leases/s111/10.0.111.13");
        assert_eq!(vtep("s111", "host-a"), "/jailnet/v1/vteps/s111/host-a");
        assert_eq!(
            split2(&vteps(), "/jailnet/v1/vteps/s111/host-a"),
            Some(("s111", "host-a"))
        );
        let v6: IpAddr = "fd00:1::2".parse().unwrap();
        assert_eq!(
            split2(&leases(), &lease("s", &v6)),
            Some(("s", "fd00:1::2"))
        );
        assert_eq!(split2(&vteps(), "/jailnet/v1/vteps/s111"), None);
        assert_eq!(split2(&vteps(), "/jailnet/v1/vteps/a/b/c"), None);
    }

    #[test]
    fn owner_round_trips() {
        let o = Owner::nic("host-a", "www", "vnet0");
        assert_eq!(o.to_string(), "host-a/www/vnet0");
        assert_eq!(Owner::parse("host-a/www/vnet0"), Some(o));
        assert_eq!(Owner::switch("h", "s").to_string(), "h/_switch/s");
        for bad in ["", "a/b", "a/b/c/d", "a//c", "/b/c"] {
            assert_eq!(Owner::parse(bad), None, "{bad}");
        }
    }
}
