//! Reading the spanned TOML tree into a [`Config`]: keys, types and value syntax. Every
//! problem is recorded; cross-object checks live in `validate`.

use crate::config::*;
use crate::diag::{Diagnostic, Diagnostics};
use crate::doc::{self, Key, Node, TableReader, Value};
use crate::names::{IfName, JailName, NameError};
use crate::net::{Cidr, Mac};
use crate::syntax::{self, SyntaxError};
use std::collections::BTreeMap;
use std::net::IpAddr;

pub(crate) const TOP: &[&str] = &["host", "switch", "jail", "vm", "cluster"];
pub(crate) const HOST: &[&str] = &["uplink", "name"];
pub(crate) const SWITCH: &[&str] = &[
    "kind", "ifname", "address", "uplinks", "private", "nat", "mtu", "dhcp", "vlan", "vxlan",
];
pub(crate) const DHCP: &[&str] = &["range", "hosts"];
pub(crate) const VLAN: &[&str] = &["parent", "tag"];
pub(crate) const VXLAN: &[&str] = &["vni", "group", "dev", "remotes", "cluster"];
pub(crate) const JAIL: &[&str] = &[
    "nic",
    "ip4",
    "ip6",
    "resolver",
    "defaultrouter",
    "defaultrouter6",
    "allow_raw_sockets",
    "firewall",
    "nat",
    "expose",
];
pub(crate) const NIC: &[&str] = &["name", "switch", "ip4", "ip6", "mac", "secure"];
pub(crate) const VM: &[&str] = &["nic"];
pub(crate) const VMNIC: &[&str] = &["switch", "mac", "secure"];
pub(crate) const CLUSTER: &[&str] = &["etcd", "vtep"];

/// Parse and read a config. Returns the config read so far (with problem values left out)
/// and every problem found; the config is only usable when the diagnostics are empty.
pub fn load(text: &str) -> (Config, Diagnostics) {
    let mut d = Diagnostics::default();
    let root = match doc::parse(text) {
        Ok(n) => n,
        Err(e) => {
            d.push(e);
            return (Config::default(), d);
        }
    };
    let mut top = TableReader::new(&root, "the file", TOP, &mut d);
    let mut cfg = Config::default();
    if let Some((_, n)) = top.take("host") {
        cfg.host = host(n, &mut d);
    }
    if let Some((_, n)) = top.take("switch") {
        for (k, n) in named_tables(n, "[switch]", &mut d) {
            match switch(k, n, &mut d) {
                Some(s) => {
                    cfg.switches.insert(k.name.clone(), s);
                }
                None => {
                    cfg.unreadable_switches.insert(k.name.clone());
                }
            }
        }
    }
    if let Some((_, n)) = top.take("jail") {
        for (k, n) in named_tables(n, "[jail]", &mut d) {
            let Some(name) = jail_name(k, "jail", &mut d) else {
                continue;
            };
            let j = jail(name.clone(), k, n, &cfg, &mut d);
            cfg.jails.insert(name, j);
        }
    }
    if let Some((_, n)) = top.take("vm") {
        for (k, n) in named_tables(n, "[vm]", &mut d) {
            let Some(name) = jail_name(k, "vm", &mut d) else {
                continue;
            };
            let v = vm(name.clone(), k, n, &mut d);
            cfg.vms.insert(name, v);
        }
    }
    if let Some((_, n)) = top.take("cluster") {
        cfg.cluster = Some(cluster(n, &mut d));
    }
    top.finish(&mut d);
    (cfg, d)
}

fn named_tables<'a>(n: &'a Node, what: &str, d: &mut Diagnostics) -> Vec<(&'a Key, &'a Node)> {
    match &n.value {
        Value::Table(t) => t.iter().map(|(k, v)| (k, v)).collect(),
        other => {
            d.push(Diagnostic::new(
                n.span.clone(),
                format!(
                    "{what} must be a table of named tables, not {}",
                    other.type_name()
                ),
            ));
            Vec::new()
        }
    }
}

