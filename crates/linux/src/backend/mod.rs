//! `LinuxBackend`: jailnet's plan [`Backend`] over this crate's netlink and netns
//! toolkit. A VNET jail is a named network namespace, a switch a bridge, a jail
//! NIC a veth pair whose peer is born inside the jail's namespace, a private port
//! a bridge port with `isolated` set before the link comes up, a VM NIC a
//! persistent tap, a resolver `/etc/netns/NAME/resolv.conf`, a DHCP server a
//! dnsmasq in the host namespace and a DHCP client a dhclient in the jail's (both
//! spawned through `jailnet-host`, their files in [`LinuxOptions::run_dir`]).
//!
//! With [`LinuxOptions::host_netns`] set, that namespace plays the host: every
//! host-side object is made there and the real root namespace is never touched.
//! One netlink socket is opened per namespace and reused; host interface indexes
//! come from one dump per `observe` and are kept current by `apply`.
//!
//! Every object jailnet creates on a link carries the ifalias `jailnet:<id>` so
//! `gc` finds leftovers even without a state file. One file per resource kind
//! holds that kind's apply, observe and command description.

mod alias;
mod daemon;
mod dhclient;
mod dhcp;
mod firewall;
mod guard;
mod jail;
mod loopback;
mod member;
mod nic;
mod observe;
mod resolver;
mod route;
mod slaac;
mod switch;
mod sysctl;
mod tap;
mod teardown;
mod vxlan;

use std::collections::HashMap;
use std::path::PathBuf;

use jailnet_model::names::IfName;
use jailnet_model::net::{Cidr, Mac};
use jailnet_plan::{Backend, BackendError, Change, Observed, Op, Resource, ResourceId};

use crate::conn::{Netlink, Request};
use crate::error::{Error, Result};
use crate::netns::{Netns, NsFd};
use crate::types::{LinkRef, MacAddr};

/// Prefix of the ifalias jailnet tags its links with; the resource id follows.
pub const TAG_PREFIX: &str = "jailnet:";

/// Where iproute2 (and so `ip netns exec`) looks for per-namespace `/etc` files.
pub const ETC_NETNS_DIR: &str = "/etc/netns";

/// Where dnsmasq and dhclient config, pid and lease files go by default.
pub const RUN_DIR: &str = "/var/lib/jailnet/run";

/// How the backend is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxOptions {
    /// A namespace that plays the host (`--host-netns`); `None`: the real host.
    pub host_netns: Option<String>,
    /// Where jail resolver files go: `<dir>/<jail netns>/resolv.conf`.
    pub etc_netns_dir: PathBuf,
    /// Config, pid and lease files of the DHCP servers and clients jailnet runs.
    pub run_dir: PathBuf,
}

/// One namespace's netlink socket, with an fd on the namespace when it is not the
/// caller's own (the real host).
#[derive(Debug)]
struct Conn {
    fd: Option<NsFd>,
    nl: Netlink,
}

impl Conn {
    /// A connection to the existing namespace `ns`.
    fn open(ns: &str) -> Result<Conn> {
        Conn::open_if_exists(ns)?.ok_or_else(|| Error::NoSuchNetns(ns.to_string()))
    }

    /// A connection to namespace `ns`, `None` when there is no such namespace (one `open`
    /// says which, no separate existence check).
    fn open_if_exists(ns: &str) -> Result<Option<Conn>> {
        let Some(fd) = Netns::open_fd(ns)? else {
            return Ok(None);
        };
        let nl = Netlink::open_in(&fd)?;
        Ok(Some(Conn { fd: Some(fd), nl }))
    }
}

