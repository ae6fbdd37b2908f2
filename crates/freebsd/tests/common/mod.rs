//! Shared helpers for the simulator tests: load an example, build the simulated host it
//! expects (interfaces the config uses but jailnet does not create), and run `up`/`down`.

#![allow(dead_code)]

use jailnet_freebsd::FreebsdBackend;
use jailnet_freebsd_sim::SimHost;
use jailnet_host::Host;
use jailnet_model::alloc::{allocate, Allocations};
use jailnet_plan::{apply, desired, diff, ApplyError, Backend, Graph, Plan, Resource, State};
use std::collections::BTreeSet;
use std::path::PathBuf;

pub struct Example {
    pub name: String,
    pub graph: Graph,
    pub alloc: Allocations,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `examples/*.toml`, sorted by name.
pub fn examples() -> Vec<Example> {
    let dir = root().join("../../examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load(p)).collect()
}

pub fn load(path: &std::path::Path) -> Example {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    load_text(&name, &text)
}

/// An example from config text.
pub fn load_text(name: &str, text: &str) -> Example {
    let (cfg, diags) = jailnet_model::check(text);
    assert!(diags.is_empty(), "{}", diags.render(name, text));
    let alloc = allocate(&cfg, "testhost", &Default::default()).unwrap();
    let graph = desired(&cfg, &alloc).unwrap();
    Example {
        name: name.to_string(),
        graph,
        alloc,
    }
}

/// Why an example cannot run on the simulator, if it cannot: every example runs now
/// (netgraph included); kept as the one place to say so if one cannot.
pub fn unsupported(_ex: &Example) -> Option<&'static str> {
    None
}

/// A fresh simulated host with every interface the example uses but does not create:
/// physical NICs (each with a DHCP server on its LAN, seed 003's router: 192.168.0.100-199,
/// router 192.168.0.1), `lo1`, a vlan to alias on, a manual bridge.
pub fn base_host(ex: &Example) -> SimHost {
    let made: BTreeSet<String> = ex
        .graph
        .nodes
        .values()
        .filter_map(|r| r.host_ifname())
        .map(|i| i.to_string())
        .collect();
    let mut needed: BTreeSet<String> = BTreeSet::new();
    for r in ex.graph.nodes.values() {
        match r {
            Resource::Member { switch, member } => {
                needed.insert(switch.to_string());
                needed.insert(member.to_string());
            }
            Resource::Vlan { parent, .. } => {
                needed.insert(parent.to_string());
            }
            Resource::Vxlan { dev: Some(d), .. } => {
                needed.insert(d.to_string());
            }
            Resource::Alias { ifname, .. } => {
                needed.insert(ifname.to_string());
            }
            Resource::Nic { switch, .. } | Resource::Tap { switch, .. } => {
                needed.insert(switch.to_string());
            }
            _ => {}
        }
    }
    let mut h = SimHost::fresh();
    // Parents first: `em0.101` needs `em0`.
    let mut todo: Vec<String> = needed.into_iter().filter(|n| !made.contains(n)).collect();
    todo.sort_by_key(|n| n.contains('.'));
    for (i, name) in todo.iter().enumerate() {
        if h.iface(&jailnet_freebsd_sim::VnetId::Host, name).is_some() {
            continue;
        }
        let cloned = name.starts_with("lo") || name.starts_with("bridge") || name.contains('.');
        if cloned {
            let o = h.sh("ifconfig", &[name.as_str(), "create", "up"]);
            assert!(o.success(), "ifconfig {name} create: {}", o.stderr);
        } else {
            h = h
                .with_nic(name, &format!("58:9c:fc:00:01:{:02x}", i + 1))
                .unwrap()
                .with_lan_dhcp(
                    name,
                    [192, 168, 0, 100].into(),
                    [192, 168, 0, 199].into(),
                    24,
                    [192, 168, 0, 1].into(),
                );
        }
    }
    h
}

/// observe → diff → Plan, for `graph` (plus what the state owns).
pub fn plan<B: Backend>(b: &mut B, graph: &Graph, state: &State) -> Plan {
    let scope: Vec<&Resource> = graph.nodes.values().chain(state.scope()).collect();
    let observed = b.observe(&scope).unwrap();
    diff(graph, &observed, state)
}

/// observe → diff → apply.
pub fn up<B: Backend>(b: &mut B, graph: &Graph, state: &mut State) -> Result<Plan, ApplyError> {
    let p = plan(b, graph, state);
    apply(&p, b, state, &mut |_, _| {})?;
    Ok(p)
}

pub fn backend<H: Host>(h: H) -> FreebsdBackend<H> {
    FreebsdBackend::new(h)
}

pub fn state_for(ex: &Example) -> State {
    State {
        allocations: ex.alloc.clone(),
        ..State::default()
    }
}

/// Asserts `plan` is empty.
pub fn assert_converged(ex: &Example, plan: &Plan, what: &str) {
    assert!(
        plan.is_empty(),
        "{} {what}: not converged:\n{}",
        ex.name,
        plan.render_text()
    );
}

/// Compare `got` with `tests/snapshots/<dir>/<name>.txt` (`UPDATE_EXPECT=1` rewrites it);
/// `what` names the text in the failure message.
pub fn check_snapshot(dir: &str, name: &str, got: &str, what: &str) {
    let dir = root().join("tests/snapshots").join(dir);
    let path = dir.join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", path.display()));
    assert!(
        want == got,
        "{name}: {what} differs from {}\n--- got ---\n{got}",
        path.display()
    );
}
