//! Deterministic allocation of what the user left to jailnet: `auto` addresses, `auto` MACs
//! and host-side interface names. Previous allocations are kept while still valid, so
//! adding a jail never renumbers another; new ones are made in sorted key order, so the
//! result does not depend on declaration order.

use crate::config::*;
use crate::names::{IfName, IFNAME_MAX};
use crate::net::{Cidr, Mac};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// What was allocated, keyed by [`nic_key`]. Stored in the state file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocations {
    pub nics: BTreeMap<String, NicAlloc>,
    /// Jail name → the devfs ruleset number jailnet made for it (FreeBSD).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub devfs: BTreeMap<String, u16>,
}

/// First devfs ruleset number jailnet uses; far above the stock rulesets (1–4) and
/// iocage's dynamic ones (from 1000), so it never takes one it did not create.
pub const DEVFS_BASE: u16 = 5000;

/// Whether jail `j` needs a devfs ruleset of its own: pf inside (`firewall = true`) or
/// a DHCP client (bpf).
pub fn needs_devfs(j: &Jail) -> bool {
    j.firewall
        || j.nics.iter().any(|n| {
            n.ip4
                .iter()
                .chain(&n.ip6)
                .any(|s| s.value == AddrSpec::Dhcp)
        })
}

/// The chosen values of one jail or VM NIC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicAlloc {
    pub mac: Mac,
    /// The host side's interface name (epair a / veth / tap).
    pub host_ifname: IfName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip4: Option<Cidr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip6: Option<Cidr>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AllocError {
    #[error("switch '{switch}' has no free {family} address left for {nic}")]
    Exhausted {
        switch: String,
        family: &'static str,
        nic: String,
    },
    #[error("no free host-side interface name for {0}")]
    NoName(String),
}

/// `jail/NAME/NIC` for a jail NIC, `vm/NAME/INDEX` for a VM NIC.
pub fn nic_key(kind: &str, owner: &str, nic: &str) -> String {
    format!("{kind}/{owner}/{nic}")
}

struct Want<'c> {
    key: String,
    owner: &'c str,
    suffix: String,
    switch: Option<&'c Switch>,
    fixed_mac: Option<Mac>,
    auto4: bool,
    auto6: bool,
}

