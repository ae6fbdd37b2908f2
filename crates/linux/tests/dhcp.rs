//! Root-only tests of DHCP and SLAAC on Linux with real traffic: dnsmasq on a switch
//! in a sandbox host namespace, dhclient in jail namespaces. A DHCP jail gets an
//! address from the range, a fixed MAC its static lease, two jails never the same
//! address; the leases show through `LinuxBackend::leases` (what `jailnet status`
//! reads); `up` again plans nothing; a config change restarts dnsmasq; a SLAAC jail
//! configures an address in the switch's prefix and reaches the gateway over IPv6
//! while a static jail on the same switch ignores the advertisements; `down` stops
//! every process and removes every file. Every namespace, daemon and file is
//! removed on drop, even when a test fails. Not root (or no dnsmasq/dhclient) →
//! `SKIP:`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use jailnet_host::{Host, Invocation, JailEntry, SystemHost};
use jailnet_linux::{LinuxBackend, LinuxOptions, Netns};
use jailnet_model::net::Cidr;
use jailnet_plan::resource::ResolvConf;
use jailnet_plan::{Backend, Op, Resource, ResourceId, State};

mod util;
use util::pipeline::{converge, down, graph, plan_for, up};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A sandbox host namespace and a temporary directory holding `/etc/netns` and the
/// run directory. On drop: every dnsmasq/dhclient started with a file in the run
/// directory is killed, then the namespaces and the directory go.
struct Env {
    host: String,
    dir: PathBuf,
}

