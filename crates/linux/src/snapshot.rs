//! One namespace read for observation: some links by name (index and MAC only, by
//! ioctl), every address in one dump, then the main table's routes of the families asked
//! for in another. A jail namespace is read this way, a thousand of them on every `up`.

use crate::address::Address;
use crate::conn::Netlink;
use crate::error::Result;
use crate::link::Link;
use crate::route::Route;

/// What [`Netlink::snapshot`] read.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The links asked for that exist: name, index and MAC only.
    pub links: Vec<Link>,
    /// Every address in the namespace.
    pub addrs: Vec<Address>,
    /// The main table's routes of the families asked for.
    pub routes: Vec<Route>,
}

/// Which families' routes [`Netlink::snapshot`] reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteFamilies {
    pub v4: bool,
    pub v6: bool,
}

impl Netlink {
    /// Links `names` (those that exist; see [`Netlink::link_brief`]), every address, and
    /// the main table's routes of `routes`' families (none: no route dump).
    /// With routes, the connection is left checking reads strictly, which lets the kernel
    /// leave other tables out (only reads are checked; jailnet's are all valid so).
    pub fn snapshot(&mut self, names: &[&str], routes: RouteFamilies) -> Result<Snapshot> {
        if (routes.v4 || routes.v6) && !self.strict_check() {
            // Best effort: without (Linux < 4.20), the other tables' routes are dropped here.
            let _ = self.set_strict_check(true);
        }
        let mut links = Vec::with_capacity(names.len());
        for n in names {
            links.extend(self.link_brief(n)?);
        }
        let addrs = self.addresses()?;
        let routes = match (routes.v4, routes.v6) {
            (false, false) => Vec::new(),
            (true, true) => self.main_routes(None)?,
            (v4, _) => self.main_routes(Some(!v4))?,
        };
        Ok(Snapshot {
            links,
            addrs,
            routes,
        })
    }
}
