//! Reliability under faults, as root on the Linux backend in a sandbox namespace:
//! SIGKILL at many points during `up` (the next `up` converges, a final `down` leaves the
//! sandbox exactly as it started), 16 parallel `attach` calls, drift on the host and inside
//! jails repaired by `up`, and more jails than the soft open-file limit allows.
//! Not root → `SKIP:`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn jailnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jailnet"))
}

fn root() -> bool {
    extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid has no preconditions.
    unsafe { geteuid() == 0 }
}

/// A sandbox host namespace; it and every namespace named after it go on drop.
struct Sandbox(String);

impl Sandbox {
    fn new(tag: &str) -> Sandbox {
        let ns = format!("jnr{}{tag}", std::process::id());
        let _ = Command::new("ip")
            .args(["netns", "del", &ns])
            .stderr(Stdio::null())
            .status();
        assert!(Command::new("ip")
            .args(["netns", "add", &ns])
            .status()
            .unwrap()
            .success());
        Command::new("ip")
            .args(["-n", &ns, "link", "set", "lo", "up"])
            .status()
            .unwrap();
        Sandbox(ns)
    }

    /// Links, addresses, routes, nft tables and namespaces of the sandbox, comparable.
    fn snapshot(&self) -> String {
        let mut out = String::new();
        for args in [
            vec!["-o", "link"],
            vec!["-o", "addr"],
            vec!["route"],
            vec!["-6", "route"],
        ] {
            let o = Command::new("ip")
                .arg("-n")
                .arg(&self.0)
                .args(&args)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&o.stdout);
            // Interface indexes and link-layer counters change; names and addresses must not.
            for l in text.lines() {
                let l: String = l
                    .split_whitespace()
                    .filter(|w| !w.ends_with(':') || w.contains('@'))
                    .collect::<Vec<_>>()
                    .join(" ");
                out.push_str(&l);
                out.push('\n');
            }
        }
        let o = Command::new("ip")
            .args(["netns", "exec", &self.0, "nft", "list", "tables"])
            .output()
            .unwrap();
        out.push_str(&String::from_utf8_lossy(&o.stdout));
        out.push_str(&self.jail_namespaces().join(" "));
        out
    }

    fn jail_namespaces(&self) -> Vec<String> {
        let o = Command::new("ip").args(["netns", "list"]).output().unwrap();
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&format!("{}-", self.0)))
            .map(String::from)
            .collect()
    }

    /// `jailnet` on the Linux backend with this sandbox as the host: `-c cfg`, the state
    /// in `state`, then `args`.
    fn command(&self, cfg: &Path, state: &Path, args: &[&str]) -> Command {
        let mut c = jailnet();
        c.args([
            "-c",
            cfg.to_str().unwrap(),
            "--backend",
            "linux",
            "--host-netns",
            &self.0,
            "--state-dir",
            state.to_str().unwrap(),
        ]);
        c.args(args);
        c
    }

    fn run(&self, cfg: &Path, state: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.command(cfg, state, args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for ns in self.jail_namespaces() {
            let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn many_jails(n: usize) -> String {
    let mut t = String::from("[switch.a]\naddress = [\"10.61.0.1/22\", \"fd00:61::1/64\"]\n\n[switch.b]\naddress = [\"10.62.0.1/24\"]\nprivate = true\n\n");
    for i in 0..n {
        let sw = if i % 3 == 0 { "b" } else { "a" };
        t.push_str(&format!(
            "[jail.j{i}]\n[[jail.j{i}.nic]]\nswitch = \"{sw}\"\nip4 = [\"auto\"]\n"
        ));
        if sw == "a" {
            t.push_str("ip6 = [\"auto\"]\n");
        }
        t.push('\n');
    }
    t
}

#[test]
fn sigkill_at_20_points_during_up_of_50_jails_then_up_converges_and_down_is_clean() {
    if !root() {
        eprintln!("SKIP sigkill_at_20_points…: needs root");
        return;
    }
    let sb = Sandbox::new("k");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    std::fs::write(&cfg, many_jails(50)).unwrap();
    let state = dir.path().join("state");
    let before = sb.snapshot();
    // How many changes a full up makes.
    let out = sb.run(&cfg, &state, &["--json", "plan"], &[]);
    let plan: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let total = plan["changes"].as_array().unwrap().len();
    assert!(total > 150, "expected a big plan, got {total}");
    let points: Vec<usize> = (0..20).map(|k| 1 + k * (total - 2) / 19).collect();
    let mut leaks = 0;
    for (round, at) in points.iter().enumerate() {
        let out = sb.run(
            &cfg,
            &state,
            &["up"],
            &[("JAILNET_TEST_KILL_BEFORE", &at.to_string())],
        );
        assert_eq!(
            out.status.code(),
            None,
            "round {round}: expected death by SIGKILL before change {at}: {}",
            text(&out.stderr)
        );
        assert!(
            state.join("journal.json").exists(),
            "round {round}: no journal left by the killed run"
        );
        let out = sb.run(&cfg, &state, &["up"], &[]);
        assert!(
            out.status.success(),
            "round {round} (killed before {at}): up failed: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("interrupted mid-apply"),
            "round {round}: recovery not reported"
        );
        let out = sb.run(&cfg, &state, &["up"], &[]);
        assert!(
            text(&out.stdout).contains("Nothing to do"),
            "round {round}: second up not idempotent: {}",
            text(&out.stdout)
        );
        let out = sb.run(&cfg, &state, &["down"], &[]);
        assert!(
            out.status.success(),
            "round {round}: down failed: {}",
            text(&out.stderr)
        );
        if sb.snapshot() != before {
            leaks += 1;
            eprintln!(
                "round {round}: sandbox differs after down:\n{}\n---\n{before}",
                sb.snapshot()
            );
        }
    }
    assert_eq!(leaks, 0, "{leaks} of 20 rounds leaked");
    eprintln!(
        "RELIABILITY: {} kill points over a {total}-change up of 50 jails, {leaks} leaks",
        points.len()
    );
}

#[test]
fn sigterm_during_up_rolls_back_and_leaves_the_sandbox_as_it_was() {
    if !root() {
        eprintln!("SKIP sigterm_during_up…: needs root");
        return;
    }
    let sb = Sandbox::new("t");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    std::fs::write(&cfg, many_jails(10)).unwrap();
    let state = dir.path().join("state");
    let before = sb.snapshot();
    let out = sb.run(&cfg, &state, &["up"], &[("JAILNET_TEST_TERM_BEFORE", "15")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("interrupted by a signal") && err.contains("rolled back"),
        "{err}"
    );
    assert!(
        !state.join("journal.json").exists(),
        "a finished rollback leaves no journal"
    );
    assert_eq!(
        sb.snapshot(),
        before,
        "the sandbox is not as it was before up"
    );
    let st: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("state.json")).unwrap()).unwrap();
    assert!(
        st["owned"].as_object().unwrap().is_empty(),
        "state still claims {}",
        st["owned"]
    );
    // And a later up still works.
    assert!(sb.run(&cfg, &state, &["up"], &[]).status.success());
    assert!(sb.run(&cfg, &state, &["down"], &[]).status.success());
    assert_eq!(sb.snapshot(), before);
}

#[test]
fn sixteen_parallel_attaches_make_sixteen_working_jails() {
    if !root() {
        eprintln!("SKIP sixteen_parallel_attaches…: needs root");
        return;
    }
    let sb = Sandbox::new("p");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    let mut t = String::from("[switch.lan]\naddress = [\"10.63.0.1/24\"]\n\n");
    for i in 0..16 {
        t.push_str(&format!("[jail.p{i}]\n[[jail.p{i}.nic]]\nswitch = \"lan\"\nip4 = [\"auto\"]\nmac = \"auto\"\n\n"));
    }
    std::fs::write(&cfg, t).unwrap();
    let state = dir.path().join("state");
    let children: Vec<_> = (0..16)
        .map(|i| {
            let mut c = jailnet();
            c.args([
                "-c",
                cfg.to_str().unwrap(),
                "--backend",
                "linux",
                "--host-netns",
                &sb.0,
                "--state-dir",
                state.to_str().unwrap(),
                "attach",
                &format!("p{i}"),
            ]);
            c.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "attach p{i}: {}", text(&out.stderr));
    }
    let st: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("state.json")).unwrap()).unwrap();
    let nics = st["allocations"]["nics"].as_object().unwrap();
    assert_eq!(nics.len(), 16);
    let macs: std::collections::BTreeSet<_> = nics
        .values()
        .map(|v| v["mac"].as_str().unwrap().to_string())
        .collect();
    let ips: std::collections::BTreeSet<_> = nics
        .values()
        .map(|v| v["ip4"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        (macs.len(), ips.len()),
        (16, 16),
        "duplicate MAC or address: {nics:?}"
    );
    // Every jail works: it reaches the gateway with its own address.
    for i in 0..16 {
        let ns = format!("{}-p{i}", sb.0);
        let ok = Command::new("ip")
            .args(["netns", "exec", &ns, "ping", "-c1", "-W2", "10.63.0.1"])
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "jail p{i} cannot reach its gateway");
    }
    let out = sb.run(&cfg, &state, &["up"], &[]);
    assert!(
        text(&out.stdout).contains("Nothing to do"),
        "{}",
        text(&out.stdout)
    );
    assert!(sb.run(&cfg, &state, &["down"], &[]).status.success());
}

