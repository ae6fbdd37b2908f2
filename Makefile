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

# Every fuzz target for FUZZ_SECONDS (default 30) each; fails on a crash. Not part of `test`.
fuzz:
	@scripts/fuzz.sh

demo: deps build
	$(JAILNET) demo

clean:
	$(CARGO) clean
