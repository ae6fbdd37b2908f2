//! Every config in `examples/` loads and validates with no problem.

use std::path::Path;

#[test]
fn every_example_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut seen = 0;
    let mut failures = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, d) = jailnet_model::check(&text);
        if !d.is_empty() {
            failures.push_str(&d.render(&path.display().to_string(), &text));
        }
    }
    assert!(seen >= 10, "expected the topology examples, found {seen}");
    assert!(failures.is_empty(), "{failures}");
}
