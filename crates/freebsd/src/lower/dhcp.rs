//! DHCP on FreeBSD. A switch's server (`Resource::DhcpServer`) is one dnsmasq (the
//! `dns/dnsmasq` package, [`DNSMASQ`]) bound to the switch's bridge only, with its
//! config, pid and lease files in the backend's run directory (`/var/db/jailnet/run` by
//! default): `RUN/dnsmasq-IFNAME.{conf,pid,leases}`. It is started as `dnsmasq
//! --conf-file=CONF` (it daemonizes and writes the pid file), stopped with `pkill -F PID`,
//! and restarted (stop, start) when its config changes — dnsmasq does not re-read its
//! main config on SIGHUP. DNS is off (`port=0`): jailnet writes each jail's resolv.conf.
//!
//! A jail's client (`Resource::DhcpClient`) is FreeBSD's dhclient, run once and
//! synchronously like rc's `SYNCDHCP`: `jexec J dhclient NIC` returns when the lease is
//! bound (it then stays as a daemon that renews it). The jail's devfs ruleset unhides
//! `bpf*` (a `Devfs` resource), without which dhclient fails with "Can't find free bpf"
//! (libioc#733). FreeBSD's dhclient has no release option (`-r` is ISC's): removal kills
//! it through its pid file, `jexec J pkill -F /var/run/dhclient/dhclient.NIC.pid`; the
//! leased address goes with the NIC.

use super::Ctx;
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_plan::Resource;

/// Where the dnsmasq package installs the daemon.
pub const DNSMASQ: &str = "/usr/local/sbin/dnsmasq";

/// The default run directory for dnsmasq's files.
pub const RUN_DIR: &str = "/var/db/jailnet/run";

/// dhclient's pid file for `nic`, inside the jail.
pub fn dhclient_pidfile(nic: &str) -> String {
    format!("/var/run/dhclient/dhclient.{nic}.pid")
}

/// One server's files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    pub conf: String,
    pub pid: String,
    pub leases: String,
}

/// The files of the server on `ifname` under `run_dir`.
pub fn files(run_dir: &str, ifname: &str) -> Files {
    let stem = format!("{}/dnsmasq-{ifname}", run_dir.trim_end_matches('/'));
    Files {
        conf: format!("{stem}.conf"),
        pid: format!("{stem}.pid"),
        leases: format!("{stem}.leases"),
    }
}

/// The config file of server `r` (shared with the Linux backend: same dnsmasq).
pub fn render(r: &Resource, f: &Files) -> String {
    jailnet_plan::dnsmasq::render(r, "lo0", &f.pid, &f.leases)
}

/// The server a config file describes, as far as jailnet's own lines say.
pub fn parse(text: &str, want: &Resource) -> Option<Resource> {
    jailnet_plan::dnsmasq::parse(text, want)
}

fn start(f: &Files) -> Invocation {
    Invocation::new(DNSMASQ, [format!("--conf-file={}", f.conf)])
}

fn stop(f: &Files) -> Invocation {
    Invocation::new("pkill", ["-F", f.pid.as_str()])
}

fn write(f: &Files, text: String) -> Invocation {
    Invocation::new("tee", [f.conf.as_str()]).with_stdin(text)
}

fn files_of(r: &Resource, ctx: &Ctx) -> Files {
    let ifname = match r {
        Resource::DhcpServer { ifname, .. } => ifname.to_string(),
        _ => String::new(),
    };
    files(ctx.run_dir(), &ifname)
}

/// `mkdir -p RUN`, write the config, start dnsmasq.
pub(crate) fn server_create(r: &Resource, ctx: &Ctx) -> Vec<Step> {
    let f = files_of(r, ctx);
    vec![
        Step::new(Invocation::new("mkdir", ["-p", ctx.run_dir()])),
        Step::new(write(&f, render(r, &f))).undo(Invocation::new("rm", ["-f", f.conf.as_str()])),
        Step::new(start(&f)).undo(stop(&f)).undo(Invocation::new(
            "rm",
            ["-f", f.pid.as_str(), f.leases.as_str()],
        )),
    ]
}

/// Stop dnsmasq, remove its files.
pub(crate) fn server_delete(r: &Resource, ctx: &Ctx) -> Vec<Step> {
    let f = files_of(r, ctx);
    vec![
        Step::new(stop(&f)),
        Step::new(Invocation::new(
            "rm",
            ["-f", f.conf.as_str(), f.pid.as_str(), f.leases.as_str()],
        )),
    ]
}

/// New config, then a restart; undone by the old config and a restart with it.
pub(crate) fn server_update(before: &Resource, after: &Resource, ctx: &Ctx) -> Vec<Step> {
    let f = files_of(after, ctx);
    let old = render(before, &f);
    vec![
        Step::new(write(&f, render(after, &f))).undo(write(&f, old.clone())),
        Step::new(stop(&f)).undo(write(&f, old)).undo(start(&f)),
        Step::new(start(&f)).undo(stop(&f)),
    ]
}

/// `jexec J dhclient NIC`, undone by killing it.
pub(crate) fn client_create(jail: &str, nic: &str) -> Vec<Step> {
    vec![Step::new(Invocation::new("dhclient", [nic]).in_jail(jail)).undo(client_kill(jail, nic))]
}

pub(crate) fn client_delete(jail: &str, nic: &str) -> Vec<Step> {
    vec![Step::new(client_kill(jail, nic))]
}

fn client_kill(jail: &str, nic: &str) -> Invocation {
    Invocation::new("pkill", ["-F".to_string(), dhclient_pidfile(nic)]).in_jail(jail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_model::names::IfName;

    #[test]
    fn config_round_trips() {
        let r = Resource::DhcpServer {
            switch: "services".into(),
            ifname: IfName::new("vm-services").unwrap(),
            gateway: Some("10.1.1.1/24".parse().unwrap()),
            range: Some(([10, 1, 1, 10].into(), [10, 1, 1, 20].into())),
            hosts: vec![(
                "58:9c:fc:00:00:01".parse().unwrap(),
                "10.1.1.60".parse().unwrap(),
            )],
            ra: Vec::new(),
        };
        let f = files(RUN_DIR, "vm-services");
        assert_eq!(f.pid, "/var/db/jailnet/run/dnsmasq-vm-services.pid");
        let text = render(&r, &f);
        assert!(
            text.contains("\ndhcp-range=10.1.1.10,10.1.1.20\n"),
            "{text}"
        );
        assert_eq!(parse(&text, &r), Some(r.clone()));
        assert_eq!(parse("interface=vm-services\n", &r), None);
    }
}
