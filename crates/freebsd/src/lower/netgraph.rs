//! Netgraph switches (seed 002: an ng_bridge plus an ng_eiface for the host side), their
//! uplinks (an ng_ether's `lower`/`upper` hooks on bridge links) and their NICs (an
//! ng_eiface per NIC, moved into the jail): node names, and the steps of each phase.
//!
//! Creation needs the kernel's answers between steps — which `ngethN` a new eiface got
//! (`msg … getifname`) and which bridge links are free — so [`crate::phased`] runs these
//! phases one after the other; a dry run renders them with the placeholders `ngethN` and
//! `linkL`. The links in use come from the observation (`ngctl list -l` lists every
//! node's hooks) and what was created since; only when that is unknown or turned out
//! stale is the bridge asked (`ngctl show BR:`, one spawn more). Several ngctl commands go
//! in one call as a batch (`ngctl -f -`, commands on stdin): one control socket for the
//! whole batch, so `.` and relative paths through its hooks work, and it stops at the
//! first failing line (`ngctl: line N: error in file`), which tells which lines' undo
//! must run.
//!
//! Node names (≤ 31 chars, no `.` `:` `[` `]`, never all hex digits like an ID):
//! `jailnet_br_IF` for the ng_bridge of the switch whose host interface is IF and
//! `jailnet_if_IF` for the ng_eiface behind host interface IF (a switch's, or a NIC's by
//! its host name, kept when the interface moves into the jail and is renamed there); a
//! `.` in IF becomes `+`, which no interface name holds. ng_ether nodes are the kernel's:
//! the interface name with `.`/`:` as `_`.
//!
//! Spawns:
//! - switch: 2 (+1 per address after the first) — the batch `mkpeer . bridge tmp link1`,
//!   `name tmp BR`, `mkpeer BR: eiface link0 ether`, `name BR:link0 EIF`,
//!   `msg EIF: getifname`; then `ifconfig ngethN [inet A alias] name IF description …
//!   group jailnet [mtu M] up`. The bridge hangs off the batch's socket until the eiface
//!   holds it, so a batch failing early leaves nothing (the bridge shuts itself down).
//! - uplink: 1 — the batch `connect ETH: BR: lower linkA`, `connect ETH: BR: upper
//!   linkB`, `msg ETH: setpromisc 1`, `msg ETH: setautosrc 0` (frames of other MACs reach
//!   the bridge; the jails' source MACs are kept).
//! - NIC: 3 (+1 per address after the first) — the batch `mkpeer BR: eiface linkL ether`,
//!   `name BR:linkL EIF`, `msg EIF: set MAC`, `msg EIF: getifname`; `ifconfig ngethN name
//!   HOST description … group jailnet vnet J` (renamed and tagged on the host, moved in
//!   the same call); `jexec J ifconfig HOST [inet A alias] name NIC [mtu M] up`.
//!
//! Undo: shutting the NIC's or switch's eiface down (through `BR:linkL`, valid from the
//! moment it exists) removes its interface wherever it is; the switch's bridge then loses
//! its last hook and shuts down. An uplink's hooks are removed and ng_ether's promisc and
//! autosrc set back to their defaults (0 and 1).

use super::{addr_words, ifconfig, mtu_words, tag};
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_plan::Resource;

/// Prefix of every node jailnet names.
pub const NODE_PREFIX: &str = "jailnet_";

/// The ng_bridge node of the netgraph switch whose host interface is `ifname`.
pub fn bridge_node(ifname: &str) -> String {
    format!("{NODE_PREFIX}br_{}", safe(ifname))
}

/// The ng_eiface node behind host interface `ifname` (a switch's or a NIC's host name).
pub fn eiface_node(ifname: &str) -> String {
    format!("{NODE_PREFIX}if_{}", safe(ifname))
}

/// The ng_ether node the kernel made for interface `ifname`.
pub fn ether_node(ifname: &str) -> String {
    ifname.replace(['.', ':'], "_")
}

