//! Every file under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` for the Linux
//! fuzz target (`nft_tags`), run through the target's own
//! checks (`fuzz/src/linux.rs`) without the fuzzer, so a regression shows in `make test`.

#[path = "../../../fuzz/src/linux.rs"]
mod checks;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

use std::path::PathBuf;

const TARGETS: [&str; 1] = ["nft_tags"];

#[test]
fn every_seed_and_regression_passes_its_target() {
    replay::replay(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz"),
        &TARGETS,
        checks::run,
    );
}
