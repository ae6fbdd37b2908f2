//! The heap jailnet's `main` sets up (`src/heap.rs`): grown in one 16 MiB step on the
//! program break and advised for transparent huge pages. Runs on the main thread (no test
//! harness), as `main` does; without transparent huge pages → `SKIP`.

#[path = "../src/heap.rs"]
mod heap;

fn main() {
    let thp =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if thp.is_empty() || thp.contains("[never]") {
        eprintln!("SKIP huge_heap: no transparent huge pages on this kernel");
        return;
    }
    let (from, len) = heap::use_huge_pages().expect("a heap range advised");
    assert!(len >= 8 << 20, "only {len} bytes advised");
    // The kernel marks the advised mapping `hg` in /proc/self/smaps.
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut inside = false;
    let mut flagged = false;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ') {
            if let Some((a, b)) = range.split_once('-') {
                if let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                {
                    inside = a <= from && from < b;
                    continue;
                }
            }
        }
        if inside && line.starts_with("VmFlags:") {
            flagged = line.split_whitespace().any(|f| f == "hg");
        }
    }
    assert!(
        flagged,
        "the heap at {from:#x} is not advised for huge pages:\n{smaps}"
    );
    // What is allocated from now on (blocks below the 1 MiB mmap threshold) comes from
    // there once older free space is used up.
    let blocks: Vec<Vec<u8>> = (0..64).map(|_| vec![1; 64 << 10]).collect();
    let inside = |v: &Vec<u8>| (from..from + len).contains(&(v.as_ptr() as usize));
    let n = blocks.iter().filter(|v| inside(v)).count();
    assert!(n > 0, "none of 64 blocks in {from:#x}+{len:#x}");
    println!("huge_heap: {len} bytes at {from:#x} advised for huge pages; {n} of 64 blocks there");
}
