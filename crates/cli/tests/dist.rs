//! What jailnet ships besides the binary, and the commands that feed it: `graph`
//! (dot / mermaid snapshots of the showcase, well-formed SVG), `schema` (kept equal to
//! `dist/jailnet.schema.json`), `completions`, `export rc-conf`, the man pages (checked
//! with `mandoc -T lint`, and covering every command and config key) and the FreeBSD /
//! systemd integration files. UPDATE_EXPECT=1 rewrites snapshots.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn jailnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jailnet"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap()
}

fn stdout_ok(args: &[&str]) -> String {
    let out = jailnet(args);
    assert!(
        out.status.success(),
        "jailnet {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn snapshot(got: &str, rel: &str) {
    let p = root().join(rel);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&p, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{rel}: {e} (UPDATE_EXPECT=1 creates it)"));
    assert_eq!(got, want, "{rel} differs (UPDATE_EXPECT=1 rewrites it)");
}

/// The showcase graphed against a fresh simulated host (everything "missing"), so the
/// output does not depend on this machine.
fn graph(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    stdout_ok(&[
        "-c",
        "examples/showcase.toml",
        "--backend",
        "sim",
        "--state-dir",
        dir.path().to_str().unwrap(),
        "graph",
        "--format",
        format,
    ])
}

#[test]
fn graph_dot_and_mermaid_snapshots() {
    snapshot(&graph("dot"), "tests/graph/showcase.dot");
    snapshot(&graph("mermaid"), "tests/graph/showcase.mmd");
}

/// A small well-formedness check: tags nest and close, attributes are quoted, and only
/// XML's own entities are used.
fn check_xml(s: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        let text = &rest[..i];
        if text.contains('>') {
            return Err(format!("stray '>' in text {text:?}"));
        }
        rest = &rest[i..];
        if rest.starts_with('&') {
            let end = rest.find(';').ok_or("unterminated entity")?;
            let ent = &rest[1..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos") || ent.starts_with('#');
            if !ok {
                return Err(format!("unknown entity &{ent};"));
            }
            rest = &rest[end + 1..];
            continue;
        }
        for (open, close) in [
            ("<?", "?>"),
            ("<!--", "-->"),
            ("<!DOCTYPE", ">"),
            ("<![CDATA[", "]]>"),
        ] {
            if rest.starts_with(open) {
                let end = rest.find(close).ok_or(format!("unterminated {open}"))?;
                rest = &rest[end + close.len()..];
            }
        }
        if !rest.starts_with('<') {
            continue;
        }
        let end = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body
            .split_whitespace()
            .next()
            .ok_or("empty tag")?
            .to_string();
        let attrs = &body[name.len()..];
        if attrs.matches('"').count() & 1 == 1 {
            return Err(format!("unbalanced quotes in <{name}>"));
        }
        for a in attrs.split('"').step_by(2) {
            for w in a.split_whitespace() {
                if !w.ends_with('=') {
                    return Err(format!("attribute {w:?} of <{name}> has no quoted value"));
                }
            }
        }
        if !self_closing {
            stack.push(name);
        }
    }
    match stack.pop() {
        None => Ok(()),
        Some(t) => Err(format!("<{t}> is never closed")),
    }
}

#[test]
fn graph_svg_is_well_formed_and_names_every_jail() {
    let svg = graph("svg");
    check_xml(&svg).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    let (cfg, _) = jailnet_model::check(
        &std::fs::read_to_string(root().join("examples/showcase.toml")).unwrap(),
    );
    for j in cfg
        .jails
        .keys()
        .map(|j| j.as_str())
        .chain(cfg.vms.keys().map(|v| v.as_str()))
    {
        assert!(svg.contains(j), "the SVG does not name {j}");
    }
    assert!(check_xml("<a><b></a>").is_err());
    assert!(check_xml("<a x=1/>").is_err());
}

#[test]
fn graph_draws_every_example() {
    for e in std::fs::read_dir(root().join("examples")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            let dir = tempfile::tempdir().unwrap();
            for f in ["dot", "mermaid", "svg"] {
                let out = stdout_ok(&[
                    "-c",
                    p.to_str().unwrap(),
                    "--backend",
                    "sim",
                    "--state-dir",
                    dir.path().to_str().unwrap(),
                    "graph",
                    "--format",
                    f,
                ]);
                if f == "svg" {
                    check_xml(&out).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                }
            }
        }
    }
}

#[test]
fn schema_is_json_and_dist_copy_is_in_sync() {
    let s = stdout_ok(&["schema"]);
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["title"], "jailnet.toml");
    snapshot(&s, "dist/jailnet.schema.json");
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef jailnet"),
        ("fish", "complete -c jailnet"),
    ] {
        let s = stdout_ok(&["completions", shell]);
        assert!(s.contains(marker), "{shell}: {s}");
        assert!(s.contains("import") && s.contains("graph"), "{shell}");
    }
}

#[test]
fn export_rc_conf_prints_sysrc_lines() {
    let dir = tempfile::tempdir().unwrap();
    let s = stdout_ok(&[
        "-c",
        "examples/showcase.toml",
        "--state-dir",
        dir.path().to_str().unwrap(),
        "export",
        "rc-conf",
    ]);
    assert!(s.contains("sysrc gateway_enable=YES"), "{s}");
    assert!(
        s.contains("sysrc cloned_interfaces+=\"bridge0 bridge1 bridge2\""),
        "{s}"
    );
    assert!(
        s.contains("sysrc ifconfig_lan=\"inet 10.88.1.1/24 up\""),
        "{s}"
    );
    for l in s.lines() {
        assert!(l.starts_with("sysrc ") || l.starts_with('#'), "{l}");
    }
}

