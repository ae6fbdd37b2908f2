//! netgraph through `ngctl(8)` (§5): ng_ether nodes for host NICs, ng_eiface (creating
//! `ngethN` interfaces), ng_bridge with auto-shutdown, and mkpeer/name/connect/rmhook/
//! shutdown/list [-l] [-n]/show/msg, one per call or a batch with `-f FILE` (`-` = stdin).
//!
//! A batch runs over one control socket: its node (`ngctlPID`, type socket) exists for the
//! whole batch, so `.` and relative paths (`hook.hook`) address nodes hooked to it; it stops
//! at the first failing line (`ngctl: line N: error in file`, exit 1) and closing the socket
//! at the end disconnects its hooks, which may shut down a bridge left without hooks.

use crate::exec::{fail, Caller, R};
use crate::state::{CloneUnit, IfKind, Iface, NgNode, NgPeer, SimState, VnetId};
use jailnet_host::Output;
use std::collections::BTreeMap;

const ENOENT: &str = "send msg: No such file or directory";
const EEXIST: &str = "send msg: File exists";
const EINVAL: &str = "send msg: Invalid argument";

/// Runs `ngctl ARGS…`.
pub(crate) fn run(
    st: &mut SimState,
    caller: &Caller,
    args: &[String],
    stdin: Option<&str>,
) -> Output {
    match ngctl(st, caller, args, stdin) {
        Ok(o) | Err(o) => o,
    }
}

/// Creates the ng_ether node of a host NIC, named after it as ng_ether does (with `.` and
/// `:` replaced by `_`, as node names cannot hold them: `em0.101` → `em0_101`).
pub(crate) fn add_ether_node(st: &mut SimState, iface: u32) {
    let name = st
        .ifaces
        .get(&iface)
        .map(|i| i.name.replace(['.', ':'], "_"));
    let id = alloc_id(st);
    st.netgraph.nodes.insert(
        id,
        NgNode {
            name,
            kind: "ether".into(),
            hooks: BTreeMap::new(),
            iface: Some(iface),
            persistent: false,
            programs: BTreeMap::new(),
        },
    );
}

fn alloc_id(st: &mut SimState) -> u32 {
    let id = st.netgraph.next_id.max(1);
    st.netgraph.next_id = id + 1;
    id
}

/// Shuts a node down: its hooks are disconnected (peers may auto-shutdown) and an eiface
/// takes its interface with it, wherever that interface is.
pub(crate) fn drop_node(st: &mut SimState, id: u32) {
    let Some(node) = st.netgraph.nodes.remove(&id) else {
        return;
    };
    for peer in node.hooks.values() {
        unhook(st, peer.node, &peer.hook);
    }
    if node.kind == "eiface" {
        if let Some(i) = node.iface {
            if st.ifaces.contains_key(&i) {
                st.remove_iface(i);
            }
        }
    }
}

/// Removes one hook end on `node`; an ng_bridge or ng_bpf left without hooks shuts down.
fn unhook(st: &mut SimState, node: u32, hook: &str) {
    let empty = match st.netgraph.nodes.get_mut(&node) {
        Some(n) => {
            n.hooks.remove(hook);
            n.programs.remove(hook);
            matches!(n.kind.as_str(), "bridge" | "bpf") && n.hooks.is_empty() && !n.persistent
        }
        None => false,
    };
    if empty {
        drop_node(st, node);
    }
}

/// ng_ether gives every Ethernet interface a node; the simulator makes those of epair
/// ends when a command first names one (`P:`), and forgets them again while nothing is
/// hooked to them (physical NICs' nodes always exist).
fn ensure_ether_nodes(st: &mut SimState, words: &[&str]) {
    if !st.modules.contains("ng_ether") {
        return;
    }
    for w in words {
        let Some((base, _)) = w.split_once(':') else {
            continue;
        };
        if base.starts_with('[')
            || st
                .netgraph
                .nodes
                .values()
                .any(|n| n.name.as_deref() == Some(base))
        {
            continue;
        }
        let found = st.ifaces.iter().find(|(_, i)| {
            i.vnet == VnetId::Host
                && matches!(i.kind, IfKind::Epair { .. })
                && i.name.replace(['.', ':'], "_") == base
        });
        if let Some((index, _)) = found {
            let index = *index;
            add_ether_node(st, index);
        }
    }
}

