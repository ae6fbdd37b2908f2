//! `/proc/sys` reads and writes, in the calling thread's namespace or inside a
//! given one. `/proc/sys/net` resolves against the namespace of the thread that
//! opens the file, so the `_in` variants open it on a thread inside `ns`.

use std::fs;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::netns::NsFd;

/// Map a key to its `/proc/sys` path. Dotted keys (`net.ipv4.ip_forward`) turn
/// dots into slashes; a key containing `/` is taken as a path as is (needed for
/// interface names with dots: `net/ipv6/conf/eth0.101/accept_ra`).
pub fn key_path(key: &str) -> Result<PathBuf> {
    let bad = |reason| Error::InvalidName {
        what: "sysctl key",
        name: key.to_string(),
        reason,
    };
    let rel = if key.contains('/') {
        key.trim_start_matches('/').to_string()
    } else {
        key.replace('.', "/")
    };
    if rel.is_empty() {
        return Err(bad("empty"));
    }
    if rel
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(bad("empty, '.' or '..' component"));
    }
    Ok(PathBuf::from("/proc/sys").join(rel))
}

/// Read a sysctl (trailing newline removed).
pub fn read(key: &str) -> Result<String> {
    let path = key_path(key)?;
    let s = fs::read_to_string(&path).map_err(|e| Error::io("read sysctl", &path, e))?;
    Ok(s.trim_end_matches('\n').to_string())
}

/// Write a sysctl.
pub fn write(key: &str, value: &str) -> Result<()> {
    let path = key_path(key)?;
    fs::write(&path, value.as_bytes()).map_err(|e| Error::io("write sysctl", &path, e))
}

/// Write several sysctls of one directory (`dir` as a key, e.g.
/// `net/ipv6/conf/eth0`), looking the directory up once. Every lookup of a
/// namespace's `/proc/sys/net/...` walks a dcache chain as long as the number of
/// network namespaces (they share the parent entry), so one lookup instead of
/// one per file matters on a host with a thousand jails.
pub fn write_under(dir: &str, items: &[(&str, &str)]) -> Result<()> {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd};
    let path = key_path(dir)?;
    let d = fs::File::open(&path).map_err(|e| Error::io("open sysctl directory", &path, e))?;
    for (name, value) in items {
        let file = path.join(name);
        let c = std::ffi::CString::new(*name).map_err(|_| Error::InvalidName {
            what: "sysctl key",
            name: name.to_string(),
            reason: "contains NUL",
        })?;
        // SAFETY: `d` is an open directory and `c` a valid C string; the returned
        // descriptor is owned by the File made from it.
        let fd =
            unsafe { libc::openat(d.as_raw_fd(), c.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(Error::io(
                "write sysctl",
                &file,
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let mut f = unsafe { fs::File::from_raw_fd(fd) };
        f.write_all(value.as_bytes())
            .map_err(|e| Error::io("write sysctl", &file, e))?;
    }
    Ok(())
}

/// Read a sysctl inside namespace `ns`.
pub fn read_in(ns: &NsFd, key: &str) -> Result<String> {
    ns.run(|| read(key))?
}

/// Write a sysctl inside namespace `ns`.
pub fn write_in(ns: &NsFd, key: &str, value: &str) -> Result<()> {
    ns.run(|| write(key, value))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_proc_sys_paths() {
        assert_eq!(
            key_path("net.ipv4.ip_forward").unwrap(),
            PathBuf::from("/proc/sys/net/ipv4/ip_forward")
        );
        assert_eq!(
            key_path("net/ipv6/conf/eth0.101/accept_ra").unwrap(),
            PathBuf::from("/proc/sys/net/ipv6/conf/eth0.101/accept_ra")
        );
        assert!(key_path("net.ipv4..x").is_err());
        assert!(key_path("net/../etc").is_err());
        assert!(key_path("").is_err());
    }
}
