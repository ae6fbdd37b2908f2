//! Root-only tests of NAT and port forwarding on Linux (table `inet jailnet`), with real
//! traffic between a sandbox host namespace, its jails and an "upstream" namespace that
//! plays the internet. Everything is removed on drop. Not root → `SKIP:`.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use jailnet_linux::{AddrOptions, LinkRef, Netlink, Netns, Request, VethSpec};
use jailnet_plan::{Graph, State};

mod util;
use util::host::SandboxHost;
use util::pipeline::{converge, graph, plan_for};

const HOST_UP4: &str = "198.51.100.1";
const HOST_UP6: &str = "2001:db8:100::1";
const UPSTREAM4: &str = "198.51.100.254";
const INTERNET: &str = "203.0.113.10";

/// Sandbox host (see `util::host`) + an upstream namespace joined by veth `up0` ⇄ `eth0`.
struct Env {
    sandbox: SandboxHost,
    up: String,
}

impl std::ops::Deref for Env {
    type Target = SandboxHost;
    fn deref(&self) -> &SandboxHost {
        &self.sandbox
    }
}

impl Env {
    fn new(test: &str) -> Option<Env> {
        if Command::new("nft").arg("--version").output().is_err() {
            eprintln!("SKIP: {test}: nft is not installed (scripts/deps.sh installs it)");
            return None;
        }
        let sandbox = SandboxHost::new(test)?;
        let env = Env {
            up: format!("{}u", sandbox.host),
            sandbox,
        };
        let u = Netns::create(&env.up).unwrap();
        let ufd = u.fd().unwrap();
        let mut hn = env.netlink(&env.host);
        let mut un = Netlink::open_in(&ufd).unwrap();
        let mut spec = VethSpec::new("up0", "eth0");
        spec.peer_netns = Some(&ufd);
        hn.execute(Request::create_veth(&spec).unwrap()).unwrap();
        let nodad = AddrOptions { nodad: true };
        hn.add_address(LinkRef::Name("up0"), ip(HOST_UP4), 24, nodad)
            .unwrap();
        hn.add_address(LinkRef::Name("up0"), ip(HOST_UP6), 64, nodad)
            .unwrap();
        un.add_address(LinkRef::Name("eth0"), ip(UPSTREAM4), 24, nodad)
            .unwrap();
        un.add_address(LinkRef::Name("eth0"), ip("2001:db8:100::fe"), 64, nodad)
            .unwrap();
        un.add_address(LinkRef::Name("lo"), ip(INTERNET), 32, nodad)
            .unwrap();
        for n in ["lo", "up0"] {
            hn.set_up(LinkRef::Name(n), true).unwrap();
        }
        for n in ["lo", "eth0"] {
            un.set_up(LinkRef::Name(n), true).unwrap();
        }
        hn.add_default_route(ip(UPSTREAM4), None::<LinkRef>)
            .unwrap();
        Some(env)
    }