/// Drops the nodes [`ensure_ether_nodes`] made that have no hooks (again).
fn prune_ether_nodes(st: &mut SimState) {
    let idle: Vec<u32> = st
        .netgraph
        .nodes
        .iter()
        .filter(|(_, n)| {
            n.kind == "ether"
                && n.hooks.is_empty()
                && n.iface
                    .and_then(|i| st.ifaces.get(&i))
                    .is_none_or(|i| matches!(i.kind, IfKind::Epair { .. }))
        })
        .map(|(id, _)| *id)
        .collect();
    for id in idle {
        st.netgraph.nodes.remove(&id);
    }
}

/// Resolves `NAME:`, `[ID]:`, `NAME:hook.hook`, and `.` / `hook.hook` relative to the
/// control socket `sock`; `None` means the socket itself when it is not a node (one command
/// per call: it holds no hooks between commands).
fn resolve(st: &SimState, sock: Option<u32>, path: &str) -> R<Option<u32>> {
    if path == "." || path.is_empty() {
        return Ok(sock);
    }
    let Some((base, rel)) = path.split_once(':') else {
        let mut id = sock.ok_or_else(|| fail("ngctl", ENOENT))?;
        for hook in path.split('.').filter(|h| !h.is_empty()) {
            id = st
                .netgraph
                .nodes
                .get(&id)
                .and_then(|n| n.hooks.get(hook))
                .map(|p| p.node)
                .ok_or_else(|| fail("ngctl", ENOENT))?;
        }
        return Ok(Some(id));
    };
    let mut id = if let Some(hex) = base.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
        u32::from_str_radix(hex, 16)
            .ok()
            .filter(|i| st.netgraph.nodes.contains_key(i))
    } else {
        st.netgraph
            .nodes
            .iter()
            .find(|(_, n)| n.name.as_deref() == Some(base))
            .map(|(i, _)| *i)
    }
    .ok_or_else(|| fail("ngctl", ENOENT))?;
    for hook in rel.split('.').filter(|h| !h.is_empty()) {
        id = st
            .netgraph
            .nodes
            .get(&id)
            .and_then(|n| n.hooks.get(hook))
            .map(|p| p.node)
            .ok_or_else(|| fail("ngctl", ENOENT))?;
    }
    Ok(Some(id))
}

fn resolve_node(st: &SimState, sock: Option<u32>, path: &str) -> R<u32> {
    resolve(st, sock, path)?.ok_or_else(|| fail("ngctl", EINVAL))
}

/// Whether `kind` nodes accept a hook called `hook`.
fn hook_ok(kind: &str, hook: &str) -> bool {
    let numbered = |p: &str| {
        hook.strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    };
    match kind {
        "eiface" => hook == "ether",
        "ether" => matches!(hook, "lower" | "upper" | "orphans"),
        "bridge" => numbered("link") || numbered("uplink"),
        _ => true,
    }
}

fn ngctl(st: &mut SimState, caller: &Caller, args: &[String], stdin: Option<&str>) -> R<Output> {
    if caller.jail.is_some() {
        return Err(fail("ngctl", "socket: Protocol not supported"));
    }
    let mut k = 0;
    let mut file: Option<&str> = None;
    while let Some(a) = args.get(k).filter(|a| a.starts_with('-') && a.len() > 1) {
        match a.as_str() {
            "-f" | "-n" => {
                let v = args.get(k + 1).ok_or_else(usage_top)?;
                if a == "-f" {
                    file = Some(v.as_str());
                }
                k += 2;
            }
            _ => k += 1,
        }
    }
    if let Some(f) = file {
        let text = if f == "-" {
            stdin.unwrap_or_default().to_string()
        } else {
            st.files
                .get(f)
                .cloned()
                .ok_or_else(|| fail("ngctl", format!("{f}: No such file or directory")))?
        };
        return Ok(batch(st, &text));
    }
    let Some(cmd) = args.get(k) else {
        return Err(usage_top());
    };
    let a: Vec<&str> = args[k + 1..].iter().map(String::as_str).collect();
    command(st, None, cmd, &a)
}

