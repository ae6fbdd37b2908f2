//! Root-only tests of `LinuxBackend` against the real kernel: each test builds a
//! throwaway sandbox "host" namespace (plus its jail namespaces and a temporary
//! /etc/netns), runs the whole plan pipeline, and proves the result with real
//! traffic (raw-socket ICMP echo and TCP from threads inside the namespaces).
//! Everything is removed on drop, even when a test fails. Not root → `SKIP:`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use jailnet_linux::{LinuxBackend, LinuxOptions, Netlink, Netns};
use jailnet_plan::resource::ResolvConf;
use jailnet_plan::{
    apply, diff, Backend, BackendError, Change, Graph, Observed, Op, Resource, ResourceId, State,
};

mod util;
use util::host::SandboxHost;
use util::pipeline::{down, graph, plan_for, up};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The sandbox (see `util::host`).
struct Env(SandboxHost);

impl std::ops::Deref for Env {
    type Target = SandboxHost;
    fn deref(&self) -> &SandboxHost {
        &self.0
    }
}

impl Env {
    fn new(test: &str) -> Option<Env> {
        SandboxHost::new(test).map(Env)
    }

    fn jail_ns(&self, jail: &str) -> String {
        self.jail(jail)
    }

    /// Jail namespaces of this sandbox that exist.
    fn jail_namespaces(&self) -> Vec<String> {
        util::jail_namespaces(&self.host)
    }

    fn host_netlink(&self) -> Netlink {
        self.netlink(&self.host)
    }

    /// Links, addresses, routes and forwarding settings of the sandbox host, and
    /// the jail namespaces and resolver files that exist.
    fn snapshot(&self) -> String {
        let mut nl = self.host_netlink();
        let links = nl.links().unwrap();
        let names: BTreeMap<u32, String> =
            links.iter().map(|l| (l.index, l.name.clone())).collect();
        let mut out = Vec::new();
        for l in &links {
            out.push(format!(
                "link {} {:?} mtu {} up {} master {:?} alias {:?}",
                l.name,
                l.kind,
                l.mtu,
                l.up,
                l.master.map(|m| names.get(&m).cloned()),
                l.alias
            ));
        }
        for a in nl.addresses().unwrap() {
            out.push(format!(
                "addr {} {}/{}",
                names[&a.index], a.addr, a.prefix_len
            ));
        }
        for r in nl.routes().unwrap() {
            out.push(format!(
                "route {}/{} via {:?} oif {:?}",
                r.dst, r.dst_len, r.gateway, r.oif
            ));
        }
        let fd = Netns::open(&self.host).unwrap().fd().unwrap();
        for k in ["net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"] {
            out.push(format!(
                "{k} = {}",
                jailnet_linux::sysctl::read_in(&fd, k).unwrap()
            ));
        }
        out.extend(
            self.jail_namespaces()
                .into_iter()
                .map(|n| format!("netns {n}")),
        );
        out.extend(files(&self.etc).into_iter().map(|f| format!("file {f}")));
        out.sort();
        out.join("\n")
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            out.push(p.display().to_string());
            if p.is_dir() {
                out.extend(files(&p));
            }
        }
    }
    out.sort();
    out
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Run `f` on a thread inside namespace `ns`.
fn in_ns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    Netns::open(ns).unwrap().run(f).unwrap()
}

/// ICMP echo from inside namespace `ns` to `dst` (raw socket; a few tries).
fn ping(ns: &str, dst: &str) -> bool {
    let dst = ip(dst);
    in_ns(ns, move || {
        (0..3).any(|seq| echo(dst, seq, Duration::from_millis(700)))
    })
}

