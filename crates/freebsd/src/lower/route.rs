//! Default routes inside a VNET jail: `jexec J route add [-inet6] default GW`, `route
//! delete [-inet6] default`; a new gateway is delete + add. A pinned gateway (on a switch
//! with secure NICs): `jexec J arp -S GW MAC` / `ndp -s GW MAC`, a permanent entry no
//! forged ARP/NDP answer replaces; `arp -d` / `ndp -d` removes it.

use super::guard::{neighbour_del, neighbour_set};
use crate::exec::Step;
use jailnet_host::Invocation;
use std::net::IpAddr;

fn route(jail: &str, verb: &str, v6: bool, gw: Option<IpAddr>) -> Invocation {
    let mut a = vec![verb.to_string()];
    if v6 {
        a.push("-inet6".into());
    }
    a.push("default".into());
    a.extend(gw.map(|g| g.to_string()));
    Invocation::new("route", a).in_jail(jail)
}

pub(crate) fn add(jail: &str, v6: bool, gw: IpAddr) -> Vec<Step> {
    vec![Step::new(route(jail, "add", v6, Some(gw)))]
}

pub(crate) fn delete(jail: &str, v6: bool) -> Vec<Step> {
    vec![Step::new(route(jail, "delete", v6, None))]
}

pub(crate) fn change(jail: &str, v6: bool, old: IpAddr, new: IpAddr) -> Vec<Step> {
    vec![
        Step::new(route(jail, "delete", v6, None)).undo(route(jail, "add", v6, Some(old))),
        Step::new(route(jail, "add", v6, Some(new))),
    ]
}

/// `jexec J arp -S GW MAC` (IPv4) or `jexec J ndp -s GW MAC` (IPv6).
pub(crate) fn pin(jail: &str, gw: IpAddr, mac: &str) -> Vec<Step> {
    vec![Step::new(neighbour_set(&gw, mac).in_jail(jail)).undo(neighbour_del(&gw).in_jail(jail))]
}

/// `jexec J arp -d GW` / `ndp -d GW`.
pub(crate) fn unpin(jail: &str, gw: IpAddr) -> Vec<Step> {
    vec![Step::new(neighbour_del(&gw).in_jail(jail))]
}
