//! `doctor` on FreeBSD: the host prerequisites a config needs, each checked read-only and
//! reported as a [`Finding`] with the exact fix.
//!
//! [`Needs`] says what the config uses (from its desired [`Graph`]); [`doctor`] checks
//! only that:
//!
//! - VNET jails: `kern.features.vimage` is 1 (`sysctl -n`).
//! - NAT / port forwards: pf is enabled (`pfctl -s info` says `Status: Enabled`);
//!   `/etc/pf.conf` hooks jailnet's anchors (`nat-anchor "jailnet/*"` and
//!   `rdr-anchor "jailnet/*"` with the translation rules, before any filter rule, and
//!   `anchor "jailnet/*"` with the filter rules); and the running main ruleset has them
//!   (`pfctl -s nat`, `pfctl -s rules`), i.e. pf.conf was reloaded. jailnet never loads
//!   the main ruleset itself (iocage#1081), so these are the admin's to add.
//! - Routing (a switch with a host address): `net.inet.ip.forwarding` /
//!   `net.inet6.ip6.forwarding` are 1 and stay so after a reboot (`/etc/sysctl.conf`, or
//!   `gateway_enable` / `ipv6_gateway_enable` in rc.conf).
//! - Bridges with pf in use: `net.link.bridge.pfil_member` / `pfil_bridge` are not both 0
//!   (else pf never sees traffic crossing the bridges, e.g. after `net.link.bridge.ipfw=1`).
//! - Secure NICs (ipfw layer-2 guards): ipfw is loaded (`kldstat -q -m ipfw`), and
//!   `net.link.bridge.ipfw` and `net.link.ether.ipfw` are 1 (seed 001), persistently, and
//!   `net.link.bridge.pfil_local_phys` and `pfil_member` are 1 so traffic to the host is
//!   checked on the port (`bridge.ipfw=1` turns `pfil_member` off), and
//!   `net.link.bridge.ipfw_arp` is 1 so ARP frames meet the rules too; and ng_ether is
//!   loaded (`kldstat -q -m ng_ether`), for the ARP filter on each secure port.

use jailnet_host::{Host, Invocation, Output};
use jailnet_plan::doctor::Finding;
use jailnet_plan::resource::{FwRule, Knob, SwitchImpl};
use jailnet_plan::{Graph, Resource};

/// The pf.conf file doctor reads (`pf_rules` default).
pub const PF_CONF: &str = "/etc/pf.conf";

/// The pf.conf lines that hook jailnet's anchors, in the order they must appear.
pub const PF_HOOKS: [&str; 3] = [
    "nat-anchor \"jailnet/*\"",
    "rdr-anchor \"jailnet/*\"",
    "anchor \"jailnet/*\"",
];

const SYSCTL_CONF: &str = "/etc/sysctl.conf";

/// What a config needs from the host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Outbound NAT rules (pf `nat`).
    pub nat: bool,
    /// Port forwards (pf `rdr` and their `pass` rules).
    pub rdr: bool,
    /// VNET jails.
    pub vnet: bool,
    /// if_bridge switches.
    pub bridges: bool,
    /// IPv4 routing between switches and the uplink.
    pub forward4: bool,
    /// IPv6 routing.
    pub forward6: bool,
    /// Secure NICs: ipfw layer-2 rules.
    pub guards: bool,
}

impl Needs {
    /// What the desired graph `g` uses.
    pub fn from_graph(g: &Graph) -> Self {
        let mut n = Needs::default();
        for r in g.nodes.values() {
            match r {
                Resource::Firewall { rules, .. } => {
                    for rule in rules {
                        match rule {
                            FwRule::Nat { .. } => n.nat = true,
                            FwRule::Rdr { .. } | FwRule::Pass { .. } => n.rdr = true,
                        }
                    }
                }
                Resource::Jail { vnet: true, .. } => n.vnet = true,
                Resource::Guard { .. } => n.guards = true,
                Resource::Switch {
                    imp: SwitchImpl::Bridge,
                    ..
                } => n.bridges = true,
                Resource::Sysctl { knob, value } if value == "1" => match knob {
                    Knob::Ipv4Forwarding => n.forward4 = true,
                    Knob::Ipv6Forwarding => n.forward6 = true,
                },
                _ => {}
            }
        }
        n
    }