fn usage_top() -> Output {
    Output::fail(1, "usage: ngctl [-d] [-f file] [-n name] [command ...]\n")
}

/// `ngctl -f FILE`: every line over one socket node, stopping at the first error.
fn batch(st: &mut SimState, text: &str) -> Output {
    let sock = alloc_id(st);
    st.netgraph.nodes.insert(
        sock,
        NgNode {
            name: Some(format!("ngctl{}", 1000 + sock)),
            kind: "socket".into(),
            hooks: BTreeMap::new(),
            iface: None,
            persistent: false,
            programs: BTreeMap::new(),
        },
    );
    let mut out = Output::ok("");
    for (num, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((cmd, a)) = words.split_first() else {
            continue;
        };
        if cmd.starts_with('#') {
            continue;
        }
        match command(st, Some(sock), cmd, a) {
            Ok(o) => out.stdout.push_str(&o.stdout),
            Err(e) => {
                out.status = e.status;
                out.stderr = format!("{}ngctl: line {}: error in file\n", e.stderr, num + 1);
                break;
            }
        }
    }
    // Closing the socket disconnects its hooks.
    drop_node(st, sock);
    out
}

/// One ngctl command; `sock` is the batch's socket node, if any.
fn command(st: &mut SimState, sock: Option<u32>, cmd: &str, a: &[&str]) -> R<Output> {
    ensure_ether_nodes(st, a);
    let out = command_on(st, sock, cmd, a);
    prune_ether_nodes(st);
    out
}

fn command_on(st: &mut SimState, sock: Option<u32>, cmd: &str, a: &[&str]) -> R<Output> {
    match cmd {
        "mkpeer" => {
            let (path, typ, hook, peerhook) = match a {
                [t, h, p] => (".", *t, *h, *p),
                [path, t, h, p] => (*path, *t, *h, *p),
                _ => return Err(usage("mkpeer [path] <type> <hook> <peerhook>")),
            };
            mkpeer(st, sock, path, typ, hook, peerhook)
        }
        "name" => {
            let [path, name] = a else {
                return Err(usage("name <path> <name>"));
            };
            let id = resolve_node(st, sock, path)?;
            if name.len() > 31 || name.is_empty() || name.contains(['.', ':', '[', ']']) {
                return Err(fail("ngctl", EINVAL));
            }
            if st.netgraph.nodes.iter().any(|(i, n)| *i != id && n.name.as_deref() == Some(*name)) {
                return Err(fail("ngctl", EEXIST));
            }
            if let Some(n) = st.netgraph.nodes.get_mut(&id) {
                n.name = Some(name.to_string());
            }
            Ok(Output::ok(""))
        }
        "connect" => {
            let [path, rel, hook, peerhook] = a else {
                return Err(usage("connect [path] <relpath> <hook> <peerhook>"));
            };
            let from = resolve_node(st, sock, path)?;
            let to = if rel.contains(':') {
                resolve_node(st, sock, rel)?
            } else {
                let base = st.netgraph.nodes.get(&from).and_then(|n| n.name.clone());
                let p = match base {
                    Some(b) => format!("{b}:{rel}"),
                    None => format!("[{from:x}]:{rel}"),
                };
                resolve_node(st, sock, &p)?
            };
            connect(st, from, hook, to, peerhook)?;
            Ok(Output::ok(""))
        }
        "rmhook" => {
            let (path, hook) = match a {
                [p, h] => (*p, *h),
                [h] => (".", *h),
                _ => return Err(usage("rmhook [path] <hook>")),
            };
            let id = resolve_node(st, sock, path)?;
            let peer = st
                .netgraph
                .nodes
                .get(&id)
                .and_then(|n| n.hooks.get(hook))
                .cloned()
                .ok_or_else(|| fail("ngctl", ENOENT))?;
            unhook(st, peer.node, &peer.hook);
            unhook(st, id, hook);
            Ok(Output::ok(""))
        }
        "shutdown" | "kill" => {
            let [path] = a else {
                return Err(usage("shutdown <path>"));
            };
            let id = resolve_node(st, sock, path)?;
            if st.netgraph.nodes.get(&id).is_some_and(|n| n.kind == "ether") {
                // ng_ether nodes persist while their interface exists; shutdown resets them.
                let hooks: Vec<String> = st.netgraph.nodes.get(&id).map(|n| n.hooks.keys().cloned().collect()).unwrap_or_default();
                for h in hooks {
                    if let Some(p) = st.netgraph.nodes.get(&id).and_then(|n| n.hooks.get(&h)).cloned() {
                        unhook(st, p.node, &p.hook);
                    }
                    unhook(st, id, &h);
                }
            } else {
                drop_node(st, id);
            }
            Ok(Output::ok(""))
        }
        "list" | "ls" => {
            let flag = |f: char| a.iter().any(|w| w.starts_with('-') && w.contains(f));
            Ok(Output::ok(list(st, flag('n'), flag('l'))))
        }
        "show" => {
            let [path] = a else {
                return Err(usage("show <path>"));
            };
            let id = resolve_node(st, sock, path)?;
            Ok(Output::ok(show(st, id)))
        }
        "msg" => {
            let (path, m) = match a {
                [p, m, ..] => (*p, *m),
                _ => return Err(usage("msg path command [args ... ]")),
            };
            let id = resolve_node(st, sock, path)?;
            msg(st, id, m, &a[2..])
        }
        "types" => Ok(Output::ok(
            "There are 4 total types:\n        Type name   Number of living nodes\n        ---------   ----------------------\n        bridge      0\n        eiface      0\n        ether       0\n        socket      1\n",
        )),
        _ => Err(fail("ngctl", format!("{cmd}: unknown command"))),
    }
}

