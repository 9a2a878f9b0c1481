#!/usr/bin/env bash
# Cold build of the `cairn` binary as a new user's first `cargo run -- synth prod` does it:
# debug profile, an empty target folder (a temporary one; target/ is left alone), the
# crates already downloaded. Reports CPU-seconds (user+sys: what the build costs, nearly
# independent of the machine's load) and wall time.
#
#   scripts/bench-build.sh          (or `make bench-build`)
#   BUILD="cargo test --workspace --all-targets --no-run" scripts/bench-build.sh   (another command)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
command="${BUILD:-cargo build --bin cairn}"
target="$(mktemp -d)"
trap 'rm -rf "$target"' EXIT
# Downloads are not part of the build: fetch first.
cargo fetch --quiet
echo "bench-build: $command (empty target folder, $(nproc) cores)" >&2
# bash's `time` counts the CPU of every process the build starts (rustc, linkers, build scripts).
TIMEFORMAT='%U %S %R'
if ! { time CARGO_TARGET_DIR="$target" $command --quiet >/dev/null 2>"$target/log"; } 2>"$target/times"; then
    cat "$target/log" >&2
    echo "bench-build: $command failed" >&2
    exit 1
fi
read -r user sys wall <"$target/times"
awk -v u="$user" -v s="$sys" -v w="$wall" -v c="$command" \
    'BEGIN { printf "  %-50s %6.1f CPU-s (user %.1f + sys %.1f), %5.1f s wall\n", c, u + s, u, s, w }'
