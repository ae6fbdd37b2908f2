//! jailnet's multi-host state in etcd (v3 API): cluster switch definitions, address
//! leases and VXLAN VTEPs, so several hosts can share a switch (`vxlan = { vni,
//! cluster = true }`) without a hand-written remote list and without two hosts handing
//! out the same `auto` address.
//!
//! # Key layout
//!
//! Every key starts with [`keys::PREFIX`] (`/jailnet/v1/`); values are plain text except
//! the switch definition.
//!
//! | key | value | lifetime |
//! |---|---|---|
//! | `/jailnet/v1/switches/<switch>` | JSON [`SwitchDef`]: `{"vni":111,"subnet":"10.0.111.0/24"}` (and `subnet6`) | created once by the first host (`create_revision == 0`); every later host must agree, else [`Error::SwitchMismatch`] |
//! | `/jailnet/v1/leases/<switch>/<ip>` | `<host>/<jail>/<nic>`, or `<host>/_switch/<switch>` for the host's own address on the switch | created with a compare-and-swap transaction (`create_revision == 0`); kept until the host's `down`, or until its config no longer needs it |
//! | `/jailnet/v1/vteps/<switch>/<host>` | the host's underlay address (`[cluster] vtep`) | put under an etcd lease with a TTL ([`sync::DEFAULT_TTL`] s), refreshed while `jailnet watch` runs; a host that dies drops out when it expires, `down` revokes it at once |
//!
//! Like flannel's `/coreos.com/network/subnets/…`, a lease is taken with
//! `If(create_revision(key) == 0).Then(Put(key))` and a lost race moves on to the next
//! free address. Unlike flannel's subnet leases, address leases carry no TTL (a jail's
//! address must not change because its host was briefly away); only the VTEPs, which
//! decide where frames are sent, expire.
//!
//! # Layers
//!
//! - [`keys`]: the layout above, and [`Owner`] (`host/jail/nic`).
//! - [`client`]: [`Client`], a synchronous facade over the async `etcd-client` (a
//!   current-thread tokio runtime per client; every request bounded by a timeout), with
//!   the primitives: define a switch, claim/lease/release addresses, register/revoke VTEPs.
//! - [`watch`]: an etcd watch on the VTEPs that also keeps this host's VTEP lease alive.
//! - [`sync`]: what a host does for its config (`join`, `read`, `leave`) and the
//!   [`View`] the CLI lays over the config before planning: vxlan remotes = the other
//!   hosts' VTEPs, `auto` addresses = the leased ones.
//! - [`error`]: typed errors.

pub mod client;
pub mod error;
pub mod keys;
pub mod sync;
pub mod watch;

pub use client::{Claim, Client, Kv, SwitchDef, Vteps};
pub use error::{Error, Result};
pub use keys::Owner;
pub use sync::View;
pub use watch::{VtepWatch, Wake};
