//! `jail(8)` create/remove with the start and stop sequences of §4.2/§4.3 (host aliases,
//! `vnet.interface`, vnet teardown returning interfaces), and `jls(8)` output (§4.4).

use crate::exec::{dispatch, fail, fail_with, Caller, R};
use crate::state::{Jail, JailAddr, NetStack, SimState, VnetId};
use jailnet_host::Output;
use std::collections::BTreeMap;

/// Runs `jail ARGS…`.
pub(crate) fn run_jail(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    match jail(st, caller, args) {
        Ok(o) | Err(o) => o,
    }
}

/// Runs `jls ARGS…`.
pub(crate) fn run_jls(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    match jls(st, caller, args) {
        Ok(o) | Err(o) => o,
    }
}

#[derive(Default)]
struct Opts {
    create: bool,
    remove: bool,
    quiet: bool,
    print_jid: bool,
    verbose: bool,
}

const JAIL_USAGE: &str = "usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n            -[cmr] param=value ... [command=command ...]\n       jail [-dqv] [-f file] -[cmr] [jail]\n       jail [-qv] [-f file] -[rR] ['*' | jail ...]\n       jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n            [-n jailname] [-s securelevel]\n            path hostname ip[,...] command ...";

fn jail(st: &mut SimState, caller: &Caller, args: &[String]) -> R<Output> {
    let mut o = Opts::default();
    let mut k = 0;
    while let Some(a) = args.get(k).filter(|a| a.starts_with('-') && a.len() > 1) {
        for c in a.chars().skip(1) {
            match c {
                'c' => o.create = true,
                'r' => o.remove = true,
                'q' => o.quiet = true,
                'i' => o.print_jid = true,
                'v' => o.verbose = true,
                'd' | 'h' | 'l' => {}
                'm' | 'f' | 'R' | 'J' | 'u' | 'U' | 'n' | 's' | 'e' => {
                    return Err(fail(
                        "jail",
                        format!("-{c} is not supported by the jailnet simulator"),
                    ))
                }
                _ => {
                    return Err(fail_with(
                        64,
                        "jail",
                        format!("illegal option -- {c}\n{JAIL_USAGE}"),
                    ))
                }
            }
        }
        k += 1;
    }
    let rest = &args[k..];
    if caller.jail.is_some() {
        return Err(fail("jail", "jail_set: Operation not permitted"));
    }
    match (o.create, o.remove) {
        (true, false) => create(st, &o, rest),
        (false, true) => remove(st, &o, rest),
        _ => Err(Output::fail(64, format!("{JAIL_USAGE}\n"))),
    }
}

/// Parses `key=value`, `key+=value` and bare boolean words.
fn parse_params(words: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for w in words {
        if let Some((k, v)) = w.split_once("+=") {
            if let Some(e) = out.iter_mut().rev().find(|(ek, _)| ek == k) {
                e.1 = format!("{},{}", e.1, v);
                continue;
            }
            out.push((k.to_string(), v.to_string()));
        } else if let Some((k, v)) = w.split_once('=') {
            out.push((k.to_string(), v.to_string()));
        } else if let Some(b) = w.strip_prefix("no").filter(|b| is_bool_param(b)) {
            out.push((b.to_string(), "false".into()));
        } else {
            out.push((w.clone(), "true".into()));
        }
    }
    out
}

fn is_bool_param(p: &str) -> bool {
    p == "persist" || p == "vnet" || p.starts_with("allow.") || p.starts_with("mount.")
}

fn truthy(v: &str) -> bool {
    matches!(v, "true" | "1" | "new" | "yes")
}

