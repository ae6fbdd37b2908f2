//! Really running programs: argv only, never a shell; jails entered by jexec or setns.

use crate::{Host, HostError, Invocation, Output};
use std::io::Write;
use std::process::{Command, Stdio};

/// How [`SystemHost`] enters a jail named in an [`Invocation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JailEntry {
    /// FreeBSD: run `jexec JAIL program args…`.
    Jexec,
    /// Linux: `setns(2)` into the network namespace `/run/netns/JAIL` before exec.
    Netns,
}

/// Runs invocations on this machine.
#[derive(Debug)]
pub struct SystemHost {
    entry: JailEntry,
}

impl SystemHost {
    pub fn new(entry: JailEntry) -> Self {
        SystemHost { entry }
    }
}

impl SystemHost {
    /// Run `inv` with this process's stdin, stdout and stderr (for `jailnet exec`), and
    /// return its exit status.
    pub fn run_inherit(&self, inv: &Invocation) -> Result<i32, HostError> {
        let mut cmd = self.command(inv)?;
        cmd.args(&inv.args);
        let status = cmd.status().map_err(|source| HostError::Spawn {
            program: inv.program.clone(),
            source,
        })?;
        Ok(status.code().unwrap_or(128))
    }

    fn command(&self, inv: &Invocation) -> Result<Command, HostError> {
        let mut cmd;
        match (&inv.jail, self.entry) {
            (Some(jail), JailEntry::Jexec) => {
                cmd = Command::new("jexec");
                cmd.arg(jail).arg(&inv.program);
            }
            (Some(jail), JailEntry::Netns) => {
                cmd = Command::new(&inv.program);
                enter_netns(&mut cmd, jail)?;
            }
            (None, _) => cmd = Command::new(&inv.program),
        }
        Ok(cmd)
    }
}

impl Host for SystemHost {
    fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
        let mut cmd = self.command(inv)?;
        cmd.args(&inv.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(if inv.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        let spawn_err = |source| HostError::Spawn {
            program: inv.program.clone(),
            source,
        };
        let mut child = cmd.spawn().map_err(spawn_err)?;
        if let (Some(input), Some(mut pipe)) = (&inv.stdin, child.stdin.take()) {
            // A child that exits early closes the pipe; its status tells the story.
            let _ = pipe.write_all(input.as_bytes());
        }
        let out = child.wait_with_output().map_err(spawn_err)?;
        Ok(Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

#[cfg(target_os = "linux")]
fn enter_netns(cmd: &mut Command, ns: &str) -> Result<(), HostError> {
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let enter_err = |source| HostError::Enter {
        jail: ns.to_string(),
        source,
    };
    if ns.is_empty() || ns.contains('/') || ns == "." || ns == ".." {
        return Err(enter_err(std::io::Error::from(
            std::io::ErrorKind::InvalidInput,
        )));
    }
    let file = std::fs::File::open(format!("/run/netns/{ns}")).map_err(enter_err)?;
    let fd: OwnedFd = file.into();
    // SAFETY: setns is async-signal-safe; the fd stays open until the child has exec'd,
    // because `fd` is moved into the closure that lives as long as `cmd`.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn enter_netns(_cmd: &mut Command, ns: &str) -> Result<(), HostError> {
    Err(HostError::Enter {
        jail: ns.to_string(),
        source: std::io::Error::from(std::io::ErrorKind::Unsupported),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_argv_without_a_shell_and_feeds_stdin() {
        let mut h = SystemHost::new(JailEntry::Netns);
        let out = h
            .run(&Invocation::new("cat", Vec::<String>::new()).with_stdin("a;b $(x)"))
            .unwrap();
        assert_eq!(out.stdout, "a;b $(x)");
        let out = h.run(&Invocation::new("echo", ["$HOME;", "`id`"])).unwrap();
        assert_eq!(out.stdout, "$HOME; `id`\n");
        let out = h
            .run(&Invocation::new("false", Vec::<String>::new()))
            .unwrap();
        assert_eq!(out.status, 1);
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let mut h = SystemHost::new(JailEntry::Jexec);
        let err = h
            .run(&Invocation::new("/nonexistent/jailnet-x", ["a"]))
            .unwrap_err();
        assert!(matches!(err, HostError::Spawn { .. }));
    }

    #[test]
    fn a_netns_name_with_a_slash_is_refused() {
        let mut h = SystemHost::new(JailEntry::Netns);
        let err = h
            .run(&Invocation::new("true", Vec::<String>::new()).in_jail("../x"))
            .unwrap_err();
        assert!(matches!(err, HostError::Enter { .. }));
    }
}
