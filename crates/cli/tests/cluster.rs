//! Root only, with a real etcd started by the test (127.0.0.1 only): three namespace
//! hosts on an underlay bridge (built by jailnet itself, as in the linux crate's vxlan
//! tests) run `jailnet up` with `[cluster]` and `vxlan = { cluster = true }`; `auto`
//! addresses come from etcd leases, `jailnet watch` fills in the peers' FDB entries, and
//! when one host is removed from the cluster (its VTEP lease revoked, as if it died) the
//! others' watch drops its FDB entry while their jails still reach each other. `down`
//! leaves nothing in etcd. Namespaces are deleted on drop; watch processes are stopped.

#[path = "../../cluster/tests/etcd/mod.rs"]
mod etcd;

use jailnet_linux::{jail_netns_name, Netns};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every namespace whose name starts with `prefix` is deleted on drop (deepest first).
struct World {
    prefix: String,
}

impl Drop for World {
    fn drop(&mut self) {
        for (n, e) in Netns::delete_prefixed(&self.prefix) {
            eprintln!("cleanup: delete namespace {n}: {e}");
        }
    }
}

/// A `jailnet watch` process, stopped (SIGTERM, then SIGKILL) on drop.
struct Watch {
    child: Child,
    log: PathBuf,
}

impl Watch {
    /// Ask it to stop and wait up to 10 s; its exit code and output.
    fn stop(mut self) -> (Option<i32>, String) {
        // SAFETY: signalling our own child by its pid.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        self.wait_exit(10)
    }