fn usage(u: &str) -> Output {
    Output::fail(1, format!("ngctl: usage: {u}\n"))
}

fn mkpeer(
    st: &mut SimState,
    sock: Option<u32>,
    path: &str,
    typ: &str,
    hook: &str,
    peerhook: &str,
) -> R<Output> {
    let typ = typ.strip_prefix("ng_").unwrap_or(typ);
    if !matches!(
        typ,
        "eiface"
            | "bridge"
            | "bpf"
            | "hub"
            | "one2many"
            | "tee"
            | "vlan"
            | "iface"
            | "nat"
            | "ksocket"
    ) {
        return Err(fail("ngctl", ENOENT));
    }
    let from = resolve(st, sock, path)?;
    if let Some(f) = from {
        let node = st
            .netgraph
            .nodes
            .get(&f)
            .ok_or_else(|| fail("ngctl", ENOENT))?;
        if node.hooks.contains_key(hook) {
            return Err(fail("ngctl", EEXIST));
        }
        if !hook_ok(&node.kind, hook) {
            return Err(fail("ngctl", EINVAL));
        }
    }
    if !hook_ok(typ, peerhook) {
        return Err(fail("ngctl", EINVAL));
    }
    let id = alloc_id(st);
    let mut node = NgNode {
        name: None,
        kind: typ.to_string(),
        hooks: BTreeMap::new(),
        iface: None,
        persistent: false,
        programs: BTreeMap::new(),
    };
    if typ == "eiface" {
        let unit = st.free_unit("ngeth");
        let name = format!("ngeth{unit}");
        let index = st.free_index();
        st.insert_iface(
            index,
            Iface {
                name: name.clone(),
                index,
                vindex: 0,
                kind: IfKind::NgEth { node: id },
                clone: Some(CloneUnit {
                    cloner: "ngeth".into(),
                    unit,
                }),
                vnet: VnetId::Host,
                home: VnetId::Host,
                up: false,
                mtu: 1500,
                mac: Some("00:00:00:00:00:00".into()),
                description: None,
                groups: Vec::new(),
                inet: Vec::new(),
                inet6: Vec::new(),
                carrier: true,
                mtu_locked: false,
            },
        );
        node.iface = Some(index);
        node.name = Some(name);
    }
    st.netgraph.nodes.insert(id, node);
    match from {
        Some(f) => connect(st, f, hook, id, peerhook)?,
        None => {
            // Hooked to ngctl's socket, which closes when ngctl exits: a bridge left with
            // no hooks shuts down right away.
            if typ == "bridge" {
                drop_node(st, id);
            }
        }
    }
    Ok(Output::ok(""))
}

