//! `sysctl(8)` (§11): a global table (`kern.*`, `security.*`) and a per-vnet one (`net.*`),
//! read/write with the real output forms, read-only and unknown-oid errors.

use crate::exec::{fail, Caller};
use crate::state::{SimState, VnetId};
use jailnet_host::Output;
use std::collections::BTreeMap;

/// Per-vnet defaults (every vnet jail starts with these).
pub(crate) fn vnet_defaults() -> BTreeMap<String, String> {
    [
        ("net.inet.ip.forwarding", "0"),
        ("net.inet6.ip6.forwarding", "0"),
        ("net.link.bridge.pfil_member", "1"),
        ("net.link.bridge.pfil_bridge", "1"),
        ("net.link.bridge.pfil_onlyip", "1"),
        ("net.link.bridge.pfil_local_phys", "0"),
        ("net.link.bridge.ipfw", "0"),
        ("net.link.bridge.ipfw_arp", "0"),
        ("net.link.bridge.inherit_mac", "0"),
        ("net.link.bridge.log_stp", "0"),
        ("net.link.ether.ipfw", "0"),
        ("net.link.tap.up_on_open", "0"),
        ("net.inet.ip.fw.enable", "1"),
        ("net.inet6.ip6.fw.enable", "1"),
        ("net.inet.ip.fw.one_pass", "1"),
        ("net.inet.ip.fw.default_rule", "65535"),
        ("net.link.ether.inet.maxtries", "5"),
        ("net.pf.request_maxcount", "65535"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Global defaults.
pub(crate) fn global_defaults() -> BTreeMap<String, String> {
    [
        ("kern.features.vimage", "1"),
        ("kern.ostype", "FreeBSD"),
        ("kern.osrelease", "14.1-RELEASE"),
        ("kern.osreldate", "1401000"),
        ("kern.hostname", "jailhost"),
        ("security.jail.jailed", "0"),
        ("security.jail.vnet", "0"),
        ("security.jail.max_af_ips", "255"),
        ("security.jail.allow_raw_sockets", "0"),
        ("security.jail.set_hostname_allowed", "1"),
        ("security.jail.sysvipc_allowed", "0"),
        ("security.jail.chflags_allowed", "0"),
        ("security.jail.mount_allowed", "0"),
        ("security.jail.socket_unixiproute_only", "1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn read_only(name: &str) -> bool {
    name.starts_with("kern.features.")
        || name.starts_with("security.jail.")
        || matches!(
            name,
            "kern.ostype" | "kern.osrelease" | "kern.osreldate" | "net.inet.ip.fw.default_rule"
        )
}

/// The value `sysctl -n NAME` prints in `vnet`, if the oid exists.
pub(crate) fn read(st: &SimState, vnet: &VnetId, name: &str) -> Option<String> {
    read_as(
        st,
        &Caller {
            jail: None,
            vnet: vnet.clone(),
        },
        name,
    )
}

fn read_as(st: &SimState, caller: &Caller, name: &str) -> Option<String> {
    if let Some(j) = caller.jail.as_ref().and_then(|j| st.jails.get(j)) {
        match name {
            "security.jail.jailed" => return Some("1".into()),
            "security.jail.vnet" => return Some(if j.net.is_some() { "1" } else { "0" }.into()),
            "kern.hostname" => return Some(j.hostname.clone()),
            _ => {}
        }
    }
    if name == "kern.hostname" {
        return Some(st.hostname.clone());
    }
    if name == "kern.features.vimage" && !st.vimage {
        return None;
    }
    if name.starts_with("net.") {
        return st
            .net(&caller.vnet)
            .and_then(|n| n.sysctl.get(name).cloned());
    }
    st.sysctl.get(name).cloned()
}

/// Runs `sysctl [-n] [-q] [-i] NAME[=VALUE]…`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    let (mut value_only, mut quiet, mut ignore) = (false, false, false);
    let mut names = Vec::new();
    for a in args {
        if let Some(f) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
            for c in f.chars() {
                match c {
                    'n' => value_only = true,
                    'q' => quiet = true,
                    'i' => ignore = true,
                    'e' | 'N' | 'd' | 'a' => {}
                    _ => return Output::fail(64, "usage: sysctl [-bdehiNnoRTtqx] [ -B <bufsize> ] [-f filename] name[=value] ...\n"),
                }
            }
        } else {
            names.push(a.as_str());
        }
    }
    if names.is_empty() {
        return list(st, caller, value_only);
    }
    let mut out = Output::ok("");
    for n in names {
        let (name, new) = match n.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (n, None),
        };
        let Some(old) = read_as(st, caller, name) else {
            // a prefix lists its children
            let kids = children(st, caller, name);
            if new.is_none() && !kids.is_empty() {
                for (k, v) in kids {
                    out.stdout.push_str(&line(&k, &v, value_only));
                }
                continue;
            }
            if !ignore {
                out.status = 1;
                if !quiet {
                    out.stderr
                        .push_str(&format!("sysctl: unknown oid '{name}'\n"));
                }
            }
            continue;
        };
        match new {
            None => out.stdout.push_str(&line(name, &old, value_only)),
            Some(v) => match write(st, caller, name, v) {
                Ok(()) => {
                    if !quiet {
                        out.stdout.push_str(&if value_only {
                            format!("{v}\n")
                        } else {
                            format!("{name}: {old} -> {v}\n")
                        });
                    }
                }
                Err(e) => {
                    out.status = 1;
                    out.stderr.push_str(&e.stderr);
                }
            },
        }
    }
    out
}

fn line(name: &str, v: &str, value_only: bool) -> String {
    if value_only {
        format!("{v}\n")
    } else {
        format!("{name}: {v}\n")
    }
}

fn children(st: &SimState, caller: &Caller, prefix: &str) -> Vec<(String, String)> {
    let p = format!("{prefix}.");
    let mut all: BTreeMap<String, String> = st.sysctl.clone();
    if let Some(n) = st.net(&caller.vnet) {
        all.extend(n.sysctl.clone());
    }
    all.into_iter()
        .filter(|(k, _)| k.starts_with(&p))
        .filter_map(|(k, _)| read_as(st, caller, &k).map(|v| (k, v)))
        .collect()
}

fn list(st: &SimState, caller: &Caller, value_only: bool) -> Output {
    let mut all: BTreeMap<String, String> = st.sysctl.clone();
    if let Some(n) = st.net(&caller.vnet) {
        all.extend(n.sysctl.clone());
    }
    let mut s = String::new();
    for k in all.keys() {
        if let Some(v) = read_as(st, caller, k) {
            s.push_str(&line(k, &v, value_only));
        }
    }
    Output::ok(s)
}

fn write(st: &mut SimState, caller: &Caller, name: &str, v: &str) -> Result<(), Output> {
    if read_only(name) {
        return Err(fail("sysctl", format!("oid '{name}' is read only")));
    }
    if caller.jail.is_some() && (!name.starts_with("net.") || caller.non_vnet_jail()) {
        return Err(fail(
            "sysctl",
            format!("{name}={v}: Operation not permitted"),
        ));
    }
    if v.parse::<i64>().is_err() {
        return Err(fail("sysctl", format!("invalid integer '{v}'")));
    }
    if name.starts_with("net.") {
        let Some(net) = st.net_mut(&caller.vnet) else {
            return Err(fail("sysctl", format!("unknown oid '{name}'")));
        };
        net.sysctl.insert(name.to_string(), v.to_string());
        // bridge.4 [V]: enabling layer-2 ipfw turns pfil_bridge and pfil_member off.
        if name == "net.link.bridge.ipfw" && v != "0" {
            net.sysctl
                .insert("net.link.bridge.pfil_bridge".into(), "0".into());
            net.sysctl
                .insert("net.link.bridge.pfil_member".into(), "0".into());
        }
    } else {
        st.sysctl.insert(name.to_string(), v.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};
    use jailnet_host::Invocation;

    #[test]
    fn read_write_and_errors() {
        let mut h = SimHost::fresh();
        assert_eq!(
            h.sh("sysctl", &["kern.features.vimage"]).stdout,
            "kern.features.vimage: 1\n"
        );
        assert_eq!(
            h.sh("sysctl", &["-n", "net.inet.ip.forwarding"]).stdout,
            "0\n"
        );
        let o = h.sh("sysctl", &["net.inet.ip.forwarding=1"]);
        assert_eq!(o.stdout, "net.inet.ip.forwarding: 0 -> 1\n");
        let o = h.sh("sysctl", &["net.nope"]);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "sysctl: unknown oid 'net.nope'\n")
        );
        let o = h.sh("sysctl", &["kern.features.vimage=0"]);
        assert_eq!(o.status, 1);
        let h2 = SimHost::fresh().with_vimage(false);
        assert_eq!(h2.sysctl(&VnetId::Host, "kern.features.vimage"), None);
    }

    #[test]
    fn forwarding_is_per_vnet_and_bridge_ipfw_turns_pfil_off() {
        let mut h = SimHost::fresh();
        h.sh("jail", &["-c", "name=gw", "vnet", "persist"]);
        let o = h.exec(&Invocation::new("sysctl", ["net.inet.ip.forwarding=1"]).in_jail("gw"));
        assert_eq!(o.status, 0, "{}", o.stderr);
        assert_eq!(
            h.sysctl(&VnetId::Host, "net.inet.ip.forwarding").as_deref(),
            Some("0")
        );
        assert_eq!(
            h.sysctl(&VnetId::Jail("gw".into()), "net.inet.ip.forwarding")
                .as_deref(),
            Some("1")
        );
        h.sh("sysctl", &["net.link.bridge.ipfw=1"]);
        assert_eq!(
            h.sysctl(&VnetId::Host, "net.link.bridge.pfil_member")
                .as_deref(),
            Some("0")
        );
        let o = h.exec(&Invocation::new("sysctl", ["-n", "security.jail.jailed"]).in_jail("gw"));
        assert_eq!(o.stdout, "1\n");
    }
}
