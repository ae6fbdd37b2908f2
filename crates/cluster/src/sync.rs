//! What one host does with the cluster for its config: `join` (define its cluster
//! switches, lease its addresses, register its VTEP, read the others'), `read` (the same
//! view without writing, for `plan`), `leave` (release everything it holds). The
//! resulting [`View`] is laid over the config and the local allocations before the
//! desired graph is built, so the plan carries the cluster's remotes and addresses.

use crate::client::{Claim, Client, SwitchDef, Vteps};
use crate::error::{Error, Result};
use crate::keys::Owner;
use jailnet_model::alloc::{nic_key, Allocations};
use jailnet_model::config::{AddrSpec, Config, Switch, SwitchKind};
use jailnet_model::net::Cidr;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// TTL in seconds of the etcd lease a VTEP is registered under: a host whose
/// `jailnet watch` stops refreshing it drops out of its peers' FDBs after this long.
pub const DEFAULT_TTL: i64 = 60;

/// What the cluster adds to this host's config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Cluster switch → the other hosts' VTEPs (its vxlan remotes), sorted.
    pub remotes: BTreeMap<String, Vec<IpAddr>>,
    /// NIC key (`jail/NAME/NIC`) → the leased `auto` addresses (IPv4, IPv6).
    pub addrs: BTreeMap<String, (Option<Cidr>, Option<Cidr>)>,
    /// The etcd lease this host's VTEPs live under (`None` when only read).
    pub lease: Option<i64>,
    /// The revision the VTEPs were read at (a watch starts after it).
    pub revision: i64,
}

impl View {
    /// `cfg` with the cluster switches' remotes filled in, and `alloc` with the leased
    /// addresses in place of locally chosen ones.
    pub fn apply(&self, cfg: &Config, alloc: &mut Allocations) -> Config {
        let mut out = cfg.clone();
        for (name, remotes) in &self.remotes {
            if let Some(v) = out.switches.get_mut(name).and_then(|s| s.vxlan.as_mut()) {
                v.remotes = remotes.clone();
            }
        }
        for (key, (a4, a6)) in &self.addrs {
            if let Some(n) = alloc.nics.get_mut(key) {
                if a4.is_some() {
                    n.ip4 = *a4;
                }
                if a6.is_some() {
                    n.ip6 = *a6;
                }
            }
        }
        out
    }
}

/// The switches of `cfg` whose vxlan peers come from the cluster.
pub fn cluster_switches(cfg: &Config) -> Vec<&Switch> {
    cfg.switches
        .values()
        .filter(|s| s.kind != SwitchKind::Manual && s.vxlan.as_ref().is_some_and(|v| v.cluster))
        .collect()
}

/// Join the cluster as `host`: define the cluster switches (or check they agree), lease
/// this host's own switch addresses and static NIC addresses (refused when another host
/// holds one), lease `auto` addresses (the one held already, else `prev`'s when free,
/// else the lowest free), release leases it no longer needs, register its VTEP under an
/// etcd lease of `ttl` seconds, and read the other hosts' VTEPs.
pub fn join(
    client: &mut Client,
    cfg: &Config,
    host: &str,
    prev: &Allocations,
    ttl: i64,
) -> Result<View> {
    let sws = cluster_switches(cfg);
    let vtep = match cfg.cluster.as_ref().and_then(|c| c.vtep) {
        Some(v) => Some(v),
        None if sws.is_empty() => None,
        None => {
            return Err(Error::Config(
                "[cluster] vtep is not set: this host's underlay address is needed to join \
                 the cluster switches' VXLAN (add vtep = \"192.0.2.10\")"
                    .into(),
            ))
        }
    };
    for sw in &sws {
        let def = SwitchDef {
            vni: sw.vxlan.as_ref().map_or(0, |v| v.vni),
            subnet: sw.gateway(true).map(Cidr::subnet),
            subnet6: sw.gateway(false).map(Cidr::subnet),
        };
        client.define_switch(&sw.name, &def)?;
    }
    let reserved = reserved(cfg);
    let mut keep: BTreeSet<(String, IpAddr)> = BTreeSet::new();
    let mut view = View::default();
    let mut claim = |client: &mut Client, sw: &str, ip: IpAddr, owner: Owner| -> Result<()> {
        match client.claim(sw, &ip, &owner)? {
            Claim::Mine => {
                keep.insert((sw.to_string(), ip));
                Ok(())
            }
            Claim::Taken(holder) => Err(Error::Taken {
                switch: sw.into(),
                ip,
                holder,
                owner: owner.to_string(),
            }),
        }
    };
    // This host's own addresses and static ones first, so `auto` never takes them.
    for sw in &sws {
        for a in &sw.addresses {
            claim(client, &sw.name, a.addr, Owner::switch(host, &sw.name))?;
        }
    }
    for (j, nic, sw) in nics_on(cfg, &sws) {
        for spec in nic.ip4.iter().chain(&nic.ip6) {
            if let AddrSpec::Static(c) = spec.value {
                claim(
                    client,
                    &sw.name,
                    c.addr,
                    Owner::nic(host, j, nic.name.as_str()),
                )?;
            }
        }
    }
    for (j, nic, sw) in nics_on(cfg, &sws) {
        let key = nic_key("jail", j, nic.name.as_str());
        let owner = Owner::nic(host, j, nic.name.as_str());
        let mut got = (None, None);
        for v4 in [true, false] {
            let specs = if v4 { &nic.ip4 } else { &nic.ip6 };
            let Some(gw) = specs
                .iter()
                .any(|s| s.value == AddrSpec::Auto)
                .then(|| sw.gateway(v4))
                .flatten()
            else {
                continue;
            };
            let prefer = prev
                .nics
                .get(&key)
                .and_then(|a| if v4 { a.ip4 } else { a.ip6 })
                .map(|c| c.addr);
            let skip = |ip: &IpAddr| {
                reserved.contains(ip) || jailnet_model::validate::in_dhcp_range(sw, ip)
            };
            let ip = client.lease_auto(&sw.name, &gw.subnet(), &owner, prefer, &skip)?;
            keep.insert((sw.name.clone(), ip));
            let c = Cidr {
                addr: ip,
                prefix: gw.prefix,
            };
            if v4 {
                got.0 = Some(c);
            } else {
                got.1 = Some(c);
            }
        }
        if got != (None, None) {
            view.addrs.insert(key, got);
        }
    }
    for (sw, ip, owner) in client.host_leases(host)? {
        if !keep.contains(&(sw.clone(), ip)) {
            client.unlease(&sw, &ip, &owner)?;
        }
    }
    let names: Vec<String> = sws.iter().map(|s| s.name.clone()).collect();
    view.lease = match vtep {
        Some(addr) if !names.is_empty() => Some(client.register_vtep(host, &names, addr, ttl)?),
        _ => {
            client.unregister_vtep(host)?;
            None
        }
    };
    let vteps = client.vteps()?;
    view.revision = vteps.revision;
    view.remotes = remotes(cfg, host, &vteps);
    Ok(view)
}

