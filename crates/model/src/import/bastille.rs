//! Bastille → jailnet, from each jail's `jail.conf` (jail(8) syntax), `rdr.conf` and,
//! for VNET jails, the jail's own `/etc/rc.conf` (where Bastille writes its address).
//!
//! - `vnet; vnet.interface = e0b_NAME; exec.prestart += "jib addm NAME em0"` → a NIC on
//!   switch `em0bridge` (jib's bridge) with uplink em0; `jng bridge NAME em0` → the same
//!   as a netgraph switch; `ifconfig bridge0 addm e0a_NAME` (`-B`) → a NIC on the existing
//!   bridge0 as a `manual` switch; `ifconfig e0b_NAME ether MAC` → the NIC's MAC.
//! - `interface = bastille0; ip4.addr = 10.17.89.10;` / `ip4.addr = em0|…` → shared-IP
//!   aliases; on Bastille's loopback (`bastille0`, `lo1`) the jail gets `nat = true` (pf's
//!   `<jails>` table NAT); `ip4 = inherit` → inherit.
//! - `rdr.conf`: `tcp 8080 80` or `inet em0 any any tcp 8080 80` → `expose`.

use super::{
    cidr_with, has_forward_target, jail_name, new_jail, new_nic, new_switch, other_keys_note,
    Annotated, ImportError,
};
use crate::config::*;
use crate::iocage::parse_assignments;
use crate::names::IfName;
use crate::net::Mac;
use crate::syntax;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// One Bastille jail as read from disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    pub origin: String,
    pub jail_conf: String,
    pub rdr_conf: Option<String>,
    /// The jail's `root/etc/rc.conf`.
    pub rc_conf: Option<String>,
}

/// One parameter of a jail.conf block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub key: String,
    /// `None` for a bare flag (`vnet;`).
    pub value: Option<String>,
    /// `+=` rather than `=`.
    pub append: bool,
}

/// A jail.conf block: `NAME { params }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub name: String,
    pub params: Vec<Param>,
}

/// jail.conf parameters this importer reads.
const READ: &[&str] = &[
    "vnet",
    "vnet.interface",
    "exec.prestart",
    "exec.poststop",
    "interface",
    "ip4.addr",
    "ip6.addr",
    "ip4",
    "ip6",
    "allow.raw_sockets",
];
const UNMAPPED: &[(&str, &str)] = &[
    ("devfs_ruleset", "4"),
    ("ip4.saddrsel", "1"),
    ("ip6.saddrsel", "1"),
    ("ip_hostname", "0"),
    ("exec.prestop", ""),
    ("exec.poststart", ""),
];

/// Convert Bastille jails.
pub fn import(sources: &[Source], uplink: Option<&IfName>) -> Result<Annotated, Vec<ImportError>> {
    let mut doc = Annotated::default();
    let mut errs = Vec::new();
    doc.header
        .push("jailnet.toml converted from Bastille by `jailnet import bastille`.".into());
    let mut blocks = Vec::new();
    for s in sources {
        match parse_jail_conf(&s.jail_conf) {
            Ok(bs) => blocks.extend(bs.into_iter().map(|b| (s, b))),
            Err(m) => errs.push(ImportError::new(s.origin.clone(), m)),
        }
    }
    // jib's (if_bridge) interface first, then jng's.
    let cmds: Vec<BridgeCmd> = blocks
        .iter()
        .flat_map(|(_, b)| &b.params)
        .filter(|p| p.key == "exec.prestart")
        .filter_map(|p| bridge_cmd(p.value.as_deref()?))
        .collect();
    let guessed = [SwitchKind::Bridge, SwitchKind::Netgraph]
        .iter()
        .find_map(|k| {
            cmds.iter()
                .filter(|c| c.kind == *k)
                .find_map(|c| c.uplink.clone())
        });
    let uplink = match uplink.cloned().or(guessed) {
        Some(u) => u,
        None => {
            doc.header.push(
                "[host] uplink em0 is assumed (Bastille's pf ext_if); use --uplink IF to name it."
                    .into(),
            );
            IfName::new("em0").map_err(|e| vec![ImportError::new("em0", e.to_string())])?
        }
    };
    doc.cfg.host.uplink = Some(uplink.clone());
    for (src, b) in &blocks {
        match jail(&mut doc, src, b, &uplink) {
            Ok(()) => {}
            Err(e) => errs.extend(e),
        }
    }
    if errs.is_empty() {
        Ok(doc)
    } else {
        Err(errs)
    }
}

