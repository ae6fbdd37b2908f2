//! DHCP clients: ISC `dhclient -4` inside the jail's namespace, bound to one NIC,
//! with its own config, pid and lease files and its own script, all in the run
//! directory (`dhclient-NETNS-NIC.*`). Never Debian's `/sbin/dhclient-script`: the
//! client only enters the jail's *network* namespace, so that script's
//! `/etc/resolv.conf` rewrite, its `hostname` call and its hooks would hit the
//! real host. jailnet's script only sets the lease's address (with the lease's
//! lifetime, so it is never `permanent` and the NIC's observe tells it apart from
//! configured addresses) and a `proto dhcp` default route; the jail's resolver is
//! the Resolver resource's job.
//!
//! `dhclient` (not `-nw`) returns once it holds a lease or after the config's
//! `timeout`, then keeps running in the background. Delete runs `dhclient -r` with
//! the same files (release the lease, stop the daemon) and removes the files.
//! Observe: present iff the pid file names a live dhclient with our pid file.

use std::path::PathBuf;

use jailnet_host::Invocation;
use jailnet_model::net::Cidr;
use jailnet_plan::{Change, Op, Resource};

use super::daemon::{self, Ident};
use super::{is_link_local, LinuxBackend};
use crate::error::Result;
use crate::netns::Netns;
use crate::types::LinkRef;

/// The program, found on `PATH` (Debian: `isc-dhcp-client`, `/usr/sbin/dhclient`).
pub const DHCLIENT: &str = "dhclient";

/// Seconds `dhclient` waits for a first lease before it goes to the background.
pub const LEASE_TIMEOUT_SECS: u32 = 10;

/// The script dhclient runs on lease events: address and default route only.
const SCRIPT: &str = r#"#!/bin/sh
# jailnet: dhclient script. Only this interface's address and default route;
# never /etc/resolv.conf, the hostname or /etc/dhcp hooks (this runs in the
# jail's network namespace but sees the host's files).
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
case "$reason" in
PREINIT)
    ip link set dev "$interface" up
    ;;
BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
        ip -4 addr del "$old_ip_address/${old_subnet_mask:-32}" dev "$interface"
    fi
    # A finite lifetime keeps the address dynamic (not "permanent"), even for an
    # infinite lease (0xffffffff is the kernel's "forever").
    lft="${new_dhcp_lease_time:-4294967294}"
    [ "$lft" -ge 4294967295 ] && lft=4294967294
    ip -4 addr replace "$new_ip_address/${new_subnet_mask:-32}" \
        ${new_broadcast_address:+broadcast "$new_broadcast_address"} \
        dev "$interface" valid_lft "$lft" preferred_lft "$lft" || exit 1
    for r in $new_routers; do
        ip -4 route replace default via "$r" dev "$interface" proto dhcp metric 100
        break
    done
    ;;
EXPIRE|FAIL|RELEASE|STOP)
    if [ -n "$old_ip_address" ]; then
        ip -4 route del default dev "$interface" proto dhcp 2>/dev/null
        ip -4 addr del "$old_ip_address/${old_subnet_mask:-32}" dev "$interface"
    fi
    ;;
esac
exit 0
"#;

/// One client's files in the run directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Files {
    pub conf: PathBuf,
    pub pid: PathBuf,
    pub leases: PathBuf,
    pub script: PathBuf,
}

/// The files of the client for NIC `nic` of jail `jail`.
pub(super) fn files(b: &LinuxBackend, jail: &str, nic: &str) -> Files {
    let stem = format!("dhclient-{}-{nic}", b.jail_netns(jail));
    let dir = &b.options().run_dir;
    Files {
        conf: dir.join(format!("{stem}.conf")),
        pid: dir.join(format!("{stem}.pid")),
        leases: dir.join(format!("{stem}.leases")),
        script: dir.join(format!("{stem}.sh")),
    }
}

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, change.resource()) {
        (Op::Create | Op::Update, Some(Resource::DhcpClient { jail, nic })) => {
            let f = files(b, jail.as_str(), nic.as_str());
            let ns = b.jail_netns(jail.as_str());
            start(&ns, nic.as_str(), &f).inspect_err(|_| {
                let _ = stop(&ns, nic.as_str(), &f);
                let _ = remove(&f);
            })
        }
        (Op::Delete, Some(Resource::DhcpClient { jail, nic })) => {
            let f = files(b, jail.as_str(), nic.as_str());
            stop(&b.jail_netns(jail.as_str()), nic.as_str(), &f)?;
            remove(&f)
        }
        _ => Ok(()),
    }
}

/// Present iff the pid file names a live dhclient started with it.
pub(super) fn observe(b: &LinuxBackend, want: &Resource) -> Option<Resource> {
    let Resource::DhcpClient { jail, nic } = want else {
        return None;
    };
    let f = files(b, jail.as_str(), nic.as_str());
    let pid = f.pid.display().to_string();
    let id = Ident {
        program: DHCLIENT,
        marker: &["-pf", pid.as_str()],
    };
    daemon::live(&f.pid, id).map(|_| want.clone())
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    let Some(Resource::DhcpClient { jail, nic }) = change.resource() else {
        return Vec::new();
    };
    let f = files(b, jail.as_str(), nic.as_str());
    let ns = b.jail_netns(jail.as_str());
    match change.op {
        Op::Create | Op::Update => vec![
            format!(
                "write {} (lease timeout {LEASE_TIMEOUT_SECS} s)",
                f.conf.display()
            ),
            format!(
                "write {} (address and default route only)",
                f.script.display()
            ),
            format!(
                "run {} in netns {ns}",
                line(&invocation(&ns, nic.as_str(), &f, false))
            ),
        ],
        Op::Delete => vec![
            format!(
                "run {} in netns {ns} (release, stop)",
                line(&invocation(&ns, nic.as_str(), &f, true))
            ),
            format!(
                "remove {} {} {} {}",
                f.conf.display(),
                f.script.display(),
                f.pid.display(),
                f.leases.display()
            ),
        ],
    }
}

