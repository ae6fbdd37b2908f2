//! Root-only tests of secure NICs on Linux (seed 001's secure VNET: table `bridge jailnet`),
//! with real traffic on one switch between a secure jail `evil`, an ordinary jail `victim`
//! and the gateway (the sandbox host's bridge address): evil's own traffic passes; a foreign
//! source address, a changed MAC, forged ARP and other ethertypes do not. Everything is
//! removed on drop. Not root (or no nft) → `SKIP:`.

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use jailnet_linux::{AddrOptions, LinkRef, MacAddr, Netns};
use jailnet_plan::{apply, diff, Backend, Graph, ResourceId, State};

mod util;
use util::frames::{self, packet_socket, send_frames};
use util::host::SandboxHost;
use util::pipeline::{converge, graph, plan_for};

const GW: &str = "10.7.7.1";
const EVIL: &str = "10.7.7.66";
const VICTIM: &str = "10.7.7.10";
const FOREIGN: &str = "10.7.7.99";

const CONFIG: &str = r#"
[switch.lan]
ifname = "jsec"
address = ["10.7.7.1/24", "fd00:7::1/64"]
dhcp = { hosts = { "58:9c:fc:00:07:07" = "10.7.7.70" } }

[jail.evil]
[[jail.evil.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["10.7.7.66/24"]
ip6 = ["fd00:7::66/64"]
secure = true

[jail.victim]
[[jail.victim.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["10.7.7.10/24"]
ip6 = ["fd00:7::10/64"]

[vm.guest]
[[vm.guest.nic]]
switch = "lan"
mac = "58:9c:fc:00:07:07"
secure = true
"#;

/// The sandbox (see `util::host`), its loopback up, and `nft` run inside it.
struct Env(SandboxHost);

impl std::ops::Deref for Env {
    type Target = SandboxHost;
    fn deref(&self) -> &SandboxHost {
        &self.0
    }
}

impl Env {
    fn new(test: &str) -> Option<Env> {
        if Command::new("nft").arg("--version").output().is_err() {
            eprintln!("SKIP: {test}: nft is not installed (scripts/deps.sh installs it)");
            return None;
        }
        let env = Env(SandboxHost::new(test)?);
        let mut nl = env.netlink(&env.host);
        nl.set_up(LinkRef::Name("lo"), true).unwrap();
        Some(env)
    }

    fn nft(&self, args: &[&str]) -> String {
        self.output("nft", args)
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// `ping` from namespace `ns` to `dst`: `tries` echo requests, one second each.
fn ping(ns: &str, dst: &str, tries: u32) -> bool {
    let v6 = if dst.contains(':') { "-6" } else { "-4" };
    (0..tries).any(|_| {
        Command::new("ip")
            .args([
                "netns", "exec", ns, "ping", v6, "-c", "1", "-W", "1", "-q", dst,
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A TCP round trip from namespace `client` to `addr`, served from namespace `server`.
fn tcp(server: &str, addr: &str, client: &str) -> bool {
    let addr: SocketAddr = addr.parse().unwrap();
    let listener = Netns::open(server)
        .unwrap()
        .run(move || TcpListener::bind(addr))
        .unwrap()
        .unwrap();
    listener.set_nonblocking(true).unwrap();
    let serve = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok((mut s, _)) = listener.accept() {
                use std::io::Write;
                let _ = s.write_all(b"hi");
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let ok = Netns::open(client)
        .unwrap()
        .run(move || {
            use std::io::Read;
            let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(1500)) else {
                return false;
            };
            s.set_read_timeout(Some(Duration::from_secs(1))).ok();
            let mut b = [0u8; 2];
            s.read_exact(&mut b).is_ok() && &b == b"hi"
        })
        .unwrap();
    serve.join().unwrap();
    ok
}

/// One UDP datagram from `from` (a local address in namespace `client`) to `to`, served in
/// namespace `server`: whether it arrived, and from which address.
fn udp_from(server: &str, to: &str, client: &str, from: &str) -> Option<IpAddr> {
    let to: SocketAddr = to.parse().unwrap();
    let from: SocketAddr = SocketAddr::new(ip(from), 0);
    let sock = Netns::open(server)
        .unwrap()
        .run(move || UdpSocket::bind(to))
        .unwrap()
        .unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(1000)))
        .unwrap();
    let sent = Netns::open(client)
        .unwrap()
        .run(move || -> std::io::Result<()> {
            let c = UdpSocket::bind(from)?;
            for _ in 0..3 {
                c.send_to(b"spoof?", to)?;
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(())
        })
        .unwrap();
    sent.unwrap();
    let mut buf = [0u8; 16];
    sock.recv_from(&mut buf).ok().map(|(_, peer)| peer.ip())
}

/// The link-layer address namespace `ns` has for `addr` in its neighbour table.
fn neigh(ns: &str, addr: &str) -> Option<String> {
    let out = Command::new("ip")
        .args(["-n", ns, "-j", "neigh", "show", "to", addr])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v.as_array()?
        .first()?
        .get("lladdr")?
        .as_str()
        .map(str::to_string)
}

fn mac_str(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// An ARP frame: `op` 1 request / 2 reply, sender (`sha`, `spa`), target (`tha`, `tpa`).
fn arp(
    dst: [u8; 6],
    src: [u8; 6],
    op: u16,
    sha: [u8; 6],
    spa: &str,
    tha: [u8; 6],
    tpa: &str,
) -> Vec<u8> {
    let v4 = |s: &str| match ip(s) {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(_) => unreachable!(),
    };
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4]);
    f.extend_from_slice(&op.to_be_bytes());
    f.extend_from_slice(&sha);
    f.extend_from_slice(&v4(spa));
    f.extend_from_slice(&tha);
    f.extend_from_slice(&v4(tpa));
    f
}

/// An unsolicited IPv6 neighbour advertisement (override flag) from `src` to `dst` saying
/// `target` is at `src_mac`, with a correct ICMPv6 checksum.
fn na(dst_mac: [u8; 6], src_mac: [u8; 6], src: &str, dst: &str, target: &str) -> Vec<u8> {
    let v6 = |s: &str| match ip(s) {
        IpAddr::V6(a) => a,
        IpAddr::V4(_) => unreachable!(),
    };
    let mut icmp = vec![136, 0, 0, 0, 0x20, 0, 0, 0];
    icmp.extend_from_slice(&v6(target).octets());
    icmp.extend_from_slice(&[2, 1]);
    icmp.extend_from_slice(&src_mac);
    frames::icmpv6(dst_mac, src_mac, v6(src), v6(dst), &[], icmp)
}

/// Whether a frame containing `marker` reaches `ifname` in namespace `sniff_ns` while
/// `frames` are sent out of `send_if` in namespace `send_ns`.
fn frame_arrives(
    sniff_ns: &str,
    ifname: &str,
    marker: &'static [u8],
    send_ns: &str,
    send_if: &str,
    frames: Vec<Vec<u8>>,
) -> bool {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (ns, ifname) = (sniff_ns.to_string(), ifname.to_string());
    let sniffer = std::thread::spawn(move || {
        Netns::open(&ns)
            .unwrap()
            .run(move || {
                let (s, _) = packet_socket(&ifname, libc::ETH_P_ALL as u16);
                let tv = libc::timeval {
                    tv_sec: 0,
                    tv_usec: 100_000,
                };
                // SAFETY: `tv` is a valid timeval of the given size.
                unsafe {
                    libc::setsockopt(
                        s,
                        libc::SOL_SOCKET,
                        libc::SO_RCVTIMEO,
                        &tv as *const _ as *const libc::c_void,
                        std::mem::size_of_val(&tv) as u32,
                    )
                };
                ready_tx.send(()).unwrap();
                let deadline = Instant::now() + Duration::from_millis(800);
                let mut seen = false;
                while !seen && Instant::now() < deadline {
                    let mut buf = [0u8; 2048];
                    // SAFETY: `buf` is valid for its length.
                    let n = unsafe { libc::recv(s, buf.as_mut_ptr() as *mut _, buf.len(), 0) };
                    if n > 0 {
                        seen = buf[..n as usize].windows(marker.len()).any(|w| w == marker);
                    }
                }
                // SAFETY: `s` is our socket.
                unsafe { libc::close(s) };
                seen
            })
            .unwrap()
    });
    ready_rx.recv().unwrap();
    send_frames(send_ns, send_if, frames);
    sniffer.join().unwrap()
}

/// A frame of ethertype `ethertype` (0x8100: VLAN 100 over IPv4) carrying `marker`.
fn marked_frame(dst: [u8; 6], src: [u8; 6], ethertype: u16, marker: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    if ethertype == 0x8100 {
        f.extend_from_slice(&[0x00, 0x64, 0x08, 0x00]);
    }
    f.extend_from_slice(marker);
    f.resize(f.len().max(60), 0);
    f
}

/// What got through of each attack evil makes on the switch.
#[derive(Debug, PartialEq, Eq)]
struct Attacks {
    /// UDP from a second, foreign IPv4 / IPv6 address to victim and to the gateway.
    foreign_ip4: [bool; 2],
    foreign_ip6: [bool; 2],
    /// UDP from evil's own address after it changed its MAC, to victim and the gateway.
    other_mac: [bool; 2],
    /// Forged ARP: the gateway's entry for victim, victim's entry for the gateway changed.
    forged_arp: [bool; 2],
    /// The same with IPv6 neighbour advertisements.
    forged_na: [bool; 2],
    /// A VLAN-tagged frame and a frame of another ethertype reached victim.
    other_ethertype: [bool; 2],
}

impl Attacks {
    fn none() -> Attacks {
        Attacks {
            foreign_ip4: [false; 2],
            foreign_ip6: [false; 2],
            other_mac: [false; 2],
            forged_arp: [false; 2],
            forged_na: [false; 2],
            other_ethertype: [false; 2],
        }
    }

    fn all() -> Attacks {
        Attacks {
            foreign_ip4: [true; 2],
            foreign_ip6: [true; 2],
            other_mac: [true; 2],
            forged_arp: [true; 2],
            forged_na: [true; 2],
            other_ethertype: [true; 2],
        }
    }
}

/// Evil (jail `evil`, interface vnet0) tries everything seed 001 says a jail on a shared
/// bridge can do to its neighbours. Neighbour entries are made first by real traffic, so
/// what stops a forged packet is the guard, not a failed ARP lookup.
fn attack(env: &Env, state: &State) -> Attacks {
    let (evil, victim) = (env.jail("evil"), env.jail("victim"));
    let evil_mac = state.allocations.nics["jail/evil/vnet0"].mac.0;
    let victim_mac = state.allocations.nics["jail/victim/vnet0"].mac.0;
    let gw_mac = env
        .netlink(&env.host)
        .links()
        .unwrap()
        .into_iter()
        .find(|l| l.name == "jsec")
        .unwrap()
        .mac
        .unwrap()
        .0;
    for (from, to) in [
        (&evil, VICTIM),
        (&evil, GW),
        (&evil, "fd00:7::10"),
        (&evil, "fd00:7::1"),
        (&env.host, VICTIM),
        (&victim, GW),
    ] {
        assert!(ping(from, to, 4), "{from} -> {to}");
    }

    // A foreign source address: evil adds one and sends from it.
    let nodad = AddrOptions { nodad: true };
    let mut en = env.netlink(&evil);
    en.add_address(LinkRef::Name("vnet0"), ip(FOREIGN), 24, nodad)
        .unwrap();
    en.add_address(LinkRef::Name("vnet0"), ip("fd00:7::99"), 64, nodad)
        .unwrap();
    let foreign_ip4 = [
        udp_from(&victim, "10.7.7.10:7005", &evil, FOREIGN).is_some(),
        udp_from(&env.host, "10.7.7.1:7006", &evil, FOREIGN).is_some(),
    ];
    let foreign_ip6 = [
        udp_from(&victim, "[fd00:7::10]:7007", &evil, "fd00:7::99").is_some(),
        udp_from(&env.host, "[fd00:7::1]:7008", &evil, "fd00:7::99").is_some(),
    ];
    en.delete_address(LinkRef::Name("vnet0"), ip(FOREIGN), 24)
        .unwrap();
    en.delete_address(LinkRef::Name("vnet0"), ip("fd00:7::99"), 64)
        .unwrap();

    // Another MAC, its own address.
    en.set_mac(
        LinkRef::Name("vnet0"),
        MacAddr([0x02, 0x66, 0x66, 0x66, 0x66, 0x66]),
    )
    .unwrap();
    let other_mac = [
        udp_from(&victim, "10.7.7.10:7009", &evil, EVIL).is_some(),
        udp_from(&env.host, "10.7.7.1:7010", &evil, EVIL).is_some(),
    ];
    en.set_mac(LinkRef::Name("vnet0"), MacAddr(evil_mac))
        .unwrap();

    // Forged ARP: evil claims victim's address to the gateway (a gratuitous request and a
    // unicast reply: the bridge's input hook) and the gateway's address to victim (forward).
    assert!(ping(&env.host, VICTIM, 3) && ping(&victim, GW, 3));
    std::thread::sleep(Duration::from_millis(1100)); // past the neighbour locktime
    let bcast = [0xff; 6];
    send_frames(
        &evil,
        "vnet0",
        vec![
            arp(bcast, evil_mac, 1, evil_mac, VICTIM, [0; 6], VICTIM),
            arp(gw_mac, evil_mac, 2, evil_mac, VICTIM, gw_mac, GW),
            arp(bcast, evil_mac, 1, evil_mac, GW, [0; 6], GW),
            arp(victim_mac, evil_mac, 2, evil_mac, GW, victim_mac, VICTIM),
        ],
    );
    std::thread::sleep(Duration::from_millis(200));
    let forged_arp = [
        neigh(&env.host, VICTIM) != Some(mac_str(victim_mac)),
        neigh(&victim, GW) != Some(mac_str(gw_mac)),
    ];

    // Forged neighbour advertisements, from evil's own IPv6 address: victim's address to
    // the gateway, the gateway's to victim (unsolicited, override: replaces the entries).
    assert!(ping(&env.host, "fd00:7::10", 3) && ping(&victim, "fd00:7::1", 3));
    send_frames(
        &evil,
        "vnet0",
        vec![
            na(gw_mac, evil_mac, "fd00:7::66", "fd00:7::1", "fd00:7::10"),
            na(
                victim_mac,
                evil_mac,
                "fd00:7::66",
                "fd00:7::10",
                "fd00:7::1",
            ),
        ],
    );
    std::thread::sleep(Duration::from_millis(200));
    let forged_na = [
        neigh(&env.host, "fd00:7::10") != Some(mac_str(victim_mac)),
        neigh(&victim, "fd00:7::1") != Some(mac_str(gw_mac)),
    ];

    // Other ethertypes, VLAN-tagged frames included.
    let vlan = marked_frame(victim_mac, evil_mac, 0x8100, b"jailnet-vlan-marker");
    let other = marked_frame(victim_mac, evil_mac, 0x88b5, b"jailnet-88b5-marker");
    let other_ethertype = [
        frame_arrives(
            &victim,
            "vnet0",
            b"jailnet-vlan-marker",
            &evil,
            "vnet0",
            vec![vlan],
        ),
        frame_arrives(
            &victim,
            "vnet0",
            b"jailnet-88b5-marker",
            &evil,
            "vnet0",
            vec![other],
        ),
    ];
    Attacks {
        foreign_ip4,
        foreign_ip6,
        other_mac,
        forged_arp,
        forged_na,
        other_ethertype,
    }
}

#[test]
fn a_secure_jail_sends_only_from_its_own_mac_and_addresses() {
    let Some(env) = Env::new("a_secure_jail_sends_only_from_its_own_mac_and_addresses") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    let g = graph(CONFIG, &mut state);
    let p = converge(&mut b, &g, &mut state);
    let guards: Vec<&str> = p
        .changes
        .iter()
        .map(|c| c.id.0.as_str())
        .filter(|id| id.starts_with("guard:"))
        .collect();
    assert_eq!(guards.len(), 2, "{}", p.render_text());
    let (evil, victim) = (env.jail("evil"), env.jail("victim"));
    let tap = state.allocations.nics["vm/guest/0"].host_ifname.to_string();

    // The rules: one chain per guarded port (the jail's veth and the VM's tap), tagged, and
    // observe reports both guards as they are.
    let table = env.nft(&["list", "table", "bridge", "jailnet"]);
    for port in ["evil-vnet0", tap.as_str()] {
        assert!(table.contains(&format!("chain guard_{port} {{")), "{table}");
        assert!(
            table.contains(&format!("comment \"jailnet guard:{port} ")),
            "{table}"
        );
    }
    assert!(
        table.contains("58:9c:fc:00:07:07") && table.contains("10.7.7.70"),
        "{table}"
    );
    let o = b.observe(&g.nodes.values().collect::<Vec<_>>()).unwrap();
    for port in ["evil-vnet0", tap.as_str()] {
        let id = ResourceId(format!("guard:{port}"));
        assert!(o.tagged.contains(&id), "{:?}", o.tagged);
        assert_eq!(o.resources.get(&id), g.nodes.get(&id));
    }

    // Legitimate traffic passes, both families, to the other jail and to the gateway.
    assert!(ping(&evil, VICTIM, 3), "evil -> victim");
    assert!(ping(&evil, GW, 3), "evil -> gateway");
    assert!(ping(&evil, "fd00:7::10", 4), "evil -> victim over IPv6");
    assert!(ping(&evil, "fd00:7::1", 3), "evil -> gateway over IPv6");
    assert!(tcp(&victim, "10.7.7.10:7001", &evil), "tcp evil -> victim");
    assert!(
        tcp(&env.host, "10.7.7.1:7002", &evil),
        "tcp evil -> gateway"
    );
    assert!(tcp(&evil, "10.7.7.66:7003", &victim), "tcp victim -> evil");
    assert_eq!(
        udp_from(&victim, "10.7.7.10:7004", &evil, EVIL),
        Some(ip(EVIL))
    );
    assert_eq!(
        udp_from(&victim, "[fd00:7::10]:7004", &evil, "fd00:7::66"),
        Some(ip("fd00:7::66"))
    );

    // Every attack is stopped ...
    assert_eq!(attack(&env, &state), Attacks::none());
    // ... evil works again with its own MAC and address, and victim was never disturbed.
    assert!(ping(&evil, VICTIM, 3), "evil -> victim afterwards");
    assert!(
        ping(&env.host, VICTIM, 2),
        "gateway -> victim after forged ARP"
    );
    assert!(
        ping(&env.host, "fd00:7::10", 2),
        "gateway -> victim over IPv6 after forged advertisements"
    );
    assert!(
        tcp(&victim, "10.7.7.10:7012", &env.host),
        "tcp gateway -> victim after forged ARP"
    );
    assert!(
        tcp(&env.host, "10.7.7.1:7013", &victim),
        "tcp victim -> gateway after forged ARP"
    );

    // down: no table of any family is left in the sandbox host.
    converge(&mut b, &Graph::default(), &mut state);
    assert_eq!(env.nft(&["list", "tables"]).trim(), "");
}

#[test]
fn without_secure_every_attack_gets_through() {
    // The control: the same switch with evil's NIC not secure, so the checks above are
    // known to see each attack when nothing stops it.
    let Some(env) = Env::new("without_secure_every_attack_gets_through") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    let text = CONFIG.replacen("secure = true\n", "", 1);
    let g = graph(&text, &mut state);
    converge(&mut b, &g, &mut state);
    assert!(!env
        .nft(&["list", "table", "bridge", "jailnet"])
        .contains("evil-vnet0"));
    assert_eq!(attack(&env, &state), Attacks::all());
    converge(&mut b, &Graph::default(), &mut state);
    assert_eq!(env.nft(&["list", "tables"]).trim(), "");
}

#[test]
fn guard_drift_is_repaired_and_leftovers_are_collected() {
    let Some(env) = Env::new("guard_drift_is_repaired_and_leftovers_are_collected") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    let g = graph(CONFIG, &mut state);
    converge(&mut b, &g, &mut state);
    let evil = env.jail("evil");
    let evil_guard = ResourceId("guard:evil-vnet0".into());

    // Someone flushes the bridge table: the plan recreates the guards, and only them.
    env.nft(&["flush", "table", "bridge", "jailnet"]);
    let p = plan_for(&mut b, &g, &state);
    assert!(
        p.changes.iter().all(|c| c.id.0.starts_with("guard:")),
        "{}",
        p.render_text()
    );
    assert_eq!(p.changes.len(), 2, "{}", p.render_text());
    converge(&mut b, &g, &mut state);

    // Someone deletes one rule: that guard is rewritten in place.
    let handles = env.nft(&[
        "-a",
        "list",
        "chain",
        "bridge",
        "jailnet",
        "guard_evil-vnet0",
    ]);
    let handle = handles
        .lines()
        .find(|l| l.contains("drop comment"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .to_string();
    env.nft(&[
        "delete",
        "rule",
        "bridge",
        "jailnet",
        "guard_evil-vnet0",
        "handle",
        &handle,
    ]);
    let p = plan_for(&mut b, &g, &state);
    let ids: Vec<&str> = p.changes.iter().map(|c| c.id.0.as_str()).collect();
    assert_eq!(ids, ["guard:evil-vnet0"], "{}", p.render_text());
    assert!(
        p.render_text().contains("rules changed on the host"),
        "{}",
        p.render_text()
    );
    converge(&mut b, &g, &mut state);

    // The whole table is deleted: repaired too, and the foreign source is blocked again.
    env.nft(&["delete", "table", "bridge", "jailnet"]);
    converge(&mut b, &g, &mut state);
    assert!(ping(&evil, VICTIM, 3));
    let mut en = env.netlink(&evil);
    en.add_address(
        LinkRef::Name("vnet0"),
        ip(FOREIGN),
        24,
        AddrOptions { nodad: true },
    )
    .unwrap();
    assert_eq!(
        udp_from(&env.jail("victim"), "10.7.7.10:7020", &evil, FOREIGN),
        None
    );
    en.delete_address(LinkRef::Name("vnet0"), ip(FOREIGN), 24)
        .unwrap();

    // `plan --commands` shows the exact rules.
    let create = p.changes.iter().find(|c| c.id == evil_guard).unwrap();
    let lines = b.commands(create);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("iifname \"evil-vnet0\" jump guard_evil-vnet0")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("ip saddr { 10.7.7.66 } accept")),
        "{lines:?}"
    );

    // The state file is lost: the tagged rules are still found and a gc removes them.
    let mut lost = env.backend();
    let o = lost.observe(&[]).unwrap();
    assert!(o.tagged.contains(&evil_guard), "{:?}", o.tagged);
    assert!(o.resources.get(&evil_guard).is_some());
    let gc = diff(&Graph::default(), &o, &State::default());
    apply(&gc, &mut lost, &mut State::default(), &mut |_, _| {}).unwrap();
    assert!(!env.nft(&["list", "tables"]).contains("bridge jailnet"));
    assert!(lost.observe(&[]).unwrap().tagged.is_empty());

    converge(&mut b, &Graph::default(), &mut state);
    assert_eq!(env.nft(&["list", "tables"]).trim(), "");
}