    /// Whether jailnet loads pf anchors at all.
    pub fn pf(&self) -> bool {
        self.nat || self.rdr
    }
}

/// Checks the host for what `needs` says the config uses.
pub fn doctor<H: Host>(host: &mut H, needs: &Needs) -> Vec<Finding> {
    let mut out = Vec::new();
    if needs.vnet {
        out.push(vimage(host));
    }
    if needs.pf() {
        out.push(pf_enabled(host));
        out.extend(pf_conf(host, needs));
    }
    let mut names = Vec::new();
    if needs.forward4 {
        names.push("net.inet.ip.forwarding");
    }
    if needs.forward6 {
        names.push("net.inet6.ip6.forwarding");
    }
    let bridge_pfil = needs.bridges && needs.pf();
    if bridge_pfil {
        names.extend(["net.link.bridge.pfil_member", "net.link.bridge.pfil_bridge"]);
    }
    if needs.guards {
        out.push(ipfw_loaded(host));
        out.push(ng_ether_loaded(host));
        names.extend(GUARD_SYSCTLS);
        names.extend([
            "net.link.bridge.pfil_local_phys",
            "net.link.bridge.pfil_member",
            "net.link.bridge.ipfw_arp",
        ]);
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(*n));
    if names.is_empty() {
        return out;
    }
    let values = match sysctls(host, &names) {
        Ok(v) => v,
        Err(e) => {
            out.push(Finding::fail(
                "sysctls are readable",
                e,
                format!("sysctl {}", names.join(" ")),
            ));
            return out;
        }
    };
    let get = |n: &str| {
        names
            .iter()
            .position(|x| *x == n)
            .and_then(|i| values.get(i))
            .map(String::as_str)
    };
    if needs.forward4 || needs.forward6 {
        let sysctl_conf = cat(host, SYSCTL_CONF).unwrap_or_default();
        for (on, name, rc) in [
            (needs.forward4, "net.inet.ip.forwarding", "gateway_enable"),
            (
                needs.forward6,
                "net.inet6.ip6.forwarding",
                "ipv6_gateway_enable",
            ),
        ] {
            if on {
                let persistent = has_setting(&sysctl_conf, name) || rc_yes(host, rc);
                out.push(forwarding(name, get(name).unwrap_or(""), persistent));
            }
        }
    }
    if needs.guards {
        let sysctl_conf = cat(host, SYSCTL_CONF).unwrap_or_default();
        for name in GUARD_SYSCTLS {
            let v = get(name).unwrap_or("");
            let check = format!("{name} is 1 (secure NICs: ipfw sees layer-2 frames)");
            let persistent = has_setting(&sysctl_conf, name);
            out.push(if v != "1" {
                Finding::fail(
                    check,
                    format!("{name}={v}: secure NICs' ipfw rules never see the frames"),
                    format!("sysctl {name}=1\necho '{name}=1' >> {SYSCTL_CONF}"),
                )
            } else if !persistent {
                Finding::warn(
                    check,
                    format!("{name}=1 but not in {SYSCTL_CONF}: lost at reboot"),
                    format!("echo '{name}=1' >> {SYSCTL_CONF}"),
                )
            } else {
                Finding::ok(check, format!("{name}=1"))
            });
        }
    }
    if needs.guards {
        // ARP reaches the bridge's layer-2 ipfw pass only with ipfw_arp (bridge.4).
        let name = "net.link.bridge.ipfw_arp";
        let v = get(name).unwrap_or("");
        let check = format!("{name} is 1 (secure NICs: ARP frames are checked too)");
        out.push(if v == "1" {
            Finding::ok(check, format!("{name}=1"))
        } else {
            Finding::warn(
                check,
                format!("{name}={v}: a secure jail can send ARP from a foreign MAC"),
                format!("sysctl {name}=1\necho '{name}=1' >> {SYSCTL_CONF}"),
            )
        });
        // Frames for the host itself are handed to the bridge interface, so the port's
        // `recv P` rules only see them in the IP pass on the port: pfil_local_phys, which
        // runs through pfil_member — and `net.link.bridge.ipfw=1` turns pfil_member off.
        let local = get("net.link.bridge.pfil_local_phys").unwrap_or("");
        let member = get("net.link.bridge.pfil_member").unwrap_or("");
        let check = "net.link.bridge.pfil_local_phys and pfil_member are 1 (secure NICs: \
                     traffic to the host is checked on the jail's port)"
            .to_string();
        let detail = format!("pfil_local_phys={local} pfil_member={member}");
        out.push(if local == "1" && member == "1" {
            Finding::ok(check, detail)
        } else {
            Finding::warn(
                check,
                format!(
                    "{detail}: a secure jail can still reach the host itself from a foreign IP address"
                ),
                format!(
                    "sysctl net.link.bridge.pfil_local_phys=1 net.link.bridge.pfil_member=1\n\
                     echo 'net.link.bridge.pfil_local_phys=1' >> {SYSCTL_CONF}\n\
                     echo 'net.link.bridge.pfil_member=1' >> {SYSCTL_CONF}"
                ),
            )
        });
    }
    if bridge_pfil {
        let m = get("net.link.bridge.pfil_member").unwrap_or("");
        let b = get("net.link.bridge.pfil_bridge").unwrap_or("");
        let check = "pf sees traffic crossing bridges";
        let detail = format!("net.link.bridge.pfil_member={m} pfil_bridge={b}");
        out.push(if m == "0" && b == "0" {
            Finding::warn(
                check,
                format!("{detail}: pf rules never apply to jail traffic on jailnet's bridges"),
                format!(
                    "sysctl net.link.bridge.pfil_bridge=1\n\
                     echo 'net.link.bridge.pfil_bridge=1' >> {SYSCTL_CONF}"
                ),
            )
        } else {
            Finding::ok(check, detail)
        });
    }
    out
}