fn jail(
    doc: &mut Annotated,
    src: &Source,
    b: &Block,
    uplink: &IfName,
) -> Result<(), Vec<ImportError>> {
    let e = |m: String| vec![ImportError::new(format!("{} ({})", src.origin, b.name), m)];
    let (name, renamed) = jail_name(&b.name).map_err(|x| vec![x])?;
    let table = format!("jail.{}", crate::export::key(name.as_str()));
    doc.comment(&table, format!("from {}", src.origin));
    if let Some(n) = renamed {
        doc.comment(&table, n);
    }
    let mut j = new_jail(name.clone());
    let vals = |k: &str| -> Vec<&str> {
        b.params
            .iter()
            .filter(|p| p.key == k)
            .filter_map(|p| p.value.as_deref())
            .collect()
    };
    let one = |k: &str| vals(k).last().copied();
    let on = |k: &str| {
        b.params.iter().any(|p| {
            p.key == k
                && match p.value.as_deref() {
                    None => true,
                    Some(v) => matches!(v, "new" | "1" | "true"),
                }
        })
    };
    let vnet = on("vnet");
    j.allow_raw_sockets = on("allow.raw_sockets");

    if vnet {
        // NIC index → (switch, kind, uplink); index → jail-side MAC.
        let mut nic_sw: BTreeMap<usize, (String, SwitchKind, Option<IfName>)> = BTreeMap::new();
        let mut macs: BTreeMap<usize, Mac> = BTreeMap::new();
        for cmd in vals("exec.prestart") {
            if let Some(c) = bridge_cmd(cmd) {
                for (i, (sw, up)) in c.bridges.into_iter().enumerate() {
                    nic_sw.insert(i, (sw, c.kind, up));
                }
            } else if let Some((ifc, rest)) = ifconfig(cmd) {
                let words: Vec<&str> = rest.split_whitespace().collect();
                match words.as_slice() {
                    ["addm", member, ..] => match nic_index(member, 'a') {
                        Some(i) => {
                            nic_sw.insert(i, (ifc.to_string(), SwitchKind::Manual, None));
                        }
                        None => doc.not_carried(&table, format!("exec.prestart \"{cmd}\"")),
                    },
                    ["ether", mac, ..] => {
                        let side_b = nic_index(ifc, 'b').or_else(|| ng_index(ifc));
                        match (side_b, mac.parse::<Mac>().ok()) {
                            (Some(i), Some(m)) => {
                                macs.insert(i, m);
                            }
                            (None, _) if nic_index(ifc, 'a').is_some() => {} // host side
                            _ => doc.not_carried(&table, format!("exec.prestart \"{cmd}\"")),
                        }
                    }
                    ["description", ..] | ["up", ..] => {}
                    _ => doc.not_carried(&table, format!("exec.prestart \"{cmd}\"")),
                }
            } else if !cmd.contains("ifconfig epair create") {
                doc.not_carried(&table, format!("exec.prestart \"{cmd}\""));
            }
        }
        for cmd in vals("exec.poststop") {
            let known = cmd.starts_with("jib destroy")
                || cmd.starts_with("jng shutdown")
                || ifconfig(cmd)
                    .is_some_and(|(_, r)| r.starts_with("destroy") || r.starts_with("deletem"));
            if !known {
                doc.not_carried(&table, format!("exec.poststop \"{cmd}\""));
            }
        }
        let rc = src
            .rc_conf
            .as_deref()
            .map(parse_assignments)
            .unwrap_or_default();
        let ifaces: Vec<String> = vals("vnet.interface")
            .iter()
            .flat_map(|v| v.split([',', ' ']))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        for (pos, jif) in ifaces.iter().enumerate() {
            let idx = nic_index(jif, 'b').or_else(|| ng_index(jif));
            let Some((swname, kind, up)) = idx.and_then(|i| nic_sw.get(&i).cloned()) else {
                doc.not_carried(
                    &table,
                    format!("vnet.interface = {jif}: an interface handed to the jail as is"),
                );
                continue;
            };
            let i = idx.unwrap_or(pos);
            let Ok(swif) = IfName::new(&swname) else {
                return Err(e(format!(
                    "bridge '{swname}' is not a valid interface name"
                )));
            };
            if !doc.cfg.switches.contains_key(&swname) {
                let mut sw = new_switch(&swif, kind);
                let c = match (&up, kind) {
                    (Some(u), SwitchKind::Netgraph) => {
                        format!("jng's bridge: ng_bridge with {u} as its uplink")
                    }
                    (Some(u), _) => format!("jib's bridge: {u} bridged with the jails' epairs"),
                    (None, _) => {
                        "exists on the host (Bastille -B): jailnet uses it, never removes it"
                            .to_string()
                    }
                };
                if let Some(u) = up {
                    sw.uplinks.push(Spanned::new(u, 0..0));
                }
                doc.cfg.switches.insert(swname.clone(), sw);
                doc.comment(&format!("switch.{}", crate::export::key(&swname)), c);
            }
            // Inside the jail: ifconfig_e0b_NAME_name="vnet0", then ifconfig_vnet0=….
            let inner = rc
                .get(&format!("ifconfig_{jif}_name"))
                .cloned()
                .unwrap_or_else(|| jif.clone());
            let nic_name = IfName::new(&inner)
                .or_else(|_| IfName::new(&format!("vnet{i}")))
                .map_err(|x| e(x.to_string()))?;
            let mut nic = new_nic(nic_name, &swname);
            if let Some(m) = macs.get(&i) {
                nic.mac = Spanned::new(MacSpec::Fixed(*m), 0..0);
            }
            match rc.get(&format!("ifconfig_{inner}")).map(String::as_str) {
                Some(v) if v.to_ascii_uppercase().contains("DHCP") => {
                    nic.ip4.push(Spanned::new(AddrSpec::Dhcp, 0..0))
                }
                Some(v) => match inet(v, "inet") {
                    Some(c) => nic.ip4.push(Spanned::new(AddrSpec::Static(c), 0..0)),
                    None => doc.not_carried(&table, format!("ifconfig_{inner}=\"{v}\"")),
                },
                None if src.rc_conf.is_none() => doc.not_carried(
                    &table,
                    format!("the address of {inner}: the jail's /etc/rc.conf (ifconfig_{inner}) was not found"),
                ),
                None => {}
            }
            if let Some(v) = rc.get(&format!("ifconfig_{inner}_ipv6")) {
                if v.contains("accept_rtadv") {
                    nic.ip6.push(Spanned::new(AddrSpec::Slaac, 0..0));
                } else if let Some(c) = inet(v, "inet6") {
                    nic.ip6.push(Spanned::new(AddrSpec::Static(c), 0..0));
                } else {
                    doc.not_carried(&table, format!("ifconfig_{inner}_ipv6=\"{v}\""));
                }
            }
            j.nics.push(nic);
        }
        for (key, v4) in [("defaultrouter", true), ("ipv6_defaultrouter", false)] {
            if let Some(v) = rc.get(key).filter(|v| !v.is_empty() && v.as_str() != "NO") {
                match v.parse::<IpAddr>() {
                    Ok(a) if a.is_ipv4() == v4 => {
                        let r = Router::Addr(Spanned::new(a, 0..0));
                        if v4 {
                            j.defaultrouter = r;
                        } else {
                            j.defaultrouter6 = r;
                        }
                    }
                    _ => doc.not_carried(&table, format!("{key}=\"{v}\"")),
                }
            }
        }
    } else {
        let default_if = match one("interface") {
            Some(i) => Some(IfName::new(i).map_err(|x| e(format!("interface = {i}: {x}")))?),
            None => Some(uplink.clone()),
        };
        for (key, v4) in [("ip4.addr", true), ("ip6.addr", false)] {
            let mut list = Vec::new();
            for item in vals(key)
                .iter()
                .flat_map(|v| v.split([',', ' ']))
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match syntax::parse_alias(item, default_if.as_ref()) {
                    Ok(a) if a.cidr.is_v4() == v4 => list.push(Spanned::new(a, 0..0)),
                    Ok(_) => return Err(e(format!("{key} = {item}: wrong address family"))),
                    Err(x) => return Err(e(format!("{key} = {item}: {}", x.message))),
                }
            }
            if !list.is_empty() {
                if v4 {
                    j.ip4 = SharedIp::Aliases(list);
                } else {
                    j.ip6 = SharedIp::Aliases(list);
                }
            }
        }
        for (key, slot) in [("ip4", &mut j.ip4), ("ip6", &mut j.ip6)] {
            if one(key) == Some("inherit") {
                *slot = SharedIp::Inherit;
            }
        }
        let on_loopback = |ip: &SharedIp| matches!(ip, SharedIp::Aliases(a) if a.iter().any(|a| is_loopback(a.ifname.as_str())));
        if on_loopback(&j.ip4) {
            j.nat = true;
            doc.comment(
                &table,
                "on Bastille's loopback: outbound NAT as Bastille's pf <jails> table did",
            );
        }
    }

    // Ports.
    if let Some(rdr) = &src.rdr_conf {
        let mut list = Vec::new();
        for line in rdr
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            match rdr_line(line, uplink) {
                Ok((x, notes)) => {
                    if !notes.is_empty() {
                        doc.not_carried(&table, format!("rdr \"{line}\": {}", notes.join("; ")));
                    }
                    list.push(Spanned::new(x, 0..0));
                }
                Err(m) => return Err(e(format!("rdr.conf \"{line}\": {m}"))),
            }
        }
        if has_forward_target(&j) {
            j.expose = list;
        } else if !list.is_empty() {
            let l: Vec<String> = list.iter().map(|x| x.value.to_string()).collect();
            doc.not_carried(
                &table,
                format!("rdr {}: the jail's address is not known", l.join(" ")),
            );
        }
    }
    for (k, default) in UNMAPPED {
        for v in vals(k) {
            // 13 is the ruleset Bastille gives VNET jails.
            if v != *default && !(*k == "devfs_ruleset" && v == "13") {
                doc.not_carried(&table, format!("{k} = {v}"));
            }
        }
    }
    let mut other: Vec<&str> = b
        .params
        .iter()
        .map(|p| p.key.as_str())
        .filter(|k| !READ.contains(k) && !UNMAPPED.iter().any(|(u, _)| u == k))
        .collect();
    other.sort_unstable();
    other.dedup();
    for n in other_keys_note(&other, "parameters") {
        doc.not_carried(&table, n);
    }
    j.resolver = Resolver::None;
    doc.cfg.jails.insert(name, j);
    Ok(())
}