fn connect(st: &mut SimState, a: u32, ha: &str, b: u32, hb: &str) -> R<()> {
    let (Some(na), Some(nb)) = (st.netgraph.nodes.get(&a), st.netgraph.nodes.get(&b)) else {
        return Err(fail("ngctl", ENOENT));
    };
    if na.hooks.contains_key(ha) || nb.hooks.contains_key(hb) || (a == b && ha == hb) {
        return Err(fail("ngctl", EEXIST));
    }
    if !hook_ok(&na.kind, ha) || !hook_ok(&nb.kind, hb) {
        return Err(fail("ngctl", EINVAL));
    }
    if let Some(n) = st.netgraph.nodes.get_mut(&a) {
        n.hooks.insert(
            ha.to_string(),
            NgPeer {
                node: b,
                hook: hb.to_string(),
            },
        );
    }
    if let Some(n) = st.netgraph.nodes.get_mut(&b) {
        n.hooks.insert(
            hb.to_string(),
            NgPeer {
                node: a,
                hook: ha.to_string(),
            },
        );
    }
    Ok(())
}

fn msg(st: &mut SimState, id: u32, m: &str, args: &[&str]) -> R<Output> {
    let Some(node) = st.netgraph.nodes.get(&id).cloned() else {
        return Err(fail("ngctl", ENOENT));
    };
    match (node.kind.as_str(), m) {
        ("eiface", "set") => {
            let mac = args
                .first()
                .and_then(|a| crate::state::parse_mac(a))
                .ok_or_else(|| fail("ngctl", EINVAL))?;
            if let Some(i) = node.iface.and_then(|i| st.ifaces.get_mut(&i)) {
                i.mac = Some(mac);
            }
            Ok(Output::ok(""))
        }
        ("eiface" | "ether", "getifname") => {
            let name = node
                .iface
                .and_then(|i| st.ifaces.get(&i))
                .map(|i| i.name.clone())
                .unwrap_or_default();
            Ok(Output::ok(format!(
                "Rec'd response \"getifname\" (1) from \"[{id:x}]:\":\nArgs:\t\"{name}\"\n"
            )))
        }
        ("bpf", "setprogram") => {
            let (hook, prog) =
                crate::bpf::parse_setprogram(args).ok_or_else(|| fail("ngctl", EINVAL))?;
            let n = st
                .netgraph
                .nodes
                .get_mut(&id)
                .filter(|n| n.hooks.contains_key(&hook))
                .ok_or_else(|| fail("ngctl", ENOENT))?;
            n.programs.insert(hook, prog);
            Ok(Output::ok(""))
        }
        ("bridge", "setpersistent") => {
            if let Some(n) = st.netgraph.nodes.get_mut(&id) {
                n.persistent = true;
            }
            Ok(Output::ok(""))
        }
        (
            _,
            "getstats" | "setconfig" | "getconfig" | "setpromisc" | "setautosrc" | "reset"
            | "gettable",
        ) => Ok(Output::ok("")),
        _ => Err(fail("ngctl", EINVAL)),
    }
}

fn node_line(id: u32, n: &NgNode) -> String {
    format!(
        "  Name: {:<15} Type: {:<15} ID: {:08x}   Num hooks: {}\n",
        n.name.as_deref().unwrap_or("<unnamed>"),
        n.kind,
        id,
        n.hooks.len()
    )
}