/// The sysctls ipfw layer-2 filtering on bridges needs.
const GUARD_SYSCTLS: [&str; 2] = ["net.link.bridge.ipfw", "net.link.ether.ipfw"];

/// `kldstat -q -m ipfw`: the module is loaded (or in the kernel).
fn ipfw_loaded<H: Host>(host: &mut H) -> Finding {
    module_loaded(
        host,
        "ipfw",
        "ipfw is loaded (secure NICs)",
        "no ipfw module: secure NICs' rules cannot be added",
        // An open ruleset, so loading ipfw does not cut the host off (seed 001).
        "sysrc firewall_enable=YES firewall_type=open && service ipfw start",
    )
}

/// `kldstat -q -m ng_ether`: every Ethernet interface has a netgraph node, where the ARP
/// filter of a secure port is spliced in.
fn ng_ether_loaded<H: Host>(host: &mut H) -> Finding {
    module_loaded(
        host,
        "ng_ether",
        "ng_ether is loaded (secure NICs' ARP filter)",
        "no ng_ether module: a secure NIC's ARP answers cannot be checked, so `up` \
         refuses to make its guard",
        "kldload ng_ether && sysrc -f /boot/loader.conf ng_ether_load=YES",
    )
}

/// `kldstat -q -m MODULE`: the module is loaded (or in the kernel); else `missing`, `fix`.
fn module_loaded<H: Host>(
    host: &mut H,
    module: &str,
    check: &str,
    missing: &str,
    fix: &str,
) -> Finding {
    match host.run(&Invocation::new("kldstat", ["-q", "-m", module])) {
        Ok(o) if o.success() => Finding::ok(check, format!("{module} module present")),
        _ => Finding::fail(check, missing, fix),
    }
}

fn vimage<H: Host>(host: &mut H) -> Finding {
    let check = "kernel has VIMAGE (kern.features.vimage)";
    let fix =
        "VNET jails need a kernel with `options VIMAGE` (GENERIC has it since FreeBSD 12.0): \
               boot a GENERIC kernel, or add `options VIMAGE` to your kernel config and rebuild";
    match host.run(&Invocation::new("sysctl", ["-n", "kern.features.vimage"])) {
        Ok(o) if o.success() && o.stdout.trim() == "1" => {
            Finding::ok(check, "kern.features.vimage=1")
        }
        Ok(o) => Finding::fail(check, seen(&o, "kern.features.vimage is not set"), fix),
        Err(e) => Finding::fail(check, e.to_string(), fix),
    }
}

