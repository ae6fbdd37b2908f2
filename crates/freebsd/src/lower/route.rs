//! Default routes inside a VNET jail: `jexec J route add [-inet6] default GW`, `route
//! delete [-inet6] default`; a new gateway is delete + add. A pinned gateway (on a switch
//! with secure NICs): `jexec J arp -S GW MAC` / `ndp -s GW MAC`, a permanent entry no
//! forged ARP/NDP answer replaces; `arp -d` / `ndp -d` removes it.

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
    let (prog, flag) = neighbour_tool(gw, true);
    let g = gw.to_string();
    vec![
        Step::new(Invocation::new(prog, [flag, g.as_str(), mac]).in_jail(jail))
            .undo(unpin_inv(jail, gw)),
    ]
}

/// `jexec J arp -d GW` / `ndp -d GW`.
pub(crate) fn unpin(jail: &str, gw: IpAddr) -> Vec<Step> {
    vec![Step::new(unpin_inv(jail, gw))]
}

fn unpin_inv(jail: &str, gw: IpAddr) -> Invocation {
    let (prog, flag) = neighbour_tool(gw, false);
    Invocation::new(prog, [flag.to_string(), gw.to_string()]).in_jail(jail)
}

/// The tool and its set (`-S`/`-s`) or delete (`-d`) flag for `gw`'s family.
fn neighbour_tool(gw: IpAddr, set: bool) -> (&'static str, &'static str) {
    match (gw.is_ipv4(), set) {
        (true, true) => ("arp", "-S"),
        (false, true) => ("ndp", "-s"),
        (true, false) => ("arp", "-d"),
        (false, false) => ("ndp", "-d"),
    }
}
