//! `jailnet sim show|reset`: look at, or start again from, the simulated FreeBSD host kept
//! in the state dir.

use crate::args::{Cli, SimCmd};
use crate::sim::{load, SIM_FILE};
use crate::state_file::StateStore;
use anyhow::Result;

pub fn run(cli: &Cli, cmd: &SimCmd) -> Result<i32> {
    let store = StateStore::open(&super::state_dir(cli))?;
    match cmd {
        SimCmd::Show => print!("{}", load(store.dir())?.show()),
        SimCmd::Reset => {
            store.remove_file(SIM_FILE)?;
            store.remove_file("state.json")?;
            println!("The simulated host is fresh again.");
        }
    }
    Ok(0)
}