fn pf_enabled<H: Host>(host: &mut H) -> Finding {
    let check = "pf is enabled";
    let fix = "sysrc pf_enable=YES && service pf start";
    match host.run(&Invocation::new("pfctl", ["-s", "info"])) {
        Ok(o) if o.success() => {
            let status = o
                .stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix("Status: "))
                .and_then(|s| s.split_whitespace().next())
                .unwrap_or("unknown")
                .to_string();
            if status == "Enabled" {
                Finding::ok(check, "Status: Enabled")
            } else {
                Finding::fail(check, format!("Status: {status}"), fix)
            }
        }
        Ok(o) => Finding::fail(check, seen(&o, "pfctl -s info failed"), fix),
        Err(e) => Finding::fail(check, e.to_string(), fix),
    }
}

/// `/etc/pf.conf` hooks jailnet's anchors, in the right places, and pf runs with them.
fn pf_conf<H: Host>(host: &mut H, needs: &Needs) -> Vec<Finding> {
    let check = format!("{PF_CONF} hooks jailnet's anchors");
    let text = match cat(host, PF_CONF) {
        Some(t) => t,
        None => {
            return vec![Finding::fail(
                check,
                format!("{PF_CONF} is missing"),
                format!(
                    "create {PF_CONF} with:\n{}\nthen: sysrc pf_enable=YES && service pf start",
                    PF_HOOKS.join("\n")
                ),
            )]
        }
    };
    let lines = rule_lines(&text);
    let pos = |hook: &str| lines.iter().position(|l| same_hook(l, hook));
    let first_filter = lines.iter().position(|l| is_filter(l));
    let mut missing = Vec::new();
    let mut misplaced = Vec::new();
    for hook in PF_HOOKS {
        match pos(hook) {
            None => missing.push(hook),
            Some(p) if !hook.starts_with("anchor") && first_filter.is_some_and(|f| p > f) => {
                misplaced.push(hook)
            }
            Some(_) => {}
        }
    }
    // Which hooks this config cannot work without.
    let needed = |h: &&str| {
        (needs.nat && h.starts_with("nat-anchor"))
            || (needs.rdr && (h.starts_with("rdr-anchor") || h.starts_with("anchor")))
    };
    let mut out = Vec::new();
    if missing.is_empty() && misplaced.is_empty() {
        out.push(Finding::ok(&check, PF_HOOKS.join(", ")));
    } else {
        let mut fix = String::new();
        let translation: Vec<&str> = missing
            .iter()
            .chain(misplaced.iter())
            .copied()
            .filter(|h| !h.starts_with("anchor"))
            .collect();
        if !translation.is_empty() {
            fix.push_str(&format!(
                "add to {PF_CONF} with the translation rules (after options and scrub, \
                 before the first pass/block/anchor rule):\n{}\n",
                translation.join("\n")
            ));
        }
        if missing.contains(&"anchor \"jailnet/*\"") {
            fix.push_str(&format!(
                "add to {PF_CONF} with the filter rules (its pass rules are `quick`: put it \
                 before any `block quick` that would match forwarded ports):\n{}\n",
                PF_HOOKS[2]
            ));
        }
        fix.push_str("then: service pf reload");
        let mut detail = Vec::new();
        if !missing.is_empty() {
            detail.push(format!("missing: {}", missing.join(", ")));
        }
        if !misplaced.is_empty() {
            detail.push(format!(
                "after the first filter rule (pf refuses that order): {}",
                misplaced.join(", ")
            ));
        }
        let hard = !misplaced.is_empty() || missing.iter().any(needed);
        out.push(if hard {
            Finding::fail(&check, detail.join("; "), fix)
        } else {
            Finding::warn(&check, detail.join("; "), fix)
        });
        return out;
    }
    // The file is right; is the running ruleset?
    let live_check = "the running pf ruleset hooks jailnet's anchors";
    let mut live = String::new();
    for what in ["nat", "rules"] {
        if let Ok(o) = host.run(&Invocation::new("pfctl", ["-s", what])) {
            live.push_str(&o.stdout);
        }
    }
    let live_lines = rule_lines(&live);
    let absent: Vec<&str> = PF_HOOKS
        .iter()
        .copied()
        .filter(|h| !live_lines.iter().any(|l| same_hook(l, h)))
        .collect();
    out.push(if absent.is_empty() {
        Finding::ok(
            live_check,
            "nat-anchor, rdr-anchor and anchor \"jailnet/*\" are loaded",
        )
    } else {
        Finding::fail(
            live_check,
            format!(
                "{PF_CONF} has them but pf runs without: {}",
                absent.join(", ")
            ),
            "service pf reload",
        )
    });
    out
}

