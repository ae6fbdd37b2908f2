//! Fuzz target `ngctl`: see the function of that name in `src/` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jailnet_fuzz::freebsd::ngctl(data));
