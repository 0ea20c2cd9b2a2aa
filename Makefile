# The two commands the README promises: `make demo` and `make test`.
# Everything they need is installed on first use into $(ODE_CACHE) (pinned
# OpenTofu and Terraform built from the Go module proxy, a Python venv with
# moto); the Rust build reuses one target dir there too. `make test` installs every
# tool (`make tools`); `make demo` only what the demo runs (`make demo-tools`:
# OpenTofu and the venv). A tool that cannot be built fails the target with the
# build's error; the next run tries again.

ODE_CACHE        ?= $(HOME)/.cache/ode
CARGO_TARGET_DIR ?= $(ODE_CACHE)/target
TOOLS            := $(ODE_CACHE)/tools
VENV             := $(TOOLS)/venv
export ODE_CACHE CARGO_TARGET_DIR

PROVIDER_BIN := $(CARGO_TARGET_DIR)/debug/terraform-provider-ode
TOFU         := TF_CLI_CONFIG_FILE=/dev/null $(TOOLS)/tofu-1.12.6/tofu
HCL_DIRS     := $(wildcard examples modules)

.PHONY: split-modules test-aws all tools demo-tools build install test test-unit test-e2e test-chaos test-crash lint lint-fmt fmt demo demo-destroy bench bench-scale docs clean-demo release fuzz

all: build

## make tools: every tool the tests use (OpenTofu, Terraform, actionlint, the venv, TFLint,
## checkov in a venv of its own).
tools:
	@bash scripts/install-tools.sh
	@bash scripts/install-hcl-tools.sh
	@bash scripts/install-checkov.sh

## make demo-tools: what the demo runs: the venv (the emulator) and a core: a supported
## tofu or terraform on PATH, else the pinned OpenTofu (built once).
demo-tools:
	@bash scripts/install-tools.sh venv demo-core

build:
	cargo build --locked --bin terraform-provider-ode

## make install: the built provider in a filesystem mirror the cores search
## (INSTALL_MIRROR, default ~/.terraform.d/plugins), so `terraform init` finds
## ode/ode before it is published. See docs/guides/installing-before-the-registry-release.md.
INSTALL_MIRROR ?= $(HOME)/.terraform.d/plugins
install: build
	@bash scripts/install-provider.sh $(PROVIDER_BIN) $(INSTALL_MIRROR)

## make test: unit and property tests, formatting checks, then the end-to-end
## scenarios against real cores and the moto emulator.
test: tools build test-unit lint-fmt test-e2e

test-unit:
	cargo test --locked --workspace

lint-fmt:
	cargo fmt --all -- --check
	$(TOFU) fmt -check -recursive $(HCL_DIRS)

## The scenarios run on TEST_WORKERS pytest-xdist workers (each with its own emulator);
## TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2
test-e2e:
	ODE_PROVIDER_BIN=$(PROVIDER_BIN) $(VENV)/bin/python -m pytest tests -n $(TEST_WORKERS) --dist worksteal

## make test-chaos: the e2e scenarios on both cores with the emulator failing CHAOS_RATE
## of the provider's AWS calls (throttling, 500, 503, connection resets before and after
## AWS carried the call out; tests/support/chaos.py), except those marked no_chaos. The
## faults injected and each scenario's outcome go to tests/.reports/chaos.json. Long:
## never part of `make test`.
CHAOS_RATE ?= 0.15
test-chaos: tools build
	ODE_CHAOS_RATE=$(CHAOS_RATE) ODE_PROVIDER_BIN=$(PROVIDER_BIN) $(VENV)/bin/python -m pytest tests/e2e -n $(TEST_WORKERS) --dist worksteal

## make test-crash: the crash loop (issue 20, tests/crash): each composite killed (kill -9,
## core and provider) right after each distinct mutating AWS call of a clean create, update
## and destroy (recorded at the start), then the step run again: it must converge with no
## duplicate and no orphan. On CRASH_CORES (a -k expression; default tofu), every
## composite or those of CRASH_COMPOSITES (resource types, comma-separated); the table goes
## to tests/.reports/crash-loop.md. Long: never part of `make test`.
CRASH_CORES ?= tofu
test-crash: tools build
	ODE_CRASH_COMPOSITES=$(CRASH_COMPOSITES) ODE_PROVIDER_BIN=$(PROVIDER_BIN) $(VENV)/bin/python -m pytest tests/crash -n $(TEST_WORKERS) --dist worksteal -k '$(CRASH_CORES) or test_clean_run'