/// jailnet's Linux backend. See the module documentation.
#[derive(Debug)]
pub struct LinuxBackend {
    opts: LinuxOptions,
    host: Option<Conn>,
    /// Jail namespace name → its connection, opened once.
    jails: HashMap<String, Conn>,
    /// Host interface name → index (0: exists, index not yet known).
    index: HashMap<String, u32>,
    /// Whether `index` holds a full dump.
    indexed: bool,
    /// The highest host interface index known (for [`LinuxBackend::free_host_index`]).
    top_index: u32,
    /// Firewall and guard resources that should be in tables `inet jailnet` and
    /// `bridge jailnet` (from observe, then changed by apply); written whole at commit.
    fw: std::collections::BTreeMap<ResourceId, Resource>,
    /// Whether `fw` changed since the table was last written.
    fw_dirty: bool,
    /// NIC veths being deleted (see `teardown`).
    doomed: teardown::Doomed,
}

impl Default for LinuxOptions {
    fn default() -> Self {
        LinuxOptions {
            host_netns: None,
            etc_netns_dir: PathBuf::from(ETC_NETNS_DIR),
            run_dir: PathBuf::from(RUN_DIR),
        }
    }
}

/// The namespace name of jail `jail`: the jail's own name on a real host, and
/// `NS-jail` when namespace `NS` plays the host (so sandboxes never collide).
pub fn jail_netns_name(host_netns: Option<&str>, jail: &str) -> String {
    match host_netns {
        Some(ns) => format!("{ns}-{jail}"),
        None => jail.to_string(),
    }
}

/// The ifalias that tags the link of resource `id`.
pub fn tag(id: &ResourceId) -> String {
    format!("{TAG_PREFIX}{id}")
}

impl LinuxBackend {
    /// A backend with `opts`. Nothing is opened until first used.
    pub fn new(opts: LinuxOptions) -> LinuxBackend {
        LinuxBackend {
            opts,
            host: None,
            jails: HashMap::new(),
            index: HashMap::new(),
            indexed: false,
            top_index: 0,
            fw: std::collections::BTreeMap::new(),
            fw_dirty: false,
            doomed: teardown::Doomed::default(),
        }
    }

    /// The options the backend was made with.
    pub fn options(&self) -> &LinuxOptions {
        &self.opts
    }

    /// The namespace name of jail `jail` under these options.
    pub fn jail_netns(&self, jail: &str) -> String {
        jail_netns_name(self.opts.host_netns.as_deref(), jail)
    }

    /// Open the host connection if it is not open yet.
    fn ensure_host(&mut self) -> Result<()> {
        if self.host.is_none() {
            let conn = match &self.opts.host_netns {
                Some(ns) => {
                    let fd = Netns::open(ns)?.fd()?;
                    let nl = Netlink::open_in(&fd)?;
                    Conn { fd: Some(fd), nl }
                }
                None => Conn {
                    fd: None,
                    nl: Netlink::open()?,
                },
            };
            self.host = Some(conn);
        }
        Ok(())
    }

    /// The host connection (opened on first use).
    fn host(&mut self) -> Result<&mut Conn> {
        self.ensure_host()?;
        self.host.as_mut().ok_or_else(|| Error::Invalid {
            op: "open host namespace".into(),
            reason: "connection vanished".into(),
        })
    }

    /// Open jail `jail`'s connection if it is not open yet; the namespace must exist.
    fn ensure_jail(&mut self, jail: &str) -> Result<()> {
        let ns = self.jail_netns(jail);
        if let std::collections::hash_map::Entry::Vacant(slot) = self.jails.entry(ns) {
            let conn = Conn::open(slot.key())?;
            slot.insert(conn);
        }
        Ok(())
    }

    /// Connect to the namespaces of `jails` in one pass (one `setns` each), and check the
    /// ones connected before still exist; afterwards [`LinuxBackend::connected_jail`] has
    /// a connection for each jail whose namespace exists.
    fn connect_jails(&mut self, jails: &[&str]) -> Result<()> {
        let mut fds = Vec::new();
        for j in jails {
            let ns = self.jail_netns(j);
            if self.jails.contains_key(&ns) {
                if !Netns::exists(&ns) {
                    self.jails.remove(&ns);
                }
            } else if let Some(fd) = Netns::open_fd(&ns)? {
                fds.push((ns, fd));
            }
        }
        let refs: Vec<&NsFd> = fds.iter().map(|(_, fd)| fd).collect();
        let conns = Netlink::open_in_each(&refs)?;
        for ((ns, fd), nl) in fds.into_iter().zip(conns) {
            self.jails.insert(ns, Conn { fd: Some(fd), nl });
        }
        Ok(())
    }

