//! `jailnet import`: realistic iocage / pot / Bastille files under `tests/import/` are
//! converted, byte-compared with the expected jailnet.toml next to them (UPDATE_EXPECT=1
//! rewrites those), and the output must validate.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run `jailnet import ARGS…` from the repository root and compare with `expected`.
fn case(args: &[&str], expected: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_jailnet"))
        .current_dir(root())
        .arg("import")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "jailnet import {args:?} failed:\n{stderr}\n{stdout}"
    );
    let (_, d) = jailnet_model::check(&stdout);
    assert!(d.is_empty(), "{}", d.render("import", &stdout));
    let path = root().join(expected);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &stdout).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_EXPECT=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        stdout, want,
        "jailnet import {args:?} differs from {expected} (UPDATE_EXPECT=1 rewrites it)"
    );
}

#[test]
fn iocage_directory_of_jails() {
    case(
        &["iocage", "tests/import/iocage"],
        "tests/import/iocage/expected.toml",
    );
}

#[test]
fn iocage_one_config_json() {
    case(
        &["iocage", "tests/import/iocage/jails/www/config.json"],
        "tests/import/iocage/expected-www.toml",
    );
}

#[test]
fn iocage_uplink_option() {
    case(
        &[
            "iocage",
            "--uplink",
            "igb0",
            "tests/import/iocage/jails/vlancage",
        ],
        "tests/import/iocage/expected-vlancage-igb0.toml",
    );
}

#[test]
fn pot_jails_with_global_conf() {
    case(
        &["pot", "tests/import/pot/jails", "tests/import/pot/pot.conf"],
        "tests/import/pot/expected.toml",
    );
}

#[test]
fn pot_without_global_conf_uses_pot_defaults() {
    case(
        &["pot", "tests/import/pot/jails/web/conf/pot.conf"],
        "tests/import/pot/expected-web-defaults.toml",
    );
}

#[test]
fn bastille_jails() {
    case(
        &["bastille", "tests/import/bastille"],
        "tests/import/bastille/expected.toml",
    );
}

#[test]
fn bastille_one_jail_conf() {
    case(
        &["bastille", "tests/import/bastille/jails/proxy/jail.conf"],
        "tests/import/bastille/expected-proxy.toml",
    );
}

#[test]
fn unreadable_input_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_jailnet"))
        .args(["import", "pot", "/nonexistent/pot.conf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("config.json");
    std::fs::write(&f, r#"{"vnet": 1, "ip4_addr": "vnet1|10.1.1.2/24"}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jailnet"))
        .args(["import", "iocage", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no interface vnet1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
