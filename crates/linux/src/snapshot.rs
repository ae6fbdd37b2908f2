//! One namespace read for observation in at most two round trips: some links by name
//! together with every address, then the main table's routes of the families asked for.
//! A jail namespace is read this way, a thousand of them on every `up`.

use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask};
use netlink_packet_route::RouteNetlinkMessage;

use crate::address::Address;
use crate::conn::Netlink;
use crate::error::Result;
use crate::link::{link_message, Link};
use crate::route::Route;
use crate::types::LinkRef;

/// What [`Netlink::snapshot`] read.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The links asked for that exist.
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
    /// Links `names` (those that exist) and every address in one round trip, then the
    /// main table's routes of `routes`' families (none: no second round trip).
    /// With routes, the connection is left checking reads strictly, which lets the kernel
    /// leave other tables out (only reads are checked; jailnet's are all valid so).
    pub fn snapshot(&mut self, names: &[&str], routes: RouteFamilies) -> Result<Snapshot> {
        if (routes.v4 || routes.v6) && !self.strict_check() {
            // Best effort: without (Linux < 4.20), the other tables' routes are dropped here.
            let _ = self.set_strict_check(true);
        }
        let gets: Vec<RouteNetlinkMessage> = names
            .iter()
            .map(|n| {
                let mut msg = link_message(LinkRef::Name(n));
                msg.attributes
                    .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
                RouteNetlinkMessage::GetLink(msg)
            })
            .collect();
        let (links, addrs) = self.gets_then_dump(
            &gets,
            RouteNetlinkMessage::GetAddress(AddressMessage::default()),
            "read links and addresses",
            Link::from_raw,
            Address::from_raw,
        )?;
        let mut found = Vec::with_capacity(links.len());
        for l in links {
            match l {
                Ok(Some(l)) => found.push(l),
                Ok(None) => {}
                Err(e) if e.errno() == Some(libc::ENODEV) => {}
                Err(e) => return Err(e),
            }
        }
        let routes = match (routes.v4, routes.v6) {
            (false, false) => Vec::new(),
            (true, true) => self.main_routes(None)?,
            (v4, _) => self.main_routes(Some(!v4))?,
        };
        Ok(Snapshot {
            links: found,
            addrs,
            routes,
        })
    }
}
