//! Dispatch of one invocation to the simulated tool, and the caller context every tool sees.

use crate::state::{SimState, VnetId};
use jailnet_host::Output;

/// Who runs a tool: the host, or a process inside jail `jail` (which lives in `vnet`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Caller {
    pub jail: Option<String>,
    pub vnet: VnetId,
}

/// A tool's failure, already rendered the way the real tool reports it.
pub(crate) type R<T> = Result<T, Output>;

/// `TOOL: MSG` on stderr, exit 1.
pub(crate) fn fail(tool: &str, msg: impl std::fmt::Display) -> Output {
    fail_with(1, tool, msg)
}

/// `TOOL: MSG` on stderr with exit `status`.
pub(crate) fn fail_with(status: i32, tool: &str, msg: impl std::fmt::Display) -> Output {
    Output {
        status,
        stdout: String::new(),
        stderr: format!("{tool}: {msg}\n"),
    }
}

impl Caller {
    pub fn host() -> Self {
        Caller {
            jail: None,
            vnet: VnetId::Host,
        }
    }

    /// The context of a process inside jail `key` (name or JID), if it exists.
    pub fn in_jail(st: &SimState, key: &str) -> Option<Self> {
        let j = st.jail_by_key(key)?;
        Some(Caller {
            jail: Some(j.name.clone()),
            vnet: if j.net.is_some() {
                VnetId::Jail(j.name.clone())
            } else {
                VnetId::Host
            },
        })
    }

    /// Inside a jail that shares the host's network stack.
    pub fn non_vnet_jail(&self) -> bool {
        self.jail.is_some() && self.vnet == VnetId::Host
    }
}

/// Runs `program args…` as `caller`.
pub(crate) fn dispatch(
    st: &mut SimState,
    caller: &Caller,
    program: &str,
    args: &[String],
    stdin: Option<&str>,
) -> Output {
    let base = program.rsplit('/').next().unwrap_or(program);
    match base {
        "ifconfig" => crate::ifconfig::run(st, caller, args),
        "jail" => crate::jail::run_jail(st, caller, args),
        "jls" => crate::jail::run_jls(st, caller, args),
        "jexec" => jexec(st, caller, args, stdin),
        "route" => crate::route::run(st, caller, args),
        "netstat" => crate::route::run_netstat(st, caller, args),
        "sysctl" => crate::sysctl::run(st, caller, args),
        "pfctl" => crate::pfctl::run(st, caller, args, stdin),
        "ipfw" => crate::ipfw::run(st, caller, args),
        "arp" | "ndp" => crate::neigh::run(st, caller, base, args),
        "ngctl" => crate::ngctl::run(st, caller, args, stdin),
        "devfs" => crate::devfs::run(st, caller, args),
        "sysrc" => crate::sysrc::run(st, caller, args),
        "dnsmasq" | "dhclient" | "pgrep" | "pkill" => crate::dhcp::run(st, caller, base, args),
        "kldload" | "kldstat" | "cat" | "tee" | "rm" | "ls" | "true" | "false" | "mkdir" => {
            crate::misc::run(st, caller, base, args, stdin)
        }
        _ => fail_with(127, "sh", format!("{program}: not found")),
    }
}

/// `jexec [-l] [-u USER] [-U USER] JAIL PROG ARGS…`.
fn jexec(st: &mut SimState, caller: &Caller, args: &[String], stdin: Option<&str>) -> Output {
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-u" | "-U" => i += 2,
            "-l" => i += 1,
            other => {
                return fail_with(
                    64,
                    "jexec",
                    format!(
                        "illegal option -- {}\nusage: jexec [-l] [-u username | -U username] jail [command ...]",
                        other.trim_start_matches('-')
                    ),
                )
            }
        }
    }
    let Some(key) = args.get(i) else {
        return fail_with(
            64,
            "usage",
            "jexec [-l] [-u username | -U username] jail [command ...]",
        );
    };
    if caller.jail.is_some() {
        return fail("jexec", format!("jail \"{key}\" not found"));
    }
    let Some(inner) = Caller::in_jail(st, key) else {
        if let Ok(n) = key.parse::<u32>() {
            return fail("jexec", format!("jail_attach({n}): Invalid argument"));
        }
        return fail("jexec", format!("jail \"{key}\" not found"));
    };
    let Some(prog) = args.get(i + 1) else {
        // The real one starts the user's login shell; nothing observable here.
        return Output::ok("");
    };
    let out = dispatch(st, &inner, prog, &args[i + 2..], stdin);
    if out.status == 127 && out.stderr.starts_with("sh:") {
        return fail(
            "jexec",
            format!("execvp: {prog}: No such file or directory"),
        );
    }
    out
}
