//! Properties of `jailnet-linux`'s `nft -j` output reader. Also compiled into
//! `crates/linux/tests/fuzz_replay.rs`.

use jailnet_linux::nft;

/// Checks a target by name; `false` when `target` is not one of this module's.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "nft_tags" => nft_tags(data),
        _ => return false,
    }
    true
}

/// `nft -j list table …` JSON: `observed_tags` never panics and counts at least one rule
/// per hash it reports.
pub fn nft_tags(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(tags) = nft::observed_tags(&text) {
        assert!(tags.values().flat_map(|h| h.values()).all(|n| *n > 0));
    }
}