/// Allocate for every NIC of `cfg` on host `host_name`, keeping valid entries of `prev`.
pub fn allocate(
    cfg: &Config,
    host_name: &str,
    prev: &Allocations,
) -> Result<Allocations, AllocError> {
    let wants = wants(cfg);
    let mut used_ips = reserved_ips(cfg);
    let mut used_macs: BTreeSet<Mac> = wants.iter().filter_map(|w| w.fixed_mac).collect();
    let mut used_names = reserved_names(cfg);
    let mut out = Allocations::default();
    let mut pending: Vec<&Want> = Vec::new();

    // Keep what is still valid.
    for w in &wants {
        let Some(p) = prev.nics.get(&w.key) else {
            pending.push(w);
            continue;
        };
        let mac = match w.fixed_mac {
            Some(m) => m,
            None if used_macs.insert(p.mac) => p.mac,
            None => {
                pending.push(w);
                continue;
            }
        };
        if !used_names.insert(p.host_ifname.clone()) {
            pending.push(w);
            continue;
        }
        let keep = |want: bool, old: Option<Cidr>, v4: bool, used: &mut BTreeSet<IpAddr>| {
            let gw = w.switch.and_then(|s| s.gateway(v4))?;
            let old = old.filter(|_| want)?;
            let ok = gw.contains(&old.addr)
                && old.prefix == gw.prefix
                && usable(gw, &old.addr, w.switch)
                && used.insert(old.addr);
            ok.then_some(old)
        };
        let ip4 = keep(w.auto4, p.ip4, true, &mut used_ips);
        let ip6 = keep(w.auto6, p.ip6, false, &mut used_ips);
        out.nics.insert(
            w.key.clone(),
            NicAlloc {
                mac,
                host_ifname: p.host_ifname.clone(),
                ip4,
                ip6,
            },
        );
    }

    // Allocate the rest, in key order.
    pending.sort_by(|a, b| a.key.cmp(&b.key));
    for w in pending {
        let mac = match w.fixed_mac {
            Some(m) => m,
            None => derive_mac(host_name, &w.key, &mut used_macs),
        };
        let host_ifname = host_name_for(w.owner, &w.suffix, &w.key, &mut used_names)
            .ok_or_else(|| AllocError::NoName(w.key.clone()))?;
        out.nics.insert(
            w.key.clone(),
            NicAlloc {
                mac,
                host_ifname,
                ip4: None,
                ip6: None,
            },
        );
    }
    // Addresses for auto NICs that have none yet, in key order.
    let mut cursors: BTreeMap<(String, bool), u128> = BTreeMap::new();
    for w in &wants {
        for v4 in [true, false] {
            let want = if v4 { w.auto4 } else { w.auto6 };
            let Some(entry) = out.nics.get_mut(&w.key) else {
                continue;
            };
            let slot = if v4 { &mut entry.ip4 } else { &mut entry.ip6 };
            if !want || slot.is_some() {
                continue;
            }
            let (Some(sw), Some(gw)) = (w.switch, w.switch.and_then(|s| s.gateway(v4))) else {
                continue;
            };
            let cursor = cursors.entry((sw.name.clone(), v4)).or_insert(1);
            let exhausted = || AllocError::Exhausted {
                switch: sw.name.clone(),
                family: if v4 { "IPv4" } else { "IPv6" },
                nic: w.key.clone(),
            };
            loop {
                let ip = gw.nth(*cursor).ok_or_else(exhausted)?;
                *cursor += 1;
                if usable(gw, &ip, Some(sw)) && used_ips.insert(ip) {
                    *slot = Some(Cidr {
                        addr: ip,
                        prefix: gw.prefix,
                    });
                    break;
                }
            }
        }
    }
    // devfs ruleset numbers: keep, then the lowest free from DEVFS_BASE, in name order.
    let mut used: BTreeSet<u16> = BTreeSet::new();
    for j in cfg.jails.values().filter(|j| needs_devfs(j)) {
        if let Some(n) = prev.devfs.get(j.name.as_str()) {
            if used.insert(*n) {
                out.devfs.insert(j.name.to_string(), *n);
            }
        }
    }
    let mut next = DEVFS_BASE;
    for j in cfg.jails.values().filter(|j| needs_devfs(j)) {
        if out.devfs.contains_key(j.name.as_str()) {
            continue;
        }
        while used.contains(&next) {
            next = next.saturating_add(1);
        }
        used.insert(next);
        out.devfs.insert(j.name.to_string(), next);
    }
    Ok(out)
}

fn wants(cfg: &Config) -> Vec<Want<'_>> {
    let mut v = Vec::new();
    for j in cfg.jails.values() {
        for nic in &j.nics {
            v.push(Want {
                key: nic_key("jail", j.name.as_str(), nic.name.as_str()),
                owner: j.name.as_str(),
                suffix: nic.name.to_string(),
                switch: cfg.switches.get(&nic.switch.value),
                fixed_mac: match nic.mac.value {
                    MacSpec::Fixed(m) => Some(m),
                    MacSpec::Auto => None,
                },
                auto4: nic.ip4.iter().any(|s| s.value == AddrSpec::Auto),
                auto6: nic.ip6.iter().any(|s| s.value == AddrSpec::Auto),
            });
        }
    }
    for vm in cfg.vms.values() {
        for (i, nic) in vm.nics.iter().enumerate() {
            v.push(Want {
                key: nic_key("vm", vm.name.as_str(), &i.to_string()),
                owner: vm.name.as_str(),
                suffix: format!("tap{i}"),
                switch: cfg.switches.get(&nic.switch.value),
                fixed_mac: match nic.mac.value {
                    MacSpec::Fixed(m) => Some(m),
                    MacSpec::Auto => None,
                },
                auto4: false,
                auto6: false,
            });
        }
    }
    v
}