/// Parses one `ip4.addr`/`ip6.addr` entry `[IF|]ADDR[/LEN]`.
fn parse_jail_addr(s: &str, v6: bool) -> Option<JailAddr> {
    let s = s.split_whitespace().next()?;
    let (iface, rest) = match s.split_once('|') {
        Some((i, r)) => (Some(i.to_string()), r),
        None => (None, s),
    };
    let (addr, prefix) = match rest.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (rest, None),
    };
    let ok = if v6 {
        addr.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        addr.parse::<std::net::Ipv4Addr>().is_ok()
    };
    if !ok {
        return None;
    }
    let prefix = match prefix {
        Some(p) if !v6 && p.contains('.') => Some(
            p.parse::<std::net::Ipv4Addr>()
                .ok()
                .map(|m| u32::from(m).leading_ones() as u8)?,
        ),
        Some(p) => Some(p.parse::<u8>().ok()?),
        None => None,
    };
    Some(JailAddr {
        iface,
        addr: addr.to_string(),
        prefix,
    })
}

/// The host-side `ifconfig` argv jail(8) uses to add (`up`) or remove an alias.
fn alias_argv(a: &JailAddr, iface: &str, v6: bool, up: bool) -> Vec<String> {
    let mut v = vec![
        iface.to_string(),
        if v6 { "inet6" } else { "inet" }.to_string(),
    ];
    if up {
        match (a.prefix, v6) {
            (Some(p), _) => v.push(format!("{}/{}", a.addr, p)),
            (None, false) => {
                v.push(a.addr.clone());
                v.push("netmask".into());
                v.push("255.255.255.255".into());
            }
            (None, true) => {
                v.push(a.addr.clone());
                v.push("prefixlen".into());
                v.push("128".into());
            }
        }
        v.push("alias".into());
    } else {
        v.push(a.addr.clone());
        v.push("-alias".into());
    }
    v
}

