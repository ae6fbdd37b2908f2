//! Named network namespaces the iproute2 way (`/run/netns/NAME` bind mounts), and
//! running code inside a namespace.
//!
//! `setns(CLONE_NEWNET)` only changes the calling *thread*: creation unshares in
//! a helper thread, and [`NsFd::run`] enters the namespace on the calling thread,
//! runs the closure and goes back (aborting if it cannot).

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Where iproute2 keeps named namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// An open handle on a network namespace (an nsfs file descriptor). It keeps the
/// namespace alive while open and is what `IFLA_NET_NS_FD` takes.
#[derive(Debug)]
pub struct NsFd {
    file: File,
    label: String,
}

/// A named network namespace, visible to `ip netns list` / `ip netns exec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Netns {
    name: String,
    path: PathBuf,
}

/// Serializes the one-time "make /run/netns a shared mount point" step.
static RUN_DIR_LOCK: Mutex<()> = Mutex::new(());

impl NsFd {
    /// The calling thread's current network namespace.
    pub fn current() -> Result<NsFd> {
        NsFd::open_path(Path::new("/proc/thread-self/ns/net"))
    }

    /// Open any nsfs path (`/run/netns/X`, `/proc/PID/ns/net`, …).
    pub fn open_path(path: &Path) -> Result<NsFd> {
        let file = File::open(path).map_err(|e| Error::io("open namespace", path, e))?;
        Ok(NsFd {
            file,
            label: path.display().to_string(),
        })
    }

    /// What this handle was opened from (for messages).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Run `f` inside this namespace, on the calling thread: it enters the
    /// namespace, runs `f` and goes back to the namespace it was in (even if `f`
    /// panics). Sockets and files opened by `f` stay bound to this namespace; a
    /// process spawned by `f` starts in it. No thread is spawned: entering a
    /// namespace is two `setns` calls, cheap enough to do once per jail.
    pub fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T,
    {
        // Where to go back to: the thread's own namespace (opened once per thread)
        // at the outermost level, the current one inside another `run`.
        let home = if DEPTH.get() == 0 {
            HOME.with(|h| -> Result<std::os::fd::RawFd> {
                if let Some(fd) = h.get() {
                    return Ok(fd);
                }
                let fd = NsFd::current()?.file.into_raw_fd();
                h.set(Some(fd));
                Ok(fd)
            })?
        } else {
            NsFd::current()?.file.into_raw_fd()
        };
        let nested = DEPTH.get() > 0;
        // SAFETY: `self.file` is a valid nsfs descriptor.
        if unsafe { libc::setns(self.file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            let e = io::Error::last_os_error();
            if nested {
                // SAFETY: opened above for this call only.
                drop(unsafe { File::from_raw_fd(home) });
            }
            return Err(Error::io("setns into", self.label.clone(), e));
        }
        DEPTH.set(DEPTH.get() + 1);
        let back = GoBack {
            fd: home,
            close: nested,
            label: &self.label,
        };
        let out = f();
        drop(back);
        Ok(out)
    }

    /// Run `f(i)` inside each namespace `fds[i]` in turn, on the calling thread, going
    /// straight from one to the next and back to where the thread was at the end (one
    /// `setns` per namespace, not two). Stops at the first namespace it cannot enter.
    pub fn run_each<T>(fds: &[&NsFd], mut f: impl FnMut(usize) -> T) -> Result<Vec<T>> {
        let Some(first) = fds.first() else {
            return Ok(Vec::new());
        };
        first.run(|| {
            let mut out = Vec::with_capacity(fds.len());
            out.push(f(0));
            for (i, fd) in fds.iter().enumerate().skip(1) {
                // SAFETY: `fd.file` is a valid nsfs descriptor; `run` goes back home after.
                if unsafe { libc::setns(fd.file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
                    let e = io::Error::last_os_error();
                    return Err(Error::io("setns into", fd.label.clone(), e));
                }
                out.push(f(i));
            }
            Ok(out)
        })?
    }
}

thread_local! {
    /// The thread's own network namespace, for going back after [`NsFd::run`]
    /// (kept open for the thread's life).
    static HOME: std::cell::Cell<Option<std::os::fd::RawFd>> = const { std::cell::Cell::new(None) };
    /// How many [`NsFd::run`] calls the thread is inside.
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Puts the calling thread back into its namespace when dropped (also when the
/// closure panics). If that fails the thread would go on acting in a jail's
/// namespace, so the process aborts.
struct GoBack<'a> {
    fd: std::os::fd::RawFd,
    /// Close `fd` afterwards (a nested run's own handle).
    close: bool,
    label: &'a str,
}

impl Drop for GoBack<'_> {
    fn drop(&mut self) {
        // SAFETY: `fd` is a valid nsfs descriptor (see `run`).
        if unsafe { libc::setns(self.fd, libc::CLONE_NEWNET) } != 0 {
            eprintln!(
                "jailnet: cannot leave network namespace {}: {}",
                self.label,
                io::Error::last_os_error()
            );
            std::process::abort();
        }
        DEPTH.set(DEPTH.get().saturating_sub(1));
        if self.close {
            // SAFETY: the nested run opened this descriptor and owns it.
            drop(unsafe { File::from_raw_fd(self.fd) });
        }
    }
}

impl AsFd for NsFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for NsFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.file.as_raw_fd()
    }
}

