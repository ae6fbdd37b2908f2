//! Writing a [`Config`] back out as jailnet.toml text: the inverse of `load`, used by
//! `jailnet import`. Output is stable (tables in name order, keys in DESIGN.md order,
//! defaults left out) and carries the importer's comments: a header, per-table remarks,
//! and one `# not carried over: …` line for everything the source had that jailnet
//! does not express.

use crate::config::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A config plus the comments to write with it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Annotated {
    pub cfg: Config,
    /// Comment lines at the top of the file (without the leading `# `).
    pub header: Vec<String>,
    /// Per table (`host`, `switch.NAME`, `jail.NAME`, `vm.NAME`): where values came from.
    pub comments: BTreeMap<String, Vec<String>>,
    /// Per table: what the source had that is not carried over.
    pub notes: BTreeMap<String, Vec<String>>,
}

impl Annotated {
    /// Add a remark under table `table`.
    pub fn comment(&mut self, table: &str, line: impl Into<String>) {
        self.comments
            .entry(table.to_string())
            .or_default()
            .push(line.into());
    }

    /// Record that `what` was not carried over into table `table`.
    pub fn not_carried(&mut self, table: &str, what: impl Into<String>) {
        let what = what.into();
        let list = self.notes.entry(table.to_string()).or_default();
        if !list.contains(&what) {
            list.push(what);
        }
    }
}

/// Render `doc` as jailnet.toml text.
pub fn emit(doc: &Annotated) -> String {
    let mut out = String::new();
    for l in &doc.header {
        comment_line(&mut out, l);
    }
    let cfg = &doc.cfg;
    let section = |out: &mut String, table: &str, header: String, body: String| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&header);
        out.push('\n');
        for l in doc.comments.get(table).into_iter().flatten() {
            comment_line(out, l);
        }
        for l in doc.notes.get(table).into_iter().flatten() {
            comment_line(out, &format!("not carried over: {l}"));
        }
        out.push_str(&body);
    };
    let mut host = String::new();
    if let Some(u) = &cfg.host.uplink {
        kv(&mut host, "uplink", &quote(u.as_str()));
    }
    if let Some(n) = &cfg.host.name {
        kv(&mut host, "name", &quote(n));
    }
    if !host.is_empty() || doc.notes.contains_key("host") || doc.comments.contains_key("host") {
        section(&mut out, "host", "[host]".into(), host);
    }
    for sw in cfg.switches.values() {
        let t = format!("switch.{}", key(&sw.name));
        section(&mut out, &t, format!("[{t}]"), switch(sw));
    }
    for j in cfg.jails.values() {
        let t = format!("jail.{}", key(j.name.as_str()));
        section(&mut out, &t, format!("[{t}]"), jail(j, &t));
    }
    for vm in cfg.vms.values() {
        let t = format!("vm.{}", key(vm.name.as_str()));
        let mut body = String::new();
        for n in &vm.nics {
            let _ = writeln!(body, "[[{t}.nic]]");
            kv(&mut body, "switch", &quote(&n.switch.value));
            if let MacSpec::Fixed(m) = &n.mac.value {
                kv(&mut body, "mac", &quote(&m.to_string()));
            }
            if n.secure {
                kv(&mut body, "secure", "true");
            }
        }
        section(&mut out, &t, format!("[{t}]"), body);
    }
    if let Some(c) = &cfg.cluster {
        let mut body = String::new();
        kv(&mut body, "etcd", &list(c.etcd.iter().map(String::as_str)));
        if let Some(v) = c.vtep {
            kv(&mut body, "vtep", &quote(&v.to_string()));
        }
        section(&mut out, "cluster", "[cluster]".into(), body);
    }
    out
}

fn switch(sw: &Switch) -> String {
    let mut b = String::new();
    match sw.kind {
        SwitchKind::Bridge => {}
        SwitchKind::Netgraph => kv(&mut b, "kind", "\"netgraph\""),
        SwitchKind::Manual => kv(&mut b, "kind", "\"manual\""),
    }
    if sw.ifname.as_str() != sw.name {
        kv(&mut b, "ifname", &quote(sw.ifname.as_str()));
    }
    if !sw.addresses.is_empty() {
        let a: Vec<String> = sw.addresses.iter().map(|a| a.value.to_string()).collect();
        kv(&mut b, "address", &list(a.iter().map(String::as_str)));
    }
    if !sw.uplinks.is_empty() {
        kv(
            &mut b,
            "uplinks",
            &list(sw.uplinks.iter().map(|u| u.value.as_str())),
        );
    }
    if sw.private {
        kv(&mut b, "private", "true");
    }
    if sw.nat {
        kv(&mut b, "nat", "true");
    }
    if let Some(m) = sw.mtu {
        kv(&mut b, "mtu", &m.to_string());
    }
    if let Some(d) = &sw.dhcp {
        let mut parts = Vec::new();
        if let Some(r) = &d.range {
            parts.push(format!(
                "range = {}",
                quote(&format!("{}-{}", r.value.0, r.value.1))
            ));
        }
        if !d.hosts.is_empty() {
            let h: Vec<String> = d
                .hosts
                .iter()
                .map(|(m, a)| format!("{} = {}", quote(&m.to_string()), quote(&a.to_string())))
                .collect();
            parts.push(format!("hosts = {{ {} }}", h.join(", ")));
        }
        kv(&mut b, "dhcp", &format!("{{ {} }}", parts.join(", ")));
    }
    if let Some(v) = &sw.vlan {
        kv(
            &mut b,
            "vlan",
            &format!(
                "{{ parent = {}, tag = {} }}",
                quote(v.parent.as_str()),
                v.tag
            ),
        );
    }
    if let Some(x) = &sw.vxlan {
        let mut parts = vec![format!("vni = {}", x.vni)];
        if let Some(g) = x.group {
            parts.push(format!("group = {}", quote(&g.to_string())));
        }
        if let Some(d) = &x.dev {
            parts.push(format!("dev = {}", quote(d.as_str())));
        }
        if !x.remotes.is_empty() {
            let r: Vec<String> = x.remotes.iter().map(|r| r.to_string()).collect();
            parts.push(format!("remotes = {}", list(r.iter().map(String::as_str))));
        }
        if x.cluster {
            parts.push("cluster = true".into());
        }
        kv(&mut b, "vxlan", &format!("{{ {} }}", parts.join(", ")));
    }
    b
}