fn create(st: &mut SimState, o: &Opts, words: &[String]) -> R<Output> {
    let params = parse_params(words);
    let mut name: Option<String> = None;
    let mut jid: Option<u32> = None;
    let mut path = "/".to_string();
    let mut hostname = st.hostname.clone();
    let mut vnet = false;
    let mut persist = false;
    let mut vnet_ifaces: Vec<String> = Vec::new();
    let mut ip4: Vec<JailAddr> = Vec::new();
    let mut ip6: Vec<JailAddr> = Vec::new();
    let mut default_if: Option<String> = None;
    let mut devfs_ruleset = 0;
    let mut other: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in &params {
        let label = name.clone().unwrap_or_default();
        match k.as_str() {
            "name" => name = Some(v.clone()),
            "jid" => {
                jid = Some(
                    v.parse()
                        .map_err(|_| fail("jail", format!("jid: invalid value \"{v}\"")))?,
                )
            }
            "path" => path = v.clone(),
            "host.hostname" => hostname = v.clone(),
            "vnet" => vnet = truthy(v),
            "persist" => persist = truthy(v),
            "vnet.interface" => vnet_ifaces.extend(v.split(',').map(str::to_string)),
            "interface" => default_if = Some(v.clone()),
            "devfs_ruleset" => {
                devfs_ruleset = v.parse().map_err(|_| {
                    fail(
                        "jail",
                        format!("{label}: devfs_ruleset: invalid value \"{v}\""),
                    )
                })?
            }
            "ip4.addr" | "ip6.addr" => {
                let v6 = k == "ip6.addr";
                for e in v.split(',').filter(|e| !e.is_empty()) {
                    let a = parse_jail_addr(e, v6).ok_or_else(|| {
                        fail(
                            "jail",
                            format!(
                                "{label}: {k}: not an IPv{} address: {e}",
                                if v6 { 6 } else { 4 }
                            ),
                        )
                    })?;
                    if v6 {
                        ip6.push(a)
                    } else {
                        ip4.push(a)
                    }
                }
            }
            _ => {
                other.insert(k.clone(), v.clone());
            }
        }
    }
    let name = match (name, jid) {
        (Some(n), _) => n,
        (None, Some(j)) => j.to_string(),
        (None, None) => return Err(fail("jail", "no name or jid specified")),
    };
    if let Some((parent, _)) = name.split_once('.') {
        return Err(fail("jail", format!("{name}: jail \"{parent}\" not found")));
    }
    if st.jails.contains_key(&name) {
        return Err(fail("jail", format!("\"{name}\" already exists")));
    }
    if !path.starts_with('/') {
        return Err(fail(
            "jail",
            format!("{name}: path {path}: not an absolute pathname"),
        ));
    }
    if vnet && !st.vimage {
        return Err(fail("jail", format!("{name}: vnet: unknown parameter")));
    }
    if vnet && (!ip4.is_empty() || !ip6.is_empty()) {
        return Err(fail(
            "jail",
            format!("{name}: ip4.addr: not allowed with vnet"),
        ));
    }
    if !vnet && !vnet_ifaces.is_empty() {
        return Err(fail(
            "jail",
            format!("{name}: vnet.interface: requires vnet"),
        ));
    }
    for a in ip4.iter_mut().chain(ip6.iter_mut()) {
        if a.iface.is_none() {
            a.iface = default_if.clone();
        }
    }

    // Steps 1–2: host aliases (IPv4, then IPv6), undone if anything later fails.
    let host = Caller::host();
    let mut added: Vec<(JailAddr, bool)> = Vec::new();
    let mut stderr = String::new();
    let undo_aliases = |st: &mut SimState, added: &[(JailAddr, bool)]| {
        for (a, v6) in added.iter().rev() {
            if let Some(i) = &a.iface {
                dispatch(st, &host, "ifconfig", &alias_argv(a, i, *v6, false), None);
            }
        }
    };
    for (a, v6) in ip4
        .iter()
        .map(|a| (a, false))
        .chain(ip6.iter().map(|a| (a, true)))
    {
        let Some(i) = &a.iface else { continue };
        let argv = alias_argv(a, i, v6, true);
        let out = dispatch(st, &host, "ifconfig", &argv, None);
        if !out.success() {
            undo_aliases(st, &added);
            stderr.push_str(&out.stderr);
            stderr.push_str(&format!(
                "jail: {name}: /sbin/ifconfig {}: failed\n",
                argv.join(" ")
            ));
            return Err(Output {
                status: 1,
                stdout: String::new(),
                stderr,
            });
        }
        added.push((a.clone(), v6));
    }

    // Step 5: the kernel creates the jail.
    let jid = match jid {
        Some(j) if st.jails.values().any(|x| x.jid == j) => {
            undo_aliases(st, &added);
            return Err(fail("jail", format!("jail {j} already exists")));
        }
        Some(j) => j,
        None => next_jid(st),
    };
    st.next_jid = st.next_jid.max(jid + 1);
    let mut rc_conf = BTreeMap::new();
    rc_conf.insert("hostname".to_string(), hostname.clone());
    st.jails.insert(
        name.clone(),
        Jail {
            jid,
            name: name.clone(),
            path,
            hostname,
            persist,
            net: vnet.then(NetStack::fresh),
            ip4,
            ip6,
            devfs_ruleset,
            params: other,
            rc_conf,
            files: BTreeMap::new(),
        },
    );
    // A new vnet comes with its own lo0 (down, unconfigured until the jail's rc runs).
    if vnet {
        let lo0 = crate::ifconfig::clone::new_loopback(st, "lo0", VnetId::Jail(name.clone()), None);
        st.insert_iface(lo0.index, lo0);
    }
    let mut stdout = String::new();
    if o.print_jid {
        stdout.push_str(&format!("{jid}\n"));
    } else if !o.quiet {
        stdout.push_str(&format!("{name}: created\n"));
    }

    // Step 7: vnet.interface, moved in by `ifconfig IF vnet JID`.
    for ifname in &vnet_ifaces {
        let argv = vec![ifname.clone(), "vnet".into(), jid.to_string()];
        let out = dispatch(st, &host, "ifconfig", &argv, None);
        if !out.success() {
            stderr.push_str(&out.stderr);
            stderr.push_str(&format!(
                "jail: {name}: /sbin/ifconfig {}: failed\n",
                argv.join(" ")
            ));
            kernel_remove(st, &name);
            undo_aliases(st, &added);
            return Err(Output {
                status: 1,
                stdout,
                stderr,
            });
        }
    }

    // Step 9: a jail with neither persist nor a command to keep it alive dies right away.
    let has_cmd = st
        .jails
        .get(&name)
        .is_some_and(|j| j.params.contains_key("exec.start") || j.params.contains_key("command"));
    if !persist && !has_cmd {
        kernel_remove(st, &name);
    }
    Ok(Output {
        status: 0,
        stdout,
        stderr,
    })
}