/// `.` cannot be in a node name; `+` cannot be in an interface name.
fn safe(ifname: &str) -> String {
    ifname.replace('.', "+")
}

/// `ngctl ARGS…`.
pub(crate) fn ngctl<I: IntoIterator<Item = S>, S: Into<String>>(args: I) -> Invocation {
    Invocation::new("ngctl", args)
}

/// `ngctl show NODE:` (the hooks of a node).
pub(crate) fn show(node: &str) -> Step {
    Step::new(ngctl(["show".to_string(), format!("{node}:")]))
}

/// `linkL`, or the placeholder `linkL` itself in a dry run.
fn link(n: Option<u32>) -> String {
    n.map_or_else(|| "linkL".to_string(), |n| format!("link{n}"))
}

/// Several ngctl commands in one call (`ngctl -f -`), each with what undoes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Batch {
    lines: Vec<(String, Vec<Invocation>)>,
}

impl Batch {
    fn line(mut self, words: &[&str], undo: Vec<Invocation>) -> Self {
        self.lines.push((words.join(" "), undo));
        self
    }

    /// The call, undone by every line's undo, newest line first.
    pub(crate) fn step(&self) -> Step {
        let mut text = String::new();
        for (l, _) in &self.lines {
            text.push_str(l);
            text.push('\n');
        }
        Step {
            inv: ngctl(["-f", "-"]).with_stdin(text),
            undo: self.undo_before(self.lines.len() + 1),
        }
    }

    /// The undo of lines `1..line` (1-based), newest first: what to run when line `line`
    /// failed and ngctl stopped there.
    pub(crate) fn undo_before(&self, line: usize) -> Vec<Invocation> {
        let n = line.saturating_sub(1).min(self.lines.len());
        self.lines[..n]
            .iter()
            .rev()
            .flat_map(|(_, u)| u.iter().cloned())
            .collect()
    }
}

/// The line ngctl stopped at, from `ngctl: line N: error in file`.
pub(crate) fn failed_line(stderr: &str) -> Option<usize> {
    stderr.lines().find_map(|l| {
        l.split_once("line ")?
            .1
            .split_once(": error in file")?
            .0
            .parse()
            .ok()
    })
}

/// Switch phase 1: the bridge, the host eiface on `link0`, and its interface name.
pub(crate) fn switch_batch(ifname: &str) -> Batch {
    let (br, eif) = (bridge_node(ifname), eiface_node(ifname));
    let (br_, eif_) = (format!("{br}:"), format!("{eif}:"));
    let at = format!("{br}:link0");
    Batch::default()
        .line(&["mkpeer", ".", "bridge", "tmp", "link1"], vec![])
        .line(&["name", "tmp", &br], vec![])
        .line(
            &["mkpeer", &br_, "eiface", "link0", "ether"],
            vec![ngctl(["shutdown", at.as_str()])],
        )
        .line(&["name", &at, &eif], vec![])
        .line(&["msg", &eif_, "getifname"], vec![])
}

/// Switch phase 2: `ngeth` (the kernel's name for the eiface) renamed, tagged, addressed
/// and up.
pub(crate) fn switch_host(r: &Resource, ngeth: Option<&str>) -> Vec<Step> {
    let Resource::Switch {
        ifname, mtu, addrs, ..
    } = r
    else {
        return Vec::new();
    };
    let mut words = vec![ngeth.unwrap_or("ngethN").to_string()];
    if let Some(first) = addrs.first() {
        words.extend(addr_words(first));
    }
    words.extend(["name".to_string(), ifname.to_string()]);
    words.extend(tag(r));
    words.extend(mtu_words(*mtu));
    words.push("up".into());
    let mut steps = vec![Step::new(ifconfig(words))];
    for a in addrs.iter().skip(1) {
        let mut w = vec![ifname.to_string()];
        w.extend(addr_words(a));
        steps.push(Step::new(ifconfig(w)));
    }
    steps
}

