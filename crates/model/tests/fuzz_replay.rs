//! Every file under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` for the model's
//! fuzz targets (`config`, `iocage`, `expose_alias_addr`), run through the targets' own
//! checks (`fuzz/src/model.rs`) without the fuzzer, so a regression shows in `make test`.

#[path = "../../../fuzz/src/model.rs"]
mod checks;

#[path = "../../../fuzz/src/replay.rs"]
mod replay;

use std::path::PathBuf;

const TARGETS: [&str; 3] = ["config", "iocage", "expose_alias_addr"];

#[test]
fn every_seed_and_regression_passes_its_target() {
    replay::replay(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz"),
        &TARGETS,
        checks::run,
    );
}
