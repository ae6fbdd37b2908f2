//! Test scaffolding: skip when not root, uniquely named throwaway namespaces
//! that are deleted even when a test fails.

#![allow(dead_code)]

pub mod frames;
pub mod host;
pub mod pipeline;

use std::sync::atomic::{AtomicU32, Ordering};

use jailnet_linux::{Netlink, Netns, NsFd};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Owns every namespace a test creates; deletes them on drop.
pub struct Sandbox {
    names: Vec<String>,
}

/// A namespace made by a sandbox, with an fd on it.
pub struct Ns {
    pub netns: Netns,
    pub fd: NsFd,
}

impl Ns {
    pub fn netlink(&self) -> Netlink {
        Netlink::open_in(&self.fd).expect("open netlink in namespace")
    }

    /// The namespace's inode (what `/proc/thread-self/ns/net` shows from inside it).
    pub fn fd_file_inode(&self) -> u64 {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
            .expect("stat namespace fd")
            .ino()
    }
}

impl Sandbox {
    /// `None` (after printing `SKIP: reason`) when namespaces cannot be made here.
    pub fn new(test: &str) -> Option<Sandbox> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIP: {test}: needs root (network namespaces)");
            return None;
        }
        let mut sb = Sandbox { names: Vec::new() };
        let probe = unique_name();
        match Netns::create(&probe) {
            Ok(_) => {
                sb.names.push(probe);
                Some(sb)
            }
            Err(e) => {
                eprintln!("SKIP: {test}: cannot create a network namespace: {e}");
                None
            }
        }
    }

    /// Create a fresh uniquely named namespace.
    pub fn ns(&mut self) -> Ns {
        let name = unique_name();
        let netns = Netns::create(&name).expect("create namespace");
        self.names.push(name);
        let fd = netns.fd().expect("open namespace fd");
        Ns { netns, fd }
    }

    /// Forget a name the test deleted itself.
    pub fn forget(&mut self, name: &str) {
        self.names.retain(|n| n != name);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for n in &self.names {
            if let Err(e) = Netns::delete(n) {
                eprintln!("cleanup: delete namespace {n}: {e}");
            }
        }
    }
}

pub fn unique_name() -> String {
    format!(
        "jnt{}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The calling thread's netns inode (to prove it never changes).
pub fn current_ns_inode() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/thread-self/ns/net")
        .expect("stat own netns")
        .ino()
}

/// The namespaces jailnet made for the jails of sandbox host `host` (`host-JAIL`).
pub fn jail_namespaces(host: &str) -> Vec<String> {
    let prefix = format!("{host}-");
    Netns::list()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .collect()
}

/// Delete sandbox host `host` and every jail namespace made for it (for `Drop`).
pub fn delete_sandbox_host(host: &str) {
    for ns in jail_namespaces(host) {
        let _ = Netns::delete(&ns);
    }
    let _ = Netns::delete(host);
}

/// The dnsmasq and dhclient processes whose command line names `dir` (the run directory
/// of a test's backend): (pid, command line).
pub fn daemons_under(dir: &std::path::Path) -> Vec<(i32, String)> {
    let dir = dir.display().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
        let prog = cmd
            .split(' ')
            .next()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("");
        if matches!(prog, "dnsmasq" | "dhclient") && cmd.contains(&dir) {
            out.push((pid, cmd.trim().to_string()));
        }
    }
    out
}

/// Kill (SIGKILL) what [`daemons_under`] finds: cleanup after a failed test.
pub fn kill_daemons_under(dir: &std::path::Path) {
    for (pid, cmd) in daemons_under(dir) {
        eprintln!("cleanup: kill {pid} ({cmd})");
        // SAFETY: plain kill of a process the test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Whether program `prog` is on `PATH` (or in /usr/sbin, /sbin).
pub fn installed(prog: &str) -> bool {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .any(|d| std::path::Path::new(d).join(prog).exists())
}