/// Uplink phase 2: `member`'s ng_ether hooked to bridge links `links` of `switch`.
pub(crate) fn member_batch(switch: &str, member: &str, links: Option<(u32, u32)>) -> Batch {
    let br = format!("{}:", bridge_node(switch));
    let eth = format!("{}:", ether_node(member));
    let (a, b) = match links {
        Some((a, b)) => (link(Some(a)), link(Some(b))),
        None => ("linkA".to_string(), "linkB".to_string()),
    };
    let msg = |m: &str, v: &str| ngctl(["msg", eth.as_str(), m, v]);
    let rmhook = |h: &str| ngctl(["rmhook", eth.as_str(), h]);
    Batch::default()
        .line(&["connect", &eth, &br, "lower", &a], vec![rmhook("lower")])
        .line(&["connect", &eth, &br, "upper", &b], vec![rmhook("upper")])
        .line(
            &["msg", &eth, "setpromisc", "1"],
            vec![msg("setpromisc", "0")],
        )
        .line(
            &["msg", &eth, "setautosrc", "0"],
            vec![msg("setautosrc", "1")],
        )
}

/// NIC phase 2: its eiface on bridge link `link`, named, with the NIC's MAC.
pub(crate) fn nic_batch(r: &Resource, at: Option<u32>) -> Batch {
    let Resource::Nic {
        host_ifname,
        switch,
        mac,
        ..
    } = r
    else {
        return Batch::default();
    };
    let br = bridge_node(switch.as_str());
    let eif = format!("{}:", eiface_node(host_ifname.as_str()));
    let hook = link(at);
    let path = format!("{br}:{hook}");
    let mac = mac.to_string();
    Batch::default()
        .line(
            &["mkpeer", &format!("{br}:"), "eiface", &hook, "ether"],
            vec![ngctl(["shutdown", path.as_str()])],
        )
        .line(&["name", &path, &eiface_node(host_ifname.as_str())], vec![])
        .line(&["msg", &eif, "set", &mac], vec![])
        .line(&["msg", &eif, "getifname"], vec![])
}

/// NIC phase 3: `ngeth` renamed and tagged on the host and moved into the jail in one
/// call, then configured inside with one `jexec` (+1 per address after the first).
pub(crate) fn nic_rest(r: &Resource, ngeth: Option<&str>) -> Vec<Step> {
    let Resource::Nic {
        jail,
        name,
        host_ifname,
        mtu,
        addrs,
        slaac,
        ..
    } = r
    else {
        return Vec::new();
    };
    let j = jail.as_str();
    let mut host = vec![
        ngeth.unwrap_or("ngethN").to_string(),
        "name".into(),
        host_ifname.to_string(),
    ];
    host.extend(tag(r));
    host.extend(["vnet".to_string(), j.to_string()]);
    let mut inside = vec![host_ifname.to_string()];
    if let Some(a) = addrs.first() {
        inside.extend(addr_words(a));
    }
    inside.extend(["name".to_string(), name.to_string()]);
    inside.extend(mtu_words(*mtu));
    if *slaac {
        inside.push("accept_rtadv".into());
    }
    inside.push("up".into());
    let mut steps = vec![
        Step::new(ifconfig(host)),
        Step::new(ifconfig(inside).in_jail(j)),
    ];
    for a in addrs.iter().skip(1) {
        let mut w = vec![name.to_string()];
        w.extend(addr_words(a));
        steps.push(Step::new(ifconfig(w).in_jail(j)));
    }
    steps
}

/// Every phase with placeholders, for a dry run (`plan --commands`).
pub(crate) fn dry_run(r: &Resource, netgraph_member: bool) -> Vec<Step> {
    match r {
        Resource::Switch { ifname, .. } => {
            let mut v = vec![switch_batch(ifname.as_str()).step()];
            v.extend(switch_host(r, None));
            v
        }
        Resource::Nic { switch, .. } => {
            let mut v = vec![
                show(&bridge_node(switch.as_str())),
                nic_batch(r, None).step(),
            ];
            v.extend(nic_rest(r, None));
            v
        }
        Resource::Member { switch, member } if netgraph_member => vec![
            show(&bridge_node(switch.as_str())),
            member_batch(switch.as_str(), member.as_str(), None).step(),
        ],
        _ => Vec::new(),
    }
}

