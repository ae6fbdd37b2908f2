//! `jailnet emit jail-conf JAIL`: the jail.conf(5) block that hooks jailnet into jail(8),
//! so `service jail start` brings the jail's networking up and `stop` takes it down.

use crate::args::Cli;
use crate::exit::Invalid;
use anyhow::Result;
use jailnet_model::config::SharedIp;

pub fn run(cli: &Cli, jail: &str) -> Result<i32> {
    let loaded = crate::config::load(cli, false)?;
    let Some(j) = loaded.cfg.jails.values().find(|j| j.name.as_str() == jail) else {
        return Err(Invalid(format!("jail '{jail}' is not in {}", loaded.path.display())).into());
    };
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "/usr/local/sbin/jailnet".into());
    let cfg = std::fs::canonicalize(&loaded.path).unwrap_or(loaded.path.clone());
    // jail(8) runs exec.* hooks through /bin/sh: refuse paths a shell would interpret.
    let safe = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._+-".contains(c))
    };
    for p in [exe.as_str(), &cfg.display().to_string()] {
        if !safe(p) {
            return Err(Invalid(format!(
                "path {p:?} has characters a shell would interpret; move it to a plain path"
            ))
            .into());
        }
    }
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let hook = |verb: &str| q(&format!("{exe} -c {} {verb} {jail}", cfg.display()));
    let mut out = format!(
        "# jailnet: networking of jail {jail}, from {}\n{jail} {{\n",
        cfg.display()
    );
    if j.is_vnet() {
        out.push_str("\tvnet;\n");
    } else {
        for (key, ip) in [("ip4", &j.ip4), ("ip6", &j.ip6)] {
            match ip {
                SharedIp::Inherit => out.push_str(&format!("\t{key} = inherit;\n")),
                // jailnet manages the host aliases itself, so no IF| prefix here.
                SharedIp::Aliases(list) => {
                    let addrs: Vec<String> = list.iter().map(|a| a.cidr.addr.to_string()).collect();
                    out.push_str(&format!("\t{key}.addr = {};\n", q(&addrs.join(","))));
                }
                SharedIp::None => {}
            }
        }
    }
    if jailnet_model::alloc::needs_devfs(j) {
        // The ruleset jailnet keeps for this jail (pf inside, or bpf for DHCP).
        let store = crate::state_file::StateStore::open(&super::state_dir(cli))?;
        let state = store.load()?;
        let host = crate::engine::host_name(&loaded.cfg);
        let alloc = jailnet_model::alloc::allocate(&loaded.cfg, &host, &state.allocations)?;
        if let Some(n) = alloc.devfs.get(jail) {
            out.push_str(&format!("\tdevfs_ruleset = {n};\n"));
        }
    }
    if j.allow_raw_sockets {
        out.push_str("\tallow.raw_sockets;\n");
    }
    out.push_str(&format!("\texec.created += {};\n", hook("attach")));
    out.push_str(&format!("\texec.poststop += {};\n", hook("detach")));
    out.push_str("}\n");
    print!("{out}");
    Ok(0)
}
