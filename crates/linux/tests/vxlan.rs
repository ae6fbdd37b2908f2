//! Root-only: seed 004's VXLAN example for real. An "underlay" namespace plays the LAN
//! (a bridge, built by jailnet itself: each "host" is a jail of the underlay with a NIC
//! on it at 192.168.0.x) and the internet (a second bridge at 203.0.113.1). Three
//! namespace hosts — jailhost-a (.10), jailhost-b (.20) and the gateway (.1, NAT out of
//! its `wan0`) — each run jailnet with `--host-netns` on that host and join VXLAN 111.
//! Jails on A reach jails on B across the overlay, in unicast mode (static FDB, several
//! remotes) and in multicast mode (group 239.0.0.111 over the bridged underlay), and
//! reach the "internet" through the gateway's NAT. Every namespace is named uniquely
//! and deleted on drop, even when a test fails. Not root → `SKIP:`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use jailnet_linux::{LinuxBackend, LinuxOptions, Netns};
use jailnet_model::alloc::allocate;
use jailnet_plan::{apply, desired, diff, Backend, Graph, Resource, State};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// One jailnet host: a namespace playing the host, its /etc/netns and state.
struct Host {
    ns: String,
    name: String,
    etc: PathBuf,
    state: State,
}

/// Every namespace whose name starts with `prefix` is deleted on drop (deepest first).
struct World {
    prefix: String,
    dirs: Vec<PathBuf>,
}

