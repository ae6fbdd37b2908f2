//! The daemons jailnet supervises (dnsmasq for a switch, dhclient for a jail NIC):
//! started through `jailnet-host` (argv only, optionally inside a namespace), known
//! by their pid file *and* `/proc/PID/cmdline` (the program and the argument that
//! names jailnet's own file), stopped by signal only when both match. Their files
//! live in [`LinuxOptions::run_dir`](super::LinuxOptions), written atomically.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use jailnet_host::{Host, Invocation, JailEntry, Output, SystemHost};

use crate::error::{Error, Result};

/// How a supervised process is recognised: its program (argv\[0\]'s file name) and
/// a run of consecutive arguments that name jailnet's file for it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ident<'a> {
    pub program: &'a str,
    pub marker: &'a [&'a str],
}

/// How long a daemon gets to write its pid file, and to exit after SIGTERM.
const WAIT: Duration = Duration::from_secs(3);

/// Run `inv` to completion (a daemon's launcher returns once it has forked).
pub(super) fn run(inv: &Invocation) -> Result<Output> {
    SystemHost::new(JailEntry::Netns)
        .run(inv)
        .map_err(|e| Error::Invalid {
            op: format!("run {inv}"),
            reason: e.to_string(),
        })
}

/// Run `inv` and fail with its stderr unless it exits 0.
pub(super) fn run_ok(inv: &Invocation) -> Result<()> {
    let out = run(inv)?;
    if out.success() {
        return Ok(());
    }
    let msg = format!("{}{}", out.stderr.trim(), out.stdout.trim());
    Err(Error::Invalid {
        op: format!("run {inv}"),
        reason: format!("exit status {}: {msg}", out.status),
    })
}

/// The pid in `pidfile` when it names a live process that is `id` (a zombie, a
/// reused pid or a missing file: `None`).
pub(super) fn live(pidfile: &Path, id: Ident<'_>) -> Option<i32> {
    let pid: i32 = fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    (pid > 0 && is(pid, id)).then_some(pid)
}

/// Whether process `pid` is `id`, by its command line.
fn is(pid: i32, id: Ident<'_>) -> bool {
    let Ok(raw) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let argv: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
    let prog = argv.first().and_then(|a| a.rsplit(|b| *b == b'/').next());
    if prog != Some(id.program.as_bytes()) {
        return false;
    }
    let want: Vec<&[u8]> = id.marker.iter().map(|m| m.as_bytes()).collect();
    want.is_empty() || argv.windows(want.len()).any(|w| w == want.as_slice())
}

/// Wait until `pidfile` names a live `id` (a daemon writes it after forking).
pub(super) fn wait_started(pidfile: &Path, id: Ident<'_>) -> Result<i32> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(pid) = live(pidfile, id) {
            return Ok(pid);
        }
        if Instant::now() >= deadline {
            return Err(Error::Invalid {
                op: format!("start {}", id.program),
                reason: format!(
                    "{} does not name a running {} after {} s",
                    pidfile.display(),
                    id.program,
                    WAIT.as_secs()
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM `pid` if it is `id`, wait for it to go, SIGKILL if it does not.
pub(super) fn stop(pid: i32, id: Ident<'_>) -> Result<()> {
    for sig in [libc::SIGTERM, libc::SIGKILL] {
        if !is(pid, id) {
            return Ok(());
        }
        // SAFETY: kill has no memory preconditions; `pid` was just checked to be
        // the daemon jailnet started (pid > 0, so never a process group).
        if unsafe { libc::kill(pid, sig) } != 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ESRCH) {
                return Ok(());
            }
            return Err(Error::Invalid {
                op: format!("stop {} (pid {pid})", id.program),
                reason: e.to_string(),
            });
        }
        if wait_gone(pid, id) {
            return Ok(());
        }
    }
    Err(Error::Invalid {
        op: format!("stop {} (pid {pid})", id.program),
        reason: "still running after SIGKILL".into(),
    })
}

/// Wait until `pid` is no longer `id`; whether it went in time.
pub(super) fn wait_gone(pid: i32, id: Ident<'_>) -> bool {
    let deadline = Instant::now() + WAIT;
    while is(pid, id) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Create `dir` (mode 0755) and its parents when missing.
pub(super) fn ensure_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|e| Error::io("create directory", dir, e))
}

/// Write `path` atomically (temporary file + rename) with exactly `mode`.
pub(super) fn write_file(path: &Path, data: &str, mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    ensure_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.jailnet-{}", std::process::id()));
    let written = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(data.as_bytes())?;
        f.sync_all()?;
        // The mode given at creation is masked by the umask; say it exactly.
        fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
        fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("write", path, e)
    })
}

/// Remove `path`; a missing file is fine.
pub(super) fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", path, e)),
    }
}

/// Read `path`; `None` when it does not exist.
pub(super) fn read_file(path: &Path) -> Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_recognised_by_program_and_marker() {
        let me = std::process::id() as i32;
        let exe = std::env::args().next().unwrap_or_default();
        let prog = exe.rsplit('/').next().unwrap_or_default().to_string();
        assert!(is(
            me,
            Ident {
                program: &prog,
                marker: &[]
            }
        ));
        assert!(!is(
            me,
            Ident {
                program: "dnsmasq",
                marker: &[]
            }
        ));
        assert!(!is(
            me,
            Ident {
                program: &prog,
                marker: &["--conf-file=/nonexistent"]
            }
        ));
        assert!(!is(
            -1,
            Ident {
                program: &prog,
                marker: &[]
            }
        ));
    }

    #[test]
    fn a_stale_pid_file_is_not_live() {
        let dir = std::env::temp_dir().join(format!("jailnet-daemon-{}", std::process::id()));
        let p = dir.join("x.pid");
        write_file(&p, "999999999\n", 0o644).unwrap();
        assert_eq!(
            live(
                &p,
                Ident {
                    program: "dnsmasq",
                    marker: &[]
                }
            ),
            None
        );
        write_file(&p, &format!("{}\n", std::process::id()), 0o644).unwrap();
        assert_eq!(
            live(
                &p,
                Ident {
                    program: "dnsmasq",
                    marker: &[]
                }
            ),
            None
        );
        remove_file(&p).unwrap();
        remove_file(&p).unwrap();
        assert_eq!(read_file(&p).unwrap(), None);
        let _ = fs::remove_dir(&dir);
    }
}