/// A bridge-making helper line: jib / jng.
struct BridgeCmd {
    kind: SwitchKind,
    /// Per NIC index: the switch and its uplink.
    bridges: Vec<(String, Option<IfName>)>,
    uplink: Option<IfName>,
}

/// `jib addm [-b BRIDGE] NAME IF…` or `jng bridge NAME IF…`.
fn bridge_cmd(cmd: &str) -> Option<BridgeCmd> {
    let w: Vec<&str> = cmd.split_whitespace().collect();
    let (kind, rest) = match w.as_slice() {
        [tool, "addm", rest @ ..] if tool.ends_with("jib") => (SwitchKind::Bridge, rest),
        [tool, "bridge", rest @ ..] if tool.ends_with("jng") => (SwitchKind::Netgraph, rest),
        _ => return None,
    };
    let (named, rest) = match rest {
        ["-b", b, rest @ ..] => (Some(*b), rest),
        r => (None, r),
    };
    let [_jail, ifs @ ..] = rest else { return None };
    let bridges: Vec<(String, Option<IfName>)> = ifs
        .iter()
        .map(|i| {
            let name = named.map_or_else(|| format!("{i}bridge"), str::to_string);
            (name, IfName::new(i).ok())
        })
        .collect();
    let uplink = bridges.first().and_then(|b| b.1.clone());
    Some(BridgeCmd {
        kind,
        bridges,
        uplink,
    })
}

