//! IPv6 router advertisements and jail NICs: a `slaac` NIC accepts them and configures
//! an address from the advertised prefix (`accept_ra=1`, `autoconf=1` inside the jail,
//! set before the link comes up; forwarding is off in a jail namespace, so the kernel
//! honours them). Every other NIC never receives one: a filter on its host end (the
//! bridge port) drops advertisements leaving the switch towards it — the switch's own
//! (dnsmasq advertising for a SLAAC jail) and any other jail's — so it gets no address or
//! default route nobody asked for. The filter costs two requests in the host's datagram
//! per NIC (a qdisc joining a shared block, and the block's filter, refused as existing
//! but for the first) and goes with the NIC; the sysctls would be a `/proc/sys` walk per
//! NIC, whose cost grows with the number of namespaces.

use crate::conn::{Netlink, Request};
use crate::error::{Error, Result};
use crate::netns::NsFd;
use crate::ra_filter;
use crate::sysctl;
use crate::types::LinkRef;

/// Let jail interface `nic` (inside `ns`) take router advertisements and autoconfigure.
pub(super) fn accept(ns: &NsFd, nic: &str) -> Result<()> {
    let dir = format!("net/ipv6/conf/{nic}");
    ns.run(|| sysctl::write_under(&dir, &[("accept_ra", "1"), ("autoconf", "1")]))?
}

/// The requests that make host link `index` (a NIC's host end, still down: grafting a
/// qdisc on a link that is up waits for an RCU grace period to deactivate its queues)
/// drop router advertisements leaving it: it joins the shared block, which gets the
/// filter if it has none yet. Their results go to [`filtered`].
pub(super) fn filter_requests<'a>(index: u32) -> [Request<'a>; 2] {
    [Request::join_ra_block(index), Request::add_ra_drop()]
}

/// The outcome of [`filter_requests`]: the filter already in the block is fine; a kernel
/// without the parts gets told what it lacks.
pub(super) fn filtered(index: u32, joined: Result<()>, filter: Result<()>) -> Result<()> {
    let filter = filter.or_else(|e| match e.is_exists() {
        true => Ok(()),
        false => Err(e),
    });
    joined.and(filter).map_err(|e| match e.errno() {
        Some(libc::ENOENT | libc::EOPNOTSUPP) => Error::Invalid {
            op: format!("keep router advertisements from link #{index}"),
            reason: format!("{e}; {HINT}"),
        },
        _ => e,
    })
}

/// [`filter_requests`], then bring the link up; one datagram.
pub(super) fn filter_and_up(host: &mut Netlink, index: u32) -> Result<()> {
    let mut reqs = filter_requests(index).to_vec();
    reqs.push(Request::set_up(LinkRef::Index(index), true));
    let mut done = host.execute_batch(reqs).into_iter();
    let mut next = || done.next().unwrap_or(Ok(()));
    let (joined, filter, up) = (next(), next(), next());
    filtered(index, joined, filter)?;
    up
}

/// What a kernel without the filter's parts needs.
const HINT: &str = "keeping router advertisements from a NIC that does not use SLAAC needs \
                    the kernel's clsact qdisc and BPF classifier (CONFIG_NET_SCH_INGRESS, \
                    CONFIG_NET_CLS_BPF; modules sch_ingress, cls_bpf)";

/// The `commands` lines for one NIC: host end `host`, jail end `nic` in `ns`.
pub(super) fn describe(host: &str, nic: &str, ns: &str, slaac: bool) -> Vec<String> {
    if slaac {
        return vec![format!(
            "write sysctl net.ipv6.conf.{nic}.accept_ra = 1, autoconf = 1 in netns {ns}"
        )];
    }
    vec![
        format!(
            "add qdisc clsact egress_block {} to link {host}",
            ra_filter::BLOCK
        ),
        format!(
            "add filter (drop router advertisements) to block {} unless there",
            ra_filter::BLOCK
        ),
    ]
}
