#!/usr/bin/env bash
# Instructions executed by the commands users run most, counted by valgrind's callgrind:
# unlike wall time, the count does not move with the load of a shared machine, so it is
# the figure to compare before and after a change (same binary, same inputs → same count).
#
#   scripts/bench-instructions.sh        (or `make bench-instructions`)
#   CAIRN_BIN=path/to/cairn scripts/bench-instructions.sh   (count a prebuilt binary)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
command -v valgrind >/dev/null || { echo "bench-instructions: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
if [[ -n "${CAIRN_BIN:-}" ]]; then
    bin="$CAIRN_BIN" # its build profile is not known
    build="prebuilt binary $CAIRN_BIN (build profile not checked)"
else
    bin="${CARGO_TARGET_DIR:-$repo/target}/release/cairn"
    echo "bench-instructions: cargo build --release" >&2
    cargo build --release --quiet --bin cairn
    build="release build"
fi
[[ -x "$bin" ]] || { echo "bench-instructions: $bin was not built" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
count() {
    local label="$1"; shift
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" "$@" >/dev/null 2>"$work/log" \
        || { cat "$work/log" >&2; echo "bench-instructions: $label failed" >&2; exit 1; }
    local total
    total="$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$work/log")"
    awk -v l="$label" -v n="$total" 'BEGIN { printf "  %-26s %8.1f M instructions\n", l, n / 1e6 }'
}
echo "instructions executed (callgrind, all threads), $build"
count "synth --all" synth --all --quiet --out "$work/out"
count "synth --all --no-checks" synth --all --quiet --no-checks --out "$work/out2"
count "synth prod" synth prod --quiet --out "$work/out3"
count "parity" parity --format json
