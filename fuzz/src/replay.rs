//! Replaying the fuzz corpora without the fuzzer: every file under
//! `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` through the target's own
//! checks. Included by the crates' `tests/fuzz_replay.rs` (via `#[path]`), so a parser
//! regression shows in `make test`.

use std::path::{Path, PathBuf};

/// The seed and regression files of `target` under the `fuzz/` directory `fuzz`, sorted.
pub fn files(fuzz: &Path, target: &str) -> Vec<PathBuf> {
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

/// Every file of every target in `targets` passes `run(target, bytes)` without
/// panicking; each target has at least one file.
pub fn replay(fuzz: &Path, targets: &[&str], run: fn(&str, &[u8]) -> bool) {
    for t in targets {
        let fs = files(fuzz, t);
        assert!(!fs.is_empty(), "no seeds for fuzz target {t}");
        for f in fs {
            let data = std::fs::read(&f).unwrap();
            let r = std::panic::catch_unwind(|| assert!(run(t, &data)));
            assert!(r.is_ok(), "{t}: {} fails", f.display());
        }
    }
}
