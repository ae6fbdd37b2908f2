//! `jailnet graph --format dot|mermaid|svg`: the topology from the config — switches,
//! jails, VMs, uplinks, VLAN/VXLAN members and VXLAN peers, NAT, exposed ports —
//! coloured by live state (up / drift / missing) when the backend can observe the host,
//! plain when it cannot. One [`Topo`] is rendered three ways; SVG goes through
//! graphviz's `dot -Tsvg` when it is installed, else through a built-in layered layout.

use crate::args::{Cli, GraphFormat};
use crate::engine::host_name;
use anyhow::Result;
use jailnet_host::{Host, Invocation, JailEntry, SystemHost};
use jailnet_model::alloc::{allocate, nic_key, Allocations};
use jailnet_model::config::{AddrSpec, SharedIp, SwitchKind};
use jailnet_model::Config;
use jailnet_plan::{desired, Graph, Observed, Resource};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Live state of a node or link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    Up,
    Drift,
    Missing,
}

/// Where a node sits: outside peers, host interfaces, switches, guests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Peer = 0,
    HostIf = 1,
    Switch = 2,
    Guest = 3,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub lines: Vec<String>,
    pub layer: Layer,
    pub live: Option<Live>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A link (bridge membership, a NIC).
    Link,
    /// A NAT path or a tunnel to a peer.
    Dashed,
    /// An exposed port: traffic in from the uplink.
    Forward,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub style: Style,
    pub live: Option<Live>,
}

/// What is drawn.
#[derive(Clone, Debug, Default)]
pub struct Topo {
    pub title: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Whether the live state was observed (else everything is drawn plain).
    pub observed: bool,
}

pub fn run(cli: &Cli, format: GraphFormat) -> Result<i32> {
    let loaded = crate::config::load(cli, false)?;
    let prev = crate::state_file::StateStore::open(&super::state_dir(cli))
        .and_then(|s| s.load())
        .map(|s| s.allocations)
        .unwrap_or_default();
    let alloc = allocate(&loaded.cfg, &host_name(&loaded.cfg), &prev)?;
    let graph = desired(&loaded.cfg, &alloc)?;
    let observed = crate::backend::open(cli).ok().flatten().and_then(|mut be| {
        let scope: Vec<&Resource> = graph.nodes.values().collect();
        be.observe(&scope).ok()
    });
    let topo = topology(
        &loaded.cfg,
        &alloc,
        &graph,
        observed.as_ref(),
        &loaded.path.display().to_string(),
    );
    let out = match format {
        GraphFormat::Dot => dot(&topo),
        GraphFormat::Mermaid => mermaid(&topo),
        GraphFormat::Svg => graphviz_svg(&dot(&topo)).unwrap_or_else(|| svg(&topo)),
    };
    print!("{out}");
    Ok(0)
}

/// `dot -Tsvg` when graphviz is installed (spawned by argv, never a shell).
fn graphviz_svg(dot_text: &str) -> Option<String> {
    let mut host = SystemHost::new(JailEntry::Jexec);
    let out = host
        .run(&Invocation::new("dot", ["-Tsvg"]).with_stdin(dot_text))
        .ok()?;
    (out.success() && out.stdout.contains("<svg")).then_some(out.stdout)
}

fn ident(prefix: &str, s: &str) -> String {
    let body: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{body}")
}

