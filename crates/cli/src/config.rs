//! Finding, reading and checking the config file; problems are printed as
//! `FILE:LINE:COL: error: …` and turn into exit code 2.

use crate::args::Cli;
use crate::exit::Invalid;
use anyhow::Result;
use jailnet_model::{validate, Config};
use std::path::{Path, PathBuf};

pub struct Loaded {
    pub path: PathBuf,
    pub cfg: Config,
}

/// The config path from `-c`, else `./jailnet.toml`, else the OS default.
pub fn path(cli: &Cli) -> PathBuf {
    if let Some(p) = &cli.config {
        return p.clone();
    }
    let local = Path::new("jailnet.toml");
    if local.exists() {
        return local.to_path_buf();
    }
    if cfg!(target_os = "freebsd") {
        PathBuf::from("/usr/local/etc/jailnet.toml")
    } else {
        PathBuf::from("/etc/jailnet.toml")
    }
}

/// Read and check the config. `linux` adds the Linux backend's own checks.
pub fn load(cli: &Cli, linux: bool) -> Result<Loaded> {
    let path = path(cli);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Invalid(format!("cannot read config {}: {e}", path.display())))?;
    let (cfg, mut d) = jailnet_model::check(&text);
    if d.is_empty() && linux {
        d = validate::lint_linux(&cfg);
    }
    if !d.is_empty() {
        let shown = path.display().to_string();
        let rendered = if cli.json {
            serde_json::to_string_pretty(&d.locate(&shown, &text))?
        } else {
            let n = d.len();
            format!(
                "{}{n} problem{} found; nothing was changed.",
                d.render(&shown, &text),
                if n == 1 { "" } else { "s" }
            )
        };
        return Err(Invalid(rendered).into());
    }
    Ok(Loaded { path, cfg })
}