/// JIDs count up and are not reused while the simulator runs.
fn next_jid(st: &SimState) -> u32 {
    let mut j = st.next_jid.max(1);
    while st.jails.values().any(|x| x.jid == j) {
        j += 1;
    }
    j
}

/// The kernel side of removal: the jail goes, its vnet dies (§3).
fn kernel_remove(st: &mut SimState, name: &str) -> Option<Jail> {
    let j = st.jails.get(name)?;
    if j.net.is_some() {
        crate::ifconfig::vnet::vnet_teardown(st, name);
    }
    // Its processes die with it.
    st.procs.retain(|_, p| p.jail.as_deref() != Some(name));
    st.jails.remove(name)
}

fn remove(st: &mut SimState, o: &Opts, keys: &[String]) -> R<Output> {
    let names: Vec<String> = if keys.iter().any(|k| k == "*") {
        st.jails.keys().cloned().collect()
    } else {
        keys.to_vec()
    };
    if names.is_empty() {
        return Err(Output::fail(64, format!("{JAIL_USAGE}\n")));
    }
    let mut out = Output::ok("");
    for key in &names {
        let Some(name) = st.jail_by_key(key).map(|j| j.name.clone()) else {
            out.status = 1;
            if !o.quiet {
                out.stderr.push_str(&format!("jail: \"{key}\" not found\n"));
            }
            continue;
        };
        let Some(j) = kernel_remove(st, &name) else {
            continue;
        };
        if o.verbose || names.len() > 1 {
            out.stdout.push_str(&format!("{name}: removed\n"));
        }
        // Step 7: IPv6 then IPv4 aliases come off the host interfaces.
        let host = Caller::host();
        for (a, v6) in j
            .ip6
            .iter()
            .map(|a| (a, true))
            .chain(j.ip4.iter().map(|a| (a, false)))
        {
            if let Some(i) = &a.iface {
                dispatch(st, &host, "ifconfig", &alias_argv(a, i, v6, false), None);
            }
        }
    }
    Ok(out)
}

/// A jail parameter's value as jls sees it.
enum JVal {
    Str(String),
    Bool(bool),
}

fn param(j: &Jail, p: &str) -> Option<JVal> {
    let addrs = |v: &[JailAddr]| {
        v.iter()
            .map(|a| a.addr.clone())
            .collect::<Vec<_>>()
            .join(",")
    };
    Some(match p {
        "jid" => JVal::Str(j.jid.to_string()),
        "name" => JVal::Str(j.name.clone()),
        "path" => JVal::Str(j.path.clone()),
        "host.hostname" | "hostname" => JVal::Str(j.hostname.clone()),
        "vnet" => JVal::Str(if j.net.is_some() { "new" } else { "inherit" }.into()),
        "persist" => JVal::Bool(j.persist),
        "dying" => JVal::Bool(false),
        "parent" => JVal::Str("0".into()),
        "ip4.addr" => JVal::Str(addrs(&j.ip4)),
        "ip6.addr" => JVal::Str(addrs(&j.ip6)),
        "ip4" => JVal::Str(ipmode(j, "ip4", &j.ip4).into()),
        "ip6" => JVal::Str(ipmode(j, "ip6", &j.ip6).into()),
        "devfs_ruleset" => JVal::Str(j.devfs_ruleset.to_string()),
        "enforce_statfs" => JVal::Str(j.params.get(p).cloned().unwrap_or_else(|| "2".into())),
        "securelevel" => JVal::Str(j.params.get(p).cloned().unwrap_or_else(|| "-1".into())),
        "host" => JVal::Str("new".into()),
        "allow.set_hostname" | "allow.reserved_ports" => {
            JVal::Bool(j.params.get(p).is_none_or_truthy())
        }
        _ if p.starts_with("allow.") || p.starts_with("mount.") => {
            JVal::Bool(j.params.get(p).is_some_and(|v| truthy(v)))
        }
        _ => return None,
    })
}