/// Build the topology. `observed` colours what it covers.
pub fn topology(
    cfg: &Config,
    alloc: &Allocations,
    graph: &Graph,
    observed: Option<&Observed>,
    file: &str,
) -> Topo {
    let live = |r: &Resource| -> Option<Live> {
        let o = observed?;
        Some(match o.resources.get(&r.id()) {
            Some(have) if have == r => Live::Up,
            Some(_) => Live::Drift,
            None => Live::Missing,
        })
    };
    let worst = |ls: Vec<Option<Live>>| -> Option<Live> {
        let ls: Vec<Live> = ls.into_iter().flatten().collect();
        if ls.is_empty() {
            None
        } else if ls.contains(&Live::Missing) {
            Some(Live::Missing)
        } else if ls.contains(&Live::Drift) {
            Some(Live::Drift)
        } else {
            Some(Live::Up)
        }
    };
    let mut t = Topo {
        title: format!("jailnet: {file}"),
        observed: observed.is_some(),
        ..Topo::default()
    };
    let mut ifs: BTreeMap<String, Node> = BTreeMap::new();
    let host_if = |ifs: &mut BTreeMap<String, Node>, name: &str, what: &str| -> String {
        let id = ident("if", name);
        ifs.entry(id.clone()).or_insert_with(|| Node {
            id: id.clone(),
            lines: vec![name.to_string(), what.to_string()],
            layer: Layer::HostIf,
            live: None,
        });
        id
    };
    let uplink = cfg
        .host
        .uplink
        .as_ref()
        .map(|u| host_if(&mut ifs, u.as_str(), "host uplink"));
    let mut peers: Vec<Node> = Vec::new();
    for sw in cfg.switches.values() {
        let id = ident("sw", &sw.name);
        let mut lines = vec![if sw.ifname.as_str() == sw.name {
            format!("switch {}", sw.name)
        } else {
            format!("switch {} ({})", sw.name, sw.ifname)
        }];
        for a in &sw.addresses {
            lines.push(a.value.to_string());
        }
        let mut flags = Vec::new();
        match sw.kind {
            SwitchKind::Bridge => {}
            SwitchKind::Netgraph => flags.push("netgraph".to_string()),
            SwitchKind::Manual => flags.push("manual".to_string()),
        }
        if sw.private {
            flags.push("private".into());
        }
        if let Some(m) = sw.mtu {
            flags.push(format!("mtu {m}"));
        }
        if let Some(d) = &sw.dhcp {
            flags.push(match &d.range {
                Some(r) => format!("dhcp {}-{}", r.value.0, r.value.1),
                None => "dhcp".into(),
            });
        }
        if !flags.is_empty() {
            lines.push(flags.join(", "));
        }
        let sw_live = graph
            .nodes
            .values()
            .find(|r| matches!(r, Resource::Switch { name, .. } if *name == sw.name))
            .and_then(&live);
        t.nodes.push(Node {
            id: id.clone(),
            lines,
            layer: Layer::Switch,
            live: sw_live,
        });
        for u in &sw.uplinks {
            let what = if Some(u.value.as_str()) == cfg.host.uplink.as_ref().map(|x| x.as_str()) {
                "host uplink"
            } else {
                "uplink"
            };
            let uid = host_if(&mut ifs, u.value.as_str(), what);
            let ml = graph.nodes.values().find(|r| matches!(r, Resource::Member { switch, member } if *switch == sw.ifname && *member == u.value)).and_then(&live);
            t.edges.push(Edge {
                from: id.clone(),
                to: uid,
                label: "member".into(),
                style: Style::Link,
                live: ml,
            });
        }
        if let Some(v) = &sw.vlan {
            let name = format!("{}.{}", v.parent, v.tag);
            let vid = host_if(&mut ifs, &name, &format!("vlan {} on {}", v.tag, v.parent));
            t.edges.push(Edge {
                from: id.clone(),
                to: vid,
                label: "member".into(),
                style: Style::Link,
                live: None,
            });
        }
        if let Some(x) = &sw.vxlan {
            let name = jailnet_plan::graph::vxlan_ifname(x.vni);
            let vid = host_if(&mut ifs, &name, &format!("vxlan VNI {}", x.vni));
            let vl = graph
                .nodes
                .values()
                .find(|r| matches!(r, Resource::Vxlan { vni, .. } if *vni == x.vni))
                .and_then(&live);
            t.edges.push(Edge {
                from: id.clone(),
                to: vid.clone(),
                label: "member".into(),
                style: Style::Link,
                live: vl,
            });
            let mut add_peer = |pid: String, lines: Vec<String>, label: &str| {
                if !peers.iter().any(|p| p.id == pid) {
                    peers.push(Node {
                        id: pid.clone(),
                        lines,
                        layer: Layer::Peer,
                        live: None,
                    });
                }
                t.edges.push(Edge {
                    from: vid.clone(),
                    to: pid,
                    label: label.to_string(),
                    style: Style::Dashed,
                    live: None,
                });
            };
            if let Some(g) = x.group {
                let dev = x
                    .dev
                    .as_ref()
                    .map(|d| format!(" via {d}"))
                    .unwrap_or_default();
                add_peer(
                    ident("peer", &g.to_string()),
                    vec![format!("multicast {g}"), format!("VXLAN peers{dev}")],
                    "vxlan",
                );
            }
            for r in &x.remotes {
                add_peer(
                    ident("peer", &r.to_string()),
                    vec![format!("peer {r}"), "VXLAN VTEP".into()],
                    "vxlan",
                );
            }
            if x.cluster {
                let etcd = cfg
                    .cluster
                    .as_ref()
                    .map(|c| c.etcd.join(" "))
                    .unwrap_or_default();
                add_peer(
                    "peer_cluster".into(),
                    vec!["cluster VTEPs".into(), format!("etcd {etcd}")],
                    "vxlan",
                );
            }
        }
        if sw.nat {
            if let Some(u) = &uplink {
                t.edges.push(Edge {
                    from: id.clone(),
                    to: u.clone(),
                    label: "NAT".into(),
                    style: Style::Dashed,
                    live: None,
                });
            }
        }
    }
    for j in cfg.jails.values() {
        let id = ident("jail", j.name.as_str());
        let jr = graph
            .nodes
            .values()
            .find(|r| matches!(r, Resource::Jail { name, .. } if name == &j.name));
        let kind = if j.is_vnet() {
            "VNET jail"
        } else {
            "shared-IP jail"
        };
        let mut lines = vec![format!("jail {}", j.name), kind.to_string()];
        if j.firewall {
            lines.push("own pf".into());
        }
        t.nodes.push(Node {
            id: id.clone(),
            lines,
            layer: Layer::Guest,
            live: jr.and_then(&live),
        });
        for n in &j.nics {
            let a = alloc
                .nics
                .get(&nic_key("jail", j.name.as_str(), n.name.as_str()));
            let mut label = vec![n.name.to_string()];
            for (specs, v4) in [(&n.ip4, true), (&n.ip6, false)] {
                for s in specs {
                    label.push(match &s.value {
                        AddrSpec::Static(c) => c.to_string(),
                        AddrSpec::Auto => a
                            .and_then(|a| if v4 { a.ip4 } else { a.ip6 })
                            .map_or("auto".into(), |c| c.to_string()),
                        AddrSpec::Dhcp => "dhcp".into(),
                        AddrSpec::Slaac => "slaac".into(),
                    });
                }
            }
            if n.secure {
                label.push("secure".into());
            }
            let nl = graph.nodes.values().find(|r| matches!(r, Resource::Nic { jail, name, .. } if jail == &j.name && *name == n.name)).and_then(&live);
            t.edges.push(Edge {
                from: id.clone(),
                to: ident("sw", &n.switch.value),
                label: label.join(" "),
                style: Style::Link,
                live: nl,
            });
        }
        for ip in [&j.ip4, &j.ip6] {
            match ip {
                SharedIp::Aliases(list) => {
                    for a in list {
                        let what = if cfg.host.uplink.as_ref() == Some(&a.ifname) {
                            "host uplink"
                        } else {
                            "host interface"
                        };
                        let iid = host_if(&mut ifs, a.ifname.as_str(), what);
                        let al = graph.nodes.values().find(|r| matches!(r, Resource::Alias { jail, cidr, .. } if jail == &j.name && *cidr == a.cidr)).and_then(&live);
                        t.edges.push(Edge {
                            from: id.clone(),
                            to: iid,
                            label: format!("alias {}", a.cidr),
                            style: Style::Link,
                            live: al,
                        });
                    }
                }
                SharedIp::Inherit => {
                    if let Some(u) = &uplink {
                        t.edges.push(Edge {
                            from: id.clone(),
                            to: u.clone(),
                            label: "inherits the host's addresses".into(),
                            style: Style::Dashed,
                            live: None,
                        });
                    }
                }
                SharedIp::None => {}
            }
        }
        if let Some(u) = &uplink {
            if j.nat {
                t.edges.push(Edge {
                    from: id.clone(),
                    to: u.clone(),
                    label: "NAT".into(),
                    style: Style::Dashed,
                    live: None,
                });
            }
            for e in &j.expose {
                t.edges.push(Edge {
                    from: u.clone(),
                    to: id.clone(),
                    label: e.value.to_string(),
                    style: Style::Forward,
                    live: None,
                });
            }
        }
    }
    for vm in cfg.vms.values() {
        let id = ident("vm", vm.name.as_str());
        let taps: Vec<Option<Live>> = graph
            .nodes
            .values()
            .filter(|r| matches!(r, Resource::Tap { vm: v, .. } if v == &vm.name))
            .map(&live)
            .collect();
        t.nodes.push(Node {
            id: id.clone(),
            lines: vec![format!("vm {}", vm.name), "bhyve VM".into()],
            layer: Layer::Guest,
            live: worst(taps),
        });
        for (i, n) in vm.nics.iter().enumerate() {
            let mut label = format!("nic{i}");
            if n.secure {
                label.push_str(" secure");
            }
            t.edges.push(Edge {
                from: id.clone(),
                to: ident("sw", &n.switch.value),
                label,
                style: Style::Link,
                live: None,
            });
        }
    }
    t.nodes.extend(ifs.into_values());
    t.nodes.extend(peers);
    t
}

