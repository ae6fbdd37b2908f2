//! pf anchors: a `Firewall` resource is the whole ruleset of anchor `jailnet/<anchor>`,
//! loaded with exactly one `pfctl -a jailnet/<anchor> -f -` (rules on stdin; pfctl
//! replaces the anchor's rules atomically) and removed with `pfctl -a jailnet/<anchor> -F
//! all`. jailnet never loads or flushes the main ruleset (iocage#1081): the admin's
//! `/etc/pf.conf` only hooks the anchors (`doctor` prints the lines).
//!
//! Rule text, translation before filtering as pf.conf requires:
//!
//! - NAT: `nat on OUT inet from SUBNET to any -> (OUT:0)` — `:0` takes the interface's
//!   first address and ignores aliases (pot#120), `(…)` follows address changes.
//! - Redirect: `rdr on ON inet proto tcp from any to (ON) port P -> TO port TP` (`to DST`
//!   when a host address is given), never `rdr pass`, which skips the filter (Bastille
//!   PR#1565). The matching filter rule is
//!   `pass in quick on ON inet proto tcp from any to TO port TP flags S/SA keep state
//!   label "jailnet:firewall:ANCHOR"`: pf filters the translated packet, so it names the
//!   jail's address and port; `quick` makes it final, and the label gives the admin
//!   per-forward counters in `pfctl -s labels`.
//!
//! pf's `nat`/`rdr` grammar takes no `label`, so observe tells intact rules by comparing
//! pfctl's printed rules with this text, normalized (see `observe::pf`).

use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_model::config::Proto;
use jailnet_model::net::Cidr;
use jailnet_plan::resource::FwRule;
use std::net::{IpAddr, Ipv4Addr};

/// The anchor every jailnet anchor lives under.
pub const ANCHOR_ROOT: &str = "jailnet";

/// pf's limit on a label (`PF_RULE_LABEL_SIZE` 64, with the terminating NUL).
const LABEL_MAX: usize = 63;

/// A rule that jailnet never generates (port 0 to 0.0.0.0): observe reports it for rules
/// in a jailnet anchor that are not jailnet's, so the anchor never looks intact. Never
/// loaded: an anchor is reloaded with jailnet's rules only.
pub const FOREIGN: FwRule = FwRule::Pass {
    proto: Proto::Tcp,
    to: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    port: 0,
};

/// `jailnet/<anchor>`.
pub fn anchor_path(anchor: &str) -> String {
    format!("{ANCHOR_ROOT}/{anchor}")
}

/// The label on jailnet's filter rules in `anchor`: `jailnet:firewall:<anchor>`.
pub fn label(anchor: &str) -> String {
    let mut l = format!("{}firewall:{anchor}", crate::TAG_PREFIX);
    if l.len() > LABEL_MAX {
        let mut cut = LABEL_MAX;
        while !l.is_char_boundary(cut) {
            cut -= 1;
        }
        l.truncate(cut);
    }
    l
}

/// The rules of `anchor` as pfctl reads them: translation rules (in the resource's order),
/// then filter rules.
pub fn rule_lines(anchor: &str, rules: &[FwRule]) -> (Vec<String>, Vec<String>) {
    let mut nat = Vec::new();
    let mut filter = Vec::new();
    for r in rules.iter().filter(|r| **r != FOREIGN) {
        match r {
            FwRule::Nat { from, out } => nat.push(format!(
                "nat on {out} {} from {} to any -> ({out}:0)",
                family(&from.addr),
                host_or_net(from)
            )),
            FwRule::Rdr {
                on,
                proto,
                dst,
                port,
                to,
                to_port,
            } => {
                let dst = dst.map_or_else(|| format!("({on})"), |d| d.to_string());
                nat.push(format!(
                    "rdr on {on} {} proto {proto} from any to {dst} port {port} -> {to} port {to_port}",
                    family(to)
                ));
            }
            FwRule::Pass { proto, to, port } => {
                // The interface the matching redirect arrives on.
                let on = rules.iter().find_map(|x| match x {
                    FwRule::Rdr {
                        on,
                        proto: p,
                        to: t,
                        to_port,
                        ..
                    } if p == proto && t == to && to_port == port => Some(on),
                    _ => None,
                });
                let on = on.map(|i| format!(" on {i}")).unwrap_or_default();
                let state = match proto {
                    Proto::Tcp => "flags S/SA keep state",
                    Proto::Udp => "keep state",
                };
                filter.push(format!(
                    "pass in quick{on} {} proto {proto} from any to {to} port {port} {state} label \"{}\"",
                    family(to),
                    label(anchor)
                ));
            }
        }
    }
    (nat, filter)
}