fn syn(span: &Span, e: SyntaxError) -> Diagnostic {
    Diagnostic::new(span.clone(), e.message).hint(e.hint)
}

fn ifname(s: &str, span: &Span, what: &str, d: &mut Diagnostics) -> Option<IfName> {
    match IfName::new(s) {
        Ok(n) => Some(n),
        Err(e) => {
            d.push(
                Diagnostic::new(span.clone(), format!("invalid {what} '{}': {e}", s.escape_debug()))
                    .hint("interface names are at most 15 characters of letters, digits, '_', '.' and '-'"),
            );
            None
        }
    }
}

fn jail_name(k: &Key, what: &str, d: &mut Diagnostics) -> Option<JailName> {
    match JailName::new(&k.name) {
        Ok(n) => Some(n),
        Err(e) => {
            let hint = match e {
                NameError::AllDigits => format!("add a letter, e.g. [{what}.{what}{}]", k.name),
                NameError::BadChar { ch: '.', .. } => {
                    format!(
                        "use '-' or '_' instead, e.g. [{what}.{}]",
                        k.name.replace('.', "-")
                    )
                }
                _ => {
                    "use letters, digits, '_' and '-', starting with a letter or digit".to_string()
                }
            };
            d.push(
                Diagnostic::new(
                    k.span.clone(),
                    format!("invalid {what} name '{}': {e}", k.name.escape_debug()),
                )
                .hint(hint),
            );
            None
        }
    }
}

fn ip(s: &str, span: &Span, what: &str, d: &mut Diagnostics) -> Option<IpAddr> {
    match s.parse() {
        Ok(a) => Some(a),
        Err(_) => {
            d.push(
                Diagnostic::new(span.clone(), format!("{what} '{s}' is not an IP address"))
                    .hint("write an IPv4 address like 192.0.2.1 or IPv6 like fd00::1, without a prefix length"),
            );
            None
        }
    }
}

fn mac_spec(s: &str, span: &Span, d: &mut Diagnostics) -> Option<MacSpec> {
    if s.eq_ignore_ascii_case("auto") {
        return Some(MacSpec::Auto);
    }
    match s.parse::<Mac>() {
        Ok(m) => Some(MacSpec::Fixed(m)),
        Err(e) => {
            d.push(Diagnostic::new(span.clone(), e.to_string()).hint("or write mac = \"auto\""));
            None
        }
    }
}

fn host(n: &Node, d: &mut Diagnostics) -> HostCfg {
    let mut r = TableReader::new(n, "[host]", HOST, d);
    let uplink = r
        .string("uplink", d)
        .and_then(|(s, sp)| ifname(&s, &sp, "interface name", d));
    let name = r.string("name", d).and_then(|(s, sp)| {
        let ok = !s.is_empty()
            && s.len() <= 255
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok {
            d.push(
                Diagnostic::new(
                    sp,
                    format!("host name '{}' is not a valid host name", s.escape_debug()),
                )
                .hint("use letters, digits, '-', '_' and '.'"),
            );
        }
        ok.then_some(s)
    });
    r.finish(d);
    HostCfg { uplink, name }
}

