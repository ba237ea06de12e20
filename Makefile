# Every target creates or refreshes .venv and builds the extension itself, so a fresh clone needs
# nothing beforehand but Python 3.10+, pip and a Rust toolchain.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two stages: the package alone (enough for the demo), then every framework and test tool on top.
CORE_STAMP := $(VENV)/.toolproof-core
DEPS_STAMP := $(VENV)/.toolproof-deps
# `make build BUILD_PROFILE=fastbuild` for quick rebuilds while developing; tests, the demo and
# benchmarks use the release build by default.
BUILD_PROFILE ?= release
# The extension and `cargo test` build the crate with different features; each keeps its own target
# folder so neither invalidates the other, and a second `make test` with nothing changed builds nothing.
EXTENSION_TARGET := target/extension
MATURIN_DEVELOP := $(VENV)/bin/maturin develop --profile $(BUILD_PROFILE) --target-dir $(EXTENSION_TARGET) --quiet
# Build and install output goes to a log, shown only when something fails.
BUILD_LOG := $(VENV)/build.log
QUIETLY = > $(BUILD_LOG) 2>&1 || { cat $(BUILD_LOG); exit 1; }
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)
# CrewAI phones home and writes under HOME unless told not to; every target runs offline-clean.
export CREWAI_DISABLE_TELEMETRY := true
export OTEL_SDK_DISABLED := true
export CREWAI_TRACING_ENABLED := false

.PHONY: venv build build-core demo test test-rust test-python bench lint clean redis-server

venv: $(DEPS_STAMP)

$(CORE_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing toolproof and building its Rust core into $(VENV) (a minute or two the first time)"
	@$(PY) -m pip install --quiet --disable-pip-version-check "maturin>=1.9,<2" $(QUIETLY)
	@$(MATURIN_DEVELOP) $(QUIETLY)
	@touch $@

$(DEPS_STAMP): $(CORE_STAMP)
	@echo "installing the frameworks and test tools into $(VENV) (several minutes the first time)"
	@$(MATURIN_DEVELOP) --extras all,dev $(QUIETLY)
	@touch $@

build-core: $(CORE_STAMP)
	@$(MATURIN_DEVELOP) --skip-install $(QUIETLY)

build: $(DEPS_STAMP)
	@$(MATURIN_DEVELOP) --skip-install $(QUIETLY)

demo: build-core
	@$(PY) examples/demo.py

test: test-rust test-python

# The coordinator's tests and benchmark start a real Redis (Debian's redis-server) on a free port.
# Without root or apt-get it says so and goes on: those tests then skip, or fail under CI=true.
redis-server:
	@command -v redis-server > /dev/null || { \
		echo "installing redis-server with apt-get"; \
		apt-get install -y -q redis-server > /dev/null 2>&1 || \
		{ apt-get update -q > /dev/null 2>&1 && apt-get install -y -q redis-server > /dev/null 2>&1; } || \
		echo "could not install redis-server: the tests that need Redis will not run"; }

test-rust:
	cargo test --profile fastbuild --quiet

test-python: build redis-server
	$(PY) -m pytest -q

bench: build redis-server
	$(PY) tests/benchmarks/run.py $(BENCH_ARGS)

lint: build
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests examples
	$(VENV)/bin/ruff format --check python tests examples
	$(PY) -m mypy python/toolproof
	$(PY) -m mypy.stubtest toolproof._core --allowlist .stubtest-allowlist

clean:
	rm -rf target $(VENV) python/toolproof/*.so