fn colors(l: Option<Live>) -> (&'static str, &'static str) {
    match l {
        Some(Live::Up) => ("#d8f3dc", "#2d6a4f"),
        Some(Live::Drift) => ("#ffe8cc", "#d9480f"),
        Some(Live::Missing) => ("#ffe3e3", "#c92a2a"),
        None => ("#f1f3f5", "#495057"),
    }
}

fn state_word(l: Option<Live>) -> &'static str {
    match l {
        Some(Live::Up) => "up",
        Some(Live::Drift) => "drift",
        Some(Live::Missing) => "missing",
        None => "",
    }
}

fn edge_color(e: &Edge) -> &'static str {
    match (e.style, e.live) {
        (Style::Forward, _) => "#1c7ed6",
        (_, Some(l)) => colors(Some(l)).1,
        (_, None) => "#495057",
    }
}

fn node_label(n: &Node, observed: bool) -> Vec<String> {
    let mut l = n.lines.clone();
    if observed && n.live.is_some() {
        l.push(format!("[{}]", state_word(n.live)));
    }
    l
}

/// Graphviz dot.
pub fn dot(t: &Topo) -> String {
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut o = String::new();
    let _ = writeln!(o, "// {}", t.title);
    let _ = writeln!(
        o,
        "// live state: {}",
        if t.observed {
            "observed (green up, orange drift, red missing)"
        } else {
            "not observed"
        }
    );
    let _ = writeln!(o, "digraph jailnet {{");
    let _ = writeln!(o, "  rankdir=TB;\n  newrank=true;");
    let _ = writeln!(
        o,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];"
    );
    let _ = writeln!(o, "  edge [fontname=\"Helvetica\", fontsize=9, dir=none];");
    for layer in [Layer::Peer, Layer::HostIf, Layer::Switch, Layer::Guest] {
        let ns: Vec<&Node> = t.nodes.iter().filter(|n| n.layer == layer).collect();
        if ns.is_empty() {
            continue;
        }
        for n in &ns {
            let (fill, stroke) = colors(n.live);
            let label: Vec<String> = node_label(n, t.observed).iter().map(|l| q(l)).collect();
            let _ = writeln!(
                o,
                "  {} [label=\"{}\", fillcolor=\"{fill}\", color=\"{stroke}\"];",
                n.id,
                label.join("\\n")
            );
        }
        let ids: Vec<&str> = ns.iter().map(|n| n.id.as_str()).collect();
        let _ = writeln!(o, "  {{ rank=same; {}; }}", ids.join("; "));
    }
    for e in &t.edges {
        let style = match e.style {
            Style::Link => String::new(),
            Style::Dashed => ", style=dashed, dir=forward".into(),
            Style::Forward => ", style=bold, dir=forward".into(),
        };
        let _ = writeln!(
            o,
            "  {} -> {} [label=\"{}\", color=\"{}\"{style}];",
            e.from,
            e.to,
            q(&e.label),
            edge_color(e)
        );
    }
    o.push_str("}\n");
    o
}