fn switch(k: &Key, n: &Node, d: &mut Diagnostics) -> Option<Switch> {
    let path = format!("[switch.{}]", k.name);
    let mut r = TableReader::new(n, path.clone(), SWITCH, d);
    let kind = match r.string("kind", d) {
        None => SwitchKind::Bridge,
        Some((s, sp)) => match s.as_str() {
            "bridge" => SwitchKind::Bridge,
            "netgraph" => SwitchKind::Netgraph,
            "manual" => SwitchKind::Manual,
            _ => {
                d.push(
                    Diagnostic::new(sp, format!("unknown switch kind '{s}'"))
                        .hint("kind is \"bridge\", \"netgraph\" or \"manual\""),
                );
                SwitchKind::Bridge
            }
        },
    };
    let name_ok = || IfName::new(&k.name).ok();
    let ifname_v = match r.string("ifname", d) {
        Some((s, sp)) => {
            // With an explicit ifname the switch name is only a label, but it still reaches
            // descriptions, pf anchors and state files.
            if let Err(e) = crate::names::check_label(&k.name) {
                d.push(
                    Diagnostic::new(
                        k.span.clone(),
                        format!("invalid switch name '{}': {e}", k.name.escape_debug()),
                    )
                    .hint("switch names are at most 63 letters, digits, '_', '.' and '-'"),
                );
            }
            ifname(&s, &sp, "interface name", d)
        }
        None => {
            match name_ok() {
                Some(n) => Some(n),
                None => {
                    d.push(
                    Diagnostic::new(
                        k.span.clone(),
                        format!("switch name '{}' is not a valid interface name and no ifname is set", k.name.escape_debug()),
                    )
                    .hint("add ifname = \"NAME\" (at most 15 letters, digits, '_', '.', '-')"),
                );
                    None
                }
            }
        }
    };
    let mut addresses = Vec::new();
    if let Some((items, _)) = r.strings("address", d) {
        for (s, sp) in items {
            match s.parse::<Cidr>() {
                Ok(c) => addresses.push(Spanned::new(c, sp)),
                Err(e) => d.push(Diagnostic::new(sp, format!("address '{s}': {e}")).hint(
                    if s.contains(':') {
                        "write the switch's own address with its prefix, e.g. \"fd00:1::1/64\""
                    } else {
                        "write the switch's own address with its prefix, e.g. \"10.1.1.1/24\""
                    },
                )),
            }
        }
    }
    let mut uplinks = Vec::new();
    if let Some((items, _)) = r.strings("uplinks", d) {
        for (s, sp) in items {
            if let Some(i) = ifname(&s, &sp, "uplink interface name", d) {
                uplinks.push(Spanned::new(i, sp));
            }
        }
    }
    let private = r.bool("private", d).unwrap_or(false);
    let nat = r.bool("nat", d).unwrap_or(false);
    let mtu = r.int("mtu", d).and_then(|(m, sp)| {
        if (576..=16000).contains(&m) {
            Some(m as u32)
        } else {
            d.push(
                Diagnostic::new(sp, format!("mtu {m} is out of range"))
                    .hint("use 576 to 16000 (1500 for Ethernet, 9000 for jumbo frames)"),
            );
            None
        }
    });
    let dhcp = r.take("dhcp").and_then(|(_, n)| dhcp(&path, n, d));
    let vlan = r.take("vlan").and_then(|(_, n)| vlan(&path, n, d));
    let vxlan = r.take("vxlan").and_then(|(_, n)| vxlan(&path, n, d));
    r.finish(d);
    Some(Switch {
        name: k.name.clone(),
        span: k.span.clone(),
        kind,
        ifname: ifname_v?,
        addresses,
        uplinks,
        private,
        nat,
        mtu,
        dhcp,
        vlan,
        vxlan,
    })
}

