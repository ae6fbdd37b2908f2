//! `jailnet validate`: exit 0, or 2 with every problem as `FILE:LINE:COL: error: …`.

use crate::args::Cli;
use crate::backend::{resolve, BackendKind};
use anyhow::Result;

pub fn run(cli: &Cli) -> Result<i32> {
    let linux = resolve(cli.backend) == BackendKind::Linux;
    let loaded = crate::config::load(cli, linux)?;
    let c = &loaded.cfg;
    if cli.json {
        println!(
            "{}",
            serde_json::json!({"file": loaded.path.display().to_string(), "ok": true})
        );
    } else {
        println!(
            "{}: ok ({} switch{}, {} jail{}, {} vm{})",
            loaded.path.display(),
            c.switches.len(),
            if c.switches.len() == 1 { "" } else { "es" },
            c.jails.len(),
            if c.jails.len() == 1 { "" } else { "s" },
            c.vms.len(),
            if c.vms.len() == 1 { "" } else { "s" },
        );
    }
    Ok(0)
}