impl Netns {
    /// Create namespace `name`: a fresh net namespace bind-mounted at
    /// `/run/netns/NAME`, with `/run/netns` made a shared mount point as
    /// `ip netns add` does. Fails with [`Error::NetnsExists`] if it exists.
    pub fn create(name: &str) -> Result<Netns> {
        check_netns_name(name)?;
        prepare_run_dir()?;
        let ns = Netns::handle(name);
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o000)
            .open(&ns.path)
            .map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    Error::NetnsExists(name.to_string())
                } else {
                    Error::io("create namespace file", &ns.path, e)
                }
            })?;
        let target = ns.path.clone();
        let made = std::thread::scope(|s| {
            s.spawn(move || -> Result<()> {
                // SAFETY: plain syscall; affects only this helper thread.
                if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                    return Err(Error::io(
                        "unshare(CLONE_NEWNET) for",
                        &target,
                        io::Error::last_os_error(),
                    ));
                }
                bind_mount(Path::new("/proc/thread-self/ns/net"), &target)
            })
            .join()
            .map_err(|_| Error::ThreadPanicked(name.to_string()))?
        });
        if let Err(e) = made {
            let _ = fs::remove_file(&ns.path);
            return Err(e);
        }
        Ok(ns)
    }

    /// A handle on an existing namespace.
    pub fn open(name: &str) -> Result<Netns> {
        check_netns_name(name)?;
        if !Netns::exists(name) {
            return Err(Error::NoSuchNetns(name.to_string()));
        }
        Ok(Netns::handle(name))
    }

    /// An fd on namespace `name`, or `None` when there is no such namespace: one `open`,
    /// no separate existence check.
    pub fn open_fd(name: &str) -> Result<Option<NsFd>> {
        check_netns_name(name)?;
        match Netns::handle(name).fd() {
            Ok(fd) => Ok(Some(fd)),
            Err(Error::NoSuchNetns(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `/run/netns/NAME` exists.
    pub fn exists(name: &str) -> bool {
        check_netns_name(name).is_ok() && Path::new(NETNS_RUN_DIR).join(name).exists()
    }

    /// Names under `/run/netns`, sorted.
    pub fn list() -> Result<Vec<String>> {
        let entries = match fs::read_dir(NETNS_RUN_DIR) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", NETNS_RUN_DIR, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("list", NETNS_RUN_DIR, e))?;
            if let Some(n) = entry.file_name().to_str() {
                names.push(n.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Remove every namespace whose name starts with `prefix`, longest names first (a
    /// sandbox host's jail namespaces before the host). Returns the ones that could not
    /// be removed, with why.
    pub fn delete_prefixed(prefix: &str) -> Vec<(String, Error)> {
        let mut mine: Vec<String> = Netns::list()
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.starts_with(prefix))
            .collect();
        mine.sort_by_key(|n| std::cmp::Reverse(n.len()));
        mine.into_iter()
            .filter_map(|n| Netns::delete(&n).err().map(|e| (n, e)))
            .collect()
    }

    /// Remove namespace `name` (lazy unmount + unlink, like `ip netns delete`).
    /// Interfaces inside it are destroyed by the kernel once nothing holds it.
    pub fn delete(name: &str) -> Result<()> {
        check_netns_name(name)?;
        let path = Path::new(NETNS_RUN_DIR).join(name);
        let c = path_cstring(&path)?;
        // SAFETY: `c` is a valid NUL-terminated path.
        if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } != 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINVAL) => {} // not mounted (half-created): still unlink
                Some(libc::ENOENT) => return Err(Error::NoSuchNetns(name.to_string())),
                _ => return Err(Error::io("unmount namespace", path, e)),
            }
        }
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(Error::NoSuchNetns(name.to_string()))
            }
            Err(e) => Err(Error::io("remove namespace file", path, e)),
        }
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `/run/netns/NAME`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Open an fd on the namespace (for `IFLA_NET_NS_FD`, sockets, `run`).
    pub fn fd(&self) -> Result<NsFd> {
        let mut fd = NsFd::open_path(&self.path).map_err(|e| match e.errno() {
            Some(libc::ENOENT) => Error::NoSuchNetns(self.name.clone()),
            _ => e,
        })?;
        fd.label = format!("netns {}", self.name);
        Ok(fd)
    }

    /// Run `f` inside this namespace (see [`NsFd::run`]).
    pub fn run<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> T,
    {
        self.fd()?.run(f)
    }

    fn handle(name: &str) -> Netns {
        Netns {
            name: name.to_string(),
            path: Path::new(NETNS_RUN_DIR).join(name),
        }
    }
}

/// A namespace name must be a single path component.
pub fn check_netns_name(name: &str) -> Result<()> {
    let bad = |reason| Error::InvalidName {
        what: "namespace name",
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("empty"));
    }
    if name == "." || name == ".." {
        return Err(bad("reserved"));
    }
    if name.len() > 255 {
        return Err(bad("longer than 255 bytes"));
    }
    if name.contains('/') || name.contains('\0') {
        return Err(bad("contains '/' or NUL"));
    }
    Ok(())
}

