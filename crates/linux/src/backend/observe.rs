//! Observe: one dump of links and addresses per namespace (plus FDB and routes
//! only when something in scope needs them), indexed by name, then each resource
//! of the scope looked up in those indexes. Tagged host links (`jailnet:<id>`)
//! are reported as owned, and rebuilt into resources when the id says how.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use jailnet_model::names::JailName;
use jailnet_model::net::{Cidr, Mac};
use jailnet_plan::resource::SwitchImpl;
use jailnet_plan::{Observed, Resource, ResourceId};

use super::{alias, jail, member, nic, resolver, route, switch, sysctl, tap, vxlan};
use super::{ifname, LinuxBackend, TAG_PREFIX};
use crate::error::Result;
use crate::fdb::FdbEntry;
use crate::link::Link;
use crate::route::Route;
use crate::snapshot::RouteFamilies;

/// One namespace's links and addresses, indexed.
#[derive(Debug, Default)]
pub(super) struct NsView {
    links: Vec<Link>,
    /// Name → position in `links`, and index → position; left empty for a view of a few
    /// links (a jail's), which are searched in order.
    by_name: HashMap<String, usize>,
    by_index: HashMap<u32, usize>,
    /// Every address, sorted by interface index (stable: dump order within one).
    addr_if: Vec<u32>,
    addrs: Vec<Cidr>,
    /// (interface index, address) of addresses that expire (DHCP leases, SLAAC), sorted.
    dynamic: Vec<(u32, Cidr)>,
    pub(super) routes: Vec<Route>,
    pub(super) fdb: Vec<FdbEntry>,
    /// (interface, address) pairs other resources own (shared-IP aliases), which
    /// a switch does not report as its own addresses.
    pub(super) claimed: HashSet<(String, IpAddr)>,
}

/// The host namespace's view.
pub(super) type HostView = NsView;

/// What observe found: the host and every jail namespace that exists.
pub(super) struct Views {
    pub(super) host: HostView,
    /// Jail name → its namespace's view (absent: no such namespace).
    pub(super) jails: HashMap<String, NsView>,
}

/// Views of fewer links than this are searched in order, not indexed.
const INDEX_FROM: usize = 8;

impl NsView {
    fn new(links: Vec<Link>, addrs: Vec<crate::address::Address>) -> NsView {
        let (by_name, by_index) = if links.len() < INDEX_FROM {
            (HashMap::new(), HashMap::new())
        } else {
            let enumerated = || links.iter().enumerate();
            (
                enumerated().map(|(i, l)| (l.name.clone(), i)).collect(),
                enumerated().map(|(i, l)| (l.index, i)).collect(),
            )
        };
        let mut all: Vec<(u32, Cidr, bool)> = addrs
            .into_iter()
            .map(|a| {
                let c = Cidr {
                    addr: a.addr,
                    prefix: a.prefix_len,
                };
                (a.index, c, a.is_dynamic())
            })
            .collect();
        all.sort_by_key(|(index, _, _)| *index);
        let mut dynamic: Vec<(u32, Cidr)> = all
            .iter()
            .filter(|(_, _, d)| *d)
            .map(|(i, c, _)| (*i, *c))
            .collect();
        dynamic.sort();
        NsView {
            links,
            by_name,
            by_index,
            addr_if: all.iter().map(|(i, _, _)| *i).collect(),
            addrs: all.into_iter().map(|(_, c, _)| c).collect(),
            dynamic,
            routes: Vec::new(),
            fdb: Vec::new(),
            claimed: HashSet::new(),
        }
    }

    /// The link named `name`.
    pub(super) fn link(&self, name: &str) -> Option<&Link> {
        if self.by_name.is_empty() {
            return self.links.iter().find(|l| l.name == name);
        }
        self.by_name.get(name).and_then(|i| self.links.get(*i))
    }

    /// The link with index `index`.
    pub(super) fn by_index(&self, index: u32) -> Option<&Link> {
        if self.by_index.is_empty() {
            return self.links.iter().find(|l| l.index == index);
        }
        self.by_index.get(&index).and_then(|i| self.links.get(*i))
    }

