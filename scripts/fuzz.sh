#!/usr/bin/env bash
# `make fuzz`: every cargo-fuzz target in fuzz/ (or those in FUZZ_TARGETS, space-separated)
# for FUZZ_SECONDS (default 30) each, starting
# from fuzz/seeds/<target>/ (read only) plus fuzz/corpus/<target>/ (grows, not committed).
# Fails if any target finds a crash; crashing inputs land in fuzz/artifacts/<target>/ —
# copy one to fuzz/regressions/<target>/ once fixed so `make test` replays it.
#
# Stable toolchain only: RUSTC_BOOTSTRAP=1 lets stable rustc take the -Z flags cargo-fuzz
# passes, and `-s none` skips AddressSanitizer (it needs a nightly std). Safe Rust has no
# memory errors for ASan to find; panics, overflows (`-a`: debug assertions) and failed
# properties are what the targets catch.
set -uo pipefail
cd "$(dirname "$0")/../fuzz" || exit 1
secs="${FUZZ_SECONDS:-30}"
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked || exit 1
fi
flags=(-s none -a)
cargo fuzz build "${flags[@]}" || exit 1
mkdir -p logs
failed=()
printf '%-18s %8s %12s %10s  %s\n' target seconds execs corpus result
for t in ${FUZZ_TARGETS:-$(cargo fuzz list)}; do
    mkdir -p "corpus/$t" "seeds/$t"
    log="logs/$t.log"
    if cargo fuzz run "${flags[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (see fuzz/$log, fuzz/artifacts/$t/)"
        failed+=("$t")
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    units=$(find "corpus/$t" -type f | wc -l)
    printf '%-18s %8s %12s %10s  %s\n' "$t" "$secs" "${execs:-?}" "$units" "$result"
done
if ((${#failed[@]})); then
    echo "fuzz: crashes in: ${failed[*]}" >&2
    exit 1
fi
