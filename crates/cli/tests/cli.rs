//! The `jailnet` binary as users and scripts see it: exit codes, diagnostics, help, JSON,
//! and (as root) a full up/status/down cycle on the Linux backend inside a sandbox.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn jailnet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jailnet"))
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn run(args: &[&str]) -> Output {
    jailnet().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn validate_accepts_every_example() {
    for e in std::fs::read_dir(examples()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let out = run(&["-c", p.to_str().unwrap(), "validate"]);
            assert!(
                out.status.success(),
                "{}: {}",
                p.display(),
                text(&out.stderr)
            );
            assert!(
                text(&out.stdout).contains(": ok ("),
                "{}",
                text(&out.stdout)
            );
        }
    }
}

#[test]
fn invalid_config_exits_2_with_located_errors_and_hints() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    std::fs::write(&f, "[switch.lan]\naddress = [\"10.1.1.1/24\"]\n\n[jail.www]\n[[jail.www.nic]]\nswitch = \"lna\"\nip4 = [\"10.1.1.300/24\"]\n").unwrap();
    let out = run(&["-c", f.to_str().unwrap(), "validate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let name = f.display().to_string();
    assert!(
        err.contains(&format!(
            "{name}:6:10: error: jail 'www' nic vnet0 is on unknown switch 'lna'"
        )),
        "{err}"
    );
    assert!(err.contains("hint: did you mean 'lan'?"), "{err}");
    assert!(err.contains(&format!("{name}:7:8: error: ")), "{err}");
    assert!(
        err.contains("2 problems found; nothing was changed."),
        "{err}"
    );
    // --json gives the same problems as data
    let out = run(&["-c", f.to_str().unwrap(), "--json", "validate"]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stderr)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["line"], 6);
}

#[test]
fn a_missing_config_or_bad_usage_exits_2() {
    let out = run(&["-c", "/nonexistent/jailnet.toml", "validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read config /nonexistent/jailnet.toml"));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["--backend", "solaris", "validate"]).status.code(),
        Some(2)
    );
}

#[test]
fn every_command_has_help() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let top = text(&out.stdout);
    for cmd in [
        "validate", "plan", "up", "down", "attach", "detach", "status", "graph", "doctor", "gc",
        "exec", "sim", "import", "demo", "emit",
    ] {
        assert!(top.contains(cmd), "--help does not list {cmd}");
        let out = run(&[cmd, "--help"]);
        assert!(out.status.success(), "{cmd} --help failed");
        assert!(text(&out.stdout).contains("Usage: jailnet"), "{cmd}");
    }
}

#[test]
fn plan_json_is_machine_readable() {
    let showcase = examples().join("showcase.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "-c",
        showcase.to_str().unwrap(),
        "--backend",
        "sim",
        "--state-dir",
        dir.path().to_str().unwrap(),
        "--json",
        "plan",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&text(&out.stdout)).unwrap();
    let changes = v["changes"].as_array().unwrap();
    assert!(changes
        .iter()
        .any(|c| c["id"] == "switch:lan" && c["op"] == "create"));
    assert!(changes.iter().any(|c| c["id"] == "nic:web1/vnet0"));
}

#[test]
fn attach_of_an_unknown_jail_is_a_usage_error() {
    let showcase = examples().join("showcase.toml");
    let out = run(&["-c", showcase.to_str().unwrap(), "attach", "nosuchjail"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("jail 'nosuchjail' is not in"));
}

/// Root only: `up`, `status`, `up` again, `exec`, `down` on the Linux backend with a
/// sandbox namespace as the host.
#[test]
fn linux_up_status_down_in_a_sandbox() {
    if unsafe { libc_geteuid() } != 0 {
        eprintln!("SKIP linux_up_status_down_in_a_sandbox: needs root");
        return;
    }
    let ns = format!("jnc{}", std::process::id());
    let sb = Sandbox::new(&ns);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("j.toml");
    std::fs::write(&cfg, "[switch.lan]\naddress = [\"10.77.0.1/24\"]\n\n[jail.a]\n[[jail.a.nic]]\nswitch = \"lan\"\nip4 = [\"auto\"]\n\n[jail.b]\n[[jail.b.nic]]\nswitch = \"lan\"\nip4 = [\"10.77.0.20/24\"]\n").unwrap();
    let base = |cmd: &[&str]| {
        let mut a = vec![
            "-c",
            cfg.to_str().unwrap(),
            "--backend",
            "linux",
            "--host-netns",
            &ns,
            "--state-dir",
            dir.path().to_str().unwrap(),
        ];
        a.extend_from_slice(cmd);
        let out = jailnet().args(&a).output().unwrap();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, out, err) = base(&["up"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Done:"), "{out}");
    let (code, out, _) = base(&["up"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Nothing to do"), "{out}");
    let (code, out, _) = base(&["status"]);
    assert_eq!(code, Some(0));
    assert!(
        out.lines().any(|l| l.starts_with("vnet")
            && l.contains("a:vnet0")
            && l.contains(" up ")
            && l.contains("10.77.0.2/24")),
        "{out}"
    );
    let (code, out, _) = base(&["exec", "a", "--", "ping", "-c1", "-W1", "10.77.0.20"]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out, err) = base(&["down"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (_, out, _) = base(&["status"]);
    assert!(
        out.lines()
            .filter(|l| l.starts_with("vnet"))
            .all(|l| l.contains("missing")),
        "{out}"
    );
    drop(sb);
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

struct Sandbox(String);

impl Sandbox {
    fn new(ns: &str) -> Sandbox {
        let _ = Command::new("ip")
            .args(["netns", "del", ns])
            .stderr(std::process::Stdio::null())
            .status();
        let ok = Command::new("ip")
            .args(["netns", "add", ns])
            .status()
            .unwrap()
            .success();
        assert!(ok, "cannot create netns {ns}");
        Sandbox(ns.to_string())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Ok(out) = Command::new("ip").args(["netns", "list"]).output() {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let name = line.split_whitespace().next().unwrap_or("");
                if name == self.0 || name.starts_with(&format!("{}-", self.0)) {
                    let _ = Command::new("ip").args(["netns", "del", name]).status();
                }
            }
        }
    }
}
