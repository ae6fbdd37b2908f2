//! jailnet's plan engine: what should change on a host. No I/O of its own.
//!
//! - [`resource`]: the vocabulary — switches, NICs, jails, routes, aliases, taps, settings —
//!   each fully resolved, with a stable [`ResourceId`].
//! - [`graph`]: the desired graph built from a validated config plus allocations, and the
//!   dependency order (create forward, delete reverse).
//! - [`diff`]: desired × [`Observed`] × [`State`] → an immutable [`Plan`]; only what jailnet
//!   owns is deleted or replaced.
//! - [`plan`]: the plan and its text/JSON renderings.
//! - [`apply`]: the [`Backend`] trait, and apply-with-rollback over any backend.
//! - [`state`]: what is remembered between runs (allocations, owned resources, settings to
//!   restore).
//!
//! Pipeline: `desired → observe → diff → Plan → apply → re-observe → diff must be empty`.

pub mod apply;
pub mod bpf;
pub mod diff;
pub mod dnsmasq;
pub mod doctor;
pub mod firewall;
pub mod graph;
pub mod plan;
pub mod resource;
pub mod state;

pub use apply::{apply, apply_until, ApplyError, Backend, BackendError};
pub use diff::{diff, Observed};
pub use graph::{desired, Graph};
pub use plan::{Change, Op, Plan};
pub use resource::{Resource, ResourceId};
pub use state::State;

#[cfg(test)]
mod tests;
