//! Deferred veth teardown. Deleting a veth costs the kernel a wait for RCU
//! (~20 ms) per `RTM_DELLINK`, however the requests are packed; one request that
//! deletes a whole link group, or deleting the namespaces that hold the jail
//! ends, unregisters them all as one batch. So a NIC delete only marks its host
//! end; when its jail's namespace is deleted in the same apply the pair goes with
//! it, and [`settle`] (at commit, and before anything that could see or reuse the
//! name: a create, an observe) moves what is still marked into [`DOOMED_GROUP`]
//! and deletes that group in one request, then waits until the kernel has really
//! removed the rest, deleting stragglers itself after a while (a namespace kept
//! alive by some process).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::{first_error, ignore_missing, LinuxBackend};
use crate::conn::{Netlink, Request};
use crate::error::Result;
use crate::types::LinkRef;

/// The link group marked host ends are moved to, then deleted as one.
pub const DOOMED_GROUP: u32 = 0x6a6e_6c64;

/// How long to wait for the kernel to remove the veths of deleted namespaces
/// before deleting them one by one.
const VANISH_TIMEOUT: Duration = Duration::from_secs(10);

/// Host ends of NICs being deleted.
#[derive(Debug, Default)]
pub(super) struct Doomed {
    /// Host end → its jail's namespace: deleted at [`settle`] unless the
    /// namespace goes first.
    pending: BTreeMap<String, String>,
    /// Host ends whose jail namespace was deleted: waited for at [`settle`].
    vanishing: BTreeSet<String>,
}

impl Doomed {
    /// Whether nothing is marked.
    pub(super) fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.vanishing.is_empty()
    }

    /// Mark host end `host_ifname` (of a NIC in namespace `netns`) for deletion.
    pub(super) fn mark(&mut self, host_ifname: &str, netns: &str) {
        self.pending
            .insert(host_ifname.to_string(), netns.to_string());
    }

    /// Namespace `netns` was deleted: its NICs' pairs go with it.
    pub(super) fn netns_gone(&mut self, netns: &str) {
        let gone: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, ns)| ns.as_str() == netns)
            .map(|(h, _)| h.clone())
            .collect();
        for h in gone {
            self.pending.remove(&h);
            self.vanishing.insert(h);
        }
    }
}

/// Delete every marked host end whose namespace did not go, in one batch, then
/// wait until the kernel has removed the ends of deleted namespaces.
pub(super) fn settle(b: &mut LinuxBackend) -> Result<()> {
    if b.doomed.is_empty() {
        return Ok(());
    }
    let pending: Vec<String> = std::mem::take(&mut b.doomed.pending).into_keys().collect();
    let mut vanishing = std::mem::take(&mut b.doomed.vanishing);
    let host = b.host()?;
    delete_all(&mut host.nl, pending.iter())?;
    let start = Instant::now();
    while !vanishing.is_empty() {
        let links = host.nl.links()?;
        let alive: BTreeSet<String> = links.into_iter().map(|l| l.name).collect();
        vanishing.retain(|h| alive.contains(h));
        if vanishing.is_empty() {
            break;
        }
        if start.elapsed() > VANISH_TIMEOUT {
            delete_all(&mut host.nl, vanishing.iter())?;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// Delete links `names` (gone ones are fine): into [`DOOMED_GROUP`], then the
/// group in one request, all in one datagram.
fn delete_all<'n>(nl: &mut Netlink, names: impl Iterator<Item = &'n String>) -> Result<()> {
    let mut reqs: Vec<Request> = names
        .map(|h| Request::set_group(LinkRef::Name(h), DOOMED_GROUP))
        .collect();
    if reqs.is_empty() {
        return Ok(());
    }
    reqs.push(Request::delete_group(DOOMED_GROUP));
    let results = nl.execute_batch(reqs);
    first_error(results.into_iter().map(ignore_missing).collect())
}
