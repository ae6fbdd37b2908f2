//! DHCP on the simulated host: `dnsmasq --conf-file=F` (a daemon bound to the bridge its
//! config names, pid file from the config), `dhclient IF` (FreeBSD's: synchronous until
//! bound, then a daemon with `/var/run/dhclient/dhclient.IF.pid`), and the process tools
//! that find them again: `pgrep -F PIDFILE`, `pkill -F PIDFILE`.
//!
//! Leases are deterministic and stateless: a `dhcp-host=MAC,ADDR` line wins, else the
//! lowest address of the range that no interface of the host or any jail holds. A
//! dhclient on an epair finds its server through the epair's host end: the dnsmasq bound
//! to the bridge it is a member of, else a LAN server behind a physical member of that
//! bridge ([`crate::state::LanDhcp`]). dhclient needs a visible `bpf` in the jail's devfs
//! ruleset (else libioc#733's `Can't find free bpf`). Addresses and the default route are
//! set through the simulated `ifconfig` and `route`, as dhclient-script does.

use crate::exec::{dispatch, fail, fail_with, Caller};
use crate::state::{IfKind, Proc, SimState, VnetId};
use jailnet_host::Output;
use std::net::Ipv4Addr;

/// Where FreeBSD's dhclient keeps its pid file for interface `ifname`.
pub(crate) fn dhclient_pidfile(ifname: &str) -> String {
    format!("/var/run/dhclient/dhclient.{ifname}.pid")
}

/// Runs `dnsmasq`, `dhclient`, `pgrep` or `pkill`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, prog: &str, args: &[String]) -> Output {
    match prog {
        "dnsmasq" => dnsmasq(st, caller, args),
        "dhclient" => dhclient(st, caller, args),
        _ => signal(st, caller, prog, args),
    }
}

/// The files a caller sees: the jail's, or the host's.
fn files<'a>(
    st: &'a mut SimState,
    caller: &Caller,
) -> &'a mut std::collections::BTreeMap<String, String> {
    match caller.jail.as_ref().and_then(|j| st.jails.get_mut(j)) {
        Some(j) => &mut j.files,
        None => &mut st.files,
    }
}

fn spawn(st: &mut SimState, caller: &Caller, argv: Vec<String>) -> u32 {
    let mut pid = st.next_pid.max(100);
    while st.procs.contains_key(&pid) {
        pid += 1;
    }
    st.next_pid = pid + 1;
    st.procs.insert(
        pid,
        Proc {
            jail: caller.jail.clone(),
            argv,
        },
    );
    pid
}

/// The live process whose pid `pidfile` (in the caller's files) names, if any.
fn from_pidfile(st: &mut SimState, caller: &Caller, pidfile: &str) -> Result<Option<u32>, ()> {
    let text = files(st, caller).get(pidfile).cloned().ok_or(())?;
    let pid: Option<u32> = text.trim().parse().ok();
    Ok(pid.filter(|p| {
        st.procs
            .get(p)
            .is_some_and(|x| x.jail.as_deref() == caller.jail.as_deref())
    }))
}

/// `pgrep -F FILE` / `pkill -F FILE`: exit 0 when the process was found (and killed).
fn signal(st: &mut SimState, caller: &Caller, prog: &str, args: &[String]) -> Output {
    let Some(file) = args
        .iter()
        .position(|a| a == "-F")
        .and_then(|i| args.get(i + 1))
    else {
        return fail_with(
            2,
            prog,
            "only -F pidfile is supported by the jailnet simulator",
        );
    };
    match from_pidfile(st, caller, file) {
        Err(()) => fail_with(
            2,
            prog,
            format!("Cannot open pidfile `{file}': No such file or directory"),
        ),
        Ok(None) => Output::fail(1, ""),
        Ok(Some(pid)) => {
            if prog == "pkill" {
                st.procs.remove(&pid);
                Output::ok("")
            } else {
                Output::ok(format!("{pid}\n"))
            }
        }
    }
}

/// What the sim reads from a dnsmasq config.
#[derive(Default)]
struct Conf {
    interface: Option<String>,
    pid_file: Option<String>,
    range: Option<(Ipv4Addr, Ipv4Addr)>,
    hosts: Vec<(String, Ipv4Addr)>,
    router: Option<Ipv4Addr>,
}