    /// The addresses on interface `index`, as dumped.
    pub(super) fn addrs(&self, index: u32) -> &[Cidr] {
        let from = self.addr_if.partition_point(|i| *i < index);
        let to = self.addr_if.partition_point(|i| *i <= index);
        &self.addrs[from..to]
    }

    /// Whether `addr` on interface `index` expires (a DHCP lease, a SLAAC address).
    pub(super) fn is_dynamic(&self, index: u32, addr: &Cidr) -> bool {
        self.dynamic.binary_search(&(index, *addr)).is_ok()
    }

    /// Whether `addr` on `ifname` belongs to another resource.
    pub(super) fn is_claimed(&self, ifname: &str, addr: IpAddr) -> bool {
        self.claimed.contains(&(ifname.to_string(), addr))
    }

    /// The name of the master (bridge) of `link`.
    pub(super) fn master_name(&self, link: &Link) -> Option<&str> {
        link.master
            .and_then(|m| self.by_index(m))
            .map(|l| l.name.as_str())
    }
}

pub(super) fn observe(b: &mut LinuxBackend, scope: &[&Resource]) -> Result<Observed> {
    // The host: one link dump and one address dump.
    let host = b.host()?;
    let links = host.nl.links()?;
    let addrs = host.nl.addresses()?;
    let mut hv = NsView::new(links, addrs);
    b.set_index(&hv.links);

    // Tagged leftovers, and what they need looked at.
    let tagged: Vec<(ResourceId, usize)> = hv
        .links
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let id = l.alias.as_deref()?.strip_prefix(TAG_PREFIX)?;
            Some((ResourceId(id.to_string()), i))
        })
        .collect();
    let vxlan_needed = scope.iter().any(|r| matches!(r, Resource::Vxlan { .. }))
        || tagged.iter().any(|(id, _)| id.0.starts_with("vxlan:"));
    if vxlan_needed {
        hv.fdb = b.host()?.nl.fdb()?;
    }

    // Jail namespaces: one connection each, made in one pass; the NICs asked for (index
    // and MAC by name), every address, and the routes of the families asked for.
    let mut want_jails: BTreeMap<String, (Vec<&str>, RouteFamilies)> = BTreeMap::new();
    for r in scope {
        match r {
            Resource::Nic { jail, name, .. } => {
                let w = want_jails.entry(jail.to_string()).or_default();
                w.0.push(name.as_str());
            }
            Resource::Route { jail, v6, .. } => {
                let w = want_jails.entry(jail.to_string()).or_default();
                if *v6 {
                    w.1.v6 = true;
                } else {
                    w.1.v4 = true;
                }
            }
            _ => {}
        }
    }
    for (id, _) in &tagged {
        if let Some((j, name)) = id.0.strip_prefix("nic:").and_then(|s| s.split_once('/')) {
            want_jails.entry(j.to_string()).or_default().0.push(name);
        }
    }
    let names: Vec<&str> = want_jails.keys().map(String::as_str).collect();
    b.connect_jails(&names)?;
    let mut jails = HashMap::with_capacity(want_jails.len());
    for (j, (mut nics, routes)) in want_jails {
        let Some(conn) = b.connected_jail(&j) else {
            continue;
        };
        nics.sort_unstable();
        nics.dedup();
        let snap = conn.nl.snapshot(&nics, routes)?;
        let mut v = NsView::new(snap.links, snap.addrs);
        v.routes = snap.routes;
        jails.insert(j, v);
    }
    hv.claimed = scope
        .iter()
        .filter_map(|r| match r {
            Resource::Alias { ifname, cidr, .. } => Some((ifname.to_string(), cidr.addr)),
            _ => None,
        })
        .collect();
    let views = Views { host: hv, jails };

    let mut o = Observed::default();
    let tag_ids: BTreeSet<ResourceId> = tagged.iter().map(|(id, _)| id.clone()).collect();
    for want in scope {
        if let Some(have) = observe_one(b, want, &views)? {
            o.insert_with(have, |id| tag_ids.contains(id));
        }
    }
    super::firewall::observe(b, scope, &mut o)?;
    // DHCP servers jailnet started that nothing in scope knows about: its own, to remove.
    for r in super::dhcp::leftovers(b, scope) {
        if !o.resources.nodes.contains_key(&r.id()) {
            o.insert(r, true);
        }
    }
    for (id, i) in &tagged {
        o.tagged.insert(id.clone());
        if o.resources.get(id).is_some() {
            continue;
        }
        let Some(link) = views.host.links.get(*i) else {
            continue;
        };
        if let Some(want) = rebuild(id, link) {
            if let Some(have) = observe_one(b, &want, &views)? {
                if have.id() == *id {
                    o.insert(have, true);
                }
            }
        }
    }
    Ok(o)
}