/// Whether `ip` may be handed to a NIC: inside the subnet, not the network, broadcast or
/// anything inside the switch's DHCP range.
fn usable(gw: &Cidr, ip: &IpAddr, sw: Option<&Switch>) -> bool {
    gw.contains(ip)
        && *ip != gw.network()
        && gw.broadcast() != Some(*ip)
        && !sw.is_some_and(|s| crate::validate::in_dhcp_range(s, ip))
}

fn reserved_ips(cfg: &Config) -> BTreeSet<IpAddr> {
    let mut s = BTreeSet::new();
    for sw in cfg.switches.values() {
        s.extend(sw.addresses.iter().map(|a| a.addr));
        if let Some(d) = &sw.dhcp {
            s.extend(d.hosts.values().map(|a| a.value));
        }
    }
    for j in cfg.jails.values() {
        for nic in &j.nics {
            for spec in nic.ip4.iter().chain(&nic.ip6) {
                if let AddrSpec::Static(c) = spec.value {
                    s.insert(c.addr);
                }
            }
        }
        for ip in [&j.ip4, &j.ip6] {
            if let SharedIp::Aliases(list) = ip {
                s.extend(list.iter().map(|a| a.cidr.addr));
            }
        }
    }
    s
}

fn reserved_names(cfg: &Config) -> BTreeSet<IfName> {
    let mut s = BTreeSet::new();
    s.extend(cfg.host.uplink.clone());
    for sw in cfg.switches.values() {
        s.insert(sw.ifname.clone());
        s.extend(sw.uplinks.iter().map(|u| u.value.clone()));
    }
    for j in cfg.jails.values() {
        for ip in [&j.ip4, &j.ip6] {
            if let SharedIp::Aliases(list) = ip {
                s.extend(list.iter().map(|a| a.ifname.clone()));
            }
        }
    }
    s
}

/// `OWNER-SUFFIX` when it fits in 15 characters and is free; otherwise a shortened owner
/// with a 4-hex-digit hash of the key, then further hashes until free.
fn host_name_for(
    owner: &str,
    suffix: &str,
    key: &str,
    used: &mut BTreeSet<IfName>,
) -> Option<IfName> {
    let plain = format!("{owner}-{suffix}");
    if plain.len() <= IFNAME_MAX {
        if let Ok(n) = IfName::new(&plain) {
            if used.insert(n.clone()) {
                return Some(n);
            }
        }
    }
    let tail: String = suffix.chars().filter(|c| c.is_ascii_digit()).collect();
    for round in 0u32..1000 {
        let h = fnv1a(format!("{key}\0{round}").as_bytes()) & 0xffff;
        let tail = format!("{h:04x}-{tail}");
        let room = IFNAME_MAX.saturating_sub(tail.len());
        let head: String = owner.chars().take(room).collect();
        if let Ok(n) = IfName::new(&format!("{head}{tail}")) {
            if used.insert(n.clone()) {
                return Some(n);
            }
        }
    }
    None
}

/// A locally administered unicast MAC from a stable hash of (host, key), unique among `used`.
fn derive_mac(host: &str, key: &str, used: &mut BTreeSet<Mac>) -> Mac {
    let mut round = 0u32;
    loop {
        let m = mac_from_hash(fnv1a(format!("{host}\0{key}\0{round}").as_bytes()));
        if used.insert(m) {
            return m;
        }
        round += 1;
    }
}

/// A locally administered unicast MAC from a 64-bit hash.
pub fn mac_from_hash(h: u64) -> Mac {
    let h = h.to_be_bytes();
    Mac([
        (h[0] & 0xfc) | 0x02,
        h[1],
        h[2],
        h[3],
        h[4],
        h[5] ^ h[6] ^ h[7],
    ])
}

/// 64-bit FNV-1a: stable across Rust releases, unlike `DefaultHasher`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