/// `ifconfig IF REST` → (IF, REST).
fn ifconfig(cmd: &str) -> Option<(&str, &str)> {
    let rest = cmd
        .trim()
        .strip_prefix("ifconfig ")
        .or_else(|| cmd.trim().strip_prefix("/sbin/ifconfig "))?;
    let rest = rest.trim_start();
    let (ifc, r) = rest.split_once(char::is_whitespace)?;
    Some((ifc, r.trim()))
}

/// `e0a_web` (side 'a') / `e1b_web` (side 'b') → the NIC index.
fn nic_index(ifc: &str, side: char) -> Option<usize> {
    let rest = ifc.strip_prefix('e')?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let tail = &rest[digits.len()..];
    let mut t = tail.chars();
    (t.next() == Some(side) && t.next() == Some('_')).then(|| digits.parse().ok())?
}

/// `ng0_web` → 0.
fn ng_index(ifc: &str) -> Option<usize> {
    let rest = ifc.strip_prefix("ng")?;
    let (d, _) = rest.split_once('_')?;
    d.parse().ok()
}

/// `inet 10.0.0.5/24`, `inet 10.0.0.5 netmask 255.255.255.0`, `inet6 fd00::5 prefixlen 64`.
fn inet(v: &str, fam: &str) -> Option<crate::net::Cidr> {
    let w: Vec<&str> = v.split_whitespace().collect();
    let pos = w.iter().position(|x| *x == fam)?;
    let mut addr = (*w[pos + 1..]
        .iter()
        .find(|x| x.parse::<IpAddr>().is_ok() || x.contains('/'))?)
    .to_string();
    if let Some(i) = w.iter().position(|x| *x == "netmask" || *x == "prefixlen") {
        addr = format!("{addr}/{}", w.get(i + 1)?);
    }
    cidr_with(&addr, None)
}

