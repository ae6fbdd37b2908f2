//! jailnet's pf anchors as the host has them: `pfctl -a jailnet -s Anchors` once, then per
//! anchor in scope `-s nat` (when it should hold translation rules) and/or `-s rules`
//! (when it should hold filter rules); both for a leftover anchor outside the scope.
//!
//! pfctl prints rules back normalized, and how exactly is partly unverified
//! (freebsd-semantics §6 [I]): `port 80` becomes `port = 80` or a service name (`http`),
//! `-> (em0:0)` gains a pool option (`round-robin`), `pass` gains `flags S/SA keep
//! state`, a `/32` host loses its mask. So a printed rule is compared with the text
//! jailnet loads after [`canon`] on both sides: pool options, `flags …`, `keep state` and
//! the `=` of `port =` dropped, `all` spelled `from any to any`, addresses re-rendered, and
//! a service name matching any port number (pfctl only prints one for a port it knows,
//! and nobody edits jailnet's anchors to a *different* well-known port).
//!
//! Mapping: an anchor that is missing or empty is absent (someone flushed it; `up`
//! recreates it); one whose rules match is reported with the scope's value; one whose
//! rules differ is reported with the rules read back from it ([`parse_rule`]), plus
//! [`FOREIGN`] when that alone would look intact, so `up` reloads it. Every anchor under
//! `jailnet/` is jailnet's: its id goes in [`Observed::tagged`], and one outside the scope
//! is reported too, so a plan (or `gc`) can remove it.

use crate::error::Error;
use crate::exec::run;
pub use crate::lower::firewall::FOREIGN;
use crate::lower::firewall::{anchor_path, rule_lines, ANCHOR_ROOT};
use jailnet_host::{Host, Invocation};
use jailnet_model::config::Proto;
use jailnet_model::names::IfName;
use jailnet_model::net::Cidr;
use jailnet_plan::resource::FwRule;
use jailnet_plan::{Observed, Resource};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// jailnet's anchors on the host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PfView {
    /// Anchors under `jailnet/` (name without the prefix), with what was read of them.
    pub anchors: BTreeMap<String, AnchorRules>,
}

/// The printed rules of one anchor; `None` for a section that was not asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnchorRules {
    pub nat: Option<Vec<String>>,
    pub filter: Option<Vec<String>>,
}

/// Lists jailnet's anchors and reads the sections each one should have. A host where
/// `pfctl` fails to list them (pf not loaded, no `jailnet` anchor yet) has none.
pub fn gather<H: Host + ?Sized>(host: &mut H, scope: &[&Resource]) -> Result<PfView, Error> {
    let mut view = PfView::default();
    let list = host.run(&Invocation::new(
        "pfctl",
        ["-a", ANCHOR_ROOT, "-s", "Anchors"],
    ))?;
    if !list.success() {
        return Ok(view);
    }
    let want: BTreeMap<&str, &[FwRule]> = scope
        .iter()
        .filter_map(|r| match r {
            Resource::Firewall { anchor, rules } => Some((anchor.as_str(), rules.as_slice())),
            _ => None,
        })
        .collect();
    for name in parse_anchors(&list.stdout) {
        let (nat, filter) = match want.get(name.as_str()) {
            Some(rules) => {
                let (n, f) = rule_lines(&name, rules);
                (!n.is_empty(), !f.is_empty())
            }
            None => (true, true),
        };
        let mut a = AnchorRules::default();
        if nat {
            a.nat = Some(show(host, &name, "nat")?);
        }
        if filter {
            a.filter = Some(show(host, &name, "rules")?);
        }
        view.anchors.insert(name, a);
    }
    Ok(view)
}

/// `  jailnet/nat-lan` lines → `nat-lan` (direct children only).
pub fn parse_anchors(text: &str) -> Vec<String> {
    let prefix = format!("{ANCHOR_ROOT}/");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(&prefix))
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .map(str::to_string)
        .collect()
}

