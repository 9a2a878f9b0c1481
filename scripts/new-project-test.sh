#!/usr/bin/env bash
# `cairn new` end to end: write a project into a temporary folder outside the repository,
# then, in it, `cargo run -- synth --all`, `cargo test` and `make test`, as a new user would.
# Each step prints its time. Run by `make test`.
#
# It shares this repository's target folder (CARGO_TARGET_DIR, default target/) and Python
# venv (VENV, default .venv/, which must have cfn-lint), so the cairn crates and their
# dependencies are not built a second time: the project depends on this checkout's crates
# by path and gets its Cargo.lock.
#
#   scripts/new-project-test.sh              (KEEP=1 keeps the project and prints where)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
venv="${VENV:-$repo/.venv}"
if [[ ! -x "$venv/bin/cfn-lint" ]]; then
    echo "new-project-test: no cfn-lint in $venv (run 'make venv' or set VENV)" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/cairn-new-project.XXXXXX")"
tmp="$(cd "$tmp" && pwd -P)"
if [[ "${KEEP:-0}" == 1 ]]; then
    echo "new-project-test: keeping $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi
case "$tmp/" in
"$(cd "$repo" && pwd -P)"/*)
    echo "new-project-test: $tmp is inside the repository; set TMPDIR to a folder outside it" >&2
    exit 1
    ;;
esac

start=$SECONDS
step() {
    local name="$1" began=$SECONDS
    shift
    echo "new-project-test: ${name} ..."
    "$@"
    echo "new-project-test: ${name}: $((SECONDS - began)) s"
}

project="$tmp/billing-infra"
cd "$repo"
step "cairn new $project" cargo run --quiet -- new "$project"
cd "$project"
step "cargo run -- synth --all" cargo run --quiet -- synth --all
step "cargo test" cargo test --quiet
step "make test" make test VENV="$venv"
echo "new-project-test: OK: cairn new, synth --all, cargo test and make test passed in $project ($((SECONDS - start)) s)"