/// Like [`ping`], for addresses that must NOT answer (shorter wait).
fn ping_blocked(ns: &str, dst: &str) -> bool {
    let dst = ip(dst);
    !in_ns(ns, move || {
        (0..2).any(|seq| echo(dst, seq, Duration::from_millis(400)))
    })
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn echo(dst: IpAddr, seq: u16, wait: Duration) -> bool {
    let id = (std::process::id() as u16) ^ (COUNTER.fetch_add(1, Ordering::Relaxed) as u16);
    let (domain, proto, req, rep) = match dst {
        IpAddr::V4(_) => (libc::AF_INET, libc::IPPROTO_ICMP, 8u8, 0u8),
        IpAddr::V6(_) => (libc::AF_INET6, libc::IPPROTO_ICMPV6, 128u8, 129u8),
    };
    let mut pkt = vec![req, 0, 0, 0];
    pkt.extend_from_slice(&id.to_be_bytes());
    pkt.extend_from_slice(&seq.to_be_bytes());
    pkt.extend_from_slice(b"jailnet!");
    if dst.is_ipv4() {
        let c = checksum(&pkt);
        pkt[2..4].copy_from_slice(&c.to_be_bytes());
    }
    // SAFETY: plain socket calls with correctly sized buffers and addresses.
    unsafe {
        let s = libc::socket(domain, libc::SOCK_RAW, proto);
        assert!(s >= 0, "raw socket: {}", std::io::Error::last_os_error());
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 100_000,
        };
        libc::setsockopt(
            s,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &tv as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
        let sent = match dst {
            IpAddr::V4(a) => {
                let mut sa: libc::sockaddr_in = std::mem::zeroed();
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_addr.s_addr = u32::from_ne_bytes(a.octets());
                libc::sendto(
                    s,
                    pkt.as_ptr() as *const _,
                    pkt.len(),
                    0,
                    &sa as *const _ as *const libc::sockaddr,
                    std::mem::size_of_val(&sa) as libc::socklen_t,
                )
            }
            IpAddr::V6(a) => {
                let mut sa: libc::sockaddr_in6 = std::mem::zeroed();
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_addr.s6_addr = a.octets();
                libc::sendto(
                    s,
                    pkt.as_ptr() as *const _,
                    pkt.len(),
                    0,
                    &sa as *const _ as *const libc::sockaddr,
                    std::mem::size_of_val(&sa) as libc::socklen_t,
                )
            }
        };
        let deadline = Instant::now() + wait;
        let mut ok = false;
        while sent > 0 && Instant::now() < deadline {
            let mut buf = [0u8; 1500];
            let n = libc::recv(s, buf.as_mut_ptr() as *mut _, buf.len(), 0);
            if n <= 0 {
                continue;
            }
            let b = &buf[..n as usize];
            let icmp = if dst.is_ipv4() {
                &b[usize::from(b[0] & 0xf) * 4..]
            } else {
                b
            };
            if icmp.len() >= 8 && icmp[0] == rep && icmp[4..6] == id.to_be_bytes() {
                ok = true;
                break;
            }
        }
        libc::close(s);
        ok
    }
}

/// A TCP round trip from namespace `client` to `addr`, served from namespace `server`.
fn tcp(server: &str, addr: &str, client: &str) -> bool {
    let addr: SocketAddr = addr.parse().unwrap();
    let listener = in_ns(server, move || TcpListener::bind(addr)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let serve = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            match listener.accept() {
                Ok((mut s, _)) => {
                    s.set_nonblocking(false).ok();
                    let mut b = [0u8; 5];
                    if s.read_exact(&mut b).is_ok() {
                        let _ = s.write_all(&b);
                    }
                    return;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    let ok = in_ns(client, move || -> bool {
        let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
            return false;
        };
        let mut b = [0u8; 5];
        s.set_read_timeout(Some(Duration::from_secs(2))).ok();
        s.write_all(b"hello").is_ok() && s.read_exact(&mut b).is_ok() && &b == b"hello"
    });
    serve.join().unwrap();
    ok
}

const TWO: &str = r#"
[switch.lan]
ifname = "jlan"
address = ["10.1.1.1/24", "fd00:1::1/64"]

[jail.a]
resolver = ["nameserver 10.1.1.1", "search example.org"]
[[jail.a.nic]]
switch = "lan"
ip4 = ["10.1.1.2/24"]
ip6 = ["fd00:1::2/64"]

[jail.b]
[[jail.b.nic]]
switch = "lan"
ip4 = ["10.1.1.3/24"]
ip6 = ["fd00:1::3/64"]
"#;

#[test]
fn two_vnet_jails_talk_then_down_leaves_the_host_as_before() {
    let Some(env) = Env::new("two_vnet_jails") else {
        return;
    };
    let before = env.snapshot();
    let mut b = env.backend();
    let mut state = State::default();
    let plan = up(&mut b, TWO, &mut state);
    assert!(plan.changes.iter().any(|c| c.id.0 == "nic:a/vnet0"));
    let (a, bj) = (env.jail_ns("a"), env.jail_ns("b"));

    assert!(ping(&a, "10.1.1.3"), "a -> b");
    assert!(ping(&a, "10.1.1.1"), "a -> gateway");
    assert!(ping(&bj, "10.1.1.2"), "b -> a");
    assert!(ping(&a, "fd00:1::3"), "a -> b over IPv6");
    assert!(ping(&a, "fd00:1::1"), "a -> gateway over IPv6");
    assert!(tcp(&bj, "10.1.1.3:7001", &a), "tcp a -> b");
    assert!(tcp(&env.host, "10.1.1.1:7002", &a), "tcp a -> gateway");
    assert!(tcp(&a, "[fd00:1::2]:7003", &bj), "tcp b -> a over IPv6");

    // The host end is tagged, the peer has the allocated MAC and name.
    let mut nl = env.host_netlink();
    let host_end = nl
        .links()
        .unwrap()
        .into_iter()
        .find(|l| l.name == "a-vnet0")
        .unwrap();
    assert_eq!(host_end.alias.as_deref(), Some("jailnet:nic:a/vnet0"));
    assert!(host_end.up);
    let inside = Netlink::open_in(&Netns::open(&a).unwrap().fd().unwrap())
        .unwrap()
        .links()
        .unwrap();
    let mac = state.allocations.nics["jail/a/vnet0"].mac;
    assert!(inside
        .iter()
        .any(|l| l.name == "vnet0" && l.mac.map(|m| m.0) == Some(mac.0) && l.up));

    // Up again: nothing to do, also from a fresh backend.
    let mut fresh = env.backend();
    let g = graph(TWO, &mut state);
    assert!(plan_for(&mut fresh, &g, &state).is_empty());

    let gone = down(&mut b, &mut state);
    assert!(
        gone.changes.iter().all(|c| c.op != Op::Create),
        "{}",
        gone.render_text()
    );
    assert!(state.owned.is_empty() && state.restore.is_empty());
    assert_eq!(env.snapshot(), before);
    assert!(env.jail_namespaces().is_empty());
}

#[test]
fn the_gateway_keeps_its_mac_while_jails_come_and_go() {
    let Some(env) = Env::new("gateway_mac") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    let bridge_mac = |env: &Env| {
        let links = env.host_netlink().links().unwrap();
        links
            .into_iter()
            .find(|l| l.name == "jlan")
            .and_then(|l| l.mac)
    };
    let jails = |n: u32| {
        let mut text = TWO.split("[jail.a]").next().unwrap().to_string();
        for i in 1..=n {
            text.push_str(&format!(
                "[jail.g{i}]\n[[jail.g{i}.nic]]\nswitch = \"lan\"\nip4 = [\"10.1.1.{}/24\"]\n",
                10 + i
            ));
        }
        text
    };
    up(&mut b, &jails(0), &mut state);
    let first = bridge_mac(&env).expect("the bridge has a MAC");
    // Ports with their own (random) MACs join and leave: a bridge left to itself would
    // take the lowest of them.
    let ports: Vec<_> = (1..=6)
        .map(|n| {
            up(&mut b, &jails(n), &mut state);
            bridge_mac(&env)
        })
        .collect();
    up(&mut b, &jails(2), &mut state);
    up(&mut b, &jails(0), &mut state);
    assert!(
        ports.iter().all(|m| *m == Some(first)),
        "{first} then {ports:?}"
    );
    assert_eq!(bridge_mac(&env), Some(first));
    // The same MAC after the switch is made anew.
    down(&mut b, &mut state);
    up(&mut b, &jails(1), &mut state);
    assert_eq!(bridge_mac(&env), Some(first));
    down(&mut b, &mut state);
}

#[test]
fn a_nic_is_made_also_when_the_interface_index_jailnet_picks_is_taken() {
    let Some(env) = Env::new("index_taken") else {
        return;
    };
    // Jail `busy` exists already and holds interface indexes 2 to 41 (veths whose peers
    // are in a throwaway namespace): whatever index jailnet asks for its NIC, the kernel
    // refuses it there.
    let mut sandbox = util::Sandbox::new("index_taken").unwrap();
    let far = sandbox.ns();
    let busy = Netns::create(&env.jail_ns("busy")).unwrap();
    let mut nl = Netlink::open_in(&busy.fd().unwrap()).unwrap();
    for i in 2..42u32 {
        let (a, z) = (format!("x{i}"), format!("y{i}"));
        nl.create_veth(&jailnet_linux::VethSpec {
            index: Some(i),
            peer_netns: Some(&far.fd),
            ..jailnet_linux::VethSpec::new(&a, &z)
        })
        .unwrap();
        let x = nl.link(jailnet_linux::LinkRef::Name(&a)).unwrap().unwrap();
        assert_eq!(x.index, i);
    }
    let text = TWO
        .replace("[jail.a]", "[jail.busy]")
        .replace("jail.a.nic", "jail.busy.nic");
    let mut b = env.backend();
    let mut state = State::default();
    up(&mut b, &text, &mut state);
    assert!(ping(&env.jail_ns("busy"), "10.1.1.1"), "busy -> gateway");
    assert!(ping(&env.jail_ns("b"), "10.1.1.1"), "b -> gateway");
    // Both ends of b's NIC have the index jailnet picked; busy's had to take the kernel's.
    let host = env.host_netlink().links().unwrap();
    let host_end = |n: &str| host.iter().find(|l| l.name == n).unwrap().index;
    let jail_end = |ns: &str| {
        let links = Netlink::open_in(&Netns::open(ns).unwrap().fd().unwrap())
            .unwrap()
            .links()
            .unwrap();
        links.into_iter().find(|l| l.name == "vnet0").unwrap().index
    };
    assert_eq!(jail_end(&env.jail_ns("b")), host_end("b-vnet0"));
    assert_ne!(jail_end(&env.jail_ns("busy")), host_end("busy-vnet0"));
    down(&mut b, &mut state);
}

#[test]
fn private_switch_blocks_jails_but_not_the_gateway_and_taps_are_private() {
    let Some(env) = Env::new("private_switch") else {
        return;
    };
    let text = format!(
        "{}\n[vm.guest]\n[[vm.guest.nic]]\nswitch = \"lan\"\n",
        TWO.replace("[switch.lan]", "[switch.lan]\nprivate = true")
    );
    let before = env.snapshot();
    let mut b = env.backend();
    let mut state = State::default();
    up(&mut b, &text, &mut state);
    let (a, bj) = (env.jail_ns("a"), env.jail_ns("b"));
    assert!(ping(&a, "10.1.1.1"), "a -> gateway");
    assert!(ping(&bj, "fd00:1::1"), "b -> gateway over IPv6");
    assert!(tcp(&env.host, "10.1.1.1:7004", &bj), "tcp b -> gateway");
    assert!(ping_blocked(&a, "10.1.1.3"), "a must not reach b");
    assert!(!tcp(&bj, "10.1.1.3:7005", &a), "tcp a -> b must fail");

    let links = env.host_netlink().links().unwrap();
    let br = links.iter().find(|l| l.name == "jlan").unwrap().index;
    let tap_name = state.allocations.nics["vm/guest/0"].host_ifname.to_string();
    let tap = links.iter().find(|l| l.name == tap_name).unwrap();
    assert_eq!(tap.kind.as_deref(), Some("tun"));
    assert_eq!(tap.master, Some(br));
    assert_eq!(tap.isolated, Some(true));
    assert_eq!(tap.alias.as_deref(), Some("jailnet:tap:guest/0"));
    for n in ["a-vnet0", "b-vnet0"] {
        assert_eq!(
            links.iter().find(|l| l.name == n).unwrap().isolated,
            Some(true),
            "{n}"
        );
    }
    down(&mut b, &mut state);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn several_switches_route_through_the_host_and_shared_ip_aliases() {
    let Some(env) = Env::new("several_switches") else {
        return;
    };
    let text = r#"
[switch.one]
address = ["10.1.1.1/24"]
[switch.two]
address = ["10.2.2.1/24", "fd00:2::1/64"]
mtu = 1400

[jail.a]
[[jail.a.nic]]
switch = "one"
ip4 = ["auto"]

[jail.c]
[[jail.c.nic]]
switch = "two"
ip4 = ["10.2.2.5/24"]
ip6 = ["fd00:2::5/64"]

[jail.both]
[[jail.both.nic]]
name = "vnet0"
switch = "one"
ip4 = ["10.1.1.9/24"]
[[jail.both.nic]]
name = "vnet1"
switch = "two"
ip4 = ["10.2.2.9/24"]

[jail.plain]
ip4 = ["one|10.1.1.50/32"]
"#;
    let before = env.snapshot();
    let mut b = env.backend();
    let mut state = State::default();
    up(&mut b, text, &mut state);
    let a = env.jail_ns("a");
    assert!(
        ping(&a, "10.2.2.5"),
        "a -> c through the host (forwarding on)"
    );
    assert!(ping(&env.jail_ns("both"), "10.2.2.5"), "both -> c directly");
    assert!(
        ping(&env.jail_ns("c"), "10.1.1.50"),
        "c -> the shared-IP alias"
    );
    let links = env.host_netlink().links().unwrap();
    assert_eq!(links.iter().find(|l| l.name == "two").unwrap().mtu, 1400);
    assert_eq!(
        links.iter().find(|l| l.name == "c-vnet0").unwrap().mtu,
        1400
    );

    // Each NIC keeps its secondary addresses when the primary goes (promote_secondaries,
    // set over netlink with the NIC's addresses).
    let fd = jailnet_linux::Netns::open(&env.jail_ns("c"))
        .unwrap()
        .fd()
        .unwrap();
    assert_eq!(
        jailnet_linux::sysctl::read_in(&fd, "net/ipv4/conf/vnet0/promote_secondaries").unwrap(),
        "1"
    );
    // An address change is an in-place update of the NIC only.
    let moved = text.replace("10.2.2.5/24", "10.2.2.6/24");
    let plan = up(&mut b, &moved, &mut state);
    let ops: Vec<(Op, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.op, c.id.0.as_str()))
        .collect();
    assert_eq!(
        ops,
        vec![(Op::Update, "nic:c/vnet0")],
        "{}",
        plan.render_text()
    );
    assert!(ping(&a, "10.2.2.6"));

    down(&mut b, &mut state);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn resolver_files_are_written_atomically_with_modes_and_removed() {
    use std::os::unix::fs::PermissionsExt;
    let Some(env) = Env::new("resolver_files") else {
        return;
    };
    let text = TWO.replace("[jail.b]", "[jail.b]\nresolver = \"inherit\"");
    let mut b = env.backend();
    let mut state = State::default();
    up(&mut b, &text, &mut state);
    let a = env.etc.join(env.jail_ns("a")).join("resolv.conf");
    assert_eq!(
        std::fs::read_to_string(&a).unwrap(),
        "nameserver 10.1.1.1\nsearch example.org\n"
    );
    assert_eq!(
        std::fs::metadata(&a).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert_eq!(
        std::fs::metadata(a.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o755
    );
    let bfile = env.etc.join(env.jail_ns("b")).join("resolv.conf");
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    assert_eq!(std::fs::read_to_string(&bfile).unwrap(), host);
    let dir_files = files(a.parent().unwrap());
    assert_eq!(dir_files.len(), 1, "no temporary file left: {dir_files:?}");

    let changed = text.replace("search example.org", "search example.net");
    let plan = up(&mut b, &changed, &mut state);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].op, Op::Update);
    assert!(std::fs::read_to_string(&a).unwrap().contains("example.net"));
    let g = graph(&changed, &mut state);
    let r = &g.nodes[&ResourceId("resolver:b".into())];
    assert!(matches!(
        r,
        Resource::Resolver {
            conf: ResolvConf::Inherit,
            ..
        }
    ));

    down(&mut b, &mut state);
    assert!(files(&env.etc).is_empty(), "{:?}", files(&env.etc));
}

/// Fails the Kth apply call; everything else goes to the real backend.
struct FailAt<'a> {
    inner: &'a mut LinuxBackend,
    calls: usize,
    at: usize,
}

impl Backend for FailAt<'_> {
    fn observe(&mut self, scope: &[&Resource]) -> Result<Observed, BackendError> {
        self.inner.observe(scope)
    }
    fn apply(&mut self, change: &Change) -> Result<(), BackendError> {
        self.calls += 1;
        if self.calls == self.at {
            return Err(BackendError(format!("injected failure at {}", change.id)));
        }
        self.inner.apply(change)
    }
    fn commit(&mut self) -> Result<(), BackendError> {
        self.inner.commit()
    }
    fn commands(&self, change: &Change) -> Vec<String> {
        self.inner.commands(change)
    }
}

#[test]
fn a_failure_at_any_step_rolls_back_to_the_exact_prior_sandbox() {
    let Some(env) = Env::new("rollback") else {
        return;
    };
    let text = format!(
        "{}\n[vm.guest]\n[[vm.guest.nic]]\nswitch = \"lan\"\n",
        TWO.replace("[switch.lan]", "[switch.lan]\nprivate = true")
    );
    let before = env.snapshot();
    let mut b = env.backend();
    let steps = {
        let mut st = State::default();
        let g = graph(&text, &mut st);
        plan_for(&mut b, &g, &st).changes.len()
    };
    assert!(steps >= 8, "{steps}");
    for k in 1..=steps {
        let mut state = State::default();
        let g = graph(&text, &mut state);
        let plan = plan_for(&mut b, &g, &state);
        let mut faulty = FailAt {
            inner: &mut b,
            calls: 0,
            at: k,
        };
        let err = apply(&plan, &mut faulty, &mut state, &mut |_, _| {}).unwrap_err();
        assert!(err.rollback_errors.is_empty(), "step {k}: {err}");
        assert_eq!(err.undone, k - 1);
        assert_eq!(
            env.snapshot(),
            before,
            "failure at step {k} ({}) left changes",
            plan.changes[k - 1].id
        );
        assert!(state.owned.is_empty());
    }
    // And a real kernel failure in the middle (an interface name already taken)
    // leaves nothing behind either.
    let mut nl = env.host_netlink();
    nl.create_bridge(&jailnet_linux::BridgeSpec::new("b-vnet0"))
        .unwrap();
    let taken = env.snapshot();
    let mut state = State::default();
    let g = graph(&text, &mut state);
    let plan = plan_for(&mut b, &g, &state);
    let err = apply(&plan, &mut b, &mut state, &mut |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("nic:b/vnet0"), "{err}");
    assert!(err.rollback_errors.is_empty(), "{err}");
    assert_eq!(env.snapshot(), taken);
    nl.delete_link("b-vnet0").unwrap();
}

#[test]
fn tagged_leftovers_are_found_and_collected_and_vxlan_is_observed() {
    let Some(env) = Env::new("tagged_leftovers") else {
        return;
    };
    let text = format!(
        "{}\n[vm.guest]\n[[vm.guest.nic]]\nswitch = \"lan\"\n",
        TWO.replace(
            "[switch.lan]",
            "[switch.lan]\nvxlan = { vni = 111, remotes = [\"192.0.2.20\", \"192.0.2.21\"] }"
        )
    );
    let before = env.snapshot();
    let mut b = env.backend();
    let mut state = State::default();
    up(&mut b, &text, &mut state);
    let mut nl = env.host_netlink();
    let vx = nl
        .links()
        .unwrap()
        .into_iter()
        .find(|l| l.name == "vxlan111")
        .unwrap();
    assert_eq!(vx.vxlan.as_ref().map(|v| v.learning), Some(false));
    let remotes: Vec<_> = nl
        .fdb()
        .unwrap()
        .into_iter()
        .filter(|e| e.index == vx.index && e.mac == jailnet_linux::MacAddr::ZERO)
        .filter_map(|e| e.dst)
        .collect();
    assert_eq!(remotes.len(), 2, "{remotes:?}");

    // The state file is lost: observe with nothing in scope still finds every
    // tagged link and rebuilds it, so an empty desired graph removes them (gc).
    let mut lost = env.backend();
    let o = lost.observe(&[]).unwrap();
    for id in [
        "switch:lan",
        "nic:a/vnet0",
        "nic:b/vnet0",
        "tap:guest/0",
        "vxlan:vxlan111",
    ] {
        let id = ResourceId(id.into());
        assert!(o.tagged.contains(&id), "{id} not tagged: {:?}", o.tagged);
        assert!(o.resources.get(&id).is_some(), "{id} not rebuilt");
    }
    let gc = diff(&Graph::default(), &o, &State::default());
    apply(&gc, &mut lost, &mut State::default(), &mut |_, _| {}).unwrap();
    assert!(lost.observe(&[]).unwrap().tagged.is_empty());
    // The jail namespaces are not links; the state still knows them.
    down(&mut b, &mut state);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn vlan_is_refused_and_commands_describe_requests() {
    // No kernel needed: neither call reaches it.
    let mut b = LinuxBackend::new(LinuxOptions {
        host_netns: Some("sandbox".into()),
        etc_netns_dir: PathBuf::from("/nonexistent"),
        run_dir: PathBuf::from("/nonexistent"),
    });
    let vlan = Resource::Vlan {
        ifname: jailnet_model::names::IfName::new("em0.101").unwrap(),
        parent: jailnet_model::names::IfName::new("em0").unwrap(),
        tag: 101,
    };
    let err = b.apply(&Change::create(vlan)).unwrap_err();
    assert!(err.to_string().contains("802.1Q"), "{err}");
    assert!(err.to_string().contains("vlan:em0.101"), "{err}");

    let mut state = State::default();
    let g = graph(
        &TWO.replace("[switch.lan]", "[switch.lan]\nprivate = true"),
        &mut state,
    );
    let nic = g.nodes[&ResourceId("nic:a/vnet0".into())].clone();
    let lines = b.commands(&Change::create(nic));
    let text = lines.join("\n");
    assert!(text.contains("create veth a-vnet0"), "{text}");
    assert!(text.contains("in netns sandbox-a"), "{text}");
    assert!(text.contains("alias \"jailnet:nic:a/vnet0\""), "{text}");
    let iso = lines
        .iter()
        .position(|l| l.contains("isolated on"))
        .unwrap();
    let upl = lines.iter().position(|l| l.contains("a-vnet0 up")).unwrap();
    assert!(iso < upl, "isolated before up: {text}");
    assert!(
        text.contains("add address fd00:1::2/64 to vnet0 in netns sandbox-a nodad"),
        "{text}"
    );
    assert_eq!(jailnet_linux::jail_netns_name(None, "www"), "www");
    assert_eq!(
        jailnet_linux::jail_netns_name(Some("lab"), "www"),
        "lab-www"
    );
}

/// Times every apply call by resource kind.
struct Timed<'a> {
    inner: &'a mut LinuxBackend,
    by_kind: BTreeMap<&'static str, (usize, Duration)>,
}

impl Backend for Timed<'_> {
    fn observe(&mut self, scope: &[&Resource]) -> Result<Observed, BackendError> {
        self.inner.observe(scope)
    }
    fn apply(&mut self, change: &Change) -> Result<(), BackendError> {
        let t = Instant::now();
        let r = self.inner.apply(change);
        if let Some(res) = change.resource() {
            let e = self.by_kind.entry(res.kind()).or_default();
            e.0 += 1;
            e.1 += t.elapsed();
        }
        r
    }
    fn commands(&self, change: &Change) -> Vec<String> {
        self.inner.commands(change)
    }
}

/// A measurement, not a timed test: N jails (default 1000, `JAILNET_BENCH_N`)
/// with one NIC each on one switch. Run with
/// `cargo test -p jailnet-linux --release --test backend -- --ignored --nocapture`.
#[test]
#[ignore = "measurement: creates many namespaces"]
fn bench_many_jail_nics() {
    let Some(env) = Env::new("bench_many_jail_nics") else {
        return;
    };
    let n: usize = std::env::var("JAILNET_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut text = String::from("[switch.lan]\naddress = [\"10.0.0.1/16\"]\n");
    for i in 0..n {
        text.push_str(&format!(
            "[jail.j{i}]\n[[jail.j{i}.nic]]\nswitch = \"lan\"\nip4 = [\"auto\"]\n"
        ));
    }
    let mut b = env.backend();
    let mut state = State::default();
    let g = graph(&text, &mut state);
    let t = Instant::now();
    let plan = plan_for(&mut b, &g, &state);
    eprintln!(
        "observe + diff (empty host): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut timed = Timed {
        inner: &mut b,
        by_kind: BTreeMap::new(),
    };
    let t = Instant::now();
    apply(&plan, &mut timed, &mut state, &mut |_, _| {}).unwrap();
    eprintln!(
        "apply {} changes: {:.1} ms",
        plan.changes.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    for (k, (count, d)) in &timed.by_kind {
        eprintln!(
            "  {k}: {count} x {:.3} ms",
            d.as_secs_f64() * 1e3 / *count as f64
        );
    }
    let t = Instant::now();
    assert!(plan_for(&mut b, &g, &state).is_empty());
    eprintln!(
        "observe + diff (converged): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let plan = plan_for(&mut b, &Graph::default(), &state);
    let mut timed = Timed {
        inner: &mut b,
        by_kind: BTreeMap::new(),
    };
    let t = Instant::now();
    apply(&plan, &mut timed, &mut state, &mut |_, _| {}).unwrap();
    eprintln!("down: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    for (k, (count, d)) in &timed.by_kind {
        eprintln!(
            "  {k}: {count} x {:.3} ms",
            d.as_secs_f64() * 1e3 / *count as f64
        );
    }
}
