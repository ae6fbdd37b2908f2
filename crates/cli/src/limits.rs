//! Process limits: the open-file limit raised towards what the system allows. On Linux each
//! jail namespace jailnet talks to holds a socket and a namespace handle open for the
//! whole command, so a thousand jails need more than the usual soft limit of 1024.

/// Raise the soft limit on open files to the hard limit, at most 65,536 (~30,000 jails).
/// Capped because the programs jailnet starts (dnsmasq, nft, dhclient) inherit it, and a
/// program that closes every possible descriptor at start-up would pay for a huge limit.
/// Best effort: on failure the limit stays as it was.
pub fn raise_open_files() {
    const CAP: libc::rlim_t = 1 << 16;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return;
    }
    let want = lim.rlim_max.min(CAP);
    if lim.rlim_cur >= want {
        return;
    }
    lim.rlim_cur = want;
    // SAFETY: `lim` is a valid rlimit with rlim_cur <= rlim_max.
    unsafe {
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}
