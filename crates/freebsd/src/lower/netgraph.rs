//! Netgraph switches (ng_bridge + an ng_eiface for the host side, seed 002) and their
//! NICs: node naming and teardown. Creation needs answers from the kernel between steps
//! (which `ngethX` a new eiface got, which bridge links are free), so the backend drives
//! it; see `backend.rs`.

use crate::exec::Step;
use jailnet_host::Invocation;

/// The netgraph node name for interface `ifname` (node names cannot hold `.`).
pub fn node_name(ifname: &str) -> String {
    ifname.replace(['.', ':', '[', ']'], "_")
}

/// The ng_bridge node of the netgraph switch whose host interface is `ifname`.
pub fn bridge_node(ifname: &str) -> String {
    format!("{}_br", node_name(ifname))
}

fn ngctl<I: IntoIterator<Item = S>, S: Into<String>>(args: I) -> Invocation {
    Invocation::new("ngctl", args)
}

/// Shut down the bridge, then the host-side eiface (which takes its interface with it).
pub(crate) fn delete_switch(ifname: &str) -> Vec<Step> {
    vec![
        Step::new(ngctl([
            "shutdown".to_string(),
            format!("{}:", bridge_node(ifname)),
        ])),
        Step::new(ngctl([
            "shutdown".to_string(),
            format!("{}:", node_name(ifname)),
        ])),
    ]
}

/// Shut down a NIC's eiface node (its interface disappears from the jail with it).
pub(crate) fn delete_nic(node: &str) -> Vec<Step> {
    vec![Step::new(ngctl([
        "shutdown".to_string(),
        format!("{}:", node_name(node)),
    ]))]
}