    fn nft(&self, args: &[&str]) -> String {
        self.output("nft", args)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = Netns::delete(&self.up);
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const CONFIG: &str = r#"
[host]
uplink = "up0"

[switch.lan]
address = ["10.90.1.1/24", "fd00:90:1::1/64"]
nat = true

[jail.web]
expose = ["tcp/8080:80", "udp/5353:53"]
[[jail.web.nic]]
switch = "lan"
ip4 = ["10.90.1.10/24"]
ip6 = ["fd00:90:1::10/64"]

[jail.other]
[[jail.other.nic]]
switch = "lan"
ip4 = ["10.90.1.11/24"]
"#;

/// A TCP server in `server_ns` on `bind`; a client in `client_ns` connects to `to`. Returns
/// the peer address the server saw, or None when no connection was made.
fn tcp_peer(server_ns: &str, bind: &str, client_ns: &str, to: &str) -> Option<IpAddr> {
    let bind: SocketAddr = bind.parse().unwrap();
    let to: SocketAddr = to.parse().unwrap();
    // The port can still be held for a moment by the last round's connection (a retry of
    // [`tcp_peer_eventually`], or `[::]:P` right after `0.0.0.0:P`): wait for it a little.
    let ns = Netns::open(server_ns).unwrap();
    let mut tries = 0;
    let listener = loop {
        match ns.run(move || TcpListener::bind(bind)).unwrap() {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && tries < 40 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            other => break other.unwrap(),
        }
    };
    listener.set_nonblocking(true).unwrap();
    let server = std::thread::spawn(move || {
        for _ in 0..60 {
            if let Ok((mut s, peer)) = listener.accept() {
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
                let _ = s.write_all(b"hi");
                // The client closes first, so the TIME_WAIT is its own, not this port's.
                let _ = s.read_to_end(&mut Vec::new());
                return Some(peer.ip());
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        None
    });
    let got = Netns::open(client_ns)
        .unwrap()
        .run(move || -> std::io::Result<Vec<u8>> {
            let mut s = TcpStream::connect_timeout(&to, Duration::from_millis(700))?;
            s.set_read_timeout(Some(Duration::from_secs(1)))?;
            let mut b = vec![0; 2];
            s.read_exact(&mut b)?;
            Ok(b)
        })
        .unwrap();
    let peer = server.join().unwrap();
    match got {
        Ok(b) if b == b"hi" => peer,
        _ => None,
    }
}

/// `tcp_peer`, retried a few times: a fresh namespace's IPv6 link-local addresses are
/// tentative for about a second (DAD), during which neighbour discovery may stall.
fn tcp_peer_eventually(server_ns: &str, bind: &str, client_ns: &str, to: &str) -> Option<IpAddr> {
    for _ in 0..4 {
        if let Some(p) = tcp_peer(server_ns, bind, client_ns, to) {
            return Some(p);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    None
}

/// A UDP echo in `server_ns` on `bind`; the client in `client_ns` sends to `to` and waits.
fn udp_echo(server_ns: &str, bind: &str, client_ns: &str, to: &str) -> bool {
    let bind: SocketAddr = bind.parse().unwrap();
    let to: SocketAddr = to.parse().unwrap();
    let sock = Netns::open(server_ns)
        .unwrap()
        .run(move || UdpSocket::bind(bind))
        .unwrap()
        .unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            let _ = sock.send_to(&buf[..n], from);
        }
    });
    let ok = Netns::open(client_ns)
        .unwrap()
        .run(move || -> std::io::Result<bool> {
            let c = UdpSocket::bind(if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" })?;
            c.set_read_timeout(Some(Duration::from_millis(1000)))?;
            c.send_to(b"ping", to)?;
            let mut buf = [0u8; 64];
            Ok(matches!(c.recv_from(&mut buf), Ok((4, _))))
        })
        .unwrap()
        .unwrap_or(false);
    let _ = server.join();
    ok
}

#[test]
fn nat_expose_hairpin_drift_and_down() {
    let Some(env) = Env::new("nat_expose_hairpin_drift_and_down") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    let g = graph(CONFIG, &mut state);
    converge(&mut b, &g, &mut state);
    let web = env.jail("web");
    let other = env.jail("other");

    // Outbound NAT: upstream sees the host's uplink address.
    assert_eq!(
        tcp_peer(
            &env.up,
            &format!("{INTERNET}:9000"),
            &web,
            &format!("{INTERNET}:9000")
        ),
        Some(ip(HOST_UP4))
    );
    // Inbound: upstream reaches the jail's TCP and UDP services through the uplink ports.
    assert!(tcp_peer(&web, "0.0.0.0:80", &env.up, &format!("{HOST_UP4}:8080")).is_some());
    assert!(udp_echo(
        &web,
        "0.0.0.0:53",
        &env.up,
        &format!("{HOST_UP4}:5353")
    ));
    // IPv6: the jail has IPv6, so the port is forwarded there too.
    assert!(tcp_peer_eventually(&web, "[::]:80", &env.up, &format!("[{HOST_UP6}]:8080")).is_some());
    // A port that is not exposed is unreachable, even with a server behind it.
    assert!(tcp_peer(&web, "0.0.0.0:81", &env.up, &format!("{HOST_UP4}:81")).is_none());
    assert!(tcp_peer(&web, "0.0.0.0:81", &env.up, "10.90.1.10:81").is_none());
    // Hairpin: the host itself and another jail reach the exposed port via the uplink.
    assert!(tcp_peer(&web, "0.0.0.0:80", &env.host, &format!("{HOST_UP4}:8080")).is_some());
    assert!(tcp_peer(&web, "0.0.0.0:80", &other, &format!("{HOST_UP4}:8080")).is_some());

    // Only jailnet's table exists, and it is tagged.
    let tables = env.nft(&["list", "tables"]);
    assert_eq!(tables.trim(), "table inet jailnet", "{tables}");
    assert!(env
        .nft(&["list", "table", "inet", "jailnet"])
        .contains("comment \"jailnet firewall:rdr-web "));

    // Drift: someone flushes the table; up notices and re-applies.
    env.nft(&["flush", "table", "inet", "jailnet"]);
    let p = plan_for(&mut b, &g, &state);
    assert!(
        p.changes.iter().any(|c| c.id.0 == "firewall:rdr-web"),
        "{}",
        p.render_text()
    );
    converge(&mut b, &g, &mut state);
    assert!(tcp_peer(&web, "0.0.0.0:80", &env.up, &format!("{HOST_UP4}:8080")).is_some());

    // down removes the table completely.
    converge(&mut b, &Graph::default(), &mut state);
    assert_eq!(env.nft(&["list", "tables"]).trim(), "");
}

#[test]
fn changing_one_expose_rewrites_the_table_once() {
    let Some(env) = Env::new("changing_one_expose_rewrites_the_table_once") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    let g = graph(CONFIG, &mut state);
    converge(&mut b, &g, &mut state);
    let g2 = graph(&CONFIG.replace("tcp/8080:80", "tcp/8081:80"), &mut state);
    let p = converge(&mut b, &g2, &mut state);
    let ids: Vec<&str> = p.changes.iter().map(|c| c.id.0.as_str()).collect();
    assert_eq!(ids, ["firewall:rdr-web"]);
    let web = env.jail("web");
    assert!(tcp_peer(&web, "0.0.0.0:80", &env.up, &format!("{HOST_UP4}:8081")).is_some());
    assert!(tcp_peer(&web, "0.0.0.0:80", &env.up, &format!("{HOST_UP4}:8080")).is_none());
    converge(&mut b, &Graph::default(), &mut state);
}