trait OptTruthy {
    fn is_none_or_truthy(&self) -> bool;
}

impl OptTruthy for Option<&String> {
    fn is_none_or_truthy(&self) -> bool {
        match self {
            None => true,
            Some(v) => truthy(v),
        }
    }
}

/// `ip4`/`ip6` as jls shows it (§4.1): a vnet jail has its own stack (`inherit`); addresses
/// imply `new`; otherwise the mode given at creation (`ip4=inherit`), `disable` if none.
fn ipmode(j: &Jail, fam: &str, v: &[JailAddr]) -> &'static str {
    if j.net.is_some() {
        return "inherit";
    }
    if !v.is_empty() {
        return "new";
    }
    match j.params.get(fam).map(String::as_str) {
        Some("inherit") => "inherit",
        Some("new") => "new",
        _ => "disable",
    }
}

/// The parameters `jls -n` lists, in order.
const ALL_PARAMS: &[&str] = &[
    "devfs_ruleset",
    "dying",
    "enforce_statfs",
    "host",
    "host.hostname",
    "ip4",
    "ip4.addr",
    "ip6",
    "ip6.addr",
    "jid",
    "name",
    "parent",
    "path",
    "persist",
    "securelevel",
    "vnet",
    "allow.raw_sockets",
    "allow.set_hostname",
    "allow.reserved_ports",
];

