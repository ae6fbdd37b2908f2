//! jailnet's FreeBSD backend: plan changes become argv for the base system tools, and
//! their output becomes observed resources again. Never a shell.
//!
//! - [`lower`]: one [`Change`](jailnet_plan::Change) → [`Step`]s, one file per resource
//!   kind. Each step carries what undoes it, so a change that fails half-way is undone
//!   before the error is returned and the plan-level rollback starts from a clean host.
//! - [`observe`]: parsers for `ifconfig -a`, `jls -n`, `sysctl -n`, `netstat -rn` and
//!   `ngctl` output into typed structs (with round-trip tests on real FreeBSD output), and
//!   the mapping of what they show onto [`Resource`](jailnet_plan::Resource) values.
//! - [`phased`]: netgraph creation, which needs the kernel's answers between steps
//!   (`ngethN`, free bridge links), run phase by phase with the same all-or-nothing undo.
//! - [`units`]: choosing the unit of a cloned interface from what was observed.
//! - [`exec`]: running steps on a [`Host`](jailnet_host::Host), undoing on failure.
//! - [`backend`]: [`FreebsdBackend`], the [`Backend`](jailnet_plan::Backend) that ties them
//!   together.
//! - [`doctor`]: read-only checks of what a config needs from the host (VIMAGE, pf enabled
//!   and hooking jailnet's anchors, forwarding, bridge pfil), each with its exact fix.
//!
//! Ownership on the host: every interface jailnet creates carries
//! `description jailnet:<resource id>` and `group jailnet`, and every pf rule jailnet loads
//! lives in an anchor under `jailnet/` (the main ruleset is never loaded or flushed);
//! observe lists those ids in `Observed::tagged`.
//!
//! Rules between the modules: `lower` and `observe` never run anything themselves except
//! through `exec`; nothing here shares code with the simulator (`jailnet-freebsd-sim`),
//! which is only a test dependency.

pub mod backend;
pub mod doctor;
pub mod error;
pub mod exec;
pub mod lower;
pub mod observe;
pub mod phased;
pub mod units;

pub use backend::FreebsdBackend;
pub use error::Error;
pub use exec::Step;

/// The description prefix of every interface jailnet creates: `jailnet:<resource id>`.
pub const TAG_PREFIX: &str = "jailnet:";

/// The interface group every interface jailnet creates joins.
pub const TAG_GROUP: &str = "jailnet";