fn jail(j: &Jail, table: &str) -> String {
    let mut b = String::new();
    for (k, ip) in [("ip4", &j.ip4), ("ip6", &j.ip6)] {
        match ip {
            SharedIp::None => {}
            SharedIp::Inherit => kv(&mut b, k, "\"inherit\""),
            SharedIp::Aliases(a) => {
                let a: Vec<String> = a
                    .iter()
                    .map(|a| format!("{}|{}", a.ifname, a.cidr))
                    .collect();
                kv(&mut b, k, &list(a.iter().map(String::as_str)));
            }
        }
    }
    match &j.resolver {
        Resolver::None => {}
        Resolver::Inherit => kv(&mut b, "resolver", "\"inherit\""),
        Resolver::Lines(l) => kv(&mut b, "resolver", &list(l.iter().map(String::as_str))),
    }
    for (k, r) in [
        ("defaultrouter", &j.defaultrouter),
        ("defaultrouter6", &j.defaultrouter6),
    ] {
        match r {
            Router::Auto => {}
            Router::None => kv(&mut b, k, "\"none\""),
            Router::Addr(a) => kv(&mut b, k, &quote(&a.value.to_string())),
        }
    }
    if j.allow_raw_sockets {
        kv(&mut b, "allow_raw_sockets", "true");
    }
    if j.firewall {
        kv(&mut b, "firewall", "true");
    }
    if j.nat {
        kv(&mut b, "nat", "true");
    }
    if !j.expose.is_empty() {
        let e: Vec<String> = j.expose.iter().map(|e| e.value.to_string()).collect();
        kv(&mut b, "expose", &list(e.iter().map(String::as_str)));
    }
    for n in &j.nics {
        let _ = writeln!(b, "\n[[{table}.nic]]");
        kv(&mut b, "name", &quote(n.name.as_str()));
        kv(&mut b, "switch", &quote(&n.switch.value));
        for (k, specs) in [("ip4", &n.ip4), ("ip6", &n.ip6)] {
            if !specs.is_empty() {
                let s: Vec<String> = specs.iter().map(|s| addr_spec(&s.value)).collect();
                kv(&mut b, k, &list(s.iter().map(String::as_str)));
            }
        }
        if let MacSpec::Fixed(m) = &n.mac.value {
            kv(&mut b, "mac", &quote(&m.to_string()));
        }
        if n.secure {
            kv(&mut b, "secure", "true");
        }
    }
    b
}

/// How an address spec is written in jailnet.toml.
pub fn addr_spec(s: &AddrSpec) -> String {
    match s {
        AddrSpec::Static(c) => c.to_string(),
        AddrSpec::Dhcp => "dhcp".into(),
        AddrSpec::Auto => "auto".into(),
        AddrSpec::Slaac => "slaac".into(),
    }
}

fn kv(out: &mut String, k: &str, v: &str) {
    let _ = writeln!(out, "{k} = {v}");
}

fn comment_line(out: &mut String, l: &str) {
    for line in l.lines() {
        if line.is_empty() {
            out.push_str("#\n");
        } else {
            let _ = writeln!(out, "# {line}");
        }
    }
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.map(quote).collect();
    format!("[{}]", v.join(", "))
}

/// A TOML basic string.
pub fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A TOML key: bare when it can be, quoted otherwise.
pub fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        quote(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_survives_a_round_trip() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().and_then(|x| x.to_str()) != Some("toml") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let (cfg, d) = crate::check(&text);
            assert!(d.is_empty(), "{}", p.display());
            let doc = Annotated {
                cfg: cfg.clone(),
                ..Annotated::default()
            };
            let out = emit(&doc);
            let (again, d) = crate::check(&out);
            assert!(
                d.is_empty(),
                "{}:\n{out}\n{}",
                p.display(),
                d.render("out", &out)
            );
            // Spans differ; what the config says must not.
            assert_eq!(
                emit(&Annotated {
                    cfg: again,
                    ..Annotated::default()
                }),
                out,
                "{}",
                p.display()
            );
        }
    }

    #[test]
    fn comments_and_quoting() {
        let mut doc = Annotated::default();
        doc.header.push("from test".into());
        doc.not_carried("host", "POT_EXTIF_ADDR=1.2.3.4");
        doc.not_carried("host", "POT_EXTIF_ADDR=1.2.3.4");
        let out = emit(&doc);
        assert_eq!(
            out,
            "# from test\n\n[host]\n# not carried over: POT_EXTIF_ADDR=1.2.3.4\n"
        );
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(key("a.b"), "\"a.b\"");
        assert_eq!(key("lan-1"), "lan-1");
    }
}