/// mkdir /run/netns and make it a shared mount point (once per process; the
/// same dance as iproute2's `netns_add`).
fn prepare_run_dir() -> Result<()> {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.load(std::sync::atomic::Ordering::Acquire) {
        return Ok(());
    }
    let _guard = RUN_DIR_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if DONE.load(std::sync::atomic::Ordering::Acquire) {
        return Ok(());
    }
    let dir = Path::new(NETNS_RUN_DIR);
    match fs::create_dir_all(dir) {
        Ok(()) => {}
        Err(e) => return Err(Error::io("create", dir, e)),
    }
    let c = path_cstring(dir)?;
    let none = c"none";
    let empty = c"";
    let mut made_mount = false;
    loop {
        // SAFETY: valid C strings; null data pointer is allowed.
        let rc = unsafe {
            libc::mount(
                empty.as_ptr(),
                c.as_ptr(),
                none.as_ptr(),
                libc::MS_SHARED | libc::MS_REC,
                std::ptr::null(),
            )
        };
        if rc == 0 {
            break;
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINVAL) || made_mount {
            return Err(Error::io("make shared mount", dir, e));
        }
        // Not a mount point yet: bind it onto itself, then retry.
        // SAFETY: as above.
        let rc = unsafe {
            libc::mount(
                c.as_ptr(),
                c.as_ptr(),
                none.as_ptr(),
                libc::MS_BIND | libc::MS_REC,
                std::ptr::null(),
            )
        };
        if rc != 0 {
            return Err(Error::io("bind mount", dir, io::Error::last_os_error()));
        }
        made_mount = true;
    }
    DONE.store(true, std::sync::atomic::Ordering::Release);
    Ok(())
}

fn bind_mount(src: &Path, dst: &Path) -> Result<()> {
    let s = path_cstring(src)?;
    let d = path_cstring(dst)?;
    let none = c"none";
    // SAFETY: valid C strings; null data pointer is allowed.
    let rc = unsafe {
        libc::mount(
            s.as_ptr(),
            d.as_ptr(),
            none.as_ptr(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(Error::io(
            "bind mount namespace at",
            dst,
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

fn path_cstring(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::InvalidName {
        what: "path",
        name: p.display().to_string(),
        reason: "contains NUL",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_single_components() {
        assert!(check_netns_name("jail-www").is_ok());
        assert!(check_netns_name("a/b").is_err());
        assert!(check_netns_name("..").is_err());
        assert!(check_netns_name("").is_err());
    }
}
