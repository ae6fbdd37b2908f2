//! Plan snapshots: for every `tests/cases/<name>/` folder, plan `jailnet.toml` against the
//! host in `observed.json` (a JSON array of resources already present, none of them
//! tagged) with the state in `state.json` (optional; default empty), allocating for host
//! "testhost", and compare `Plan::render_text()` byte for byte with `expected.txt`.
//!
//! `UPDATE_EXPECT=1 cargo test -p jailnet-plan --test cases` rewrites `expected.txt`;
//! read the diff before committing it.

use jailnet_model::alloc::allocate;
use jailnet_plan::{desired, diff, Observed, Resource, State};
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases")
}

/// The rendered plan of one case folder, or why it could not be planned.
fn plan_case(dir: &Path) -> Result<String, String> {
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{}: {e}", dir.join(f).display()))
    };
    let text = read("jailnet.toml")?;
    let (cfg, d) = jailnet_model::check(&text);
    if !d.is_empty() {
        return Err(format!(
            "jailnet.toml is invalid:\n{}",
            d.render("jailnet.toml", &text)
        ));
    }
    let state: State = if dir.join("state.json").exists() {
        serde_json::from_str(&read("state.json")?).map_err(|e| format!("state.json: {e}"))?
    } else {
        State::default()
    };
    let observed_list: Vec<Resource> =
        serde_json::from_str(&read("observed.json")?).map_err(|e| format!("observed.json: {e}"))?;
    let mut observed = Observed::default();
    for r in observed_list {
        if observed.resources.get(&r.id()).is_some() {
            return Err(format!("observed.json lists {} twice", r.id()));
        }
        observed.insert(r, false);
    }
    let alloc = allocate(&cfg, "testhost", &state.allocations).map_err(|e| e.to_string())?;
    let graph = desired(&cfg, &alloc).map_err(|e| e.to_string())?;
    Ok(diff(&graph, &observed, &state).render_text())
}

#[test]
fn every_case_plans_exactly_as_expected() {
    let root = cases_dir();
    let update = std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 8,
        "expected at least 8 plan cases, found {}",
        dirs.len()
    );
    let mut failures = String::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let actual = match plan_case(dir) {
            Ok(p) => p,
            Err(e) => {
                failures.push_str(&format!("{name}: {e}\n"));
                continue;
            }
        };
        let expected_path = dir.join("expected.txt");
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
                "{name}: plan differs\n--- expected\n{expected}+++ actual\n{actual}\n"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{failures}(UPDATE_EXPECT=1 rewrites expected.txt)"
    );
}
