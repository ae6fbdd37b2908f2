//! Jail NICs: a veth pair made in one request with its peer born inside the
//! jail's namespace (peer name = the NIC's name, peer MAC = its MAC) and the host
//! end enslaved to the switch; then, in one batch, the tag, `isolated` for a
//! private switch and no IPv6 link-local. Router advertisements: accepted inside the
//! jail for a `slaac` NIC, filtered out on the host end for every other (see `slaac`);
//! the host end comes up after that. Inside the jail: `promote_secondaries`, addresses
//! (IPv6 `nodad`) and up, in one batch. Observe ignores dynamic addresses (DHCP leases,
//! SLAAC) on a `dhcp` or `slaac` NIC: they belong to the client and the kernel.

use jailnet_model::net::Mac;
use jailnet_plan::{Change, Op, Resource};

use super::observe::Views;
use super::{address_delta, address_delta_lines, first_error, tag};
use super::{is_link_local, mac_addr, model_mac, observed_mtu, order_like, LinuxBackend};
use crate::conn::{Netlink, Request};
use crate::error::{Error, Result};
use crate::settings::LinkSettings;
use crate::types::LinkRef;
use crate::veth::VethSpec;

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, &change.before, &change.after) {
        (Op::Create, _, Some(r)) => create(b, r, &tag(&change.id)),
        // Deleted at commit, or with the jail's namespace (see `teardown`).
        (
            Op::Delete,
            Some(Resource::Nic {
                jail, host_ifname, ..
            }),
            _,
        ) => {
            let ns = b.jail_netns(jail.as_str());
            b.doomed.mark(host_ifname.as_str(), &ns);
            b.host_removed(host_ifname.as_str());
            Ok(())
        }
        (Op::Update, Some(before), Some(after)) => update(b, before, after),
        _ => Ok(()),
    }
}

fn create(b: &mut LinuxBackend, r: &Resource, alias: &str) -> Result<()> {
    let Resource::Nic {
        jail,
        name,
        host_ifname,
        switch,
        mac,
        private,
        mtu,
        addrs,
        slaac,
        dhcp,
        ..
    } = r
    else {
        return Ok(());
    };
    let host_name = host_ifname.as_str();
    // A NIC being deleted may still hold the name (a rollback re-creates it).
    super::teardown::settle(b)?;
    super::ensure_free(b, "veth", host_name)?;
    let master = b.host_index(switch.as_str())?;
    let chosen = b.free_host_index()?;
    b.ensure_host()?;
    b.ensure_jail(jail.as_str())?;
    let ns = b.jail_netns(jail.as_str());
    let (Some(host), Some(jconn)) = (b.host.as_mut(), b.jails.get_mut(&ns)) else {
        return Err(Error::NoSuchNetns(ns));
    };
    let spec = VethSpec {
        mtu: *mtu,
        master: Some(master),
        peer_mac: Some(mac_addr(mac)),
        peer_netns: jconn.fd.as_ref(),
        ..VethSpec::new(host_name, name.as_str())
    };
    let port = host_end(alias, *private);
    // Router advertisements: a SLAAC NIC accepts them (inside the jail); every other
    // NIC never sees one (a filter on its host end, joined before that end comes up).
    let fast = match chosen {
        Some(i) => host_side_at(&mut host.nl, &spec, i, &port, *slaac)?,
        None => None,
    };
    let (host_index, index) = match fast {
        Some(index) => (index, index),
        None => host_side_looked_up(&mut host.nl, &mut jconn.nl, &spec, &port, *slaac)?,
    };
    // Then the jail side: addresses + up, one datagram.
    let jail_done = (|| {
        if *slaac {
            if let Some(fd) = &jconn.fd {
                super::slaac::accept(fd, name.as_str())?;
            }
        }
        let inside = jail_end(addrs, *slaac, *dhcp);
        let mut reqs = vec![Request::configure_link(index.into(), &inside)];
        reqs.extend(address_delta(index, &[], addrs)?);
        reqs.push(Request::set_up(index.into(), true));
        first_error(jconn.nl.execute_batch(reqs))
    })();
    match jail_done {
        Ok(()) => {
            b.host_created(host_name, Some(host_index));
            Ok(())
        }
        Err(e) => {
            let _ = host.nl.delete_link(host_name);
            Err(e)
        }
    }
}