/// The cluster's view for `host` without changing anything: the other hosts' VTEPs and
/// the `auto` addresses this host already holds.
pub fn read(client: &mut Client, cfg: &Config, host: &str) -> Result<View> {
    let sws = cluster_switches(cfg);
    let held = client.host_leases(host)?;
    let mut view = View::default();
    for (j, nic, sw) in nics_on(cfg, &sws) {
        let key = nic_key("jail", j, nic.name.as_str());
        let mut got = (None, None);
        for (v4, specs) in [(true, &nic.ip4), (false, &nic.ip6)] {
            if !specs.iter().any(|s| s.value == AddrSpec::Auto) {
                continue;
            }
            let Some(gw) = sw.gateway(v4) else { continue };
            let found = held.iter().find(|(s, ip, o)| {
                *s == sw.name && o.jail == j && o.nic == nic.name.as_str() && gw.contains(ip)
            });
            if let Some((_, ip, _)) = found {
                let c = Some(Cidr {
                    addr: *ip,
                    prefix: gw.prefix,
                });
                if v4 {
                    got.0 = c;
                } else {
                    got.1 = c;
                }
            }
        }
        if got != (None, None) {
            view.addrs.insert(key, got);
        }
    }
    let vteps = client.vteps()?;
    view.revision = vteps.revision;
    view.remotes = remotes(cfg, host, &vteps);
    Ok(view)
}

/// Leave the cluster: release every address lease of `host` and remove its VTEPs.
/// Returns (leases released, VTEP keys removed).
pub fn leave(client: &mut Client, host: &str) -> Result<(usize, usize)> {
    let leases = client.release_host(host)?;
    let vteps = client.unregister_vtep(host)?;
    Ok((leases, vteps))
}

/// Each cluster switch of `cfg` → the VTEPs of every host but `host` (and never this
/// host's own address), sorted.
pub fn remotes(cfg: &Config, host: &str, vteps: &Vteps) -> BTreeMap<String, Vec<IpAddr>> {
    let own = cfg.cluster.as_ref().and_then(|c| c.vtep);
    cluster_switches(cfg)
        .into_iter()
        .map(|sw| {
            let set: BTreeSet<IpAddr> = vteps
                .by_switch
                .get(&sw.name)
                .into_iter()
                .flatten()
                .filter(|(h, ip)| h.as_str() != host && Some(**ip) != own)
                .map(|(_, ip)| *ip)
                .collect();
            (sw.name.clone(), set.into_iter().collect())
        })
        .collect()
}

/// (jail, NIC, switch) of every jail NIC on one of `sws`.
fn nics_on<'c>(
    cfg: &'c Config,
    sws: &[&'c Switch],
) -> Vec<(&'c str, &'c jailnet_model::config::Nic, &'c Switch)> {
    let mut out = Vec::new();
    for j in cfg.jails.values() {
        for nic in &j.nics {
            if let Some(sw) = sws.iter().find(|s| s.name == nic.switch.value) {
                out.push((j.name.as_str(), nic, *sw));
            }
        }
    }
    out
}

/// Addresses this host's config fixes, which `auto` must never hand out.
fn reserved(cfg: &Config) -> BTreeSet<IpAddr> {
    let mut s = BTreeSet::new();
    for sw in cfg.switches.values() {
        s.extend(sw.addresses.iter().map(|a| a.addr));
        if let Some(d) = &sw.dhcp {
            s.extend(d.hosts.values().map(|a| a.value));
        }
    }
    for nic in cfg.jails.values().flat_map(|j| &j.nics) {
        for spec in nic.ip4.iter().chain(&nic.ip6) {
            if let AddrSpec::Static(c) = spec.value {
                s.insert(c.addr);
            }
        }
    }
    s
}
