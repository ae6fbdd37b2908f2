//! Persistent tap devices (the bhyve VM NIC). rtnetlink cannot create tun/tap
//! (the kernel's "tun" link ops refuse `RTM_NEWLINK`), so this uses the
//! `/dev/net/tun` ioctls `TUNSETIFF` + `TUNSETPERSIST`, exactly as
//! `ip tuntap add mode tap` does. Everything after creation (MAC, master, up,
//! delete) goes through netlink like any other link.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsRawFd;

use crate::error::{Error, Result};
use crate::netns::NsFd;
use crate::types::check_ifname;

const TUN_PATH: &str = "/dev/net/tun";

/// `struct ifreq` as the tun ioctls read it: a name and a flags short.
#[repr(C)]
struct IfReqFlags {
    name: [libc::c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// Create persistent tap `name` in the calling thread's namespace (the device
/// is born in the namespace of the thread that opens `/dev/net/tun`).
pub fn create_tap(name: &str) -> Result<()> {
    check_ifname(name)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(TUN_PATH)
        .map_err(|e| Error::io("open", TUN_PATH, e))?;
    let mut req = IfReqFlags {
        name: [0; libc::IFNAMSIZ],
        flags: (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short,
        _pad: [0; 22],
    };
    for (dst, src) in req.name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    let fd = file.as_raw_fd();
    // SAFETY: `req` is a properly laid out ifreq that outlives the call.
    if unsafe { libc::ioctl(fd, libc::TUNSETIFF, &mut req as *mut IfReqFlags) } < 0 {
        return Err(tap_error("TUNSETIFF", name));
    }
    // SAFETY: TUNSETPERSIST takes an integer argument.
    if unsafe { libc::ioctl(fd, libc::TUNSETPERSIST, 1 as libc::c_ulong) } < 0 {
        return Err(tap_error("TUNSETPERSIST", name));
    }
    Ok(())
}

/// Create persistent tap `name` inside namespace `ns`.
pub fn create_tap_in(ns: &NsFd, name: &str) -> Result<()> {
    ns.run(|| create_tap(name))?
}

fn tap_error(op: &'static str, name: &str) -> Error {
    let e = io::Error::last_os_error();
    Error::Io {
        op,
        path: format!("{TUN_PATH} ({name})").into(),
        source: e,
    }
}
