//! `route(8)` per vnet (§10): add/delete/get of static routes (default, `-inet6`,
//! `-interface`), `netstat -rn`, and pruning routes whose interface or subnet went away.

use crate::exec::{fail, Caller, R};
use crate::state::{Route, SimState, VnetId};
use jailnet_host::Output;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Runs `route ARGS…`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    match route(st, caller, args) {
        Ok(o) | Err(o) => o,
    }
}

const USAGE: &str = "usage: route [-j jail] [-46dnqtv] command [[modifiers] args]\n";

fn route(st: &mut SimState, caller: &Caller, args: &[String]) -> R<Output> {
    let mut caller = caller.clone();
    let mut k = 0;
    let mut quiet = false;
    let mut v6 = false;
    while let Some(a) = args.get(k).filter(|a| a.starts_with('-')) {
        match a.as_str() {
            "-j" => {
                let key = args.get(k + 1).ok_or_else(|| Output::fail(64, USAGE))?;
                caller = Caller::in_jail(st, key)
                    .ok_or_else(|| fail("route", format!("jail \"{key}\" not found")))?;
                k += 2;
                continue;
            }
            "-n" | "-v" | "-d" | "-t" | "-4" => {}
            "-6" => v6 = true,
            "-q" => quiet = true,
            _ => return Err(Output::fail(64, USAGE)),
        }
        k += 1;
    }
    let cmd = args.get(k).ok_or_else(|| Output::fail(64, USAGE))?;
    let mut rest: Vec<&str> = Vec::new();
    let mut via_if = false;
    for w in &args[k + 1..] {
        match w.as_str() {
            "-inet6" | "-6" => v6 = true,
            "-inet" | "-4" => {}
            "-net" | "-host" => {}
            "-interface" | "-iface" => via_if = true,
            "-n" => {}
            w => rest.push(w),
        }
    }
    let vnet = caller.vnet.clone();
    if caller.non_vnet_jail() && cmd != "get" && cmd != "show" {
        return Err(fail(
            "route",
            "writing to routing socket: Operation not permitted",
        ));
    }
    match cmd.as_str() {
        "add" | "change" => add(st, &vnet, v6, via_if, &rest, quiet, cmd == "change"),
        "delete" => delete(st, &vnet, v6, &rest, quiet),
        "get" | "show" => get(st, &vnet, v6, &rest),
        "flush" => {
            if let Some(n) = st.net_mut(&vnet) {
                n.routes.retain(|_, r| r.inet6 != v6);
            }
            Ok(Output::ok(""))
        }
        _ => Err(Output::fail(64, USAGE)),
    }
}

/// `default` stays `default`; an address keeps the prefix it was given.
fn normalize_dest(d: &str) -> String {
    if d == "0.0.0.0/0" || d == "::/0" {
        "default".into()
    } else {
        d.to_string()
    }
}

fn key(v6: bool, dest: &str) -> String {
    format!("{} {}", if v6 { "inet6" } else { "inet" }, dest)
}

fn kind(dest: &str) -> &'static str {
    if dest == "default" || dest.contains('/') && !dest.ends_with("/32") && !dest.ends_with("/128")
    {
        "net"
    } else {
        "host"
    }
}

fn add(
    st: &mut SimState,
    vnet: &VnetId,
    v6: bool,
    via_if: bool,
    rest: &[&str],
    quiet: bool,
    change: bool,
) -> R<Output> {
    let (Some(dest), Some(gw)) = (rest.first(), rest.get(1)) else {
        return Err(Output::fail(64, USAGE));
    };
    let dest = normalize_dest(dest);
    let v6 = v6 || dest.contains(':') || gw.contains(':');
    let cmd = if change { "change" } else { "add" };
    let line = format!(
        "{cmd} {} {}: gateway {gw}",
        kind(&dest),
        dest.trim_end_matches("/32")
    );
    let failed = |why: &str, errno: &str| -> Output {
        Output {
            status: 1,
            stdout: if quiet {
                String::new()
            } else {
                format!("{line}: {why}\n")
            },
            stderr: format!("route: writing to routing socket: {errno}\n"),
        }
    };
    let iface = if via_if {
        if st.find(vnet, gw).is_none() {
            return Err(failed("Network is unreachable", "Network is unreachable"));
        }
        Some(gw.to_string())
    } else if v6 {
        let (a, scope) = match gw.split_once('%') {
            Some((a, s)) => (a, Some(s)),
            None => (*gw, None),
        };
        let ip: Ipv6Addr = a
            .parse()
            .map_err(|_| fail("route", format!("{gw}: bad address")))?;
        match scope {
            Some(s) if st.find(vnet, s).is_some() => Some(s.to_string()),
            Some(_) => None,
            None => connected_iface6(st, vnet, ip),
        }
    } else {
        let ip: Ipv4Addr = gw
            .parse()
            .map_err(|_| fail("route", format!("{gw}: bad address")))?;
        connected_iface4(st, vnet, ip)
    };
    let Some(iface) = iface else {
        return Err(failed("Network is unreachable", "Network is unreachable"));
    };
    let k = key(v6, &dest);
    let Some(net) = st.net_mut(vnet) else {
        return Err(fail("route", "socket: Protocol not supported"));
    };
    match (net.routes.contains_key(&k), change) {
        (true, false) => return Err(failed("route already in table", "File exists")),
        (false, true) => return Err(failed("not in table", "No such process")),
        _ => {}
    }
    net.routes.insert(
        k,
        Route {
            inet6: v6,
            dest,
            gateway: gw.to_string(),
            iface,
            via_interface: via_if,
        },
    );
    Ok(Output::ok(if quiet {
        String::new()
    } else {
        format!("{line}\n")
    }))
}

