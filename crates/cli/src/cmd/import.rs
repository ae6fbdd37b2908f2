//! `jailnet import iocage|pot|bastille PATH…`: find the tool's files under PATH, hand
//! their text to `jailnet_model::import`, print the result as jailnet.toml, and check
//! it validates (problems go to stderr, exit 2).

use crate::args::ImportFrom;
use crate::exit::Invalid;
use anyhow::Result;
use jailnet_model::export::{emit, Annotated};
use jailnet_model::import::{self, ImportError};
use jailnet_model::iocage::parse_assignments;
use jailnet_model::names::IfName;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn run(from: ImportFrom, paths: &[PathBuf], uplink: Option<&str>) -> Result<i32> {
    let uplink = match uplink {
        Some(u) => Some(IfName::new(u).map_err(|e| Invalid(format!("--uplink {u}: {e}")))?),
        None => None,
    };
    let doc = convert(from, paths, uplink.as_ref())?;
    let text = emit(&doc);
    print!("{text}");
    let (_, d) = jailnet_model::check(&text);
    if !d.is_empty() {
        let n = d.len();
        return Err(Invalid(format!(
            "{}the converted config has {n} problem{}; fix the lines above before using it.",
            d.render("<import>", &text),
            if n == 1 { "" } else { "s" }
        ))
        .into());
    }
    Ok(0)
}

/// Read the files and convert them.
pub fn convert(from: ImportFrom, paths: &[PathBuf], uplink: Option<&IfName>) -> Result<Annotated> {
    let res = match from {
        ImportFrom::Iocage => iocage(paths, uplink)?,
        ImportFrom::Pot => pot(paths, uplink)?,
        ImportFrom::Bastille => bastille(paths, uplink)?,
    };
    res.map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(ImportError::to_string).collect();
        Invalid(format!(
            "jailnet import: cannot convert:\n{}",
            lines.join("\n")
        ))
        .into()
    })
}

type Converted = std::result::Result<Annotated, Vec<ImportError>>;

fn read(p: &Path) -> Result<String> {
    std::fs::read_to_string(p)
        .map_err(|e| Invalid(format!("cannot read {}: {e}", p.display())).into())
}

/// `dir/*/NAME` for every subdirectory that has it, sorted.
fn children_with(dir: &Path, rel: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join(rel))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// Files named `rel` at PATH: the file itself, `PATH/rel`, `PATH/jails/*/rel`, `PATH/*/rel`.
fn find(paths: &[PathBuf], rel: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
        } else if p.join(rel).is_file() {
            out.push(p.join(rel));
        } else if p.is_dir() {
            let mut found = children_with(&p.join("jails"), rel);
            if found.is_empty() {
                found = children_with(p, rel);
            }
            if found.is_empty() {
                return Err(Invalid(format!(
                    "{}: no {rel} found in it or its subdirectories",
                    p.display()
                ))
                .into());
            }
            out.extend(found);
        } else {
            return Err(Invalid(format!(
                "cannot read {}: no such file or directory",
                p.display()
            ))
            .into());
        }
    }
    Ok(out)
}

/// The name of the directory `levels` above file `p`.
fn dir_name(p: &Path, levels: usize) -> String {
    let mut d = p.parent();
    for _ in 1..levels {
        d = d.and_then(Path::parent);
    }
    d.and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "jail".into())
}

fn iocage(paths: &[PathBuf], uplink: Option<&IfName>) -> Result<Converted> {
    let mut sources = Vec::new();
    for f in find(paths, "config.json")? {
        let text = read(&f)?;
        let props = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => {
                let mut props = BTreeMap::new();
                for (k, v) in m {
                    let s = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Number(n) => n.to_string(),
                        serde_json::Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
                        _ => continue,
                    };
                    props.insert(k, s);
                }
                props
            }
            Ok(_) => {
                return Err(
                    Invalid(format!("{}: not a JSON object of properties", f.display())).into(),
                )
            }
            // `iocage get -a JAIL` output or a legacy key=value file.
            Err(_) => parse_assignments(&text),
        };
        let name = if f.file_name().is_some_and(|n| n == "config.json") {
            dir_name(&f, 1)
        } else {
            f.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        sources.push(import::iocage::Source {
            name,
            origin: f.display().to_string(),
            props,
        });
    }
    Ok(import::iocage::import(&sources, uplink))
}

fn pot(paths: &[PathBuf], uplink: Option<&IfName>) -> Result<Converted> {
    let mut global = None;
    let mut pot_paths = Vec::new();
    for p in paths {
        if p.is_file() {
            let text = read(p)?;
            if parse_assignments(&text)
                .keys()
                .any(|k| k.starts_with("POT_"))
            {
                global = Some(text);
                continue;
            }
        }
        pot_paths.push(p.clone());
    }
    let mut sources = Vec::new();
    for f in find(&pot_paths, "conf/pot.conf")? {
        let conf = read(&f)?;
        let conf_dir = f.parent().unwrap_or(Path::new("."));
        let pot_dir = conf_dir.parent().unwrap_or(Path::new("."));
        let resolv = std::fs::read_to_string(conf_dir.join("resolv.conf")).ok();
        let bridge_conf = parse_assignments(&conf).get("bridge").and_then(|b| {
            let root = pot_dir.parent().and_then(Path::parent)?;
            std::fs::read_to_string(root.join("bridges").join(b)).ok()
        });
        let name = if f.ends_with("conf/pot.conf") {
            dir_name(&f, 2)
        } else {
            dir_name(&f, 1)
        };
        sources.push(import::pot::Source {
            name,
            origin: f.display().to_string(),
            conf,
            resolv,
            bridge_conf,
        });
    }
    Ok(import::pot::import(&sources, global.as_deref(), uplink))
}

fn bastille(paths: &[PathBuf], uplink: Option<&IfName>) -> Result<Converted> {
    let mut sources = Vec::new();
    for f in find(paths, "jail.conf")? {
        let dir = f.parent().unwrap_or(Path::new("."));
        sources.push(import::bastille::Source {
            origin: f.display().to_string(),
            jail_conf: read(&f)?,
            rdr_conf: std::fs::read_to_string(dir.join("rdr.conf")).ok(),
            rc_conf: std::fs::read_to_string(dir.join("root/etc/rc.conf")).ok(),
        });
    }
    Ok(import::bastille::import(&sources, uplink))
}
