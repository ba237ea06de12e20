# Every target creates or refreshes .venv and builds the extension itself, so a fresh clone needs
# nothing beforehand but Python 3.10+, pip and a Rust toolchain.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS_STAMP := $(VENV)/.toolproof-deps
# `make build BUILD_PROFILE=fastbuild` for quick rebuilds while developing; tests, the demo and
# benchmarks use the release build by default.
BUILD_PROFILE ?= release
export VIRTUAL_ENV := $(abspath $(VENV))
export PATH := $(abspath $(VENV))/bin:$(PATH)
# CrewAI phones home and writes under HOME unless told not to; every target runs offline-clean.
export CREWAI_DISABLE_TELEMETRY := true
export OTEL_SDK_DISABLED := true
export CREWAI_TRACING_ENABLED := false

.PHONY: venv build demo test test-rust test-python bench lint clean

venv: $(DEPS_STAMP)

$(DEPS_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "maturin>=1.9,<2"
	$(VENV)/bin/maturin develop --profile $(BUILD_PROFILE) --quiet --extras all,dev
	@touch $@

build: $(DEPS_STAMP)
	$(VENV)/bin/maturin develop --profile $(BUILD_PROFILE) --quiet --skip-install

demo: build
	$(PY) examples/demo.py

test: test-rust test-python

test-rust:
	cargo test --release --quiet

test-python: build
	$(PY) -m pytest -q

bench: build
	$(PY) tests/benchmarks/run.py $(BENCH_ARGS)

lint: build
	cargo fmt --check
	cargo clippy --all-targets --features python -- -D warnings
	cargo clippy --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests examples
	$(VENV)/bin/ruff format --check python tests examples
	$(PY) -m mypy.stubtest toolproof._core --allowlist .stubtest-allowlist

clean:
	rm -rf target $(VENV) python/toolproof/*.so
