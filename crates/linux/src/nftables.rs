//! Which nftables tables exist, asked over `NETLINK_NETFILTER` (`NFT_MSG_GETTABLE` dump)
//! instead of an `nft` process: observing a host without jailnet's tables then spawns
//! nothing. Rules are still read and written with `nft` (see `backend/firewall.rs`).

use std::collections::BTreeSet;
use std::ffi::CStr;

use netlink_packet_core::NlasIterator;
use netlink_sys::{Socket, SocketAddr};

use crate::error::{Error, Result};
use crate::netns::NsFd;

const NETLINK_NETFILTER: isize = 12;
const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_GETTABLE: u16 = 1;
const NFTA_TABLE_NAME: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_DUMP: u16 = 0x300;

/// `NFPROTO_INET` and `NFPROTO_BRIDGE`, the families jailnet's tables live in.
pub const FAMILY_INET: u8 = 1;
pub const FAMILY_BRIDGE: u8 = 7;

/// (family, name) of every nftables table, in namespace `ns` (the caller's when `None`).
pub fn tables(ns: Option<&NsFd>) -> Result<BTreeSet<(u8, String)>> {
    let socket = match ns {
        Some(ns) => ns.run(open)??,
        None => open()?,
    };
    let seq: u32 = 1;
    let mut req = Vec::with_capacity(20);
    req.extend_from_slice(&20u32.to_ne_bytes());
    req.extend_from_slice(&((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE).to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&seq.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    // nfgenmsg: any family, version 0, resource id 0.
    req.extend_from_slice(&[0, 0, 0, 0]);
    socket
        .send(&req, 0)
        .map_err(|e| Error::socket("send NFT_MSG_GETTABLE", e))?;
    let op = "list nftables tables";
    let mut out = BTreeSet::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = socket
            .recv(&mut &mut buf[..], 0)
            .map_err(|e| Error::socket("receive nftables tables", e))?;
        for msg in crate::conn::split_datagram(&buf[..n], op)? {
            match crate::conn::raw_header(msg).0 {
                NLMSG_DONE => return Ok(out),
                NLMSG_ERROR => {
                    let code = msg
                        .get(16..20)
                        .map_or(0, |c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]));
                    if code != 0 {
                        return Err(crate::conn::kernel_error(op, -code, None));
                    }
                }
                k if k == (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE => {
                    if let Some(t) = table(msg) {
                        out.insert(t);
                    }
                }
                _ => {}
            }
        }
    }
}

fn open() -> Result<Socket> {
    let mut s = Socket::new(NETLINK_NETFILTER)
        .map_err(|e| Error::socket("socket(NETLINK_NETFILTER)", e))?;
    s.bind_auto().map_err(|e| Error::socket("bind", e))?;
    s.connect(&SocketAddr::new(0, 0))
        .map_err(|e| Error::socket("connect", e))?;
    Ok(s)
}

/// The family and name of one `NFT_MSG_NEWTABLE` message (netlink header, nfgenmsg,
/// then attributes).
fn table(msg: &[u8]) -> Option<(u8, String)> {
    let family = *msg.get(16)?;
    for nla in NlasIterator::new(msg.get(20..)?) {
        let nla = nla.ok()?;
        if nla.kind() & 0x3fff == NFTA_TABLE_NAME {
            let name = CStr::from_bytes_until_nul(nla.value()).ok()?;
            return Some((family, name.to_str().ok()?.to_string()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newtable_message_gives_family_and_name() {
        let mut m = vec![0u8; 16];
        m.extend_from_slice(&[FAMILY_BRIDGE, 0, 0, 0]);
        let name = b"jailnet\0";
        m.extend_from_slice(&((4 + name.len()) as u16).to_ne_bytes());
        m.extend_from_slice(&NFTA_TABLE_NAME.to_ne_bytes());
        m.extend_from_slice(name);
        assert_eq!(table(&m), Some((FAMILY_BRIDGE, "jailnet".to_string())));
        assert_eq!(table(&m[..20]), None);
    }
}