    /// Jail `jail`'s connection if there is one (see [`LinuxBackend::connect_jails`]).
    fn connected_jail(&mut self, jail: &str) -> Option<&mut Conn> {
        let ns = self.jail_netns(jail);
        self.jails.get_mut(&ns)
    }

    /// Jail `jail`'s connection (opened on first use).
    fn jail(&mut self, jail: &str) -> Result<&mut Conn> {
        self.ensure_jail(jail)?;
        let ns = self.jail_netns(jail);
        self.jails.get_mut(&ns).ok_or(Error::NoSuchNetns(ns))
    }

    /// Close jail `jail`'s connection (before its namespace goes, so no fd keeps
    /// it alive).
    fn forget_jail(&mut self, jail: &str) {
        let ns = self.jail_netns(jail);
        self.jails.remove(&ns);
    }

    /// Refill the host name → index map from a dump, when it does not hold one.
    fn ensure_index(&mut self) -> Result<()> {
        if !self.indexed {
            let links = self.host()?.nl.links()?;
            self.set_index(&links);
        }
        Ok(())
    }

    /// Take the host's interfaces from a full dump.
    fn set_index(&mut self, links: &[crate::link::Link]) {
        self.index = links.iter().map(|l| (l.name.clone(), l.index)).collect();
        self.top_index = links.iter().map(|l| l.index).max().unwrap_or(0);
        self.indexed = true;
    }

    /// An interface index free on the host as far as jailnet knows (one past the
    /// highest; `None` past the kernel's `i32` range); the kernel has the last word (see
    /// `VethSpec::index`).
    fn free_host_index(&mut self) -> Result<Option<u32>> {
        self.ensure_index()?;
        Ok(self
            .top_index
            .checked_add(1)
            .filter(|i| i32::try_from(*i).is_ok()))
    }

    /// Whether a host interface of that name exists (as far as the map knows).
    fn host_has(&mut self, name: &str) -> Result<bool> {
        self.ensure_index()?;
        Ok(self.index.contains_key(name))
    }

    /// The index of host interface `name` (a lookup only when the map lacks it).
    fn host_index(&mut self, name: &str) -> Result<u32> {
        self.ensure_index()?;
        if let Some(i) = self.index.get(name).copied().filter(|i| *i != 0) {
            return Ok(i);
        }
        let i = self.host()?.nl.index_of(LinkRef::Name(name))?;
        self.index.insert(name.to_string(), i);
        Ok(i)
    }

    /// Record a host interface jailnet just made (index unknown until asked).
    fn host_created(&mut self, name: &str, index: Option<u32>) {
        self.index.insert(name.to_string(), index.unwrap_or(0));
        self.top_index = self.top_index.max(index.unwrap_or(0));
    }

    /// Record a host interface jailnet just removed.
    fn host_removed(&mut self, name: &str) {
        self.index.remove(name);
    }