/// A Mermaid flowchart.
pub fn mermaid(t: &Topo) -> String {
    let q = |s: &str| {
        s.replace('"', "#quot;")
            .replace('<', "#lt;")
            .replace('>', "#gt;")
    };
    let mut o = String::new();
    let _ = writeln!(o, "%% {}", t.title);
    let _ = writeln!(o, "flowchart TB");
    for n in &t.nodes {
        let label: Vec<String> = node_label(n, t.observed).iter().map(|l| q(l)).collect();
        let _ = writeln!(o, "  {}[\"{}\"]", n.id, label.join("<br/>"));
    }
    for e in &t.edges {
        let arrow = match e.style {
            Style::Link => "---",
            Style::Dashed => "-.->",
            Style::Forward => "==>",
        };
        let _ = writeln!(o, "  {} {arrow}|\"{}\"| {}", e.from, q(&e.label), e.to);
    }
    let mut classes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in &t.nodes {
        classes
            .entry(if t.observed { state_word(n.live) } else { "" })
            .or_default()
            .push(&n.id);
    }
    for (class, ids) in classes {
        let class = if class.is_empty() { "plain" } else { class };
        let (fill, stroke) = colors(match class {
            "up" => Some(Live::Up),
            "drift" => Some(Live::Drift),
            "missing" => Some(Live::Missing),
            _ => None,
        });
        let _ = writeln!(o, "  classDef {class} fill:{fill},stroke:{stroke}");
        let _ = writeln!(o, "  class {} {class}", ids.join(","));
    }
    o
}

