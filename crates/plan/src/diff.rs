//! Diff: desired graph × observed host × state → Plan. Deletes come first in reverse
//! dependency order, then updates and creates in dependency order. Only what jailnet owns
//! is ever deleted or replaced.

use crate::graph::Graph;
use crate::plan::{Change, Plan};
use crate::resource::{Resource, ResourceId};
use crate::state::State;
use std::collections::BTreeSet;

/// What a backend found on the host, in the vocabulary of [`Resource`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub resources: Graph,
    /// Resources that carry jailnet's tag on the host (description/group `jailnet`, an
    /// ifalias, its own anchor or table), so are jailnet's even without a state entry.
    pub tagged: BTreeSet<ResourceId>,
}

impl Observed {
    pub fn insert(&mut self, r: Resource, tagged: bool) {
        self.insert_with(r, |_| tagged);
    }

    /// Insert `r`, tagged if `tagged` says so of its id (the id is made once).
    pub fn insert_with(&mut self, r: Resource, tagged: impl FnOnce(&ResourceId) -> bool) {
        let id = r.id();
        if tagged(&id) {
            self.tagged.insert(id.clone());
        }
        self.resources.nodes.insert(id, r);
    }
}

/// Plan the changes that turn `observed` into `desired`.
pub fn diff(desired: &Graph, observed: &Observed, state: &State) -> Plan {
    let owns = |id: &ResourceId| state.owns(id) || observed.tagged.contains(id);
    let mut plan = Plan::default();
    let mut replace: BTreeSet<ResourceId> = BTreeSet::new();
    let mut update: BTreeSet<ResourceId> = BTreeSet::new();
    let mut create: BTreeSet<ResourceId> = BTreeSet::new();

    for (id, want) in &desired.nodes {
        match observed.resources.get(id) {
            None => {
                create.insert(id.clone());
            }
            Some(have) if have == want => {}
            Some(have)
                if matches!(want, Resource::Sysctl { .. })
                    || (owns(id) && want.updatable_from(have)) =>
            {
                update.insert(id.clone());
            }
            Some(_) if owns(id) => {
                replace.insert(id.clone());
            }
            Some(have) => plan.warnings.push(format!(
                "{id} exists but was not made by jailnet ({}); left as it is",
                have.summary()
            )),
        }
    }
    // Replacing a resource replaces what stands on it.
    for id in replace.clone() {
        for dep in desired.dependents(&id) {
            if observed.resources.get(&dep).is_some() && owns(&dep) {
                update.remove(&dep);
                replace.insert(dep);
            }
        }
    }

    // Deletes: what jailnet owns and no longer wants, plus the old side of replacements,
    // in reverse dependency order over what is on the host.
    let doomed: BTreeSet<&ResourceId> = observed
        .resources
        .nodes
        .keys()
        .filter(|id| (owns(id) && !desired.nodes.contains_key(*id)) || replace.contains(*id))
        .collect();
    // (Ordering costs a graph walk: skipped when nothing is to go, as in a no-op.)
    let order = if doomed.is_empty() {
        Vec::new()
    } else {
        observed.resources.topo_order()
    };
    for id in order.iter().rev() {
        if doomed.contains(id) {
            plan.changes
                .push(Change::delete(observed.resources.nodes[id].clone()));
        }
    }
    // Host settings jailnet changed and no longer needs go back to their old value.
    for (id, old) in &state.restore {
        if desired.nodes.contains_key(id) {
            continue;
        }
        if let Some(have) = observed.resources.get(id) {
            if have != old {
                plan.changes.push(Change::update(have.clone(), old.clone()));
            }
        }
    }
    // Creates and updates, in dependency order over what is wanted.
    let order = if create.is_empty() && replace.is_empty() && update.is_empty() {
        Vec::new()
    } else {
        desired.topo_order()
    };
    for id in order {
        let want = &desired.nodes[&id];
        if create.contains(&id) || replace.contains(&id) {
            plan.changes.push(Change::create(want.clone()));
        } else if update.contains(&id) {
            if let Some(have) = observed.resources.get(&id) {
                plan.changes
                    .push(Change::update(have.clone(), want.clone()));
            }
        }
    }
    plan
}
