//! Processes the FreeBSD backend spawns, counted from the simulator's transcript
//! (`RecordingHost` over `SimHost`): per change kind while bringing up N VNET
//! jails with one NIC each on a NAT switch, and per firewall change (one more
//! exposed port). Printed next to iocage's and pot's counts from
//! `shared/reference/peers-freebsd.md`. Run by `bench/run.sh`:
//! `cargo run --release -p jailnet-freebsd --example process_counts`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use jailnet_freebsd::FreebsdBackend;
use jailnet_freebsd_sim::SimHost;
use jailnet_host::RecordingHost;
use jailnet_model::alloc::allocate;
use jailnet_plan::{desired, diff, Backend, Graph, Plan, Resource, State};

const N: usize = 10;

fn config(exposed: usize) -> String {
    let mut t = String::from(
        "[host]\nuplink = \"em0\"\n[switch.lan]\nifname = \"bridge0\"\n\
         address = [\"10.1.0.1/16\"]\nnat = true\n",
    );
    for i in 1..=N {
        t.push_str(&format!("[jail.j{i}]\n"));
        if i == 1 {
            let ports: Vec<String> = (0..exposed)
                .map(|p| format!("\"tcp/{}:80\"", 8080 + p))
                .collect();
            t.push_str(&format!("expose = [{}]\n", ports.join(", ")));
        }
        t.push_str(&format!(
            "[[jail.j{i}.nic]]\nname = \"vnet0\"\nswitch = \"lan\"\nip4 = [\"10.1.0.{}/16\"]\n",
            i + 1
        ));
    }
    t
}

fn graph(text: &str) -> Result<Graph, String> {
    let (cfg, diags) = jailnet_model::check(text);
    if !diags.is_empty() {
        return Err(diags.render("bench.toml", text));
    }
    let alloc = allocate(&cfg, "benchhost", &Default::default()).map_err(|e| e.to_string())?;
    desired(&cfg, &alloc).map_err(|e| e.to_string())
}

type B = FreebsdBackend<RecordingHost<SimHost>>;

fn plan(b: &mut B, g: &Graph, state: &State) -> Result<Plan, String> {
    let scope: Vec<&Resource> = g.nodes.values().chain(state.scope()).collect();
    let observed = b.observe(&scope).map_err(|e| e.to_string())?;
    Ok(diff(g, &observed, state))
}

/// Apply `p`, returning (kind → (changes, processes)) and the programs run.
/// Per change kind (creates, spawns), and per program the spawn count.
type Counts = (BTreeMap<String, (usize, usize)>, BTreeMap<String, usize>);

fn apply(b: &mut B, p: &Plan, state: &mut State) -> Result<Counts, String> {
    let mut by_kind: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let first = b.host().count();
    for c in &p.changes {
        let before = b.host().count();
        b.apply(c).map_err(|e| e.to_string())?;
        state.record(c);
        let kind = c.resource().map(|r| r.kind()).unwrap_or("?").to_string();
        let e = by_kind.entry(kind).or_default();
        e.0 += 1;
        e.1 += b.host().count() - before;
    }
    let before = b.host().count();
    b.commit().map_err(|e| e.to_string())?;
    let e = by_kind.entry("(commit)".into()).or_default();
    e.0 += 1;
    e.1 += b.host().count() - before;
    let mut programs: BTreeMap<String, usize> = BTreeMap::new();
    for (inv, _) in b.host().calls.iter().skip(first) {
        *programs.entry(inv.program.clone()).or_default() += 1;
    }
    Ok((by_kind, programs))
}

fn run() -> Result<(), String> {
    // A fresh simulated host already has em0 (the uplink).
    let host = SimHost::fresh();
    let mut b = FreebsdBackend::new(RecordingHost::new(host));
    let mut state = State::default();

    let g = graph(&config(1))?;
    let before = b.host().count();
    let p = plan(&mut b, &g, &state)?;
    let observe = b.host().count() - before;
    let (kinds, programs) = apply(&mut b, &p, &mut state)?;
    println!(
        "FreeBSD backend (simulator transcript): up of {N} VNET jails, one NIC each, NAT switch"
    );
    println!("  observe: {observe} processes");
    for (k, (n, procs)) in &kinds {
        println!(
            "  {k:<10} {n:>3} changes {procs:>4} processes  {:.1} per change",
            *procs as f64 / *n as f64
        );
    }
    println!("  programs: {programs:?}");
    let nic = kinds.get("nic").map(|(n, p)| *p as f64 / *n as f64);

    // One more exposed port: one firewall change.
    let g2 = graph(&config(2))?;
    let p2 = plan(&mut b, &g2, &state)?;
    let (kinds2, programs2) = apply(&mut b, &p2, &mut state)?;
    let fw_changes: usize = kinds2
        .iter()
        .filter(|(k, _)| k.as_str() != "(commit)")
        .map(|(_, (n, _))| *n)
        .sum();
    let pfctl = programs2.get("pfctl").copied().unwrap_or(0);
    println!(
        "firewall change (one more exposed port): {fw_changes} change(s), programs {programs2:?}"
    );
    println!();
    println!("| tool | processes per VNET NIC attach | processes per firewall change |");
    println!("|---|---:|---:|");
    println!(
        "| jailnet (freebsd backend) | {} | {pfctl} pfctl |",
        nic.map(|v| format!("{v:.1}")).unwrap_or_else(|| "?".into())
    );
    println!("| iocage (peers-freebsd.md §2.1: epair create, name+mtu, link, description, vnet, 3 jexec ifconfig, 2 addm, up, address, route) | 6–10 (≈ 13 by §2.1 for one IPv4 + route) | ≥ 1 `pfctl -f` of the main ruleset |");
    println!("| pot (peers-freebsd.md §7 cost model) | 6–10 (+ `sleep 1` per epair at stop) | ≥ 1 pfctl |");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("process_counts: {e}");
            ExitCode::FAILURE
        }
    }
}
