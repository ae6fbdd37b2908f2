//! Every file under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` for the Linux
//! fuzz target (`nft_tags`), run through the target's own
//! checks (`fuzz/src/linux.rs`) without the fuzzer, so a regression shows in `make test`.

#[path = "../../../fuzz/src/linux.rs"]
mod checks;

use std::path::PathBuf;

const TARGETS: [&str; 1] = ["nft_tags"];

fn files(target: &str) -> Vec<PathBuf> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut out = Vec::new();
    for kind in ["seeds", "regressions"] {
        let Ok(rd) = std::fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        out.extend(rd.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
    }
    out.sort();
    out
}

#[test]
fn every_seed_and_regression_passes_its_target() {
    for t in TARGETS {
        let fs = files(t);
        assert!(!fs.is_empty(), "no seeds for fuzz target {t}");
        for f in fs {
            let data = std::fs::read(&f).unwrap();
            let r = std::panic::catch_unwind(|| assert!(checks::run(t, &data)));
            assert!(r.is_ok(), "{t}: {} fails", f.display());
        }
    }
}
