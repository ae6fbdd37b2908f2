//! The properties jailnet's fuzz targets check, one function per target. Each takes the raw
//! fuzzer bytes and panics when a property fails (a parser panic is a failure too).
//!
//! The same files are compiled into an always-on replay test in the crate that owns the
//! parsers (`#[path = "…/fuzz/src/model.rs"] mod checks;`), which runs every file under
//! `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` through them without the fuzzer,
//! so a regression shows in `make test`. Keep each module's imports to its own crate.

pub mod freebsd;
pub mod linux;
pub mod model;
