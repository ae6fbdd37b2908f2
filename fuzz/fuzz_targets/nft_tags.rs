//! Fuzz target `nft_tags`: see the function of that name in `src/` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| jailnet_fuzz::linux::nft_tags(data));