impl Env {
    fn new(test: &str) -> Option<Env> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIP: {test}: needs root (network namespaces)");
            return None;
        }
        for prog in ["dnsmasq", "dhclient"] {
            let found = std::env::var("PATH")
                .unwrap_or_default()
                .split(':')
                .chain(["/usr/sbin", "/sbin"])
                .any(|d| Path::new(d).join(prog).exists());
            if !found {
                eprintln!("SKIP: {test}: {prog} is not installed (scripts/deps.sh)");
                return None;
            }
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let host = format!("jnh{}x{n}", std::process::id());
        if let Err(e) = Netns::create(&host) {
            eprintln!("SKIP: {test}: cannot create a network namespace: {e}");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("{host}-dhcp"));
        Some(Env { host, dir })
    }

    fn run_dir(&self) -> PathBuf {
        self.dir.join("run")
    }

    fn backend(&self) -> LinuxBackend {
        LinuxBackend::new(LinuxOptions {
            host_netns: Some(self.host.clone()),
            etc_netns_dir: self.dir.join("netns"),
            run_dir: self.run_dir(),
        })
    }

    fn jail_ns(&self, jail: &str) -> String {
        jailnet_linux::jail_netns_name(Some(&self.host), jail)
    }

    fn jail_namespaces(&self) -> Vec<String> {
        util::jail_namespaces(&self.host)
    }

    /// Processes whose command line names a file in the run directory.
    fn daemons(&self) -> Vec<(i32, String)> {
        util::daemons_under(&self.run_dir())
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        for (pid, cmd) in self.daemons() {
            eprintln!("cleanup: kill {pid} ({cmd})");
            // SAFETY: plain kill of a process this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        for n in self.jail_namespaces() {
            let _ = Netns::delete(&n);
        }
        if let Err(e) = Netns::delete(&self.host) {
            eprintln!("cleanup: delete namespace {}: {e}", self.host);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// `ping` (iputils) from inside namespace `ns`, a few tries.
fn ping(ns: &str, dst: &str) -> bool {
    let mut h = SystemHost::new(JailEntry::Netns);
    let inv = Invocation::new("ping", ["-c", "1", "-W", "1", dst]).in_jail(ns);
    (0..3).any(|_| h.run(&inv).map(|o| o.success()).unwrap_or(false))
}

fn v4(c: &Cidr) -> Option<std::net::Ipv4Addr> {
    match c.addr {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(_) => None,
    }
}

fn pid_of(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Whether `pid` is a running (not zombie) process.
fn alive(pid: i32) -> bool {
    pid > 0
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| !c.is_empty())
            .unwrap_or(false)
}

const MAC_C: &str = "58:9c:fc:00:77:0c";

fn pool(range_end: &str) -> String {
    format!(
        r#"
[switch.lan]
ifname = "jdhcp"
address = ["10.77.1.1/24"]
dhcp = {{ range = "10.77.1.100-{range_end}", hosts = {{ "{MAC_C}" = "10.77.1.60" }} }}

[jail.a]
resolver = ["nameserver 10.77.1.1", "search dhcp.test"]
[[jail.a.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["dhcp"]

[jail.b]
resolver = "inherit"
[[jail.b.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["dhcp"]

[jail.c]
[[jail.c.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["dhcp"]
mac = "{MAC_C}"
"#
    )
}

#[test]
fn dhcp_jails_lease_from_the_range_and_static_hosts_then_down_leaves_nothing() {
    let Some(env) = Env::new("dhcp_jails") else {
        return;
    };
    let host_resolv = std::fs::read("/etc/resolv.conf").ok();
    let mut b = env.backend();
    let mut state = State::default();
    let text = pool("10.77.1.110");
    let plan = up(&mut b, &text, &mut state);
    assert!(
        plan.changes.iter().any(|c| c.id.0 == "dhcp:lan"),
        "{}",
        plan.render_text()
    );

    // Leases, as `jailnet status` reads them.
    let lease = |b: &mut LinuxBackend, j: &str| -> Vec<Cidr> { b.leases(j, "vnet0").unwrap() };
    let (la, lb, lc) = (lease(&mut b, "a"), lease(&mut b, "b"), lease(&mut b, "c"));
    let range =
        "10.77.1.100".parse::<std::net::Ipv4Addr>().unwrap()..="10.77.1.110".parse().unwrap();
    for (j, l) in [("a", &la), ("b", &lb)] {
        assert_eq!(l.len(), 1, "{j}: {l:?}");
        let a = v4(&l[0]).unwrap();
        assert!(range.contains(&a), "{j} leased {a}, outside the range");
        assert_eq!(l[0].prefix, 24);
    }
    assert_ne!(la[0].addr, lb[0].addr, "two jails got the same address");
    assert_eq!(
        lc,
        vec!["10.77.1.60/24".parse::<Cidr>().unwrap()],
        "static host"
    );
    for j in ["a", "b", "c"] {
        assert!(
            ping(&env.jail_ns(j), "10.77.1.1"),
            "{j} cannot reach the gateway"
        );
    }
    assert!(
        ping(&env.jail_ns("a"), &lb[0].addr.to_string()),
        "a cannot reach b"
    );

    // Daemons and their files; the host's resolver untouched, the jails' as configured.
    let run = env.run_dir();
    let d = format!("dnsmasq-{}-jdhcp", env.host);
    for ext in ["conf", "pid", "leases"] {
        assert!(run.join(format!("{d}.{ext}")).exists(), "{d}.{ext}");
    }
    let conf = std::fs::read_to_string(run.join(format!("{d}.conf"))).unwrap();
    for l in [
        "interface=jdhcp",
        "bind-interfaces",
        "except-interface=lo",
        "port=0",
    ] {
        assert!(conf.lines().any(|x| x == l), "{l} missing from\n{conf}");
    }
    assert!(
        conf.contains(&format!("dhcp-host={MAC_C},10.77.1.60\n")),
        "{conf}"
    );
    let dnsmasq = pid_of(&run.join(format!("{d}.pid")));
    assert!(alive(dnsmasq));
    let clients: Vec<i32> = ["a", "b", "c"]
        .iter()
        .map(|j| pid_of(&run.join(format!("dhclient-{}-vnet0.pid", env.jail_ns(j)))))
        .collect();
    assert!(clients.iter().all(|p| alive(*p)), "{clients:?}");
    assert_eq!(env.daemons().len(), 4, "{:?}", env.daemons());
    assert_eq!(std::fs::read("/etc/resolv.conf").ok(), host_resolv);
    let etc = env.dir.join("netns");
    assert_eq!(
        std::fs::read_to_string(etc.join(env.jail_ns("a")).join("resolv.conf")).unwrap(),
        "nameserver 10.77.1.1\nsearch dhcp.test\n"
    );
    assert_eq!(
        std::fs::read(etc.join(env.jail_ns("b")).join("resolv.conf")).ok(),
        host_resolv.clone().or(Some(Vec::new()))
    );
    let g = graph(&text, &mut state);
    assert!(matches!(
        g.nodes.get(&ResourceId("resolver:b".into())),
        Some(Resource::Resolver {
            conf: ResolvConf::Inherit,
            ..
        })
    ));

    // up again: nothing to do (the leases do not look like drift).
    let again = plan_for(&mut b, &g, &state);
    assert!(again.is_empty(), "{}", again.render_text());

    // A changed range restarts dnsmasq with the new config, clients keep running.
    let changed = pool("10.77.1.120");
    let plan = up(&mut b, &changed, &mut state);
    assert_eq!(plan.changes.len(), 1, "{}", plan.render_text());
    assert_eq!(plan.changes[0].op, Op::Update);
    let restarted = pid_of(&run.join(format!("{d}.pid")));
    assert!(alive(restarted) && restarted != dnsmasq);
    assert!(!alive(dnsmasq));
    let conf = std::fs::read_to_string(run.join(format!("{d}.conf"))).unwrap();
    assert!(
        conf.contains("dhcp-range=10.77.1.100,10.77.1.120\n"),
        "{conf}"
    );
    assert!(clients.iter().all(|p| alive(*p)));

    // down: every process stopped, every file removed, every namespace gone.
    down(&mut b, &mut state);
    assert!(!alive(restarted));
    assert!(clients.iter().all(|p| !alive(*p)), "{clients:?}");
    assert!(env.daemons().is_empty(), "{:?}", env.daemons());
    assert!(files(&run).is_empty(), "{:?}", files(&run));
    assert!(
        env.jail_namespaces().is_empty(),
        "{:?}",
        env.jail_namespaces()
    );
    assert_eq!(std::fs::read("/etc/resolv.conf").ok(), host_resolv);
}

const SLAAC: &str = r#"
[switch.v6]
ifname = "jslaac"
address = ["10.77.2.1/24", "fd00:77:2::1/64"]

[jail.s]
[[jail.s.nic]]
name = "vnet0"
switch = "v6"
ip4 = ["10.77.2.10/24"]
ip6 = ["slaac"]

[jail.t]
[[jail.t.nic]]
name = "vnet0"
switch = "v6"
ip4 = ["10.77.2.11/24"]
ip6 = ["fd00:77:2::11/64"]
"#;

#[test]
fn a_slaac_jail_configures_an_address_in_the_switch_prefix_and_reaches_the_gateway() {
    let Some(env) = Env::new("slaac_jail") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    let g = graph(SLAAC, &mut state);
    let Some(Resource::DhcpServer { range, ra, .. }) = g.nodes.get(&ResourceId("dhcp:v6".into()))
    else {
        panic!("no RA server for a SLAAC switch")
    };
    assert_eq!((range, ra.len()), (&None, 1));
    converge(&mut b, &g, &mut state);

    // Router solicitation → advertisement → address (after DAD).
    let prefix: Cidr = "fd00:77:2::/64".parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = loop {
        let l = b.leases("s", "vnet0").unwrap();
        if let Some(c) = l.iter().find(|c| c.subnet() == prefix) {
            break *c;
        }
        assert!(Instant::now() < deadline, "no SLAAC address: {l:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(addr.prefix, 64);
    // DAD done once the address answers; then the gateway over IPv6.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ping(&env.jail_ns("s"), "fd00:77:2::1") {
        assert!(Instant::now() < deadline, "s cannot reach fd00:77:2::1");
    }
    assert!(
        ping(&env.jail_ns("t"), &addr.addr.to_string()),
        "t cannot reach s's SLAAC address"
    );
    // The static jail ignores the advertisements: no address of its own from them.
    assert!(b.leases("t", "vnet0").unwrap().is_empty());
    let again = plan_for(&mut b, &g, &state);
    assert!(again.is_empty(), "{}", again.render_text());

    down(&mut b, &mut state);
    assert!(env.daemons().is_empty(), "{:?}", env.daemons());
    assert!(
        files(&env.run_dir()).is_empty(),
        "{:?}",
        files(&env.run_dir())
    );
    assert!(env.jail_namespaces().is_empty());
}

#[test]
fn dhcp_commands_describe_the_daemons_and_their_files() {
    let b = LinuxBackend::new(LinuxOptions {
        host_netns: Some("h".into()),
        etc_netns_dir: PathBuf::from("/nonexistent"),
        run_dir: PathBuf::from("/r"),
    });
    let mut state = State::default();
    let g = graph(&pool("10.77.1.110"), &mut state);
    let server = g.nodes[&ResourceId("dhcp:lan".into())].clone();
    let client = g.nodes[&ResourceId("dhclient:a/vnet0".into())].clone();
    let create = |r: &Resource| jailnet_plan::Change {
        op: Op::Create,
        id: r.id(),
        before: None,
        after: Some(r.clone()),
    };
    let lines = b.commands(&create(&server)).join("\n");
    assert!(
        lines.contains("write /r/dnsmasq-h-jdhcp.conf: interface=jdhcp"),
        "{lines}"
    );
    assert!(
        lines.contains("run dnsmasq --conf-file=/r/dnsmasq-h-jdhcp.conf in netns h"),
        "{lines}"
    );
    let lines = b.commands(&create(&client)).join("\n");
    assert!(
        lines.contains(
            "run dhclient -4 -cf /r/dhclient-h-a-vnet0.conf -sf /r/dhclient-h-a-vnet0.sh"
        ),
        "{lines}"
    );
}

#[test]
fn a_dhcp_server_whose_state_was_lost_is_found_and_stopped() {
    let Some(env) = Env::new("dhcp_lost_state") else {
        return;
    };
    let mut b = env.backend();
    let mut state = State::default();
    up(&mut b, &pool("10.77.1.110"), &mut state);
    let servers = |env: &Env| {
        env.daemons()
            .into_iter()
            .filter(|(_, c)| c.starts_with("dnsmasq") || c.contains("/dnsmasq "))
            .count()
    };
    assert_eq!(servers(&env), 1, "{:?}", env.daemons());
    // The state file is gone: `down` from nothing finds the server by its files.
    let mut lost = State::default();
    let plan = down(&mut b, &mut lost);
    assert!(
        plan.changes
            .iter()
            .any(|c| c.id.0 == "dhcp:(leftover jdhcp)"),
        "{}",
        plan.render_text()
    );
    assert_eq!(servers(&env), 0, "{:?}", env.daemons());
    let left: Vec<String> = files(&env.run_dir())
        .into_iter()
        .filter(|f| f.starts_with("dnsmasq-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Nothing of another host namespace's servers is touched: a file of another
    // sandbox (different interface line) is not claimed.
    let other = env.run_dir().join(format!("dnsmasq-{}-x.conf", env.host));
    std::fs::write(
        &other,
        "# jailnet: DHCP server for the switch on y.\ninterface=y\n",
    )
    .unwrap();
    let plan = down(&mut b, &mut State::default());
    assert!(plan.is_empty(), "{}", plan.render_text());
    assert!(other.exists());
}
