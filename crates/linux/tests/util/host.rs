//! A sandbox "host" namespace for backend tests, with a temporary directory for
//! `/etc/netns` and the daemons' run files. On drop: every dnsmasq/dhclient started
//! from it is killed, every jail namespace named after it and the host namespace are
//! deleted, the directory is removed — also when a test fails.

use std::path::PathBuf;

use jailnet_linux::{LinuxBackend, LinuxOptions, Netlink, Netns};

pub struct SandboxHost {
    pub host: String,
    pub etc: PathBuf,
}

impl SandboxHost {
    /// `None` (after printing `SKIP: reason`) when namespaces cannot be made here.
    pub fn new(test: &str) -> Option<SandboxHost> {
        super::Sandbox::new(test)?;
        let host = super::unique_name();
        if let Err(e) = Netns::create(&host) {
            eprintln!("SKIP: {test}: cannot create a network namespace: {e}");
            return None;
        }
        let etc = std::env::temp_dir().join(format!("{host}-etc"));
        Some(SandboxHost { host, etc })
    }

    /// A backend acting on this sandbox.
    pub fn backend(&self) -> LinuxBackend {
        LinuxBackend::new(LinuxOptions {
            host_netns: Some(self.host.clone()),
            etc_netns_dir: self.etc.clone(),
            run_dir: self.etc.join("run"),
        })
    }

    /// The namespace of jail `j`.
    pub fn jail(&self, j: &str) -> String {
        jailnet_linux::jail_netns_name(Some(&self.host), j)
    }

    /// The standard output of `program ARGS` run in the sandbox host (empty when it
    /// fails).
    pub fn output(&self, program: &str, args: &[&str]) -> String {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &self.host, program])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A netlink connection inside namespace `ns`.
    pub fn netlink(&self, ns: &str) -> Netlink {
        Netlink::open_in(&Netns::open(ns).unwrap().fd().unwrap()).unwrap()
    }
}

impl Drop for SandboxHost {
    fn drop(&mut self) {
        super::kill_daemons_under(&self.etc);
        super::delete_sandbox_host(&self.host);
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}