fn parse_conf(text: &str) -> Conf {
    let mut c = Conf::default();
    for l in text.lines() {
        let Some((k, v)) = l.trim().split_once('=') else {
            continue;
        };
        let parts: Vec<&str> = v.split(',').collect();
        match (k, parts.as_slice()) {
            ("interface", [i]) => c.interface = Some(i.to_string()),
            ("pid-file", [p]) => c.pid_file = Some(p.to_string()),
            ("dhcp-range", [a, z, ..]) => {
                if let (Ok(a), Ok(z)) = (a.parse(), z.parse()) {
                    c.range = Some((a, z));
                }
            }
            ("dhcp-host", [m, a]) => {
                if let Ok(a) = a.parse() {
                    c.hosts.push((m.to_ascii_lowercase(), a));
                }
            }
            ("dhcp-option", ["option:router", r]) => c.router = r.parse().ok(),
            _ => {}
        }
    }
    c
}

/// `dnsmasq --conf-file=F`: daemonizes at once, bound to the config's interface.
fn dnsmasq(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    if caller.jail.is_some() {
        return fail(
            "dnsmasq",
            "only the host runs dnsmasq in the jailnet simulator",
        );
    }
    let Some(path) = args.iter().find_map(|a| a.strip_prefix("--conf-file=")) else {
        return fail("dnsmasq", "the simulator needs --conf-file=FILE");
    };
    let Some(text) = st.files.get(path).cloned() else {
        return fail_with(
            3,
            "dnsmasq",
            format!("cannot read {path}: No such file or directory"),
        );
    };
    let conf = parse_conf(&text);
    let Some(ifname) = conf.interface else {
        return fail("dnsmasq", "no interface= in the config");
    };
    if st.find(&VnetId::Host, &ifname).is_none() {
        return fail_with(2, "dnsmasq", format!("unknown interface {ifname}"));
    }
    let taken = st.procs.values().any(|p| {
        p.argv.first().map(String::as_str) == Some("dnsmasq")
            && p.argv
                .get(1)
                .and_then(|a| a.strip_prefix("--conf-file="))
                .and_then(|f| st.files.get(f))
                .and_then(|t| parse_conf(t).interface)
                .as_deref()
                == Some(ifname.as_str())
    });
    if taken {
        return fail_with(
            2,
            "dnsmasq",
            "failed to bind DHCP server socket: Address already in use",
        );
    }
    let mut argv = vec!["dnsmasq".to_string()];
    argv.extend(args.iter().cloned());
    let pid = spawn(st, caller, argv);
    if let Some(p) = conf.pid_file {
        st.files.insert(p, format!("{pid}\n"));
    }
    Output::ok("")
}

/// A lease offer: address, prefix, router.
struct Offer {
    server: Ipv4Addr,
    addr: Ipv4Addr,
    prefix: u8,
    router: Option<Ipv4Addr>,
}

/// `dhclient IF`: bound or failed when it returns.
fn dhclient(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    let Some(ifname) = args.iter().rfind(|a| !a.starts_with('-')) else {
        return fail_with(
            1,
            "usage",
            "dhclient [-bdqu] [-c conffile] [-l leasefile] [-p pidfile] interface",
        );
    };
    if let Some(j) = caller.jail.as_ref().and_then(|j| st.jails.get(j)) {
        let rs = if j.devfs_ruleset == 0 {
            4
        } else {
            j.devfs_ruleset
        };
        if !crate::devfs::unhides(st, rs, "bpf0") {
            return fail("dhclient", "Can't find free bpf: No such file or directory");
        }
    }
    let Some(idx) = st.find(&caller.vnet, ifname) else {
        return fail("dhclient", format!("no such interface {ifname}"));
    };
    let pidfile = dhclient_pidfile(ifname);
    if let Ok(Some(pid)) = from_pidfile(st, caller, &pidfile) {
        return fail("dhclient", format!("dhclient already running, pid: {pid}."));
    }
    let mac = st.ifaces.get(&idx).and_then(|i| i.mac.clone());
    let Some(offer) = offer(st, idx, mac.as_deref()) else {
        return Output {
            status: 1,
            stdout: format!(
                "DHCPDISCOVER on {ifname} to 255.255.255.255 port 67\nNo DHCPOFFERS received.\n"
            ),
            stderr: String::new(),
        };
    };
    let cidr = format!("{}/{}", offer.addr, offer.prefix);
    let out = dispatch(
        st,
        caller,
        "ifconfig",
        &[ifname.clone(), "inet".into(), cidr, "alias".into()],
        None,
    );
    if !out.success() {
        return out;
    }
    if let Some(r) = offer.router {
        dispatch(
            st,
            caller,
            "route",
            &["add".into(), "default".into(), r.to_string()],
            None,
        );
    }
    let mut argv = vec!["dhclient".to_string()];
    argv.extend(args.iter().cloned());
    let pid = spawn(st, caller, argv);
    files(st, caller).insert(pidfile, format!("{pid}\n"));
    Output::ok(format!(
        "DHCPREQUEST on {ifname} to 255.255.255.255 port 67\nDHCPACK from {}\nbound to {} -- renewal in 43200 seconds.\n",
        offer.server, offer.addr
    ))
}