    fn wait_exit(&mut self, secs: u64) -> (Option<i32>, String) {
        let until = Instant::now() + Duration::from_secs(secs);
        let code = loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                break s.code();
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        (code, std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One jailnet host: the namespace playing it, its config file and state dir.
struct Host {
    name: String,
    ns: String,
    cfg: PathBuf,
    state: PathBuf,
}

impl Host {
    fn new(dir: &Path, name: &str, ns: String, text: &str) -> Host {
        let cfg = dir.join(format!("{name}.toml"));
        std::fs::write(&cfg, text).unwrap();
        Host {
            name: name.into(),
            ns,
            cfg,
            state: dir.join(format!("{name}-state")),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_jailnet"));
        c.arg("-c")
            .arg(&self.cfg)
            .args(["--backend", "linux", "--host-netns", &self.ns])
            .arg("--state-dir")
            .arg(&self.state)
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out: Output = self.cmd(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "{}: jailnet {args:?} failed:\n{text}",
            self.name
        );
        text
    }

    fn watch(&self, args: &[&str]) -> Watch {
        let log = self.state.with_extension("watch.log");
        let f = std::fs::File::create(&log).unwrap();
        let child = self
            .cmd(&[&["watch"], args].concat())
            .stdout(Stdio::from(f.try_clone().unwrap()))
            .stderr(Stdio::from(f))
            .spawn()
            .unwrap();
        Watch { child, log }
    }

    fn jail_ns(&self, jail: &str) -> String {
        jail_netns_name(Some(&self.ns), jail)
    }

    /// The underlay addresses vxlan111's FDB sends to.
    fn fdb(&self) -> Vec<String> {
        let out = in_ns(&self.ns, "bridge", &["fdb", "show", "dev", "vxlan111"]);
        let mut v: Vec<String> = out
            .split_whitespace()
            .skip_while(|w| *w != "dst")
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[0] == "dst")
            .map(|w| w[1].to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

fn in_ns(ns: &str, prog: &str, args: &[&str]) -> String {
    let (prog, args): (String, Vec<String>) =
        (prog.into(), args.iter().map(|s| s.to_string()).collect());
    Netns::open(ns)
        .unwrap()
        .run(move || {
            Command::new(&prog)
                .args(&args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        })
        .unwrap()
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

fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out after {secs}s waiting for {what}");
}

/// The LAN: a bridge and one underlay NIC per host at 192.168.0.x.
const UNDERLAY: &str = r#"
[switch.lan]
"#;

fn underlay() -> String {
    let mut t = UNDERLAY.to_string();
    for (j, a) in [("a", 10), ("b", 20), ("c", 30)] {
        t.push_str(&format!(
            "\n[jail.{j}]\ndefaultrouter = \"none\"\n[[jail.{j}.nic]]\nname = \"vnet0\"\nswitch = \"lan\"\nip4 = [\"192.168.0.{a}/24\"]\n"
        ));
    }
    t
}

/// Host `x` of the cluster: its own address .x on switch111, VTEP 192.168.0.x, and a
/// jail `vjX` with an `auto` address leased from etcd.
fn member(url: &str, x: &str, n: u8) -> String {
    format!(
        "[host]\nname = \"host-{x}\"\n\n[cluster]\netcd = [\"{url}\"]\nvtep = \"192.168.0.{n}\"\n\n\
         [switch.switch111]\naddress = [\"10.0.111.{n}/24\"]\nvxlan = {{ vni = 111, cluster = true, dev = \"vnet0\" }}\n\n\
         [jail.vj{x}]\ndefaultrouter = \"none\"\n[[jail.vj{x}.nic]]\nname = \"vnet0\"\nswitch = \"switch111\"\nip4 = [\"auto\"]\n"
    )
}

#[test]
fn cluster_hosts_follow_each_other_through_etcd() {
    let test = "cluster_hosts_follow_each_other_through_etcd";
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: {test}: needs root (network namespaces)");
        return;
    }
    let Some(etcd) = etcd::Etcd::start(test) else {
        return;
    };
    let prefix = format!("jnk{}", std::process::id());
    let world = World {
        prefix: prefix.clone(),
    };
    if let Err(e) = Netns::create(&prefix) {
        eprintln!("SKIP: {test}: cannot create a network namespace: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lan = Host::new(dir.path(), "underlay", prefix.clone(), &underlay());
    lan.run(&["up"]);
    let hosts: Vec<Host> = [("a", 10), ("b", 20), ("c", 30)]
        .iter()
        .map(|(x, n)| Host::new(dir.path(), x, lan.jail_ns(x), &member(&etcd.url, x, *n)))
        .collect();
    let (a, b, c) = (&hosts[0], &hosts[1], &hosts[2]);
    assert!(ping(&a.ns, "192.168.0.30"), "underlay A -> C");

    for h in &hosts {
        h.run(&["up"]);
    }
    // The jails' addresses are the leases etcd handed out: the lowest free, in join order.
    let mut client = etcd.client();
    let leases = client.leases("switch111").unwrap();
    let addr_of = |owner: &str| {
        leases
            .iter()
            .find(|(_, o)| o.as_str() == owner)
            .map(|(ip, _)| ip.to_string())
            .unwrap_or_else(|| panic!("no lease for {owner}: {leases:?}"))
    };
    let (ja, jb, jc) = (
        addr_of("host-a/vja/vnet0"),
        addr_of("host-b/vjb/vnet0"),
        addr_of("host-c/vjc/vnet0"),
    );
    assert_eq!([&ja, &jb, &jc], ["10.0.111.1", "10.0.111.2", "10.0.111.3"]);
    assert_eq!(addr_of("host-a/_switch/switch111"), "10.0.111.10");
    // C joined last, so it already knows both; A joined first and knows nobody yet.
    assert_eq!(c.fdb(), ["192.168.0.10", "192.168.0.20"]);
    assert!(a.fdb().is_empty(), "{:?}", a.fdb());

    // A and B watch: their first round adds the peers that joined after them.
    let wa = a.watch(&["--timeout", "120"]);
    wait_until("A's FDB to list B and C", 30, || {
        a.fdb() == ["192.168.0.20", "192.168.0.30"]
    });
    let mut wb = b.watch(&["--once-after-change", "--timeout", "120"]);
    wait_until("B's FDB to list A and C", 30, || {
        b.fdb() == ["192.168.0.10", "192.168.0.30"]
    });
    let (vja, vjb, vjc) = (a.jail_ns("vja"), b.jail_ns("vjb"), c.jail_ns("vjc"));
    assert!(ping(&vja, &jb), "jail on A -> jail on B");
    assert!(ping(&vja, &jc), "jail on A -> jail on C");
    assert!(ping(&vjb, &jc), "jail on B -> jail on C");
    assert!(ping(&vjc, &ja), "jail on C -> jail on A");

    // C dies: its VTEP lease is revoked. The watches drop its FDB entry.
    assert_eq!(client.unregister_vtep("host-c").unwrap(), 1);
    wait_until("A's FDB to drop C", 20, || a.fdb() == ["192.168.0.20"]);
    wait_until("B's FDB to drop C", 20, || b.fdb() == ["192.168.0.10"]);
    assert!(ping(&vja, &jb), "jail on A -> jail on B after C left");
    assert!(ping(&vjb, &ja), "jail on B -> jail on A after C left");
    assert!(!ping(&vja, &jc), "C is still reachable from A");

    // B's watch applied that one change and stopped by itself.
    let (code, log) = wb.wait_exit(20);
    assert_eq!(code, Some(0), "B's watch:\n{log}");
    assert!(
        log.contains("host-b: peers changed; 1 change applied"),
        "{log}"
    );
    // `up` on A while its watch runs: the host already matches the cluster.
    assert!(a.run(&["up"]).contains("Nothing to do"));
    let (code, log) = wa.stop();
    assert_eq!(code, Some(0), "A's watch:\n{log}");
    assert!(log.contains("host-a: joined; 1 change applied"), "{log}");

    // `down` releases every lease and VTEP.
    for h in &hosts {
        h.run(&["down"]);
    }
    lan.run(&["down"]);
    for prefix in ["/jailnet/v1/leases/", "/jailnet/v1/vteps/"] {
        let (left, _) = client.get_prefix(prefix).unwrap();
        assert!(left.is_empty(), "{prefix} still holds {left:?}");
    }
    drop(world);
}
