//! veth pairs (the Linux epair), with the peer born directly inside another
//! namespace in the same request that creates the pair.

use std::os::fd::AsRawFd;

use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

use crate::conn::{Netlink, Request};
use crate::error::Result;
use crate::link::{new_link_message, CREATE_FLAGS};
use crate::netns::NsFd;
use crate::types::{check_ifname, MacAddr};

/// A veth pair to create. The near end lives in the connection's namespace; the
/// peer is created in `peer_netns` (or next to the near end when `None`).
#[derive(Debug, Clone, Copy)]
pub struct VethSpec<'a> {
    pub name: &'a str,
    pub mac: Option<MacAddr>,
    pub mtu: Option<u32>,
    /// Bridge index to enslave the near end to, in the same request.
    pub master: Option<u32>,
    pub peer_name: &'a str,
    pub peer_mac: Option<MacAddr>,
    pub peer_netns: Option<&'a NsFd>,
    /// The interface index both ends ask for (each in its own namespace); the kernel
    /// refuses the request (`EEXIST` or `EBUSY`) if either is taken. `None`: it picks.
    pub index: Option<u32>,
}

impl<'a> VethSpec<'a> {
    /// A pair `name` ↔ `peer_name`, both in the connection's namespace, no options.
    pub fn new(name: &'a str, peer_name: &'a str) -> VethSpec<'a> {
        VethSpec {
            name,
            mac: None,
            mtu: None,
            master: None,
            peer_name,
            peer_mac: None,
            peer_netns: None,
            index: None,
        }
    }
}

impl<'a> Request<'a> {
    /// `ip link add NAME [index I] [address MAC] [mtu N] [master BR] type veth peer
    /// name PEER [index I] [address MAC] [netns NS]` — one `RTM_NEWLINK`.
    pub fn create_veth(spec: &VethSpec<'a>) -> Result<Request<'a>> {
        check_ifname(spec.name)?;
        check_ifname(spec.peer_name)?;
        let mut peer = LinkMessage::default();
        peer.attributes
            .push(LinkAttribute::IfName(spec.peer_name.to_string()));
        if let Some(m) = spec.peer_mac {
            peer.attributes.push(LinkAttribute::Address(m.0.to_vec()));
        }
        if let Some(mtu) = spec.mtu {
            peer.attributes.push(LinkAttribute::Mtu(mtu));
        }
        if let Some(ns) = spec.peer_netns {
            peer.attributes.push(LinkAttribute::NetNsFd(ns.as_raw_fd()));
        }
        // One queue each way, asked for: the kernel's default is one queue per CPU
        // trimmed to one after registration, which waits for an RCU grace period
        // (`synchronize_rcu_expedited`) per end.
        let queues = [LinkAttribute::NumTxQueues(1), LinkAttribute::NumRxQueues(1)];
        peer.attributes.extend(queues.clone());
        if let Some(i) = spec.index {
            peer.header.index = i;
        }
        let mut msg = new_link_message(
            spec.name,
            spec.mtu,
            spec.mac,
            vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
            ],
        );
        msg.attributes.extend(queues);
        if let Some(i) = spec.index {
            msg.header.index = i;
        }
        if let Some(m) = spec.master {
            msg.attributes.push(LinkAttribute::Controller(m));
        }
        let where_ = spec
            .peer_netns
            .map(|ns| format!(" in {}", ns.label()))
            .unwrap_or_default();
        Ok(Request::new(
            RouteNetlinkMessage::NewLink(msg),
            CREATE_FLAGS,
            format!(
                "create veth {} (peer {}{where_})",
                spec.name, spec.peer_name
            ),
        ))
    }
}

impl Netlink {
    /// Create a veth pair (see [`VethSpec`]).
    pub fn create_veth(&mut self, spec: &VethSpec<'_>) -> Result<()> {
        self.execute(Request::create_veth(spec)?)
    }
}
