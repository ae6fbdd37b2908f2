//! Converting other jail managers' configs into jailnet's model, with a note for
//! everything that is not carried over. Pure: callers read the files and pass text.
//!
//! - [`iocage`]: iocage / libioc `config.json` properties (via [`crate::iocage`]).
//! - [`pot`]: pot's per-pot `conf/pot.conf`, the global `pot.conf`, `bridges/NAME`.
//! - [`bastille`]: Bastille's per-jail `jail.conf`, `rdr.conf` and the jail's `rc.conf`.
//!
//! Each returns an [`Annotated`] config that [`crate::export::emit`] writes as TOML.

pub mod bastille;
pub mod iocage;
pub mod pot;

use crate::config::*;
pub use crate::export::Annotated;
use crate::names::{IfName, JailName};
use crate::net::Cidr;
use std::net::Ipv4Addr;

/// Something in the source that could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ImportError {
    /// Which file, jail or property.
    pub source_name: String,
    pub message: String,
}

impl ImportError {
    pub fn new(source_name: impl Into<String>, message: impl Into<String>) -> Self {
        ImportError {
            source_name: source_name.into(),
            message: message.into(),
        }
    }
}

/// A jail name jailnet accepts, made from another tool's name, with a note when it had
/// to be changed.
pub fn jail_name(raw: &str) -> Result<(JailName, Option<String>), ImportError> {
    if let Ok(n) = JailName::new(raw) {
        return Ok((n, None));
    }
    let mut s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    s = s.trim_matches(|c| c == '-' || c == '_').to_string();
    if s.is_empty() || s.chars().all(|c| c.is_ascii_digit()) {
        s = format!("j{s}");
    }
    s.truncate(crate::names::JAILNAME_MAX);
    let n = JailName::new(&s)
        .map_err(|e| ImportError::new(raw, format!("not a usable jail name: {e}")))?;
    let note = format!("the name '{raw}' is not a valid jailnet name; it is '{n}' here");
    Ok((n, Some(note)))
}

/// A new, empty switch `name` of `kind` (its ifname is `name`).
pub fn new_switch(name: &IfName, kind: SwitchKind) -> Switch {
    Switch {
        name: name.to_string(),
        span: 0..0,
        kind,
        ifname: name.clone(),
        addresses: Vec::new(),
        uplinks: Vec::new(),
        private: false,
        nat: false,
        mtu: None,
        dhcp: None,
        vlan: None,
        vxlan: None,
    }
}

/// A jail with nothing set.
pub fn new_jail(name: JailName) -> Jail {
    Jail {
        name,
        span: 0..0,
        nics: Vec::new(),
        ip4: SharedIp::None,
        ip6: SharedIp::None,
        resolver: Resolver::None,
        defaultrouter: Router::Auto,
        defaultrouter6: Router::Auto,
        allow_raw_sockets: false,
        firewall: false,
        nat: false,
        expose: Vec::new(),
    }
}

/// A VNET NIC `name` on `switch`, no addresses, MAC `auto`.
pub fn new_nic(name: IfName, switch: &str) -> Nic {
    Nic {
        name,
        span: 0..0,
        switch: Spanned::new(switch.to_string(), 0..0),
        ip4: Vec::new(),
        ip6: Vec::new(),
        mac: Spanned::new(MacSpec::Auto, 0..0),
        secure: false,
    }
}

/// `255.255.255.0` → 24.
pub fn netmask_prefix(mask: &str) -> Option<u8> {
    if let Some(hex) = mask.strip_prefix("0x") {
        let m = u32::from_str_radix(hex, 16).ok()?;
        return (m.leading_ones() + m.trailing_zeros() == 32).then_some(m.leading_ones() as u8);
    }
    let m = u32::from(mask.parse::<Ipv4Addr>().ok()?);
    (m.leading_ones() + m.trailing_zeros() == 32).then_some(m.leading_ones() as u8)
}

/// An address with a prefix from `ADDR/LEN`, `ADDR/NETMASK` or `ADDR` + `default`.
pub fn cidr_with(addr: &str, default: Option<u8>) -> Option<Cidr> {
    match addr.split_once('/') {
        Some((a, m)) if m.contains('.') => Cidr::parse_with_default(a, netmask_prefix(m)).ok(),
        _ => Cidr::parse_with_default(addr, default).ok(),
    }
}

/// Whether the jail has an address jailnet can forward exposed ports to (what validation
/// asks of a jail with `expose`).
pub fn has_forward_target(j: &Jail) -> bool {
    let nic = j.nics.iter().any(|n| {
        n.ip4
            .iter()
            .chain(&n.ip6)
            .any(|s| matches!(s.value, AddrSpec::Static(_) | AddrSpec::Auto))
    });
    let alias = matches!(&j.ip4, SharedIp::Aliases(a) if !a.is_empty())
        || matches!(&j.ip6, SharedIp::Aliases(a) if !a.is_empty());
    nic || alias
}

/// Names of properties not about networking, wrapped to lines for one comment.
pub fn other_keys_note(keys: &[&str], what: &str) -> Vec<String> {
    if keys.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!("{} {what} not about networking:", keys.len())];
    let mut cur = String::new();
    for k in keys {
        if !cur.is_empty() && cur.len() + k.len() + 2 > 86 {
            lines.push(format!("  {cur},"));
            cur.clear();
        }
        if !cur.is_empty() {
            cur.push_str(", ");
        }
        cur.push_str(k);
    }
    if !cur.is_empty() {
        lines.push(format!("  {cur}"));
    }
    vec![lines.join("\n")]
}

/// Yes-ish values of shell-style config files.
pub fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "on" | "yes" | "true"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid() {
        assert_eq!(jail_name("www").unwrap().1, None);
        let (n, note) = jail_name("my.jail").unwrap();
        assert_eq!(n.as_str(), "my-jail");
        assert!(note.unwrap().contains("my.jail"));
        assert_eq!(jail_name("1234").unwrap().0.as_str(), "j1234");
    }

    #[test]
    fn netmasks() {
        assert_eq!(netmask_prefix("255.192.0.0"), Some(10));
        assert_eq!(netmask_prefix("0xffffff00"), Some(24));
        assert_eq!(netmask_prefix("255.0.255.0"), None);
        assert_eq!(
            cidr_with("10.1.1.2/255.255.255.0", None)
                .unwrap()
                .to_string(),
            "10.1.1.2/24"
        );
    }
}
