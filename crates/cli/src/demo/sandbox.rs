//! The demo's sandbox: a namespace playing the host, one playing the upstream network
//! ("the internet"), and a veth `up0` between them. Everything is removed on drop,
//! including any jail namespace made for the sandbox host.

use anyhow::{Context, Result};
use jailnet_host::{Host, Invocation, JailEntry, SystemHost};
use jailnet_linux::{AddrOptions, LinkRef, Netlink, Netns, VethSpec};
use std::net::IpAddr;

/// The host's uplink address in the sandbox (TEST-NET-2, never routed anywhere real).
pub const HOST_UPLINK: &str = "198.51.100.1";
/// The upstream namespace's address on the shared segment.
pub const UPSTREAM_ADDR: &str = "198.51.100.254";
/// An address only the upstream namespace has: a stand-in for a server on the internet.
pub const INTERNET_ADDR: &str = "203.0.113.10";

pub struct Sandbox {
    pub host: String,
    pub upstream: String,
}

/// A snapshot of a namespace's links, addresses and routes, for "exactly as before".
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot(pub Vec<String>);

impl Sandbox {
    pub fn create() -> Result<Sandbox> {
        let pid = std::process::id();
        let sb = Sandbox {
            host: format!("jnd{pid}h"),
            upstream: format!("jnd{pid}u"),
        };
        sb.build()
            .with_context(|| format!("cannot build the sandbox {}", sb.host))?;
        Ok(sb)
    }

    fn build(&self) -> Result<()> {
        let host = Netns::create(&self.host)?;
        let up = Netns::create(&self.upstream)?;
        let up_fd = up.fd()?;
        let mut h = Netlink::open_in(&host.fd()?)?;
        let mut u = Netlink::open_in(&up_fd)?;
        let mut spec = VethSpec::new("up0", "eth0");
        spec.peer_netns = Some(&up_fd);
        h.execute(jailnet_linux::Request::create_veth(&spec)?)?;
        let ip = |s: &str| -> Result<IpAddr> { Ok(s.parse()?) };
        h.add_address(
            LinkRef::Name("up0"),
            ip(HOST_UPLINK)?,
            24,
            AddrOptions::default(),
        )?;
        u.add_address(
            LinkRef::Name("eth0"),
            ip(UPSTREAM_ADDR)?,
            24,
            AddrOptions::default(),
        )?;
        u.add_address(
            LinkRef::Name("lo"),
            ip(INTERNET_ADDR)?,
            32,
            AddrOptions::default(),
        )?;
        for (nl, names) in [(&mut h, ["lo", "up0"]), (&mut u, ["lo", "eth0"])] {
            for n in names {
                nl.set_up(LinkRef::Name(n), true)?;
            }
        }
        h.add_default_route(ip(UPSTREAM_ADDR)?, None::<LinkRef>)?;
        // Let the kernel finish configuring up0 (its IPv6 link-local address arrives a
        // moment after the link comes up), so "before" snapshots are complete.
        let up0 = h.index_of(LinkRef::Name("up0"))?;
        for _ in 0..60 {
            let ready = h.addresses()?.iter().any(|a| {
                a.index == up0 && matches!(a.addr, IpAddr::V6(v) if v.segments()[0] == 0xfe80)
            });
            if ready {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Ok(())
    }

    /// Links, addresses and routes of the sandbox host, in a comparable form.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let ns = Netns::open(&self.host)?;
        let mut nl = Netlink::open_in(&ns.fd()?)?;
        let mut lines = Vec::new();
        for l in nl.links()? {
            lines.push(format!(
                "link {} {:?} up={} master={:?} alias={:?}",
                l.name, l.kind, l.up, l.master, l.alias
            ));
        }
        for a in nl.addresses()? {
            lines.push(format!("addr {} {}/{}", a.index, a.addr, a.prefix_len));
        }
        for r in nl.routes()? {
            lines.push(format!(
                "route {}/{} via {:?} dev {:?}",
                r.dst, r.dst_len, r.gateway, r.oif
            ));
        }
        lines.sort();
        Ok(Snapshot(lines))
    }

    /// `nft list tables` in the sandbox host, trimmed ("" when there are none).
    pub fn nft_tables(&self) -> String {
        let mut h = SystemHost::new(JailEntry::Netns);
        match h.run(&Invocation::new("nft", ["list", "tables"]).in_jail(&self.host)) {
            Ok(o) => o.stdout.trim().to_string(),
            Err(e) => format!("error: {e}"),
        }
    }

    /// Namespaces made for this sandbox's host other than the host and upstream ones.
    pub fn jail_namespaces(&self) -> Vec<String> {
        let prefix = format!("{}-", self.host);
        Netns::list()
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for ns in self.jail_namespaces() {
            let _ = Netns::delete(&ns);
        }
        let _ = Netns::delete(&self.upstream);
        let _ = Netns::delete(&self.host);
    }
}
