#!/usr/bin/env bash
# What a change does to the synthesized templates: synthesizes BASE (a git revision, default
# origin/main) in a temporary worktree, then runs `cairn diff --base <that output>` in the
# working tree. The exit code is cairn diff's.
#
#   scripts/pr-diff.sh [BASE]            (or `make pr-diff BASE=main FORMAT=markdown`)
#
# Environment: FORMAT (default text), passed to `cairn diff --format`.
# The base is built in its own target folder (target/pr-diff-base): sharing ./target would
# leave the base's `cairn` binary in target/debug, and a later `cargo run` in the working
# tree could run it (it reads the environment files of the deleted worktree). The first run
# compiles the dependencies once; later runs are incremental.
set -euo pipefail

repo="$(git rev-parse --show-toplevel)"
cd "$repo"
base="${1:-origin/main}"
format="${FORMAT:-text}"

if ! base_rev="$(git rev-parse --verify --quiet "$base^{commit}")"; then
    echo "pr-diff: '$base' is not a commit here (try BASE=main, or 'git fetch' first)" >&2
    exit 2
fi

tmp="$(mktemp -d)"
worktree="$tmp/base-src"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    git -C "$repo" worktree remove --force "$worktree" >/dev/null 2>&1 || true
    git -C "$repo" worktree prune >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

git worktree add --detach --quiet "$worktree" "$base_rev"
echo "pr-diff: synthesizing $base ($(git rev-parse --short "$base_rev")) into $tmp/base" >&2
# Run from inside the worktree so that paths the app reads relative to its working
# directory resolve to the base's files. Its report goes to stderr: stdout is the diff only.
(
    cd "$worktree"
    CARGO_TARGET_DIR="${PR_DIFF_TARGET_DIR:-$repo/target/pr-diff-base}" cargo run --quiet --manifest-path "$worktree/Cargo.toml" \
        -- synth --all --out "$tmp/base" >&2
)

echo "pr-diff: diffing the working tree against $base" >&2
set +e
cargo run --quiet -- diff --base "$tmp/base" --format "$format" \
    --base-label "$base ($(git rev-parse --short "$base_rev"))" --head-label "working tree"
rc=$?
set -e
exit "$rc"
