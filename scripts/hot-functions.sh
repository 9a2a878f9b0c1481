#!/usr/bin/env bash
# Writes stacks/hot-functions.txt: the functions of the release `cairn` binary that its
# offline commands execute (synth, parity, diff of two outputs, check, ls, help, a bad
# environment name), as the linker names them. build.rs hands the file to the linker
# (LLD's --symbol-ordering-file), which places those functions side by side at the start
# of the program's code. A run then touches about 2 MB of code instead of code spread over
# all of its 11 MB, and the kernel, which maps 64 KB around every page a program touches,
# keeps that much less of the program resident (README, "Speed and memory").
#
#   scripts/hot-functions.sh          (or `make hot-functions`), after changing what the
#                                     commands run; commit the file it writes
#   scripts/hot-functions.sh --check  how many of the listed functions the binary has
#
# A stale list is never wrong, only less effective: names it lists that the binary no
# longer has are skipped, and new functions land among the cold code. Names stay the same
# across edits of a function's body (Rust's symbol hash covers the crate and the
# function's path and types, not its code).
set -euo pipefail
export LC_ALL=C # byte order: the same list on every machine

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
list="$repo/stacks/hot-functions.txt"
bin="${CARGO_TARGET_DIR:-$repo/target}/release/cairn"

text_symbols() {
    # Functions in the program's code (t/T; W for inline functions kept as weak).
    nm --defined-only "$1" | awk '$2 ~ /^[tTwW]$/ { print $3 }' | sort -u
}

if [[ "${1:-}" == "--check" ]]; then
    [[ -x "$bin" ]] || { echo "hot-functions: $bin is not built (cargo build --release)" >&2; exit 1; }
    listed="$(grep -c . "$list" || true)"
    found="$(comm -12 <(sort -u "$list") <(text_symbols "$bin") | wc -l)"
    echo "hot functions: $found of $listed listed in stacks/hot-functions.txt are in the binary (make hot-functions to refresh)"
    exit 0
fi

command -v valgrind >/dev/null || { echo "hot-functions: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
echo "hot-functions: cargo build --release" >&2
cargo build --release --quiet --bin cairn

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
n=0
record() {
    # Exit codes are not checked: the error paths (a bad name) are part of what runs.
    n=$((n + 1))
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$n" "$bin" "$@" >/dev/null 2>&1 || true
}
record synth --all --quiet --out "$work/out"
record synth prod --out "$work/one"
record synth staging --quiet --no-checks --out "$work/two"
record parity
record parity --format json
record parity --out "$work/out"
record diff --base "$work/one" --head "$work/out"
record check
record ls
record --help
record synth --help
record synth no-such-environment --out "$work/bad"

# callgrind names each function once per file ("fn=(id) name"); recursion adds "'N".
# Grouped by the first command that runs them, in the order above (synth --all's code
# together first, then what parity adds, ...), sorted by name within a group.
text_symbols "$bin" >"$work/text"
for i in $(seq 1 "$n"); do
    sed -n "s/^c\{0,1\}fn=([0-9]*) \(.*\)$/\1/p" "$work/cg.$i" | sed "s/'[0-9]*$//" | sort -u |
        comm -12 - "$work/text" | awk -v g="$i" '{ print g, $0 }'
done | sort -k1,1n -k2,2 | awk '!seen[$2]++ { print $2 }' >"$list"
echo "hot-functions: $(wc -l <"$list") functions → stacks/hot-functions.txt"