fn list(st: &SimState, named_only: bool, long: bool) -> String {
    // Outside a batch the socket of this very call is listed too.
    let sock_id = st.netgraph.next_id.max(1);
    let sock = NgNode {
        name: Some(format!("ngctl{}", 1000 + sock_id)),
        kind: "socket".into(),
        hooks: BTreeMap::new(),
        iface: None,
        persistent: false,
        programs: BTreeMap::new(),
    };
    let mut nodes: Vec<(u32, &NgNode)> = st
        .netgraph
        .nodes
        .iter()
        .map(|(i, n)| (*i, n))
        .filter(|(_, n)| !named_only || n.name.is_some())
        .collect();
    if !st.netgraph.nodes.values().any(|n| n.kind == "socket") {
        nodes.push((sock_id, &sock));
    }
    let mut s = if named_only {
        format!("There are {} total named nodes:\n", nodes.len())
    } else {
        format!("There are {} total nodes:\n", nodes.len())
    };
    for (id, n) in nodes {
        if long {
            s.push_str(&show_node(st, id, n));
        } else {
            s.push_str(&node_line(id, n));
        }
    }
    s
}

fn show(st: &SimState, id: u32) -> String {
    match st.netgraph.nodes.get(&id) {
        Some(n) => show_node(st, id, n),
        None => String::new(),
    }
}

