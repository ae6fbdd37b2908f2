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
