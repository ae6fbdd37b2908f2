//! The Plan: an ordered, immutable list of changes, and its text and JSON renderings.

use crate::resource::{Resource, ResourceId};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    Delete,
}

/// One step: create `after`, delete `before`, or change `before` into `after`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub op: Op,
    pub id: ResourceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Resource>,
}

/// What would change, in the order it will be done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Things noticed while planning that the plan leaves alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Change {
    pub fn create(r: Resource) -> Self {
        Change {
            op: Op::Create,
            id: r.id(),
            before: None,
            after: Some(r),
        }
    }

    pub fn delete(r: Resource) -> Self {
        Change {
            op: Op::Delete,
            id: r.id(),
            before: Some(r),
            after: None,
        }
    }

    pub fn update(before: Resource, after: Resource) -> Self {
        Change {
            op: Op::Update,
            id: after.id(),
            before: Some(before),
            after: Some(after),
        }
    }

    /// The change that undoes this one.
    pub fn inverse(&self) -> Change {
        Change {
            op: match self.op {
                Op::Create => Op::Delete,
                Op::Delete => Op::Create,
                Op::Update => Op::Update,
            },
            id: self.id.clone(),
            before: self.after.clone(),
            after: self.before.clone(),
        }
    }

    /// The resource the change is about (the new value, or the old one for a delete).
    pub fn resource(&self) -> Option<&Resource> {
        self.after.as_ref().or(self.before.as_ref())
    }

    /// `+ nic:www/vnet0  www-vnet0 <-> www:vnet0 on lan, …`
    pub fn line(&self) -> String {
        let (sign, what) = match (self.op, &self.before, &self.after) {
            (Op::Create, _, Some(a)) => ("+", a.summary()),
            (Op::Delete, Some(b), _) => ("-", b.summary()),
            (Op::Update, Some(b), Some(a)) => {
                ("~", format!("{}  ->  {}", b.summary(), a.summary()))
            }
            _ => ("?", String::new()),
        };
        format!("{sign} {:<24} {what}", self.id.0)
    }
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn count(&self, op: Op) -> usize {
        self.changes.iter().filter(|c| c.op == op).count()
    }

    /// One line per change, then warnings, then a total.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        for c in &self.changes {
            let _ = writeln!(s, "{}", c.line());
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        if self.changes.is_empty() {
            s.push_str("No changes: the host matches the config.\n");
        } else {
            let _ = writeln!(
                s,
                "Plan: {} to create, {} to change, {} to delete.",
                self.count(Op::Create),
                self.count(Op::Update),
                self.count(Op::Delete)
            );
        }
        s
    }

    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
