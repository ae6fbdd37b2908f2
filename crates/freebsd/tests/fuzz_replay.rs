//! Every file under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` for the FreeBSD
//! tool-output targets (`ifconfig`, `jls`, `sysctl`, `route`, `ngctl`, `pf`), run through
//! the fuzz targets' own checks (`fuzz/src/freebsd.rs`) without the fuzzer, so a parser
//! regression shows in `make test`. `UPDATE_SEEDS=1` rewrites the `sim-*` seeds from the
//! simulated host after `up` of every example.

mod common;

#[path = "../../../fuzz/src/freebsd.rs"]
#[allow(dead_code)]
mod checks;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

use common::*;
use jailnet_freebsd_sim::SimHost;
use jailnet_host::Invocation;
use std::path::{Path, PathBuf};

const TARGETS: [&str; 6] = ["ifconfig", "jls", "sysctl", "route", "ngctl", "pf"];

fn fuzz_dir() -> PathBuf {
    root().join("../../fuzz")
}

#[test]
fn every_seed_and_regression_passes_its_target() {
    replay::replay(&fuzz_dir(), &TARGETS, checks::run);
}

/// Writes `fuzz/seeds/<target>/sim-<example>.txt` from the simulator (only with
/// `UPDATE_SEEDS=1`).
#[test]
fn sim_outputs_as_seeds() {
    if std::env::var_os("UPDATE_SEEDS").is_none() {
        return;
    }
    for ex in examples() {
        let mut b = backend(base_host(&ex));
        let mut state = state_for(&ex);
        up(&mut b, &ex.graph, &mut state).unwrap();
        let mut h: SimHost = b.into_host();
        let mut out = |inv: Invocation| h.exec(&inv).stdout;
        let vnet_jail = ex.graph.nodes.values().find_map(|r| match r {
            jailnet_plan::Resource::Nic { jail, .. } => Some(jail.to_string()),
            _ => None,
        });
        let mut seeds = vec![
            ("ifconfig", out(Invocation::new("ifconfig", ["-a"]))),
            (
                "jls",
                out(Invocation::new(
                    "jls",
                    jailnet_freebsd::observe::jls::args(),
                )),
            ),
            ("ngctl", out(Invocation::new("ngctl", ["list", "-l"]))),
        ];
        let mut pf = out(Invocation::new("pfctl", ["-a", "jailnet", "-s", "Anchors"]));
        for a in jailnet_freebsd::observe::pf::parse_anchors(&pf.clone()) {
            for s in ["nat", "rules"] {
                let path = format!("jailnet/{a}");
                pf += &out(Invocation::new("pfctl", ["-a", path.as_str(), "-s", s]));
            }
        }
        seeds.push(("pf", pf));
        if let Some(j) = vnet_jail {
            seeds.push((
                "route",
                out(Invocation::new("netstat", ["-rn"]).in_jail(&j)),
            ));
            let inside = out(Invocation::new("ifconfig", ["-a"]).in_jail(&j));
            write(
                Path::new("ifconfig"),
                &format!("sim-{}-{j}", ex.name),
                &inside,
            );
        }
        for (t, text) in seeds {
            write(Path::new(t), &format!("sim-{}", ex.name), &text);
        }
    }
}

fn write(target: &Path, name: &str, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    let dir = fuzz_dir().join("seeds").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.txt")), text).unwrap();
}