/// The whole stdin of `pfctl -a jailnet/<anchor> -f -`.
pub fn rules_text(anchor: &str, rules: &[FwRule]) -> String {
    let (nat, filter) = rule_lines(anchor, rules);
    let mut s = String::new();
    for l in nat.iter().chain(filter.iter()) {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Create or update: one `pfctl -a jailnet/<anchor> -f -` with every rule of the anchor.
pub(crate) fn load(anchor: &str, rules: &[FwRule]) -> Vec<Step> {
    let inv = Invocation::new("pfctl", ["-a", &anchor_path(anchor), "-f", "-"])
        .with_stdin(rules_text(anchor, rules));
    vec![Step::new(inv)]
}

/// Delete: `pfctl -a jailnet/<anchor> -F all` (that anchor's rules and tables only).
pub(crate) fn flush(anchor: &str) -> Vec<Step> {
    vec![Step::new(Invocation::new(
        "pfctl",
        ["-a", &anchor_path(anchor), "-F", "all"],
    ))]
}

fn family(a: &IpAddr) -> &'static str {
    if a.is_ipv4() {
        "inet"
    } else {
        "inet6"
    }
}

/// `10.1.1.0/24`, or a bare address for a single host (as pfctl prints it back).
fn host_or_net(c: &Cidr) -> String {
    let full = if c.is_v4() { 32 } else { 128 };
    if c.prefix == full {
        c.addr.to_string()
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_model::names::IfName;

    fn ifn(s: &str) -> IfName {
        IfName::new(s).unwrap()
    }

    #[test]
    fn nat_uses_the_first_address_of_the_uplink_and_a_bare_host_address() {
        let rules = vec![
            FwRule::Nat {
                from: "10.1.1.0/24".parse().unwrap(),
                out: ifn("em0"),
            },
            FwRule::Nat {
                from: "172.31.255.17/32".parse().unwrap(),
                out: ifn("em0"),
            },
            FwRule::Nat {
                from: "fd00:1::/64".parse().unwrap(),
                out: ifn("em0"),
            },
        ];
        assert_eq!(
            rules_text("nat-lan", &rules),
            "nat on em0 inet from 10.1.1.0/24 to any -> (em0:0)\n\
             nat on em0 inet from 172.31.255.17 to any -> (em0:0)\n\
             nat on em0 inet6 from fd00:1::/64 to any -> (em0:0)\n"
        );
    }

    #[test]
    fn redirects_come_first_and_each_gets_a_separate_quick_pass() {
        let to: IpAddr = "10.1.1.2".parse().unwrap();
        let rules = vec![
            FwRule::Rdr {
                on: ifn("em0"),
                proto: Proto::Tcp,
                dst: None,
                port: 8080,
                to,
                to_port: 80,
            },
            FwRule::Pass {
                proto: Proto::Tcp,
                to,
                port: 80,
            },
            FwRule::Rdr {
                on: ifn("em0"),
                proto: Proto::Udp,
                dst: Some("192.168.0.3".parse().unwrap()),
                port: 53,
                to,
                to_port: 53,
            },
            FwRule::Pass {
                proto: Proto::Udp,
                to,
                port: 53,
            },
        ];
        let text = rules_text("rdr-www", &rules);
        assert_eq!(
            text,
            "rdr on em0 inet proto tcp from any to (em0) port 8080 -> 10.1.1.2 port 80\n\
             rdr on em0 inet proto udp from any to 192.168.0.3 port 53 -> 10.1.1.2 port 53\n\
             pass in quick on em0 inet proto tcp from any to 10.1.1.2 port 80 flags S/SA keep state label \"jailnet:firewall:rdr-www\"\n\
             pass in quick on em0 inet proto udp from any to 10.1.1.2 port 53 keep state label \"jailnet:firewall:rdr-www\"\n"
        );
        assert!(!text.contains("rdr pass"));
    }

    #[test]
    fn one_pfctl_per_anchor_and_never_the_main_ruleset() {
        let steps = load("nat-lan", &[]);
        assert_eq!(steps.len(), 1);
        assert_eq!(
            steps[0].inv.argv(),
            ["pfctl", "-a", "jailnet/nat-lan", "-f", "-"]
        );
        assert_eq!(
            flush("nat-lan")[0].inv.argv(),
            ["pfctl", "-a", "jailnet/nat-lan", "-F", "all"]
        );
    }

    #[test]
    fn the_foreign_marker_is_never_loaded() {
        assert_eq!(rules_text("nat-lan", &[FOREIGN]), "");
    }

    #[test]
    fn labels_fit_pf() {
        let long = "x".repeat(80);
        assert_eq!(label(&long).len(), LABEL_MAX);
    }
}
