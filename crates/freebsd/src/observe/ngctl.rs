//! `ngctl list [-l]`, `ngctl show NODE:` and `ngctl msg NODE: getifname` output, and what
//! they say about jailnet's netgraph switches, uplinks and NICs (node names from
//! [`crate::lower::netgraph`]).

use crate::error::Error;
use crate::lower::netgraph::{bridge_node, eiface_node, ether_node};
use jailnet_host::Invocation;
use jailnet_plan::resource::SwitchImpl;
use jailnet_plan::Resource;

/// Whether `scope` holds a netgraph switch or NIC, or a guard (its ARP filter is a
/// netgraph node), so `ngctl list -l` is worth running.
pub fn in_scope(scope: &[&Resource]) -> bool {
    scope.iter().any(|r| {
        matches!(
            r,
            Resource::Switch {
                imp: SwitchImpl::Netgraph,
                ..
            } | Resource::Nic {
                switch_imp: SwitchImpl::Netgraph,
                ..
            } | Resource::Guard { .. }
        )
    })
}

/// The names of the secure ports' ARP filter nodes that are spliced in (an ng_bpf node of
/// jailnet's name with both hooks connected).
pub fn arp_filters(nodes: &[NgNode]) -> std::collections::BTreeSet<String> {
    nodes
        .iter()
        .filter(|n| n.kind == "bpf" && n.hooks == 2)
        .filter_map(|n| n.name.clone())
        .filter(|n| n.starts_with(crate::lower::arp_filter::PREFIX))
        .collect()
}

/// `ngctl list -l`: every node with its hooks, in one call.
pub fn list_long() -> Invocation {
    Invocation::new("ngctl", ["list", "-l"])
}

/// One node of `ngctl list` / `show`; `links` only when hooks were listed (`-l`, `show`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NgNode {
    /// `None` for `<unnamed>`.
    pub name: Option<String>,
    pub kind: String,
    pub id: u32,
    pub hooks: u32,
    pub links: Vec<NgHook>,
}

/// One row of a node's hook table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NgHook {
    pub hook: String,
    /// `None` for `<unnamed>`.
    pub peer: Option<String>,
    pub peer_kind: String,
    pub peer_id: u32,
    pub peer_hook: String,
}