/// The offer a client on interface `idx` gets, if a server is on its segment.
fn offer(st: &SimState, idx: u32, mac: Option<&str>) -> Option<Offer> {
    // The host end of an epair, or the interface itself (a tap, a host NIC).
    let port = match &st.ifaces.get(&idx)?.kind {
        IfKind::Epair { peer } => *peer,
        _ => idx,
    };
    let (bridge, _) = st.bridge_of(port)?;
    let br = st.ifaces.get(&bridge)?;
    // dnsmasq bound to the bridge.
    for p in st.procs.values().filter(|p| p.jail.is_none()) {
        let Some(conf) = p
            .argv
            .get(1)
            .and_then(|a| a.strip_prefix("--conf-file="))
            .and_then(|f| st.files.get(f))
            .map(|t| parse_conf(t))
        else {
            continue;
        };
        if conf.interface.as_deref() != Some(br.name.as_str()) {
            continue;
        }
        let own = br.inet.first()?;
        let addr = match mac.and_then(|m| conf.hosts.iter().find(|(h, _)| h == m)) {
            Some((_, a)) => *a,
            None => {
                let (a, z) = conf.range?;
                free_in(st, a, z)?
            }
        };
        return Some(Offer {
            server: own.addr,
            addr,
            prefix: own.prefix,
            router: conf.router,
        });
    }
    // A LAN server behind a physical member of the bridge.
    let IfKind::Bridge { members } = &br.kind else {
        return None;
    };
    members.iter().find_map(|m| {
        let nic = st.ifaces.get(&m.index)?;
        let lan = st.lan_dhcp.get(&nic.name)?;
        Some(Offer {
            server: lan.router,
            addr: free_in(st, lan.first, lan.last)?,
            prefix: lan.prefix,
            router: Some(lan.router),
        })
    })
}