    fn dispatch(&mut self, change: &Change, r: &Resource) -> Result<()> {
        match r {
            Resource::Sysctl { .. } => sysctl::apply(self, change),
            Resource::Switch { .. } => switch::apply(self, change),
            Resource::Vlan { ifname, .. } => match change.op {
                Op::Delete => ignore_missing(self.host()?.nl.delete_link(ifname.as_str())),
                _ => Err(Error::Invalid {
                    op: format!("create vlan {ifname}"),
                    reason: "this kernel has no 802.1Q VLAN support (no 8021q); VLANs work \
                             with the freebsd and sim backends only"
                        .into(),
                }),
            },
            Resource::Vxlan { .. } => vxlan::apply(self, change),
            Resource::Member { .. } => member::apply(self, change),
            Resource::Jail { .. } => jail::apply(self, change),
            Resource::Nic { .. } => nic::apply(self, change),
            Resource::Route { .. } => route::apply(self, change),
            Resource::Alias { .. } => alias::apply(self, change),
            Resource::Tap { .. } => tap::apply(self, change),
            Resource::Resolver { .. } => resolver::apply(self, change),
            Resource::Firewall { .. } => firewall::apply(self, change),
            Resource::Guard { .. } => guard::apply(self, change),
            Resource::Loopback { .. } => loopback::apply(self, change),
            // devfs rulesets are a FreeBSD thing: a Linux namespace sees no devices.
            // FreeBSD only: the nft guards check ARP sender fields here.
            Resource::Devfs { .. } | Resource::GatewayPin { .. } => Ok(()),
            Resource::DhcpServer { .. } => dhcp::apply(self, change),
            Resource::DhcpClient { .. } => dhclient::apply(self, change),
        }
    }
}

impl Backend for LinuxBackend {
    fn observe(&mut self, scope: &[&Resource]) -> std::result::Result<Observed, BackendError> {
        teardown::settle(self)
            .and_then(|()| observe::observe(self, scope))
            .map_err(|e| BackendError(format!("observe: {e}")))
    }

    fn apply(&mut self, change: &Change) -> std::result::Result<(), BackendError> {
        let Some(r) = change.resource() else {
            return Err(BackendError(format!(
                "{} {}: change has no resource",
                verb(change.op),
                change.id
            )));
        };
        self.dispatch(change, r)
            .map_err(|e| BackendError(format!("{} {}: {e}", verb(change.op), change.id)))
    }

    fn commit(&mut self) -> std::result::Result<(), BackendError> {
        teardown::settle(self).map_err(|e| BackendError(format!("commit veth deletes: {e}")))?;
        firewall::commit(self).map_err(|e| BackendError(format!("commit firewall: {e}")))
    }

    fn commands(&self, change: &Change) -> Vec<String> {
        let Some(r) = change.resource() else {
            return Vec::new();
        };
        match r {
            Resource::Sysctl { .. } => sysctl::commands(self, change),
            Resource::Switch { .. } => switch::commands(self, change),
            Resource::Vlan { ifname, parent, tag } => match change.op {
                Op::Delete => vec![format!("delete link {ifname}")],
                _ => vec![format!(
                    "create vlan {ifname} id {tag} on {parent} (unsupported: no 802.1Q in this kernel)"
                )],
            },
            Resource::Vxlan { .. } => vxlan::commands(change),
            Resource::Member { .. } => member::commands(change),
            Resource::Jail { .. } => jail::commands(self, change),
            Resource::Nic { .. } => nic::commands(self, change),
            Resource::Route { .. } => route::commands(self, change),
            Resource::Alias { .. } => alias::commands(change),
            Resource::Tap { .. } => tap::commands(change),
            Resource::Resolver { .. } => resolver::commands(self, change),
            Resource::Firewall { .. } => firewall::commands(change),
            Resource::Guard { .. } => guard::commands(change),
            Resource::Loopback { .. } => loopback::commands(change),
            Resource::Devfs { .. } => vec!["(nothing: devfs rulesets are FreeBSD only)".into()],
            Resource::GatewayPin { .. } => {
                vec!["(nothing: the bridge guards check ARP senders on Linux)".into()]
            }
            Resource::DhcpServer { .. } => dhcp::commands(self, change),
            Resource::DhcpClient { .. } => dhclient::commands(self, change),
        }
    }
}

fn verb(op: Op) -> &'static str {
    match op {
        Op::Create => "create",
        Op::Update => "update",
        Op::Delete => "delete",
    }
}

/// Refuse to create host interface `name` (of kind `what`) when one of that name exists.
fn ensure_free(b: &mut LinuxBackend, what: &str, name: &str) -> Result<()> {
    if b.host_has(name)? {
        return Err(Error::Invalid {
            op: format!("create {what} {name}"),
            reason: "an interface of that name exists".into(),
        });
    }
    Ok(())
}