/// The host side of a new NIC in one datagram, both ends asking for interface index
/// `index`: create the pair, configure the host end (`port`), keep router advertisements
/// from it (unless `slaac`), bring it up. The jail end's index is then `index` too, so
/// nothing needs looking up. `Ok(None)` when the kernel refuses the index (taken on
/// either side; nothing was made). After a later failure the pair is removed again.
fn host_side_at(
    host: &mut Netlink,
    spec: &VethSpec<'_>,
    index: u32,
    port: &LinkSettings<'_>,
    slaac: bool,
) -> Result<Option<u32>> {
    let spec = VethSpec {
        index: Some(index),
        ..*spec
    };
    let mut reqs = vec![
        Request::create_veth(&spec)?,
        Request::configure_link(LinkRef::Index(index), port),
    ];
    if !slaac {
        reqs.extend(super::slaac::filter_requests(index));
    }
    reqs.push(Request::set_up(LinkRef::Index(index), true));
    let mut done = host.execute_batch(reqs).into_iter();
    let mut next = || done.next().unwrap_or(Ok(()));
    match next() {
        Err(e) if matches!(e.errno(), Some(libc::EEXIST | libc::EBUSY)) => return Ok(None),
        other => other?,
    }
    let configured = next();
    let filtered = match slaac {
        true => Ok(()),
        false => {
            let (joined, filter) = (next(), next());
            super::slaac::filtered(index, joined, filter)
        }
    };
    let up = next();
    match configured.and(filtered).and(up) {
        Ok(()) => Ok(Some(index)),
        Err(e) => {
            let _ = host.delete_link(LinkRef::Index(index));
            Err(e)
        }
    }
}

/// The host side of a new NIC when the kernel picks the indexes: create the pair and
/// configure the host end (one datagram), look the jail end up (its `IFLA_LINK` is the
/// host end), then the filter and up (one more). Returns the host and jail ends' indexes.
fn host_side_looked_up(
    host: &mut Netlink,
    jail: &mut Netlink,
    spec: &VethSpec<'_>,
    port: &LinkSettings<'_>,
    slaac: bool,
) -> Result<(u32, u32)> {
    let reqs = vec![
        Request::create_veth(spec)?,
        Request::configure_link(LinkRef::Name(spec.name), port),
    ];
    let mut results = host.execute_batch(reqs).into_iter();
    results.next().unwrap_or(Ok(()))?;
    let rest = first_error(results.collect()).and_then(|()| {
        let jail_end = jail
            .link(LinkRef::Name(spec.peer_name))?
            .ok_or_else(|| Error::NoSuchLink(spec.peer_name.to_string()))?;
        let host_index = match jail_end.link {
            Some(i) => i,
            None => host.index_of(LinkRef::Name(spec.name))?,
        };
        match slaac {
            true => host.set_up(LinkRef::Index(host_index), true)?,
            false => super::slaac::filter_and_up(host, host_index)?,
        }
        Ok((host_index, jail_end.index))
    });
    if rest.is_err() {
        let _ = host.delete_link(LinkRef::Name(spec.name));
    }
    rest
}

/// The host end's settings: tagged with `alias`, isolated on a `private` switch, and no
/// address: no IPv6 link-local, so no DAD/MLD/RS flooded to every port of the switch
/// (O(N) work per new NIC otherwise).
fn host_end(alias: &str, private: bool) -> LinkSettings<'_> {
    LinkSettings {
        alias: Some(alias),
        isolated: private.then_some(true),
        no_ipv6_autoconf: true,
        ..LinkSettings::default()
    }
}

/// The jail end's settings, before its addresses: a secondary IPv4 address survives the
/// removal of the primary (an in-place address change keeps the jail's routes); no IPv6
/// link-local unless wanted, set before the link comes up.
fn jail_end(addrs: &[jailnet_model::net::Cidr], slaac: bool, dhcp: bool) -> LinkSettings<'static> {
    LinkSettings {
        promote_secondaries: true,
        no_ipv6_autoconf: !wants_ipv6(addrs, slaac, dhcp),
        ..LinkSettings::default()
    }
}

/// Whether the jail end of a NIC needs IPv6 link-local: it has an IPv6 address,
/// takes SLAAC, or runs a DHCP client. Otherwise it is made without one (silent).
fn wants_ipv6(addrs: &[jailnet_model::net::Cidr], slaac: bool, dhcp: bool) -> bool {
    slaac || dhcp || addrs.iter().any(|c| !c.is_v4())
}

