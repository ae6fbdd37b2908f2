# jailnet — two commands: `make demo` shows the main job, `make test` runs every test.
CARGO ?= cargo
JAILNET = target/release/jailnet

.PHONY: all build deps test demo lint bench clean fuzz

all: build

deps:
	@scripts/deps.sh

build:
	$(CARGO) build --release --workspace

test: deps
	$(CARGO) test --workspace --no-fail-fast

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# The benchmark against the peers (shell ip, ip -batch, CNI bridge, netavark); needs root, writes
# bench/out/ (see BENCHMARKS.md). Not part of `test`. BENCH_NS="100 500 1000" by default.
bench:
	@scripts/deps.sh --bench
	$(CARGO) build --release -p jailnet-cli
	bench/run.sh

# Every fuzz target for FUZZ_SECONDS (default 30) each; fails on a crash. Not part of `test`.
fuzz:
	@scripts/fuzz.sh

demo: deps build
	$(JAILNET) demo

clean:
	$(CARGO) clean