fn is_loopback(ifc: &str) -> bool {
    ifc == "bastille0"
        || (ifc.starts_with("lo") && ifc[2..].chars().all(|c| c.is_ascii_digit()) && ifc != "lo0")
}

/// One rdr.conf line → an expose plus what of it is not carried over.
fn rdr_line(line: &str, uplink: &IfName) -> Result<(Expose, Vec<String>), String> {
    let w: Vec<&str> = line.split_whitespace().collect();
    let mut notes = Vec::new();
    let (proto, h, j, dst) = match w.as_slice() {
        [p, h, j] => (*p, *h, *j, "any"),
        [fam, ifc, src, dst, p, h, j, rest @ ..] => {
            if *ifc != uplink.as_str() {
                notes.push(format!(
                    "it was on {ifc}; jailnet exposes on [host] uplink {uplink}"
                ));
            }
            if *src != "any" {
                notes.push(format!("only from {src}"));
            }
            if *fam == "inet6" {
                notes.push("IPv6 only".into());
            }
            if rest.contains(&"log") {
                notes.push("log".into());
            }
            (*p, *h, *j, *dst)
        }
        _ => {
            return Err(
                "expected PROTO HOSTPORT JAILPORT or FAMILY IF SRC DST PROTO HOSTPORT JAILPORT"
                    .into(),
            )
        }
    };
    let mut spec = format!("{proto}/");
    if dst != "any" {
        match dst.parse::<IpAddr>() {
            Ok(IpAddr::V6(a)) => spec.push_str(&format!("[{a}]:")),
            Ok(a) => spec.push_str(&format!("{a}:")),
            Err(_) => notes.push(format!("to {dst}")),
        }
    }
    spec.push_str(&format!("{h}:{j}"));
    let x = syntax::parse_expose(&spec).map_err(|e| e.message)?;
    Ok((x, notes))
}