/// Forwarding on now, and after a reboot.
fn forwarding(name: &str, value: &str, persistent: bool) -> Finding {
    let check = format!("{name} is 1");
    let fix_persist = format!("echo '{name}=1' >> {SYSCTL_CONF}");
    match (value == "1", persistent) {
        (true, true) => Finding::ok(check, format!("{name}=1, set in {SYSCTL_CONF} or rc.conf")),
        (true, false) => Finding::warn(
            check,
            format!("{name}=1 now, but nothing sets it at boot"),
            fix_persist,
        ),
        (false, _) => Finding::warn(
            check,
            format!("{name}={value} (`jailnet up` sets it, but not across reboots)"),
            format!("sysctl {name}=1\n{fix_persist}"),
        ),
    }
}

/// Rule lines of pf.conf text: comments and blank lines dropped, continuations joined,
/// whitespace collapsed.
fn rule_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("");
        if let Some(cont) = line.trim_end().strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let words: Vec<&str> = pending.split_whitespace().collect();
        if !words.is_empty() {
            out.push(words.join(" "));
        }
        pending.clear();
    }
    out
}

/// `line` is hook `hook` (pfctl prints it back with a trailing ` all`).
fn same_hook(line: &str, hook: &str) -> bool {
    let l = line
        .strip_suffix(" all")
        .unwrap_or(line)
        .replace('\'', "\"");
    l == hook
}

fn is_filter(line: &str) -> bool {
    matches!(
        line.split_whitespace().next(),
        Some("pass" | "block" | "match" | "anchor" | "antispoof")
    )
}

/// Whether sysctl.conf text sets `name` to 1.
fn has_setting(text: &str, name: &str) -> bool {
    text.lines().any(|l| {
        let l = l.split('#').next().unwrap_or("").replace(' ', "");
        l == format!("{name}=1")
    })
}

/// `sysrc -n NAME` says YES.
fn rc_yes<H: Host>(host: &mut H, name: &str) -> bool {
    host.run(&Invocation::new("sysrc", ["-n", name]))
        .is_ok_and(|o| o.success() && o.stdout.trim().eq_ignore_ascii_case("yes"))
}

/// A file's text, or `None` when it cannot be read.
fn cat<H: Host>(host: &mut H, path: &str) -> Option<String> {
    host.run(&Invocation::new("cat", [path]))
        .ok()
        .filter(Output::success)
        .map(|o| o.stdout)
}

/// `sysctl -n NAMES…`, one value per name.
fn sysctls<H: Host>(host: &mut H, names: &[&str]) -> Result<Vec<String>, String> {
    let mut args = vec!["-n"];
    args.extend(names);
    let o = host
        .run(&Invocation::new("sysctl", args))
        .map_err(|e| e.to_string())?;
    if !o.success() {
        return Err(seen(&o, "sysctl failed"));
    }
    let values: Vec<String> = o.stdout.lines().map(|l| l.trim().to_string()).collect();
    if values.len() != names.len() {
        return Err(format!("{} values for {} names", values.len(), names.len()));
    }
    Ok(values)
}

/// A failed tool's stderr, or `default`.
fn seen(o: &Output, default: &str) -> String {
    let e = o.stderr.trim();
    if e.is_empty() {
        default.to_string()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pf_conf_lines_and_hooks() {
        let text = "ext_if=\"em0\"  # uplink\nset skip on lo0\nnat-anchor \\\n  \"jailnet/*\"\nblock in all\n";
        let l = rule_lines(text);
        assert_eq!(l[2], "nat-anchor \"jailnet/*\"");
        assert!(same_hook(&l[2], PF_HOOKS[0]));
        assert!(same_hook("anchor \"jailnet/*\" all", PF_HOOKS[2]));
        assert!(is_filter(&l[3]));
    }

    #[test]
    fn sysctl_conf_settings() {
        assert!(has_setting(
            "# x\nnet.inet.ip.forwarding = 1\n",
            "net.inet.ip.forwarding"
        ));
        assert!(!has_setting(
            "net.inet.ip.forwarding=0\n",
            "net.inet.ip.forwarding"
        ));
    }
}