/// Adds jailnet's anchors to `o`: the in-scope ones found, and leftovers.
pub fn map_into(v: &PfView, scope: &[&Resource], o: &mut Observed) {
    let mut in_scope = BTreeSet::new();
    for r in scope {
        if let Resource::Firewall { anchor, rules } = r {
            in_scope.insert(anchor.as_str());
            if let Some(found) = firewall(v, anchor, rules) {
                o.insert(found, true);
            }
        }
    }
    for (name, a) in &v.anchors {
        let r = Resource::Firewall {
            anchor: name.clone(),
            rules: read_back(a),
        };
        if in_scope.contains(name.as_str()) {
            o.tagged.insert(r.id());
        } else if !is_empty(a) {
            o.insert(r, true);
        }
    }
}

/// Anchor `anchor` as found, compared with `rules`.
fn firewall(v: &PfView, anchor: &str, rules: &[FwRule]) -> Option<Resource> {
    let a = v.anchors.get(anchor)?;
    if is_empty(a) {
        return None;
    }
    let (nat, filter) = rule_lines(anchor, rules);
    let same = |have: &Option<Vec<String>>, want: &[String]| {
        have.as_ref().is_none_or(|h| same_rules(h, want))
    };
    let rules = if same(&a.nat, &nat) && same(&a.filter, &filter) {
        rules.to_vec()
    } else {
        let mut back = read_back(a);
        if back == rules {
            back.push(FOREIGN);
        }
        back
    };
    Some(Resource::Firewall {
        anchor: anchor.to_string(),
        rules,
    })
}

fn is_empty(a: &AnchorRules) -> bool {
    a.nat.iter().chain(a.filter.iter()).all(Vec::is_empty)
}

/// The rules of `a` that read back as jailnet rules; [`FOREIGN`] once for any other.
fn read_back(a: &AnchorRules) -> Vec<FwRule> {
    let mut out = Vec::new();
    let mut foreign = false;
    for l in a.nat.iter().chain(a.filter.iter()).flatten() {
        match parse_rule(l) {
            Some(r) => out.push(r),
            None => foreign = true,
        }
    }
    if foreign {
        out.push(FOREIGN);
    }
    out
}

/// Whether printed rules `have` are the loaded rules `want`, in order.
pub fn same_rules(have: &[String], want: &[String]) -> bool {
    have.len() == want.len()
        && have
            .iter()
            .zip(want)
            .all(|(h, w)| same_tokens(&canon(h), &canon(w)))
}

fn same_tokens(have: &[String], want: &[String]) -> bool {
    have.len() == want.len()
        && have.iter().zip(want).enumerate().all(|(i, (h, w))| {
            h == w
                || (i > 0
                    && have[i - 1] == "port"
                    && h.parse::<u16>().is_err()
                    && w.parse::<u16>().is_ok())
        })
}

/// A rule as tokens with pfctl's printing variations removed (see the module doc).
pub fn canon(line: &str) -> Vec<String> {
    let toks = tokens(line);
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        match t {
            "round-robin" | "random" | "bitmask" | "static-port" | "sticky-address" => {}
            "source-hash" => {
                if toks.get(i + 1).is_some_and(|n| n.starts_with("0x")) {
                    i += 1;
                }
            }
            "flags" => i += 1,
            "keep" if toks.get(i + 1).map(String::as_str) == Some("state") => i += 1,
            "=" if out.last().map(String::as_str) == Some("port") => {}
            "all" => out.extend(["from", "any", "to", "any"].map(String::from)),
            _ => out.push(addr(t).unwrap_or_else(|| t.to_string())),
        }
        i += 1;
    }
    out
}

/// An address or network re-rendered (`/32` and `/128` dropped); `None` if not one.
fn addr(t: &str) -> Option<String> {
    let (a, p) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (t, None),
    };
    let a: IpAddr = a.parse().ok()?;
    let full = if a.is_ipv4() { 32 } else { 128 };
    Some(match p {
        Some(p) if p != full => format!("{a}/{p}"),
        _ => a.to_string(),
    })
}