fn dhcp(path: &str, n: &Node, d: &mut Diagnostics) -> Option<Dhcp> {
    let mut r = TableReader::new(n, format!("{path}.dhcp"), DHCP, d);
    if matches!(n.value, Value::Table(_))
        && !r.has("range")
        && !r.has("hosts")
        && !r.misspelled("range")
        && !r.misspelled("hosts")
    {
        d.push(
            Diagnostic::new(
                n.span.clone(),
                format!("{path}.dhcp has neither a range nor hosts, so it would lease nothing"),
            )
            .hint("add range = \"10.1.1.10-10.1.1.20\" (and/or hosts = { \"MAC\" = \"ADDRESS\" })"),
        );
    }
    let range = r.string("range", d).and_then(|(s, sp)| {
        let parsed = s
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
        match parsed {
            Some((a, b)) => Some(Spanned::new((a, b), sp)),
            None => {
                d.push(
                    Diagnostic::new(sp, format!("dhcp range '{s}' is not FIRST-LAST"))
                        .hint("write range = \"10.1.1.10-10.1.1.20\""),
                );
                None
            }
        }
    });
    let mut hosts = BTreeMap::new();
    let mut host_mac_spans = BTreeMap::new();
    if let Some((_, hn)) = r.take("hosts") {
        match &hn.value {
            Value::Table(entries) => {
                for (k, v) in entries {
                    let mac = match k.name.parse::<Mac>() {
                        Ok(m) => m,
                        Err(e) => {
                            d.push(Diagnostic::new(k.span.clone(), e.to_string()).hint(
                                "dhcp hosts map a MAC to an address: hosts = { \"58:9c:fc:00:00:01\" = \"10.1.1.60\" }",
                            ));
                            continue;
                        }
                    };
                    let Value::Str(s) = &v.value else {
                        d.push(doc::type_error(
                            &format!("{path}.dhcp.hosts"),
                            &k.name,
                            "a string",
                            &v.value,
                            &v.span,
                        ));
                        continue;
                    };
                    if let Some(a) = ip(s, &v.span, "dhcp host address", d) {
                        if hosts.insert(mac, Spanned::new(a, v.span.clone())).is_some() {
                            d.push(Diagnostic::new(
                                k.span.clone(),
                                format!("MAC {mac} is listed twice in dhcp hosts"),
                            ));
                        }
                        host_mac_spans.insert(mac, k.span.clone());
                    }
                }
            }
            other => d.push(doc::type_error(
                &format!("{path}.dhcp"),
                "hosts",
                "a table",
                other,
                &hn.span,
            )),
        }
    }
    r.finish(d);
    Some(Dhcp {
        span: n.span.clone(),
        range,
        hosts,
        host_mac_spans,
    })
}

fn vlan(path: &str, n: &Node, d: &mut Diagnostics) -> Option<Vlan> {
    let mut r = TableReader::new(n, format!("{path}.vlan"), VLAN, d);
    let parent = r.string("parent", d);
    let tag = r.int("tag", d);
    let span = r.span();
    r.finish(d);
    let parent = match parent {
        Some((s, sp)) => ifname(&s, &sp, "vlan parent", d),
        None => {
            d.push(
                Diagnostic::new(span.clone(), "vlan needs a parent interface")
                    .hint("vlan = { parent = \"em0\", tag = 101 }"),
            );
            None
        }
    };
    let tag = match tag {
        Some((t, _)) if (1..=4094).contains(&t) => Some(t as u16),
        Some((t, sp)) => {
            d.push(
                Diagnostic::new(sp, format!("vlan tag {t} is out of range"))
                    .hint("802.1Q tags are 1 to 4094"),
            );
            None
        }
        None => {
            d.push(
                Diagnostic::new(span, "vlan needs a tag")
                    .hint("vlan = { parent = \"em0\", tag = 101 }"),
            );
            None
        }
    };
    Some(Vlan {
        parent: parent?,
        tag: tag?,
    })
}

fn vxlan(path: &str, n: &Node, d: &mut Diagnostics) -> Option<Vxlan> {
    let mut r = TableReader::new(n, format!("{path}.vxlan"), VXLAN, d);
    let span = r.span();
    let vni = match r.int("vni", d) {
        Some((v, _)) if (1..=16_777_215).contains(&v) => Some(v as u32),
        Some((v, sp)) => {
            d.push(
                Diagnostic::new(sp, format!("vxlan vni {v} is out of range"))
                    .hint("a VNI is 1 to 16777215"),
            );
            None
        }
        None => {
            d.push(
                Diagnostic::new(span.clone(), "vxlan needs a vni")
                    .hint("vxlan = { vni = 111, group = \"239.0.0.111\", dev = \"em0\" }"),
            );
            None
        }
    };
    let group = r.string("group", d).and_then(|(s, sp)| {
        let a = ip(&s, &sp, "vxlan group", d)?;
        if !a.is_multicast() {
            d.push(
                Diagnostic::new(sp, format!("vxlan group {a} is not a multicast address")).hint(
                    "use an address in 239.0.0.0/8 (or ff00::/8), or use remotes for unicast peers",
                ),
            );
            return None;
        }
        Some(a)
    });
    let dev = r
        .string("dev", d)
        .and_then(|(s, sp)| ifname(&s, &sp, "vxlan dev", d));
    let mut remotes = Vec::new();
    if let Some((items, _)) = r.strings("remotes", d) {
        for (s, sp) in items {
            if let Some(a) = ip(&s, &sp, "vxlan remote", d) {
                remotes.push(a);
            }
        }
    }
    let cluster = r.bool("cluster", d).unwrap_or(false);
    r.finish(d);
    Some(Vxlan {
        span,
        vni: vni?,
        group,
        dev,
        remotes,
        cluster,
    })
}

