//! An in-memory FreeBSD 14 jail host that answers the base system's networking tools.
//!
//! [`SimHost`] implements [`jailnet_host::Host`]: it takes the same argv as the real
//! `ifconfig`, `jail`, `jls`, `jexec`, `route`, `sysctl`, `pfctl`, `ipfw`, `ngctl`, `devfs`
//! and `sysrc`, and answers with the same stdout, stderr and exit status, following
//! `shared/reference/freebsd-semantics.md` (§N in comments and tests points there). It
//! depends on nothing in jailnet but `jailnet-host`, so it cannot share a parser with the
//! `freebsd` backend and hide that backend's bugs.
//!
//! How it is put together:
//!
//! - [`state`] is the whole machine as plain serde data: interfaces (each with a current
//!   and a home [`VnetId`]), running jails (a vnet jail owns a [`state::NetStack`] with its
//!   routes, `net.*` sysctls, pf and ipfw), netgraph nodes, devfs rulesets, rc.conf. No
//!   clock, no randomness: MACs derive from names, units and indexes are lowest-free.
//! - `exec` turns an [`jailnet_host::Invocation`] into a caller context (host, or a jail
//!   via `jexec` / `Invocation::jail`) and dispatches to one module per tool: `ifconfig`
//!   (with `clone`, `bridge`, `tunnel`, `vnet` and `status` submodules), `jail` (jail + jls),
//!   `route`, `sysctl`, `pfctl`, `ipfw`, `ngctl`, `devfs`, `sysrc`, `misc`, and `dhcp`
//!   (`dnsmasq`, `dhclient`, `pgrep`/`pkill -F`, with deterministic leases). Each tool parses
//!   its argv, changes the state, and renders the real tool's output and errors.
//! - [`reach`] answers "can these two interfaces exchange frames?" by following epair
//!   cables, bridge forwarding (PRIVATE ports), netgraph hooks and up/down state.
//! - `show` renders the whole host for `jailnet sim show`.
//!
//! Rules: tools never panic; a tool's failure is an exit status, not a Rust error. Library
//! errors ([`SimError`]) exist only for building and loading a host. Equality of hosts
//! ignores monotonic counters (next JID, netgraph IDs), so "after `down`" can be compared
//! with "before `up`".

pub mod bpf;
mod devfs;
mod dhcp;
mod exec;
mod host;
pub(crate) mod ifconfig;
mod ipfw;
pub mod ipfw_eval;
mod jail;
mod misc;
pub(crate) mod neigh;
mod ngctl;
mod pfctl;
pub mod reach;
mod route;
mod show;
pub mod state;
mod sysctl;
mod sysrc;

pub use host::{SimError, SimHost};
pub use ipfw_eval::{Frame, FrameKind};
pub use reach::Endpoint;
pub use state::{IfKind, Iface, Jail, SimState, VnetId};
