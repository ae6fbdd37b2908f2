//! Observe: one dump of links and addresses per namespace (plus FDB and routes
//! only when something in scope needs them), indexed by name, then each resource
//! of the scope looked up in those indexes. Tagged host links (`jailnet:<id>`)
//! are reported as owned, and rebuilt into resources when the id says how.

use std::collections::{BTreeSet, HashMap, HashSet};
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

/// One namespace's links and addresses, indexed.
#[derive(Debug, Default)]
pub(super) struct NsView {
    links: Vec<Link>,
    by_name: HashMap<String, usize>,
    by_index: HashMap<u32, usize>,
    addrs: HashMap<u32, Vec<Cidr>>,
    /// (interface index, address) of addresses that expire: DHCP leases, SLAAC.
    dynamic: HashSet<(u32, Cidr)>,
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

impl NsView {
    fn new(links: Vec<Link>, addrs: Vec<crate::address::Address>) -> NsView {
        let by_name = links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.clone(), i))
            .collect();
        let by_index = links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.index, i))
            .collect();
        let mut by_if: HashMap<u32, Vec<Cidr>> = HashMap::new();
        let mut dynamic = HashSet::new();
        for a in addrs {
            let c = Cidr {
                addr: a.addr,
                prefix: a.prefix_len,
            };
            if a.is_dynamic() {
                dynamic.insert((a.index, c));
            }
            by_if.entry(a.index).or_default().push(c);
        }
        NsView {
            links,
            by_name,
            by_index,
            addrs: by_if,
            dynamic,
            routes: Vec::new(),
            fdb: Vec::new(),
            claimed: HashSet::new(),
        }
    }

    /// The link named `name`.
    pub(super) fn link(&self, name: &str) -> Option<&Link> {
        self.by_name.get(name).and_then(|i| self.links.get(*i))
    }

    /// The link with index `index`.
    pub(super) fn by_index(&self, index: u32) -> Option<&Link> {
        self.by_index.get(&index).and_then(|i| self.links.get(*i))
    }

    /// The addresses on interface `index`, as dumped.
    pub(super) fn addrs(&self, index: u32) -> &[Cidr] {
        self.addrs.get(&index).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `addr` on interface `index` expires (a DHCP lease, a SLAAC address).
    pub(super) fn is_dynamic(&self, index: u32, addr: &Cidr) -> bool {
        self.dynamic.contains(&(index, *addr))
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

    // Jail namespaces: one connection each, veths + addresses, routes when asked.
    let mut want_jails: HashMap<String, bool> = HashMap::new();
    for r in scope {
        match r {
            Resource::Nic { jail, .. } => {
                want_jails.entry(jail.to_string()).or_insert(false);
            }
            Resource::Route { jail, .. } => {
                want_jails.insert(jail.to_string(), true);
            }
            _ => {}
        }
    }
    for (id, _) in &tagged {
        if let Some((j, _)) = id.0.strip_prefix("nic:").and_then(|s| s.split_once('/')) {
            want_jails.entry(j.to_string()).or_insert(false);
        }
    }
    let mut jails = HashMap::new();
    let mut names: Vec<(String, bool)> = want_jails.into_iter().collect();
    names.sort();
    for (j, routes) in names {
        let Some(conn) = b.jail_if_exists(&j)? else {
            continue;
        };
        // A jail's NICs are veths: nothing else there is read.
        let mut v = NsView::new(conn.nl.veths()?, conn.nl.addresses()?);
        if routes {
            v.routes = conn.nl.routes()?;
        }
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
            let t = tag_ids.contains(&have.id());
            o.insert(have, t);
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
