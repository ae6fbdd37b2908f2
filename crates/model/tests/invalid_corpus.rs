//! The invalid-config corpus: every `tests/invalid/NAME.toml` must produce exactly the
//! diagnostics in `tests/invalid/NAME.expected`, byte for byte. Files whose name starts
//! with `linux-` are also run through `validate::lint_linux`.
//!
//! `UPDATE_EXPECT=1 cargo test -p jailnet-model --test invalid_corpus` rewrites the
//! `.expected` files; read the diff before committing it.

use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/invalid")
}

/// The rendered diagnostics of one corpus file.
fn diagnose(name: &str, text: &str) -> (usize, String) {
    let (cfg, mut d) = jailnet_model::check(text);
    if name.starts_with("linux-") {
        d.0.extend(jailnet_model::validate::lint_linux(&cfg).0);
        d = d.sorted();
    }
    (d.len(), d.render(name, text))
}

/// A line diff good enough to read a mismatch: `-` expected, `+` actual.
fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::from("--- expected\n+++ actual\n");
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        }
    }
    out
}

#[test]
fn every_invalid_config_gives_exactly_the_expected_diagnostics() {
    let dir = corpus_dir();
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 30,
        "the corpus must hold at least 30 invalid configs, found {}",
        paths.len()
    );
    let mut failures = String::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let (count, actual) = diagnose(&name, &text);
        if count == 0 {
            failures.push_str(&format!(
                "{name}: no diagnostic at all; the config is accepted\n"
            ));
            continue;
        }
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_EXPECT=1 to create it)",
                expected_path.display()
            )
        });
        if expected != actual {
            failures.push_str(&format!(
                "{name}: diagnostics differ\n{}\n",
                line_diff(&expected, &actual)
            ));
        }
    }
    // Every .expected has its .toml.
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "expected") && !p.with_extension("toml").exists() {
            failures.push_str(&format!("{}: no matching .toml\n", p.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{failures}(UPDATE_EXPECT=1 rewrites the .expected files)"
    );
}

#[test]
fn the_diff_shows_what_changed() {
    let d = line_diff("a\nb\nc\n", "a\nx\nc\n");
    assert_eq!(d, "--- expected\n+++ actual\n  a\n- b\n+ x\n  c\n");
}