/// `  Name: NAME   Type: TYPE   ID: 0000001e   Num hooks: 1` lines, each followed (with
/// `list -l` and `show`) by a table of `  HOOK  PEERNAME  PEERTYPE  PEERID  PEERHOOK` rows
/// under a header and a dashed line. Names longer than their column push the others
/// right, so rows are split on whitespace.
pub fn parse_list(text: &str) -> Result<Vec<NgNode>, Error> {
    let mut out: Vec<NgNode> = Vec::new();
    let unnamed = |n: &str| (n != "<unnamed>").then(|| n.to_string());
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let bad = || Error::parse("ngctl list line", line.to_string());
        match w.as_slice() {
            ["Name:", name, "Type:", kind, "ID:", id, "Num", "hooks:", hooks] => out.push(NgNode {
                name: unnamed(name),
                kind: kind.to_string(),
                id: u32::from_str_radix(id, 16).map_err(|_| bad())?,
                hooks: hooks.parse().map_err(|_| bad())?,
                links: Vec::new(),
            }),
            [hook, peer, kind, id, peer_hook] if is_id(id) => {
                let node = out.last_mut().ok_or_else(bad)?;
                node.links.push(NgHook {
                    hook: hook.to_string(),
                    peer: unnamed(peer),
                    peer_kind: kind.to_string(),
                    peer_id: u32::from_str_radix(id, 16).map_err(|_| bad())?,
                    peer_hook: peer_hook.to_string(),
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A hook row's peer ID column: eight hex digits (the header says `Peer ID`, the count line
/// `total nodes:`).
fn is_id(w: &str) -> bool {
    w.len() == 8 && w.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The node called `name`.
pub fn node<'a>(nodes: &'a [NgNode], name: &str) -> Option<&'a NgNode> {
    nodes.iter().find(|n| n.name.as_deref() == Some(name))
}

/// The link numbers in use on a bridge (`linkN` hooks).
pub fn used_links(bridge: &NgNode) -> Vec<u32> {
    bridge
        .links
        .iter()
        .filter_map(|h| h.hook.strip_prefix("link")?.parse().ok())
        .collect()
}

/// Whether `member`'s ng_ether has both `lower` and `upper` on the netgraph bridge of
/// switch `switch`; `None` when there is no such bridge (not a netgraph switch).
pub fn member_on(nodes: &[NgNode], switch: &str, member: &str) -> Option<bool> {
    let br = node(nodes, &bridge_node(switch))?;
    let eth = ether_node(member);
    let hooked = |h: &str| {
        br.links.iter().any(|l| {
            l.peer.as_deref() == Some(eth.as_str()) && l.peer_kind == "ether" && l.peer_hook == h
        })
    };
    Some(hooked("lower") && hooked("upper"))
}

/// Whether `r` is a netgraph NIC whose eiface node (named by jailnet, on the host) exists:
/// jailnet's, like a tagged interface.
pub fn owns(nodes: &[NgNode], r: &Resource) -> bool {
    match r {
        Resource::Nic {
            switch_imp: SwitchImpl::Netgraph,
            host_ifname,
            ..
        } => node(nodes, &eiface_node(host_ifname.as_str())).is_some(),
        _ => false,
    }
}

/// Whether the eiface behind host interface `ifname` is hooked to the netgraph bridge of
/// switch `switch`; `None` when there is no such eiface.
pub fn eiface_on(nodes: &[NgNode], ifname: &str, switch: &str) -> Option<bool> {
    let eif = node(nodes, &eiface_node(ifname)).filter(|n| n.kind == "eiface")?;
    let br = bridge_node(switch);
    Some(eif.links.iter().any(|l| {
        l.hook == "ether" && l.peer.as_deref() == Some(br.as_str()) && l.peer_kind == "bridge"
    }))
}

/// The interface name in a `getifname` response (`Args:\t"ngeth0"`).
pub fn parse_ifname(text: &str) -> Result<String, Error> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Args:"))
        .map(|a| a.trim().trim_matches('"').to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::parse("ngctl getifname response", text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_list_has_each_nodes_hooks() {
        let text = "There are 3 total nodes:\n  Name: em0             Type: ether           ID: 00000001   Num hooks: 2\n  Local hook      Peer name       Peer type    Peer ID         Peer hook      \n  ----------      ---------       ---------    -------         ---------      \n  lower           jailnet_br_lan  bridge       00000003        link1          \n  upper           jailnet_br_lan  bridge       00000003        link2          \n  Name: jailnet_br_lan  Type: bridge          ID: 00000003   Num hooks: 3\n\n  Local hook      Peer name       Peer type    Peer ID         Peer hook      \n  ----------      ---------       ---------    -------         ---------      \n  link0           jailnet_if_lan  eiface       00000002        ether          \n  link1           em0             ether        00000001        lower          \n  link2           em0             ether        00000001        upper          \n  Name: jailnet_if_lan  Type: eiface          ID: 00000002   Num hooks: 1\n  Local hook      Peer name       Peer type    Peer ID         Peer hook      \n  ----------      ---------       ---------    -------         ---------      \n  ether           jailnet_br_lan  bridge       00000003        link0          \n";
        let n = parse_list(text).unwrap();
        assert_eq!(n.len(), 3);
        assert_eq!(n[0].links.len(), 2);
        assert_eq!(used_links(&n[1]), [0, 1, 2]);
        assert_eq!(member_on(&n, "lan", "em0"), Some(true));
        assert_eq!(member_on(&n, "lan", "em1"), Some(false));
        assert_eq!(member_on(&n, "wan", "em0"), None);
        assert_eq!(eiface_on(&n, "lan", "lan"), Some(true));
        assert_eq!(eiface_on(&n, "lan", "other"), Some(false));
        assert_eq!(eiface_on(&n, "www-vnet0", "lan"), None);
    }

    #[test]
    fn list_from_the_seed_002_session() {
        let text = "There are 6 total nodes:\n  Name: ng_host         Type: eiface          ID: 00000007   Num hooks: 1\n  Name: <unnamed>       Type: bridge          ID: 0000001e   Num hooks: 1\n";
        let n = parse_list(text).unwrap();
        assert_eq!(n[0].name.as_deref(), Some("ng_host"));
        assert_eq!(
            (n[1].name.clone(), n[1].id, n[1].kind.as_str()),
            (None, 0x1e, "bridge")
        );
        let r = "Rec'd response \"getifname\" (1) from \"[7]:\":\nArgs:\t\"ngeth0\"\n";
        assert_eq!(parse_ifname(r).unwrap(), "ngeth0");
        assert!(parse_ifname("nothing").is_err());
    }
}