fn delete(st: &mut SimState, vnet: &VnetId, v6: bool, rest: &[&str], quiet: bool) -> R<Output> {
    let Some(dest) = rest.first() else {
        return Err(Output::fail(64, USAGE));
    };
    let dest = normalize_dest(dest);
    let v6 = v6 || dest.contains(':');
    let line = format!("delete {} {}", kind(&dest), dest.trim_end_matches("/32"));
    let net = st
        .net_mut(vnet)
        .ok_or_else(|| fail("route", "socket: Protocol not supported"))?;
    match net.routes.remove(&key(v6, &dest)) {
        Some(r) => {
            let gw = if quiet {
                String::new()
            } else {
                format!("{line}: gateway {}\n", r.gateway)
            };
            Ok(Output::ok(gw))
        }
        None => Err(Output {
            status: 1,
            stdout: if quiet {
                String::new()
            } else {
                format!("{line}: not in table\n")
            },
            stderr: "route: writing to routing socket: No such process\n".into(),
        }),
    }
}

fn get(st: &SimState, vnet: &VnetId, v6: bool, rest: &[&str]) -> R<Output> {
    let dest = normalize_dest(rest.first().copied().unwrap_or("default"));
    let v6 = v6 || dest.contains(':');
    let net = st
        .net(vnet)
        .ok_or_else(|| fail("route", "socket: Protocol not supported"))?;
    let Some(r) = net.routes.get(&key(v6, &dest)) else {
        return Err(fail("route", "route has not been found"));
    };
    let mtu = st
        .find(vnet, &r.iface)
        .and_then(|i| st.ifaces.get(&i))
        .map_or(1500, |i| i.mtu);
    let flags = if r.via_interface {
        "<UP,DONE,STATIC>"
    } else {
        "<UP,GATEWAY,DONE,STATIC>"
    };
    let mask = if r.dest == "default" {
        "       mask: default\n".to_string()
    } else {
        String::new()
    };
    Ok(Output::ok(format!(
        "   route to: {d}\ndestination: {d}\n{mask}    gateway: {g}\n        fib: 0\n  interface: {i}\n      flags: {flags}\n recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n       0         0         0         0      {mtu:>4}         1         0 \n",
        d = r.dest,
        g = r.gateway,
        i = r.iface,
    )))
}

/// The interface in `vnet` whose IPv4 subnet contains `ip`.
pub(crate) fn connected_iface4(st: &SimState, vnet: &VnetId, ip: Ipv4Addr) -> Option<String> {
    st.in_vnet(vnet)
        .find(|i| i.inet.iter().any(|a| a.contains(ip)))
        .map(|i| i.name.clone())
}

fn connected_iface6(st: &SimState, vnet: &VnetId, ip: Ipv6Addr) -> Option<String> {
    st.in_vnet(vnet)
        .find(|i| i.inet6.iter().any(|a| a.contains(ip)))
        .map(|i| i.name.clone())
}

/// Drops routes whose interface left the vnet or whose gateway is no longer on-link —
/// what the kernel does when the address or interface behind a route disappears.
pub(crate) fn prune_all(st: &mut SimState) {
    crate::neigh::prune(st);
    for vnet in st.vnets() {
        let Some(net) = st.net(&vnet) else { continue };
        let dead: Vec<String> = net
            .routes
            .iter()
            .filter(|(_, r)| !route_alive(st, &vnet, r))
            .map(|(k, _)| k.clone())
            .collect();
        if let Some(net) = st.net_mut(&vnet) {
            for k in dead {
                net.routes.remove(&k);
            }
        }
    }
}

