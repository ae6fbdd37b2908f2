//! DHCP servers: one dnsmasq per switch with `dhcp` (or with IPv6 prefixes to
//! advertise for SLAAC), started in the host namespace and bound to the switch's
//! bridge only (`interface=` + `bind-interfaces`, never `lo`). DNS is off
//! (`port=0`): jailnet sets each jail's resolver itself, and a DNS listener would
//! fight the host's own resolver for port 53. Everything is in one config file,
//! `<run_dir>/dnsmasq-[HOSTNS-]IFNAME.conf`, next to its pid and lease files;
//! dnsmasq runs as `dnsmasq --conf-file=THAT`, which is also how it is recognised.
//!
//! Observe: present iff the pid file names a live dnsmasq with our config; the
//! value is read back from the config file, so an edited or outdated file shows as
//! a difference and the update restarts dnsmasq with the rendered one.

use std::path::PathBuf;

use jailnet_host::Invocation;
use jailnet_plan::{Change, Op, Resource};

use super::daemon::{self, Ident};
use super::LinuxBackend;
use crate::error::Result;

/// The program, found on `PATH` (Debian: `dnsmasq-base`, `/usr/sbin/dnsmasq`).
pub const DNSMASQ: &str = "dnsmasq";

/// One server's files in the run directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Files {
    pub conf: PathBuf,
    pub pid: PathBuf,
    pub leases: PathBuf,
}

impl Files {
    /// `--conf-file=CONF`: dnsmasq's whole argv after its name, and its marker.
    fn flag(&self) -> String {
        format!("--conf-file={}", self.conf.display())
    }
}