fn update(b: &mut LinuxBackend, before: &Resource, after: &Resource) -> Result<()> {
    let (
        Resource::Nic {
            addrs: old,
            mtu: old_mtu,
            ..
        },
        Resource::Nic {
            jail,
            name,
            host_ifname,
            addrs,
            mtu,
            ..
        },
    ) = (before, after)
    else {
        return Ok(());
    };
    let new_mtu = mtu.filter(|m| Some(*m) != *old_mtu);
    if let Some(m) = new_mtu {
        b.host()?.nl.set_mtu(host_ifname.as_str(), m)?;
    }
    let j = b.jail(jail.as_str())?;
    let index = j.nl.index_of(LinkRef::Name(name.as_str()))?;
    let mut reqs = Vec::new();
    if let Some(m) = new_mtu {
        reqs.push(Request::set_mtu(index.into(), m));
    }
    reqs.extend(address_delta(index, old, addrs)?);
    first_error(j.nl.execute_batch(reqs))
}

/// The NIC `want` as the host and its jail have it.
pub(super) fn observe(want: &Resource, v: &Views) -> Option<Resource> {
    let Resource::Nic {
        jail,
        name,
        host_ifname,
        switch_imp,
        mtu,
        addrs,
        dhcp,
        slaac,
        ..
    } = want
    else {
        return None;
    };
    let link = v.host.link(host_ifname.as_str())?;
    if link.kind.as_deref() != Some("veth") {
        return None;
    }
    // Not on any bridge: report the NIC's own name, which no desired value has.
    let switch = v
        .host
        .master_name(link)
        .and_then(super::ifname)
        .unwrap_or_else(|| host_ifname.clone());
    let peer = v.jails.get(jail.as_str()).and_then(|j| {
        let l = j.link(name.as_str())?;
        // A lease or a SLAAC address is the client's and the kernel's, not ours.
        let have: Vec<_> = j
            .addrs(l.index)
            .iter()
            .filter(|c| !is_link_local(c))
            .filter(|c| !(*dhcp || *slaac) || !j.is_dynamic(l.index, c))
            .copied()
            .collect();
        Some((l.mac.map(model_mac).unwrap_or(Mac([0; 6])), have))
    });
    let (mac, have) = peer.unwrap_or((Mac([0; 6]), Vec::new()));
    Some(Resource::Nic {
        jail: jail.clone(),
        name: name.clone(),
        host_ifname: host_ifname.clone(),
        switch,
        switch_imp: *switch_imp,
        mac,
        private: link.isolated.unwrap_or(false),
        mtu: observed_mtu(*mtu, link.mtu),
        addrs: order_like(addrs, &have),
        dhcp: *dhcp,
        slaac: *slaac,
    })
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    match (change.op, &change.before, &change.after) {
        (
            Op::Create,
            _,
            Some(Resource::Nic {
                jail,
                name,
                host_ifname,
                switch,
                mac,
                private,
                mtu,
                addrs,
                slaac,
                dhcp,
                ..
            }),
        ) => {
            let h = host_ifname.as_str();
            let ns = b.jail_netns(jail.as_str());
            let m = mtu.map(|m| format!(" mtu {m}")).unwrap_or_default();
            let mut out = vec![format!(
                "create veth {h}{m} master {switch} (peer {name} address {mac} in netns {ns})"
            )];
            let alias = tag(&change.id);
            let port = host_end(&alias, *private);
            out.push(
                Request::configure_link(LinkRef::Name(h), &port)
                    .describe()
                    .to_string(),
            );
            out.extend(super::slaac::describe(h, name.as_str(), &ns, *slaac));
            out.push(
                Request::set_up(LinkRef::Name(h), true)
                    .describe()
                    .to_string(),
            );
            let inside = jail_end(addrs, *slaac, *dhcp);
            let describe = Request::configure_link(LinkRef::Name(name.as_str()), &inside);
            out.push(format!("{} in netns {ns}", describe.describe()));
            let inside = format!("{name} in netns {ns}");
            out.extend(address_delta_lines(&inside, &[], addrs));
            out.push(format!("set link {inside} up"));
            out
        }
        (Op::Delete, Some(Resource::Nic { host_ifname, .. }), _) => {
            vec![Request::delete_link(LinkRef::Name(host_ifname.as_str()))
                .describe()
                .to_string()]
        }
        (
            Op::Update,
            Some(Resource::Nic {
                addrs: old,
                mtu: old_mtu,
                ..
            }),
            Some(Resource::Nic {
                jail,
                name,
                host_ifname,
                addrs,
                mtu,
                ..
            }),
        ) => {
            let inside = format!("{name} in netns {}", b.jail_netns(jail.as_str()));
            let mut out = Vec::new();
            if let Some(m) = mtu.filter(|m| Some(*m) != *old_mtu) {
                out.push(format!("set link {host_ifname} mtu {m}"));
                out.push(format!("set link {inside} mtu {m}"));
            }
            out.extend(address_delta_lines(&inside, old, addrs));
            out
        }
        _ => Vec::new(),
    }
}