/// Create host link `name` with `create`, then in one batch tag it with `alias`, send
/// `extra(index)` and bring it up; if any of that fails, remove the link again so the
/// change leaves nothing behind.
fn create_host_link<'r>(
    b: &mut LinuxBackend,
    name: &str,
    create: Request<'r>,
    alias: &'r str,
    extra: impl FnOnce(u32) -> Result<Vec<Request<'r>>>,
) -> Result<()> {
    let nl = &mut b.host()?.nl;
    nl.execute(create)?;
    let rest = (|| -> Result<u32> {
        let index = nl.index_of(LinkRef::Name(name))?;
        let mut reqs = vec![Request::set_alias(index.into(), alias)];
        reqs.extend(extra(index)?);
        reqs.push(Request::set_up(index.into(), true));
        first_error(nl.execute_batch(reqs))?;
        Ok(index)
    })();
    match rest {
        Ok(index) => {
            b.host_created(name, Some(index));
            Ok(())
        }
        Err(e) => {
            let _ = nl.delete_link(name);
            Err(e)
        }
    }
}

/// Deleting what is already gone succeeds (rollback and `down` stay idempotent).
fn ignore_missing(r: Result<()>) -> Result<()> {
    match r {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// The first error of a batch's results, if any.
fn first_error(results: Vec<Result<()>>) -> Result<()> {
    results.into_iter().collect()
}

fn mac_addr(m: &Mac) -> MacAddr {
    MacAddr(m.0)
}

fn model_mac(m: MacAddr) -> Mac {
    Mac(m.0)
}

fn ifname(s: &str) -> Option<IfName> {
    IfName::new(s).ok()
}

/// The IPv6 link-local range (fe80::/10), which the kernel adds by itself.
fn is_link_local(c: &Cidr) -> bool {
    match c.addr {
        std::net::IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
        std::net::IpAddr::V4(_) => false,
    }
}

/// `have` reordered like `want`: wanted entries present first in `want`'s order,
/// then the rest as found, so equal sets compare equal.
fn order_like<T: PartialEq + Clone>(want: &[T], have: &[T]) -> Vec<T> {
    let mut out: Vec<T> = want.iter().filter(|w| have.contains(w)).cloned().collect();
    out.extend(have.iter().filter(|h| !want.contains(h)).cloned());
    out
}

/// The MTU to report: only when the desired value sets one (the kernel default
/// is not something the config said).
fn observed_mtu(want: Option<u32>, actual: u32) -> Option<u32> {
    want.map(|_| actual)
}

/// Requests that turn the addresses `before` on `index` into `after` (IPv6 without
/// duplicate address detection, so they are usable at once).
fn address_delta<'a>(
    index: u32,
    before: &[Cidr],
    after: &[Cidr],
) -> Result<Vec<crate::conn::Request<'a>>> {
    use crate::address::AddrOptions;
    use crate::conn::Request;
    // Adds first: an interface that never loses its last IPv4 address keeps its
    // routes (the kernel flushes them with the last address).
    let mut reqs = Vec::new();
    for c in after.iter().filter(|c| !before.contains(c)) {
        reqs.push(Request::add_address(
            index,
            c.addr,
            c.prefix,
            AddrOptions { nodad: true },
        )?);
    }
    for c in before.iter().filter(|c| !after.contains(c)) {
        reqs.push(Request::delete_address(index, c.addr, c.prefix)?);
    }
    Ok(reqs)
}

/// `commands` lines for an address delta on interface `on`.
fn address_delta_lines(on: &str, before: &[Cidr], after: &[Cidr]) -> Vec<String> {
    let mut out: Vec<String> = after
        .iter()
        .filter(|c| !before.contains(c))
        .map(|c| {
            let nodad = if c.is_v4() { "" } else { " nodad" };
            format!("add address {c} to {on}{nodad}")
        })
        .collect();
    out.extend(
        before
            .iter()
            .filter(|c| !after.contains(c))
            .map(|c| format!("delete address {c} from {on}")),
    );
    out
}