#[test]
fn a_deleted_veth_and_a_flushed_table_are_reported_and_repaired() {
    if !root() {
        eprintln!("SKIP a_deleted_veth…: needs root");
        return;
    }
    if Command::new("nft").arg("--version").output().is_err() {
        eprintln!("SKIP a_deleted_veth…: nft missing");
        return;
    }
    let sb = Sandbox::new("d");
    Command::new("ip")
        .args(["-n", &sb.0, "link", "add", "up0", "type", "bridge"])
        .status()
        .unwrap();
    Command::new("ip")
        .args(["-n", &sb.0, "addr", "add", "192.0.2.1/24", "dev", "up0"])
        .status()
        .unwrap();
    Command::new("ip")
        .args(["-n", &sb.0, "link", "set", "up0", "up"])
        .status()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    std::fs::write(&cfg, "[host]\nuplink = \"up0\"\n\n[switch.lan]\naddress = [\"10.64.0.1/24\"]\nnat = true\n\n[jail.w]\nexpose = [\"tcp/8080:80\"]\n[[jail.w.nic]]\nswitch = \"lan\"\nip4 = [\"10.64.0.5/24\"]\n").unwrap();
    let state = dir.path().join("state");
    assert!(sb.run(&cfg, &state, &["up"], &[]).status.success());
    // Break it by hand.
    Command::new("ip")
        .args(["-n", &sb.0, "link", "del", "w-vnet0"])
        .status()
        .unwrap();
    Command::new("ip")
        .args([
            "netns", "exec", &sb.0, "nft", "flush", "table", "inet", "jailnet",
        ])
        .status()
        .unwrap();
    let out = sb.run(&cfg, &state, &["status"], &[]);
    let st = text(&out.stdout);
    assert!(
        st.lines()
            .any(|l| l.contains("w:vnet0") && l.contains("missing")),
        "{st}"
    );
    let out = sb.run(&cfg, &state, &["doctor"], &[]);
    let doc = text(&out.stdout);
    assert!(
        doc.contains("+ nic:w/vnet0") && doc.contains("firewall:rdr-w"),
        "{doc}"
    );
    let out = sb.run(&cfg, &state, &["up"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sb.run(&cfg, &state, &["status"], &[]);
    assert!(text(&out.stdout)
        .lines()
        .any(|l| l.contains("w:vnet0") && l.contains(" up ")));
    let tables = Command::new("ip")
        .args([
            "netns", "exec", &sb.0, "nft", "list", "table", "inet", "jailnet",
        ])
        .output()
        .unwrap();
    assert!(text(&tables.stdout).contains("dnat ip to 10.64.0.5:80"));
    assert!(sb.run(&cfg, &state, &["down"], &[]).status.success());
}

#[test]
fn up_and_down_of_more_jails_than_the_soft_open_file_limit_allows() {
    if !root() {
        eprintln!("SKIP up_and_down_of_more_jails…: needs root");
        return;
    }
    // Each jail namespace costs jailnet two open files (a netlink socket and a namespace
    // handle) for the whole command: 30 jails need more than a soft limit of 48, which
    // jailnet raises to the hard limit (a thousand jails against Debian's usual 1024).
    let sb = Sandbox::new("f");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    std::fs::write(&cfg, many_jails(30)).unwrap();
    let state = dir.path().join("state");
    let limited = |args: &[&str]| {
        use std::os::unix::process::CommandExt;
        let mut c = sb.command(&cfg, &state, args);
        // SAFETY: setrlimit is async-signal-safe; the closure only calls it.
        unsafe {
            c.pre_exec(|| {
                let mut lim = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                lim.rlim_cur = 48;
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        c.output().unwrap()
    };
    let out = limited(&["up"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sb.jail_namespaces().len(), 30);
    let out = limited(&["up"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Nothing to do"),
        "{}",
        text(&out.stdout)
    );
    let out = limited(&["down"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(sb.jail_namespaces().is_empty());
}

#[test]
fn drift_inside_jails_is_planned_and_repaired() {
    if !root() {
        eprintln!("SKIP drift_inside_jails…: needs root");
        return;
    }
    let sb = Sandbox::new("i");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    // j0 on switch b (IPv4), j1 and j2 on switch a (IPv4 and IPv6), each with default routes.
    std::fs::write(&cfg, many_jails(3)).unwrap();
    let state = dir.path().join("state");
    assert!(sb.run(&cfg, &state, &["up"], &[]).status.success());
    let in_jail = |jail: &str, args: &[&str]| {
        let ns = format!("{}-{jail}", sb.0);
        let ok = Command::new("ip")
            .args(["-n", &ns])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "ip -n {ns} {args:?}");
    };
    let jail_state = |jail: &str| {
        let ns = format!("{}-{jail}", sb.0);
        let mut out = String::new();
        for args in [vec!["-o", "addr"], vec!["route"], vec!["-6", "route"]] {
            let o = Command::new("ip")
                .args(["-n", &ns])
                .args(&args)
                .output()
                .unwrap();
            out.push_str(&text(&o.stdout));
        }
        out
    };
    let (j0, j1, j2) = (jail_state("j0"), jail_state("j1"), jail_state("j2"));
    // By hand inside the jails: an address and routes removed, a MAC changed.
    in_jail("j1", &["addr", "del", "10.61.0.2/22", "dev", "vnet0"]);
    in_jail("j2", &["-6", "route", "del", "default"]);
    in_jail(
        "j0",
        &["link", "set", "vnet0", "address", "02:00:00:00:00:01"],
    );
    let out = sb.run(&cfg, &state, &["plan"], &[]);
    let plan = text(&out.stdout);
    for want in [
        "~ nic:j1/vnet0",
        "+ route4:j1",
        "+ route6:j2",
        "- nic:j0/vnet0",
        "+ nic:j0/vnet0",
    ] {
        assert!(plan.lines().any(|l| l.starts_with(want)), "{want}:\n{plan}");
    }
    assert!(!plan.contains("route6:j1"), "{plan}");
    let out = sb.run(&cfg, &state, &["up"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = sb.run(&cfg, &state, &["plan"], &[]);
    assert!(
        text(&out.stdout).contains("No changes"),
        "{}",
        text(&out.stdout)
    );
    let strip = |s: String| -> String {
        // Interface indexes change when a NIC is made again; link-local addresses follow
        // the MAC, which is the allocated one again.
        s.lines()
            .filter(|l| !l.contains("fe80::"))
            .map(|l| l.split_once(": ").map_or(l, |(_, r)| r).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(jail_state("j1")), strip(j1));
    assert_eq!(strip(jail_state("j2")), strip(j2));
    assert_eq!(strip(jail_state("j0")), strip(j0));
    assert!(sb.run(&cfg, &state, &["down"], &[]).status.success());
}

#[test]
fn up_into_namespaces_made_beforehand_and_down_leaves_them() {
    if !root() {
        eprintln!("SKIP up_into_namespaces_made_beforehand…: needs root");
        return;
    }
    // Jail namespaces an admin (or a container tool) made, empty: no interface up, no
    // routing table yet. jailnet wires them and, not having made them, leaves them.
    let sb = Sandbox::new("p");
    let names: Vec<String> = (0..3).map(|i| format!("{}-j{i}", sb.0)).collect();
    for n in &names {
        assert!(Command::new("ip")
            .args(["netns", "add", n])
            .status()
            .unwrap()
            .success());
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    std::fs::write(&cfg, many_jails(3)).unwrap();
    let state = dir.path().join("state");
    let out = sb.run(&cfg, &state, &["up"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let routes = Command::new("ip")
        .args(["-n", &names[1], "route"])
        .output()
        .unwrap();
    assert!(
        text(&routes.stdout).contains("default via 10.61.0.1"),
        "{}",
        text(&routes.stdout)
    );
    let out = sb.run(&cfg, &state, &["plan"], &[]);
    assert!(
        text(&out.stdout).contains("No changes"),
        "{}",
        text(&out.stdout)
    );
    assert!(sb.run(&cfg, &state, &["down"], &[]).status.success());
    let mut left = sb.jail_namespaces();
    left.sort();
    assert_eq!(left, names, "the namespaces jailnet did not make stay");
    for n in &names {
        let links = Command::new("ip")
            .args(["-n", n, "-o", "link"])
            .output()
            .unwrap();
        let links = text(&links.stdout);
        assert_eq!(links.lines().count(), 1, "only lo is left in {n}:\n{links}");
    }
}
