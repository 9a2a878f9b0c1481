# cairn: developer and CI entry points. `make help` lists the targets.
#
# Python tools (cfn-lint, moto_server) live in .venv/, created from requirements.txt by
# `make venv`; it is reinstalled only when requirements.txt is newer than .venv/.installed.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON  ?= python3
VENV    := .venv
REQS    := requirements.txt
STAMP   := $(VENV)/.installed
OUT     ?= out
ENV     ?= dev
# POSIX shells use $ENV for a start-up file path; do not mistake one for an environment name.
ifeq ($(origin ENV),environment)
ifneq ($(findstring /,$(ENV)),)
ENV := dev
endif
endif
PORT    ?= 5000
BASE    ?= origin/main
FORMAT  ?= text
FAIL_ON ?=

# For Rust integration tests that start moto themselves.
export CAIRN_VENV  := $(CURDIR)/$(VENV)
export MOTO_SERVER := $(CURDIR)/$(VENV)/bin/moto_server

.PHONY: help venv test lint synth synth-all local-cloud local-cloud-stop local-cloud-status \
        bench hot-functions bench-process bench-build bench-instructions pr-diff fmt fmt-check clippy clean snapshots-review doc api-surface \
        replacement-table replacement-table-check cfn cfn-check new-project-test pipeline pipeline-check actionlint

help: ## List the targets
	@echo "Usage: make TARGET [VAR=value]   (ENV=$(ENV) PORT=$(PORT) BASE=$(BASE) FORMAT=$(FORMAT) FAIL_ON=$(FAIL_ON) OUT=$(OUT))"
	@echo
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(firstword $(MAKEFILE_LIST)) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  %-24s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv/ and install requirements.txt (only when it changed)

$(STAMP): $(REQS)
	@if [[ ! -x $(VENV)/bin/python ]]; then \
	  echo "venv: creating $(VENV) with $$($(PYTHON) --version)"; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	$(VENV)/bin/python -m pip install --disable-pip-version-check --quiet -r $(REQS)
	@touch $@

test: venv replacement-table-check cfn-check ## Generated code is current, cargo test, synthesize every environment, lint the templates, examples/ and `cairn new`
	# Every service of the generated typed layer compiles (the default build compiles only a few).
	cargo check --quiet -p cairn-cfn --features full
	# --no-fail-fast: a failing test binary does not keep the snapshot tests from running.
	cargo test --workspace --all-targets --no-fail-fast
	# The crate docs' examples (--all-targets does not run doctests) and the docs themselves.
	cargo test --workspace --doc --no-fail-fast
	$(MAKE) --no-print-directory doc
	rm -rf $(OUT)
	cargo run --quiet -- synth --all --out $(OUT)
	$(MAKE) --no-print-directory lint OUT=$(OUT)
	# Built-in policy rules and the Guard rules in rules/: zero errors in every environment.
	cargo run --quiet -- check --all
	# The committed workflow is what the environment files give, and every workflow passes actionlint.
	$(MAKE) --no-print-directory pipeline-check actionlint
	# The second example (its tests ran above): every environment synthesized, cfn-lint, policy checks.
	$(MAKE) --no-print-directory -C examples/queue-worker synth-all lint check VENV=$(CURDIR)/$(VENV)
	# `cairn new` end to end: a project in a temp folder outside the repository, built and tested there.
	VENV=$(CURDIR)/$(VENV) scripts/new-project-test.sh

new-project-test: venv ## `cairn new` into a temp folder outside the repository, then synth --all, cargo test, make test there
	VENV=$(CURDIR)/$(VENV) scripts/new-project-test.sh

pipeline: ## Write .github/workflows/cairn-shop.yml from the environment files' [delivery] tables
	cargo run --quiet -- pipeline

pipeline-check: ## Fail if the committed workflow differs from what `cairn pipeline` writes (run by `make test`)
	cargo run --quiet -- pipeline --check

actionlint: venv ## actionlint (with shellcheck on run: scripts) on every GitHub Actions workflow, the example's too
	$(VENV)/bin/actionlint -shellcheck $(VENV)/bin/shellcheck .github/workflows/*.yml examples/queue-worker/.github/workflows/*.yml

lint: venv ## cfn-lint every out/*/*.template.json; fails on any error or warning
	scripts/lint-templates.sh $(OUT)

