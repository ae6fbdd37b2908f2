//! The `jailnet` binary: parses the command line, runs one command, maps the outcome to
//! an exit code (0 ok, 1 runtime failure after rollback, 2 invalid input or usage).

mod args;
mod backend;
mod cluster;
mod cmd;
mod config;
mod demo;
mod engine;
mod exit;
mod heap;
mod journal;
mod limits;
mod signals;
mod sim;
mod state_file;

use clap::Parser;

fn main() {
    // Die quietly on a closed pipe (`jailnet sim show | head`), like other Unix tools.
    // SAFETY: setting a signal disposition to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let _ = heap::use_huge_pages();
    limits::raise_open_files();
    let cli = args::Cli::parse();
    match cmd::run(&cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            let code = exit::code(&e);
            if code == 2 {
                eprintln!("{e}");
            } else {
                eprintln!("jailnet: error: {e:#}");
            }
            std::process::exit(code);
        }
    }
}