fn observe_one(b: &mut LinuxBackend, want: &Resource, v: &Views) -> Result<Option<Resource>> {
    Ok(match want {
        Resource::Sysctl { .. } => sysctl::observe(b, want)?,
        Resource::Switch { .. } => switch::observe(want, &v.host),
        Resource::Vlan { ifname: name, .. } => v
            .host
            .link(name.as_str())
            .filter(|l| l.kind.as_deref() == Some("vlan"))
            .map(|_| want.clone()),
        Resource::Vxlan { .. } => vxlan::observe(want, &v.host),
        Resource::Member { .. } => member::observe(want, &v.host),
        Resource::Jail { .. } => jail::observe(b, want, v),
        Resource::Nic { .. } => nic::observe(want, v),
        Resource::Route { .. } => route::observe(want, v),
        Resource::Alias { .. } => alias::observe(want, &v.host),
        Resource::Tap { .. } => tap::observe(want, &v.host),
        Resource::Resolver { .. } => resolver::observe(b, want)?,
        // Observed all at once by `firewall::observe`.
        Resource::Firewall { .. } | Resource::Guard { .. } => None,
        Resource::Loopback { .. } => super::loopback::observe(want, &v.host),
        Resource::Devfs { .. } | Resource::GatewayPin { .. } => Some(want.clone()),
        Resource::DhcpServer { .. } => super::dhcp::observe(b, want)?,
        Resource::DhcpClient { .. } => super::dhclient::observe(b, want),
    })
}

/// A stand-in "desired" value for a tagged link that is not in scope, built from
/// its id and the link, so the kind's observe reports what is really there.
fn rebuild(id: &ResourceId, link: &Link) -> Option<Resource> {
    let (kind, rest) = id.0.split_once(':')?;
    let own = ifname(&link.name)?;
    let zero = Mac([0; 6]);
    match kind {
        "switch" => Some(Resource::Switch {
            name: rest.to_string(),
            ifname: own,
            imp: SwitchImpl::Bridge,
            mtu: None,
            addrs: Vec::new(),
        }),
        "nic" => {
            let (jail, name) = rest.split_once('/')?;
            Some(Resource::Nic {
                jail: JailName::new(jail).ok()?,
                name: ifname(name)?,
                host_ifname: own.clone(),
                switch: own,
                switch_imp: SwitchImpl::Bridge,
                mac: zero,
                private: false,
                mtu: None,
                addrs: Vec::new(),
                dhcp: false,
                slaac: false,
            })
        }
        "tap" => {
            let (vm, index) = rest.split_once('/')?;
            Some(Resource::Tap {
                vm: JailName::new(vm).ok()?,
                index: index.parse().ok()?,
                ifname: own.clone(),
                switch: own,
                mac: zero,
                private: false,
                mtu: None,
            })
        }
        "vxlan" => {
            let info = link.vxlan.as_ref()?;
            Some(Resource::Vxlan {
                ifname: own,
                vni: info.vni,
                group: None,
                dev: None,
                remotes: Vec::<IpAddr>::new(),
                mtu: None,
            })
        }
        _ => None,
    }
}
