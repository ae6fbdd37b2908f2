//! Several settings of one existing link in one `RTM_NEWLINK`: the kernel applies them in
//! one pass and announces the change once (each announcement of a veth's host end is
//! filled with its peer's namespace id, found by a walk over every namespace id), instead
//! of one request and one announcement per setting.

use netlink_packet_route::link::{
    AfSpecInet, AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InetDevConf, InfoBridgePort,
    InfoPortData, InfoPortKind, LinkAttribute, LinkInfo,
};
use netlink_packet_route::RouteNetlinkMessage;

use crate::conn::Request;
use crate::link::link_message;
use crate::types::LinkRef;

/// What to set; `None`/`false` leaves a setting as it is.
#[derive(Debug, Default, Clone, Copy)]
pub struct LinkSettings<'s> {
    /// `ifalias` (jailnet's tag).
    pub alias: Option<&'s str>,
    /// Bridge port `isolated` (the link must be a bridge port).
    pub isolated: Option<bool>,
    /// `addrgenmode none`: no IPv6 link-local (see [`Request::set_no_ipv6_autoconf`]).
    pub no_ipv6_autoconf: bool,
    /// IPv4 `promote_secondaries` (see [`Request::set_promote_secondaries`]).
    pub promote_secondaries: bool,
}

impl<'a> Request<'a> {
    /// `ip link set LINK [alias A] [addrgenmode none] [type bridge_slave isolated on|off]`
    /// plus `promote_secondaries`, as one request.
    pub fn configure_link(link: LinkRef<'_>, s: &LinkSettings<'_>) -> Request<'a> {
        let mut msg = link_message(link);
        let mut said = Vec::new();
        if let Some(alias) = s.alias {
            msg.attributes
                .push(LinkAttribute::IfAlias(alias.to_string()));
            said.push(format!("alias {alias:?}"));
        }
        let mut af = Vec::new();
        if s.promote_secondaries {
            let mut conf = InetDevConf::default();
            conf.promote_secondaries = 1;
            af.push(AfSpecUnspec::Inet(vec![AfSpecInet::DevConfRequest(conf)]));
            said.push("promote_secondaries 1".into());
        }
        if s.no_ipv6_autoconf {
            af.push(AfSpecUnspec::Inet6(vec![AfSpecInet6::AddrGenMode(
                In6AddrGenMode::None,
            )]));
            said.push("addrgenmode none".into());
        }
        if !af.is_empty() {
            msg.attributes.push(LinkAttribute::AfSpecUnspec(af));
        }
        if let Some(isolated) = s.isolated {
            msg.attributes.push(LinkAttribute::LinkInfo(vec![
                LinkInfo::PortKind(InfoPortKind::Bridge),
                LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::Isolated(
                    isolated,
                )])),
            ]));
            said.push(format!("isolated {}", if isolated { "on" } else { "off" }));
        }
        Request::new(
            RouteNetlinkMessage::NewLink(msg),
            0,
            format!("set link {link} {}", said.join(" ")),
        )
    }
}