fn jail(name: JailName, k: &Key, n: &Node, cfg: &Config, d: &mut Diagnostics) -> Jail {
    let path = format!("[jail.{}]", k.name);
    let mut r = TableReader::new(n, path.clone(), JAIL, d);
    let mut nics = Vec::new();
    if let Some((_, nn)) = r.take("nic") {
        let items: Vec<&Node> = match &nn.value {
            Value::Array(a) => a.iter().collect(),
            Value::Table(_) => vec![nn],
            other => {
                d.push(Diagnostic::new(
                    nn.span.clone(),
                    format!(
                        "{path}.nic must be [[jail.{}.nic]] tables, not {}",
                        k.name,
                        other.type_name()
                    ),
                ));
                Vec::new()
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            if let Some(nic) = nic(
                &format!("[[jail.{}.nic]] #{}", k.name, i + 1),
                i,
                item,
                cfg,
                d,
            ) {
                nics.push(nic);
            }
        }
    }
    let uplink = cfg.host.uplink.as_ref();
    let ip4 = shared_ip(&mut r, "ip4", true, uplink, !nics.is_empty(), d);
    let ip6 = shared_ip(&mut r, "ip6", false, uplink, !nics.is_empty(), d);
    let resolver = match r.take("resolver") {
        None => Resolver::default(),
        Some((_, rn)) => match &rn.value {
            Value::Str(s) if s == "inherit" => Resolver::Inherit,
            Value::Str(s) if s == "none" => Resolver::None,
            Value::Str(s) => Resolver::Lines(
                s.split(';')
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect(),
            ),
            Value::Array(_) => Resolver::Lines(
                doc::strings_of(&path, "resolver", rn, d)
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect(),
            ),
            other => {
                d.push(doc::type_error(
                    &path,
                    "resolver",
                    "\"inherit\", \"none\" or a list of lines",
                    other,
                    &rn.span,
                ));
                Resolver::default()
            }
        },
    };
    if let Resolver::Lines(lines) = &resolver {
        // A tab is fine in resolv.conf; other control characters (CR, ESC, NUL) are not.
        if lines
            .iter()
            .any(|l| l.chars().any(|c| c.is_control() && c != '\t'))
        {
            d.push(
                Diagnostic::new(
                    r.span(),
                    format!("{path}.resolver lines may not contain newlines or control characters"),
                )
                .hint("give one list element per line"),
            );
        }
    }
    let defaultrouter = router(&mut r, "defaultrouter", true, d);
    let defaultrouter6 = router(&mut r, "defaultrouter6", false, d);
    let allow_raw_sockets = r.bool("allow_raw_sockets", d).unwrap_or(false);
    let firewall = r.bool("firewall", d).unwrap_or(false);
    let nat = r.bool("nat", d).unwrap_or(false);
    let mut expose = Vec::new();
    if let Some((items, _)) = r.strings("expose", d) {
        for (s, sp) in items {
            match syntax::parse_expose(&s) {
                Ok(e) => expose.push(Spanned::new(e, sp)),
                Err(e) => d.push(syn(&sp, e)),
            }
        }
    }
    r.finish(d);
    Jail {
        name,
        span: k.span.clone(),
        nics,
        ip4,
        ip6,
        resolver,
        defaultrouter,
        defaultrouter6,
        allow_raw_sockets,
        firewall,
        nat,
        expose,
    }
}

fn shared_ip(
    r: &mut TableReader<'_>,
    key: &str,
    v4: bool,
    uplink: Option<&IfName>,
    vnet: bool,
    d: &mut Diagnostics,
) -> SharedIp {
    let Some((items, span)) = r.strings(key, d) else {
        return SharedIp::None;
    };
    if vnet {
        d.push(
            Diagnostic::new(
                span,
                format!(
                    "{key} at jail level is for shared-IP jails, but this jail has [[nic]] entries"
                ),
            )
            .hint(format!("put the addresses in the nic's {key} instead")),
        );
        return SharedIp::None;
    }
    if items.len() == 1 && matches!(items[0].0.as_str(), "inherit" | "none") {
        return if items[0].0 == "inherit" {
            SharedIp::Inherit
        } else {
            SharedIp::None
        };
    }
    let mut aliases = Vec::new();
    for (s, sp) in items {
        if s == "inherit" || s == "none" {
            d.push(
                Diagnostic::new(sp, format!("'{s}' must be the only value of {key}"))
                    .hint(format!("write {key} = \"{s}\"")),
            );
            continue;
        }
        match syntax::parse_alias(&s, uplink) {
            Ok(a) if a.cidr.is_v4() != v4 => d.push(
                Diagnostic::new(
                    sp,
                    format!(
                        "{key} '{s}' is an {} address",
                        if v4 { "IPv6" } else { "IPv4" }
                    ),
                )
                .hint(format!("put it in {}", if v4 { "ip6" } else { "ip4" })),
            ),
            Ok(a) => aliases.push(Spanned::new(a, sp)),
            Err(e) => d.push(syn(&sp, e)),
        }
    }
    SharedIp::Aliases(aliases)
}

fn router(r: &mut TableReader<'_>, key: &str, v4: bool, d: &mut Diagnostics) -> Router {
    match r.string(key, d) {
        None => Router::Auto,
        Some((s, _)) if s == "auto" => Router::Auto,
        Some((s, _)) if s == "none" => Router::None,
        Some((s, sp)) => match s.parse::<IpAddr>() {
            Ok(a) if a.is_ipv4() == v4 => Router::Addr(Spanned::new(a, sp)),
            Ok(_) => {
                d.push(
                    Diagnostic::new(sp, format!("{key} '{s}' is of the wrong address family"))
                        .hint(if v4 {
                            "IPv6 routers go in defaultrouter6"
                        } else {
                            "IPv4 routers go in defaultrouter"
                        }),
                );
                Router::Auto
            }
            Err(_) => {
                d.push(
                    Diagnostic::new(sp, format!("{key} '{s}' is not an address"))
                        .hint(format!("{key} is \"auto\", \"none\" or an address")),
                );
                Router::Auto
            }
        },
    }
}

fn nic(path: &str, index: usize, n: &Node, cfg: &Config, d: &mut Diagnostics) -> Option<Nic> {
    let mut r = TableReader::new(n, path, NIC, d);
    let name = match r.string("name", d) {
        Some((s, sp)) => ifname(&s, &sp, "nic name", d),
        None => IfName::new(&format!("vnet{index}")).ok(),
    };
    let switch = match r.string("switch", d) {
        Some((s, sp)) => Some(Spanned::new(s, sp)),
        None => {
            // A misspelled `switch` key is reported as such; do not report it twice.
            if !r.misspelled("switch") {
                d.push(
                    Diagnostic::new(n.span.clone(), format!("{path} has no switch"))
                        .hint("add switch = \"NAME\" naming a [switch.NAME]"),
                );
            }
            None
        }
    };
    let sw = switch.as_ref().and_then(|s| cfg.switches.get(&s.value));
    let mut specs = |key: &str, v4: bool, r: &mut TableReader<'_>| {
        let mut out = Vec::new();
        let default_prefix = sw.and_then(|s| s.gateway(v4)).map(|c| c.prefix);
        if let Some((items, _)) = r.strings(key, d) {
            for (s, sp) in items {
                match syntax::parse_addr_spec(&s, v4, default_prefix) {
                    Ok(a) => out.push(Spanned::new(a, sp)),
                    Err(e) => d.push(syn(&sp, e)),
                }
            }
        }
        out
    };
    let ip4 = specs("ip4", true, &mut r);
    let ip6 = specs("ip6", false, &mut r);
    let mac = match r.string("mac", d) {
        Some((s, sp)) => Spanned::new(mac_spec(&s, &sp, d).unwrap_or_default(), sp),
        None => Spanned::new(MacSpec::Auto, 0..0),
    };
    let secure = r.bool("secure", d).unwrap_or(false);
    r.finish(d);
    Some(Nic {
        name: name?,
        span: n.span.clone(),
        switch: switch?,
        ip4,
        ip6,
        mac,
        secure,
    })
}

