//! jailnet's config model: what the user wrote, checked. No I/O, no clock, no randomness.
//!
//! - [`doc`] parses TOML into a tree that keeps the byte span of every key and value, and
//!   reads tables while recording every problem (unknown keys get a "did you mean").
//! - [`load`] reads that tree into a typed [`Config`] ([`config`]): names ([`names`]),
//!   addresses ([`net`]) and the small value languages ([`syntax`]) are checked here.
//! - [`validate`] checks what spans objects: references, subnets, duplicates, reachability.
//! - [`alloc`] chooses what was left to jailnet (`auto` addresses and MACs, host-side
//!   interface names), deterministically and stably.
//! - [`iocage`] reads iocage/libioc property syntax into the same model.
//! - [`import`] converts iocage, pot and Bastille configs into the model; [`export`]
//!   writes a model back out as jailnet.toml text; [`schema`] is the JSON Schema of it.
//! - [`diag`] renders problems as `FILE:LINE:COL: error: …` with a hint.
//!
//! [`check`] runs load + validate and is what the CLI calls.

pub mod alloc;
pub mod config;
pub mod diag;
pub mod doc;
pub mod export;
pub mod import;
pub mod iocage;
pub mod load;
pub mod names;
pub mod net;
pub mod schema;
pub mod syntax;
pub mod validate;

pub use config::Config;
pub use diag::{Diagnostic, Diagnostics};

/// Load and validate `text`. The config is usable only when the diagnostics are empty.
pub fn check(text: &str) -> (Config, Diagnostics) {
    let (cfg, mut d) = load::load(text);
    d.0.extend(validate::validate(&cfg).0);
    (cfg, d.sorted())
}
