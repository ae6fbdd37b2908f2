//! Bridges (if_bridge). Port membership and the `isolated` port flag are
//! per-link changes and live in `link.rs` (`set_master`, `set_isolated`).

use netlink_packet_route::link::{InfoBridge, InfoData, InfoKind, LinkInfo};
use netlink_packet_route::RouteNetlinkMessage;

use crate::conn::{Netlink, Request};
use crate::error::Result;
use crate::link::{new_link_message, CREATE_FLAGS};
use crate::types::{check_ifname, MacAddr};

/// A bridge to create. STP stays off (the kernel default), so ports forward as
/// soon as they are up. IGMP/MLD snooping is off, as on FreeBSD's if_bridge:
/// multicast floods to every port, and a port coming up does not restart the
/// multicast state of every other port (`br_port_state_selection` →
/// `br_multicast_enable_port` per port: O(ports) per new jail otherwise).
#[derive(Debug, Clone, Copy)]
pub struct BridgeSpec<'a> {
    pub name: &'a str,
    pub mtu: Option<u32>,
    pub mac: Option<MacAddr>,
}

impl<'a> BridgeSpec<'a> {
    /// A bridge with kernel defaults.
    pub fn new(name: &'a str) -> BridgeSpec<'a> {
        BridgeSpec {
            name,
            mtu: None,
            mac: None,
        }
    }
}

impl<'a> Request<'a> {
    /// `ip link add NAME [mtu N] [address MAC] type bridge`.
    pub fn create_bridge(spec: &BridgeSpec<'_>) -> Result<Request<'a>> {
        check_ifname(spec.name)?;
        let msg = new_link_message(
            spec.name,
            spec.mtu,
            spec.mac,
            vec![
                LinkInfo::Kind(InfoKind::Bridge),
                LinkInfo::Data(InfoData::Bridge(vec![InfoBridge::MulticastSnooping(false)])),
            ],
        );
        Ok(Request::new(
            RouteNetlinkMessage::NewLink(msg),
            CREATE_FLAGS,
            format!("create bridge {}", spec.name),
        ))
    }
}

impl Netlink {
    /// Create a bridge.
    pub fn create_bridge(&mut self, spec: &BridgeSpec<'_>) -> Result<()> {
        self.execute(Request::create_bridge(spec)?)
    }
}