/// The files of the server on switch interface `ifname`.
pub(super) fn files(b: &LinuxBackend, ifname: &str) -> Files {
    let stem = match &b.options().host_netns {
        Some(ns) => format!("dnsmasq-{ns}-{ifname}"),
        None => format!("dnsmasq-{ifname}"),
    };
    let dir = &b.options().run_dir;
    Files {
        conf: dir.join(format!("{stem}.conf")),
        pid: dir.join(format!("{stem}.pid")),
        leases: dir.join(format!("{stem}.leases")),
    }
}

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    if let (Op::Update | Op::Delete, Some(Resource::DhcpServer { ifname, .. })) =
        (change.op, &change.before)
    {
        let old = files(b, ifname.as_str());
        stop(&old)?;
        let moved = match &change.after {
            Some(Resource::DhcpServer { ifname: new, .. }) => new != ifname,
            _ => true,
        };
        if moved {
            remove(&old)?;
        }
    }
    if let (Op::Create | Op::Update, Some(r @ Resource::DhcpServer { ifname, .. })) =
        (change.op, &change.after)
    {
        let f = files(b, ifname.as_str());
        if let Err(e) = start(b, r, &f) {
            // Leave nothing of a server that never ran; an update keeps its leases.
            let _ = stop(&f);
            let _ = daemon::remove_file(&f.pid);
            if change.op == Op::Create {
                let _ = remove(&f);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// The server as it runs: `None` unless the pid file names a live dnsmasq with our
/// config; else the config file read back.
pub(super) fn observe(b: &LinuxBackend, want: &Resource) -> Result<Option<Resource>> {
    let Resource::DhcpServer { ifname, .. } = want else {
        return Ok(None);
    };
    let f = files(b, ifname.as_str());
    let flag = f.flag();
    let id = Ident {
        program: DNSMASQ,
        marker: &[flag.as_str()],
    };
    if daemon::live(&f.pid, id).is_none() {
        return Ok(None);
    }
    let Some(text) = daemon::read_file(&f.conf)? else {
        return Ok(None);
    };
    if text == render(want, &f) {
        return Ok(Some(want.clone()));
    }
    // Different text: report what the file says, and never the desired value itself
    // (a difference only in lines jailnet does not write still needs a rewrite).
    Ok(Some(
        parse(&text, want)
            .filter(|have| have != want)
            .unwrap_or_else(|| blank(want)),
    ))
}

/// Servers jailnet started whose switch nothing in `scope` names (a lost or older state
/// file): config files of this host namespace in the run directory that jailnet wrote
/// ([`jailnet_plan::dnsmasq::written_for`]), reported as
/// [`jailnet_plan::dnsmasq::leftover`]s so that `gc`/`up` stop them and remove their
/// files, whether the daemon still runs or not.
pub(super) fn leftovers(b: &LinuxBackend, scope: &[&Resource]) -> Vec<Resource> {
    let prefix = match &b.options().host_netns {
        Some(ns) => format!("dnsmasq-{ns}-"),
        None => "dnsmasq-".to_string(),
    };
    let known: Vec<&str> = scope
        .iter()
        .filter_map(|r| match r {
            Resource::DhcpServer { ifname, .. } => Some(ifname.as_str()),
            _ => None,
        })
        .collect();
    let Ok(dir) = std::fs::read_dir(&b.options().run_dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(ifname) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".conf"))
        else {
            continue;
        };
        if known.contains(&ifname) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        if !jailnet_plan::dnsmasq::written_for(&text, ifname) {
            continue;
        }
        if let Ok(ifname) = jailnet_model::names::IfName::new(ifname) {
            out.push(jailnet_plan::dnsmasq::leftover(ifname));
        }
    }
    out
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    let mut out = Vec::new();
    let place = match &b.options().host_netns {
        Some(ns) => format!(" in netns {ns}"),
        None => String::new(),
    };
    if let (Op::Update | Op::Delete, Some(Resource::DhcpServer { ifname, .. })) =
        (change.op, &change.before)
    {
        let f = files(b, ifname.as_str());
        out.push(format!(
            "stop {DNSMASQ} named by {} (if it runs with {})",
            f.pid.display(),
            f.flag()
        ));
        if change.op == Op::Delete {
            out.push(format!(
                "remove {} {} {}",
                f.conf.display(),
                f.pid.display(),
                f.leases.display()
            ));
        }
    }
    if let (Op::Create | Op::Update, Some(r @ Resource::DhcpServer { ifname, .. })) =
        (change.op, &change.after)
    {
        let f = files(b, ifname.as_str());
        let text = render(r, &f);
        let settings: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        out.push(format!(
            "write {}: {}",
            f.conf.display(),
            settings.join(" ")
        ));
        out.push(format!("run {DNSMASQ} {}{place}", f.flag()));
    }
    out
}

/// Write the config and start dnsmasq (stopping a stale one of ours first).
fn start(b: &LinuxBackend, r: &Resource, f: &Files) -> Result<()> {
    stop(f)?;
    daemon::write_file(&f.conf, &render(r, f), 0o644)?;
    daemon::remove_file(&f.pid)?;
    let flag = f.flag();
    let mut inv = Invocation::new(DNSMASQ, [flag.as_str()]);
    inv.jail = b.options().host_netns.clone();
    daemon::run_ok(&inv)?;
    daemon::wait_started(
        &f.pid,
        Ident {
            program: DNSMASQ,
            marker: &[flag.as_str()],
        },
    )?;
    Ok(())
}

/// Stop the dnsmasq the pid file names, if it is ours.
fn stop(f: &Files) -> Result<()> {
    let flag = f.flag();
    let id = Ident {
        program: DNSMASQ,
        marker: &[flag.as_str()],
    };
    match daemon::live(&f.pid, id) {
        Some(pid) => daemon::stop(pid, id),
        None => Ok(()),
    }
}

fn remove(f: &Files) -> Result<()> {
    daemon::remove_file(&f.conf)?;
    daemon::remove_file(&f.pid)?;
    daemon::remove_file(&f.leases)
}

/// The config file of server `r` (shared with the FreeBSD backend: same dnsmasq).
pub(super) fn render(r: &Resource, f: &Files) -> String {
    jailnet_plan::dnsmasq::render(
        r,
        "lo",
        &f.pid.display().to_string(),
        &f.leases.display().to_string(),
    )
}

/// The server a config file describes, as far as jailnet's own lines say.
fn parse(text: &str, want: &Resource) -> Option<Resource> {
    jailnet_plan::dnsmasq::parse(text, want)
}

/// A server with no settings: what an unreadable config amounts to.
fn blank(want: &Resource) -> Resource {
    match want {
        Resource::DhcpServer { switch, ifname, .. } => Resource::DhcpServer {
            switch: switch.clone(),
            ifname: ifname.clone(),
            gateway: None,
            range: None,
            hosts: Vec::new(),
            ra: Vec::new(),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_model::names::IfName;
    use std::fmt::Write as _;

    fn files() -> Files {
        Files {
            conf: "/run/j/dnsmasq-pool.conf".into(),
            pid: "/run/j/dnsmasq-pool.pid".into(),
            leases: "/run/j/dnsmasq-pool.leases".into(),
        }
    }

    fn server() -> Resource {
        Resource::DhcpServer {
            switch: "pool".into(),
            ifname: IfName::new("pool").unwrap(),
            gateway: Some("10.88.3.1/24".parse().unwrap()),
            range: Some((
                "10.88.3.100".parse().unwrap(),
                "10.88.3.150".parse().unwrap(),
            )),
            hosts: vec![(
                "58:9c:fc:00:00:01".parse().unwrap(),
                "10.88.3.60".parse().unwrap(),
            )],
            ra: vec!["fd00:88:3::1/64".parse().unwrap()],
        }
    }

    #[test]
    fn renders_one_interface_no_dns_range_hosts_router_and_ra() {
        let mut want = String::new();
        for l in [
            "# jailnet: DHCP server for the switch on pool. jailnet rewrites this file.",
            "interface=pool",
            "bind-interfaces",
            "except-interface=lo",
            "port=0",
            "pid-file=/run/j/dnsmasq-pool.pid",
            "dhcp-leasefile=/run/j/dnsmasq-pool.leases",
            "dhcp-range=10.88.3.100,10.88.3.150",
            "dhcp-host=58:9c:fc:00:00:01,10.88.3.60",
            "dhcp-option=option:router,10.88.3.1",
            "enable-ra",
            "dhcp-range=fd00:88:3::,ra-only,64",
        ] {
            let _ = writeln!(want, "{l}");
        }
        assert_eq!(render(&server(), &files()), want);
    }

    #[test]
    fn static_hosts_alone_get_a_static_range_of_the_subnet() {
        let Resource::DhcpServer {
            switch,
            ifname,
            gateway,
            hosts,
            ..
        } = server()
        else {
            unreachable!()
        };
        let r = Resource::DhcpServer {
            switch,
            ifname,
            gateway,
            range: None,
            hosts,
            ra: Vec::new(),
        };
        let text = render(&r, &files());
        assert!(
            text.contains("\ndhcp-range=10.88.3.0,static,255.255.255.0\n"),
            "{text}"
        );
        assert!(!text.contains("enable-ra"));
    }

    #[test]
    fn the_rendered_file_parses_back_and_edits_show() {
        let r = server();
        let text = render(&r, &files());
        assert_eq!(parse(&text, &r), Some(r.clone()));
        let edited = text.replace("10.88.3.150", "10.88.3.160");
        let Some(Resource::DhcpServer { range, .. }) = parse(&edited, &r) else {
            panic!("no parse")
        };
        assert_eq!(range.map(|x| x.1.to_string()), Some("10.88.3.160".into()));
        assert_eq!(
            jailnet_plan::dnsmasq::netmask(24).to_string(),
            "255.255.255.0"
        );
        assert_eq!(jailnet_plan::dnsmasq::netmask(0).to_string(), "0.0.0.0");
        assert_eq!(
            jailnet_plan::dnsmasq::netmask(32).to_string(),
            "255.255.255.255"
        );
    }
}