/// Every subcommand (and nested one) of the CLI, from `--help`.
fn commands(args: &[&str]) -> Vec<String> {
    let mut a = args.to_vec();
    a.push("--help");
    let help = stdout_ok(&a);
    let mut out = Vec::new();
    let mut in_cmds = false;
    for l in help.lines() {
        if l.starts_with("Commands:") {
            in_cmds = true;
            continue;
        }
        if in_cmds {
            if !l.starts_with("  ") {
                break;
            }
            if let Some(w) = l.split_whitespace().next() {
                if w != "help" && l.starts_with("  ") && !l.starts_with("   ") {
                    out.push(w.to_string());
                }
            }
        }
    }
    out
}

fn mandoc() -> bool {
    Command::new("mandoc").arg("-V").output().is_ok()
        || Command::new("mandoc").arg("-h").output().is_ok()
}

#[test]
fn man_pages_lint_clean_and_cover_the_cli_and_config() {
    let m8 = std::fs::read_to_string(root().join("man/jailnet.8")).unwrap();
    let m5 = std::fs::read_to_string(root().join("man/jailnet.toml.5")).unwrap();
    for c in commands(&[]) {
        assert!(
            m8.contains(&format!(".It Cm {c}")),
            "man/jailnet.8 does not describe `{c}`"
        );
        for sub in commands(&[&c]) {
            assert!(
                m8.contains(&format!("Cm {sub}")) || m8.contains(&format!("Ar {sub}")),
                "man/jailnet.8 lacks `{c} {sub}`"
            );
        }
    }
    for opt in [
        "config",
        "backend",
        "state-dir",
        "host-netns",
        "json",
        "commands",
        "format",
        "uplink",
        "help",
        "version",
    ] {
        assert!(
            m8.contains(&format!("Fl -{opt}")) || m8.contains(&format!("Fl {opt}")),
            "man/jailnet.8 lacks --{opt}"
        );
    }
    let schema: serde_json::Value = serde_json::from_str(&stdout_ok(&["schema"])).unwrap();
    let mut keys = Vec::new();
    fn walk(v: &serde_json::Value, keys: &mut Vec<String>) {
        if let Some(p) = v.get("properties").and_then(|p| p.as_object()) {
            for (k, sub) in p {
                keys.push(k.clone());
                walk(sub, keys);
            }
        }
        for k in ["$defs", "items", "additionalProperties"] {
            match v.get(k) {
                Some(serde_json::Value::Object(o)) if k == "$defs" => {
                    o.values().for_each(|d| walk(d, keys))
                }
                Some(sub) => walk(sub, keys),
                None => {}
            }
        }
    }
    walk(&schema, &mut keys);
    for k in keys {
        assert!(
            m5.contains(&format!("Ic {k}")) || m5.contains(&format!("Cm {k}")),
            "man/jailnet.toml.5 lacks key `{k}`"
        );
    }
    if !mandoc() {
        eprintln!(
            "SKIP: mandoc is not installed (scripts/deps.sh installs it); man pages not linted"
        );
        return;
    }
    for page in ["man/jailnet.8", "man/jailnet.toml.5"] {
        let out = Command::new("mandoc")
            .current_dir(root())
            .args(["-T", "lint", "-W", "warning", page])
            .output()
            .unwrap();
        let msg = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && msg.trim().is_empty(),
            "mandoc -T lint {page}:\n{msg}"
        );
    }
}

#[test]
fn integration_files_are_shaped_right() {
    let rc = std::fs::read_to_string(root().join("dist/freebsd/rc.d/jailnet")).unwrap();
    for want in [
        "# PROVIDE: jailnet",
        "# REQUIRE: NETWORKING pf",
        "# BEFORE: jail iocage",
        ". /etc/rc.subr",
        "rcvar=jailnet_enable",
        "load_rc_config",
        ": ${jailnet_config:=",
        "run_rc_command \"$1\"",
    ] {
        assert!(rc.contains(want), "rc.d/jailnet lacks {want:?}");
    }
    let unit = std::fs::read_to_string(root().join("dist/linux/jailnet.service")).unwrap();
    for want in [
        "Type=oneshot",
        "RemainAfterExit=yes",
        "ExecStart=",
        "ExecStop=",
        "WantedBy=multi-user.target",
    ] {
        assert!(unit.contains(want), "jailnet.service lacks {want}");
    }
    let mk = std::fs::read_to_string(root().join("dist/freebsd/port/Makefile")).unwrap();
    for want in [
        "PORTNAME=",
        "CATEGORIES=\tsysutils",
        "USES=\t\tcargo",
        "USE_RC_SUBR=",
        ".include <bsd.port.mk>",
    ] {
        assert!(mk.contains(want), "port Makefile lacks {want:?}");
    }
    let plist = std::fs::read_to_string(root().join("dist/freebsd/port/pkg-plist")).unwrap();
    assert!(
        plist.contains("sbin/jailnet") && plist.contains("share/man/man8/jailnet.8.gz"),
        "{plist}"
    );
    if Command::new("sh")
        .arg("-n")
        .arg(root().join("dist/freebsd/rc.d/jailnet"))
        .output()
        .is_ok_and(|o| o.status.success())
    {
        // parses as sh
    } else {
        panic!("dist/freebsd/rc.d/jailnet is not valid sh");
    }
}