const CHAR_W: f64 = 6.6;
const LINE_H: f64 = 14.0;
const GAP_X: f64 = 28.0;
const GAP_Y: f64 = 90.0;
const MARGIN: f64 = 24.0;

/// A self-contained SVG: nodes in rows by layer (peers, host interfaces, switches,
/// guests), each row ordered by where its neighbours are, straight edges with labels.
pub fn svg(t: &Topo) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let size = |n: &Node| {
        let lines = node_label(n, t.observed);
        let w = lines.iter().map(|l| l.chars().count()).max().unwrap_or(1) as f64 * CHAR_W + 20.0;
        (w.max(70.0), lines.len() as f64 * LINE_H + 12.0)
    };
    // Order: switches by name, then every other row by the mean position of neighbours.
    let mut rows: BTreeMap<Layer, Vec<usize>> = BTreeMap::new();
    for (i, n) in t.nodes.iter().enumerate() {
        rows.entry(n.layer).or_default().push(i);
    }
    let mut pos: BTreeMap<&str, f64> = BTreeMap::new();
    if let Some(sw) = rows.get(&Layer::Switch) {
        for (k, i) in sw.iter().enumerate() {
            pos.insert(&t.nodes[*i].id, k as f64);
        }
    }
    let span = rows
        .get(&Layer::Switch)
        .map_or(1.0, |r| r.len().max(1) as f64);
    for layer in [Layer::Guest, Layer::HostIf, Layer::Peer] {
        let Some(row) = rows.get_mut(&layer) else {
            continue;
        };
        let bary = |id: &str| {
            let ps: Vec<f64> = t
                .edges
                .iter()
                .filter_map(|e| {
                    if e.from == id {
                        pos.get(e.to.as_str())
                    } else if e.to == id {
                        pos.get(e.from.as_str())
                    } else {
                        None
                    }
                })
                .copied()
                .collect();
            if ps.is_empty() {
                f64::MAX
            } else {
                ps.iter().sum::<f64>() / ps.len() as f64
            }
        };
        let mut keyed: Vec<(f64, usize)> =
            row.iter().map(|i| (bary(&t.nodes[*i].id), *i)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *row = keyed.iter().map(|k| k.1).collect();
        let n = row.len().max(1) as f64;
        for (k, i) in row.iter().enumerate() {
            pos.insert(&t.nodes[*i].id, (k as f64 + 0.5) * span / n - 0.5);
        }
    }
    // Geometry.
    let mut boxes: BTreeMap<&str, (f64, f64, f64, f64)> = BTreeMap::new();
    let widths: BTreeMap<Layer, f64> = rows
        .iter()
        .map(|(l, r)| {
            (
                *l,
                r.iter().map(|i| size(&t.nodes[*i]).0).sum::<f64>()
                    + GAP_X * (r.len().saturating_sub(1)) as f64,
            )
        })
        .collect();
    let total_w = widths.values().copied().fold(0.0, f64::max) + 2.0 * MARGIN;
    let mut y = MARGIN + 28.0;
    for (layer, row) in &rows {
        let h = row.iter().map(|i| size(&t.nodes[*i]).1).fold(0.0, f64::max);
        let mut x = (total_w - widths[layer]) / 2.0;
        for i in row {
            let (w, bh) = size(&t.nodes[*i]);
            boxes.insert(&t.nodes[*i].id, (x, y + (h - bh) / 2.0, w, bh));
            x += w + GAP_X;
        }
        y += h + GAP_Y;
    }
    let total_h = y - GAP_Y + MARGIN + if t.observed { 24.0 } else { 0.0 };
    let mut o = String::new();
    let _ = writeln!(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total_w:.0}\" height=\"{total_h:.0}\" viewBox=\"0 0 {total_w:.0} {total_h:.0}\" font-family=\"Helvetica, Arial, sans-serif\">");
    let _ = writeln!(o, "  <title>{}</title>", esc(&t.title));
    let _ = writeln!(o, "  <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#495057\"/></marker></defs>");
    let _ = writeln!(
        o,
        "  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        o,
        "  <text x=\"{MARGIN}\" y=\"{:.0}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        MARGIN + 6.0,
        esc(&t.title)
    );
    for e in &t.edges {
        let (Some(a), Some(b)) = (boxes.get(e.from.as_str()), boxes.get(e.to.as_str())) else {
            continue;
        };
        let (ax, bx) = (a.0 + a.2 / 2.0, b.0 + b.2 / 2.0);
        let (ay, by) = if a.1 < b.1 {
            (a.1 + a.3, b.1)
        } else if a.1 > b.1 {
            (a.1, b.1 + b.3)
        } else {
            (a.1 + a.3 / 2.0, b.1 + b.3 / 2.0)
        };
        let dash = match e.style {
            Style::Link => "",
            Style::Dashed => " stroke-dasharray=\"6 4\"",
            Style::Forward => " stroke-width=\"2\"",
        };
        let marker = if e.style == Style::Link {
            ""
        } else {
            " marker-end=\"url(#arrow)\""
        };
        let _ = writeln!(o, "  <line x1=\"{ax:.1}\" y1=\"{ay:.1}\" x2=\"{bx:.1}\" y2=\"{by:.1}\" stroke=\"{}\"{dash}{marker}/>", edge_color(e));
        let (mx, my) = ((ax + bx) / 2.0, (ay + by) / 2.0);
        let _ = writeln!(o, "  <text x=\"{mx:.1}\" y=\"{my:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>", edge_color(e), esc(&e.label));
    }
    for n in &t.nodes {
        let Some(&(x, y, w, h)) = boxes.get(n.id.as_str()) else {
            continue;
        };
        let (fill, stroke) = colors(n.live);
        let _ = writeln!(o, "  <g id=\"{}\">", esc(&n.id));
        let _ = writeln!(o, "    <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"/>");
        for (k, l) in node_label(n, t.observed).iter().enumerate() {
            let weight = if k == 0 { " font-weight=\"bold\"" } else { "" };
            let _ = writeln!(o, "    <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\"{weight}>{}</text>", x + w / 2.0, y + 16.0 + k as f64 * LINE_H, esc(l));
        }
        let _ = writeln!(o, "  </g>");
    }
    if t.observed {
        let mut x = MARGIN;
        for l in [Live::Up, Live::Drift, Live::Missing] {
            let (fill, stroke) = colors(Some(l));
            let _ = writeln!(o, "  <rect x=\"{x:.0}\" y=\"{:.0}\" width=\"12\" height=\"12\" fill=\"{fill}\" stroke=\"{stroke}\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"10\">{}</text>", total_h - MARGIN - 10.0, x + 16.0, total_h - MARGIN, state_word(Some(l)));
            x += 80.0;
        }
    }
    o.push_str("</svg>\n");
    o
}
