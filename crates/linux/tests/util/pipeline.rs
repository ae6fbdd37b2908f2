//! The plan pipeline as the tests drive it: config text → allocate → desired graph →
//! observe → diff → apply, and "the plan must then be empty".

use jailnet_linux::LinuxBackend;
use jailnet_model::alloc::allocate;
use jailnet_plan::{apply, desired, diff, Backend, Graph, Plan, Resource, State};

/// Host identity the tests allocate MACs for.
pub const HOST: &str = "hosta";

/// Check `text`, allocate into `state` and build the desired graph.
pub fn graph(text: &str, state: &mut State) -> Graph {
    let (cfg, d) = jailnet_model::check(text);
    assert!(d.is_empty(), "{}", d.render("t.toml", text));
    state.allocations = allocate(&cfg, HOST, &state.allocations).unwrap();
    desired(&cfg, &state.allocations).unwrap()
}

/// What would change to get from the host to `g`.
pub fn plan_for(b: &mut dyn Backend, g: &Graph, state: &State) -> Plan {
    let scope: Vec<&Resource> = g.nodes.values().chain(state.scope()).collect();
    let o = b.observe(&scope).unwrap();
    diff(g, &o, state)
}

/// desired → observe → diff → apply → re-observe: the plan must then be empty.
pub fn converge(b: &mut LinuxBackend, g: &Graph, state: &mut State) -> Plan {
    let plan = plan_for(b, g, state);
    if let Err(e) = apply(&plan, b, state, &mut |_, _| {}) {
        panic!("apply failed: {e}\n{}", plan.render_text());
    }
    let again = plan_for(b, g, state);
    assert!(again.is_empty(), "not converged:\n{}", again.render_text());
    plan
}

pub fn up(b: &mut LinuxBackend, text: &str, state: &mut State) -> Plan {
    let g = graph(text, state);
    converge(b, &g, state)
}

pub fn down(b: &mut LinuxBackend, state: &mut State) -> Plan {
    converge(b, &Graph::default(), state)
}