fn vm(name: JailName, k: &Key, n: &Node, d: &mut Diagnostics) -> Vm {
    let path = format!("[vm.{}]", k.name);
    let mut r = TableReader::new(n, path.clone(), VM, d);
    let mut nics = Vec::new();
    if let Some((_, nn)) = r.take("nic") {
        let items: Vec<&Node> = match &nn.value {
            Value::Array(a) => a.iter().collect(),
            Value::Table(_) => vec![nn],
            other => {
                d.push(Diagnostic::new(
                    nn.span.clone(),
                    format!(
                        "{path}.nic must be [[vm.{}.nic]] tables, not {}",
                        k.name,
                        other.type_name()
                    ),
                ));
                Vec::new()
            }
        };
        for (i, item) in items.into_iter().enumerate() {
            let mut nr =
                TableReader::new(item, format!("[[vm.{}.nic]] #{}", k.name, i + 1), VMNIC, d);
            let switch_misspelled = nr.misspelled("switch");
            let switch = nr.string("switch", d).map(|(s, sp)| Spanned::new(s, sp));
            let mac = match nr.string("mac", d) {
                Some((s, sp)) => Spanned::new(mac_spec(&s, &sp, d).unwrap_or_default(), sp),
                None => Spanned::new(MacSpec::Auto, 0..0),
            };
            let secure = nr.bool("secure", d).unwrap_or(false);
            nr.finish(d);
            match switch {
                Some(switch) => nics.push(VmNic {
                    span: item.span.clone(),
                    switch,
                    mac,
                    secure,
                }),
                None if switch_misspelled => {}
                None => d.push(
                    Diagnostic::new(
                        item.span.clone(),
                        format!("[[vm.{}.nic]] #{} has no switch", k.name, i + 1),
                    )
                    .hint("add switch = \"NAME\""),
                ),
            }
        }
    }
    r.finish(d);
    Vm {
        name,
        span: k.span.clone(),
        nics,
    }
}

fn cluster(n: &Node, d: &mut Diagnostics) -> Cluster {
    let mut r = TableReader::new(n, "[cluster]", CLUSTER, d);
    let mut etcd = Vec::new();
    if let Some((items, span)) = r.strings("etcd", d) {
        for (s, sp) in items {
            let clean = !s.chars().any(|c| c.is_whitespace() || c.is_control());
            if clean && (s.starts_with("http://") || s.starts_with("https://")) {
                etcd.push(s);
            } else {
                d.push(
                    Diagnostic::new(
                        sp,
                        format!("etcd endpoint '{}' is not a URL", s.escape_debug()),
                    )
                    .hint("write e.g. \"http://127.0.0.1:2379\""),
                );
            }
        }
        if etcd.is_empty() && d.is_empty() {
            d.push(Diagnostic::new(span, "[cluster] etcd lists no endpoint"));
        }
    } else {
        d.push(
            Diagnostic::new(n.span.clone(), "[cluster] needs etcd endpoints")
                .hint("etcd = [\"http://127.0.0.1:2379\"]"),
        );
    }
    let vtep = r
        .string("vtep", d)
        .and_then(|(s, sp)| ip(&s, &sp, "vtep", d));
    r.finish(d);
    Cluster { etcd, vtep }
}
