//! Live checks the demo runs in the sandbox: each says what was tried, what was expected
//! and what was seen.

use jailnet_host::{Host, Invocation, JailEntry, SystemHost};
use jailnet_linux::Netns;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

pub struct Check {
    pub tried: String,
    pub expected: &'static str,
    pub seen: String,
    pub ok: bool,
}

/// `ping` from namespace `ns` to `addr`; `reach` says whether it should get through.
pub fn ping(ns: &str, who: &str, addr: &str, reach: bool) -> Check {
    let mut host = SystemHost::new(JailEntry::Netns);
    let mut args = vec!["-c", "1", "-W", "1", "-q"];
    if addr.contains(':') {
        args.insert(0, "-6");
    }
    args.push(addr);
    let seen = match host.run(&Invocation::new("ping", args).in_jail(ns)) {
        Ok(o) if o.success() => "reply".to_string(),
        Ok(_) => "no reply".to_string(),
        Err(e) => format!("error: {e}"),
    };
    let ok = (seen == "reply") == reach && !seen.starts_with("error");
    Check {
        tried: format!("ping {who} -> {addr}"),
        expected: if reach { "reply" } else { "no reply" },
        seen,
        ok,
    }
}

/// A TCP connection from namespace `from` to a listener in namespace `to` on `listen`,
/// dialled at `dial`: the server sends a greeting, the client must read it.
pub fn tcp(
    from: &str,
    to: &str,
    who: &str,
    listen: SocketAddr,
    dial: SocketAddr,
    reach: bool,
) -> Check {
    let seen = match tcp_exchange(from, to, listen, dial) {
        Ok(Some(_)) => "greeting received".to_string(),
        Ok(None) => "no connection".to_string(),
        Err(e) => format!("error: {e}"),
    };
    let ok = (seen == "greeting received") == reach && !seen.starts_with("error");
    Check {
        tried: format!("tcp {who} -> {dial}"),
        expected: if reach {
            "greeting received"
        } else {
            "no connection"
        },
        seen,
        ok,
    }
}

/// Like [`tcp`], but the check is on the source address the server saw (NAT).
pub fn tcp_source(
    from: &str,
    to: &str,
    who: &str,
    addr: SocketAddr,
    expected: &'static str,
) -> Check {
    let seen = match tcp_exchange(from, to, addr, addr) {
        Ok(Some(peer)) => peer.to_string(),
        Ok(None) => "no connection".to_string(),
        Err(e) => format!("error: {e}"),
    };
    let ok = seen == expected;
    Check {
        tried: format!("tcp {who} -> {addr}, source seen by server"),
        expected,
        seen,
        ok,
    }
}

fn tcp_exchange(
    from: &str,
    to: &str,
    listen: SocketAddr,
    dial: SocketAddr,
) -> Result<Option<std::net::IpAddr>, String> {
    let server_ns = Netns::open(to).map_err(|e| e.to_string())?;
    let listener = server_ns
        .run(move || TcpListener::bind(listen))
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let server = std::thread::spawn(move || {
        for _ in 0..80 {
            if let Ok((mut s, peer)) = listener.accept() {
                let _ = s.write_all(b"hello from jailnet\n");
                return Some(peer.ip());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        None
    });
    let client_ns = Netns::open(from).map_err(|e| e.to_string())?;
    let got = client_ns
        .run(move || -> std::io::Result<String> {
            let mut s = TcpStream::connect_timeout(&dial, Duration::from_secs(1))?;
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            let mut buf = String::new();
            s.read_to_string(&mut buf)?;
            Ok(buf)
        })
        .map_err(|e| e.to_string())?;
    let peer = server
        .join()
        .map_err(|_| "server thread failed".to_string())?;
    Ok(match got {
        Ok(b) if b == "hello from jailnet\n" => peer,
        _ => None,
    })
}

/// One UDP datagram from namespace `from`, sent from address `src` (added to its interface
/// `ifname` for the check, then removed, when it is not its own), to a socket in namespace
/// `to` on `dst`. A secure NIC must let only its own address through.
pub fn udp_from(
    from: &str,
    who: &str,
    ifname: &str,
    src: std::net::IpAddr,
    to: &str,
    dst: SocketAddr,
    reach: bool,
) -> Check {
    let seen = match udp_exchange(from, ifname, src, to, dst) {
        Ok(true) => "received".to_string(),
        Ok(false) => "not received".to_string(),
        Err(e) => format!("error: {e}"),
    };
    let ok = (seen == "received") == reach && !seen.starts_with("error");
    Check {
        tried: format!("udp {who} from {src} -> {dst}"),
        expected: if reach { "received" } else { "not received" },
        seen,
        ok,
    }
}

fn udp_exchange(
    from: &str,
    ifname: &str,
    src: std::net::IpAddr,
    to: &str,
    dst: SocketAddr,
) -> Result<bool, String> {
    use jailnet_linux::{AddrOptions, LinkRef, Netlink};
    let e = |e: jailnet_linux::Error| e.to_string();
    let sock = Netns::open(to)
        .map_err(e)?
        .run(move || std::net::UdpSocket::bind(dst))
        .map_err(e)?
        .map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    let client_ns = Netns::open(from).map_err(e)?;
    let mut nl = Netlink::open_in(&client_ns.fd().map_err(e)?).map_err(e)?;
    let own = nl.addresses().map_err(e)?.iter().any(|a| a.addr == src);
    let prefix = if src.is_ipv4() { 32 } else { 128 };
    if !own {
        nl.add_address(
            LinkRef::Name(ifname),
            src,
            prefix,
            AddrOptions { nodad: true },
        )
        .map_err(e)?;
    }
    let sent = client_ns.run(move || -> std::io::Result<()> {
        let c = std::net::UdpSocket::bind(SocketAddr::new(src, 0))?;
        for _ in 0..3 {
            c.send_to(b"jailnet", dst)?;
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    });
    if !own {
        nl.delete_address(LinkRef::Name(ifname), src, prefix)
            .map_err(e)?;
    }
    sent.map_err(e)?.map_err(|e| e.to_string())?;
    let mut buf = [0u8; 16];
    Ok(sock
        .recv_from(&mut buf)
        .is_ok_and(|(_, peer)| peer.ip() == src))
}

/// A fact about the topology, checked by the demo itself.
pub fn fact(tried: String, expected: &'static str, seen: String) -> Check {
    let ok = seen == expected;
    Check {
        tried,
        expected,
        seen,
        ok,
    }
}