impl Drop for World {
    fn drop(&mut self) {
        for (n, e) in Netns::delete_prefixed(&self.prefix) {
            eprintln!("cleanup: delete namespace {n}: {e}");
        }
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

impl Host {
    fn new(world: &mut World, ns: String, name: &str) -> Host {
        let etc = std::env::temp_dir().join(format!("{ns}-etc-netns"));
        world.dirs.push(etc.clone());
        Host {
            ns,
            name: name.to_string(),
            etc,
            state: State::default(),
        }
    }

    fn backend(&self) -> LinuxBackend {
        LinuxBackend::new(LinuxOptions {
            host_netns: Some(self.ns.clone()),
            etc_netns_dir: self.etc.clone(),
            run_dir: self.etc.join("run"),
        })
    }

    /// load → allocate → desired → observe → diff → apply → the diff is then empty.
    fn up(&mut self, text: &str) {
        let (cfg, d) = jailnet_model::check(text);
        assert!(d.is_empty(), "{}", d.render("t.toml", text));
        self.state.allocations = allocate(&cfg, &self.name, &self.state.allocations).unwrap();
        let g = desired(&cfg, &self.state.allocations).unwrap();
        self.converge(&g);
    }

    fn down(&mut self) {
        self.converge(&Graph::default());
    }

    fn converge(&mut self, g: &Graph) {
        let mut b = self.backend();
        let plan = plan_for(&mut b, g, &self.state);
        if let Err(e) = apply(&plan, &mut b, &mut self.state, &mut |_, _| {}) {
            panic!("{}: apply failed: {e}\n{}", self.name, plan.render_text());
        }
        let again = plan_for(&mut b, g, &self.state);
        assert!(
            again.is_empty(),
            "{}: not converged:\n{}",
            self.name,
            again.render_text()
        );
    }

    fn jail_ns(&self, jail: &str) -> String {
        jailnet_linux::jail_netns_name(Some(&self.ns), jail)
    }
}

fn plan_for(b: &mut dyn Backend, g: &Graph, state: &State) -> jailnet_plan::Plan {
    let scope: Vec<&Resource> = g.nodes.values().chain(state.scope()).collect();
    let o = b.observe(&scope).unwrap();
    diff(g, &o, state)
}

/// `ping -c 1` from inside namespace `ns`, a few tries (ARP across the overlay first).
fn ping(ns: &str, dst: &str) -> bool {
    let dst = dst.to_string();
    Netns::open(ns)
        .unwrap()
        .run(move || {
            (0..4).any(|_| {
                Command::new("ping")
                    .args(["-c", "1", "-W", "1", &dst])
                    .output()
                    .map(|o| o.status.success())
                    .unwrap_or(false)
            })
        })
        .unwrap()
}

/// The underlay: jailnet on namespace U builds the LAN bridge and the "internet"
/// bridge, and a jail per host with its underlay NIC `vnet0` (the gateway also `wan0`).
const UNDERLAY: &str = r#"
[switch.lan]

[switch.wan]
address = ["203.0.113.1/24"]

[jail.a]
defaultrouter = "none"
[[jail.a.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["192.168.0.10/24"]

[jail.b]
defaultrouter = "none"
[[jail.b.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["192.168.0.20/24"]

[jail.gw]
defaultrouter = "203.0.113.1"
[[jail.gw.nic]]
name = "vnet0"
switch = "lan"
ip4 = ["192.168.0.1/24"]
[[jail.gw.nic]]
name = "wan0"
switch = "wan"
ip4 = ["203.0.113.2/24"]
"#;

/// The overlay config of one host: switch111 at `addr` with `vxlan`, and optionally
/// a jail `jail` at `jail_addr` whose default router is the gateway.
fn overlay(name: &str, addr: &str, vxlan: &str, nat: bool, jail: Option<(&str, &str)>) -> String {
    let mut t = format!(
        "[host]\nname = \"{name}\"\n{}\n[switch.switch111]\naddress = [\"{addr}\"]\nnat = {nat}\nvxlan = {vxlan}\n",
        if nat { "uplink = \"wan0\"" } else { "" }
    );
    if let Some((j, a)) = jail {
        t.push_str(&format!(
            "\n[jail.{j}]\ndefaultrouter = \"10.0.111.1\"\n[[jail.{j}.nic]]\nname = \"vnet0\"\nswitch = \"switch111\"\nip4 = [\"{a}\"]\n"
        ));
    }
    t
}

fn remotes(of: &[&str]) -> String {
    let list: Vec<String> = of.iter().map(|a| format!("\"192.168.0.{a}\"")).collect();
    format!(
        "{{ vni = 111, remotes = [{}], dev = \"vnet0\" }}",
        list.join(", ")
    )
}

/// Builds the three hosts with `vxlan_of(host)` and checks A ↔ B and A → internet.
/// With `change_peers`, A then drops to that vxlan (B gone) and back.
fn seed_004(test: &str, vxlan_of: &dyn Fn(&str) -> String, change_peers: Option<String>) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: {test}: needs root (network namespaces)");
        return;
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let prefix = format!("jnv{}x{n}", std::process::id());
    let mut world = World {
        prefix: prefix.clone(),
        dirs: Vec::new(),
    };
    if let Err(e) = Netns::create(&prefix) {
        eprintln!("SKIP: {test}: cannot create a network namespace: {e}");
        return;
    }
    let mut lan = Host::new(&mut world, prefix.clone(), "underlay");
    lan.up(UNDERLAY);
    let mut a = Host::new(&mut world, lan.jail_ns("a"), "jailhost-a");
    let mut b = Host::new(&mut world, lan.jail_ns("b"), "jailhost-b");
    let mut gw = Host::new(&mut world, lan.jail_ns("gw"), "gateway");
    assert!(ping(&a.ns, "192.168.0.20"), "{test}: underlay A -> B");

    gw.up(&overlay(
        "gateway",
        "10.0.111.1/24",
        &vxlan_of("gw"),
        true,
        None,
    ));
    a.up(&overlay(
        "jailhost-a",
        "10.0.111.10/24",
        &vxlan_of("a"),
        false,
        Some(("vja", "10.0.111.13/24")),
    ));
    b.up(&overlay(
        "jailhost-b",
        "10.0.111.20/24",
        &vxlan_of("b"),
        false,
        Some(("vjb", "10.0.111.23/24")),
    ));

    let (ja, jb) = (a.jail_ns("vja"), b.jail_ns("vjb"));
    assert!(ping(&ja, "10.0.111.23"), "{test}: jail on A -> jail on B");
    assert!(ping(&jb, "10.0.111.13"), "{test}: jail on B -> jail on A");
    assert!(ping(&ja, "10.0.111.1"), "{test}: jail on A -> gateway");
    assert!(
        ping(&ja, "203.0.113.1"),
        "{test}: jail on A -> upstream through the gateway's NAT"
    );

    if let Some(without_b) = change_peers {
        // A peer leaving is an in-place change (its FDB entry goes); coming back too.
        a.up(&overlay(
            "jailhost-a",
            "10.0.111.10/24",
            &without_b,
            false,
            Some(("vja", "10.0.111.13/24")),
        ));
        assert!(!ping(&ja, "10.0.111.23"), "{test}: B still reachable");
        assert!(ping(&ja, "10.0.111.1"), "{test}: gateway lost");
        a.up(&overlay(
            "jailhost-a",
            "10.0.111.10/24",
            &vxlan_of("a"),
            false,
            Some(("vja", "10.0.111.13/24")),
        ));
        assert!(ping(&ja, "10.0.111.23"), "{test}: B back");
    }

    for h in [&mut a, &mut b, &mut gw, &mut lan] {
        h.down();
        assert!(h.state.owned.is_empty(), "{}: still owns things", h.name);
    }
}

#[test]
fn seed_004_unicast_overlay_with_nat_gateway() {
    seed_004(
        "seed_004_unicast",
        &|host| match host {
            "a" => remotes(&["20", "1"]),
            "b" => remotes(&["10", "1"]),
            _ => remotes(&["10", "20"]),
        },
        Some(remotes(&["1"])),
    );
}

#[test]
fn seed_004_multicast_overlay_with_nat_gateway() {
    seed_004(
        "seed_004_multicast",
        &|_| "{ vni = 111, group = \"239.0.0.111\", dev = \"vnet0\" }".to_string(),
        None,
    );
}