lint: lint-fmt
	cargo clippy --locked --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all
	$(TOFU) fmt -recursive $(HCL_DIRS)

## make test-aws: the opt-in acceptance run on a real AWS account (billed; always
## destroys). Refuses unless ODE_ACC_AWS=1 and ODE_ACC_ACCOUNT_ID is the credentials'
## account. See scripts/test-aws.sh.
test-aws: demo-tools build
	@bash scripts/test-aws.sh $(PROVIDER_BIN)

## make split-modules VERSION=x.y.z: one publishable tree per module, in the public
## registry's layout (docs/guides/consuming-the-modules.md).
split-modules:
	$(VENV)/bin/python scripts/split_modules.py --out $(or $(SPLIT_DIR),$(ODE_CACHE)/dist/modules) $(if $(VERSION),--version $(VERSION))

## make demo: start the local emulator and apply the example stack on it.
demo: demo-tools build
	@bash scripts/demo.sh up

demo-destroy: demo-tools build
	@bash scripts/demo.sh down

## make bench: release build, then print the provider's performance figures.
bench: tools
	cargo build --locked --release --bin terraform-provider-ode
	ODE_PROVIDER_BIN=$(CARGO_TARGET_DIR)/release/terraform-provider-ode \
	  $(VENV)/bin/python -m tests.bench.provider_bench
	ODE_PROVIDER_BIN=$(CARGO_TARGET_DIR)/release/terraform-provider-ode \
	  $(VENV)/bin/python -m tests.bench.network_bench
	ODE_PROVIDER_BIN=$(CARGO_TARGET_DIR)/release/terraform-provider-ode \
	  $(VENV)/bin/python -m tests.bench.eks_bench
	ODE_PROVIDER_BIN=$(CARGO_TARGET_DIR)/release/terraform-provider-ode \
	  $(VENV)/bin/python -m tests.bench.data_bench
	ODE_PROVIDER_BIN=$(CARGO_TARGET_DIR)/release/terraform-provider-ode \
	  $(VENV)/bin/python -m tests.bench.platform_bench

## make bench-scale: many networks (SCALE_NETWORKS), then many whole platforms
## (SCALE_PLATFORMS), in one state with -parallelism=10, applied, refreshed and destroyed
## against an emulator that throttles as AWS does; prints wall times, AWS calls, throttled
## calls, errors and the provider's peak RSS, and writes tests/.reports/scale.json. The
## debug build by default (ODE_PROVIDER_BIN=... for another); long: never part of `make test`.
SCALE_NETWORKS   ?= 10,20,50
SCALE_PLATFORMS  ?= 5,10
SCALE_CORE       ?= tofu
ODE_PROVIDER_BIN ?= $(PROVIDER_BIN)
bench-scale: tools build
	ODE_PROVIDER_BIN=$(ODE_PROVIDER_BIN) $(VENV)/bin/python -m tests.bench.scale_bench \
	  --n '$(SCALE_NETWORKS)' --platforms '$(SCALE_PLATFORMS)' --core $(SCALE_CORE)

## make fuzz: the codec fuzzing properties (benches/codec_fuzz) for FUZZ_SECONDS in a
## release build; prints the cases run, failures, panics and the slowest case, and fails
## on any failure, panic or hang. `cargo test` runs the same properties briefly.
FUZZ_SECONDS ?= 60
fuzz:
	cargo bench --locked --bench codec_fuzz -- --seconds $(FUZZ_SECONDS)

## make docs: provider docs from the schema, module README tables from the HCL.
docs: build
	ODE_PROVIDER_BIN=$(PROVIDER_BIN) $(VENV)/bin/python scripts/gen_docs.py
	$(VENV)/bin/python scripts/gen_module_docs.py

## make release VERSION=x.y.z: release build for this machine (linux/amd64 here),
## packaged, checksummed and signed into $(ODE_CACHE)/dist/VERSION (or RELEASE_DIR=DIR) by
## scripts/release.sh. A cold release build takes long; never part of `make test`.
release:
	bash scripts/release.sh all --version '$(VERSION)'$(if $(RELEASE_DIR), --out '$(RELEASE_DIR)')
