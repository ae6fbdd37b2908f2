//! The heap, backed by transparent huge pages where the kernel offers them. A command on a
//! thousand jails touches ~9 MiB of heap once; page by page that is ~2,000 page faults,
//! which in a VM cost about as much as the netlink work (a no-op `up` of 1000 jails spent
//! 11 % of its time in them). This does what glibc's `glibc.malloc.hugetlb=1` tunable
//! does, from inside.

/// Grow the heap in 16 MiB steps, never give it back (a command's heap lives as long as
/// the command), and ask for huge pages on it (`MADV_HUGEPAGE`). Call it first thing in
/// `main`, on the main thread (glibc's main arena is the one on the program break).
/// Returns the range advised, if any. Best effort: without transparent huge pages the
/// kernel ignores the advice; off the main thread nothing is advised.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn use_huge_pages() -> Option<(usize, usize)> {
    const STEP: usize = 16 << 20;
    // SAFETY: mallopt, sbrk(0) (a query), malloc and free have no preconditions.
    let (start, end) = unsafe {
        libc::mallopt(libc::M_TOP_PAD, STEP as libc::c_int);
        libc::mallopt(libc::M_TRIM_THRESHOLD, (4 * STEP) as libc::c_int);
        libc::mallopt(libc::M_MMAP_THRESHOLD, (1 << 20) as libc::c_int);
        let start = libc::sbrk(0) as usize;
        // A block bigger than what is left at the top makes glibc grow the heap now
        // (black_box: the compiler would drop an unused malloc/free pair).
        let p = std::hint::black_box(libc::malloc(512 << 10));
        let end = libc::sbrk(0) as usize;
        libc::free(p);
        (start, end)
    };
    let (from, len) = huge_range(start, end)?;
    // SAFETY: [from, from + len) lies inside the heap glibc just grew, which stays mapped
    // (never trimmed below this); the advice changes no contents.
    let rc = unsafe { libc::madvise(from as *mut libc::c_void, len, libc::MADV_HUGEPAGE) };
    (rc == 0).then_some((from, len))
}

/// Other platforms: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn use_huge_pages() -> Option<(usize, usize)> {
    None
}

/// The whole 2 MiB huge pages inside [start, end), as (first address, length).
fn huge_range(start: usize, end: usize) -> Option<(usize, usize)> {
    const HUGE: usize = 2 << 20;
    let from = start.checked_add(HUGE - 1)? & !(HUGE - 1);
    let len = end.checked_sub(from)? & !(HUGE - 1);
    (len > 0).then_some((from, len))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_whole_aligned_huge_pages_are_advised() {
        use super::huge_range;
        const M: usize = 1 << 20;
        assert_eq!(huge_range(3 * M, 21 * M), Some((4 * M, 16 * M)));
        assert_eq!(huge_range(4 * M, 20 * M), Some((4 * M, 16 * M)));
        assert_eq!(huge_range(3 * M, 5 * M), None);
        assert_eq!(huge_range(5 * M, 5 * M), None);
        assert_eq!(huge_range(9 * M, 5 * M), None);
        assert_eq!(huge_range(usize::MAX - M, usize::MAX), None);
    }
}
