//! A throwaway etcd for tests: Debian's `etcd` binary on 127.0.0.1 only, random free
//! ports, a temporary data dir, killed (and its data removed) on drop. `None` (after
//! printing `SKIP:`) when the binary is missing or will not start.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Etcd {
    child: Child,
    _dir: tempfile::TempDir,
    pub url: String,
}

impl Etcd {
    /// Start one; `test` names the caller in the `SKIP:` line.
    pub fn start(test: &str) -> Option<Etcd> {
        let found = ["/usr/bin/etcd", "/usr/local/bin/etcd"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(bin) = found else {
            eprintln!("SKIP: {test}: etcd is not installed (scripts/deps.sh installs etcd-server)");
            return None;
        };
        let Some(e) = (0..3).find_map(|_| Etcd::try_start(bin)) else {
            eprintln!("SKIP: {test}: etcd ({bin}) did not start");
            return None;
        };
        Some(e)
    }

    fn try_start(bin: &str) -> Option<Etcd> {
        let (client, peer) = (free_port()?, free_port()?);
        let dir = tempfile::tempdir().ok()?;
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new(bin)
            .args(["--name", "jn-test"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen-client-urls", &url])
            .args(["--advertise-client-urls", &url])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("jn-test={peer_url}")])
            .args(["--log-level", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut e = Etcd {
            child,
            _dir: dir,
            url,
        };
        let until = Instant::now() + Duration::from_secs(15);
        while Instant::now() < until {
            if let Ok(Some(_)) = e.child.try_wait() {
                return None; // a port was taken meanwhile: try others
            }
            if TcpStream::connect(SocketAddrV4::new(Ipv4Addr::LOCALHOST, client)).is_ok()
                && e.healthy()
            {
                return Some(e);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// A write goes through (there is a leader).
    fn healthy(&self) -> bool {
        jailnet_cluster::Client::connect_with_timeout(
            std::slice::from_ref(&self.url),
            Duration::from_secs(2),
        )
        .and_then(|mut c| c.grant(5).and_then(|l| c.revoke(l)))
        .is_ok()
    }

    pub fn endpoints(&self) -> Vec<String> {
        vec![self.url.clone()]
    }

    pub fn client(&self) -> jailnet_cluster::Client {
        jailnet_cluster::Client::connect(&self.endpoints()).unwrap()
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; etcd may still lose a race for it).
pub fn free_port() -> Option<u16> {
    let l = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).ok()?;
    Some(l.local_addr().ok()?.port())
}