fn route_alive(st: &SimState, vnet: &VnetId, r: &Route) -> bool {
    if r.iface.is_empty() {
        return true;
    }
    if st.find(vnet, &r.iface).is_none() {
        return false;
    }
    if r.via_interface {
        return true;
    }
    let gw = r.gateway.split('%').next().unwrap_or("");
    match gw.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => connected_iface4(st, vnet, a).is_some(),
        Ok(IpAddr::V6(a)) => r.gateway.contains('%') || connected_iface6(st, vnet, a).is_some(),
        Err(_) => true,
    }
}

/// `netstat -rn [-f inet|inet6]`: the static routes plus connected networks.
pub(crate) fn run_netstat(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    if !args
        .iter()
        .any(|a| a.starts_with("-r") || a == "-rn" || a == "-nr")
    {
        return fail("netstat", "only -r is simulated");
    }
    let Some(net) = st.net(&caller.vnet) else {
        return Output::ok("");
    };
    let mut s = String::from("Routing tables\n\nInternet:\nDestination        Gateway            Flags         Netif Expire\n");
    for r in net.routes.values().filter(|r| !r.inet6) {
        s.push_str(&format!(
            "{:<18} {:<18} {:<13} {}\n",
            r.dest,
            r.gateway,
            if r.via_interface { "US" } else { "UGS" },
            r.iface
        ));
    }
    for i in st.in_vnet(&caller.vnet) {
        for a in &i.inet {
            let net = Ipv4Addr::from(u32::from(a.addr) & a.mask());
            let dest = if a.prefix == 32 {
                a.addr.to_string()
            } else {
                format!("{net}/{}", a.prefix)
            };
            s.push_str(&format!(
                "{:<18} {:<18} {:<13} {}\n",
                dest,
                format!("link#{}", i.vindex),
                "U",
                i.name
            ));
        }
    }
    s.push_str("\nInternet6:\nDestination                       Gateway                       Flags         Netif Expire\n");
    for r in net.routes.values().filter(|r| r.inet6) {
        s.push_str(&format!(
            "{:<33} {:<29} {:<13} {}\n",
            r.dest, r.gateway, "UGS", r.iface
        ));
    }
    Output::ok(s)
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};
    use jailnet_host::Invocation;

    fn jexec(h: &mut SimHost, jail: &str, prog: &str, args: &[&str]) -> jailnet_host::Output {
        h.exec(&Invocation::new(prog, args.iter().copied()).in_jail(jail))
    }

    #[test]
    fn default_route_per_vnet() {
        // §10 [V: route.c message format]
        let mut h = SimHost::fresh();
        h.sh("ifconfig", &["epair", "create"]);
        h.sh(
            "jail",
            &[
                "-c",
                "name=www",
                "vnet",
                "persist",
                "vnet.interface=epair0b",
            ],
        );
        let o = jexec(&mut h, "www", "route", &["add", "default", "10.1.1.1"]);
        assert_eq!(o.status, 1);
        assert_eq!(
            o.stdout,
            "add net default: gateway 10.1.1.1: Network is unreachable\n"
        );
        jexec(
            &mut h,
            "www",
            "ifconfig",
            &["epair0b", "inet", "10.1.1.2/24", "up"],
        );
        let o = jexec(&mut h, "www", "route", &["add", "default", "10.1.1.1"]);
        assert_eq!(
            (o.status, o.stdout.as_str()),
            (0, "add net default: gateway 10.1.1.1\n")
        );
        let o = jexec(&mut h, "www", "route", &["add", "default", "10.1.1.1"]);
        assert_eq!(
            o.stdout,
            "add net default: gateway 10.1.1.1: route already in table\n"
        );
        let o = jexec(&mut h, "www", "route", &["-n", "get", "default"]);
        assert!(
            o.stdout.contains("    gateway: 10.1.1.1\n")
                && o.stdout.contains("  interface: epair0b\n"),
            "{}",
            o.stdout
        );
        // the host's own default route is untouched
        assert_eq!(h.routes(&VnetId::Host).len(), 1);
        let o = jexec(&mut h, "www", "route", &["delete", "default"]);
        assert_eq!(o.status, 0);
        let o = jexec(&mut h, "www", "route", &["delete", "default"]);
        assert_eq!(
            (o.status, o.stdout.as_str()),
            (1, "delete net default: not in table\n")
        );
    }

    #[test]
    fn routes_die_with_their_address() {
        let mut h = SimHost::fresh();
        h.sh("ifconfig", &["em0", "inet", "192.168.0.10", "-alias"]);
        assert!(h.routes(&VnetId::Host).is_empty());
    }
}
