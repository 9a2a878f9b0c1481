#!/usr/bin/env bash
# Whole-process timing of `cairn synth --all`: builds the release binary, runs it RUNS times
# (default 20), each into a fresh temporary output directory, and reports the median (and
# min/max) wall time in ms and the largest maximum resident set size in MB.
#
#   scripts/bench-process.sh            (or `make bench-process`; RUNS=50 scripts/bench-process.sh)
#   CAIRN_BIN=path/to/cairn scripts/bench-process.sh   (time a prebuilt binary, no build)
#
# Memory comes from GNU time (/usr/bin/time -f "%e %M") when it is installed (and
# BENCH_NO_GNU_TIME is not 1), else from a tiny
# Python wrapper using resource.getrusage(RUSAGE_CHILDREN). Wall time is measured with a
# nanosecond clock either way (GNU time's %e has only 10 ms resolution; it is kept in the
# per-run log for reference).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
runs="${RUNS:-20}"
if [[ -n "${CAIRN_BIN:-}" ]]; then
    bin="$CAIRN_BIN" # a prebuilt binary: skip the build
else
    bin="${CARGO_TARGET_DIR:-$repo/target}/release/cairn"
    echo "bench-process: cargo build --release" >&2
    cargo build --release --quiet --bin cairn
fi
[[ -x "$bin" ]] || { echo "bench-process: $bin was not built" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ "${BENCH_NO_GNU_TIME:-0}" != 1 ]] && command -v /usr/bin/time >/dev/null 2>&1 \
    && /usr/bin/time -f "%e %M" -o /dev/null true 2>/dev/null; then
    method="GNU time"
else
    method="python resource"
fi

# Runs the binary once into a fresh directory; prints "<wall_ns> <maxrss_kb>".
run_once() {
    local out
    out="$(mktemp -d "$work/out.XXXXXX")"
    if [[ "$method" == "GNU time" ]]; then
        local t0 t1
        t0="$(date +%s%N)"
        /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin" synth --all --out "$out" >"$work/run.log" 2>&1 \
            || { echo "bench-process: cairn failed:" >&2; cat "$work/run.log" >&2; exit 1; }
        t1="$(date +%s%N)"
        # The last line of -o holds "%e %M" (earlier lines only appear on abnormal exits).
        echo "$((t1 - t0)) $(tail -n 1 "$work/time.txt" | awk '{print $2}')"
    else
        python3 - "$bin" synth --all --out "$out" <<'PY' 2>"$work/run.log" \
            || { echo "bench-process: cairn failed:" >&2; cat "$work/run.log" >&2; exit 1; }
import resource, subprocess, sys, time
t0 = time.perf_counter_ns()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=sys.stderr).returncode
t1 = time.perf_counter_ns()
if rc != 0:
    sys.exit(rc)
# ru_maxrss is in KiB on Linux; the only child waited for is the cairn process.
print(t1 - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
    fi
    rm -rf "$out"
}

echo "bench-process: $runs runs of '$bin synth --all --out <tmp>' (memory via $method)" >&2
run_once >/dev/null # warm-up: page cache, first-run effects
: >"$work/samples"
for _ in $(seq "$runs"); do
    run_once >>"$work/samples"
done

python3 - "$work/samples" "$runs" "$method" <<'PY'
import statistics, sys
rows = [tuple(int(x) for x in line.split()) for line in open(sys.argv[1]) if line.strip()]
walls_ms = sorted(ns / 1e6 for ns, _ in rows)
rss_mb = max(kb for _, kb in rows) / 1024
print(f"runs: {len(rows)}  memory via: {sys.argv[3]}")
print(f"wall median: {statistics.median(walls_ms):.1f} ms  (min {walls_ms[0]:.1f}, max {walls_ms[-1]:.1f})")
print(f"max RSS: {rss_mb:.1f} MB")
PY