/// Whitespace-separated words; a double-quoted string is one word (quotes kept).
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A printed rule in one of the three shapes jailnet loads, back as an [`FwRule`].
pub fn parse_rule(line: &str) -> Option<FwRule> {
    let t = canon(line);
    let w: Vec<&str> = t.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["nat", "on", out, fam, "from", from, "to", "any", "->", target] => {
            let out = IfName::new(out).ok()?;
            (*target == format!("({out}:0)")).then_some(())?;
            let from = cidr(from)?;
            (family(&from.addr) == *fam).then_some(FwRule::Nat { from, out })
        }
        ["rdr", "on", on, _fam, "proto", proto, "from", "any", "to", dst, "port", port, "->", to, "port", to_port] =>
        {
            let on = IfName::new(on).ok()?;
            let dst = if *dst == format!("({on})") {
                None
            } else {
                Some(dst.parse().ok()?)
            };
            Some(FwRule::Rdr {
                proto: self::proto(proto)?,
                dst,
                port: port_number(port)?,
                to: to.parse().ok()?,
                to_port: port_number(to_port)?,
                on,
            })
        }
        ["pass", "in", "quick", rest @ ..] => {
            let rest = match rest {
                ["on", _, r @ ..] => r,
                r => r,
            };
            match rest {
                [_fam, "proto", proto, "from", "any", "to", to, "port", port, tail @ ..]
                    if tail.is_empty() || (tail.len() == 2 && tail[0] == "label") =>
                {
                    Some(FwRule::Pass {
                        proto: self::proto(proto)?,
                        to: to.parse().ok()?,
                        port: port_number(port)?,
                    })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn cidr(s: &str) -> Option<Cidr> {
    let a: IpAddr = s.split('/').next()?.parse().ok()?;
    Cidr::parse_with_default(s, Some(if a.is_ipv4() { 32 } else { 128 })).ok()
}

fn family(a: &IpAddr) -> &'static str {
    if a.is_ipv4() {
        "inet"
    } else {
        "inet6"
    }
}

fn proto(s: &str) -> Option<Proto> {
    match s {
        "tcp" => Some(Proto::Tcp),
        "udp" => Some(Proto::Udp),
        _ => None,
    }
}

/// A port number, or the number of a service name pfctl commonly prints.
fn port_number(s: &str) -> Option<u16> {
    s.parse().ok().or(match s {
        "ssh" => Some(22),
        "smtp" => Some(25),
        "domain" => Some(53),
        "http" => Some(80),
        "https" => Some(443),
        "imaps" => Some(993),
        "http-alt" => Some(8080),
        _ => None,
    })
}

fn show<H: Host + ?Sized>(host: &mut H, anchor: &str, what: &str) -> Result<Vec<String>, Error> {
    let out = run(
        host,
        &Invocation::new("pfctl", ["-a", &anchor_path(anchor), "-s", what]),
    )?;
    Ok(out
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::firewall::rules_text;

    fn ifn(s: &str) -> IfName {
        IfName::new(s).unwrap()
    }

    fn sample() -> Vec<FwRule> {
        let to: IpAddr = "10.1.1.2".parse().unwrap();
        vec![
            FwRule::Rdr {
                on: ifn("em0"),
                proto: Proto::Tcp,
                dst: None,
                port: 80,
                to,
                to_port: 80,
            },
            FwRule::Pass {
                proto: Proto::Tcp,
                to,
                port: 80,
            },
        ]
    }

    #[test]
    fn anchors_listing() {
        assert_eq!(
            parse_anchors("  jailnet/nat-lan\n  jailnet/rdr-www\n"),
            ["nat-lan", "rdr-www"]
        );
    }

    #[test]
    fn printed_variations_compare_equal() {
        // As pfctl may print them back (seed 004 shows `port = http`).
        let (nat, filter) = rule_lines("rdr-www", &sample());
        let printed_nat = vec![
            "rdr on em0 inet proto tcp from any to (em0) port = http -> 10.1.1.2 port 80"
                .to_string(),
        ];
        let printed_filter = vec!["pass in quick on em0 inet proto tcp from any to 10.1.1.2 port = 80 flags S/SA keep state label \"jailnet:firewall:rdr-www\"".to_string()];
        assert!(same_rules(&printed_nat, &nat));
        assert!(same_rules(&printed_filter, &filter));
        let nat = rule_lines(
            "nat-locage",
            &[FwRule::Nat {
                from: "172.31.255.17/32".parse().unwrap(),
                out: ifn("em0"),
            }],
        )
        .0;
        assert!(same_rules(
            &["nat on em0 inet from 172.31.255.17/32 to any -> (em0:0) round-robin".into()],
            &nat
        ));
        assert!(!same_rules(
            &["nat on em0 inet from 172.31.255.18 to any -> (em0:0) round-robin".into()],
            &nat
        ));
    }

    #[test]
    fn changed_ports_differ() {
        let (nat, _) = rule_lines("rdr-www", &sample());
        let edited = vec![
            "rdr on em0 inet proto tcp from any to (em0) port = 81 -> 10.1.1.2 port 80".to_string(),
        ];
        assert!(!same_rules(&edited, &nat));
    }

    #[test]
    fn jailnet_rules_read_back() {
        for line in rules_text("rdr-www", &sample()).lines() {
            assert!(parse_rule(line).is_some(), "{line}");
        }
        let back: Vec<FwRule> = rules_text("rdr-www", &sample())
            .lines()
            .filter_map(parse_rule)
            .collect();
        assert_eq!(back, sample());
        assert_eq!(
            parse_rule("nat on em0 inet6 from fd00:1::/64 to any -> (em0:0) round-robin"),
            Some(FwRule::Nat {
                from: "fd00:1::/64".parse().unwrap(),
                out: ifn("em0")
            })
        );
        assert_eq!(parse_rule("block in all"), None);
    }

    #[test]
    fn intact_changed_and_flushed_anchors() {
        let rules = sample();
        let (nat, filter) = rule_lines("rdr-www", &rules);
        let mut v = PfView::default();
        v.anchors.insert(
            "rdr-www".into(),
            AnchorRules {
                nat: Some(nat.clone()),
                filter: Some(filter.clone()),
            },
        );
        let r = Resource::Firewall {
            anchor: "rdr-www".into(),
            rules: rules.clone(),
        };
        let mut o = Observed::default();
        map_into(&v, &[&r], &mut o);
        assert_eq!(o.resources.get(&r.id()), Some(&r));
        assert!(o.tagged.contains(&r.id()));

        // A foreign rule added: differs, even though jailnet's own rules are all there.
        let mut extra = filter.clone();
        extra.push("pass in all flags S/SA keep state".into());
        v.anchors.get_mut("rdr-www").unwrap().filter = Some(extra);
        let mut o = Observed::default();
        map_into(&v, &[&r], &mut o);
        let Some(Resource::Firewall { rules: got, .. }) = o.resources.get(&r.id()) else {
            panic!("missing");
        };
        assert_ne!(got, &rules);

        // Flushed: absent.
        v.anchors.insert(
            "rdr-www".into(),
            AnchorRules {
                nat: Some(vec![]),
                filter: Some(vec![]),
            },
        );
        let mut o = Observed::default();
        map_into(&v, &[&r], &mut o);
        assert!(o.resources.get(&r.id()).is_none());
    }

    #[test]
    fn anchors_outside_the_scope_are_tagged_leftovers() {
        let mut v = PfView::default();
        v.anchors.insert(
            "nat-old".into(),
            AnchorRules {
                nat: Some(vec![
                    "nat on em0 inet from 10.9.0.0/24 to any -> (em0:0) round-robin".into(),
                ]),
                filter: Some(vec![]),
            },
        );
        let mut o = Observed::default();
        map_into(&v, &[], &mut o);
        let id = jailnet_plan::ResourceId("firewall:nat-old".into());
        assert!(o.tagged.contains(&id));
        assert_eq!(
            o.resources.get(&id),
            Some(&Resource::Firewall {
                anchor: "nat-old".into(),
                rules: vec![FwRule::Nat {
                    from: "10.9.0.0/24".parse().unwrap(),
                    out: ifn("em0")
                }]
            })
        );
    }
}