/// The lowest address of `a..=z` no interface anywhere holds.
fn free_in(st: &SimState, a: Ipv4Addr, z: Ipv4Addr) -> Option<Ipv4Addr> {
    (u32::from(a)..=u32::from(z)).map(Ipv4Addr::from).find(|x| {
        !st.ifaces
            .values()
            .any(|i| i.inet.iter().any(|n| n.addr == *x))
    })
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};
    use jailnet_host::Invocation;

    fn jail_on_bridge(h: &mut SimHost, ruleset: &str) {
        for args in [
            &["bridge0", "create", "inet", "10.1.1.1/24", "up"][..],
            &["epair0", "create", "up"],
            &["bridge0", "addm", "epair0a"],
        ] {
            assert_eq!(h.sh("ifconfig", args).status, 0);
        }
        let rs = format!("devfs_ruleset={ruleset}");
        h.sh("jail", &["-c", "name=j0", "vnet", "persist", &rs]);
        h.sh("ifconfig", &["epair0b", "vnet", "j0"]);
        let o = h.exec(
            &Invocation::new("ifconfig", ["epair0b", "ether", "02:00:00:00:00:01", "up"])
                .in_jail("j0"),
        );
        assert_eq!(o.status, 0, "{}", o.stderr);
    }

    fn start_dnsmasq(h: &mut SimHost, extra: &str) {
        let conf = format!(
            "interface=bridge0\npid-file=/run/d.pid\ndhcp-range=10.1.1.10,10.1.1.20\ndhcp-option=option:router,10.1.1.1\n{extra}"
        );
        h.exec(&Invocation::new("tee", ["/run/d.conf"]).with_stdin(&conf));
        let o = h.sh("/usr/local/sbin/dnsmasq", &["--conf-file=/run/d.conf"]);
        assert_eq!(o.status, 0, "{}", o.stderr);
    }

    #[test]
    fn dhclient_leases_from_the_dnsmasq_on_its_bridge_and_dies_by_pidfile() {
        let mut h = SimHost::fresh();
        h.sh("devfs", &["rule", "-s", "5000", "add", "include", "4"]);
        h.sh(
            "devfs",
            &["rule", "-s", "5000", "add", "path", "bpf*", "unhide"],
        );
        jail_on_bridge(&mut h, "5000");
        start_dnsmasq(&mut h, "");
        let o = h.exec(&Invocation::new("dhclient", ["epair0b"]).in_jail("j0"));
        assert_eq!(o.status, 0, "{}", o.stderr);
        assert!(o.stdout.contains("bound to 10.1.1.10"), "{}", o.stdout);
        let j0 = VnetId::Jail("j0".into());
        let i = h.iface(&j0, "epair0b").unwrap();
        assert_eq!(i.inet[0].addr, std::net::Ipv4Addr::new(10, 1, 1, 10));
        assert!(h.routes(&j0).iter().any(|r| r.gateway == "10.1.1.1"));
        // Twice: refused, as the real one does.
        let again = h.exec(&Invocation::new("dhclient", ["epair0b"]).in_jail("j0"));
        assert_eq!(again.status, 1);
        let pidfile = super::dhclient_pidfile("epair0b");
        let alive = h.exec(&Invocation::new("pgrep", ["-F", pidfile.as_str()]).in_jail("j0"));
        assert_eq!(alive.status, 0);
        let k = h.exec(&Invocation::new("pkill", ["-F", pidfile.as_str()]).in_jail("j0"));
        assert_eq!(k.status, 0);
        let gone = h.exec(&Invocation::new("pgrep", ["-F", pidfile.as_str()]).in_jail("j0"));
        assert_eq!(gone.status, 1);
        assert_eq!(h.sh("pkill", &["-F", "/run/d.pid"]).status, 0);
        assert!(h.state().procs.is_empty());
    }

    #[test]
    fn a_static_host_wins_and_without_bpf_dhclient_cannot_start() {
        let mut h = SimHost::fresh();
        jail_on_bridge(&mut h, "4");
        start_dnsmasq(&mut h, "dhcp-host=02:00:00:00:00:01,10.1.1.60\n");
        let o = h.exec(&Invocation::new("dhclient", ["epair0b"]).in_jail("j0"));
        assert_eq!(
            o.stderr,
            "dhclient: Can't find free bpf: No such file or directory\n"
        );
        // A second server on the same bridge cannot bind.
        h.exec(&Invocation::new("tee", ["/run/e.conf"]).with_stdin("interface=bridge0\n"));
        assert_eq!(h.sh("dnsmasq", &["--conf-file=/run/e.conf"]).status, 2);
        let mut h2 = SimHost::fresh();
        h2.sh(
            "devfs",
            &["rule", "-s", "6", "add", "path", "bpf*", "unhide"],
        );
        jail_on_bridge(&mut h2, "6");
        start_dnsmasq(&mut h2, "dhcp-host=02:00:00:00:00:01,10.1.1.60\n");
        let o = h2.exec(&Invocation::new("dhclient", ["epair0b"]).in_jail("j0"));
        assert!(o.stdout.contains("bound to 10.1.1.60"), "{o:?}");
    }

    #[test]
    fn a_lan_server_behind_a_bridged_nic_answers() {
        let mut h = SimHost::fresh()
            .with_nic("bge0", "58:9c:fc:00:01:01")
            .unwrap()
            .with_lan_dhcp(
                "bge0",
                [192, 168, 0, 100].into(),
                [192, 168, 0, 199].into(),
                24,
                [192, 168, 0, 1].into(),
            );
        h.sh("ifconfig", &["bridge0", "create", "up"]);
        h.sh("ifconfig", &["bridge0", "addm", "bge0"]);
        h.sh("ifconfig", &["epair0", "create", "up"]);
        h.sh("ifconfig", &["bridge0", "addm", "epair0a"]);
        h.sh(
            "jail",
            &["-c", "name=j0", "vnet", "persist", "devfs_ruleset=5"],
        );
        h.sh(
            "devfs",
            &["rule", "-s", "5", "add", "path", "bpf*", "unhide"],
        );
        h.sh("ifconfig", &["epair0b", "vnet", "j0"]);
        let o = h.exec(&Invocation::new("dhclient", ["epair0b"]).in_jail("j0"));
        assert!(o.stdout.contains("bound to 192.168.0.100"), "{o:?}");
        h.sh("jail", &["-r", "j0"]);
        assert!(
            h.state().procs.is_empty(),
            "the jail's dhclient died with it"
        );
    }
}
