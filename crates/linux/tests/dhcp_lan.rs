//! Root-only test of seed 003's layout: a switch with the host's LAN NIC as a member
//! (`uplinks`), and a DHCP jail that gets its address from the LAN's own DHCP server —
//! a dnsmasq in an "upstream" namespace standing in for the office router, not one
//! jailnet runs. Everything is removed on drop. Not root / no dnsmasq → `SKIP:`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jailnet_linux::{
    AddrOptions, LinkRef, LinuxBackend, LinuxOptions, Netlink, Netns, Request, VethSpec,
};
use jailnet_model::alloc::allocate;
use jailnet_plan::{apply, desired, diff, Backend, Graph, Plan, Resource, State};

mod util;

struct Env {
    host: String,
    lan: String,
    dir: std::path::PathBuf,
    router: Option<Child>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(mut c) = self.router.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // jailnet's own dhclient for the jail runs with files in our run dir.
        if let Ok(out) = Command::new("pgrep")
            .args(["-f", self.dir.to_str().unwrap_or("")])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").arg(pid).status();
            }
        }
        let _ = Netns::delete(&self.lan);
        util::delete_sandbox_host(&self.host);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn installed(prog: &str) -> bool {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(prog).exists())
}

fn plan(b: &mut LinuxBackend, g: &Graph, state: &State) -> Plan {
    let scope: Vec<&Resource> = g.nodes.values().chain(state.scope()).collect();
    let o = b.observe(&scope).unwrap();
    diff(g, &o, state)
}

#[test]
fn a_jail_on_a_bridge_with_the_lan_nic_leases_from_the_lans_dhcp_server() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: dhcp_lan: needs root");
        return;
    }
    if !installed("dnsmasq") || !installed("dhclient") {
        eprintln!("SKIP: dhcp_lan: dnsmasq or dhclient missing (scripts/deps.sh)");
        return;
    }
    let host = format!("jnl{}h", std::process::id());
    let mut env = Env {
        lan: format!("{host}l"),
        dir: std::env::temp_dir().join(format!("{host}-lan")),
        host,
        router: None,
    };
    std::fs::create_dir_all(&env.dir).unwrap();
    let h = Netns::create(&env.host).unwrap();
    let l = Netns::create(&env.lan).unwrap();
    let lfd = l.fd().unwrap();
    let mut hn = Netlink::open_in(&h.fd().unwrap()).unwrap();
    let mut ln = Netlink::open_in(&lfd).unwrap();
    // The host's "LAN NIC" bge0, cabled to the office LAN where the router lives.
    let mut spec = VethSpec::new("bge0", "eth0");
    spec.peer_netns = Some(&lfd);
    hn.execute(Request::create_veth(&spec).unwrap()).unwrap();
    ln.add_address(
        LinkRef::Name("eth0"),
        "192.168.50.1".parse().unwrap(),
        24,
        AddrOptions::default(),
    )
    .unwrap();
    for n in ["bge0", "lo"] {
        hn.set_up(LinkRef::Name(n), true).unwrap();
    }
    for n in ["eth0", "lo"] {
        ln.set_up(LinkRef::Name(n), true).unwrap();
    }
    let leases = env.dir.join("router.leases");
    env.router = Some(
        Command::new("ip")
            .args([
                "netns",
                "exec",
                &env.lan,
                "dnsmasq",
                "--no-daemon",
                "--port=0",
                "--interface=eth0",
                "--bind-interfaces",
            ])
            .arg("--dhcp-range=192.168.50.100,192.168.50.120,12h")
            .arg(format!("--dhcp-leasefile={}", leases.display()))
            .arg(format!(
                "--pid-file={}",
                env.dir.join("router.pid").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let cfg = r#"
[switch.lan]
ifname = "bridge0"
uplinks = ["bge0"]

[jail.dhcpjail]
[[jail.dhcpjail.nic]]
switch = "lan"
ip4 = ["dhcp"]
"#;
    let (c, d) = jailnet_model::check(cfg);
    assert!(d.is_empty(), "{}", d.render("t.toml", cfg));
    let mut state = State::default();
    state.allocations = allocate(&c, "t", &state.allocations).unwrap();
    let g = desired(&c, &state.allocations).unwrap();
    assert!(
        !g.nodes.keys().any(|k| k.0.starts_with("dhcp:")),
        "jailnet must not run its own DHCP server here"
    );
    let mut b = LinuxBackend::new(LinuxOptions {
        host_netns: Some(env.host.clone()),
        etc_netns_dir: env.dir.join("netns"),
        run_dir: env.dir.join("run"),
    });
    let p = plan(&mut b, &g, &state);
    apply(&p, &mut b, &mut state, &mut |_, _| {}).unwrap();
    // The lease comes from the LAN router's range.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    while Instant::now() < deadline {
        got = b.leases("dhcpjail", "vnet0").unwrap();
        if !got.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let a = got
        .iter()
        .find(|c| c.is_v4())
        .unwrap_or_else(|| panic!("no lease from the LAN router: {got:?}"));
    let last = match a.addr {
        std::net::IpAddr::V4(v) => v.octets(),
        _ => unreachable!(),
    };
    assert_eq!(&last[..3], &[192, 168, 50], "{a}");
    assert!(
        (100..=120).contains(&last[3]),
        "{a} not in the router's range"
    );
    let ns = jailnet_linux::jail_netns_name(Some(&env.host), "dhcpjail");
    let ok = Command::new("ip")
        .args(["netns", "exec", &ns, "ping", "-c1", "-W2", "192.168.50.1"])
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "the jail cannot reach the LAN router");
    assert!(
        plan(&mut b, &g, &state).is_empty(),
        "the lease must not look like drift"
    );
    let p = plan(&mut b, &Graph::default(), &state);
    apply(&p, &mut b, &mut state, &mut |_, _| {}).unwrap();
    assert!(state.owned.is_empty());
}