/// Parse jail.conf(5) text into blocks. Parameters outside a block apply to every block.
pub fn parse_jail_conf(text: &str) -> Result<Vec<Block>, String> {
    let toks = tokenize(text)?;
    let mut blocks = Vec::new();
    let mut global = Vec::new();
    let mut i = 0;
    let mut cur: Option<Block> = None;
    while i < toks.len() {
        match (&toks[i], toks.get(i + 1)) {
            (Tok::Close, _) => {
                let b = cur.take().ok_or("unexpected '}'")?;
                blocks.push(b);
                i += 1;
            }
            (Tok::Word(w), Some(Tok::Open)) if cur.is_none() => {
                cur = Some(Block {
                    name: w.clone(),
                    params: global.clone(),
                });
                i += 2;
            }
            (Tok::Word(k), _) => {
                let mut j = i + 1;
                let (value, append) = match toks.get(j) {
                    Some(Tok::Set) | Some(Tok::Append) => {
                        let append = toks[j] == Tok::Append;
                        j += 1;
                        let mut parts = Vec::new();
                        while let Some(Tok::Word(v)) = toks.get(j) {
                            parts.push(v.clone());
                            j += 1;
                        }
                        (Some(parts.join(" ")), append)
                    }
                    _ => (None, false),
                };
                if toks.get(j) != Some(&Tok::Semi) {
                    return Err(format!("parameter '{k}' is not ended by ';'"));
                }
                let p = Param {
                    key: k.clone(),
                    value,
                    append,
                };
                match &mut cur {
                    Some(b) => b.params.push(p),
                    None => global.push(p),
                }
                i = j + 1;
            }
            (Tok::Semi, _) => i += 1,
            (t, _) => return Err(format!("unexpected {t:?}")),
        }
    }
    if cur.is_some() {
        return Err("a block is not closed with '}'".into());
    }
    Ok(blocks)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Open,
    Close,
    Set,
    Append,
    Semi,
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let c: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        match ch {
            _ if ch.is_whitespace() || ch == ',' => i += 1,
            '#' => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            '{' => {
                out.push(Tok::Open);
                i += 1;
            }
            '}' => {
                out.push(Tok::Close);
                i += 1;
            }
            ';' => {
                out.push(Tok::Semi);
                i += 1;
            }
            '=' => {
                out.push(Tok::Set);
                i += 1;
            }
            '+' if c.get(i + 1) == Some(&'=') => {
                out.push(Tok::Append);
                i += 2;
            }
            '"' | '\'' => {
                let q = ch;
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(&x) = c.get(i) else {
                        return Err("unterminated quoted string".into());
                    };
                    i += 1;
                    if x == q {
                        break;
                    }
                    if x == '\\' && q == '"' {
                        if let Some(&n) = c.get(i) {
                            s.push(n);
                            i += 1;
                        }
                        continue;
                    }
                    s.push(x);
                }
                out.push(Tok::Word(s));
            }
            _ => {
                let mut s = String::new();
                while i < c.len() && word_char(&c, i) {
                    s.push(c[i]);
                    i += 1;
                }
                out.push(Tok::Word(s));
            }
        }
    }
    Ok(out)
}

/// Whether `c[i]` continues an unquoted word.
fn word_char(c: &[char], i: usize) -> bool {
    let x = c[i];
    let append = x == '+' && c.get(i + 1) == Some(&'=');
    !(x.is_whitespace() || "{};=,\"'".contains(x) || append)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jail_conf_blocks_flags_and_appends() {
        let b = parse_jail_conf("web {\n  vnet;\n  vnet.interface = e0b_web;\n  exec.prestart += \"jib addm web em0\";\n  exec.start = '/bin/sh /etc/rc';\n  ip4.addr = 10.0.0.1, 10.0.0.2; # two\n}\n").unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].name, "web");
        assert_eq!(
            b[0].params[0],
            Param {
                key: "vnet".into(),
                value: None,
                append: false
            }
        );
        assert!(b[0].params[2].append);
        assert_eq!(b[0].params[2].value.as_deref(), Some("jib addm web em0"));
        assert_eq!(b[0].params[4].value.as_deref(), Some("10.0.0.1 10.0.0.2"));
        assert!(parse_jail_conf("web { vnet }").is_err());
    }

    #[test]
    fn helpers() {
        assert_eq!(nic_index("e0b_web", 'b'), Some(0));
        assert_eq!(nic_index("e12a_web", 'a'), Some(12));
        assert_eq!(nic_index("e0a_web", 'b'), None);
        assert_eq!(ng_index("ng1_web"), Some(1));
        let c = bridge_cmd("jib addm web em0 em1").unwrap();
        assert_eq!(c.bridges[1].0, "em1bridge");
        assert_eq!(
            inet("inet 10.0.0.5 netmask 255.255.255.0", "inet")
                .unwrap()
                .to_string(),
            "10.0.0.5/24"
        );
        let (x, n) =
            rdr_line("inet em0 any any tcp 8080 80", &IfName::new("em0").unwrap()).unwrap();
        assert_eq!((x.to_string(), n.len()), ("tcp/8080:80".into(), 0));
    }
}