impl LinuxBackend {
    /// The dynamic addresses (DHCP leases, SLAAC) on NIC `nic` inside jail `jail`
    /// right now; none when the jail's namespace does not exist.
    pub fn leases(&mut self, jail: &str, nic: &str) -> Result<Vec<Cidr>> {
        if !Netns::exists(&self.jail_netns(jail)) {
            return Ok(Vec::new());
        }
        let conn = self.jail(jail)?;
        let Ok(index) = conn.nl.index_of(LinkRef::Name(nic)) else {
            return Ok(Vec::new());
        };
        Ok(conn
            .nl
            .addresses()?
            .into_iter()
            .filter(|a| a.index == index && a.is_dynamic())
            .map(|a| Cidr {
                addr: a.addr,
                prefix: a.prefix_len,
            })
            .filter(|c| !is_link_local(c))
            .collect())
    }
}

/// `dhclient -4 [-r] -cf CONF -sf SCRIPT -pf PID -lf LEASES NIC` inside `ns`.
fn invocation(ns: &str, nic: &str, f: &Files, release: bool) -> Invocation {
    let mut args = vec!["-4".to_string()];
    if release {
        args.push("-r".into());
    }
    for (flag, p) in [
        ("-cf", &f.conf),
        ("-sf", &f.script),
        ("-pf", &f.pid),
        ("-lf", &f.leases),
    ] {
        args.push(flag.into());
        args.push(p.display().to_string());
    }
    args.push(nic.to_string());
    Invocation::new(DHCLIENT, args).in_jail(ns)
}

/// `program args…` (an Invocation's Display is FreeBSD's `jexec` form).
fn line(inv: &Invocation) -> String {
    std::iter::once(inv.program.as_str())
        .chain(inv.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

fn conf(ns: &str, nic: &str) -> String {
    format!(
        "# jailnet: dhclient settings for {nic} in netns {ns}. jailnet rewrites this file.\n\
         timeout {LEASE_TIMEOUT_SECS};\n\
         retry 10;\n\
         initial-interval 1;\n\
         request subnet-mask, broadcast-address, routers;\n"
    )
}

/// Write the files and start the client; returns once it holds a lease or has
/// gone to the background after the timeout.
fn start(ns: &str, nic: &str, f: &Files) -> Result<()> {
    stop(ns, nic, f)?;
    daemon::write_file(&f.conf, &conf(ns, nic), 0o644)?;
    daemon::write_file(&f.script, SCRIPT, 0o755)?;
    daemon::remove_file(&f.pid)?;
    daemon::run_ok(&invocation(ns, nic, f, false))?;
    let pid = f.pid.display().to_string();
    daemon::wait_started(
        &f.pid,
        Ident {
            program: DHCLIENT,
            marker: &["-pf", pid.as_str()],
        },
    )?;
    Ok(())
}

/// Release the lease and stop the client, if the pid file names ours.
fn stop(ns: &str, nic: &str, f: &Files) -> Result<()> {
    let pidfile = f.pid.display().to_string();
    let id = Ident {
        program: DHCLIENT,
        marker: &["-pf", pidfile.as_str()],
    };
    let Some(pid) = daemon::live(&f.pid, id) else {
        return Ok(());
    };
    if Netns::exists(ns) {
        // `dhclient -r` stops the daemon named by the pid file (checked above to be
        // ours) and sends DHCPRELEASE; its failure still leaves the signal below.
        let _ = daemon::run(&invocation(ns, nic, f, true));
    }
    daemon::stop(pid, id)
}

fn remove(f: &Files) -> Result<()> {
    for p in [&f.conf, &f.script, &f.pid, &f.leases] {
        daemon::remove_file(p)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_uses_only_its_own_files() {
        let f = Files {
            conf: "/r/c.conf".into(),
            pid: "/r/c.pid".into(),
            leases: "/r/c.leases".into(),
            script: "/r/c.sh".into(),
        };
        let inv = invocation("h-dhcp1", "vnet0", &f, false);
        assert_eq!(inv.jail.as_deref(), Some("h-dhcp1"));
        assert_eq!(
            inv.args.join(" "),
            "-4 -cf /r/c.conf -sf /r/c.sh -pf /r/c.pid -lf /r/c.leases vnet0"
        );
        assert_eq!(invocation("h-dhcp1", "vnet0", &f, true).args[1], "-r");
        let code: Vec<&str> = SCRIPT
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect();
        assert!(code
            .iter()
            .all(|l| !l.contains("/etc") && !l.contains("hostname")));
        assert!(conf("n", "vnet0").contains("timeout 10;"));
    }
}