fn jls(st: &mut SimState, caller: &Caller, args: &[String]) -> R<Output> {
    let (mut name_mode, mut names_fmt, mut header, mut quiet) = (false, false, false, false);
    let mut only: Option<String> = None;
    let mut k = 0;
    while let Some(a) = args.get(k).filter(|a| a.starts_with('-') && a.len() > 1) {
        if a == "-j" {
            only =
                Some(args.get(k + 1).cloned().ok_or_else(|| {
                    Output::fail(64, "usage: jls [-dhNnqv] [-j jail] [param ...]\n")
                })?);
            k += 2;
            continue;
        }
        for c in a.chars().skip(1) {
            match c {
                'N' => names_fmt = true,
                'n' => name_mode = true,
                'h' => header = true,
                'q' => quiet = true,
                'd' | 'v' | 's' => {}
                _ => {
                    return Err(Output::fail(
                        64,
                        format!(
                        "jls: illegal option -- {c}\nusage: jls [-dhNnqv] [-j jail] [param ...]\n"
                    ),
                    ))
                }
            }
        }
        k += 1;
    }
    let params: Vec<&str> = args[k..].iter().map(String::as_str).collect();
    let mut jails: Vec<&Jail> = if caller.jail.is_some() {
        Vec::new()
    } else {
        st.jails.values().collect()
    };
    jails.sort_by_key(|j| j.jid);
    if let Some(key) = &only {
        let found = jails
            .iter()
            .find(|j| j.name == *key || j.jid.to_string() == *key)
            .copied();
        match found {
            Some(j) => jails = vec![j],
            None if key.parse::<u32>().is_ok() => {
                return Err(fail("jls", format!("jail {key} not found")))
            }
            None => return Err(fail("jls", format!("jail \"{key}\" not found"))),
        }
    }
    for p in &params {
        if jails.first().is_some_and(|j| param(j, p).is_none())
            || (jails.is_empty() && !ALL_PARAMS.contains(p) && !p.starts_with("allow."))
        {
            return Err(fail("jls", format!("unknown parameter: {p}")));
        }
    }
    let mut out = String::new();
    if params.is_empty() && !name_mode {
        out.push_str(if names_fmt {
            " JID             IP Address      Hostname                      Path\n"
        } else {
            "   JID  IP Address      Hostname                      Path\n"
        });
        for j in &jails {
            let ip = j.ip4.first().map(|a| a.addr.as_str()).unwrap_or("");
            if names_fmt {
                out.push_str(&format!(
                    " {:<15} {:<15} {:<29} {}\n",
                    j.name, ip, j.hostname, j.path
                ));
            } else {
                out.push_str(&format!(
                    "{:>6}  {:<15} {:<29} {}\n",
                    j.jid, ip, j.hostname, j.path
                ));
            }
        }
        return Ok(Output::ok(out));
    }
    let list: Vec<&str> = if params.is_empty() {
        ALL_PARAMS.to_vec()
    } else {
        params
    };
    if header && !name_mode {
        out.push_str(&list.join(" "));
        out.push('\n');
    }
    for j in &jails {
        let mut words = Vec::new();
        for p in &list {
            let v = param(j, p).unwrap_or(JVal::Str(String::new()));
            words.push(match (v, name_mode) {
                (JVal::Bool(b), true) => {
                    if b {
                        p.to_string()
                    } else {
                        format!("no{p}")
                    }
                }
                (JVal::Bool(b), false) => b.to_string(),
                (JVal::Str(s), true) => {
                    if s.is_empty() || s.contains(' ') {
                        format!("{p}=\"{s}\"")
                    } else {
                        format!("{p}={s}")
                    }
                }
                (JVal::Str(s), false) if s.is_empty() => {
                    if quiet {
                        "\"\"".into()
                    } else {
                        "-".into()
                    }
                }
                (JVal::Str(s), false) => s,
            });
        }
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    Ok(Output::ok(out))
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};

    fn run(h: &mut SimHost, prog: &str, args: &[&str]) -> (i32, String, String) {
        let o = h.sh(prog, args);
        (o.status, o.stdout, o.stderr)
    }

    #[test]
    fn create_prints_created_and_jls_lists_it() {
        // §4.4 [V]: `NAME: created`; jls header and column layout.
        let mut h = SimHost::fresh();
        let r = run(
            &mut h,
            "jail",
            &[
                "-c",
                "name=www",
                "host.hostname=www.example",
                "path=/jails/www",
                "ip4.addr=em0|192.168.0.3/32",
                "persist",
            ],
        );
        assert_eq!(r, (0, "www: created\n".into(), String::new()));
        let (_, out, _) = run(&mut h, "jls", &[]);
        assert_eq!(
            out,
            "   JID  IP Address      Hostname                      Path\n     1  192.168.0.3     www.example                   /jails/www\n"
        );
        let (_, out, _) = run(&mut h, "jls", &["-N"]);
        assert_eq!(
            out,
            " JID             IP Address      Hostname                      Path\n www             192.168.0.3     www.example                   /jails/www\n"
        );
        assert_eq!(run(&mut h, "jls", &["-j", "www", "jid"]).1, "1\n");
        assert_eq!(
            run(&mut h, "jls", &["-j", "www", "name", "persist"]).1,
            "www true\n"
        );
        assert_eq!(
            run(
                &mut h,
                "jls",
                &["-n", "-j", "www", "name", "persist", "vnet"]
            )
            .1,
            "name=www persist vnet=inherit\n"
        );
    }

    #[test]
    fn jls_shows_the_ip_mode_given_at_creation() {
        // §4.1 [V]: ip4=inherit|new|disable; ip4.addr implies new.
        let mut h = SimHost::fresh();
        let c = |h: &mut SimHost, args: &[&str]| assert_eq!(run(h, "jail", args).0, 0);
        c(
            &mut h,
            &["-c", "name=inh", "persist", "ip4=inherit", "ip6=disable"],
        );
        c(&mut h, &["-c", "name=off", "persist"]);
        c(
            &mut h,
            &["-c", "name=adr", "persist", "ip4.addr=192.168.0.3"],
        );
        let q = |h: &mut SimHost, j: &str| run(h, "jls", &["-n", "-j", j, "ip4", "ip6"]).1;
        assert_eq!(q(&mut h, "inh"), "ip4=inherit ip6=disable\n");
        assert_eq!(q(&mut h, "off"), "ip4=disable ip6=disable\n");
        assert_eq!(q(&mut h, "adr"), "ip4=new ip6=disable\n");
    }

    #[test]
    fn shared_ip_alias_is_added_at_create_and_removed_at_remove() {
        // §4.2 step 1 / §4.3 step 7 [V]
        let mut h = SimHost::fresh();
        let before = h.clone();
        run(
            &mut h,
            "jail",
            &["-c", "name=plain", "ip4.addr=em0|192.168.0.3/32", "persist"],
        );
        let em0 = h.iface(&VnetId::Host, "em0").expect("em0");
        assert!(em0
            .inet
            .iter()
            .any(|a| a.addr.to_string() == "192.168.0.3" && a.prefix == 32));
        assert_eq!(run(&mut h, "jail", &["-r", "plain"]).0, 0);
        assert_eq!(h, before);
    }

    #[test]
    fn errors_for_duplicates_and_absent_jails() {
        // §4.4 [V]
        let mut h = SimHost::fresh();
        run(&mut h, "jail", &["-c", "name=a", "persist"]);
        assert_eq!(
            run(&mut h, "jail", &["-c", "name=a", "persist"]),
            (1, String::new(), "jail: \"a\" already exists\n".into())
        );
        assert_eq!(
            run(&mut h, "jail", &["-r", "zz"]),
            (1, String::new(), "jail: \"zz\" not found\n".into())
        );
        assert_eq!(
            run(&mut h, "jail", &["-q", "-r", "zz"]),
            (1, String::new(), String::new())
        );
        assert_eq!(
            run(&mut h, "jls", &["-j", "zz"]),
            (1, String::new(), "jls: jail \"zz\" not found\n".into())
        );
    }

    #[test]
    fn vnet_interface_moves_in_and_returns_on_remove() {
        // §4.2 step 7, §3 [V]: vnet.interface moved in; epair end returns home without addresses.
        let mut h = SimHost::fresh();
        h.sh("ifconfig", &["epair", "create"]);
        let r = run(
            &mut h,
            "jail",
            &[
                "-c",
                "name=www",
                "vnet",
                "persist",
                "vnet.interface=epair0b",
            ],
        );
        assert_eq!(r.0, 0, "{}", r.2);
        let www = VnetId::Jail("www".into());
        assert!(h.iface(&www, "epair0b").is_some());
        let o = h.exec(
            &jailnet_host::Invocation::new("ifconfig", ["epair0b", "inet", "10.1.1.2/24", "up"])
                .in_jail("www"),
        );
        assert_eq!(o.status, 0, "{}", o.stderr);
        // an interface born inside the jail dies with it
        let o =
            h.exec(&jailnet_host::Invocation::new("ifconfig", ["lo1", "create"]).in_jail("www"));
        assert_eq!(o.status, 0);
        run(&mut h, "jail", &["-r", "www"]);
        let b = h.iface(&VnetId::Host, "epair0b").expect("returned");
        assert!(b.inet.is_empty());
        assert!(h.where_is("lo1").is_none());
    }

    #[test]
    fn failed_vnet_interface_rolls_back_the_jail() {
        let mut h = SimHost::fresh();
        let before = h.clone();
        let (st, _, err) = run(
            &mut h,
            "jail",
            &[
                "-c",
                "name=www",
                "vnet",
                "persist",
                "vnet.interface=epair9b",
            ],
        );
        assert_eq!(st, 1);
        assert!(
            err.starts_with("ifconfig: interface epair9b does not exist\n"),
            "{err}"
        );
        assert_eq!(h, before);
    }

    #[test]
    fn jids_count_up() {
        let mut h = SimHost::fresh();
        run(&mut h, "jail", &["-c", "name=a", "persist"]);
        run(&mut h, "jail", &["-r", "a"]);
        run(&mut h, "jail", &["-c", "name=b", "persist"]);
        assert_eq!(run(&mut h, "jls", &["-j", "b", "jid"]).1, "2\n");
    }
}
