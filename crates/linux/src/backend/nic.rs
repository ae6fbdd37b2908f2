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
use crate::conn::Request;
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
    // Host side: create, then tag + isolate + no IPv6 in one request; one datagram.
    // The name was checked free above, so the second request addresses the new link.
    // The host end carries no address: no IPv6 link-local, so no DAD/MLD/RS flooded
    // to every port of the switch (O(N) work per new NIC otherwise).
    let port = LinkSettings {
        alias: Some(alias),
        isolated: private.then_some(true),
        no_ipv6_autoconf: true,
        ..LinkSettings::default()
    };
    let reqs = vec![
        Request::create_veth(&spec)?,
        Request::configure_link(LinkRef::Name(host_name), &port),
    ];
    let mut results = host.nl.execute_batch(reqs).into_iter();
    results.next().unwrap_or(Ok(()))?;
    let host_done = first_error(results.collect());
    // Router advertisements: a SLAAC NIC accepts them (inside the jail); every other
    // NIC never sees one (a filter on its host end, joined before that end comes up,
    // in the datagram that brings it up). Then the jail side: addresses + up, one
    // datagram.
    let jail_done = host_done.and_then(|()| {
        let jail_end = jconn
            .nl
            .link(LinkRef::Name(name.as_str()))?
            .ok_or_else(|| Error::NoSuchLink(name.to_string()))?;
        let index = jail_end.index;
        if *slaac {
            if let Some(fd) = &jconn.fd {
                super::slaac::accept(fd, name.as_str())?;
            }
            host.nl.set_up(LinkRef::Name(host_name), true)?;
        } else {
            // The jail end's `IFLA_LINK` is its peer: the host end.
            let host_index = match jail_end.link {
                Some(i) => i,
                None => host.nl.index_of(LinkRef::Name(host_name))?,
            };
            super::slaac::filter_and_up(&mut host.nl, host_index)?;
        }
        // A secondary IPv4 address survives the removal of the primary (an in-place
        // address change keeps the jail's routes). No IPv6 link-local unless wanted,
        // set before the link comes up.
        let inside = LinkSettings {
            promote_secondaries: true,
            no_ipv6_autoconf: !wants_ipv6(addrs, *slaac, *dhcp),
            ..LinkSettings::default()
        };
        let mut reqs = vec![Request::configure_link(index.into(), &inside)];
        reqs.extend(address_delta(index, &[], addrs)?);
        reqs.push(Request::set_up(index.into(), true));
        first_error(jconn.nl.execute_batch(reqs))
    });
    match jail_done {
        Ok(()) => {
            b.host_created(host_name, None);
            Ok(())
        }
        Err(e) => {
            let _ = host.nl.delete_link(host_name);
            Err(e)
        }
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
            let port = LinkSettings {
                alias: Some(&alias),
                isolated: private.then_some(true),
                no_ipv6_autoconf: true,
                ..LinkSettings::default()
            };
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
            let inside = LinkSettings {
                promote_secondaries: true,
                no_ipv6_autoconf: !wants_ipv6(addrs, *slaac, *dhcp),
                ..LinkSettings::default()
            };
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
