//! IPv6 router advertisements inside a jail: a `slaac` NIC accepts them and
//! configures an address from the advertised prefix (`accept_ra=1`,
//! `autoconf=1`; forwarding is off in a jail namespace, so the kernel honours
//! them); every other NIC ignores them (`0`, `0`), so a switch that advertises for
//! one jail gives no other jail an address nobody asked for. Set before the link
//! comes up, in one trip into the namespace.

use std::io;

use crate::error::{Error, Result};
use crate::netns::NsFd;
use crate::sysctl;

/// Set `accept_ra` and `autoconf` of jail interface `nic` for `slaac`.
pub(super) fn configure(ns: &NsFd, nic: &str, slaac: bool) -> Result<()> {
    let value = if slaac { "1" } else { "0" };
    let dir = format!("net/ipv6/conf/{nic}");
    let done =
        ns.run(|| sysctl::write_under(&dir, &[("accept_ra", value), ("autoconf", value)]))?;
    match done {
        // No IPv6 in this kernel: nothing to accept or ignore.
        Err(Error::Io { source, .. }) if !slaac && source.kind() == io::ErrorKind::NotFound => {
            Ok(())
        }
        other => other,
    }
}

/// The `commands` line for [`configure`].
pub(super) fn describe(nic: &str, ns: &str, slaac: bool) -> String {
    let v = u8::from(slaac);
    format!("write sysctl net.ipv6.conf.{nic}.accept_ra = {v}, autoconf = {v} in netns {ns}")
}