/// The node line, then its hooks as a table (`ngctl show`, and each node of `list -l`).
fn show_node(st: &SimState, id: u32, n: &NgNode) -> String {
    let mut s = node_line(id, n);
    if !n.hooks.is_empty() {
        s.push_str(
            "  Local hook      Peer name       Peer type    Peer ID         Peer hook      \n",
        );
        s.push_str(
            "  ----------      ---------       ---------    -------         ---------      \n",
        );
        for (h, p) in &n.hooks {
            let peer = st.netgraph.nodes.get(&p.node);
            s.push_str(&format!(
                "  {:<15} {:<15} {:<12} {:08x}        {:<15}\n",
                h,
                peer.and_then(|x| x.name.as_deref()).unwrap_or("<unnamed>"),
                peer.map(|x| x.kind.as_str()).unwrap_or("?"),
                p.node,
                p.hook
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};
    use jailnet_host::Invocation;

    fn ng(h: &mut SimHost, args: &[&str]) -> jailnet_host::Output {
        let o = h.sh("ngctl", args);
        assert_eq!(o.status, 0, "ngctl {args:?}: {}", o.stderr);
        o
    }

    #[test]
    fn seed_002_netgraph_jail_recipe() {
        // seeds/002: three eifaces, a bridge made on ng_host's ether hook, connects.
        let mut h = SimHost::fresh();
        ng(&mut h, &["mkpeer", "eiface", "ether", "ether"]);
        ng(&mut h, &["mkpeer", "eiface", "ether", "ether"]);
        ng(&mut h, &["mkpeer", "eiface", "ether", "ether"]);
        assert!(h.iface(&VnetId::Host, "ngeth2").is_some());
        ng(&mut h, &["name", "ngeth0:", "ng_host"]);
        ng(&mut h, &["name", "ngeth1:", "ng_test1"]);
        ng(&mut h, &["name", "ngeth2:", "ng_test2"]);
        ng(&mut h, &["mkpeer", "ng_host:", "bridge", "ether", "link0"]);
        ng(&mut h, &["name", "ng_host:ether", "br0"]);
        ng(&mut h, &["connect", "br0:", "ng_test1:", "link1", "ether"]);
        ng(&mut h, &["connect", "br0:", "ng_test2:", "link2", "ether"]);
        let l = ng(&mut h, &["list"]).stdout;
        assert!(l.starts_with("There are 6 total nodes:\n"), "{l}");
        assert!(
            l.contains("  Name: br0             Type: bridge          ID: "),
            "{l}"
        );
        assert!(l.contains("   Num hooks: 3\n"));
        let o = h.sh("ngctl", &["connect", "br0:", "ng_test2:", "link2", "ether"]);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "ngctl: send msg: File exists\n")
        );
        // shutting down an eiface removes its interface; the bridge survives with hooks left
        ng(&mut h, &["shutdown", "ng_test2:"]);
        assert!(h.iface(&VnetId::Host, "ngeth2").is_none());
        ng(&mut h, &["shutdown", "ng_test1:"]);
        ng(&mut h, &["shutdown", "ng_host:"]);
        // last hook gone: ng_bridge shut itself down
        assert_eq!(h.sh("ngctl", &["show", "br0:"]).status, 1);
        assert_eq!(
            h.sh("ngctl", &["mkpeer", "eiface", "ether", "ether"])
                .status,
            0
        );
        assert!(h.iface(&VnetId::Host, "ngeth0").is_some());
    }

    #[test]
    fn a_batch_shares_one_socket_and_stops_at_the_first_error() {
        let mut h = SimHost::fresh();
        let before = h.clone();
        // A bridge hooked only to the socket, named through the socket's hook, with an
        // eiface on it: the bridge survives the socket closing because the eiface holds it.
        let text = "mkpeer . bridge tmp link1\nname tmp sw\nmkpeer sw: eiface link0 ether\n\
                    name sw:link0 sw_host\nmsg sw_host: getifname\n";
        let o = h.exec(&Invocation::new("ngctl", ["-f", "-"]).with_stdin(text));
        assert_eq!(o.status, 0, "{}", o.stderr);
        assert!(o.stdout.ends_with("Args:\t\"ngeth0\"\n"), "{}", o.stdout);
        let show = ng(&mut h, &["show", "sw:"]).stdout;
        assert!(show.contains("Num hooks: 1\n"), "{show}");
        let long = ng(&mut h, &["list", "-l"]).stdout;
        assert!(
            long.contains("  link0           sw_host         eiface       "),
            "{long}"
        );
        assert!(
            !long.contains("Type: socket          ID: 00000002"),
            "{long}"
        );
        // Line 2 fails: line 1's bridge (hooked to the socket only) goes with the socket.
        let o = h.exec(
            &Invocation::new("ngctl", ["-f", "-"])
                .with_stdin("mkpeer . bridge t link0\nname t sw\n"),
        );
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (
                1,
                "ngctl: send msg: File exists\nngctl: line 2: error in file\n"
            )
        );
        assert_eq!(
            ng(&mut h, &["list"]).stdout.matches("Type: bridge").count(),
            1
        );
        ng(&mut h, &["shutdown", "sw:"]);
        ng(&mut h, &["shutdown", "sw_host:"]);
        assert_eq!(h, before);
    }

    #[test]
    fn ether_nodes_of_dotted_interfaces_use_underscores() {
        let h = SimHost::fresh()
            .with_nic("em1.5", "58:9c:fc:00:00:11")
            .unwrap();
        let mut h = h;
        assert_eq!(h.sh("ngctl", &["show", "em1_5:"]).status, 0);
    }

    #[test]
    fn uplink_via_ng_ether_and_mac() {
        let mut h = SimHost::fresh();
        ng(&mut h, &["mkpeer", "em0:", "bridge", "lower", "link0"]);
        ng(&mut h, &["name", "em0:lower", "sw"]);
        ng(&mut h, &["connect", "em0:", "sw:", "upper", "link1"]);
        ng(&mut h, &["mkpeer", "sw:", "eiface", "link2", "ether"]);
        ng(&mut h, &["msg", "sw:link2", "set", "58:9c:fc:00:00:01"]);
        assert_eq!(
            h.iface(&VnetId::Host, "ngeth0")
                .and_then(|i| i.mac.clone())
                .as_deref(),
            Some("58:9c:fc:00:00:01")
        );
        let o = ng(&mut h, &["msg", "sw:link2", "getifname"]);
        assert!(o.stdout.ends_with("Args:\t\"ngeth0\"\n"));
        let o = h.sh("ngctl", &["mkpeer", "sw:", "eiface", "bogus", "ether"]);
        assert_eq!(o.status, 1);
    }
}
