//! What jailnet remembers between runs: allocations, the resources it created, and the
//! original values of host settings it changed. Serialized as the state file.

use crate::plan::{Change, Op};
use crate::resource::{Resource, ResourceId};
use jailnet_model::alloc::Allocations;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the state file format.
pub const SCHEMA: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub schema: u32,
    /// The host identity allocations were made for.
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub allocations: Allocations,
    /// Everything jailnet created, as it was created. Only these are ever deleted.
    #[serde(default)]
    pub owned: BTreeMap<ResourceId, Resource>,
    /// Host settings jailnet changed, with the value they had before.
    #[serde(default)]
    pub restore: BTreeMap<ResourceId, Resource>,
}

impl Default for State {
    fn default() -> Self {
        State {
            schema: SCHEMA,
            host: String::new(),
            allocations: Allocations::default(),
            owned: BTreeMap::new(),
            restore: BTreeMap::new(),
        }
    }
}

impl State {
    /// Whether jailnet created `id` (so may delete it).
    pub fn owns(&self, id: &ResourceId) -> bool {
        self.owned.contains_key(id)
    }

    /// Record that `change` was carried out.
    pub fn record(&mut self, change: &Change) {
        let id = &change.id;
        match (&change.op, &change.before, &change.after) {
            (Op::Create, _, Some(after)) => {
                self.owned.insert(id.clone(), after.clone());
            }
            (Op::Delete, _, _) => {
                self.owned.remove(id);
            }
            (Op::Update, Some(before), Some(after)) => {
                if matches!(after, Resource::Sysctl { .. }) {
                    if self.restore.get(id) == Some(after) {
                        self.restore.remove(id);
                    } else {
                        self.restore
                            .entry(id.clone())
                            .or_insert_with(|| before.clone());
                    }
                } else if self.owned.contains_key(id) {
                    self.owned.insert(id.clone(), after.clone());
                }
            }
            _ => {}
        }
    }

    /// Every resource jailnet must look at on the host: what it owns and what it changed.
    pub fn scope(&self) -> impl Iterator<Item = &Resource> {
        self.owned.values().chain(self.restore.values())
    }
}
