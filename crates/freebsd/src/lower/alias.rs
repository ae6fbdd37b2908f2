//! Shared-IP jail addresses as aliases on a host interface: `ifconfig IF inet A/LEN alias`
//! / `ifconfig IF inet6 A prefixlen LEN alias`, removed with `-alias`.

use super::{addr_words, ifconfig, unaddr_words};
use crate::exec::Step;
use jailnet_model::net::Cidr;

fn on(ifname: &str, words: Vec<String>) -> Vec<Step> {
    let mut w = vec![ifname.to_string()];
    w.extend(words);
    vec![Step::new(ifconfig(w))]
}

pub(crate) fn add(ifname: &str, c: &Cidr) -> Vec<Step> {
    on(ifname, addr_words(c))
}

pub(crate) fn delete(ifname: &str, c: &Cidr) -> Vec<Step> {
    on(ifname, unaddr_words(c))
}