synth: ## Synthesize one environment: make synth ENV=staging
	cargo run --quiet -- synth $(ENV)

synth-all: ## Synthesize every environment into out/ (OUT=)
	cargo run --quiet -- synth --all --out $(OUT)

local-cloud: venv ## Start moto_server on 127.0.0.1:PORT (5000) in the background (CloudFormation endpoint)
	PORT=$(PORT) scripts/local-cloud.sh start

local-cloud-stop: ## Stop the moto_server started by `make local-cloud`
	scripts/local-cloud.sh stop

local-cloud-status: ## Is the local moto_server running?
	scripts/local-cloud.sh status

bench: ## Synthesis benchmarks (benches/synth.rs), whole-process timings and instruction counts of synth, parity
	cargo bench --bench synth
	scripts/bench-process.sh
	@if command -v valgrind >/dev/null; then scripts/bench-instructions.sh; else echo "bench: valgrind not installed, instruction counts skipped"; fi
	scripts/hot-functions.sh --check

hot-functions: ## Rewrite stacks/hot-functions.txt (the functions the offline commands run, linked side by side; valgrind)
	scripts/hot-functions.sh

bench-process: ## Whole-process timings only: release build, each command x RUNS (20), median ms, peak RSS
	scripts/bench-process.sh

bench-build: ## Cold debug build of the cairn binary in an empty temp target folder: CPU-seconds (user+sys) and wall time
	scripts/bench-build.sh

bench-instructions: ## Instructions executed by synth/parity (valgrind callgrind): load-independent, for before/after
	scripts/bench-instructions.sh

pr-diff: ## Template diff of the working tree against BASE (origin/main); FORMAT=text|markdown|json, FAIL_ON=data-loss,replacement|security|any
	FORMAT=$(FORMAT) FAIL_ON=$(FAIL_ON) scripts/pr-diff.sh $(BASE)

doc: ## API docs of every crate (target/doc), warnings are errors (run by `make test`)
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace

api-surface: ## Public items per library crate (scripts/api-surface.sh), from the docs `make doc` builds
	scripts/api-surface.sh

fmt: ## cargo fmt --all
	cargo fmt --all

fmt-check: ## cargo fmt --all --check
	cargo fmt --all --check

clippy: ## cargo clippy on every crate and target, warnings are errors
	cargo clippy --workspace --all-targets -- -D warnings

clean: ## Remove synthesized output and local-cloud state (not target/, not .venv/)
	@if [[ -f .local-cloud/moto.pid ]]; then scripts/local-cloud.sh stop; fi
	rm -rf out .local-cloud

snapshots-review: ## Review pending insta snapshots (.snap.new)
	@if cargo insta --version >/dev/null 2>&1; then \
	  cargo insta review; \
	else \
	  echo "cargo-insta is not installed (cargo install cargo-insta --locked). Without it:"; \
	  echo "  - a failing snapshot test writes <name>.snap.new next to <name>.snap;"; \
	  echo "    compare them (diff -u x.snap x.snap.new) and, if right, mv x.snap.new x.snap;"; \
	  echo "  - or accept everything: INSTA_UPDATE=always cargo test --workspace, then review with git diff."; \
	  echo "Pending now:"; \
	  find . -path ./target -prune -o \( -name '*.snap.new' -o -name '*.pending-snap' \) -print; \
	fi

replacement-table: venv ## Regenerate crates/core/src/schema/facts.rs (every resource type's facts) from cfn-lint's schemas
	$(VENV)/bin/python scripts/gen-replacement-table.py

replacement-table-check: venv ## Fail if crates/core/src/schema/facts.rs is stale (run by `make test`)
	$(VENV)/bin/python scripts/gen-replacement-table.py --check

cfn: venv ## Regenerate crates/cfn (the typed layer of every resource type) from cfn-lint's schemas
	$(VENV)/bin/python scripts/gen-cfn.py

cfn-check: venv ## Fail if the generated code in crates/cfn is stale
	$(VENV)/bin/python scripts/gen-cfn.py --check