/// Shut down the bridge (its eifaces stay), then the host-side eiface (which takes its
/// interface with it).
pub(crate) fn delete_switch(ifname: &str) -> Vec<Step> {
    vec![
        Step::new(ngctl([
            "shutdown".to_string(),
            format!("{}:", bridge_node(ifname)),
        ])),
        Step::new(ngctl([
            "shutdown".to_string(),
            format!("{}:", eiface_node(ifname)),
        ])),
    ]
}

/// Shut down a NIC's eiface node (its interface disappears from the jail with it).
pub(crate) fn delete_nic(host_ifname: &str) -> Vec<Step> {
    vec![Step::new(ngctl([
        "shutdown".to_string(),
        format!("{}:", eiface_node(host_ifname)),
    ]))]
}

/// Unhook an uplink and give its ng_ether the default promisc/autosrc back, in one call.
pub(crate) fn delete_member(switch: &str, member: &str) -> Vec<Step> {
    let mut s = member_batch(switch, member, Some((0, 0))).step();
    s.inv.stdin = Some(
        s.undo
            .iter()
            .map(|i| format!("{}\n", i.args.join(" ")))
            .collect(),
    );
    s.undo.clear();
    vec![s]
}

/// The lowest `n` link numbers of a bridge not in `used`.
pub fn free_links(used: &[u32], n: usize) -> Vec<u32> {
    (0..).filter(|l| !used.contains(l)).take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_are_valid_and_distinct() {
        assert_eq!(bridge_node("br0"), "jailnet_br_br0");
        assert_eq!(eiface_node("em0.101"), "jailnet_if_em0+101");
        assert_ne!(eiface_node("a.b"), eiface_node("a_b"));
        assert_eq!(ether_node("em0.101"), "em0_101");
        let longest = bridge_node("abcdefghijklmno");
        assert!(longest.len() <= 31, "{longest}");
        assert!(!longest.contains(['.', ':', '[', ']']));
    }

    #[test]
    fn a_batch_undoes_only_the_lines_before_the_failing_one() {
        let b = switch_batch("lan");
        assert_eq!(
            b.step().inv.to_string(),
            "ngctl -f - <<EOF\nmkpeer . bridge tmp link1\nname tmp jailnet_br_lan\n\
             mkpeer jailnet_br_lan: eiface link0 ether\nname jailnet_br_lan:link0 jailnet_if_lan\n\
             msg jailnet_if_lan: getifname\nEOF"
        );
        // The bridge alone goes with the socket: nothing to undo before line 3 ran.
        assert!(b.undo_before(3).is_empty());
        let undo: Vec<String> = b.undo_before(4).iter().map(|i| i.to_string()).collect();
        assert_eq!(undo, ["ngctl shutdown jailnet_br_lan:link0"]);
        assert_eq!(b.step().undo, b.undo_before(4));
        assert_eq!(
            failed_line("ngctl: send msg: File exists\nngctl: line 4: error in file\n"),
            Some(4)
        );
        assert_eq!(failed_line("ngctl: send msg: File exists\n"), None);
    }

    #[test]
    fn an_uplink_is_undone_newest_first_and_deleted_in_one_call() {
        let b = member_batch("lan", "em0", Some((1, 2)));
        let undo: Vec<String> = b.step().undo.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            undo,
            [
                "ngctl msg em0: setautosrc 1",
                "ngctl msg em0: setpromisc 0",
                "ngctl rmhook em0: upper",
                "ngctl rmhook em0: lower"
            ]
        );
        let d = delete_member("lan", "em0");
        assert_eq!(
            d[0].inv.stdin.as_deref(),
            Some("msg em0: setautosrc 1\nmsg em0: setpromisc 0\nrmhook em0: upper\nrmhook em0: lower\n")
        );
        assert_eq!(free_links(&[0, 1, 3], 2), [2, 4]);
    }
}
