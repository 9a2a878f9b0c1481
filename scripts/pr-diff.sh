#!/usr/bin/env bash
# What a change does to the synthesized templates: synthesizes BASE (a git revision, default
# origin/main) in a temporary git worktree, then runs `cairn diff --base <that output>` in the
# working tree. The exit code is cairn diff's (1 when a --fail-on gate trips).
#
#   scripts/pr-diff.sh [BASE [CAIRN_DIFF_OPTION...]]   (or `make pr-diff BASE=main FORMAT=markdown`)
#
# Environment: FORMAT (default text), passed to `cairn diff --format`; FAIL_ON, when set,
# passed to `cairn diff --fail-on` (e.g. data-loss,replacement). Options after BASE go to
# `cairn diff` as they are (scripts/review-gate.sh passes its --fail-on that way).
#
# The base is built with the same target folder as the working tree ($CARGO_TARGET_DIR, else
# ./target), so every dependency compiled for one is reused by the other: only the base's own
# crates are compiled again. Those must not share artifacts with the working tree's: cargo names
# a workspace crate's artifacts by its path relative to the workspace root, so the base's would
# overwrite the working tree's, and cargo could then take the base's `cairn` for a fresh build of
# the working tree. A profile setting that changes nothing that matters (codegen-units 255
# instead of 256) on the base's own packages gives them artifacts of their own. Progress
# (cargo's output, each step's time) goes to stderr; stdout is the diff only.
set -euo pipefail

repo="$(git rev-parse --show-toplevel)"
cd "$repo"
base="${1:-origin/main}"
shift || true
format="${FORMAT:-text}"
diff_options=("$@")
if [[ -n "${FAIL_ON:-}" ]]; then diff_options+=(--fail-on "$FAIL_ON"); fi
target="${CARGO_TARGET_DIR:-$repo/target}"
mkdir -p "$target"
target="$(cd "$target" && pwd)" # absolute: the steps below run in two folders
export CARGO_TARGET_DIR="$target"

if ! base_rev="$(git rev-parse --verify --quiet "$base^{commit}")"; then
    echo "pr-diff: '$base' is not a commit here (try BASE=main, or 'git fetch' first)" >&2
    exit 2
fi
short="$(git rev-parse --short "$base_rev")"

start=$SECONDS
step_start=$SECONDS
step() {
    echo "pr-diff: [$((SECONDS - start)) s] $*" >&2
    step_start=$SECONDS
}
took() { echo "pr-diff:   done in $((SECONDS - step_start)) s" >&2; }

work="$target/pr-diff"
worktree="$work/base-src"
out="$work/base-out"
mkdir -p "$work"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    git -C "$repo" worktree remove --force "$worktree" >/dev/null 2>&1 || true
    git -C "$repo" worktree prune >/dev/null 2>&1 || true
    rm -rf "$worktree" "$out" "$work/base-cairn"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup # a previous run that was killed may have left its worktree behind

step "checking out $base ($short) in $worktree"
git worktree add --detach --quiet "$worktree" "$base_rev"

step "building $base's cairn (target folder $target; dependencies shared with the working tree)"
salt=()
while IFS= read -r package; do
    salt+=(--config "profile.dev.package.\"$package\".codegen-units=255")
done < <(cargo metadata --no-deps --format-version 1 --manifest-path "$worktree/Cargo.toml" \
    | python3 -c 'import json, sys; print("\n".join(p["name"] for p in json.load(sys.stdin)["packages"]))')
cargo build "${salt[@]}" --bin cairn --manifest-path "$worktree/Cargo.toml" >&2
cp "$target/debug/cairn" "$work/base-cairn"
took

step "synthesizing $base into $out"
# From inside the worktree, so paths the app reads relative to its working directory resolve
# to the base's files.
(cd "$worktree" && "$work/base-cairn" synth --all --quiet --out "$out" >&2)
took

step "building the working tree's cairn (puts it back in $target/debug)"
cargo build --bin cairn >&2
took

step "diffing the working tree against $base: cairn diff --format $format ${diff_options[*]}"
set +e
"$target/debug/cairn" diff --base "$out" --format "$format" "${diff_options[@]}" \
    --base-label "$base ($short)" --head-label "working tree"
rc=$?
set -e
echo "pr-diff: finished in $((SECONDS - start)) s (cairn diff exit code $rc)" >&2
exit "$rc"
