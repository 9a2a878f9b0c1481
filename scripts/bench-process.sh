#!/usr/bin/env bash
# Whole-process timing of the commands users run most: builds the release binary, then runs
# each command RUNS times (default 20, after one warm-up) and reports the median, min and max
# wall time in ms and the peak resident memory in MB.
#
#   scripts/bench-process.sh            (or `make bench-process`; RUNS=50 scripts/bench-process.sh)
#   CAIRN_BIN=path/to/cairn scripts/bench-process.sh   (time a prebuilt binary, no build)
#
# Commands: `synth --all` (with the policy checks and the parity record, as users run it),
# `synth --all --no-checks` (the cost of checking), and `parity` (all environments).
# Wall time comes from a nanosecond clock, memory from getrusage(RUSAGE_CHILDREN) of each run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
runs="${RUNS:-20}"
if [[ -n "${CAIRN_BIN:-}" ]]; then
    bin="$CAIRN_BIN" # a prebuilt binary: skip the build; its profile is not known
    build="prebuilt binary $CAIRN_BIN (build profile not checked)"
else
    bin="${CARGO_TARGET_DIR:-$repo/target}/release/cairn"
    echo "bench-process: cargo build --release" >&2
    cargo build --release --quiet --bin cairn
    build="release build"
fi
[[ -x "$bin" ]] || { echo "bench-process: $bin was not built" >&2; exit 1; }

python3 - "$bin" "$runs" "$build" <<'PY'
import os, resource, statistics, subprocess, sys, tempfile, time

binary, runs, build = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def run(args):
    """One run in a fresh output folder: (wall ms, peak RSS MB)."""
    with tempfile.TemporaryDirectory() as out:
        argv = [binary] + [a.replace("{out}", out) for a in args]
        # A fresh child per run: ru_maxrss of RUSAGE_CHILDREN is the largest child so far,
        # so measure each run in its own helper process.
        code = (
            "import resource,subprocess,sys,time;"
            "t=time.perf_counter_ns();"
            "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
            "e=time.perf_counter_ns();"
            "sys.stderr.write(r.stderr.decode()) if r.returncode else None;"
            "print(r.returncode,e-t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        result = subprocess.run([sys.executable, "-c", code] + argv, capture_output=True, text=True)
        rc, ns, kb = (int(x) for x in result.stdout.split())
        if rc != 0:
            sys.exit(f"bench-process: {' '.join(args)} failed (exit {rc}):\n{result.stderr}")
        return ns / 1e6, kb / 1024

cases = [
    ("synth --all", ["synth", "--all", "--quiet", "--out", "{out}"]),
    ("synth --all --no-checks", ["synth", "--all", "--quiet", "--no-checks", "--out", "{out}"]),
    ("parity", ["parity", "--format", "json"]),
]
print(f"whole process, {build}, median of {runs} runs")
for label, args in cases:
    run(args)  # warm-up
    samples = [run(args) for _ in range(runs)]
    walls = sorted(w for w, _ in samples)
    rss = max(m for _, m in samples)
    print(f"  {label:<26} median {statistics.median(walls):7.1f} ms  (min {walls[0]:.1f}, max {walls[-1]:.1f})  peak RSS {rss:.1f} MB")
PY
